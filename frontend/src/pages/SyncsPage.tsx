import { type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { listConnectors, listSyncLogs, type SyncLogFilters } from "../api/api";
import { SYNC_STATUSES, SYNC_TRIGGERS, isActiveStatus, type SyncStatus, type SyncTrigger } from "../api/types";
import { usePageTitle } from "../announce";
import { Loading, Pager } from "../components/common";
import { useDayRange } from "../components/fields";
import { SyncRunsTable } from "../components/SyncRunsTable";
import { LoadFailureBanner } from "../components/LoadFailure";
import { useAddressDraft, useLoad, useRefreshWhile } from "../hooks";
import { triggerLabel } from "../format";

const PAGE_SIZE = 25;

const FILTER_KEYS = ["status", "triggered_by", "connector", "created_after", "created_before"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

/** Every sync of the tenant, filtered by status, trigger, connector and date range; the filters
 * and the page live in the address, so a reload, a shared link or Back keeps them. While any
 * listed sync runs, the list reads itself again, less often as the run lasts, and stops when none
 * runs. */
export function SyncsPage() {
  usePageTitle("Syncs");
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const filters: SyncLogFilters = { page, page_size: PAGE_SIZE };
  const status = params.get("status");
  if (status && (SYNC_STATUSES as string[]).includes(status)) filters.status = status as SyncStatus;
  const trigger = params.get("triggered_by");
  if (trigger && (SYNC_TRIGGERS as string[]).includes(trigger)) filters.triggered_by = trigger as SyncTrigger;
  const connector = Number(params.get("connector"));
  if (Number.isInteger(connector) && connector > 0) filters.connector = connector;
  // Dates are the user's local days; the API gets the instant their midnight falls on.
  const after = params.get("created_after") ?? "";
  const before = params.get("created_before") ?? "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(after)) filters.created_after = new Date(`${after}T00:00:00`).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(before)) {
    const end = new Date(`${before}T00:00:00`);
    end.setDate(end.getDate() + 1); // "until" includes that whole day
    filters.created_before = end.toISOString();
  }

  // Only the filters the list was asked with (junk in the address is not sent): without one, an
  // empty list means no sync at all, not a filter that matched nothing.
  const filtered = FILTER_KEYS.some((name) => filters[name] !== undefined);
  const key = params.toString();
  const logs = useLoad(() => listSyncLogs(filters), [key]);
  const connectors = useLoad(() => listConnectors({ page_size: 100 }), []);
  const anyRunning = logs.data?.results.some((log) => isActiveStatus(log.status)) ?? false;
  useRefreshWhile(anyRunning, logs.loading, logs.reload);

  const [draft, setDraft] = useAddressDraft<Record<FilterKey, string>>(
    () => ({
      status: params.get("status") ?? "",
      triggered_by: params.get("triggered_by") ?? "",
      connector: params.get("connector") ?? "",
      created_after: after,
      created_before: before,
    }),
    FILTER_KEYS.map((name) => params.get(name) ?? "").join("\n"),
  );
  const range = useDayRange("syncs", ["created_after", "created_before"], draft, (name, value) => setDraft((current) => ({ ...current, [name]: value })));

  function apply(event: FormEvent) {
    event.preventDefault();
    if (!range.check()) return;
    const next = new URLSearchParams();
    for (const name of FILTER_KEYS) if (draft[name]) next.set(name, draft[name]);
    setParams(next);
  }

  function clear() {
    range.reset();
    setDraft({ status: "", triggered_by: "", connector: "", created_after: "", created_before: "" });
    setParams(new URLSearchParams());
  }

  function goTo(next: number) {
    const copy = new URLSearchParams(params);
    if (next === 1) copy.delete("page");
    else copy.set("page", String(next));
    setParams(copy);
  }

  const field = (name: FilterKey) => ({
    id: `syncs-${name}`,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft((current) => ({ ...current, [name]: e.target.value })),
  });

  return (
    <div className="page">
      <div className="page-header">
        <h1>Syncs</h1>
        {anyRunning ? (
          <span className="muted small" data-testid="auto-refresh">
            Refreshing while a sync runs
          </span>
        ) : null}
      </div>
      <form className="card filters" aria-label="Sync filters" onSubmit={apply}>
        <div className="filter-grid filter-pairs">
          <div className="field">
            <label htmlFor="syncs-status">Status</label>
            <select {...field("status")}>
              <option value="">Any</option>
              {SYNC_STATUSES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="syncs-triggered_by">Trigger</label>
            <select {...field("triggered_by")}>
              <option value="">Any</option>
              {SYNC_TRIGGERS.map((value) => (
                <option key={value} value={value}>
                  {triggerLabel(value)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="syncs-connector">Connector</label>
            <select {...field("connector")}>
              <option value="">Any</option>
              {connectors.data?.results.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </div>
          {range.fields}
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button type="button" className="btn" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      <LoadFailureBanner failures={[logs.failure]} onRetry={logs.reload} busy={logs.loading} />
      {logs.loading && !logs.data ? <Loading /> : null}
      {logs.data ? (
        logs.data.results.length === 0 ? (
          filtered ? (
            <div className="card empty">No sync matches these filters.</div>
          ) : (
            <div className="card empty">
              No syncs yet: start one with Sync now on a <Link to="/connectors">connector</Link>&apos;s page, or wait for its schedule.
            </div>
          )
        ) : (
          <>
            <SyncRunsTable runs={logs.data.results} label="Syncs" connector details />
            <Pager page={page} pageSize={PAGE_SIZE} count={logs.data.count} onPage={goTo} label="sync" />
          </>
        )
      ) : null}
    </div>
  );
}
