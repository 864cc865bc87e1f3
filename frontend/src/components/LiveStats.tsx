import { useEffect, useState } from "react";

import type { SyncLog } from "../api/types";
import { isActiveStatus } from "../api/types";
import { formatCount, formatNumber, formatPerSecond, formatSeconds, formatTimeLeft } from "../format";

/** Seconds a run has taken: its duration once finished, else the time since it started (a resumed
 * run: its earlier attempts' duration and the time since it resumed, not the time it was stopped). */
export function elapsedSeconds(log: SyncLog, now: number): number | null {
  if (log.duration_seconds !== null && !isActiveStatus(log.status)) return log.duration_seconds;
  const since = log.resumed_at ?? log.started_at;
  if (!since) return null;
  const before = log.resumed_at ? (log.duration_seconds ?? 0) : 0;
  return before + Math.max(0, (now - new Date(since).getTime()) / 1000);
}

export function recordsPerSecond(log: SyncLog, now: number): number | null {
  const seconds = elapsedSeconds(log, now);
  if (!seconds || seconds <= 0) return null;
  return log.records_processed / seconds;
}

/** Whether a running sync will stop at its page limit (`page_cap`: max pages per sync) before the
 * total the upstream announced, at the records per page so far: its progress is then in pages, of
 * that limit; the announced total would promise minutes of a sync that ends in seconds. */
export function stopsAtPageCap(log: SyncLog): boolean {
  const cap = log.page_cap;
  const total = log.records_total;
  if (!isActiveStatus(log.status) || !cap || !total || log.pages_fetched <= 0) return false;
  return (log.records_processed / log.pages_fetched) * cap < total;
}

/** The share of the upstream's announced total synced so far (0-100), or of the page limit for a
 * sync that stops there first; null when no total is known. The total is what the upstream said
 * when the sync began: the count may pass it. */
export function progressPercent(log: SyncLog): number | null {
  if (stopsAtPageCap(log)) return Math.min(100, (100 * log.pages_fetched) / (log.page_cap ?? 1));
  const total = log.records_total;
  if (total === null || total === undefined || total <= 0) return null;
  return Math.min(100, (100 * log.records_processed) / total);
}

/** Seconds until a running sync reaches the upstream's announced total at its rate so far; null
 * when it cannot be told (no total, not running, nothing synced yet), 0 once the count reached it. */
export function secondsLeft(log: SyncLog, now: number): number | null {
  if (stopsAtPageCap(log)) {
    const pagesLeft = (log.page_cap ?? 0) - log.pages_fetched;
    const seconds = elapsedSeconds(log, now);
    if (pagesLeft <= 0) return 0;
    return seconds ? (pagesLeft * seconds) / log.pages_fetched : null;
  }
  const total = log.records_total;
  if (!isActiveStatus(log.status) || total === null || total === undefined || total <= 0) return null;
  const left = total - log.records_processed;
  if (left <= 0) return 0;
  const rate = recordsPerSecond(log, now);
  if (rate === null || rate <= 0) return null;
  return left / rate;
}

/** Elapsed time, pages, records, records/s and, when the upstream announced a total
 * (`records_total`), a progress bar and the time left while the sync runs. */
export function LiveStats({ log }: { log: SyncLog }) {
  const running = isActiveStatus(log.status);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  const elapsed = elapsedSeconds(log, now);
  const rate = recordsPerSecond(log, now);
  const percent = progressPercent(log);
  const left = secondsLeft(log, now);
  const total = log.records_total ?? 0;
  const capped = stopsAtPageCap(log);
  const cap = log.page_cap ?? 0;
  const label = capped
    ? `${formatNumber(log.pages_fetched)} of ${formatCount(cap, "page")} (${Math.floor(percent ?? 0)} %): stops at max pages per sync, short of the ${formatCount(total, "record")} announced`
    : `${formatNumber(log.records_processed)} of ${formatCount(total, "record")} (${Math.floor(percent ?? 0)} %)`;
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
          <dd data-testid="records-per-second">{rate === null || log.records_processed === 0 ? "—" : formatPerSecond(rate)}</dd>
        </div>
        {running && percent !== null ? (
          <div>
            <dt title={capped ? "At the rate so far, until the sync's page limit" : "At the rate so far, until the total the upstream announced"}>Time left</dt>
            <dd data-testid="time-left">{left === 0 ? "finishing" : formatTimeLeft(left)}</dd>
          </div>
        ) : null}
      </dl>
      {percent !== null ? (
        <div className="progress" data-testid="sync-progress-bar">
          <div
            className="progress-track"
            role="progressbar"
            aria-label={capped ? "Pages fetched of the sync's page limit" : "Records synced of the announced total"}
            aria-valuemin={0}
            aria-valuemax={capped ? cap : total}
            aria-valuenow={capped ? Math.min(log.pages_fetched, cap) : Math.min(log.records_processed, total)}
            aria-valuetext={label}
          >
            <div className="progress-fill" style={{ width: `${percent}%` }} />
          </div>
          <span className="small" aria-hidden="true">
            {label}
          </span>
        </div>
      ) : null}
    </div>
  );
}
