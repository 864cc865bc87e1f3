import { Link } from "react-router-dom";

import { getStats, getSyncActivity, listRecentSyncs } from "../api/api";
import { SYNC_STATUSES, type SyncActivityDay } from "../api/types";
import { usePageTitle } from "../announce";
import { BarChart, STATUS_COLOURS, STATUS_LEGEND } from "../components/charts";
import { Loading } from "../components/common";
import { SyncRunsTable } from "../components/SyncRunsTable";
import { LoadFailureBanner } from "../components/LoadFailure";
import { formatCount, formatNumber, formatPercent, formatSeconds } from "../format";
import { useLoad } from "../hooks";

const ACTIVITY_DAYS = 30;

/** "Dec 4" for a UTC day "2026-12-04". */
function dayLabel(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  return day.toLocaleDateString("en-GB", { month: "short", day: "numeric", timeZone: "UTC" });
}

export function ActivityCharts({ days }: { days: SyncActivityDay[] }) {
  const syncBars = days.map((day) => ({
    label: dayLabel(day.date),
    segments: SYNC_STATUSES.map((status) => ({ key: status, value: day.syncs[status] ?? 0, colour: STATUS_COLOURS[status] })),
  }));
  const recordBars = days.map((day) => ({
    label: dayLabel(day.date),
    segments: [{ key: "records", value: day.records_processed, colour: "#2f5bea" }],
  }));
  return (
    <section className="card charts" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Last {formatCount(days.length, "day")} (UTC)</h2>
      <div className="chart-row">
        <BarChart title="Syncs per day by status" unit="syncs" integer bars={syncBars} legend={STATUS_LEGEND} testId="chart-syncs-per-day" />
        <BarChart title="Records processed per day" unit="records" integer bars={recordBars} testId="chart-records-per-day" />
      </div>
    </section>
  );
}

export function DashboardPage() {
  usePageTitle("Dashboard");
  const { data: stats, failure, loading, reload: reloadStats } = useLoad(getStats, []);
  const recent = useLoad(() => listRecentSyncs(10), []);
  const activity = useLoad(() => getSyncActivity(ACTIVITY_DAYS), []);
  const noSyncs = recent.data !== null && recent.data.results.length === 0;
  // No completed run, no rate: a first sync under way (or a cancelled run alone) is a sync, but the
  // API's 0.0 for its rates then would read as "every sync failed". An older API without the count:
  // no sync at all.
  const noRate = stats?.completed_syncs !== undefined ? stats.completed_syncs === 0 : noSyncs;
  const reload = () => {
    reloadStats();
    recent.reload();
    activity.reload();
  };
  return (
    <div className="page">
      <div className="page-header">
        <h1>Dashboard</h1>
        <div className="actions">
          <button type="button" className="btn" onClick={reload} aria-busy={loading}>
            Refresh
          </button>
          <Link className="btn btn-primary" to="/connectors">
            Connectors
          </Link>
        </div>
      </div>
      {/* one banner for the page's three reads: a server that fails says it once, with one retry */}
      <LoadFailureBanner failures={[failure, activity.failure, recent.failure]} onRetry={reload} busy={loading || activity.loading || recent.loading} />
      {loading && !stats ? <Loading /> : null}
      {stats ? (
        <div className="stat-grid">
          <Stat label="Connectors" value={formatNumber(stats.total_connectors)} />
          <Stat label="Active connectors" value={formatNumber(stats.active_connectors)} />
          <Stat label="Records stored" value={formatNumber(stats.total_records_synced)} />
          {/* a no-break space: a phone's half-width tile put "h" alone on a line */}
          <Stat label={"Syncs in the last 24\u00a0h"} value={formatNumber(stats.last_24h_syncs)} />
          {/* Without any sync, a rate and a mean are not 0: they do not exist yet. */}
          {/* SUCCESS only: a PARTIAL run did not get everything, so it is shown apart, never as a success. */}
          {/* Beside "Syncs in the last 24 h", the rates would read as of those: they are of every
              finished sync, cancelled ones left out (demo_extension/services/stats.py). */}
          <Stat label="Success rate" value={noRate ? "—" : formatPercent(stats.success_rate)} hint={RATED_RUNS} />
          {stats.partial_rate !== undefined ? (
            <Stat label="Partial (incomplete or quarantined)" value={noRate ? "—" : formatPercent(stats.partial_rate)} hint={RATED_RUNS} />
          ) : null}
          <Stat label="Average duration of successful syncs" value={noSyncs || !stats.avg_sync_duration ? "—" : formatSeconds(stats.avg_sync_duration)} />
          <Stat label="Destination loads" value={formatNumber(stats.total_loads)} />
          <Stat label="Rows loaded" value={formatNumber(stats.rows_loaded)} />
          {/* where they are: each destination's page shows its connectors' last loads and their errors */}
          <Stat
            label="Failed loads"
            value={formatNumber(stats.failed_loads)}
            link={stats.failed_loads ? { to: "/destinations", text: "See the destinations" } : undefined}
          />
        </div>
      ) : null}
      {activity.data ? <ActivityCharts days={activity.data} /> : null}
      <section className="card">
        <h2>Recent syncs</h2>
        {recent.loading && !recent.data ? <Loading /> : null}
        {recent.data ? (
          recent.data.results.length === 0 ? (
            <p className="muted">No syncs yet.</p>
          ) : (
            <SyncRunsTable runs={recent.data.results} label="Recent syncs" connector />
          )
        ) : null}
      </section>
    </div>
  );
}

/** A figure and its name; `hint` says what it is of, where the name alone would mislead. */
const RATED_RUNS = "of all finished syncs, cancelled ones left out";

function Stat({ label, value, hint, link }: { label: string; value: string; hint?: string; link?: { to: string; text: string } }) {
  return (
    <div className="card stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
      {link ? (
        <div className="stat-hint">
          <Link to={link.to}>{link.text}</Link>
        </div>
      ) : null}
    </div>
  );
}
