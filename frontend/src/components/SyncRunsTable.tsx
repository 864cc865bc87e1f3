import { Fragment } from "react";
import { Link } from "react-router-dom";

import type { SyncLog } from "../api/types";
import { formatNumber, formatRate, formatSeconds, triggerLabel } from "../format";
import { DateTimeCell, StatusBadge, TableWrap } from "./common";
import { RateLimitPauseLine } from "./RateLimitPause";
import { runWarningsCount } from "./RunOutcome";

const QUARANTINED_MEANING = "Records quarantined: they could not be stored and wait in the sync's quarantine";

/** A run's record counts in the order a sync decides them, with the words each is read by. */
function recordParts(log: SyncLog): { key: string; count: number; word: string }[] {
  return [
    { key: "created", count: log.records_created, word: "created" },
    { key: "updated", count: log.records_updated, word: "updated" },
    { key: "unchanged", count: log.records_unchanged, word: "unchanged" },
    { key: "deleted", count: log.records_deleted ?? 0, word: "deleted" },
    { key: "quarantined", count: log.records_failed, word: "quarantined" },
  ];
}

/**
 * What a run did to the records, in one cell: "2 updated · 497 unchanged · 1 quarantined". A count
 * of 0 is left out (a column of zeros is what made the table too wide to read); "none" when the run
 * touched nothing. The processed total leads only when the parts do not add up to it (a record
 * that came twice in one run), so no count is ever hidden.
 */
export function RecordCounts({ log }: { log: SyncLog }) {
  const parts = recordParts(log).filter((part) => part.count > 0);
  const decided = log.records_created + log.records_updated + log.records_unchanged + log.records_failed;
  if (decided !== log.records_processed) parts.unshift({ key: "processed", count: log.records_processed, word: "processed" });
  if (parts.length === 0) return <span className="muted">none</span>;
  return (
    <span className="record-counts">
      {parts.map((part, index) => (
        <span key={part.key}>
          {index > 0 ? " · " : null}
          <span
            className={`record-count${part.key === "quarantined" ? " record-count-quarantined" : ""}`}
            title={part.key === "quarantined" ? QUARANTINED_MEANING : undefined}
          >
            {formatNumber(part.count)} {part.word}
          </span>
        </span>
      ))}
    </span>
  );
}

/** Under a run's duration, the part of it its requests waited for the API's rate limit (a 429,
 * Retry-After): a slow run that mostly waited went at the API's pace, which the duration alone
 * does not say. Nothing under a second; marked when it is most of the run. */
export function RateLimitWait({ log }: { log: SyncLog }) {
  const waited = log.rate_limit_wait_seconds ?? 0;
  if (waited < 1) return null;
  const most = log.duration_seconds ? waited >= log.duration_seconds / 2 : false;
  return (
    <span className={`run-waited${most ? " run-waited-most" : ""}`} data-testid={`run-waited-${log.id}`}>
      waited {formatSeconds(waited)} for the API’s rate limit
    </span>
  );
}

/** The error a failed or partial run ended with, shown under its row; "" for none. */
function runError(log: SyncLog): string {
  return (log.status === "FAILED" || log.status === "PARTIAL") && log.error_message ? log.error_message : "";
}

/**
 * Sync runs as a table that fits a 1280 px screen without scrolling sideways, and is a card per
 * run on a phone: the run (its page one click away), when it started, its status and warnings,
 * how long it took and what it did to the records. `connector` adds the connector's column (lists
 * of several connectors' runs); `details` adds the trigger, the pages and the records per second
 * (a connector's own history, the syncs page).
 */
export function SyncRunsTable({
  runs,
  label,
  connector = false,
  details = false,
}: {
  runs: readonly SyncLog[];
  label: string;
  connector?: boolean;
  details?: boolean;
}) {
  const columnCount = 5 + (connector ? 1 : 0) + (details ? 3 : 0);
  return (
    <TableWrap>
      <table className="table table-stack sync-runs" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Run</th>
            {connector ? <th scope="col">Connector</th> : null}
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            {details ? <th scope="col">Trigger</th> : null}
            <th scope="col">Duration</th>
            <th scope="col">Records</th>
            {details ? (
              <>
                <th scope="col" className="num">
                  Pages
                </th>
                <th scope="col" className="num">
                  <span aria-hidden="true">Records/s</span>
                  <span className="visually-hidden">Records per second</span>
                </th>
              </>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {runs.map((log) => (
            <Fragment key={log.id}>
            <tr className={runError(log) ? "has-run-error" : undefined}>
              {/* the card's title on a phone */}
              <td className="stack-title">
                <span>
                  <Link to={`/sync-logs/${log.id}`}>#{log.id}</Link>
                  {log.full_refresh ? <span className="muted small"> full refresh</span> : null}
                </span>
              </td>
              {connector ? (
                <td data-label="Connector">
                  <Link to={`/connectors/${log.connector}`}>{log.connector_name}</Link>
                </td>
              ) : null}
              <DateTimeCell value={log.started_at ?? log.created_at} label="Started" />
              <td data-label="Status">
                <StatusBadge status={log.status} warnings={runWarningsCount(log)} retries={log.retries} />
                <RateLimitPauseLine log={log} />
              </td>
              {details ? <td data-label="Trigger">{triggerLabel(log.triggered_by)}</td> : null}
              <td className="nowrap" data-label="Duration">
                {formatSeconds(log.duration_seconds)}
                <RateLimitWait log={log} />
              </td>
              <td data-label="Records">
                <RecordCounts log={log} />
              </td>
              {details ? (
                <>
                  <td className="num" data-label="Pages">
                    {formatNumber(log.pages_fetched)}
                  </td>
                  <td className="num nowrap" data-label="Records/s">
                    {formatRate(log.records_processed, log.duration_seconds)}
                  </td>
                </>
              ) : null}
            </tr>
            {runError(log) ? (
              // why it failed, where the list is read: the width of the table under the run's row
              <tr className="run-error-row">
                <td colSpan={columnCount} className="run-error">
                  <div className="run-error-text" data-testid={`run-error-${log.id}`} title={log.error_message}>
                    {log.error_message}
                  </div>
                </td>
              </tr>
            ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
