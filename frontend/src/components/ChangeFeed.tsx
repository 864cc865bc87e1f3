import { useEffect, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";

import { listChanges } from "../api/api";
import { stringifyJson } from "../api/exactJson";
import type { RecordChange } from "../api/types";
import { formatCount, formatNumber, prettyJson } from "../format";
import { useLoad } from "../hooks";
import { Badge, DateTimeCell, ErrorBanner, Loading, TableWrap } from "./common";
import { downloadFile, toCsv } from "./download";

export const CHANGE_PAGE_SIZES = [50, 100, 500];
const DEFAULT_LIMIT = 50;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** A non-negative whole number from the address, or `fallback`. */
function wholeNumber(text: string | null, fallback: number): number {
  if (text === null || !/^\d{1,16}$/.test(text)) return fallback;
  const value = Number(text);
  return Number.isSafeInteger(value) && value <= MAX_SEQ ? value : fallback;
}

/** A page of changes as NDJSON: one change a line, as the API sent it (numbers kept exact). */
export function changesNdjson(changes: RecordChange[]): string {
  return changes.map((change) => stringifyJson(change) ?? "").join("\n") + (changes.length > 0 ? "\n" : "");
}

/** A page of changes as CSV: the change's fields, its data as JSON in one cell (a loader's columns
 * come from the records' CSV export; this is the feed as it is). */
export function changesCsv(changes: RecordChange[]): string {
  return toCsv(changes as unknown as Record<string, unknown>[], ["seq", "op", "id", "external_id", "last_synced_at", "deleted_at", "data"]);
}

/**
 * A connector's change feed (`connectors/{id}/changes/`): the records changed after a change
 * sequence, in the order a loader reads them, a delete as a tombstone; one page at a time
 * (`has_more` / `next_after`), the page downloadable as NDJSON or CSV. Its position lives in the
 * address (`c_after`, `c_limit`), so a reload or a shared link shows the same page.
 */
export function ChangeFeed({ connectorId, refreshKey = 0 }: { connectorId: number; refreshKey?: number }) {
  const [params, setParams] = useSearchParams();
  const after = wholeNumber(params.get("c_after"), 0);
  const limitAsked = wholeNumber(params.get("c_limit"), DEFAULT_LIMIT);
  const limit = CHANGE_PAGE_SIZES.includes(limitAsked) ? limitAsked : DEFAULT_LIMIT;
  const feed = useLoad(() => listChanges(connectorId, after, limit), [connectorId, after, limit, refreshKey]);
  const [afterText, setAfterText] = useState(String(after));
  const [afterError, setAfterError] = useState<string | null>(null);
  // Paged with a button: the summary of the new page takes the focus (Next is disabled at the end).
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const focusSummary = useRef(false);
  useEffect(() => {
    if (feed.data && focusSummary.current) {
      focusSummary.current = false;
      summaryRef.current?.focus();
    }
  }, [feed.data]);

  function update(changes: Record<string, string | null>) {
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) next.delete(key);
        else next.set(key, value);
      }
      return next;
    });
  }

  function goTo(position: number) {
    focusSummary.current = position !== after;
    setAfterText(String(position));
    update({ c_after: position === 0 ? null : String(position) });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // "1,000" and "1 000" are a thousand; anything else that is no whole number is said, not read as 0
    const typed = wholeNumber(afterText.replace(/[\s,_]/g, ""), -1);
    if (typed < 0) {
      setAfterError("A whole number: the change sequence to continue after (0 for the start).");
      return;
    }
    setAfterError(null);
    goTo(typed);
  }

  const page = feed.data;
  const changes = page?.changes ?? [];
  const first = changes[0]?.seq;
  const last = changes.at(-1)?.seq;
  const deletes = changes.filter((change) => change.op === "delete").length;
  const fileBase = `connector-${connectorId}-changes-after-${after}`;

  return (
    <section className="card" aria-labelledby="changes-heading">
      <div className="card-title-row">
        <h2 id="changes-heading">Change feed</h2>
        <button type="button" className="btn btn-small" onClick={feed.reload} aria-busy={feed.loading}>
          Refresh
        </button>
      </div>
      <p className="muted small">
        Every record changed after a change sequence, in the order a loader reads them: its latest state (<strong>UPSERT</strong>) or, once a
        full refresh no longer sees it, a tombstone (<strong>DELETE</strong>). The API:{" "}
        <code className="break">
          GET /api/demo-extension/connectors/{connectorId}/changes/?after={after}&amp;limit={limit}
        </code>
        ; continue with the answer&apos;s <code>next_after</code> while <code>has_more</code>.
      </p>
      <div className="table-tools">
        <form className="inline-field changes-after" onSubmit={submit} aria-label="Changes after a sequence">
          <label htmlFor="changes-after">After sequence</label>
          <input
            id="changes-after"
            inputMode="numeric"
            value={afterText}
            onChange={(event) => setAfterText(event.target.value)}
            aria-invalid={afterError ? true : undefined}
            aria-describedby={afterError ? "changes-after-error" : undefined}
          />
          <button type="submit" className="btn btn-small">
            Show
          </button>
          {afterError ? (
            <span className="error-text small" id="changes-after-error">
              {afterError}
            </span>
          ) : null}
        </form>
        <label className="inline-field">
          Changes per page{" "}
          <select value={limit} onChange={(event) => update({ c_limit: event.target.value === String(DEFAULT_LIMIT) ? null : event.target.value })}>
            {CHANGE_PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-small"
          disabled={changes.length === 0}
          onClick={() => downloadFile(`${fileBase}.ndjson`, changesNdjson(changes), "application/x-ndjson")}
        >
          Download NDJSON
        </button>
        <button type="button" className="btn btn-small" disabled={changes.length === 0} onClick={() => downloadFile(`${fileBase}.csv`, changesCsv(changes), "text/csv")}>
          Download CSV
        </button>
      </div>
      <ErrorBanner message={feed.error} />
      {feed.loading && !page ? <Loading label="Reading the change feed…" /> : null}
      {page ? (
        <>
          <p className="small focus-target" role="status" data-testid="changes-summary" ref={summaryRef} tabIndex={-1}>
            {changes.length === 0
              ? after === 0
                ? "No changes yet: a sync that stores records adds them here."
                : `No change after sequence ${formatNumber(after)}: the feed ends there.`
              : `${formatCount(changes.length, "change")} after sequence ${formatNumber(after)}: ${formatNumber(first)} to ${formatNumber(last)}${deletes ? `, ${formatCount(deletes, "delete")}` : ""}. ${
                  page.has_more ? `More follow: next_after is ${formatNumber(page.next_after)}.` : "The end of the feed for now."
                }`}
            {changes.length > 0 ? " The downloads hold this page." : ""}
          </p>
          {changes.length > 0 ? (
            <TableWrap>
              <table className="table table-stack" aria-label="Changes">
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Sequence
                    </th>
                    <th scope="col">Operation</th>
                    <th scope="col">External id</th>
                    <th scope="col">Written</th>
                    <th scope="col">Deleted</th>
                    <th scope="col">Data</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((change) => (
                    <ChangeRow key={change.seq} change={change} />
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
          <nav className="pager" aria-label="Change feed pages">
            <button type="button" className="btn btn-small" disabled={after === 0} onClick={() => goTo(0)}>
              ← From the start
            </button>
            <button type="button" className="btn btn-small" disabled={!page.has_more} onClick={() => goTo(page.next_after)}>
              Next changes →
            </button>
          </nav>
        </>
      ) : null}
    </section>
  );
}

function ChangeRow({ change }: { change: RecordChange }) {
  const deleted = change.op === "delete";
  return (
    <tr className={deleted ? "record-deleted" : undefined}>
      <td className="num mono" data-label="Sequence">
        {change.seq}
      </td>
      <td data-label="Operation">
        <Badge tone={deleted ? "failed" : "success"}>{change.op}</Badge>
      </td>
      <td className="mono" data-label="External id">
        {change.external_id}
      </td>
      <DateTimeCell value={change.last_synced_at} label="Written" />
      <DateTimeCell value={change.deleted_at} label="Deleted" />
      <td className="json-cell" data-label="Data">
        {deleted ? (
          <span className="muted">none: a tombstone</span>
        ) : (
          <details>
            <summary>
              JSON<span className="visually-hidden"> of change {change.seq}</span>
            </summary>
            <pre className="json-block" tabIndex={0}>
              {prettyJson(change.data)}
            </pre>
          </details>
        )}
      </td>
    </tr>
  );
}
