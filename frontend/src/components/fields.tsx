// Form fields with their hint and errors linked to the input (aria-describedby, aria-invalid):
// the error is read with the field, and no list of errors interrupts as an alert.

import { cloneElement, isValidElement, useState, type ReactElement, type ReactNode } from "react";

import type { PaginationType } from "../api/types";
import { PAGINATION_KEYS, type KeyValue, type PaginationValues } from "./connectorConfig";
import { joinMessages } from "./formErrors";

export function Field({
  label,
  htmlFor,
  hint,
  errors,
  children,
  wide,
}: {
  label: string;
  htmlFor: string;
  hint?: ReactNode;
  errors?: string[];
  children: ReactNode;
  wide?: boolean;
}) {
  const invalid = Boolean(errors && errors.length);
  const describedBy = [hint ? `${htmlFor}-hint` : "", invalid ? `${htmlFor}-error` : ""].filter(Boolean).join(" ") || undefined;
  // The first element child is the control: it gets the ids of its hint and error.
  let control = children;
  if (isValidElement(children)) {
    control = cloneElement(children as ReactElement<Record<string, unknown>>, {
      "aria-describedby": describedBy,
      "aria-invalid": invalid ? true : undefined,
    });
  }
  return (
    <div className={`field${wide ? " field-wide" : ""}${invalid ? " field-invalid" : ""}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {control}
      {hint ? (
        <div className="hint" id={`${htmlFor}-hint`}>
          {hint}
        </div>
      ) : null}
      {invalid ? (
        <p className="field-error" id={`${htmlFor}-error`}>
          {joinMessages(errors!)}
        </p>
      ) : null}
    </div>
  );
}

/** Why a filter's day range (YYYY-MM-DD, either end optional) can match nothing, or null. */
export function dayRangeError(from: string, until: string): string | null {
  return from && until && until < from ? "Until is before From: no day is in that range." : null;
}

/**
 * A list filter's From / Until days (the user's local days): `fields` for the form, `check()` before
 * applying it (false when Until is before From: the error is then shown on Until, focused, since
 * the range would list nothing, as if nothing had happened in those days), `reset()` with Clear.
 */
export function useDayRange(
  idPrefix: string,
  names: readonly [string, string],
  values: Readonly<Record<string, string>>,
  onChange: (name: string, value: string) => void,
): { fields: ReactNode; check: () => boolean; reset: () => void } {
  const [error, setError] = useState<string | null>(null);
  const [from, until] = names;
  const untilId = `${idPrefix}-${until}`;
  const change = (name: string) => (event: { target: { value: string } }) => {
    setError(null);
    onChange(name, event.target.value);
  };
  const fields = (
    <div className="day-range">
      <Field label="From (day)" htmlFor={`${idPrefix}-${from}`}>
        <input type="date" id={`${idPrefix}-${from}`} value={values[from]} onChange={change(from)} />
      </Field>
      <Field label="Until (day)" htmlFor={untilId} errors={error ? [error] : undefined}>
        <input type="date" id={untilId} value={values[until]} onChange={change(until)} />
      </Field>
    </div>
  );
  function check(): boolean {
    const problem = dayRangeError(values[from] ?? "", values[until] ?? "");
    setError(problem);
    if (problem) document.getElementById(untilId)?.focus();
    return problem === null;
  }
  return { fields, check, reset: () => setError(null) };
}

/** Rows of name / value pairs (headers, query parameters, field mappings). */
export function KeyValueEditor({
  id,
  legend,
  rows,
  onChange,
  keyLabel = "Name",
  valueLabel = "Value",
  errors,
}: {
  id: string;
  legend: string;
  rows: KeyValue[];
  onChange: (rows: KeyValue[]) => void;
  keyLabel?: string;
  valueLabel?: string;
  errors?: string[];
}) {
  const set = (index: number, change: Partial<KeyValue>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset className="kv-editor field-wide" aria-describedby={errors?.length ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {rows.map((row, index) => (
        <div className="kv-row" key={index}>
          <input
            aria-label={`${keyLabel} ${index + 1}`}
            placeholder={keyLabel}
            value={row.key}
            onChange={(e) => set(index, { key: e.target.value })}
          />
          <span aria-hidden="true">→</span>
          <input
            aria-label={`${valueLabel} ${index + 1}`}
            placeholder={valueLabel}
            value={row.value}
            onChange={(e) => set(index, { value: e.target.value })}
          />
          <button type="button" className="btn btn-small" onClick={() => onChange(rows.filter((_, i) => i !== index))}>
            Remove<span className="visually-hidden"> row {index + 1}</span>
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-small" onClick={() => onChange([...rows, { key: "", value: "" }])}>
        Add a row<span className="visually-hidden"> to {legend}</span>
      </button>
      {errors?.length ? (
        <p className="field-error" id={`${id}-error`}>
          {joinMessages(errors)}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The pagination style's own settings as fields (not JSON). */
export function PaginationFields({
  idPrefix,
  type,
  values,
  onChange,
  errors = {},
}: {
  idPrefix: string;
  type: PaginationType;
  values: PaginationValues;
  onChange: (values: PaginationValues) => void;
  /** Messages by pagination key, shown at its field. */
  errors?: Record<string, string[] | undefined>;
}) {
  const specs = PAGINATION_KEYS[type];
  if (specs.length === 0) return null;
  return (
    <>
      {specs.map((spec) => {
        const id = `${idPrefix}-pg-${spec.key}`;
        if (spec.kind === "bool") {
          const problems = errors[spec.key];
          return (
            <div className={`field${problems?.length ? " field-invalid" : ""}`} key={spec.key}>
              <span className="label-like">{spec.label}</span>
              <label className="checkbox" htmlFor={id}>
                <input
                  id={id}
                  type="checkbox"
                  checked={values[spec.key] !== false}
                  aria-invalid={problems?.length ? true : undefined}
                  aria-describedby={problems?.length ? `${id}-error` : undefined}
                  onChange={(e) => onChange({ ...values, [spec.key]: e.target.checked })}
                />
                Stop when a page has fewer records than the page size
              </label>
              {problems?.length ? (
                <p className="field-error" id={`${id}-error`}>
                  {joinMessages(problems)}
                </p>
              ) : null}
            </div>
          );
        }
        if (spec.kind === "choice") {
          return (
            <Field key={spec.key} label={spec.label} htmlFor={id} hint={spec.hint} errors={errors[spec.key]}>
              <select id={id} value={typeof values[spec.key] === "string" ? (values[spec.key] as string) : ""} onChange={(e) => onChange({ ...values, [spec.key]: e.target.value })}>
                {(spec.choices ?? []).map((choice) => (
                  <option key={choice.value} value={choice.value}>
                    {choice.label}
                  </option>
                ))}
              </select>
            </Field>
          );
        }
        return (
          <Field key={spec.key} label={spec.label} htmlFor={id} hint={spec.hint} errors={errors[spec.key]}>
            <input
              id={id}
              inputMode={spec.kind === "int" ? "numeric" : undefined}
              value={typeof values[spec.key] === "string" ? (values[spec.key] as string) : ""}
              onChange={(e) => onChange({ ...values, [spec.key]: e.target.value })}
            />
          </Field>
        );
      })}
    </>
  );
}
