// Pagination (its type, its keys as fields, the raw JSON under "advanced"), the request method
// and its JSON body, and error detection, shared by the wizard and the edit form.

import { useEffect, useRef, useState } from "react";

import type { PaginationType, RequestMethod } from "../api/types";
import { prettyJson } from "../format";
import {
  buildPagination,
  INCREMENTAL_ERROR_KEYS,
  PAGINATION_KEYS,
  paginationFieldErrorKey,
  paginationOfJson,
  routePaginationErrors,
  SINCE,
  type ErrorDetectionValues,
  type IncrementalValues,
  type PaginationValues,
} from "./connectorConfig";
import { Field, PaginationFields } from "./fields";

export const PAGINATION_TYPES: { value: PaginationType; label: string }[] = [
  { value: "auto", label: "Detect automatically" },
  { value: "none", label: "None (one page)" },
  { value: "page", label: "Page number" },
  { value: "offset", label: "Offset / limit" },
  { value: "cursor", label: "Cursor" },
  { value: "next_url", label: "Next URL in the body" },
  { value: "link_header", label: "Link header" },
];

export function PaginationSection({
  idPrefix,
  selectId,
  type,
  values,
  onChange,
  errors,
  json,
  onJsonChange,
}: {
  idPrefix: string;
  selectId: string;
  type: PaginationType;
  values: PaginationValues;
  onChange: (type: PaginationType, values: PaginationValues) => void;
  /** The form's errors: the API's under `pagination` (each shown at the field of the key it names,
   * the rest under the select), the form's own checks under "pagination.<key>" and, for the typed
   * JSON it could not apply, `pagination_json`. */
  errors: Record<string, string[] | undefined>;
  /** The JSON typed and not applied yet (null: none): the form applies it when it saves. */
  json: string | null;
  onJsonChange: (json: string | null) => void;
}) {
  const jsonErrors = errors.pagination_json;
  const routed = routePaginationErrors(errors.pagination, type);
  const fieldErrors: Record<string, string[]> = {};
  for (const spec of PAGINATION_KEYS[type]) {
    const messages = [...(errors[paginationFieldErrorKey(spec.key)] ?? []), ...(routed.byKey[spec.key] ?? [])];
    if (messages.length) fieldErrors[spec.key] = messages;
  }
  const typeLabel = PAGINATION_TYPES.find((item) => item.value === type)?.label ?? type;
  const keys = PAGINATION_KEYS[type].map((spec) => spec.key);
  const [applyError, setApplyError] = useState<string | null>(null);
  const detailsRef = useRef<HTMLDetailsElement>(null);
  const current = prettyJson(buildPagination(type, values));
  const jsonId = `${idPrefix}-pagination-json`;
  const shownErrors = applyError ? [applyError] : jsonErrors?.length ? jsonErrors : undefined;

  // A refused JSON is shown, and can get the focus, even when "advanced" was closed.
  const errorText = shownErrors?.join(" ") ?? "";
  useEffect(() => {
    if (errorText && detailsRef.current) detailsRef.current.open = true;
  }, [errorText]);

  function applyJson() {
    const result = paginationOfJson(json ?? current);
    if ("error" in result) {
      setApplyError(`Not applied: ${result.error}`);
      return;
    }
    onChange(result.type, result.values);
    onJsonChange(null);
    setApplyError(null);
  }

  return (
    <>
      <Field label="Pagination" htmlFor={selectId} errors={routed.general.length ? routed.general : undefined}>
        <select id={selectId} value={type} onChange={(ev) => onChange(ev.target.value as PaginationType, {})}>
          {PAGINATION_TYPES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </Field>
      <PaginationFields idPrefix={idPrefix} type={type} values={values} onChange={(next) => onChange(type, next)} errors={fieldErrors} />
      <details className="field-wide advanced" ref={detailsRef}>
        <summary>Advanced: pagination as JSON</summary>
        <Field
          label="Pagination (JSON)"
          htmlFor={jsonId}
          errors={shownErrors}
          wide
          hint={
            <>
              {keys.length ? (
                <>
                  With {typeLabel}: <code>type</code>
                  {keys.map((key) => (
                    <span key={key}>
                      , <code>{key}</code>
                    </span>
                  ))}
                  .
                </>
              ) : (
                <>
                  With {typeLabel}: <code>type</code> only.
                </>
              )}{" "}
              What each key does: <code>Pagination</code> in the <a href="/api/docs/">API documentation</a>. Apply fills the fields above; saving
              applies it too.
            </>
          }
        >
          <textarea
            id={jsonId}
            rows={5}
            spellCheck={false}
            value={json ?? current}
            onChange={(ev) => {
              setApplyError(null);
              onJsonChange(ev.target.value);
            }}
          />
        </Field>
        <button type="button" className="btn btn-small" onClick={applyJson}>
          Apply the JSON
        </button>
      </details>
    </>
  );
}

/** GET, or POST with a JSON body (search and query endpoints); the body's field shows with POST
 * (or when the API refused it). With GET nothing typed there is sent. */
export function RequestMethodFields({
  idPrefix,
  method,
  body,
  onMethodChange,
  onBodyChange,
  methodErrors,
  bodyErrors,
}: {
  idPrefix: string;
  method: RequestMethod;
  /** The body as typed: JSON text, empty for {}. */
  body: string;
  onMethodChange: (method: RequestMethod) => void;
  onBodyChange: (body: string) => void;
  methodErrors?: string[];
  bodyErrors?: string[];
}) {
  const methodId = `${idPrefix}-request_method`;
  const bodyId = `${idPrefix}-request_body`;
  return (
    <>
      <Field
        label="Request method"
        htmlFor={methodId}
        errors={methodErrors}
        hint="POST: for search and query endpoints; the pagination parameters go into the JSON body. GET sends no body."
      >
        <select id={methodId} value={method} onChange={(ev) => onMethodChange(ev.target.value as RequestMethod)}>
          <option value="GET">GET</option>
          <option value="POST">POST</option>
        </select>
      </Field>
      {method === "POST" || bodyErrors?.length ? (
        <Field
          label="Request body (JSON object)"
          htmlFor={bodyId}
          errors={bodyErrors}
          wide
          hint='Sent with every page request, the pagination parameters added to it, e.g. {"filter": {"property": "Status", "status": {"equals": "Done"}}}. Empty: {}. At most 16 KiB.'
        >
          <textarea id={bodyId} rows={6} spellCheck={false} value={body} onChange={(ev) => onBodyChange(ev.target.value)} />
        </Field>
      ) : null}
    </>
  );
}

/** The incremental fields: the cursor field, and where its start goes: a query parameter, or with
 * POST a JSON body filter holding "{since}". An API error naming body_filter shows at the filter. */
export function IncrementalFields({
  idPrefix,
  method,
  values,
  onChange,
  errors,
  cursorHint,
}: {
  idPrefix: string;
  method: RequestMethod;
  values: IncrementalValues;
  onChange: (values: IncrementalValues) => void;
  errors: Record<string, string[] | undefined>;
  cursorHint: string;
}) {
  const id = (name: string) => `${idPrefix}-${name}`;
  const set = <K extends keyof IncrementalValues>(key: K, value: IncrementalValues[K]) => onChange({ ...values, [key]: value });
  const filterErrors = [...(errors[INCREMENTAL_ERROR_KEYS.body_filter] ?? [])];
  const lookbackErrors = [...(errors[INCREMENTAL_ERROR_KEYS.lookback] ?? [])];
  const cursorErrors: string[] = [];
  for (const message of errors[INCREMENTAL_ERROR_KEYS.cursor_field] ?? []) {
    if (message.includes("incremental.lookback")) lookbackErrors.push(message);
    else (method === "POST" && message.includes("body_filter") ? filterErrors : cursorErrors).push(message);
  }
  return (
    <>
      <Field label="Incremental: cursor field" htmlFor={id("cursor_field")} errors={cursorErrors} hint={cursorHint}>
        <input id={id("cursor_field")} value={values.cursor_field} onChange={(ev) => set("cursor_field", ev.target.value)} />
      </Field>
      <Field
        label="Incremental: query parameter"
        htmlFor={id("cursor_param")}
        errors={errors[INCREMENTAL_ERROR_KEYS.param]}
        hint={method === "POST" ? "Sent with the highest value seen; or leave it empty and write a body filter." : "Sent with the highest value seen, e.g. updated_since."}
      >
        <input id={id("cursor_param")} value={values.param} onChange={(ev) => set("param", ev.target.value)} />
      </Field>
      {method === "POST" ? (
        <Field
          label="Incremental: body filter (JSON object)"
          htmlFor={id("body_filter")}
          errors={filterErrors}
          wide
          hint={`Merged into the request body once there is a value to start from; "${SINCE}" stands for it, e.g. {"filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "${SINCE}"}}}. Objects merge key by key, lists are replaced: repeat the request body's own filters in a list you set here.`}
        >
          <textarea id={id("body_filter")} rows={4} spellCheck={false} value={values.body_filter} onChange={(ev) => set("body_filter", ev.target.value)} />
        </Field>
      ) : null}
      <Field
        label="Incremental: lookback"
        htmlFor={id("lookback")}
        errors={lookbackErrors}
        hint="Start this far before the stored cursor, so records written at or just before it after a sync read past it are read again (unchanged ones are skipped): seconds for a timestamp cursor, units for a number. E.g. 300; empty for none."
      >
        <input id={id("lookback")} inputMode="decimal" value={values.lookback ?? ""} onChange={(ev) => set("lookback", ev.target.value)} />
      </Field>
    </>
  );
}

export function ErrorDetectionFields({
  idPrefix,
  values,
  onChange,
  errors,
}: {
  idPrefix: string;
  values: ErrorDetectionValues;
  onChange: (values: ErrorDetectionValues) => void;
  errors?: string[];
}) {
  const id = (name: string) => `${idPrefix}-ed-${name}`;
  const set = <K extends keyof ErrorDetectionValues>(key: K, value: ErrorDetectionValues[K]) => onChange({ ...values, [key]: value });
  const customised = Boolean(values.error_path || values.success_path || values.success_value || !values.auto || errors?.length);
  return (
    <details className="field-wide advanced" open={customised}>
      <summary>Advanced: errors answered with HTTP 200</summary>
      <p className="hint">
        Built in: <code>{'{"ok": false}'}</code>, <code>errors</code> with no data, <code>error</code> with no records fail the run and are never
        stored. Set a path for other conventions.
      </p>
      {errors?.length ? (
        <p className="field-error" id={id("error")}>
          {errors.join(" ")}
        </p>
      ) : null}
      <div className="form-grid">
        <Field label="Error field" htmlFor={id("error_path")} hint="A value there that is not null, false or empty is an error, e.g. result.error">
          <input id={id("error_path")} value={values.error_path} onChange={(ev) => set("error_path", ev.target.value)} />
        </Field>
        <Field label="Success field" htmlFor={id("success_path")} hint="e.g. status">
          <input id={id("success_path")} value={values.success_path} onChange={(ev) => set("success_path", ev.target.value)} />
        </Field>
        <Field label="Success value" htmlFor={id("success_value")} hint="Anything else at the success field is an error, e.g. OK (true, false and numbers as JSON)">
          <input id={id("success_value")} value={values.success_value} onChange={(ev) => set("success_value", ev.target.value)} />
        </Field>
        <div className="field">
          <span className="label-like">Built-in rules</span>
          <label className="checkbox" htmlFor={id("auto")}>
            <input id={id("auto")} type="checkbox" checked={values.auto} onChange={(ev) => set("auto", ev.target.checked)} />
            Also apply the built-in rules
          </label>
        </div>
      </div>
    </details>
  );
}
