import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { anchorLabel } from "../components/ScheduleAnchorFields";
import { Link, useSearchParams } from "react-router-dom";

import { deleteConnector, getSyncLog, listConnectors, runningSyncIdOf, setConnectorActive, startSync } from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import { isActiveStatus, type Connector, type SyncLog, type SyncStatus } from "../api/types";
import { RateLimitPauseLine } from "../components/RateLimitPause";
import { useAnnounce, usePageTitle } from "../announce";
import { canDelete, canWrite, useAuth } from "../auth";
import { StatusDots } from "../components/charts";
import { Badge, ErrorBanner, Loading, Pager, StatusBadge, TableWrap } from "../components/common";
import { runCounts, runOutcome, runWarningsCount } from "../components/RunOutcome";
import { useConfirm, type ConfirmRequest } from "../components/ConfirmDialog";
import { formatCount, formatDateTime, formatNumber, formatRelative, frequencyLabel } from "../format";
import { LoadFailureBanner } from "../components/LoadFailure";
import { useAddressDraft, useLoad, useRefreshWhile, useSyncLogPolling } from "../hooks";
import { useSyncWatch } from "../syncWatch";

const PAGE_SIZE = 20;

/** When the next scheduled run is: "in 37 min" with the exact time and zone, or why there is none. */
export function NextRun({ connector }: { connector: Connector }) {
  if (connector.sync_frequency === "MANUAL") return <span className="muted">manual only</span>;
  if (!connector.is_active) return <span className="muted">paused</span>;
  if (!connector.next_sync_at) return <span className="muted">—</span>;
  return (
    <span title={formatDateTime(connector.next_sync_at)}>
      {formatRelative(connector.next_sync_at)}
      <span className="muted small block">{formatDateTime(connector.next_sync_at)}</span>
    </span>
  );
}

/** The question before a connector is deleted (its list and its page ask the same). */
export function deleteConnectorQuestion(connector: Connector): ConfirmRequest {
  const records = connector.records_count === 1 ? "its 1 stored record" : `its ${formatNumber(connector.records_count)} stored records`;
  return {
    title: `Delete the connector ${connector.name}?`,
    body: `Its settings, its sync history and ${records} are deleted. This cannot be undone.`,
    confirmLabel: "Delete the connector",
  };
}

/** What the live region says when a connector's run ends. */
export function runEndedMessage(connectorName: string, log: SyncLog): string {
  return `The ${connectorName} sync, run #${log.id}, ended: ${runOutcome(log)}, ${runCounts(log)}.`;
}

/** Announce the end of each run the list showed pending or running and no longer does, as the
 * end of a run started from a row is: runs started elsewhere (the schedule, the API, another tab)
 * that end while the list is open. The run is read once for its outcome. Runs this tab follows
 * (`followedHere`) are announced where they are followed; a connector that leaves the list (another
 * page, a search) is not followed further. */
export function useAnnounceRunsEndedElsewhere(connectors: Connector[] | undefined, followedHere: (logId: number) => boolean): void {
  const announce = useAnnounce();
  const running = useRef(new Map<number, number>()); // connector id → the run the list named
  const followedRef = useRef(followedHere);
  followedRef.current = followedHere;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (!connectors) return;
    const before = running.current;
    const now = new Map<number, number>();
    for (const connector of connectors) {
      if (connector.running_sync_id != null) now.set(connector.id, connector.running_sync_id);
      const runId = before.get(connector.id);
      if (runId === undefined || runId === connector.running_sync_id || followedRef.current(runId)) continue;
      getSyncLog(runId)
        .then((log) => {
          if (mounted.current && !isActiveStatus(log.status) && !followedRef.current(runId)) announce(runEndedMessage(connector.name, log));
        })
        .catch(() => {
          // the run is gone (its connector deleted) or the API is unreachable: nothing to say
        });
    }
    running.current = now;
  }, [connectors, announce]);
}

/** What a row's "Sync now" has done: nothing yet, starting, following a run (started here, or the
 * one a 409 named), or refused (409 without an id, 429, any other error). */
type RowSyncState =
  | { kind: "idle" }
  | { kind: "starting" }
  | { kind: "following"; logId: number; conflict: string | null }
  | { kind: "error"; message: string };

/** Whether the list says the connector's latest run is pending or running: started by the
 * schedule, the API or another tab as well as here. */
export function listShowsRunning(connector: Connector): boolean {
  return connector.running_sync_id != null || isActiveStatus(connector.recent_statuses?.[0]);
}

/** The run a row's "Sync now" started or follows (`id` null while the start is under way), as the
 * row last read it: the list's own data names it only when the list is read again. */
export interface RowRun {
  id: number | null;
  status: SyncStatus;
}

/** The "Last sync" cell: the latest finished run's status and time, its error under it. A connector
 * whose first sync is under way (started from its row, or elsewhere as the list shows) has no
 * finished run, but "never synced" beside a RUNNING row would say nothing is happening: it says
 * the first sync runs (or waits to start); a first run that the row saw end shows its outcome until
 * the list is read again. */
export function LastSyncCell({ connector, rowRun }: { connector: Connector; rowRun?: RowRun | null }) {
  const error = lastSyncError(connector);
  if (!connector.last_sync_status) {
    const listed = listShowsRunning(connector) ? (connector.recent_statuses?.[0] ?? "RUNNING") : null;
    const status = rowRun && (isActiveStatus(rowRun.status) || rowRun.id !== null) ? rowRun.status : listed;
    if (status && isActiveStatus(status)) {
      return status === "PENDING" ? <Badge tone="pending">first sync waiting to start</Badge> : <Badge tone="running">first sync running</Badge>;
    }
    if (status) return <StatusBadge status={status} />;
  }
  return (
    <>
      <StatusBadge status={connector.last_sync_status} warnings={connector.last_sync_warnings?.length} />
      {/* "never synced" has no time: no dash under it */}
      {connector.last_sync_at ? <div className="muted small">{formatDateTime(connector.last_sync_at)}</div> : null}
      {/* why it failed (or what a partial run missed), so that a failing connector can be told from
          the list: two lines, the whole text on its page */}
      {error ? (
        <div className="run-error-text last-sync-error" data-testid={`last-sync-error-${connector.id}`} title={error}>
          {error}
        </div>
      ) : null}
    </>
  );
}

/** Where a run the list shows is followed: its own page when the list names it, else the
 * connector's syncs. */
export function runningSyncHref(connector: Connector): string {
  return connector.running_sync_id != null ? `/sync-logs/${connector.running_sync_id}` : `/syncs?connector=${connector.id}`;
}

/** "Sync now" in a connector's row: starts a sync (trigger=ui) and shows it in the row until it
 * ends, then its outcome with a link to its page. A refusal stays in the row: "already running"
 * (409: the run in progress is followed instead), too many requests (429), any other error.
 * A run started elsewhere, which the list data shows, disables the button too and links to that
 * run's page (the connector's syncs if the list does not name it); the page reads the list again
 * until it ends. */
export function RowSync({
  connector,
  onFinished,
  onFollow,
  onRunChange,
}: {
  connector: Connector;
  onFinished: () => void;
  /** Called with each run the row follows (it announces their end itself). */
  onFollow?: (logId: number) => void;
  /** Told of the run the row started or follows as it changes (null: none), for the row's other cells. */
  onRunChange?: (connectorId: number, run: RowRun | null) => void;
}) {
  const announce = useAnnounce();
  const { watch } = useSyncWatch();
  const [state, setState] = useState<RowSyncState>({ kind: "idle" });
  const following = state.kind === "following" ? state.logId : null;
  const { log, error: pollError } = useSyncLogPolling(following, (ended: SyncLog) => {
    announce(runEndedMessage(connector.name, ended));
    onFinished();
  });
  const current = log !== null && log.id === following ? log : null;
  const followingActive = state.kind === "following" && (current === null || isActiveStatus(current.status));
  // A run this row follows is shown by its own log; one the list shows otherwise was started elsewhere.
  const listedRunIsFollowed = following !== null && connector.running_sync_id === following;
  const runningElsewhere = !followingActive && !listedRunIsFollowed && state.kind !== "starting" && listShowsRunning(connector);
  const running = state.kind === "starting" || followingActive || runningElsewhere;
  const runId = state.kind === "following" ? state.logId : null;
  const runStatus: SyncStatus | null = state.kind === "starting" ? "PENDING" : state.kind === "following" ? (current?.status ?? "PENDING") : null;
  const reportRun = useRef(onRunChange);
  reportRun.current = onRunChange;
  // before the browser paints: the row's other cells never show a state its button has left
  useLayoutEffect(() => {
    reportRun.current?.(connector.id, runStatus === null ? null : { id: runId, status: runStatus });
  }, [connector.id, runId, runStatus]);

  async function start() {
    setState({ kind: "starting" });
    try {
      const started = await startSync(connector.id);
      onFollow?.(started.id);
      watch(started.id);
      setState({ kind: "following", logId: started.id, conflict: null });
      announce(`The ${connector.name} sync started: run #${started.id}.`);
    } catch (error) {
      const message = errorMessage(error);
      const runningId = error instanceof ApiError && error.status === 409 ? runningSyncIdOf(error.body) : null;
      if (runningId !== null) onFollow?.(runningId);
      setState(runningId !== null ? { kind: "following", logId: runningId, conflict: message } : { kind: "error", message });
      announce(message);
    }
  }

  return (
    <>
      <button type="button" className="btn btn-small btn-primary row-sync-button" disabled={running} onClick={() => void start()}>
        {state.kind === "starting" ? "Starting…" : running ? "Syncing…" : "Sync now"}
        <span className="visually-hidden"> {connector.name}</span>
      </button>
      {runningElsewhere ? (
        <div className="row-sync-status" data-testid="row-sync-status">
          <StatusBadge status={connector.recent_statuses?.[0] ?? null} />{" "}
          <Link to={runningSyncHref(connector)}>
            See its progress<span className="visually-hidden"> ({connector.name})</span>
          </Link>
        </div>
      ) : null}
      {state.kind === "error" ? (
        <div className="row-sync-status error-text" data-testid="row-sync-status">
          {state.message}
        </div>
      ) : null}
      {state.kind === "following" ? (
        <div className="row-sync-status" data-testid="row-sync-status">
          {state.conflict ? <div className="warning-text">{state.conflict}</div> : null}
          <Link to={`/sync-logs/${state.logId}`}>Run #{state.logId}</Link>{" "}
          {current ? (
            <>
              <StatusBadge status={current.status} warnings={runWarningsCount(current)} retries={current.retries} /> {formatCount(current.records_processed, "record")}
              {/* a run that stands still because the API asked to wait: not stuck */}
              <RateLimitPauseLine log={current} />
            </>
          ) : (
            <span className="muted">starting…</span>
          )}
          {pollError ? <div className="error-text">{pollError}</div> : null}
        </div>
      ) : null}
    </>
  );
}

/** The error the connector's latest run ended with when it failed or was partial; "" otherwise. */
function lastSyncError(connector: Connector): string {
  const status = connector.last_sync_status;
  return (status === "FAILED" || status === "PARTIAL") && connector.last_sync_error ? connector.last_sync_error : "";
}

export function ConnectorsPage() {
  usePageTitle("Connectors");
  const { me } = useAuth();
  const announce = useAnnounce();
  // The search and the page live in the address: a reload or Back keeps them.
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const search = params.get("q") ?? "";
  const [searchText, setSearchText] = useAddressDraft(() => search, search);
  const [actionError, setActionError] = useState<string | null>(null);
  const [toggling, setToggling] = useState<number | null>(null);
  const list = useLoad(() => listConnectors({ page, page_size: PAGE_SIZE, search }), [page, search]);
  // A sync started elsewhere (the schedule, the API, another tab) shows in the list's data: read
  // it again while any row's latest run is pending or running, less often as it lasts.
  const anyRunning = list.data?.results.some(listShowsRunning) ?? false;
  useRefreshWhile(anyRunning, list.loading, list.reload);
  const { isWatched } = useSyncWatch();
  const followedByRows = useRef(new Set<number>());
  const followRun = useCallback((logId: number) => void followedByRows.current.add(logId), []);
  // What each row's own run is, for its Last sync cell (the list data names it only when read again).
  const [rowRuns, setRowRuns] = useState<ReadonlyMap<number, RowRun>>(() => new Map());
  const reportRowRun = useCallback((connectorId: number, run: RowRun | null) => {
    setRowRuns((current) => {
      if (run === null && !current.has(connectorId)) return current;
      const next = new Map(current);
      if (run === null) next.delete(connectorId);
      else next.set(connectorId, run);
      return next;
    });
  }, []);
  useAnnounceRunsEndedElsewhere(list.data?.results, (logId) => followedByRows.current.has(logId) || isWatched(logId));
  const writer = canWrite(me?.role);
  const deleter = canDelete(me?.role);
  const { confirm, dialog } = useConfirm();

  function submitSearch(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (searchText.trim()) next.set("q", searchText.trim());
    setParams(next);
  }

  function goTo(next: number) {
    const copy = new URLSearchParams(params);
    if (next === 1) copy.delete("page");
    else copy.set("page", String(next));
    setParams(copy);
  }

  async function toggle(connector: Connector) {
    setToggling(connector.id);
    setActionError(null);
    try {
      const saved = await setConnectorActive(connector.id, !connector.is_active);
      announce(`${saved.name} ${saved.is_active ? "resumed: it syncs on its schedule again" : "paused"}.`);
      list.reload();
    } catch (error) {
      setActionError(errorMessage(error));
    } finally {
      setToggling(null);
    }
  }

  async function remove(connector: Connector) {
    if (!(await confirm(deleteConnectorQuestion(connector)))) return;
    setActionError(null);
    try {
      await deleteConnector(connector.id);
      announce(`${connector.name} was deleted.`);
      list.reload();
    } catch (error) {
      setActionError(errorMessage(error));
    }
  }

  return (
    <div className="page">
      {dialog}
      <div className="page-header">
        <h1>Connectors</h1>
        <div className="actions">
          <form className="search" role="search" onSubmit={submitSearch}>
            <input
              type="search"
              aria-label="Search connectors by name"
              placeholder="Search names"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
            />
            <button type="submit" className="btn">
              Search
            </button>
          </form>
          {writer ? (
            <Link className="btn btn-primary" to="/connectors/new">
              New connector
            </Link>
          ) : null}
        </div>
      </div>
      <ErrorBanner message={actionError} />
      <LoadFailureBanner failures={[list.failure]} onRetry={list.reload} busy={list.loading} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          {list.data.results.length === 0 ? (
            <div className="card empty">
              {search ? `No connector name matches "${search}".` : "No connectors yet."}
              {writer && !search ? " Create one with “New connector”." : ""}
            </div>
          ) : (
            <TableWrap>
              <table className="table table-stack" aria-label="Connectors">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Schedule</th>
                    <th scope="col">Next run</th>
                    <th scope="col">Last sync</th>
                    <th scope="col">Latest runs</th>
                    <th scope="col" className="num">
                      Records
                    </th>
                    {writer ? <th scope="col">Actions</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {list.data.results.map((connector) => (
                    <tr key={connector.id}>
                      <td className="stack-title">
                        <Link to={`/connectors/${connector.id}`}>{connector.name}</Link>
                      </td>
                      <td className="mono ellipsis" title={connector.api_endpoint} data-label="Endpoint">
                        {connector.api_endpoint}
                      </td>
                      <td data-label="Schedule">
                        {[frequencyLabel(connector.sync_frequency), anchorLabel(connector.sync_frequency, connector.sync_time, connector.sync_weekday)].filter(Boolean).join(" ")}
                        {!connector.is_active ? <Badge>paused</Badge> : null}
                      </td>
                      <td className="small" data-label="Next run">
                        <NextRun connector={connector} />
                      </td>
                      <td data-label="Last sync">
                        <LastSyncCell connector={connector} rowRun={rowRuns.get(connector.id)} />
                      </td>
                      <td data-label="Latest runs">
                        <StatusDots statuses={connector.recent_statuses} />
                      </td>
                      <td className="num" data-label="Records">
                        {formatNumber(connector.records_count)}
                      </td>
                      {writer ? (
                        <td className="row-actions" data-label="Actions">
                          <div className="row-actions-inner">
                            <RowSync connector={connector} onFinished={list.reload} onFollow={followRun} onRunChange={reportRowRun} />
                            <button
                              type="button"
                              className="btn btn-small"
                              aria-pressed={!connector.is_active}
                              disabled={toggling === connector.id}
                              onClick={() => void toggle(connector)}
                            >
                              {connector.is_active ? "Pause" : "Resume"}
                              <span className="visually-hidden"> {connector.name}</span>
                            </button>
                            {deleter ? (
                              <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(connector)}>
                                Delete<span className="visually-hidden"> {connector.name}</span>
                              </button>
                            ) : null}
                          </div>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={goTo} label="connector" />
        </>
      ) : null}
    </div>
  );
}
