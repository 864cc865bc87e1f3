// A connector's budget as form fields, shared by the wizard (create) and the edit form: its request
// budget (rate, requests in flight, requests per run) and its time budget per run. The values are
// checked here before they are sent, so a wrong one is named on its field without a round trip;
// the API checks them again.

import type { Connector, ConnectorInput } from "../api/types";
import { Field } from "./fields";

// The API's bounds (demo_extension/models.py).
const MIN_REQUESTS_PER_SECOND = 0.01;
const MAX_REQUESTS_PER_SECOND = 1000;
const DEFAULT_CONCURRENT_REQUESTS = 4;
const MAX_CONCURRENT_REQUESTS = 16;

/** The API fields of the budget, for mapping its validation errors to the form. */
export const BUDGET_FIELDS = ["max_sync_seconds", "max_requests_per_second", "max_concurrent_requests", "max_requests_per_sync"] as const;

type BudgetField = (typeof BUDGET_FIELDS)[number];

/** The budget as typed (text: empty is "no limit", or the server's limit for the time budget). */
export type BudgetValues = Record<BudgetField, string>;

export function initialBudget(connector?: Connector): BudgetValues {
  return {
    max_sync_seconds: connector?.max_sync_seconds ? String(connector.max_sync_seconds) : "",
    max_requests_per_second: connector?.max_requests_per_second?.toString() ?? "",
    max_concurrent_requests: (connector?.max_concurrent_requests ?? DEFAULT_CONCURRENT_REQUESTS).toString(),
    max_requests_per_sync: connector?.max_requests_per_sync?.toString() ?? "",
  };
}

/** A number field's text: empty is null (no limit); anything else must be a number (else an error). */
function parseLimit(text: string, integer: boolean): number | null | string {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return "Enter a number, or leave it empty for no limit.";
  if (integer && !Number.isInteger(value)) return "Enter a whole number.";
  return value;
}

/**
 * Why the typed time budget cannot be sent, or null when it can (empty included). The largest value
 * is the server's MIGRATEIQ_SYNC_MAX_SECONDS, which the app does not know: a larger one is the API's
 * 400, shown under the field, which names that limit (as for max pages).
 */
export function maxSyncSecondsError(text: string): string | null {
  const value = text.trim();
  if (!value) return null;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))) return null;
  return "Enter a whole number of seconds, 1 or more, or leave it empty for the server's limit.";
}

/** The budget's part of the request body, or the message of each field that is wrong. */
export function budgetInput(values: BudgetValues): { input: Pick<ConnectorInput, BudgetField> } | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const seconds = values.max_sync_seconds.trim();
  const secondsError = maxSyncSecondsError(seconds);
  if (secondsError) errors.max_sync_seconds = [secondsError];

  const perSecond = parseLimit(values.max_requests_per_second, false);
  if (typeof perSecond === "string") errors.max_requests_per_second = [perSecond];
  else if (perSecond !== null && (perSecond < MIN_REQUESTS_PER_SECOND || perSecond > MAX_REQUESTS_PER_SECOND))
    errors.max_requests_per_second = [`Enter ${MIN_REQUESTS_PER_SECOND} to ${MAX_REQUESTS_PER_SECOND}, or leave it empty for no limit.`];

  const concurrent = parseLimit(values.max_concurrent_requests, true);
  if (typeof concurrent === "string") errors.max_concurrent_requests = [concurrent];
  else if (concurrent === null || concurrent < 1 || concurrent > MAX_CONCURRENT_REQUESTS)
    errors.max_concurrent_requests = [`Enter how many requests may run at once (1 to ${MAX_CONCURRENT_REQUESTS}).`];

  const perSync = parseLimit(values.max_requests_per_sync, true);
  if (typeof perSync === "string") errors.max_requests_per_sync = [perSync];
  else if (perSync !== null && perSync < 1) errors.max_requests_per_sync = ["Enter 1 or more, or leave it empty for no limit."];

  if (Object.keys(errors).length > 0) return { errors };
  return {
    input: {
      max_sync_seconds: seconds ? Number(seconds) : null,
      max_requests_per_second: perSecond as number | null,
      max_concurrent_requests: concurrent as number,
      max_requests_per_sync: perSync as number | null,
    },
  };
}

interface BudgetFieldsProps {
  idPrefix: string;
  values: BudgetValues;
  onChange: (values: BudgetValues) => void;
  errors: Record<string, string[]>;
}

/** Requests per second, requests in flight and requests per sync. */
export function RequestBudgetFields({ idPrefix, values, onChange, errors }: BudgetFieldsProps) {
  const id = (name: BudgetField) => `${idPrefix}-${name}`;
  const set = (key: BudgetField, value: string) => onChange({ ...values, [key]: value });
  return (
    <>
      <Field
        label="Requests per second"
        htmlFor={id("max_requests_per_second")}
        errors={errors.max_requests_per_second}
        hint="0.01 to 1000 (0.5 = one every two seconds), counted over every connector calling this API with the same credentials; empty: no limit."
      >
        <input
          id={id("max_requests_per_second")}
          inputMode="decimal"
          value={values.max_requests_per_second}
          onChange={(ev) => set("max_requests_per_second", ev.target.value)}
        />
      </Field>
      <Field
        label="Concurrent requests"
        htmlFor={id("max_concurrent_requests")}
        errors={errors.max_concurrent_requests}
        hint={`In flight at once, at most (1 to ${MAX_CONCURRENT_REQUESTS}), counted over every connector calling this API with the same credentials.`}
      >
        <input
          id={id("max_concurrent_requests")}
          type="number"
          min={1}
          max={MAX_CONCURRENT_REQUESTS}
          value={values.max_concurrent_requests}
          onChange={(ev) => set("max_concurrent_requests", ev.target.value)}
        />
      </Field>
      <Field
        label="Requests per sync"
        htmlFor={id("max_requests_per_sync")}
        errors={errors.max_requests_per_sync}
        hint="A run stops there (it can be resumed); empty: no limit."
      >
        <input
          id={id("max_requests_per_sync")}
          inputMode="numeric"
          value={values.max_requests_per_sync}
          onChange={(ev) => set("max_requests_per_sync", ev.target.value)}
        />
      </Field>
    </>
  );
}

/** A run's time budget in seconds. */
export function TimeBudgetField({ idPrefix, values, onChange, errors }: BudgetFieldsProps) {
  const id = `${idPrefix}-max_sync_seconds`;
  return (
    <Field
      label="Time budget per sync (seconds)"
      htmlFor={id}
      errors={errors.max_sync_seconds}
      hint="Empty: the server's limit. A run over budget stops and can be resumed."
    >
      <input id={id} inputMode="numeric" value={values.max_sync_seconds} onChange={(ev) => onChange({ ...values, max_sync_seconds: ev.target.value })} />
    </Field>
  );
}
