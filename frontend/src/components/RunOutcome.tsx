import type { ReactNode } from "react";

import type { Connector, SyncLog, SyncStatus } from "../api/types";
import { formatCount, formatNumber } from "../format";

/** What each status means, for a badge's title and the run page: PARTIAL is not "some records
 * quarantined" only, it is also a run that could not fetch everything. */
export const STATUS_MEANINGS: Record<SyncStatus, string> = {
  PENDING: "Pending: queued, not started yet.",
  RUNNING: "Running.",
  SUCCESS: "Success: every page was fetched and every record stored.",
  PARTIAL:
    "Partial: what was fetched is stored, but the run did not get everything: it stopped before the last page (max_pages, an upstream total it did not reach, errors beside records) or quarantined records.",
  FAILED: "Failed: the run stopped on an error; the pages it committed are kept.",
  CANCELLED:
    "Cancelled: stopped on request (a page in flight is given up) or as its worker stopped; the pages it committed are kept.",
};

/** "1 warning", "3 warnings". */
export function warningsLabel(count: number): string {
  return formatCount(count, "warning");
}

/** The warnings a run reported (0 for an older API without the count). */
export function runWarningsCount(log: Pick<SyncLog, "warnings" | "warnings_count">): number {
  return log.warnings_count ?? log.warnings?.length ?? 0;
}

/** "1 request retried", "4 requests retried": a run's retries count requests sent again, not runs. */
export function retriesLabel(count: number): string {
  return `${formatCount(count, "request")} retried`;
}

/** What a run did to the stored records, for a summary: "120 records", or "0 records, 500 deleted"
 * for a full refresh that marked records deleted (which would read as a no-op otherwise). */
export function runCounts(log: Pick<SyncLog, "records_processed" | "records_deleted">): string {
  const deleted = log.records_deleted ?? 0;
  const processed = formatCount(log.records_processed, "record");
  return deleted > 0 ? `${processed}, ${formatNumber(deleted)} deleted` : processed;
}

/** A run's outcome as text: "SUCCESS", "SUCCESS · 1 warning" when it warned, and its retried
 * requests said as such ("FAILED · 4 requests retried"): a retry is not a warning. */
export function runOutcome(log: Pick<SyncLog, "status" | "warnings" | "warnings_count" | "retries">): string {
  const count = runWarningsCount(log);
  const parts: string[] = [log.status];
  if (count > 0) parts.push(warningsLabel(count));
  if (log.retries) parts.push(retriesLabel(log.retries));
  return parts.join(" · ");
}

/** The marker beside a status badge of a run that warned: it must not look like a clean run. */
export function WarningsMarker({ count }: { count: number | undefined }) {
  if (!count) return null;
  return (
    <span className="badge badge-partial" data-testid="warnings-marker" title="The run ended with warnings: open it to read them.">
      {warningsLabel(count)}
    </span>
  );
}

/** The marker beside a status badge of a run that retried requests: said as retries, in the
 * neutral colour, since a retry that worked changed nothing and one that failed led to the error. */
export function RetriesMarker({ count }: { count: number | undefined }) {
  if (!count) return null;
  return (
    <span className="badge badge-none" data-testid="retries-marker" title="Requests the run sent again after an error; its log lists them.">
      {retriesLabel(count)}
    </span>
  );
}

/** The warnings of a run, listed where its outcome is read (the run page, the connector page). */
export function RunWarningsBanner({ warnings, heading }: { warnings: readonly string[] | undefined; heading: ReactNode }) {
  if (!warnings || warnings.length === 0) return null;
  return (
    <div className="banner banner-warning" role="status" data-testid="run-warnings">
      <strong>{heading}</strong>
      <ul>
        {warnings.map((warning, index) => (
          <li key={index}>{warning}</li>
        ))}
      </ul>
    </div>
  );
}

/** What a connector's save noticed (its answer's `warnings`), without the latest run's warnings
 * the answer lists after them ("The last sync (#id, STATUS) warned: ..."), shown on their own. */
export function saveOnlyWarnings(saved: Pick<Connector, "warnings" | "last_sync_warnings">): string[] {
  const warnings = saved.warnings ?? [];
  return warnings.slice(0, Math.max(0, warnings.length - (saved.last_sync_warnings?.length ?? 0)));
}
