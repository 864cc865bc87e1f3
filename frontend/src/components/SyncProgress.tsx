import { Link } from "react-router-dom";

import type { SyncLogDetail } from "../api/types";
import { isActiveStatus } from "../api/types";
import { formatNumber, formatSeconds } from "../format";
import { useSyncLogPolling } from "../hooks";
import { ErrorBanner, StatusBadge } from "./common";

/** A sync run followed live: status and counters, polled every second until it finishes. */
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
    <section className="card sync-progress" aria-label="Sync progress" data-testid="sync-progress">
      <div className="card-title-row">
        <h3>
          Sync <Link to={`/sync-logs/${logId}`}>#{logId}</Link>
        </h3>
        {log ? <StatusBadge status={log.status} /> : null}
        {running ? <span className="spinner" aria-hidden="true" /> : null}
      </div>
      <ErrorBanner message={error} />
      {log ? (
        <dl className="counters">
          <div>
            <dt>Records processed</dt>
            <dd data-testid="records-processed">{formatNumber(log.records_processed)}</dd>
          </div>
          <div>
            <dt>Pages fetched</dt>
            <dd data-testid="pages-fetched">{formatNumber(log.pages_fetched)}</dd>
          </div>
          <div>
            <dt>Created / updated / unchanged</dt>
            <dd>
              {formatNumber(log.records_created)} / {formatNumber(log.records_updated)} /{" "}
              {formatNumber(log.records_unchanged)}
            </dd>
          </div>
          <div>
            <dt>Quarantined</dt>
            <dd>{formatNumber(log.records_failed)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatSeconds(log.duration_seconds)}</dd>
          </div>
        </dl>
      ) : (
        <p className="muted">Waiting for the sync…</p>
      )}
      {log?.error_message ? <p className="error-text">{log.error_message}</p> : null}
    </section>
  );
}
