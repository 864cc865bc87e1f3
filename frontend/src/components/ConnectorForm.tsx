import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { ApiError } from "../api/client";
import type { Connector, ConnectorInput, JsonValue, PaginationType, Preview, RequestMethod, SchemaPolicy, SyncFrequency } from "../api/types";
import { useAnnounce } from "../announce";
import { useUnsavedChanges } from "../unsavedChanges";
import { AUTH_FIELDS, AuthFields, authInput, initialAuth, type AuthValues } from "./AuthFields";
import { BUDGET_FIELDS, budgetInput, initialBudget, RequestBudgetFields, TimeBudgetField, type BudgetValues } from "./BudgetFields";
import { ErrorBanner } from "./common";
import {
  buildErrorDetection,
  buildPagination,
  ENDPOINT_HINT,
  errorDetectionValuesOf,
  incrementalInput,
  incrementalValuesOf,
  maxPagesError,
  nameAndEndpointErrors,
  objectOf,
  paginationToSave,
  paginationValueErrors,
  paginationValuesOf,
  requestBodyTextOf,
  requestBodyToSend,
  rowsOf,
  type ErrorDetectionValues,
  type IncrementalValues,
  type KeyValue,
  type PaginationValues,
} from "./connectorConfig";
import { ANCHOR_FIELDS, type AnchorValues, anchorErrors, anchorInput, anchorValuesOf, ScheduleAnchorFields } from "./ScheduleAnchorFields";
import { Field, KeyValueEditor } from "./fields";
import { saveErrorSummary } from "./formErrors";
import { PreviewPanel, type PreviewSample } from "./PreviewPanel";
import { ErrorDetectionFields, IncrementalFields, PaginationSection, RequestMethodFields } from "./requestFields";
import { draftOfRules, rulesOfDraft, type RulesDraft } from "./rules";
import { RulesEditor } from "./RulesEditor";

const FREQUENCIES: SyncFrequency[] = ["MANUAL", "HOURLY", "DAILY", "WEEKLY"];
type RecordsPathMode = "detect" | "root" | "path";

/** What decides which records a preview reads (not how they are paged or stored), as text to compare:
 * a preview's sample checks the rules' source paths only while these are as it read them. */
function recordsReadWith(form: FormState): string {
  const { api_endpoint, records_path_mode, records_path, request_method, request_body, headers, query } = form;
  return JSON.stringify({ api_endpoint, records_path_mode, records_path, request_method, request_body, headers, query });
}

/** What a connection test of the saved connector reads with (not its name, schedule, rules or
 * limits), as text to compare: a test's result describes these settings as they were saved. */
function testedWith(form: FormState): string {
  const { api_endpoint, auth, headers, query, request_method, request_body, records_path_mode, records_path, error_detection, pagination_type, pagination, pagination_json } = form;
  return JSON.stringify({ api_endpoint, auth, headers, query, request_method, request_body, records_path_mode, records_path, error_detection, pagination_type, pagination, pagination_json });
}

interface FormState {
  name: string;
  api_endpoint: string;
  sync_frequency: SyncFrequency;
  anchor: AnchorValues;
  is_active: boolean;
  auth: AuthValues;
  pagination_type: PaginationType;
  pagination: PaginationValues;
  /** Pagination JSON typed under "advanced" and not applied yet. */
  pagination_json: string | null;
  records_path_mode: RecordsPathMode;
  records_path: string;
  primary_key: string;
  rules: RulesDraft;
  headers: KeyValue[];
  query: KeyValue[];
  request_method: RequestMethod;
  /** The request body as typed (JSON text; empty: {}). */
  request_body: string;
  incremental: IncrementalValues;
  max_pages: string;
  budget: BudgetValues;
  error_detection: ErrorDetectionValues;
  schema_policy: SchemaPolicy;
}

const shown: ReadonlySet<string> = new Set([
  "name",
  "api_endpoint",
  "sync_frequency",
  ...ANCHOR_FIELDS,
  "is_active",
  ...AUTH_FIELDS,
  "error_detection",
  "schema_policy",
  "pagination",
  "records_path",
  "primary_key",
  "transformation_rules",
  "request_headers",
  "query_params",
  "request_method",
  "request_body",
  "incremental",
  "max_pages",
  ...BUDGET_FIELDS,
]);

function initialState(connector?: Connector): FormState {
  return {
    name: connector?.name ?? "",
    api_endpoint: connector?.api_endpoint ?? "",
    sync_frequency: connector?.sync_frequency ?? "DAILY",
    anchor: anchorValuesOf(connector),
    is_active: connector?.is_active ?? true,
    auth: initialAuth(connector),
    pagination_type: paginationValuesOf(connector?.pagination).type,
    pagination: paginationValuesOf(connector?.pagination).values,
    pagination_json: null,
    records_path_mode:
      connector === undefined || connector.records_path === null ? "detect" : connector.records_path === "" ? "root" : "path",
    records_path: connector?.records_path ?? "",
    primary_key: connector?.primary_key ?? "",
    rules: draftOfRules(connector?.transformation_rules),
    headers: rowsOf(connector?.request_headers),
    query: rowsOf(connector?.query_params),
    request_method: connector?.request_method ?? "GET",
    request_body: requestBodyTextOf(connector?.request_body),
    incremental: incrementalValuesOf(connector?.incremental),
    max_pages: connector?.max_pages ? String(connector.max_pages) : "",
    budget: initialBudget(connector),
    error_detection: errorDetectionValuesOf(connector?.error_detection),
    schema_policy: connector?.schema_policy ?? "evolve",
  };
}

/**
 * Create or edit a connector. Credentials are write-only: a stored one is kept unless the user
 * replaces or clears it (nothing is sent for it otherwise). Validation errors from the API are
 * shown next to their fields; `onPreview` previews the form's changes without saving them.
 */
export function ConnectorForm({
  connector,
  onSubmit,
  onCancel,
  onPreview,
  onTestedSettingsChange,
}: {
  connector?: Connector;
  onSubmit: (input: ConnectorInput) => Promise<void>;
  onCancel?: () => void;
  onPreview?: (input: ConnectorInput) => Promise<Preview>;
  /** Told whether the settings a connection test reads with (endpoint, authentication, request,
   * records path, pagination, error detection) differ from the saved ones, on each change. */
  onTestedSettingsChange?: (changed: boolean) => void;
}) {
  const [form, setForm] = useState<FormState>(() => initialState(connector));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [other, setOther] = useState<string[]>([]);
  const editing = connector !== undefined;
  const initial = useRef(initialState(connector));
  const dirty = useMemo(() => fingerprint(form) !== fingerprint(initial.current), [form]);
  const formRef = useRef<HTMLFormElement>(null);
  // The latest preview's sample and what it read the records with (see recordsReadWith).
  const previewedWith = useRef("");
  const [previewSample, setPreviewSample] = useState<{ readWith: string; sample: PreviewSample } | null>(null);
  const announce = useAnnounce();
  const [showRuleProblems, setShowRuleProblems] = useState(false);
  // Unsaved edits: leaving the page (a link, Back, reload, closing the tab), Cancel and Escape ask first.
  const guard = useUnsavedChanges(dirty, "your changes to this connector");
  const testedSettingsChanged = useMemo(() => testedWith(form) !== testedWith(initial.current), [form]);
  const reportTested = useRef(onTestedSettingsChange);
  reportTested.current = onTestedSettingsChange;
  useEffect(() => {
    reportTested.current?.(testedSettingsChanged);
  }, [testedSettingsChanged]);

  function cancel() {
    if (!onCancel) return;
    guard.confirmDiscard(onCancel);
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

  /** The body of the save (and of the preview's overrides), or null after showing local errors. */
  function buildInput(): ConnectorInput | null {
    const localErrors: Record<string, string[]> = nameAndEndpointErrors(form.name, form.api_endpoint);
    const rulesResult = rulesOfDraft(form.rules);
    let rules: JsonValue = {};
    if ("problems" in rulesResult) {
      localErrors.transformation_rules = ["Correct the highlighted rules."];
      setShowRuleProblems(true);
    } else {
      rules = rulesResult.rules;
    }
    // Pagination JSON typed and not applied is saved as typed, once it passes Apply's checks.
    const pagination = paginationToSave(form.pagination_type, form.pagination, form.pagination_json);
    if ("error" in pagination) localErrors.pagination_json = [pagination.error];
    else Object.assign(localErrors, paginationValueErrors(pagination.type, pagination.values));
    const maxPages = maxPagesError(form.max_pages);
    if (maxPages) localErrors.max_pages = [maxPages];
    const body = requestBodyToSend(form.request_method, form.request_body);
    if ("error" in body) localErrors.request_body = [body.error];
    const budget = budgetInput(form.budget);
    if ("errors" in budget) Object.assign(localErrors, budget.errors);
    const incremental = incrementalInput(connector?.incremental, form.incremental, form.request_method);
    if ("errors" in incremental) Object.assign(localErrors, incremental.errors);
    Object.assign(localErrors, anchorErrors(form.sync_frequency, form.anchor));
    if (Object.keys(localErrors).length > 0 || "errors" in budget || "error" in body || "errors" in incremental) {
      setFieldErrors(localErrors);
      setError("Please correct the highlighted fields.");
      return null;
    }

    const input: ConnectorInput = {
      name: form.name,
      api_endpoint: form.api_endpoint,
      sync_frequency: form.sync_frequency,
      ...anchorInput(form.sync_frequency, form.anchor),
      is_active: form.is_active,
      records_path:
        form.records_path_mode === "detect" ? null : form.records_path_mode === "root" ? "" : form.records_path,
      primary_key: form.primary_key,
      transformation_rules: rules,
      request_headers: objectOf(form.headers),
      query_params: objectOf(form.query),
      request_method: form.request_method,
      request_body: body.body,
      incremental: incremental.input,
      max_pages: form.max_pages.trim() ? Number(form.max_pages.trim()) : null,
      ...budget.input,
      error_detection: buildErrorDetection(form.error_detection),
      schema_policy: form.schema_policy,
      ...authInput(form.auth),
    };
    if (!("error" in pagination)) {
      input.pagination = buildPagination(pagination.type, pagination.values);
      if (form.pagination_json !== null) {
        setForm((current) => ({ ...current, pagination_type: pagination.type, pagination: pagination.values, pagination_json: null }));
      }
    }
    return input;
  }

  async function preview(): Promise<Preview> {
    const input = buildInput();
    if (!input || !onPreview) throw new Error("Correct the highlighted fields first.");
    setError(null);
    setFieldErrors({});
    previewedWith.current = recordsReadWith(form);
    return onPreview(input);
  }

  function showPreviewErrors(apiError: ApiError): boolean {
    setError(saveErrorSummary(apiError, shown).summary.replace("Not saved", "No preview"));
    setFieldErrors(apiError.fieldErrors);
    return true;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = buildInput();
    if (!input) return;
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
        <Field label="API endpoint" htmlFor={id("api_endpoint")} errors={e.api_endpoint} hint={ENDPOINT_HINT}>
          <input
            id={id("api_endpoint")}
            type="url"
            value={form.api_endpoint}
            onChange={(ev) => set("api_endpoint", ev.target.value)}
            required
          />
        </Field>
        <Field label="Sync frequency" htmlFor={id("sync_frequency")} errors={e.sync_frequency}>
          <select id={id("sync_frequency")} value={form.sync_frequency} onChange={(ev) => set("sync_frequency", ev.target.value as SyncFrequency)}>
            {FREQUENCIES.map((f) => (
              <option key={f} value={f}>
                {f.charAt(0) + f.slice(1).toLowerCase()}
              </option>
            ))}
          </select>
        </Field>
        <ScheduleAnchorFields idPrefix={prefix} frequency={form.sync_frequency} values={form.anchor} onChange={(anchor) => set("anchor", anchor)} errors={e} />
        <AuthFields idPrefix={prefix} values={form.auth} onChange={(auth) => set("auth", auth)} errors={e} connector={connector} />
        <PaginationSection
          idPrefix={prefix}
          selectId={id("pagination")}
          type={form.pagination_type}
          values={form.pagination}
          onChange={(type: PaginationType, values: PaginationValues) => setForm((current) => ({ ...current, pagination_type: type, pagination: values }))}
          errors={e}
          json={form.pagination_json}
          onJsonChange={(json) => set("pagination_json", json)}
        />
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
        <Field
          label="Schema changes"
          htmlFor={id("schema_policy")}
          errors={e.schema_policy}
          hint="A new field or a field that takes another type: store and report it, or fail the run before storing that page (its checkpoint is kept: review, switch to evolve, resume)."
        >
          <select id={id("schema_policy")} value={form.schema_policy} onChange={(ev) => set("schema_policy", ev.target.value as SchemaPolicy)}>
            <option value="evolve">Evolve: store and report them</option>
            <option value="freeze">Freeze: fail the run on a change</option>
          </select>
        </Field>
        <Field label="Primary key" htmlFor={id("primary_key")} errors={e.primary_key} hint="Field that identifies a record (dotted path allowed); empty: a content hash.">
          <input id={id("primary_key")} value={form.primary_key} onChange={(ev) => set("primary_key", ev.target.value)} />
        </Field>
        <RequestBudgetFields idPrefix={prefix} values={form.budget} onChange={(budget) => set("budget", budget)} errors={e} />
        <Field label="Active" htmlFor={id("is_active")} errors={e.is_active}>
          <label className="checkbox">
            <input id={id("is_active")} type="checkbox" checked={form.is_active} onChange={(ev) => set("is_active", ev.target.checked)} />
            {form.sync_frequency === "MANUAL" ? "No schedule with Manual: syncs run only when started" : "Sync on its schedule"}
          </label>
        </Field>
        <Field label="Max pages per sync" htmlFor={id("max_pages")} errors={e.max_pages} hint="Empty: the server's limit.">
          <input id={id("max_pages")} inputMode="numeric" value={form.max_pages} onChange={(ev) => set("max_pages", ev.target.value)} />
        </Field>
        <TimeBudgetField idPrefix={prefix} values={form.budget} onChange={(budget) => set("budget", budget)} errors={e} />
        <KeyValueEditor id={id("headers")} legend="Request headers" rows={form.headers} onChange={(rows) => set("headers", rows)} errors={e.request_headers} />
        <KeyValueEditor id={id("query")} legend="Query parameters" rows={form.query} onChange={(rows) => set("query", rows)} errors={e.query_params} />
        <RequestMethodFields
          idPrefix={prefix}
          method={form.request_method}
          body={form.request_body}
          onMethodChange={(method) => set("request_method", method)}
          onBodyChange={(text) => set("request_body", text)}
          methodErrors={e.request_method}
          bodyErrors={e.request_body}
        />
        <IncrementalFields
          idPrefix={prefix}
          method={form.request_method}
          values={form.incremental}
          onChange={(incremental) => set("incremental", incremental)}
          errors={e}
          cursorHint="e.g. updated_at; empty: fetch everything each time."
        />
        <RulesEditor
          idPrefix={prefix}
          draft={form.rules}
          onChange={(rules) => set("rules", rules)}
          showProblems={showRuleProblems}
          apiErrors={e.transformation_rules}
          preview={onPreview ? preview : undefined}
          onPreviewFieldErrors={showPreviewErrors}
          sample={previewSample && previewSample.readWith === recordsReadWith(form) ? previewSample.sample : null}
        />
        <ErrorDetectionFields idPrefix={prefix} values={form.error_detection} onChange={(values) => set("error_detection", values)} errors={e.error_detection} />
      </div>
      {onPreview ? (
        <PreviewPanel
          run={preview}
          onFieldErrors={showPreviewErrors}
          onOutcome={(outcome) => setPreviewSample(outcome.ok ? { readWith: previewedWith.current, sample: outcome.sample } : null)}
          onPinPagination={(config: { [key: string]: JsonValue }) => {
            const { type, values } = paginationValuesOf(config);
            setForm((current) => ({ ...current, pagination_type: type, pagination: values, pagination_json: null }));
          }}
          onPickPrimaryKey={(path) => {
            set("primary_key", path);
            announce(`Primary key set to ${path}.`);
          }}
          onPickCursor={(path) => {
            setForm((current) => ({ ...current, incremental: { ...current.incremental, cursor_field: path } }));
            announce(`Incremental cursor set to ${path}.`);
          }}
          primaryKey={form.primary_key}
          cursorField={form.incremental.cursor_field}
        />
      ) : null}
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
      {guard.dialog}
    </form>
  );
}

/** What the form would send, for "are there unsaved edits?": the rules by what they mean (a JSON
 * toggle or a blank row is no edit), everything else as typed. */
function fingerprint(form: FormState): string {
  const rules = rulesOfDraft(form.rules);
  return JSON.stringify({ ...form, rules: "rules" in rules ? rules.rules : form.rules });
}
