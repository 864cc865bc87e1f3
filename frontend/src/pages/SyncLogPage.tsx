import { lostFormatText } from "../components/schemaWords";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { cancelSync, listSyncEvents, listSyncHistory, resumeSync, runningSyncIdOf, startSync } from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import { isActiveStatus, type SchemaChange, type SyncLog, type SyncLogEvent } from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { canWrite, useAuth } from "../auth";
import { ErrorBanner, LoadingPage, StatusBadge } from "../components/common";
import { useConfirm } from "../components/ConfirmDialog";
import { RunWarningsBanner, STATUS_MEANINGS, runOutcome, runWarningsCount, warningsLabel } from "../components/RunOutcome";
import { EventLog } from "../components/EventLog";
import { LiveStats } from "../components/LiveStats";
import { Quarantine } from "../components/Quarantine";
import { RateLimitPause } from "../components/RateLimitPause";
import { syncErrorHint } from "../components/UpstreamError";
import { cancelSyncQuestion } from "../components/SyncProgress";
import { formatDateTime, formatNumber, formatSeconds, triggerLabel } from "../format";
import { useSyncLogPolling } from "../hooks";
import { useSyncWatch } from "../syncWatch";
import { NotFoundPage } from "./NotFoundPage";
import { MissingNotice } from "../components/LoadFailure";

/** The detail answer carries the latest 200 log lines; older ones come from events/ on request. */
export const DETAIL_EVENT_LIMIT = 200;

/** A full refresh the engine failed because it got no records while records are stored (an empty
 * answer is more often an error answered as a success): the API says so in `refused_as_empty`. */
export function isEmptyRefreshRefusal(log: Pick<SyncLog, "status" | "refused_as_empty">): boolean {
  return log.status === "FAILED" && log.refused_as_empty === true;
}

export function SyncLogPage() {
  const params = useParams();
  const id = Number(params.id);
  if (!/^\d+$/.test(params.id ?? "") || !Number.isSafeInteger(id) || id <= 0) return <NotFoundPage />;
  return <SyncLogView key={id} id={id} />;
}

function SyncLogView({ id }: { id: number }) {
  usePageTitle(`Run #${id}`);
  const { me } = useAuth();
  const navigate = useNavigate();
  const announce = useAnnounce();
  const { watch } = useSyncWatch();
  const writer = canWrite(me?.role);
  // One request a second while it runs: the detail has the counters and the latest log lines.
  const { log, error, missing, refresh } = useSyncLogPolling(id, (finished) => announce(`Run #${finished.id} ended: ${runOutcome(finished)}.`));
  const { confirm, dialog } = useConfirm();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [conflictId, setConflictId] = useState<number | null>(null);
  const [allEvents, setAllEvents] = useState<SyncLogEvent[] | null>(null);
  const [loadingAll, setLoadingAll] = useState(false);
  const statusRef = useRef<HTMLDivElement>(null);
  const previousStatus = useRef<string | null>(null);
  // The connector's latest run, asked only for a run refused for getting no records: marking every
  // record deleted is offered only while no newer run exists (the fact resume is refused on too).
  const [latestRunId, setLatestRunId] = useState<number | null>(null);
  const emptyRefusal = log !== null && isEmptyRefreshRefusal(log);
  const connectorId = log?.connector;

  useEffect(() => {
    if (!emptyRefusal || !writer || connectorId === undefined) return;
    let current = true;
    listSyncHistory(connectorId, { page_size: 1 })
      .then((page) => {
        if (current) setLatestRunId(page.results[0]?.id ?? null);
      })
      .catch(() => {
        if (current) setLatestRunId(null); // unknown: the destructive action is not offered
      });
    return () => {
      current = false;
    };
  }, [emptyRefusal, writer, connectorId]);

  // Cancel sync had the focus: when the run ends, the button goes and the focus with it.
  const cancelFocused = useRef(false);
  useEffect(() => {
    if (log && previousStatus.current && previousStatus.current !== log.status) {
      announce(`Run #${log.id} is now ${log.status}.`);
      // a keyboard user on Cancel sync is left on nothing: the run's status takes the focus instead
      if (!isActiveStatus(log.status) && cancelFocused.current && (!document.activeElement || document.activeElement === document.body)) {
        statusRef.current?.focus();
      }
    }
    previousStatus.current = log?.status ?? null;
  }, [log, announce]);

  async function act(action: "cancel" | "resume" | "new" | "empty") {
    if (action === "cancel" && !(await confirm(cancelSyncQuestion(id, log)))) return;
    setBusy(true);
    setActionError(null);
    setConflictId(null);
    try {
      if (action === "cancel") {
        await cancelSync(id);
        announce(`Cancelling run #${id}.`);
      } else if (action === "resume") {
        await resumeSync(id);
        watch(id);
        announce(`Run #${id} resumed.`);
      } else if (log) {
        const empty = action === "empty"; // a full refresh that may conclude the source is empty
        const started = await startSync(log.connector, empty, empty);
        watch(started.id);
        navigate(`/sync-logs/${started.id}`);
        return;
      }
      refresh();
      statusRef.current?.focus(); // the clicked button goes away: focus the status instead
    } catch (err) {
      setActionError(errorMessage(err));
      if (err instanceof ApiError && err.status === 409) setConflictId(runningSyncIdOf(err.body));
    } finally {
      setBusy(false);
    }
  }

  /** The source really emptied: only after the user confirms what it deletes. */
  async function refreshAsEmpty() {
    if (!log) return;
    const confirmed = await confirm({
      title: `Mark every record of ${log.connector_name} deleted?`,
      body:
        "A full refresh runs again, allowed to get no records. If the API still answers an empty list, every record " +
        "stored for this connector is marked deleted, and destinations loading it delete those rows (or mark them, as " +
        "each destination is set up). Do this only when the source really is empty: an expired key or a wrong " +
        "endpoint can also answer an empty list.",
      confirmLabel: "Run it and mark every record deleted",
    });
    if (confirmed) await act("empty");
  }

  async function loadAllEvents() {
    setLoadingAll(true);
    try {
      const lines: SyncLogEvent[] = [];
      for (let page = 1; ; page += 1) {
        const batch = await listSyncEvents(id, { page, page_size: 500 });
        lines.push(...batch.results);
        if (!batch.next) break;
      }
      setAllEvents(lines);
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setLoadingAll(false);
    }
  }

  if (!log) {
    return error ? (
      <div className="page">
        <h1>Run #{id}</h1>
        {missing ? (
          <MissingNotice what={`Sync run #${id}`} back="/syncs" backLabel="← All syncs" />
        ) : (
          <>
            <ErrorBanner message={error} />
            <Link to="/syncs">← All syncs</Link>
          </>
        )}
      </div>
    ) : (
      <LoadingPage title={`Run #${id}`} label="Loading the sync…" />
    );
  }

  const active = isActiveStatus(log.status);
  const events = allEvents && !active ? allEvents : log.events;

  return (
    <div className="page">
      <Link to={`/connectors/${log.connector}`} className="back-link">
        ← {log.connector_name}
      </Link>
      <div className="page-header">
        <div className="card-title-row" ref={statusRef} tabIndex={-1}>
          <h1>Run #{log.id}</h1>
          <StatusBadge status={log.status} warnings={runWarningsCount(log)} retries={log.retries} />
          {active ? <span className="spinner" aria-hidden="true" /> : null}
        </div>
        {writer ? (
          <div className="actions">
            {active ? (
              <button
                type="button"
                className="btn btn-danger"
                disabled={busy}
                onClick={() => void act("cancel")}
                onFocus={() => (cancelFocused.current = true)}
                onBlur={(event) => (cancelFocused.current = event.relatedTarget === null)}
              >
                Cancel sync
              </button>
            ) : null}
            {log.can_resume ? (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void act("resume")}>
                Resume from the checkpoint
              </button>
            ) : null}
            {!active ? (
              <button type="button" className={`btn${log.can_resume ? "" : " btn-primary"}`} disabled={busy} onClick={() => void act("new")}>
                Start a new sync
              </button>
            ) : null}
            {emptyRefusal && latestRunId === log.id ? (
              <button type="button" className="btn btn-danger btn-wrap" disabled={busy} onClick={() => void refreshAsEmpty()}>
                The source really is empty: run a full refresh that marks every stored record deleted
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {dialog}
      {/* What stopped the run first, its warnings after (its retries are no warnings: the log lists them). */}
      {log.error_message ? (
        <div className="banner banner-error" role="alert">
          <strong>Error:</strong> {log.error_message}
          {syncErrorHint(log.error_message) ? <p className="hint">{syncErrorHint(log.error_message)}</p> : null}
        </div>
      ) : null}
      {!active ? (
        <RunWarningsBanner
          warnings={log.warnings}
          heading={
            log.status === "SUCCESS" || log.status === "PARTIAL"
              ? `This run ended ${log.status} with ${warningsLabel(runWarningsCount(log))}: read them before trusting its data.`
              : `This run ended ${log.status} with ${warningsLabel(runWarningsCount(log))}:`
          }
        />
      ) : null}
      {log.status === "PARTIAL" ? <p className="muted small">{STATUS_MEANINGS.PARTIAL}</p> : null}
      {/* Why there is no Resume, once what stopped the run is said. */}
      {!active && (log.status === "FAILED" || log.status === "CANCELLED") && !log.can_resume ? (
        <p className="muted small">
          {log.cannot_resume_reason ? (
            <>
              <strong>Cannot resume:</strong> {log.cannot_resume_reason}
            </>
          ) : (
            "This sync cannot be resumed (no checkpoint, or a newer sync exists): start a new one."
          )}
        </p>
      ) : null}
      <RateLimitPause log={log} />
      <ErrorBanner message={error} />
      <ErrorBanner message={actionError}>
        {conflictId !== null ? (
          <>
            {" "}
            <Link to={`/sync-logs/${conflictId}`}>Open run #{conflictId}</Link>
          </>
        ) : null}
      </ErrorBanner>

      <section className="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">Progress</h2>
        <LiveStats log={log} />
        <dl className="counters">
          <Counter label="Created" value={formatNumber(log.records_created)} />
          <Counter label="Updated" value={formatNumber(log.records_updated)} />
          <Counter label="Unchanged" value={formatNumber(log.records_unchanged)} />
          <Counter label="Quarantined" value={formatNumber(log.records_failed)} />
          {log.full_refresh || log.records_deleted ? <Counter label="Deleted" value={formatNumber(log.records_deleted ?? 0)} /> : null}
          {/* Not the requests' attempts an error names ("after 5 attempts"): the run's own starts. */}
          <Counter label="Run attempts" value={formatNumber(log.attempts)} />
          {log.retries !== undefined ? <Counter label="Retried requests" value={formatNumber(log.retries)} /> : null}
          {(log.rate_limit_wait_seconds ?? 0) >= 1 ? <Counter label="Waited for rate limit" value={formatSeconds(log.rate_limit_wait_seconds)} /> : null}
        </dl>
        <dl className="details run-details">
          <div>
            <dt>Triggered by</dt>
            <dd>
              {triggerLabel(log.triggered_by)}
              {log.full_refresh ? (log.allow_empty ? " (full refresh, allowed to be empty)" : " (full refresh)") : ""}
            </dd>
          </div>
          <div>
            {/* Not "Created": the counter above is the records created; this is when the run was queued. */}
            <dt>Queued</dt>
            <dd>{formatDateTime(log.created_at)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(log.started_at)}</dd>
          </div>
          {log.resumed_at ? (
            <div>
              <dt>Resumed</dt>
              <dd>{formatDateTime(log.resumed_at)}</dd>
            </div>
          ) : null}
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(log.finished_at)}</dd>
          </div>
          <div>
            <dt>Pagination</dt>
            <dd>{log.detected_pagination || "—"}</dd>
          </div>
        </dl>
      </section>

      {log.schema_changes && log.schema_changes.length > 0 ? <SchemaChanges changes={log.schema_changes} /> : null}

      <section className="card" aria-labelledby="log-heading">
        <h2 id="log-heading">Log</h2>
        <EventLog events={events} follow={active} label={`Log of run #${log.id}`} />
        {!active && allEvents === null && log.events.length >= DETAIL_EVENT_LIMIT ? (
          <button type="button" className="btn btn-small" disabled={loadingAll} onClick={() => void loadAllEvents()}>
            {loadingAll ? "Loading…" : "Show the older lines too"}
          </button>
        ) : null}
      </section>

      <section className="card" aria-labelledby="quarantine-heading">
        <h2 id="quarantine-heading">Quarantined records</h2>
        <Quarantine logId={log.id} failed={log.records_failed} />
      </section>
    </div>
  );
}

const CHANGE_WORDS: Record<SchemaChange["change"], (change: SchemaChange) => string> = {
  added: (change) => `new (${change.after.join(", ")})`,
  removed: () => "no live record has it any more",
  types: (change) => `${change.before.join(", ")} → ${change.after.join(", ")}`,
  formats: (change) => lostFormatText(change.before, change.after),
};

/** A field that took another type (other than null) or lost a format: readers may trip on it. */
function isBreaking(change: SchemaChange): boolean {
  if (change.change === "formats") return true;
  return change.change === "types" && change.after.some((type) => type !== "null" && !change.before.includes(type));
}

function SchemaChanges({ changes }: { changes: SchemaChange[] }) {
  return (
    <section className="card" aria-labelledby="schema-changes-heading">
      <h2 id="schema-changes-heading">Schema changes</h2>
      <p className="muted small">How the pages this run stored changed the connector&apos;s inferred schema.</p>
      <ul className="schema-changes">
        {changes.map((change) => (
          <li key={`${change.change}:${change.path}`}>
            <code>{change.path}</code>: {CHANGE_WORDS[change.change](change)}
            {isBreaking(change) ? <strong className="schema-change-breaking"> (another type: check the columns and readers that use it)</strong> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Counter({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
