import { Link } from "react-router-dom";

import { getStats } from "../api/api";
import { ErrorBanner, Loading } from "../components/common";
import { formatNumber, formatPercent, formatSeconds } from "../format";
import { useLoad } from "../hooks";

export function DashboardPage() {
  const { data: stats, error, loading, reload } = useLoad(getStats, []);
  return (
    <div className="page">
      <div className="page-header">
        <h1>Dashboard</h1>
        <div className="actions">
          <button type="button" className="btn" onClick={reload} disabled={loading}>
            Refresh
          </button>
          <Link className="btn btn-primary" to="/connectors">
            Connectors
          </Link>
        </div>
      </div>
      <ErrorBanner message={error} />
      {loading && !stats ? <Loading /> : null}
      {stats ? (
        <div className="stat-grid">
          <Stat label="Connectors" value={formatNumber(stats.total_connectors)} />
          <Stat label="Active connectors" value={formatNumber(stats.active_connectors)} />
          <Stat label="Records synced" value={formatNumber(stats.total_records_synced)} />
          <Stat label="Syncs in the last 24 h" value={formatNumber(stats.last_24h_syncs)} />
          <Stat label="Success rate" value={formatPercent(stats.success_rate)} />
          <Stat label="Average sync duration" value={formatSeconds(stats.avg_sync_duration)} />
        </div>
      ) : null}
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="card stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
