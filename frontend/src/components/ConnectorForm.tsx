import { useEffect, useRef, useState, type FormEvent } from "react";

import { ApiError, errorMessage } from "../api/client";
import type { AuthType, Connector, ConnectorInput, JsonValue, PaginationType, SyncFrequency } from "../api/types";
import { prettyJson } from "../format";
import { ErrorBanner } from "./common";
import { buildPagination, objectOf, paginationValuesOf, rowsOf, type KeyValue, type PaginationValues } from "./connectorConfig";
import { Field, KeyValueEditor, PaginationFields } from "./fields";
import { saveErrorSummary } from "./formErrors";

const FREQUENCIES: SyncFrequency[] = ["MANUAL", "HOURLY", "DAILY", "WEEKLY"];
const AUTH_TYPES: { value: AuthType; label: string }[] = [
  { value: "bearer", label: "Bearer token" },
  { value: "header", label: "Custom header" },
  { value: "query", label: "Query parameter" },
  { value: "basic", label: "HTTP Basic (username + key)" },
  { value: "none", label: "No authentication" },
];
const PAGINATION_TYPES: { value: PaginationType; label: string }[] = [
  { value: "auto", label: "Detect automatically" },
  { value: "none", label: "None (one page)" },
  { value: "page", label: "Page number" },
  { value: "offset", label: "Offset / limit" },
  { value: "cursor", label: "Cursor" },
  { value: "next_url", label: "Next URL in the body" },
  { value: "link_header", label: "Link header" },
];

type RecordsPathMode = "detect" | "root" | "path";

interface FormState {
  name: string;
  api_endpoint: string;
  api_key: string;
  sync_frequency: SyncFrequency;
  is_active: boolean;
  auth_type: AuthType;
  auth_header_name: string;
  auth_param_name: string;
  auth_username: string;
  pagination_type: PaginationType;
  pagination: PaginationValues;
  records_path_mode: RecordsPathMode;
  records_path: string;
  primary_key: string;
  transformation_rules: string;
  headers: KeyValue[];
  query: KeyValue[];
  cursor_field: string;
  cursor_param: string;
  max_pages: string;
  max_requests_per_second: string;
  max_concurrent_requests: string;
  max_requests_per_sync: string;
}

const shown: ReadonlySet<string> = new Set([
  "name",
  "api_endpoint",
  "api_key",
  "sync_frequency",
  "is_active",
  "auth_type",
  "auth_header_name",
  "auth_param_name",
  "auth_username",
  "pagination",
  "records_path",
  "primary_key",
  "transformation_rules",
  "request_headers",
  "query_params",
  "incremental",
  "max_pages",
  "max_requests_per_second",
  "max_concurrent_requests",
  "max_requests_per_sync",
]);

function incrementalOf(incremental: JsonValue | undefined, key: string): string {
  if (incremental && typeof incremental === "object" && !Array.isArray(incremental)) {
    const value = incremental[key];
    if (typeof value === "string") return value;
  }
  return "";
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

function paginationTypeOf(pagination: JsonValue | undefined): PaginationType {
  if (pagination && typeof pagination === "object" && !Array.isArray(pagination)) {
    const type = pagination.type;
    if (typeof type === "string" && PAGINATION_TYPES.some((p) => p.value === type)) return type as PaginationType;
  }
  return "auto";
}

function initialState(connector?: Connector): FormState {
  const rules = connector?.transformation_rules;
  const hasRules = rules && typeof rules === "object" && Object.keys(rules).length > 0;
  return {
    name: connector?.name ?? "",
    api_endpoint: connector?.api_endpoint ?? "",
    api_key: "",
    sync_frequency: connector?.sync_frequency ?? "DAILY",
    is_active: connector?.is_active ?? true,
    auth_type: connector?.auth_type ?? "bearer",
    auth_header_name: connector?.auth_header_name ?? "",
    auth_param_name: connector?.auth_param_name ?? "",
    auth_username: connector?.auth_username ?? "",
    pagination_type: paginationTypeOf(connector?.pagination),
    pagination: paginationValuesOf(connector?.pagination).values,
    records_path_mode:
      connector === undefined || connector.records_path === null ? "detect" : connector.records_path === "" ? "root" : "path",
    records_path: connector?.records_path ?? "",
    primary_key: connector?.primary_key ?? "",
    transformation_rules: hasRules ? prettyJson(rules) : "",
    headers: rowsOf(connector?.request_headers),
    query: rowsOf(connector?.query_params),
    cursor_field: incrementalOf(connector?.incremental, "cursor_field"),
    cursor_param: incrementalOf(connector?.incremental, "param"),
    max_pages: connector?.max_pages ? String(connector.max_pages) : "",
    max_requests_per_second: connector?.max_requests_per_second?.toString() ?? "",
    max_concurrent_requests: (connector?.max_concurrent_requests ?? 4).toString(),
    max_requests_per_sync: connector?.max_requests_per_sync?.toString() ?? "",
  };
}

/**
 * Create or edit a connector. The API key is write-only: left empty on edit, the current key stays.
 * Validation errors from the API are shown next to their fields.
 */
export function ConnectorForm({
  connector,
  onSubmit,
  onCancel,
}: {
  connector?: Connector;
  onSubmit: (input: ConnectorInput) => Promise<void>;
  onCancel?: () => void;
}) {
  const [form, setForm] = useState<FormState>(() => initialState(connector));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [other, setOther] = useState<string[]>([]);
  const editing = connector !== undefined;
  const initial = useRef(initialState(connector));
  const dirty = JSON.stringify(form) !== JSON.stringify(initial.current);
  const formRef = useRef<HTMLFormElement>(null);

  // Leaving with unsaved edits asks first: closing the tab or reloading (beforeunload), Cancel and Escape.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    // A link elsewhere in the app (the router has no navigation blocker outside data routers):
    // ask in the capture phase, before the router sees the click.
    const guardLinks = (event: MouseEvent) => {
      const link = (event.target as Element | null)?.closest?.("a[href]");
      if (!link || formRef.current?.contains(link)) return;
      if (window.confirm("Leave this page and discard your changes to the connector?")) return;
      event.preventDefault();
      event.stopPropagation();
    };
    document.addEventListener("click", guardLinks, true);
    return () => {
      window.removeEventListener("beforeunload", warn);
      document.removeEventListener("click", guardLinks, true);
    };
  }, [dirty]);

  function cancel() {
    if (!onCancel) return;
    if (dirty && !window.confirm("Discard your changes to this connector?")) return;
    onCancel();
  }

  // Opening the form focuses its first field (the Edit button that opened it is gone).
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>("input, select, textarea")?.focus();
  }, []);

  // After a failed save, focus goes to the first invalid field.
  useEffect(() => {
    if (Object.keys(fieldErrors).length === 0) return;
    formRef.current?.querySelector<HTMLElement>("[aria-invalid='true']")?.focus();
  }, [fieldErrors]);

  function set<K extends keyof FormState>(key: K, value: FormState[K]) {
    setForm((current) => ({ ...current, [key]: value }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const localErrors: Record<string, string[]> = {};
    let rules: JsonValue = {};
    if (form.transformation_rules.trim()) {
      try {
        rules = JSON.parse(form.transformation_rules) as JsonValue;
        if (!rules || typeof rules !== "object" || Array.isArray(rules)) {
          localErrors.transformation_rules = ["Transformation rules must be a JSON object."];
        }
      } catch (parseError) {
        localErrors.transformation_rules = [`Not valid JSON: ${errorMessage(parseError)}`];
      }
    }
    if (form.max_pages.trim() && !/^\d+$/.test(form.max_pages.trim())) localErrors.max_pages = ["A whole number of pages."];
    const perSecond = parseLimit(form.max_requests_per_second, false);
    const concurrent = parseLimit(form.max_concurrent_requests, true);
    const perSync = parseLimit(form.max_requests_per_sync, true);
    if (typeof perSecond === "string") localErrors.max_requests_per_second = [perSecond];
    if (typeof concurrent === "string") localErrors.max_concurrent_requests = [concurrent];
    else if (concurrent === null) localErrors.max_concurrent_requests = ["Enter how many requests may run at once (1 to 16)."];
    if (typeof perSync === "string") localErrors.max_requests_per_sync = [perSync];
    if (Object.keys(localErrors).length > 0) {
      setFieldErrors(localErrors);
      setError("Please correct the highlighted fields.");
      return;
    }

    const input: ConnectorInput = {
      name: form.name,
      api_endpoint: form.api_endpoint,
      sync_frequency: form.sync_frequency,
      is_active: form.is_active,
      auth_type: form.auth_type,
      records_path:
        form.records_path_mode === "detect" ? null : form.records_path_mode === "root" ? "" : form.records_path,
      primary_key: form.primary_key,
      transformation_rules: rules,
      request_headers: objectOf(form.headers),
      query_params: objectOf(form.query),
      incremental:
        form.cursor_field.trim() || form.cursor_param.trim() ? { cursor_field: form.cursor_field.trim(), param: form.cursor_param.trim() } : {},
      max_pages: form.max_pages.trim() ? Number(form.max_pages.trim()) : null,
      max_requests_per_second: perSecond as number | null,
      max_concurrent_requests: concurrent as number,
      max_requests_per_sync: perSync as number | null,
    };
    input.pagination = buildPagination(form.pagination_type, form.pagination);
    if (form.auth_type === "header") input.auth_header_name = form.auth_header_name;
    if (form.auth_type === "query") input.auth_param_name = form.auth_param_name;
    if (form.auth_type === "basic") input.auth_username = form.auth_username;
    if (form.auth_type !== "none" && (!editing || form.api_key !== "")) input.api_key = form.api_key;

    setSaving(true);
    setError(null);
    setFieldErrors({});
    try {
      await onSubmit(input);
    } catch (submitError) {
      const { summary, other: otherMessages } = saveErrorSummary(submitError, shown);
      setError(summary);
      setOther(otherMessages);
      if (submitError instanceof ApiError) setFieldErrors(submitError.fieldErrors);
    } finally {
      setSaving(false);
    }
  }

  const prefix = editing ? `edit-${connector.id}` : "new";
  const id = (name: string) => `${prefix}-${name}`;
  const e = fieldErrors;

  return (
    <form
      ref={formRef}
      className="card connector-form"
      onSubmit={submit}
      noValidate
      aria-label={editing ? "Edit connector" : "New connector"}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          cancel();
        }
      }}
    >
      <h2>{editing ? `Edit ${connector.name}` : "New connector"}</h2>
      <ErrorBanner message={error} />
      {other.map((message, index) => (
        <p key={index} className="error-text">
          {message}
        </p>
      ))}
      <div className="form-grid">
        <Field label="Name" htmlFor={id("name")} errors={e.name}>
          <input id={id("name")} value={form.name} onChange={(ev) => set("name", ev.target.value)} required maxLength={255} />
        </Field>
        <Field label="API endpoint" htmlFor={id("api_endpoint")} errors={e.api_endpoint} hint="https://api.example.com/v1/customers">
          <input
            id={id("api_endpoint")}
            type="url"
            value={form.api_endpoint}
            onChange={(ev) => set("api_endpoint", ev.target.value)}
            required
          />
        </Field>
        {form.auth_type !== "none" ? (
        <Field
          label="API key"
          htmlFor={id("api_key")}
          errors={e.api_key}
          hint={
            editing && connector.has_api_key
              ? `A key ending in …${connector.api_key_last4 || "????"} is stored. Leave empty to keep it.`
              : "Stored encrypted; never shown again."
          }
        >
          <input
            id={id("api_key")}
            type="password"
            autoComplete="new-password"
            value={form.api_key}
            onChange={(ev) => set("api_key", ev.target.value)}
          />
        </Field>
        ) : null}
        <Field label="Sync frequency" htmlFor={id("sync_frequency")} errors={e.sync_frequency}>
          <select id={id("sync_frequency")} value={form.sync_frequency} onChange={(ev) => set("sync_frequency", ev.target.value as SyncFrequency)}>
            {FREQUENCIES.map((f) => (
              <option key={f} value={f}>
                {f.charAt(0) + f.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Authentication" htmlFor={id("auth_type")} errors={e.auth_type}>
          <select id={id("auth_type")} value={form.auth_type} onChange={(ev) => set("auth_type", ev.target.value as AuthType)}>
            {AUTH_TYPES.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </Field>
        {form.auth_type === "header" ? (
          <Field label="Header name" htmlFor={id("auth_header_name")} errors={e.auth_header_name} hint="e.g. X-API-Key">
            <input id={id("auth_header_name")} value={form.auth_header_name} onChange={(ev) => set("auth_header_name", ev.target.value)} />
          </Field>
        ) : null}
        {form.auth_type === "query" ? (
          <Field label="Query parameter name" htmlFor={id("auth_param_name")} errors={e.auth_param_name} hint="e.g. api_key">
            <input id={id("auth_param_name")} value={form.auth_param_name} onChange={(ev) => set("auth_param_name", ev.target.value)} />
          </Field>
        ) : null}
        {form.auth_type === "basic" ? (
          <Field label="Username" htmlFor={id("auth_username")} errors={e.auth_username} hint="The API key is the password.">
            <input id={id("auth_username")} value={form.auth_username} onChange={(ev) => set("auth_username", ev.target.value)} />
          </Field>
        ) : null}
        <Field label="Pagination" htmlFor={id("pagination")} errors={e.pagination}>
          <select
            id={id("pagination")}
            value={form.pagination_type}
            onChange={(ev) => setForm((current) => ({ ...current, pagination_type: ev.target.value as PaginationType, pagination: {} }))}
          >
            {PAGINATION_TYPES.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
        <PaginationFields idPrefix={prefix} type={form.pagination_type} values={form.pagination} onChange={(values) => set("pagination", values)} />
        <Field label="Records path" htmlFor={id("records_path_mode")} errors={e.records_path}>
          <select
            id={id("records_path_mode")}
            value={form.records_path_mode}
            onChange={(ev) => set("records_path_mode", ev.target.value as RecordsPathMode)}
          >
            <option value="detect">Detect (data, items, results, …)</option>
            <option value="root">The response is the list</option>
            <option value="path">Dotted path…</option>
          </select>
          {form.records_path_mode === "path" ? (
            <input
              aria-label="Records path"
              placeholder="e.g. data.items"
              value={form.records_path}
              onChange={(ev) => set("records_path", ev.target.value)}
            />
          ) : null}
        </Field>
        <Field label="Primary key" htmlFor={id("primary_key")} errors={e.primary_key} hint="Field that identifies a record (dotted path allowed); empty: a content hash.">
          <input id={id("primary_key")} value={form.primary_key} onChange={(ev) => set("primary_key", ev.target.value)} />
        </Field>
        <Field
          label="Requests per second"
          htmlFor={id("max_requests_per_second")}
          errors={e.max_requests_per_second}
          hint="At most, across every worker (0.5 = one every two seconds); empty: no limit."
        >
          <input
            id={id("max_requests_per_second")}
            inputMode="decimal"
            value={form.max_requests_per_second}
            onChange={(ev) => set("max_requests_per_second", ev.target.value)}
          />
        </Field>
        <Field
          label="Concurrent requests"
          htmlFor={id("max_concurrent_requests")}
          errors={e.max_concurrent_requests}
          hint="In flight at once, at most (1 to 16)."
        >
          <input
            id={id("max_concurrent_requests")}
            type="number"
            min={1}
            max={16}
            value={form.max_concurrent_requests}
            onChange={(ev) => set("max_concurrent_requests", ev.target.value)}
          />
        </Field>
        <Field
          label="Requests per sync"
          htmlFor={id("max_requests_per_sync")}
          errors={e.max_requests_per_sync}
          hint="A run stops there (it can be resumed); empty: no limit."
        >
          <input
            id={id("max_requests_per_sync")}
            inputMode="numeric"
            value={form.max_requests_per_sync}
            onChange={(ev) => set("max_requests_per_sync", ev.target.value)}
          />
        </Field>
        <Field label="Active" htmlFor={id("is_active")} errors={e.is_active}>
          <label className="checkbox">
            <input id={id("is_active")} type="checkbox" checked={form.is_active} onChange={(ev) => set("is_active", ev.target.checked)} />
            Sync on its schedule
          </label>
        </Field>
        <Field label="Max pages per sync" htmlFor={id("max_pages")} errors={e.max_pages} hint="Empty: no limit.">
          <input id={id("max_pages")} inputMode="numeric" value={form.max_pages} onChange={(ev) => set("max_pages", ev.target.value)} />
        </Field>
        <Field label="Incremental: cursor field" htmlFor={id("cursor_field")} errors={e.incremental} hint="e.g. updated_at; empty: fetch everything each time.">
          <input id={id("cursor_field")} value={form.cursor_field} onChange={(ev) => set("cursor_field", ev.target.value)} />
        </Field>
        <Field label="Incremental: query parameter" htmlFor={id("cursor_param")} hint="e.g. updated_since">
          <input id={id("cursor_param")} value={form.cursor_param} onChange={(ev) => set("cursor_param", ev.target.value)} />
        </Field>
        <KeyValueEditor id={id("headers")} legend="Request headers" rows={form.headers} onChange={(rows) => set("headers", rows)} errors={e.request_headers} />
        <KeyValueEditor id={id("query")} legend="Query parameters" rows={form.query} onChange={(rows) => set("query", rows)} errors={e.query_params} />
        <Field
          label="Transformation rules (JSON)"
          htmlFor={id("transformation_rules")}
          errors={e.transformation_rules}
          wide
          hint='field_mappings (source path → target field), type_conversions, defaults, required, include_unmapped. Example: {"field_mappings": {"name": "full_name", "address.city": "city"}, "type_conversions": {"id": "int"}}'
        >
          <textarea
            id={id("transformation_rules")}
            rows={6}
            spellCheck={false}
            value={form.transformation_rules}
            onChange={(ev) => set("transformation_rules", ev.target.value)}
          />
        </Field>
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : editing ? "Save changes" : "Create connector"}
        </button>
        {onCancel ? (
          <button type="button" className="btn" onClick={cancel} disabled={saving}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
