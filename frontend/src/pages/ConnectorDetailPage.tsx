import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { anchorLabel } from "../components/ScheduleAnchorFields";
import { flushSync } from "react-dom";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import {
  deleteConnector,
  getConnector,
  listSyncHistory,
  runningSyncIdOf,
  previewSavedConnector,
  startSync,
  testConnection,
  updateConnector,
} from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import { isActiveStatus, type ConnectionResult, type Connector, type ConnectorInput, type SyncLog } from "../api/types";
import { canDelete, canWrite, editorRoleNeeded, useAuth } from "../auth";
import { useAnnounce, usePageTitle } from "../announce";
import { BarChart, STATUS_COLOURS, statusLegend } from "../components/charts";
import { useConfirm } from "../components/ConfirmDialog";
import { ConnectorForm } from "../components/ConnectorForm";
import { ActiveBadge, Badge, ConnectionText, ErrorBanner, Loading, LoadingPage, Pager, SaveWarningsBanner, StatusBadge } from "../components/common";
import { SyncRunsTable } from "../components/SyncRunsTable";
import { RunWarningsBanner, runCounts, saveOnlyWarnings, warningsLabel } from "../components/RunOutcome";
import { authTypeLabel, storedExtraNames } from "../components/AuthFields";
import { incrementalSummary, paginationSummary } from "../components/connectorConfig";
import { hasSourceForm } from "../components/sourceForms";
import { ConnectorDataTabs } from "../components/ConnectorDataTabs";
import { SyncProgress } from "../components/SyncProgress";
import { UnmatchedMappings } from "../components/UnmatchedMappings";
import { WaitingForApi } from "../components/WaitingForApi";
import { FailedLoadsNotice, LoadedInto, useDestinations } from "../components/LastLoad";
import { answeredHeading, failureHint, retryClock, syncErrorHint } from "../components/UpstreamError";
import { formatCount, formatDateTime, formatNumber, formatRelative, frequencyLabel, prettyJson } from "../format";
import { isMissing, LoadFailureBanner, MissingNotice } from "../components/LoadFailure";
import { useLoad, useSyncLogPolling } from "../hooks";
import { useSyncWatch } from "../syncWatch";
import { deleteConnectorQuestion } from "./ConnectorsPage";
import { NotFoundPage } from "./NotFoundPage";

const HISTORY_PAGE_SIZE = 10;
const CHART_RUNS = 30;

interface SyncConflict {
  message: string;
  runningId: number | null;
}

export function ConnectorDetailPage({ startEditing = false }: { startEditing?: boolean } = {}) {
  const params = useParams();
  const id = Number(params.id);
  if (!/^\d+$/.test(params.id ?? "") || !Number.isSafeInteger(id) || id <= 0) return <NotFoundPage />;
  return <ConnectorDetail key={id} id={id} startEditing={startEditing} />;
}

function ConnectorDetail({ id, startEditing }: { id: number; startEditing: boolean }) {
  const { me } = useAuth();
  const navigate = useNavigate();
  // What the server noticed when the connector was saved without refusing it (a host name it could
  // not resolve): from the creation (the new-connector page passes them on) or the last edit.
  const location = useLocation();
  const [saveWarnings, setSaveWarnings] = useState<string[]>(
    () => ((location.state as { warnings?: string[] } | null)?.warnings ?? []).filter(Boolean),
  );
  const writer = canWrite(me?.role);
  const deleter = canDelete(me?.role);

  const announce = useAnnounce();
  const { watch } = useSyncWatch();
  const connector = useLoad(() => getConnector(id), [id]);
  usePageTitle(connector.data ? connector.data.name : `Connector #${id}`);
  const [historyPage, setHistoryPage] = useState(1);
  const chartRuns = useLoad(() => listSyncHistory(id, { page: 1, page_size: CHART_RUNS }), [id]);
  // The history's first page is the newest runs of the charts' read (one request, not two); a later
  // page is read on its own.
  const laterPage = useLoad(
    () => (historyPage === 1 ? Promise.resolve(null) : listSyncHistory(id, { page: historyPage, page_size: HISTORY_PAGE_SIZE })),
    [id, historyPage],
  );
  const history =
    historyPage === 1
      ? {
          data: chartRuns.data ? { ...chartRuns.data, results: chartRuns.data.results.slice(0, HISTORY_PAGE_SIZE) } : null,
          error: chartRuns.error,
          loading: chartRuns.loading,
          reload: chartRuns.reload,
        }
      : laterPage;
  // The style the latest sync detected, shown beside an "auto" pagination.
  const detected = (chartRuns.data?.results ?? []).find((run) => run.detected_pagination);
  const [recordsKey, setRecordsKey] = useState(0);
  // read again when a sync ends (its loads follow it) or the records are refreshed
  const destinations = useDestinations(id, `${recordsKey} ${connector.data?.last_sync_at}`);
  const testRef = useRef<HTMLElement>(null);
  const editRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const progressRef = useRef<HTMLDivElement>(null);

  const [editing, setEditing] = useState(startEditing);
  const [busy, setBusy] = useState<"test" | "sync" | "refresh" | "delete" | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<ConnectionResult | null>(null);
  // The edit form holds changes to what the test read with: its result describes the saved settings.
  const [testedSettingsChanged, setTestedSettingsChanged] = useState(false);
  const [syncId, setSyncId] = useState<number | null>(null);
  const [conflict, setConflict] = useState<SyncConflict | null>(null);
  const { confirm, dialog } = useConfirm();
  // The followed sync's latest copy: its history row shows it live instead of the stale row.
  const [liveLog, setLiveLog] = useState<SyncLog | null>(null);
  // The run as the start answered it: the history shows it before its first read of the run.
  const [startedLog, setStartedLog] = useState<SyncLog | null>(null);
  // Syncs this page has followed: a stale history row never brings an ended one back.
  const followed = useRef(new Set<number>());
  const focusProgress = useRef(false);
  // A followed run that is gone (deleted while followed) will never end: it no longer holds Sync now.
  const [goneId, setGoneId] = useState<number | null>(null);
  const syncRunning = syncId !== null && syncId !== goneId && !(liveLog !== null && liveLog.id === syncId && !isActiveStatus(liveLog.status));

  /** Follow a sync here (the progress panel, then a refresh of the page when it ends) and
   * wherever the user goes (the notice when it ends). */
  const follow = useCallback(
    (logId: number, { focus }: { focus: boolean }) => {
      followed.current.add(logId);
      focusProgress.current = focus;
      setSyncId(logId);
      watch(logId);
    },
    [watch],
  );

  /** Show a sync's progress on this page only (the "already running" warning's link). */
  function followHere(logId: number) {
    followed.current.add(logId);
    focusProgress.current = true;
    setSyncId(logId);
  }

  // A sync already running when the page opens (a reload, a scheduled run, another tab) is
  // followed as if it had been started here, but without taking the focus the user did not move.
  const newestOnHistoryPage = historyPage === 1 ? (history.data?.results[0] ?? null) : null;
  const newestCharted = chartRuns.data?.results[0] ?? null;
  useEffect(() => {
    for (const run of [newestOnHistoryPage, newestCharted]) {
      if (run && isActiveStatus(run.status) && !followed.current.has(run.id)) {
        follow(run.id, { focus: false });
        announce(`A sync, run #${run.id}, is ${run.status.toLowerCase()}; its progress is shown.`);
        return;
      }
    }
  }, [newestOnHistoryPage, newestCharted, follow, announce]);

  const reloadAll = connector.reload;
  const reloadHistory = history.reload;
  const reloadChart = chartRuns.reload;
  const onSyncFinished = useCallback(
    (log: SyncLog) => {
      reloadAll();
      reloadHistory();
      reloadChart();
      setRecordsKey((key) => key + 1);
      announce(`Run #${log.id} finished: ${log.status}, ${runCounts(log)}.`);
    },
    [reloadAll, reloadHistory, reloadChart, announce],
  );

  const onSyncGone = useCallback(
    (logId: number) => {
      setGoneId(logId);
      reloadAll();
      reloadHistory();
      reloadChart();
    },
    [reloadAll, reloadHistory, reloadChart],
  );

  // The "already in progress" warning follows the sync it names and goes away when it ends.
  const conflictLog = useSyncLogPolling(conflict?.runningId ?? null);
  useEffect(() => {
    if (conflict && conflictLog.log && conflictLog.log.id === conflict.runningId && !isActiveStatus(conflictLog.log.status)) {
      setConflict(null);
      announce(`Run #${conflictLog.log.id} has ended; you can start a new sync.`);
      reloadHistory();
    }
  }, [conflict, conflictLog.log, announce, reloadHistory]);

  // Focus moves to what an action produced, never to the page body: the form's first field when
  // it opens (ConnectorForm), the Edit button again when it closes.
  useLayoutEffect(() => {
    if (wasEditing.current && !editing) editRef.current?.focus();
    wasEditing.current = editing;
  }, [editing]);
  useLayoutEffect(() => {
    if (testResult) testRef.current?.focus();
  }, [testResult]);
  // Said once when the form's changes make the shown result stale (it is not where the user types).
  const testStale = testResult !== null && editing && testedSettingsChanged;
  useEffect(() => {
    if (testStale) announce("The connection test's result is now stale: it tested the saved settings, not the form's changes.");
  }, [testStale, announce]);
  useLayoutEffect(() => {
    if (syncId !== null && focusProgress.current) progressRef.current?.focus();
  }, [syncId]);

  async function runTest() {
    setBusy("test");
    setActionError(null);
    setTestResult(null);
    try {
      const result = await testConnection(id);
      setTestResult(result);
      announce(testAnnouncement(result));
    } catch (error) {
      setActionError(errorMessage(error));
    } finally {
      setBusy(null);
    }
  }

  /** A full refresh marks what the upstream no longer returns as deleted (and destinations delete
   * those rows): it starts only after the user confirms it. */
  async function fullRefresh(current: Connector) {
    const confirmed = await confirm({
      title: `Full refresh of ${current.name}?`,
      body:
        "Every page is fetched again, ignoring the incremental cursor. When the run gets every page, the records the " +
        "API no longer returns are marked deleted, and destinations loading this connector delete those rows (or mark " +
        "them, as each destination is set up).",
      confirmLabel: "Start the full refresh",
    });
    if (confirmed) await runSync(true);
  }

  async function runSync(fullRefresh: boolean) {
    setBusy(fullRefresh ? "refresh" : "sync");
    setActionError(null);
    setConflict(null);
    try {
      const log = await startSync(id, fullRefresh);
      setStartedLog(log);
      follow(log.id, { focus: true });
      announce(`Sync started: run #${log.id}.`);
      reloadHistory();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        setConflict({ message: error.detail, runningId: runningSyncIdOf(error.body) });
      } else {
        setActionError(errorMessage(error));
      }
    } finally {
      setBusy(null);
    }
  }

  /** Close the edit form. Opened at the edit address, the address becomes the connector's page
   * (replacing it: a reload or Back does not reopen the form). */
  function closeForm() {
    // The form (and its unsaved-edits blocker) goes first, so the navigation is not held.
    flushSync(() => setEditing(false));
    setTestedSettingsChanged(false);
    if (startEditing) navigate(`/connectors/${id}`, { replace: true });
  }

  async function save(input: ConnectorInput) {
    const saved = await updateConnector(id, input);
    setSaveWarnings(saveOnlyWarnings(saved));
    // The settings the test read with changed: its result no longer describes the connector.
    if (testedSettingsChanged) setTestResult(null);
    closeForm();
    connector.reload();
  }

  async function remove(current: Connector) {
    if (!(await confirm(deleteConnectorQuestion(current)))) return;
    setBusy("delete");
    setActionError(null);
    try {
      await deleteConnector(id);
      // The connector is gone: its edit form (and its unsaved edits) go first, without asking.
      flushSync(() => setEditing(false));
      navigate("/connectors", { replace: true });
    } catch (error) {
      setActionError(errorMessage(error));
      setBusy(null);
    }
  }

  if (connector.loading && !connector.data) return <LoadingPage title={`Connector #${id}`} label="Loading the connector…" />;
  // A connector that is gone (deleted in another tab: a reload, after a followed run disappeared,
  // answered 404) is said to be gone, not shown stale under "Not found." banners.
  if (!connector.data || isMissing(connector.failure)) {
    return (
      <div className="page">
        <h1>Connector #{id}</h1>
        {isMissing(connector.failure) ? (
          <MissingNotice what={`Connector #${id}`} back="/connectors" backLabel="← All connectors" />
        ) : (
          <>
            {connector.failure ? <LoadFailureBanner failures={[connector.failure]} onRetry={connector.reload} busy={connector.loading} /> : <ErrorBanner message="The connector could not be loaded." />}
            <Link to="/connectors">← All connectors</Link>
          </>
        )}
      </div>
    );
  }
  const c = connector.data;
  // The sync this page follows while it runs: the details say it is under way, with its progress.
  const activeRun = syncRunning && syncId !== null ? { id: syncId, log: liveLog !== null && liveLog.id === syncId ? liveLog : null } : null;
  // The followed run has ended and the connector is being read again: its status until then (a
  // first sync's end would flash NEVER SYNCED).
  const endedRun = liveLog !== null && liveLog.id === syncId && !isActiveStatus(liveLog.status) && c.last_sync_log_id !== liveLog.id ? liveLog : null;
  // The run this page followed, as last read, heads the history's first page until the history's
  // own read lists it: right after "Sync now" that read is still the one before the run.
  const followedRow = syncId === null ? null : liveLog?.id === syncId ? liveLog : startedLog?.id === syncId ? startedLog : null;
  const live = (row: SyncLog) => (liveLog && liveLog.id === row.id ? liveLog : row);
  const historyRows = history.data ? history.data.results.map(live) : null;
  // the charts too: the followed run's bar and colour as it runs, not as the read at its start had it
  const chartRows = chartRuns.data ? chartRuns.data.results.map(live) : null;
  const historyLacksFollowed = historyRows !== null && historyPage === 1 && followedRow !== null && !historyRows.some((row) => row.id === followedRow.id);
  const shownHistory = historyRows && followedRow && historyLacksFollowed ? [followedRow, ...historyRows] : historyRows;
  // The followed run's panel shows its error (with the same hint): the banner would say it twice.
  const lastSyncError = c.last_sync_error && !(syncId !== null && syncId === c.last_sync_log_id) ? c.last_sync_error : "";

  return (
    <div className="page">
      {dialog}
      <Link to="/connectors" className="back-link">
        ← All connectors
      </Link>
      <div className="page-header">
        <div>
          <h1>{c.name}</h1>
          <div className="mono muted break">{c.api_endpoint}</div>
        </div>
        <div className="actions">
          {writer ? (
            <>
              <button type="button" className="btn" onClick={() => void runTest()} disabled={busy !== null}>
                {busy === "test" ? "Testing…" : "Test connection"}
              </button>
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => void runSync(false)}
                disabled={busy !== null || syncRunning}
              >
                {busy === "sync" ? "Starting…" : "Sync now"}
              </button>
              <button
                type="button"
                className="btn"
                onClick={() => void fullRefresh(c)}
                disabled={busy !== null || syncRunning}
              >
                {busy === "refresh" ? "Starting…" : "Full refresh"}
              </button>
              {!editing && hasSourceForm(c.source_type) ? (
                <button type="button" className="btn" ref={editRef} onClick={() => setEditing(true)}>
                  Edit
                </button>
              ) : null}
            </>
          ) : null}
          {deleter ? (
            <button type="button" className="btn btn-danger" onClick={() => void remove(c)} disabled={busy !== null}>
              Delete
            </button>
          ) : null}
        </div>
      </div>

      <LoadFailureBanner failures={[connector.failure]} onRetry={connector.reload} busy={connector.loading} />
      <ErrorBanner message={actionError} />
      <SaveWarningsBanner warnings={saveWarnings} />
      {lastSyncError ? (
        // Why the last run stopped, or what it missed, where a reload of the page still shows it.
        <div className={`banner ${c.last_sync_status === "FAILED" ? "banner-error" : "banner-warning"}`} data-testid="last-sync-error">
          <strong>
            The last sync, <Link to={`/sync-logs/${c.last_sync_log_id}`}>run #{c.last_sync_log_id}</Link>, ended {c.last_sync_status}:
          </strong>{" "}
          {c.last_sync_error}
          {syncErrorHint(c.last_sync_error) ? <p className="hint">{syncErrorHint(c.last_sync_error)}</p> : null}
        </div>
      ) : null}
      <RunWarningsBanner
        warnings={c.last_sync_warnings}
        heading={
          lastSyncError ? (
            <>Its {warningsLabel(c.last_sync_warnings?.length ?? 0)}:</>
          ) : (
            <>
              The last sync, <Link to={`/sync-logs/${c.last_sync_log_id}`}>run #{c.last_sync_log_id}</Link>, ended {c.last_sync_status} with{" "}
              {warningsLabel(c.last_sync_warnings?.length ?? 0)}:
            </>
          )
        }
      />
      <FailedLoadsNotice connectorId={id} destinations={destinations} />
      {conflict ? (
        <div className="banner banner-warning" role="alert">
          {conflict.message}{" "}
          {conflict.runningId !== null ? (
            <>
              <Link to={`/sync-logs/${conflict.runningId}`}>Open run #{conflict.runningId}</Link>
              {" · "}
              <button type="button" className="link-button" onClick={() => followHere(conflict.runningId!)}>
                follow it here
              </button>
            </>
          ) : null}
        </div>
      ) : null}

      {busy === "test" ? <WaitingForApi testId="test-waiting" /> : null}
      {testResult ? <TestResult result={testResult} focusRef={testRef} stale={testStale} /> : null}
      {syncId !== null ? (
        <div ref={progressRef} tabIndex={-1} className="focus-target">
          <SyncProgress key={syncId} logId={syncId} onFinished={onSyncFinished} onUpdate={setLiveLog} onGone={onSyncGone} canCancel={writer} />
        </div>
      ) : null}
      {editing && writer && hasSourceForm(c.source_type) ? (
        <ConnectorForm
          connector={c}
          onSubmit={save}
          onCancel={closeForm}
          onPreview={(input) => previewSavedConnector(c.id, input)}
          onTestedSettingsChange={setTestedSettingsChanged}
        />
      ) : null}
      {startEditing && !writer ? (
        <div className="banner banner-warning" role="status" data-testid="role-needed">
          {editorRoleNeeded("Editing connectors", me?.role)} The connector&apos;s settings are below.
        </div>
      ) : null}
      {startEditing && writer && !hasSourceForm(c.source_type) ? (
        <div className="banner banner-warning" role="status" data-testid="module-source-notice">
          This connector is read by the <span className="mono">{c.source_type}</span> source of a module: it is edited through its module&apos;s API,
          not with the web UI&apos;s form (which holds the REST source&apos;s settings). Its name, schedule and sync history are here as for any
          connector.
        </div>
      ) : null}

      <section className="card">
        <h2>Details</h2>
        <dl className="details">
          <div>
            <dt>Source</dt>
            <dd>
              {c.source_type === "rest" ? (
                "REST API"
              ) : (
                <>
                  <span className="mono">{c.source_type}</span>{" "}
                  <span className="small muted">
                    (a module&apos;s source: its settings are in that module&apos;s API; the request settings here do not apply
                    {hasSourceForm(c.source_type) ? "" : "; it is edited through its module's API"})
                  </span>
                </>
              )}
            </dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <ActiveBadge active={c.is_active} inactive="paused" />
            </dd>
          </div>
          <div>
            <dt>Frequency</dt>
            <dd>{[frequencyLabel(c.sync_frequency), anchorLabel(c.sync_frequency, c.sync_time, c.sync_weekday)].filter(Boolean).join(" ")}</dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>
              {/* a first sync under way is not "never synced" */}
              {activeRun && !c.last_sync_status ? null : endedRun ? (
                <StatusBadge status={endedRun.status} warnings={endedRun.warnings?.length} />
              ) : (
                <StatusBadge status={c.last_sync_status} warnings={c.last_sync_warnings?.length} />
              )}
              {c.last_sync_at && !endedRun ? <span className="small"> {formatDateTime(c.last_sync_at)}</span> : null}
              {activeRun ? <SyncingNow runId={activeRun.id} log={activeRun.log} first={!c.last_sync_status} /> : null}
            </dd>
          </div>
          <div>
            <dt>Next sync</dt>
            <dd>
              {c.sync_frequency === "MANUAL" ? "manual only" : !c.is_active ? "paused" : c.next_sync_at ? `${formatRelative(c.next_sync_at)} (${formatDateTime(c.next_sync_at)})` : "—"}
            </dd>
          </div>
          <div>
            <dt>Records</dt>
            <dd>
              {/* while a first sync stores its pages, "0" would read as nothing coming */}
              {activeRun && c.records_count === 0 ? null : formatNumber(c.records_count)}
              {activeRun ? <RecordsSoFar log={activeRun.log} alone={c.records_count === 0} /> : null}
            </dd>
          </div>
          <div>
            <dt>API key</dt>
            <dd>{c.has_api_key ? (c.api_key_last4 ? `stored (…${c.api_key_last4})` : "stored") : "none"}</dd>
          </div>
          <div>
            <dt>Authentication</dt>
            <dd>
              {authTypeLabel(c.auth_type)}
              {c.auth_type === "header" && c.auth_header_name ? ` (${c.auth_header_name})` : ""}
              {c.auth_type === "query" && c.auth_param_name ? ` (?${c.auth_param_name}=)` : ""}
              {c.auth_type === "basic" ? ` (user name ${c.has_auth_username ? "stored" : "not set"})` : ""}
              {c.auth_type === "basic_key" ? ` (password ${c.has_auth_password ? "stored" : "not set"})` : ""}
              {c.auth_type === "oauth2" ? ` (${c.oauth_client_id || "no client id"} at ${c.oauth_token_url || "no token URL"}; secret ${c.has_oauth_client_secret ? "stored" : "not set"})` : ""}
              {storedExtraNames(c) ? `; further credentials stored: ${storedExtraNames(c)}` : ""}
            </dd>
          </div>
          <div>
            <dt>Pagination</dt>
            <dd>
              {paginationSummary(c.pagination)}
              {isAutoPagination(c.pagination) && detected ? (
                <span className="detected-pagination">
                  {" "}
                  · detected <strong>{detected.detected_pagination}</strong> by <Link to={`/sync-logs/${detected.id}`}>run #{detected.id}</Link>
                </span>
              ) : null}
              <details className="small">
                <summary>Pagination as JSON</summary>
                <pre className="json-block" tabIndex={0}>{prettyJson(c.pagination)}</pre>
              </details>
            </dd>
          </div>
          <div>
            <dt>Requests</dt>
            <dd>{c.request_method === "POST" ? "POST with a JSON body" : "GET"}</dd>
          </div>
          <div>
            <dt>Incremental</dt>
            <dd>{incrementalSummary(c.incremental)}</dd>
          </div>
          <div>
            <dt>Records path</dt>
            {/* in the words of the form's choices; a path in code type */}
            {c.records_path ? <dd className="mono">{c.records_path}</dd> : <dd>{c.records_path === null ? "Detected automatically" : "The response is the list"}</dd>}
          </div>
          <div>
            <dt>Primary key</dt>
            <dd className="mono">{c.primary_key || "content hash"}</dd>
          </div>
          <LoadedInto connectorId={id} destinations={destinations} />
          <div>
            <dt>Created</dt>
            <dd>
              {formatDateTime(c.created_at)}
              {c.created_by ? ` by ${c.created_by}` : ""}
            </dd>
          </div>
        </dl>
        <details>
          <summary>Transformation rules</summary>
          <pre className="json-block" tabIndex={0}>{prettyJson(c.transformation_rules)}</pre>
        </details>
        {c.records_count > 0 ? <UnmatchedMappings connectorId={id} rules={c.transformation_rules} refreshKey={`${recordsKey} ${c.records_count} ${c.last_sync_at}`} /> : null}
        {c.request_method === "POST" ? (
          <details>
            <summary>Request body</summary>
            <pre className="json-block" tabIndex={0}>{prettyJson(c.request_body)}</pre>
          </details>
        ) : null}
      </section>

      <SyncCharts runs={chartRows} error={chartRuns.error} />

      <section className="card">
        <div className="card-title-row">
          <h2>Sync history</h2>
          <button type="button" className="btn btn-small" onClick={history.reload} aria-busy={history.loading}>
            Refresh
          </button>
        </div>
        <ErrorBanner message={history.error} />
        {history.loading && !history.data ? <Loading /> : null}
        {history.data && shownHistory ? (
          shownHistory.length === 0 ? (
            // a sync being started is not "no syncs": its run is listed once the start answers
            busy === "sync" || busy === "refresh" ? (
              <p className="muted" data-testid="history-starting">
                Starting a sync…
              </p>
            ) : (
              <p className="muted">No syncs yet.</p>
            )
          ) : (
            <>
              <SyncRunsTable runs={shownHistory} label="Sync history" details />
              <Pager
                page={historyPage}
                pageSize={HISTORY_PAGE_SIZE}
                count={history.data.count + (historyLacksFollowed ? 1 : 0)}
                onPage={setHistoryPage}
                label="sync"
              />
            </>
          )
        ) : null}
      </section>

      <ConnectorDataTabs
        connectorId={id}
        refreshKey={recordsKey}
        rules={c.transformation_rules}
        primaryKey={c.primary_key}
        // the run under way, while one is: an empty table then says it stores them, not "sync the
        // connector" (or a failed run's error) while the sync that will store them runs
        lastSync={
          activeRun
            ? { id: activeRun.id, status: activeRun.log?.status ?? "PENDING" }
            : c.last_sync_log_id && c.last_sync_status
              ? { id: c.last_sync_log_id, status: c.last_sync_status }
              : null
        }
      />
    </div>
  );
}

/** The details' word for a sync under way: SYNCING (the first sync) or a line under the last
 * one's status, linking the run. */
function SyncingNow({ runId, log, first }: { runId: number; log: SyncLog | null; first: boolean }) {
  const pending = log?.status === "PENDING";
  return (
    <span data-testid="details-syncing">
      {first ? null : <br />}
      <Badge tone={pending ? "pending" : "running"}>{pending ? "waiting to start" : "syncing"}</Badge>{" "}
      <span className="small">
        {first ? "the first sync" : "now"}, <Link to={`/sync-logs/${runId}`}>run #{runId}</Link>
      </span>
    </span>
  );
}

/** What the sync under way has read so far ("120 of 500 records so far · 3 pages"): the stored
 * count changes only when it ends. `alone`: there is no stored count before it. */
function RecordsSoFar({ log, alone }: { log: SyncLog | null; alone: boolean }) {
  const lead = alone ? "" : " · ";
  if (log === null || log.status === "PENDING")
    return (
      <span className="small muted" data-testid="details-records-so-far">
        {lead}
        {alone ? "none yet: the sync is starting" : "a sync is starting"}
      </span>
    );
  const total = log.records_total != null ? ` of ${formatNumber(log.records_total)}` : "";
  return (
    <span className={alone ? undefined : "small"} data-testid="details-records-so-far">
      {lead}
      {alone ? "" : "syncing: "}
      {formatNumber(log.records_processed)}
      {total} {log.records_processed === 1 && !total ? "record" : "records"} read so far · {formatCount(log.pages_fetched, "page")}
    </span>
  );
}

/** Records processed and duration of the latest runs, oldest first, coloured by status. */
function SyncCharts({ runs, error }: { runs: SyncLog[] | null; error: string | null }) {
  if (error) return <ErrorBanner message={error} />;
  if (!runs || runs.length === 0) return null;
  const chronological = [...runs].reverse();
  const bars = (value: (log: SyncLog) => number, key: string) =>
    chronological.map((log) => ({ label: `#${log.id}`, segments: [{ key: `${key} (${log.status})`, value: value(log), colour: STATUS_COLOURS[log.status] }] }));
  return (
    <section className="card charts" aria-labelledby="history-charts-heading">
      <h2 id="history-charts-heading">{chronological.length === 1 ? "Records and duration of the latest sync" : `Records and duration of the latest ${chronological.length} syncs`}</h2>
      <div className="chart-row">
        <BarChart title="Records processed per sync" unit="records" integer markZero bars={bars((log) => log.records_processed, "records")} testId="chart-records" />
        <BarChart title="Duration per sync (seconds)" unit="s" markZero bars={bars((log) => log.duration_seconds ?? 0, "seconds")} testId="chart-duration" />
      </div>
      <ul className="chart-legend" aria-label="Status colours">
        {statusLegend(chronological.map((log) => log.status)).map((item) => (
          <li key={item.key}>
            <span className="legend-swatch" style={{ background: item.colour }} aria-hidden="true" />
            {item.key}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** How a connection test ended: its class, heading and badge. A test that got a success status
 * (2xx) reached the API and failed on what came back (no records where expected, an error in the
 * body): "not connected" would send the user after the network or the key instead. An API that
 * answered with an error status was reached too: the heading says what it answered. */
function testOutcome(result: ConnectionResult): readonly ["ok" | "paused" | "failed", string, string, string] {
  if (result.connected) return ["ok", "Connected", "badge-success", "OK"];
  // Nothing sent (the connector is paused by the API's rate limit): no verdict on the connection.
  // (its message begins "Not tested:": the heading says why instead of the same words again)
  if (result.tested === false) return ["paused", "Waiting for the API's rate limit", "badge-partial", "PAUSED"];
  const code = result.status_code;
  // The API answered and asked to slow down: a limit on how often it is asked, not a failure of
  // the connector's settings.
  if (code === 429) return ["paused", answeredHeading(code) ?? "", "badge-partial", "RATE LIMITED"];
  if (code && code >= 200 && code < 300) return ["failed", "Connected, but the answer is not usable", "badge-failed", "FAILED"];
  return ["failed", answeredHeading(code) ?? "Not connected", "badge-failed", "FAILED"];
}

// The words the API says a test connected with ("Connection successful", the seed contract's):
// under the "Connected" heading they would say it twice.
const SAYS_CONNECTED = /^\s*(connection successful|connected)\s*[.!]?\s*$/i;

/** The test's message when it adds something to its heading; null when it says the same. */
function testMessage(result: ConnectionResult): string | null {
  return result.connected && SAYS_CONNECTED.test(result.message) ? null : result.message;
}

/** When to test again after the API asked to slow down (`retry_after` seconds from `answeredAt`). */
function retryText(retryAfter: number, answeredAt: number): string {
  const { clock, wait } = retryClock(retryAfter, answeredAt);
  return `Try again after ${clock} (in ${wait}): until then every request of this connector is paused.`;
}

/** What a screen reader hears when a connection test ends: its heading, then what it adds. */
function testAnnouncement(result: ConnectionResult): string {
  if (result.tested === false) return result.message;
  const message = testMessage(result);
  return message ? `${testOutcome(result)[1]}: ${message}` : testOutcome(result)[1];
}

function TestResult({ result, focusRef, stale }: { result: ConnectionResult; focusRef: React.RefObject<HTMLElement | null>; stale: boolean }) {
  const [outcome, heading, badge, word] = testOutcome(result);
  const message = testMessage(result);
  // the moment the answer came, for "try again after" (kept while the result is shown)
  const [answeredAt] = useState(() => Date.now());
  const retryAfter = result.tested !== false && result.retry_after ? result.retry_after : null;
  const hint = result.connected || result.tested === false ? null : failureHint(result.message, result.status_code, retryAfter !== null);
  return (
    <section ref={focusRef} tabIndex={-1} className={`card test-result ${outcome}${stale ? " stale" : ""}`} aria-label="Connection test" data-testid="test-result">
      <div className="card-title-row">
        <h2>{heading}</h2>
        <span className={`badge ${badge}`}>{word}</span>
        {stale ? <Badge tone="none">stale</Badge> : null}
      </div>
      {stale ? (
        <p className="stale-note" data-testid="test-stale">
          This tested the saved settings. The endpoint, authentication or request settings changed in the form below are not tested: save
          them, then test again.
        </p>
      ) : null}
      {retryAfter ? <p data-testid="test-retry-after">{retryText(retryAfter, answeredAt)}</p> : null}
      {message ? <p>{message}</p> : null}
      {hint ? <p className="hint">{hint}</p> : null}
      <dl className="counters">
        <div>
          <dt>Response time</dt>
          <dd>{result.response_time_ms === null ? "—" : `${result.response_time_ms.toFixed(1)} ms`}</dd>
        </div>
        <div>
          <dt>Status code</dt>
          <dd>{result.status_code ?? "—"}</dd>
        </div>
        <div>
          <dt>Endpoint</dt>
          {/* breaks after a / or : on a phone, not within the port ("…:894" / "2/users") */}
          <dd className="mono break">
            <ConnectionText text={result.endpoint} />
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** Whether a connector's pagination leaves the style to detection (``{"type": "auto"}`` or none). */
function isAutoPagination(pagination: unknown): boolean {
  if (pagination === null || pagination === undefined) return true;
  if (typeof pagination !== "object" || Array.isArray(pagination)) return false;
  const type = (pagination as { type?: unknown }).type;
  return type === undefined || type === "auto";
}

