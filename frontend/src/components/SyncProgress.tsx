import { Link } from "react-router-dom";

import type { SyncLogDetail } from "../api/types";
import { isActiveStatus } from "../api/types";
import { formatNumber } from "../format";
import { useSyncLogPolling } from "../hooks";
import { ErrorBanner, StatusBadge } from "./common";
import { runWarningsCount } from "./RunOutcome";
import { EventLog } from "./EventLog";
import { LiveStats } from "./LiveStats";
import { RateLimitPause } from "./RateLimitPause";
import { syncErrorHint } from "./UpstreamError";

/** A sync run followed live: status, elapsed time, pages, records, records/s and its log lines,
 * polled every second until it finishes. */
export function SyncProgress({
  logId,
  onFinished,
  onUpdate,
}: {
  logId: number;
  onFinished?: (log: SyncLogDetail) => void;
  /** Every fresh copy of the log, e.g. to show it in a history table. */
  onUpdate?: (log: SyncLogDetail) => void;
}) {
  const { log, error } = useSyncLogPolling(logId, onFinished, onUpdate);
  const running = log ? isActiveStatus(log.status) : true;
  return (
    <section className="card sync-progress" aria-label="Sync progress" data-testid="sync-progress" aria-busy={running}>
      <div className="card-title-row">
        <h2>
          Sync, <Link to={`/sync-logs/${logId}`}>run #{logId}</Link>
        </h2>
        {log ? <StatusBadge status={log.status} warnings={runWarningsCount(log)} /> : null}
        {running ? <span className="spinner" aria-hidden="true" /> : null}
      </div>
      <ErrorBanner message={error} />
      {log ? (
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
