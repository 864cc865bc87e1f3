// Pagination (its type, its keys as fields, the raw JSON under "advanced") and error detection,
// shared by the wizard and the edit form.

import { useState } from "react";

import type { JsonValue, PaginationType } from "../api/types";
import { prettyJson } from "../format";
import { buildPagination, paginationValuesOf, type ErrorDetectionValues, type PaginationValues } from "./connectorConfig";
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
}: {
  idPrefix: string;
  selectId: string;
  type: PaginationType;
  values: PaginationValues;
  onChange: (type: PaginationType, values: PaginationValues) => void;
  errors?: string[];
}) {
  const [raw, setRaw] = useState<string | null>(null);
  const [rawError, setRawError] = useState<string | null>(null);
  const current = prettyJson(buildPagination(type, values));

  function applyRaw() {
    try {
      const parsed = JSON.parse(raw ?? current) as JsonValue;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the pagination must be a JSON object");
      if (typeof parsed.type === "string" && !PAGINATION_TYPES.some((p) => p.value === parsed.type)) throw new Error(`unknown type ${parsed.type}`);
      const next = paginationValuesOf(parsed);
      onChange(next.type, next.values);
      setRaw(null);
      setRawError(null);
    } catch (error) {
      setRawError(`Not applied: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <>
      <Field label="Pagination" htmlFor={selectId} errors={errors}>
        <select id={selectId} value={type} onChange={(ev) => onChange(ev.target.value as PaginationType, {})}>
          {PAGINATION_TYPES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </Field>
      <PaginationFields idPrefix={idPrefix} type={type} values={values} onChange={(next) => onChange(type, next)} />
      <details className="field-wide advanced">
        <summary>Advanced: pagination as JSON</summary>
        <Field
          label="Pagination (JSON)"
          htmlFor={`${idPrefix}-pagination-json`}
          errors={rawError ? [rawError] : undefined}
          wide
          hint="The keys of each type are in the README's pagination table. Apply fills the fields above."
        >
          <textarea id={`${idPrefix}-pagination-json`} rows={5} spellCheck={false} value={raw ?? current} onChange={(ev) => setRaw(ev.target.value)} />
        </Field>
        <button type="button" className="btn btn-small" onClick={applyRaw}>
          Apply the JSON
        </button>
      </details>
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
