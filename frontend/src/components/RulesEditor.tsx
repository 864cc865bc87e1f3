// The transformation rules as fields: one row per target field (source path → target field, convert
// to, default, required), rows added, removed and reordered, errors on the input they are about, a
// "JSON" toggle for the whole rule set, and a before/after view of sample records through the
// preview API (the server applies the rules: conversions, defaults and required included).

import { useEffect, useLayoutEffect, useRef, useState } from "react";

import { ApiError, errorMessage } from "../api/client";
import type { Preview } from "../api/types";
import { useAnnounce } from "../announce";
import { joinMessages } from "./formErrors";
import { ChangesSummary, PreviewRecordsTable, type PreviewSample } from "./PreviewPanel";
import {
  emptyRow,
  RULE_TYPE_LABELS,
  RULE_TYPES,
  rowNamedIn,
  rulesOfDraft,
  sourcesMissingFromSample,
  toggleDraftMode,
  type RuleProblems,
  type RuleRow,
  type RuleRowField,
  type RulesDraft,
  type RuleType,
} from "./rules";
import { readFailureHeading, UpstreamError } from "./UpstreamError";
import { formatCount } from "../format";

const NO_PROBLEMS: RuleProblems = { rows: {} };

export function RulesEditor({
  idPrefix,
  draft,
  onChange,
  showProblems,
  apiErrors,
  preview,
  onPreviewFieldErrors,
  sample,
}: {
  idPrefix: string;
  draft: RulesDraft;
  onChange: (draft: RulesDraft) => void;
  /** Show the draft's problems (after a save or a step was refused because of them). */
  showProblems: boolean;
  /** The API's messages about `transformation_rules`. */
  apiErrors?: string[];
  /** Fetch a preview with the form's settings and these rules (the before/after view). */
  preview?: () => Promise<Preview>;
  /** A preview refused naming fields: the form shows them; true when it did. */
  onPreviewFieldErrors?: (error: ApiError) => boolean;
  /** The latest preview's sample, read with the form's current settings: a source path no sample
   * record has is flagged on its row as it is typed. */
  sample?: PreviewSample | null;
}) {
  const announce = useAnnounce();
  const [toggleProblems, setToggleProblems] = useState<RuleProblems | null>(null);
  const editorRef = useRef<HTMLFieldSetElement>(null);
  const focusAfter = useRef<string | null>(null);
  const focusInvalid = useRef(false);

  const id = (suffix: string) => `${idPrefix}-rules-${suffix}`;
  const rowInputId = (row: RuleRow, field: RuleRowField | "required" | "up" | "down" | "remove") => `${idPrefix}-rule-${row.id}-${field}`;

  const computed = rulesOfDraft(draft);
  const problems: RuleProblems = toggleProblems ?? (showProblems && "problems" in computed ? computed.problems : NO_PROBLEMS);
  // The API's message goes on the row it names (when it names one), and always under the editor.
  const apiMessage = joinMessages(apiErrors ?? []);
  const apiRow = apiMessage && draft.mode === "fields" ? rowNamedIn(apiMessage, draft.rows) : null;
  const groupMessage = joinMessages([problems.group, draft.mode === "fields" && apiMessage]);
  const jsonMessage = joinMessages([problems.json, draft.mode === "json" && apiMessage]);
  const missingSources = draft.mode === "fields" ? sourcesMissingFromSample(draft.rows, sample ?? null) : {};
  // The sample's field paths offered as each source path is typed: the preview already read them,
  // so they are picked rather than typed again from memory (a typo is a field that stays empty).
  const sourceSuggestions = sample?.paths.length ? sample.paths : null;

  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    if (focusInvalid.current) {
      focusInvalid.current = false;
      editor.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
      return;
    }
    if (focusAfter.current) {
      const target = document.getElementById(focusAfter.current) as HTMLButtonElement | null;
      focusAfter.current = null;
      target?.focus();
    }
  });

  function change(next: RulesDraft) {
    setToggleProblems(null);
    onChange(next);
  }

  function setRow(index: number, patch: Partial<RuleRow>) {
    change({ ...draft, rows: draft.rows.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  }

  function addRow() {
    const row = emptyRow(draft.nextId);
    focusAfter.current = rowInputId(row, "source");
    change({ ...draft, rows: [...draft.rows, row], nextId: draft.nextId + 1 });
  }

  function removeRow(index: number) {
    const rows = draft.rows.filter((_, i) => i !== index);
    const next = rows[index] ?? rows[index - 1];
    focusAfter.current = next ? rowInputId(next, "source") : id("add");
    change({ ...draft, rows });
    announce(`Rule ${index + 1} removed.`);
  }

  function moveRow(index: number, by: -1 | 1) {
    const to = index + by;
    if (to < 0 || to >= draft.rows.length) return;
    const rows = [...draft.rows];
    const [row] = rows.splice(index, 1);
    rows.splice(to, 0, row!);
    // Keep the focus on the moved row's button; at the end of the list, on its other move button.
    const atEdge = (by === -1 && to === 0) || (by === 1 && to === rows.length - 1);
    focusAfter.current = rowInputId(row!, atEdge ? (by === -1 ? "down" : "up") : by === -1 ? "up" : "down");
    change({ ...draft, rows });
    announce(`Rule moved to position ${to + 1} of ${rows.length}.`);
  }

  function toggle() {
    const result = toggleDraftMode(draft);
    if ("problems" in result) {
      setToggleProblems(result.problems);
      focusInvalid.current = true;
      announce(draft.mode === "fields" ? "Correct the highlighted rules before switching to JSON." : "These rules cannot be shown as fields.");
      return;
    }
    setToggleProblems(null);
    onChange(result.draft);
    announce(result.draft.mode === "json" ? "The rules are shown as JSON." : "The rules are shown as fields.");
  }

  const describe = (...ids: (string | false | null | undefined)[]) => ids.filter(Boolean).join(" ") || undefined;

  return (
    <fieldset ref={editorRef} className="rules-editor field-wide" aria-describedby={describe(id("hint"), groupMessage && id("error"))} data-testid="rules-editor">
      <legend>Transformation rules</legend>
      <div className="rules-toolbar">
        <p className="hint" id={id("hint")}>
          Each rule stores a field of the record: read from a source path (<code>address.city</code>, <code>tags.-1</code>,{" "}
          <code>/@odata.etag</code>) or, without one, a field the record already has; then converted, defaulted when missing or null, and
          required to be there (else the record is quarantined). A top-level source is renamed: <code>name</code> → <code>full_name</code>{" "}
          removes <code>name</code>. A nested source is copied: <code>address.city</code> → <code>city</code> keeps{" "}
          <code>address</code> and its <code>city</code> in the record.
        </p>
        <button type="button" className="btn btn-small" aria-pressed={draft.mode === "json"} onClick={toggle} id={id("json-toggle")}>
          JSON
        </button>
      </div>

      {draft.mode === "fields" ? (
        <>
          {draft.rows.length ? (
            <div className="rule-head" aria-hidden="true">
              <span>#</span>
              <span>Source path</span>
              <span />
              <span>Target field</span>
              <span>Convert to</span>
              <span>Default</span>
              <span>Required</span>
              <span />
            </div>
          ) : (
            <p className="muted">No rules: records are stored as the API sends them.</p>
          )}
          {sourceSuggestions ? (
            <datalist id={id("source-paths")} data-testid="rule-source-suggestions">
              {sourceSuggestions.map((path) => (
                <option key={path} value={path} />
              ))}
            </datalist>
          ) : null}
          <ol className="rule-rows">
            {draft.rows.map((row, index) => {
              const rowProblems = problems.rows[row.id] ?? {};
              const n = index + 1;
              const errorOf = (field: RuleRowField): string | undefined =>
                rowProblems[field] ?? (apiRow && apiRow.id === row.id && apiRow.field === field ? apiMessage : undefined);
              // Not an error (the sample is a few records): a warning while the path has no problem.
              const sampleNote = errorOf("source") === undefined ? missingSources[row.id] : undefined;
              const sampleNoteId = `${rowInputId(row, "source")}-sample`;
              const inputProps = (field: RuleRowField, extraDescribedBy?: string) => {
                const message = errorOf(field);
                const fromApi = message !== undefined && rowProblems[field] === undefined;
                return {
                  id: rowInputId(row, field),
                  "aria-invalid": message !== undefined ? true : undefined,
                  "aria-describedby": describe(extraDescribedBy, message !== undefined && (fromApi ? id("error") : `${rowInputId(row, field)}-error`)),
                };
              };
              const errorText = (field: RuleRowField) =>
                rowProblems[field] ? (
                  <p className="field-error" id={`${rowInputId(row, field)}-error`}>
                    {rowProblems[field]}
                  </p>
                ) : null;
              return (
                <li key={row.id} className="rule-row" data-testid={`rule-${n}`}>
                  <span className="rule-number" aria-hidden="true">
                    {n}
                  </span>
                  <div className="rule-cell">
                    <input
                      {...inputProps("source", sampleNote && sampleNoteId)}
                      aria-label={`Source path (rule ${n})`}
                      placeholder="source path"
                      list={sourceSuggestions ? id("source-paths") : undefined}
                      value={row.source}
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(event) => setRow(index, { source: event.target.value })}
                    />
                    {errorText("source")}
                    {sampleNote ? (
                      <p className="field-warning" id={sampleNoteId} data-testid={`rule-${n}-sample-note`}>
                        {sampleNote}
                      </p>
                    ) : null}
                  </div>
                  <span className="rule-arrow" aria-hidden="true">
                    →
                  </span>
                  <div className="rule-cell">
                    <input
                      {...inputProps("target")}
                      aria-label={`Target field (rule ${n})`}
                      placeholder="target field"
                      value={row.target}
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(event) => setRow(index, { target: event.target.value })}
                    />
                    {errorText("target")}
                  </div>
                  <div className="rule-cell">
                    <select {...inputProps("type")} aria-label={`Convert to (rule ${n})`} value={row.type} onChange={(event) => setRow(index, { type: event.target.value as RuleType | "" })}>
                      <option value="">no conversion</option>
                      {RULE_TYPES.map((type) => (
                        <option key={type} value={type}>
                          {RULE_TYPE_LABELS[type]}
                        </option>
                      ))}
                    </select>
                    {errorText("type")}
                  </div>
                  <div className="rule-cell">
                    <input
                      {...inputProps("default", id("default-hint"))}
                      aria-label={`Default (rule ${n})`}
                      placeholder="default: none"
                      value={row.default}
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(event) => setRow(index, { default: event.target.value })}
                    />
                    {errorText("default")}
                  </div>
                  <label className="checkbox checkbox-compact rule-required">
                    <input
                      type="checkbox"
                      id={rowInputId(row, "required")}
                      aria-label={`Required (rule ${n})`}
                      checked={row.required}
                      onChange={(event) => setRow(index, { required: event.target.checked })}
                    />
                    required
                  </label>
                  <div className="rule-actions">
                    <button type="button" className="btn btn-small" id={rowInputId(row, "up")} onClick={() => moveRow(index, -1)} disabled={index === 0}>
                      <span aria-hidden="true">↑</span>
                      <span className="visually-hidden">Move rule {n} up</span>
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      id={rowInputId(row, "down")}
                      onClick={() => moveRow(index, 1)}
                      disabled={index === draft.rows.length - 1}
                    >
                      <span aria-hidden="true">↓</span>
                      <span className="visually-hidden">Move rule {n} down</span>
                    </button>
                    <button type="button" className="btn btn-small" id={rowInputId(row, "remove")} onClick={() => removeRow(index)}>
                      Remove <span className="visually-hidden">rule {n}</span>
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>
          {draft.rows.length ? (
            <p className="hint" id={id("default-hint")}>
              Default: text as typed (<code>NL</code>); <code>0</code>, <code>true</code>, <code>null</code>, <code>[…]</code> and <code>{"{…}"}</code> are JSON;{" "}
              <code>"0"</code> in quotes is the text 0.
            </p>
          ) : null}
          <div className="rules-footer">
            <button type="button" className="btn btn-small" id={id("add")} onClick={addRow}>
              Add a rule
            </button>
            <label className="checkbox" htmlFor={id("include_unmapped")}>
              <input
                id={id("include_unmapped")}
                type="checkbox"
                checked={draft.includeUnmapped}
                onChange={(event) => change({ ...draft, includeUnmapped: event.target.checked })}
              />
              Keep the fields no rule names (include_unmapped)
            </label>
          </div>
        </>
      ) : (
        <div className="field field-wide">
          <label htmlFor={id("json")}>Rules as JSON</label>
          <textarea
            id={id("json")}
            rows={8}
            spellCheck={false}
            value={draft.json}
            aria-invalid={jsonMessage ? true : undefined}
            aria-describedby={describe(id("json-hint"), jsonMessage && id("json-error"))}
            onChange={(event) => change({ ...draft, json: event.target.value })}
          />
          <div className="hint" id={id("json-hint")}>
            Keys: field_mappings (source path → target field), type_conversions and defaults (target field → type / value), required (target
            fields), include_unmapped. Press JSON again to go back to the fields.
          </div>
          {jsonMessage ? (
            <p className="field-error" id={id("json-error")}>
              {jsonMessage}
            </p>
          ) : null}
        </div>
      )}
      {groupMessage ? (
        <p className="field-error" id={id("error")}>
          {groupMessage}
        </p>
      ) : null}
      {preview ? (
        <BeforeAfter
          idPrefix={idPrefix}
          run={async () => {
            const result = rulesOfDraft(draft);
            if ("problems" in result) {
              setToggleProblems(result.problems);
              focusInvalid.current = true;
              throw new RulesNotReady();
            }
            const mappings = result.rules.field_mappings;
            return { answer: await preview(), mappings: (mappings ?? {}) as { [source: string]: string } };
          }}
          onFieldErrors={onPreviewFieldErrors}
        />
      ) : null}
    </fieldset>
  );
}

class RulesNotReady extends Error {
  constructor() {
    super("Correct the highlighted rules first.");
  }
}

/** Sample records before and after the rules, from the preview API. */
/** A before/after answer and the field mappings it was fetched with (what the "before" side names). */
interface BeforeAfterRun {
  answer: Preview;
  mappings: { [source: string]: string };
}

function BeforeAfter({ idPrefix, run, onFieldErrors }: { idPrefix: string; run: () => Promise<BeforeAfterRun>; onFieldErrors?: (error: ApiError) => boolean }) {
  const [result, setResult] = useState<Preview | null>(null);
  const [mappings, setMappings] = useState<{ [source: string]: string }>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const announce = useAnnounce();
  const headingId = `${idPrefix}-before-after-heading`;

  useLayoutEffect(() => {
    if (!loading && (result || failure)) headingRef.current?.focus();
  }, [loading, result, failure]);

  async function fetchIt() {
    setLoading(true);
    setFailure(null);
    setResult(null);
    try {
      const { answer, mappings: sent } = await run();
      setResult(answer);
      setMappings(sent);
      if (answer.ok) {
        const quarantined = answer.records.filter((record) => record.error).length;
        announce(`Before and after: ${formatCount(answer.records.length, "record")}${quarantined ? `, ${quarantined} quarantined by the rules` : ""}.`);
      } else {
        announce(`No before and after: ${answer.error ?? "the API could not be read"}`);
      }
    } catch (error) {
      if (error instanceof RulesNotReady) {
        announce(error.message);
      } else if (error instanceof ApiError && Object.keys(error.fieldErrors).length && onFieldErrors?.(error)) {
        announce("No before and after: a field needs attention.");
      } else {
        setFailure(errorMessage(error));
        announce(`No before and after: ${errorMessage(error)}`);
      }
    }
    setLoading(false);
  }

  const quarantined = result?.ok ? result.records.filter((record) => record.error).length : 0;
  return (
    <section className="before-after" aria-labelledby={headingId} aria-busy={loading} data-testid="before-after">
      <h3 id={headingId} className="small-heading">
        Before / after
      </h3>
      <p className="hint">Sample records from the API (at most 2 pages), raw and as these rules store them. Nothing is saved.</p>
      <button type="button" className="btn btn-small" onClick={() => void fetchIt()} disabled={loading}>
        {loading ? "Fetching sample records…" : result || failure ? "Show before / after again" : "Show before / after"}
      </button>
      {failure ? (
        <div className="preview-result">
          <h4 ref={headingRef} tabIndex={-1}>
            No before / after
          </h4>
          <p className="banner banner-error">{failure}</p>
        </div>
      ) : null}
      {result && !result.ok ? (
        <div className="preview-result">
          <h4 ref={headingRef} tabIndex={-1}>
            {readFailureHeading(result.status_code, result.retry_after)}
          </h4>
          <UpstreamError message={result.error} statusCode={result.status_code} retryAfter={result.retry_after} />
        </div>
      ) : null}
      {result?.ok ? (
        <div className="preview-result">
          <h4 ref={headingRef} tabIndex={-1}>
            {formatCount(result.records.length, "sample record")}
            {quarantined ? `, ${quarantined} quarantined by the rules` : ""}
          </h4>
          {result.warnings.length ? (
            <ul className="banner banner-warning" aria-label="Warnings">
              {result.warnings.map((warning, index) => (
                <li key={index}>{warning}</li>
              ))}
            </ul>
          ) : null}
          <ChangesSummary changes={result.changes} />
          <PreviewRecordsTable records={result.records} label="Sample records before and after the rules" beforeLabel="Before" afterLabel="After the rules" compare mappings={mappings} />
        </div>
      ) : null}
    </section>
  );
}
