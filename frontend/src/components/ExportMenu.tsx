import { useEffect, useId, useState } from "react";
import { Link } from "react-router-dom";

import { exportRecords, listRecords, type RecordSearch } from "../api/api";
import { errorMessage } from "../api/client";
import { useAnnounce } from "../announce";
import { formatCount, formatNumber } from "../format";
import { ErrorBanner } from "./common";
import { saveBlob } from "./download";

/** What a button downloads: NDJSON, a CSV safe to open in a spreadsheet, or the raw CSV. */
type Kind = "ndjson" | "csv" | "raw-csv";

const KIND_LABELS: Record<Kind, string> = { ndjson: "NDJSON", csv: "CSV", "raw-csv": "raw CSV" };

/** What a download holds, in words: the searched records or every record. */
export function downloadScope(search: RecordSearch | undefined, externalIdSearch: boolean): string {
  if (search) return `Records whose ${search.field} contains "${search.value}"`;
  return `Every record${externalIdSearch ? " (the search by external id does not apply)" : ""}`;
}

/** Why a connector with no live record has nothing to download, knowing (or not: null) how many
 * records are stored marked deleted. */
export function noLiveRecordsReason(deletedCount: number | null): string {
  if (deletedCount === 0) return "No records yet: there is nothing to download until a sync stores some.";
  if (deletedCount === null) return "No live records: tick Include deleted records to download records marked deleted, if any.";
  const all = deletedCount === 1 ? "The 1 stored record is" : `All ${formatNumber(deletedCount)} stored records are`;
  return `${all} marked deleted: tick Include deleted records to download ${deletedCount === 1 ? "it" : "them"}.`;
}

/**
 * "Download NDJSON / CSV" of a connector's records through the streamed export endpoint. The file
 * is fetched with the bearer token in the Authorization header (the app has no cookie session, and
 * a token in a link would end up in history and server logs), then saved from an object URL.
 * `fields`: the columns the user chose in the records table (none = every field). `search`: the
 * table's search by a field's value, which the export applies too (the file holds the records the
 * table finds). A search by external id the export cannot apply: with `externalIdSearch` it says it
 * downloads every record, rather than let a filtered table suggest a filtered file.
 * `recordCount`: how many records the file would hold (deleted ones aside), when known: with none,
 * the buttons are disabled and say why, unless deleted records are asked for too (with none live,
 * the menu asks how many are stored marked deleted, to point to "Include deleted records").
 * `includeDeleted` / `onIncludeDeletedChange`: the "Include deleted records" choice when the caller
 * keeps it (the records table lists them too); without them the menu keeps its own.
 */
export function ExportMenu({
  connectorId,
  fields,
  search,
  externalIdSearch = false,
  recordCount,
  includeDeleted: includeDeletedProp,
  onIncludeDeletedChange,
}: {
  connectorId: number;
  fields?: string[];
  search?: RecordSearch;
  externalIdSearch?: boolean;
  recordCount?: number;
  includeDeleted?: boolean;
  onIncludeDeletedChange?: (include: boolean) => void;
}) {
  const reasonId = useId();
  const csvNoteId = useId();
  const announce = useAnnounce();
  const [ownIncludeDeleted, setOwnIncludeDeleted] = useState(false);
  const includeDeleted = includeDeletedProp ?? ownIncludeDeleted;
  const setIncludeDeleted = onIncludeDeletedChange ?? setOwnIncludeDeleted;
  const [running, setRunning] = useState<Kind | null>(null);
  const [bytes, setBytes] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // With no live record: how many are stored marked deleted (null until known).
  const [deletedCount, setDeletedCount] = useState<number | null>(null);
  const noLiveRecords = recordCount === 0 && !search;

  useEffect(() => {
    if (!noLiveRecords) return;
    let current = true;
    setDeletedCount(null);
    listRecords(connectorId, { include_deleted: true, page_size: 1 })
      .then((page) => {
        if (current) setDeletedCount(page.count);
      })
      .catch(() => undefined); // unknown: the message below stays true either way
    return () => {
      current = false;
    };
  }, [connectorId, noLiveRecords]);

  async function download(kind: Kind) {
    if (running !== null) return;
    const format = kind === "ndjson" ? "ndjson" : "csv";
    setRunning(kind);
    setBytes(0);
    setError(null);
    setDone(null);
    try {
      const file = await exportRecords(connectorId, { format, fields, includeDeleted, search, spreadsheetSafe: kind !== "raw-csv" }, setBytes);
      // The server names the file (the raw CSV "...-records-raw.csv"); this is for one that does not.
      const name = file.fileName ?? `connector-${connectorId}${kind === "raw-csv" ? "-raw" : ""}.${format}`;
      saveBlob(name, file.blob);
      const message = `Downloaded ${name} (${formatCount(file.blob.size, "byte")}).`;
      setDone(message);
      announce(message);
    } catch (err) {
      const message = `Download failed: ${errorMessage(err)}`;
      setError(message);
      announce(message);
    } finally {
      setRunning(null);
    }
  }

  // Nothing to download: the buttons say why instead of saving an empty file.
  const empty = recordCount === 0 && !includeDeleted;
  const emptyReason = search ? "No record matches the search: there is nothing to download." : noLiveRecordsReason(deletedCount);
  return (
    <div className="export-menu" role="group" aria-label="Download records">
      {(["ndjson", "csv", "raw-csv"] as const).map((kind) => {
        const describedBy = [empty ? reasonId : "", kind === "ndjson" ? "" : csvNoteId].filter(Boolean).join(" ");
        return (
          // While a download runs the buttons are aria-disabled, not disabled: a disabled button
          // drops the focus to the page's start, where a keyboard user would have to find it again.
          <button
            key={kind}
            type="button"
            className="btn btn-small"
            disabled={empty}
            aria-disabled={running !== null ? true : undefined}
            aria-describedby={describedBy || undefined}
            onClick={() => void download(kind)}
          >
            Download {KIND_LABELS[kind]}
          </button>
        );
      })}
      <label className="checkbox checkbox-compact">
        <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} />
        Include deleted records
      </label>
      {empty ? (
        <span className="muted small" id={reasonId} data-testid="download-empty">
          {emptyReason}
        </span>
      ) : (
        <span className="muted small" data-testid="download-scope">
          {`${downloadScope(search, externalIdSearch)}, ${fields && fields.length > 0 ? `${fields.length} chosen columns` : "all fields"}, in the order they last changed`}
          {recordCount === 0 ? " (only records marked deleted, if any)" : ""}
        </span>
      )}
      <p className="muted small export-note" id={csvNoteId} data-testid="csv-note">
        CSV: a text cell starting with =, +, - or @ gets a leading apostrophe (&apos;) so that a spreadsheet shows it instead of running it as a formula.
        Raw CSV: every cell as stored, for a database loader; do not open it in a spreadsheet.
      </p>
      {/* A download is everything again; a loader that runs on a schedule wants only what changed. */}
      <p className="muted small export-note" data-testid="change-feed-note">
        Only what changed since your last read: the change feed,{" "}
        <code className="break">
          GET /api/demo-extension/connectors/{connectorId}/changes/?after=0
        </code>
        , in change order with deletions as <code>op: delete</code>; continue with each answer&apos;s <code>next_after</code> (
        <a href="/api/docs/">API documentation</a>); the <Link to="?tab=changes">Changes tab</Link> pages through it.
      </p>
      {running ? (
        <span className="small" role="status" data-testid="download-progress">
          Downloading {KIND_LABELS[running]}… {formatNumber(bytes)} bytes
        </span>
      ) : null}
      {done ? (
        <span className="small" data-testid="download-done">
          {done}
        </span>
      ) : null}
      <ErrorBanner message={error} />
    </div>
  );
}
