// The preview of a connector configuration (connectors/preview/ or connectors/{id}/preview/): the
// detected pagination with a "pin" button, the records path, primary-key and cursor candidates to
// pick into the form, the fields, up to 20 records raw and transformed side by side (the first three,
// the rest on request), and the warnings.

import { useEffect, useId, useRef, useState } from "react";

import { ApiError, errorMessage } from "../api/client";
import { isJsonObject, stringifyJson } from "../api/exactJson";
import type { JsonValue, Preview, PreviewChange, PreviewChanges, PreviewCursorCandidate, PreviewRecord } from "../api/types";
import { useAnnounce } from "../announce";
import { formatCount, formatNumber, prettyJson } from "../format";
import { nestedCopies, type NestedCopy } from "./rules";
import { readFailureHeading, UpstreamError } from "./UpstreamError";
import { Badge, TableWrap } from "./common";
import { WaitingForApi } from "./WaitingForApi";

function compact(value: JsonValue | undefined, max = 60): string {
  const text = value === undefined ? "" : typeof value === "string" ? value : (stringifyJson(value) ?? "");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

type Mark = "new" | "changed" | "dropped";

/** What the rules did to each top-level field: on the "after" side a field that is new or holds
 * another value, on the "before" side a field the record no longer has. */
function marksOf(value: JsonValue, other: JsonValue | undefined, side: "before" | "after"): Map<string, Mark> {
  const marks = new Map<string, Mark>();
  const isRecord = (v: JsonValue | undefined): v is { [key: string]: JsonValue } => isJsonObject(v);
  if (!isRecord(value) || !isRecord(other)) return marks;
  for (const [key, item] of Object.entries(value)) {
    if (!(key in other)) marks.set(key, side === "after" ? "new" : "dropped");
    else if (side === "after" && stringifyJson(other[key]) !== stringifyJson(item)) marks.set(key, "changed");
  }
  return marks;
}

/** Top-level entries of a record as "key: value" lines (the whole JSON is one click away). Given
 * the record on the other side (`compareTo`), what the rules changed comes first, marked; on the
 * "before" side, then the nested sources the rules copied (`copies`), whose objects stay. */
function Entries({ value, compareTo, side = "after", copies = [] }: { value: JsonValue; compareTo?: JsonValue; side?: "before" | "after"; copies?: NestedCopy[] }) {
  if (!isJsonObject(value)) return <code>{compact(value)}</code>;
  const marks = compareTo === undefined ? new Map<string, Mark>() : marksOf(value, compareTo, side);
  const entries = Object.entries(value);
  const ordered = [...entries.filter(([key]) => marks.has(key)), ...entries.filter(([key]) => !marks.has(key))];
  const shown = Math.max(8, marks.size);
  const marked = ordered.slice(0, marks.size);
  const entry = ([key, item]: [string, JsonValue]) => (
    <div key={key} className={marks.has(key) ? `entry-${marks.get(key)}` : undefined}>
      <dt>
        {key}
        {marks.has(key) ? <span className="entry-mark"> ({marks.get(key)})</span> : null}
      </dt>
      <dd>{compact(item)}</dd>
    </div>
  );
  return (
    <>
        <dl className="preview-entries">
          {marked.map(entry)}
          {copies.map((copy) => (
            <div key={`copy:${copy.source}`} className="entry-copied">
              <dt>
                {copy.source}
                <span className="entry-mark">{` (copied to ${copy.target}; nested sources stay in the record)`}</span>
              </dt>
              <dd>{compact(copy.value)}</dd>
            </div>
          ))}
          {ordered.slice(marks.size, shown).map(entry)}
        </dl>
        {ordered.length > shown ? <p className="hint">+{formatCount(ordered.length - shown, "more field")}</p> : null}
    </>
  );
}

/** How a preview ended, for a form that warns about a failed one later (the wizard's last step). */
export type PreviewOutcome = { ok: true; sample: PreviewSample } | { ok: false; message: string; statusCode: number | null; retryAfter?: number | null };

/** What a successful preview read: its sample records as the API sent them, and their field paths. */
export interface PreviewSample {
  records: JsonValue[];
  paths: string[];
}

export interface PreviewPanelProps {
  /** Fetch the preview of the form's current configuration. */
  run: () => Promise<Preview>;
  /** A 400 naming fields: the form shows the messages on its fields; returns true when it did. */
  onFieldErrors?: (error: ApiError) => boolean;
  onPinPagination: (config: { [key: string]: JsonValue }) => void;
  onPickPrimaryKey: (path: string) => void;
  onPickCursor: (path: string) => void;
  onUseRecordsPath?: (path: string) => void;
  /** Told how each preview ended. */
  onOutcome?: (outcome: PreviewOutcome) => void;
  /** Fetch the preview once as the panel appears (the wizard's preview step), with the same
   * loading and error states as the button; leaving before it ends drops its answer. */
  autoFetch?: boolean;
  primaryKey: string;
  cursorField: string;
}

export function PreviewPanel({
  run,
  onFieldErrors,
  onPinPagination,
  onPickPrimaryKey,
  onPickCursor,
  onUseRecordsPath,
  onOutcome,
  autoFetch = false,
  primaryKey,
  cursorField,
}: PreviewPanelProps) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [loading, setLoading] = useState(autoFetch);
  const [pinned, setPinned] = useState(false);
  const resultRef = useRef<HTMLHeadingElement>(null);
  const announce = useAnnounce();
  // The panel is on the page: an answer that comes back after it left is dropped (the form has
  // moved on; a refusal must not send it back to a field).
  const mounted = useRef(false);
  const autoStarted = useRef(false);
  const automatic = useRef(false);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (!autoFetch || autoStarted.current) return;
    autoStarted.current = true;
    void fetchPreview(true);
    // Once, as the panel appears (not again in React's development double run): later previews
    // are asked for with the button.
  }, []);

  useEffect(() => {
    if (loading || !(preview || failure)) return;
    // An automatic preview takes the focus only from where the page put it (the step's heading):
    // not from a control the user went to meanwhile.
    const active = document.activeElement;
    if (automatic.current && active instanceof HTMLElement && active !== document.body && active.tabIndex >= 0) return;
    resultRef.current?.focus();
  }, [loading, preview, failure]);

  async function fetchPreview(auto = false) {
    automatic.current = auto;
    setLoading(true);
    setFailure(null);
    setPreview(null);
    setPinned(false);
    try {
      const result = await run();
      if (!mounted.current) return;
      setPreview(result);
      onOutcome?.(result.ok ? { ok: true, sample: { records: result.records.map((record) => record.raw), paths: result.fields.map((field) => field.path) } } : { ok: false, message: result.error ?? "The API could not be read.", statusCode: result.status_code, retryAfter: result.retry_after ?? null });
      if (result.ok) {
        const warnings = result.warnings.length ? ` ${formatCount(result.warnings.length, "warning")}.` : "";
        announce(`Preview ready: ${formatCount(result.records.length, "record")}, pagination ${result.pagination?.type ?? "none"}.${warnings}`);
      } else {
        announce(`Preview failed: ${result.error ?? "the API could not be read"}`);
      }
    } catch (error) {
      if (!mounted.current) return;
      onOutcome?.({ ok: false, message: `The preview was refused: ${errorMessage(error)}`, statusCode: null });
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length && onFieldErrors?.(error)) {
        setLoading(false);
        announce("Preview refused: a field needs attention.");
        return;
      }
      setFailure(errorMessage(error));
      announce(`Preview refused: ${errorMessage(error)}`);
    }
    setLoading(false);
  }

  function pin() {
    if (!preview?.pagination) return;
    onPinPagination(preview.pagination.config);
    setPinned(true);
    announce(`Pagination pinned: ${preview.pagination.description}.`);
  }

  return (
    <section className="preview" aria-labelledby="preview-heading" aria-busy={loading}>
      <h3 id="preview-heading">Preview</h3>
      <p className="hint">Fetches at most 2 pages with these settings and shows what a sync would store. Nothing is saved.</p>
      <button type="button" className="btn" onClick={() => void fetchPreview()} disabled={loading}>
        {loading ? "Fetching the preview…" : preview || failure ? "Preview again" : "Fetch a preview"}
      </button>
      {loading ? <WaitingForApi testId="preview-waiting" /> : null}

      {failure ? (
        <div className="preview-result">
          <h4 ref={resultRef} tabIndex={-1}>
            Preview refused
          </h4>
          <p className="banner banner-error">
            {failure}
          </p>
        </div>
      ) : null}

      {preview && !preview.ok ? (
        <div className="preview-result" data-testid="preview-error">
          <h4 ref={resultRef} tabIndex={-1}>
            {readFailureHeading(preview.status_code, preview.retry_after)}
          </h4>
          <UpstreamError message={preview.error} statusCode={preview.status_code} retryAfter={preview.retry_after} />
        </div>
      ) : null}

      {preview && preview.ok ? (
        <div className="preview-result" data-testid="preview-result">
          <h4 ref={resultRef} tabIndex={-1}>
            {formatCount(preview.records_in_pages, "record")} in {formatCount(preview.pages_fetched, "page")}
            {preview.response_time_ms !== null ? ` (${Math.round(preview.response_time_ms)} ms)` : ""}
          </h4>
          {preview.records.length < preview.records_in_pages ? (
            <p className="hint" data-testid="preview-sample-size">
              The fields, keys and cursors below are read from the first {formatCount(preview.records.length, "record")} of the{" "}
              {formatNumber(preview.records_in_pages)}.
            </p>
          ) : null}
          {preview.warnings.length ? (
            <div className="banner banner-warning" data-testid="preview-warnings">
              <strong>
                {formatCount(preview.warnings.length, "warning")}
              </strong>
              <ul>
                {preview.warnings.map((warning, index) => (
                  <li key={index}>{warning}</li>
                ))}
              </ul>
            </div>
          ) : (
            <p className="hint">No warnings.</p>
          )}

          <h5>Pagination</h5>
          {preview.pagination ? (
            <div data-testid="preview-pagination">
              <p>
                <strong>{preview.pagination.type}</strong>
                {preview.pagination.detected ? " (detected)" : " (as configured)"}: {preview.pagination.description}.{" "}
                {preview.pagination.has_more ? "More pages follow." : "No more pages."}
              </p>
              <p className="hint">Why: {preview.pagination.reason}</p>
              <pre className="json-block" tabIndex={0} aria-label="Pagination a sync would use">
                {prettyJson(preview.pagination.config)}
              </pre>
              <button type="button" className="btn btn-small" onClick={pin}>
                Pin this pagination
              </button>
              {pinned ? <span className="hint"> Pinned into the form.</span> : null}
            </div>
          ) : (
            <p>No pagination.</p>
          )}

          <h5>Records path</h5>
          <p>
            {preview.records_path === null ? "Not found" : preview.records_path === "" ? "The response is the list" : <code>{preview.records_path}</code>}
            {preview.records_path_detected ? " (detected)" : ""}
            {onUseRecordsPath && preview.records_path !== null && preview.records_path_detected ? (
              <>
                {" "}
                <button type="button" className="btn btn-small" onClick={() => onUseRecordsPath(preview.records_path ?? "")}>
                  Use this records path
                </button>
              </>
            ) : null}
          </p>

          <h5>Primary key</h5>
          {preview.primary_key_candidates.length ? (
            <ul className="candidates" aria-label="Primary-key candidates">
              {preview.primary_key_candidates.map((candidate) => (
                <li key={candidate.path}>
                  <code>{candidate.path}</code> — {candidate.unique_in_sample ? "unique" : "not unique"} in the sample, in {formatCount(candidate.present_in, "record")}{" "}
                  {candidate.path === primaryKey ? (
                    <strong>(the primary key)</strong>
                  ) : (
                    <button type="button" className="btn btn-small" onClick={() => onPickPrimaryKey(candidate.path)} aria-label={`Use as primary key: ${candidate.path}`}>
                      Use as primary key
                    </button>
                  )}
                </li>
              ))}
            </ul>
          ) : (
            <p>No candidate: every field repeats or is missing in the sample.</p>
          )}

          <h5>Incremental cursor</h5>
          {preview.cursor_candidates.length ? (
            <ul className="candidates" aria-label="Cursor candidates">
              {preview.cursor_candidates.map((candidate) => (
                <li key={candidate.path}>
                  <code>{candidate.path}</code> — {cursorKind(candidate)}, {compact(candidate.min)} … {compact(candidate.max)}
                  {candidate.increasing ? ", increasing" : ""}{" "}
                  {candidate.path === cursorField ? (
                    <strong>(the cursor)</strong>
                  ) : (
                    <button type="button" className="btn btn-small" onClick={() => onPickCursor(candidate.path)} aria-label={`Use as cursor: ${candidate.path}`}>
                      Use as cursor
                    </button>
                  )}
                </li>
              ))}
            </ul>
          ) : (
            <p>No timestamp, Unix time or increasing id found.</p>
          )}
          {cursorField ? (
            <p className="hint">
              A sync sends the highest <code>{cursorField}</code> it has seen back to the API: name the query parameter that takes it (or,
              with POST, a body filter) under Incremental.
            </p>
          ) : null}

          <h5>Fields</h5>
          {/* a card per field on a phone, as the schema's: four columns scrolled sideways left
              rows tall with samples out of sight */}
          <TableWrap>
            <table className="table table-stack schema-fields" aria-label="Fields of the sample">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Types</th>
                  <th scope="col">In records</th>
                  <th scope="col">Samples</th>
                </tr>
              </thead>
              <tbody>
                {preview.fields.map((field) => (
                  <tr key={field.path}>
                    <td className="stack-title">
                      <code>{field.path}</code>
                    </td>
                    <td data-label="Types">{field.types.join(", ")}</td>
                    <td data-label="In records">{field.present_in}</td>
                    <td data-label="Samples">{field.samples.map((sample) => compact(sample, 30)).join(" · ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>

          <h5>Records ({preview.records.length}), raw and transformed</h5>
          <ChangesSummary changes={preview.changes} />
          <PreviewRecordsTable records={preview.records} label="Sample records, raw and transformed" />
        </div>
      ) : null}
    </section>
  );
}

/** Records a preview table shows before "Show all". */
export const PREVIEW_RECORDS_SHOWN = 3;

/** Preview records side by side: the upstream's raw record and what the rules make of it (or why
 * it would be quarantined), the raw JSON one click away. */
export function PreviewRecordsTable({
  records,
  label,
  beforeLabel = "Raw",
  afterLabel = "Transformed",
  compare = false,
  initial = PREVIEW_RECORDS_SHOWN,
  mappings = {},
}: {
  records: PreviewRecord[];
  label: string;
  beforeLabel?: string;
  afterLabel?: string;
  /** Mark what the rules changed (new, changed and dropped fields first) and offer both JSONs. */
  compare?: boolean;
  /** How many records show before "Show all" (the page stays short: a record is a tall cell). */
  initial?: number;
  /** The rules' field_mappings (source path → target field), with `compare`: a nested source the
   * rules copied is named on the "before" side, since its object stays in the record. */
  mappings?: { [source: string]: string };
}) {
  const [all, setAll] = useState(false);
  const bodyId = useId();
  // A saved connector's preview compares each record with the stored ones: what the next sync does.
  const compared = records.some((record) => record.change !== null);
  const shown = all ? records : records.slice(0, initial);
  const more = records.length - initial;
  return (
    <>
    <TableWrap label={label}>
      <table className="table table-stack preview-records">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{beforeLabel}</th>
            <th scope="col">{afterLabel}</th>
            {compared ? <th scope="col">Next sync</th> : null}
            <th scope="col">JSON</th>
          </tr>
        </thead>
        <tbody id={bodyId}>
          {shown.map((record, index) => (
            <tr key={index}>
              <td data-label="#">{index + 1}</td>
              <td data-label={beforeLabel}>
                <Entries
                  value={record.raw}
                  compareTo={compare && !record.error ? (record.transformed ?? undefined) : undefined}
                  side="before"
                  copies={compare && !record.error ? nestedCopies(mappings, record.raw, record.transformed ?? undefined) : []}
                />
              </td>
              <td data-label={afterLabel}>
                {record.error ? (
                  <span className="error-text">Quarantined: {record.error}</span>
                ) : (
                  <Entries value={record.transformed} compareTo={compare ? record.raw : undefined} side="after" />
                )}
              </td>
              {compared ? (
                <td data-label="Next sync">
                  <RecordChange record={record} />
                </td>
              ) : null}
              <td data-label="JSON">
                <details>
                  <summary aria-label={`Raw JSON of record ${index + 1}`}>Raw JSON</summary>
                  <pre className="json-block" tabIndex={0}>
                    {prettyJson(record.raw)}
                  </pre>
                </details>
                {compare && !record.error ? (
                  <details>
                    <summary aria-label={`After JSON of record ${index + 1}`}>After JSON</summary>
                    <pre className="json-block" tabIndex={0}>
                      {prettyJson(record.transformed)}
                    </pre>
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
    {more > 0 ? (
      <button type="button" className="btn btn-small show-more" aria-expanded={all} aria-controls={bodyId} onClick={() => setAll(!all)}>
        {all ? `Show the first ${formatCount(initial, "record")} only` : `Show all ${formatCount(records.length, "record")} (${more} more)`}
      </button>
    ) : null}
    </>
  );
}

const CHANGE_LABELS: { [change in PreviewChange]: string } = {
  new: "New",
  changed: "Changed",
  unchanged: "Unchanged",
  restored: "Restored",
};

const CHANGE_BADGES: { [change in PreviewChange]: string } = {
  new: "success",
  changed: "partial",
  unchanged: "none",
  restored: "success",
};

/** What the next sync does with one sampled record: created, updated (which fields), left alone, or
 * brought back after a full refresh deleted it; a record it quarantines is not compared. */
function RecordChange({ record }: { record: PreviewRecord }) {
  if (record.change === null) return <span className="hint">Not stored</span>;
  const fields = record.changed_fields.join(", ") + (record.more_changed_fields ? ` and ${record.more_changed_fields} more` : "");
  return (
    <>
      <Badge tone={CHANGE_BADGES[record.change]}>{CHANGE_LABELS[record.change]}</Badge>
      {record.change === "changed" && fields ? <div className="hint">{fields}</div> : null}
      {record.change === "restored" ? <div className="hint">A full refresh had marked it deleted.</div> : null}
    </>
  );
}

/** One line: what a sync would do with the sampled records against the records stored now. */
export function ChangesSummary({ changes }: { changes: PreviewChanges | null }) {
  if (!changes || !changes.compared) return null;
  const parts = [
    changes.new ? `create ${formatCount(changes.new, "record")}` : "",
    changes.changed ? `update ${formatCount(changes.changed, "record")}` : "",
    changes.restored ? `restore ${formatCount(changes.restored, "deleted record")}` : "",
    changes.unchanged ? `leave ${formatCount(changes.unchanged, "record")} unchanged` : "",
  ].filter(Boolean);
  return (
    <p className="hint" data-testid="preview-changes">
      Against the records stored now, a sync of these {formatCount(changes.compared, "sample record")} would {parts.join(", ")}.
    </p>
  );
}

/** What a cursor candidate is, in words: a timestamp (ISO text), a Unix time (a number of seconds or
 * milliseconds of 2000-2100), or a whole number (an id, a sequence number). */
export function cursorKind(candidate: PreviewCursorCandidate): string {
  if (candidate.kind === "timestamp") return "timestamp";
  const unix = (value: JsonValue) => typeof value === "number" && ((value >= 946_684_800 && value <= 4_102_444_800) || (value >= 946_684_800_000 && value <= 4_102_444_800_000));
  return unix(candidate.min) && unix(candidate.max) ? "Unix time" : "whole number (an id or a sequence)";
}
