import { useEffect, useState } from "react";

import type { SyncLog } from "../api/types";
import { isActiveStatus } from "../api/types";
import { formatNumber, formatSeconds } from "../format";

/** Seconds a run has taken: its duration once finished, else the time since it started. */
export function elapsedSeconds(log: SyncLog, now: number): number | null {
  if (log.duration_seconds !== null && !isActiveStatus(log.status)) return log.duration_seconds;
  if (!log.started_at) return null;
  return Math.max(0, (now - new Date(log.started_at).getTime()) / 1000);
}

export function recordsPerSecond(log: SyncLog, now: number): number | null {
  const seconds = elapsedSeconds(log, now);
  if (!seconds || seconds <= 0) return null;
  return log.records_processed / seconds;
}

/** Elapsed time, pages, records, records/s and, when a total is known, a progress bar. The
 * API does not report an upstream total yet, so the bar shows only when `total` is given. */
export function LiveStats({ log, total }: { log: SyncLog; total?: number | null }) {
  const running = isActiveStatus(log.status);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  const elapsed = elapsedSeconds(log, now);
  const rate = recordsPerSecond(log, now);
  const percent = total && total > 0 ? Math.min(100, (100 * log.records_processed) / total) : null;
  return (
    <div className="live-stats">
      <dl className="counters">
        <div>
          <dt>Elapsed</dt>
          <dd data-testid="elapsed">{formatSeconds(elapsed)}</dd>
        </div>
        <div>
          <dt>Pages</dt>
          <dd data-testid="pages-fetched">{formatNumber(log.pages_fetched)}</dd>
        </div>
        <div>
          <dt>Records</dt>
          <dd data-testid="records-processed">{formatNumber(log.records_processed)}</dd>
        </div>
        <div>
          <dt>Records/s</dt>
          <dd data-testid="records-per-second">{rate === null ? "—" : formatNumber(Math.round(rate))}</dd>
        </div>
      </dl>
      {percent !== null ? (
        <div className="progress">
          <progress max={100} value={percent} aria-label="Records synced of the total" />
          <span className="small">
            {formatNumber(log.records_processed)} of {formatNumber(total ?? 0)} ({percent.toFixed(0)} %)
          </span>
        </div>
      ) : null}
    </div>
  );
}
