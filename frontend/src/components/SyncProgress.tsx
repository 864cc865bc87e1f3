import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";

import { cancelSync } from "../api/api";
import { errorMessage } from "../api/client";
import type { SyncLog, SyncLogDetail } from "../api/types";
import { isActiveStatus } from "../api/types";
import { useAnnounce } from "../announce";
import { formatCount, formatNumber } from "../format";
import { useSyncLogPolling } from "../hooks";
import { ErrorBanner, StatusBadge } from "./common";
import { useConfirm, type ConfirmRequest } from "./ConfirmDialog";
import { runWarningsCount } from "./RunOutcome";
import { EventLog } from "./EventLog";
import { LiveStats } from "./LiveStats";
import { RateLimitPause } from "./RateLimitPause";
import { syncErrorHint } from "./UpstreamError";

/** The question before a run is cancelled: what stops, and what happens to what it already stored
 * (kept: pages are committed one by one, nothing is rolled back; resumable; no destination load). */
export function cancelSyncQuestion(logId: number, log: SyncLog | null): ConfirmRequest {
  const name = log?.connector_name ? ` of ${log.connector_name}` : "";
  const title = `Cancel run #${logId}${name}?`;
  const keep = { confirmLabel: "Cancel the sync", cancelLabel: "Keep it running" };
  if (log?.status === "PENDING")
    return { title, ...keep, body: "It has not started: nothing has been fetched or stored yet. It ends CANCELLED at once and stays in the history." };
  const soFar = log ? ` (so far ${formatCount(log.records_processed, "record")} read from ${formatCount(log.pages_fetched, "page")})` : "";
  return {
    title,
    ...keep,
    body: (
      <>
        <p>It stops within about a second; the page it is reading when it stops is dropped.</p>
        <p>
          <strong>Records already committed stay stored</strong>: each page is committed as it is read and nothing is rolled back{soFar}. The
          connector&apos;s records show them, and <strong>Resume from the checkpoint</strong> on the run&apos;s page continues after the last
          committed page.
        </p>
        <p>
          Destinations load after a sync that ends SUCCESS or PARTIAL, so they get these records with the next such sync.
          {log?.full_refresh ? " Cancelled, this full refresh marks no record deleted." : ""}
        </p>
      </>
    ),
  };
}

/** A sync run followed live: status, elapsed time, pages, records, records/s and its log lines,
 * polled every second until it finishes; with `canCancel`, a button cancels it where it is watched
 * (committed pages are kept and the run can be resumed, as from the run's page). */
export function SyncProgress({
  logId,
  onFinished,
  onUpdate,
  canCancel = false,
  onGone,
}: {
  logId: number;
  onFinished?: (log: SyncLogDetail) => void;
  /** Every fresh copy of the log, e.g. to show it in a history table. */
  onUpdate?: (log: SyncLogDetail) => void;
  /** The user may cancel the run (an editor or more). */
  canCancel?: boolean;
  /** Called once when the run is gone (a 404 while it was followed): it will not finish. */
  onGone?: (logId: number) => void;
}) {
  const { log, error, missing } = useSyncLogPolling(logId, onFinished, onUpdate);
  // A run that is gone (a 404: deleted with its connector) is no longer followed nor running here.
  const running = missing ? false : log ? isActiveStatus(log.status) : true;
  const goneRef = useRef(onGone);
  goneRef.current = onGone;
  useEffect(() => {
    if (missing) goneRef.current?.(logId);
  }, [missing, logId]);
  const announce = useAnnounce();
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const { confirm, dialog } = useConfirm();

  // Cancel sync had the focus: when the run ends, the button goes and the focus with it; the run's
  // title row takes it then, so a keyboard user stays where the run is.
  const cancelFocused = useRef(false);
  const titleRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!running && cancelFocused.current && (!document.activeElement || document.activeElement === document.body)) titleRef.current?.focus();
    if (!running) cancelFocused.current = false;
  }, [running]);

  // The button is disabled while the cancel is sent, and gone once the run stops: the title row
  // takes the focus (after the question's dialog gave it back, the page no longer inert).
  useEffect(() => {
    if (cancelling) titleRef.current?.focus();
  }, [cancelling]);

  async function cancel() {
    if (!(await confirm(cancelSyncQuestion(logId, log)))) return;
    setCancelling(true);
    setCancelError(null);
    try {
      await cancelSync(logId);
      announce(`Cancelling run #${logId}.`);
    } catch (err) {
      setCancelError(errorMessage(err));
      setCancelling(false);
    }
  }
  return (
    <section className="card sync-progress" aria-label="Sync progress" data-testid="sync-progress" aria-busy={running}>
      {dialog}
      <div className="card-title-row" ref={titleRef} tabIndex={-1}>
        <h2>
          Sync, <Link to={`/sync-logs/${logId}`}>run #{logId}</Link>
        </h2>
        {log && !missing ? <StatusBadge status={log.status} warnings={runWarningsCount(log)} retries={log.retries} /> : null}
        {running ? <span className="spinner" aria-hidden="true" /> : null}
        {canCancel && log && running ? (
          <button
            type="button"
            className="btn btn-danger btn-small push-right"
            disabled={cancelling}
            onClick={() => void cancel()}
            onFocus={() => (cancelFocused.current = true)}
            onBlur={(event) => (cancelFocused.current = event.relatedTarget === null)}
          >
            {cancelling ? "Cancelling…" : "Cancel sync"}
          </button>
        ) : null}
      </div>
      {missing ? (
        <div className="banner banner-error" role="alert" data-testid="run-gone">
          <p>
            Run #{logId} is gone: it no longer exists in this tenant, most likely because its connector was deleted (in another tab, or by
            someone else). It is no longer followed.
          </p>
          {log ? <p>Last seen {log.status.toLowerCase()}, {formatCount(log.records_processed, "record")} read.</p> : null}
        </div>
      ) : (
        <ErrorBanner message={error} />
      )}
      <ErrorBanner message={cancelError} />
      {missing ? null : log ? (
        <>
          <RateLimitPause log={log} />
          <LiveStats log={log} />
          <p className="small muted">
            Created {formatNumber(log.records_created)} · updated {formatNumber(log.records_updated)} · unchanged{" "}
            {formatNumber(log.records_unchanged)} · quarantined {formatNumber(log.records_failed)}
          </p>
          <details open={running}>
            <summary>Log lines</summary>
            <EventLog events={log.events} follow={running} label={`Log of run #${logId}`} />
          </details>
        </>
      ) : (
        <p className="muted">Waiting for the sync…</p>
      )}
      {log?.error_message ? <p className="error-text">{log.error_message}</p> : null}
      {syncErrorHint(log?.error_message) ? <p className="hint">{syncErrorHint(log?.error_message)}</p> : null}
    </section>
  );
}
