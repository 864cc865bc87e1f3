import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";

import { ApiError } from "../api/client";
import type { ConnectorInput, JsonValue, PaginationType, Preview, RequestMethod, SyncFrequency } from "../api/types";
import { useAnnounce } from "../announce";
import { ErrorBanner } from "./common";
import { ConfirmDialog } from "./ConfirmDialog";
import { AUTH_FIELDS, AuthFields, authInput, initialAuth, type AuthValues } from "./AuthFields";
import { BUDGET_FIELDS, budgetInput, initialBudget, RequestBudgetFields, TimeBudgetField, type BudgetValues } from "./BudgetFields";
import {
  buildErrorDetection,
  buildPagination,
  ENDPOINT_HINT,
  errorDetectionValuesOf,
  incrementalInput,
  maxPagesError,
  nameAndEndpointErrors,
  objectOf,
  paginationToSave,
  paginationValueErrors,
  paginationValuesOf,
  recordsPathOf,
  requestBodyToSend,
  TEMPLATES,
  type ErrorDetectionValues,
  type IncrementalValues,
  type KeyValue,
  type PaginationValues,
} from "./connectorConfig";
import { type AnchorValues, anchorErrors, anchorInput, anchorValuesOf, ScheduleAnchorFields } from "./ScheduleAnchorFields";
import { Field, KeyValueEditor } from "./fields";
import { PreviewPanel, type PreviewOutcome } from "./PreviewPanel";
import { failureHint, isRateLimited, statusSuffix } from "./UpstreamError";
import { ErrorDetectionFields, IncrementalFields, PaginationSection, RequestMethodFields } from "./requestFields";
import { saveErrorSummary } from "./formErrors";
import { draftOfRules, rulesOfDraft, type RulesDraft } from "./rules";
import { RulesEditor } from "./RulesEditor";
import { useUnsavedChanges } from "../unsavedChanges";

export const FREQUENCIES: SyncFrequency[] = ["MANUAL", "HOURLY", "DAILY", "WEEKLY"];

export const STEPS = ["Endpoint and authentication", "Preview", "Records and transformation", "Requests and schedule"] as const;

/** Which step shows each field the API may name in a validation error. */
const STEP_OF_FIELD: Record<string, number> = {
  name: 0,
  api_endpoint: 0,
  ...Object.fromEntries(AUTH_FIELDS.map((field) => [field, 0])),
  records_path: 2,
  primary_key: 2,
  transformation_rules: 2,
  pagination: 3,
  request_headers: 3,
  query_params: 3,
  request_method: 0,
  request_body: 0,
  incremental: 3,
  max_pages: 3,
  ...Object.fromEntries(BUDGET_FIELDS.map((field) => [field, 3])),
  error_detection: 3,
  sync_frequency: 3,
  sync_time: 3,
  sync_weekday: 3,
  is_active: 3,
};
const SHOWN = new Set(Object.keys(STEP_OF_FIELD));

interface WizardState {
  name: string;
  api_endpoint: string;
  auth: AuthValues;
  records_path_mode: "detect" | "root" | "path";
  records_path: string;
  primary_key: string;
  rules: RulesDraft;
  pagination_type: PaginationType;
  pagination: PaginationValues;
  /** Pagination JSON typed under "advanced" and not applied yet. */
  pagination_json: string | null;
  error_detection: ErrorDetectionValues;
  headers: KeyValue[];
  query: KeyValue[];
  request_method: RequestMethod;
  /** The request body as typed (JSON text; empty: {}). */
  request_body: string;
  incremental: IncrementalValues;
  max_pages: string;
  budget: BudgetValues;
  sync_frequency: SyncFrequency;
  anchor: AnchorValues;
  is_active: boolean;
}

const INITIAL: WizardState = {
  name: "",
  api_endpoint: "",
  auth: initialAuth(undefined, { auth_header_name: "X-API-Key", auth_param_name: "api_key" }),
  records_path_mode: "detect",
  records_path: "",
  primary_key: "id",
  rules: draftOfRules({}),
  pagination_type: "auto",
  pagination: {},
  pagination_json: null,
  error_detection: errorDetectionValuesOf({}),
  headers: [],
  query: [],
  request_method: "GET",
  request_body: "",
  incremental: { cursor_field: "", param: "", body_filter: "" },
  max_pages: "",
  budget: initialBudget(),
  sync_frequency: "DAILY",
  anchor: anchorValuesOf(),
  is_active: true,
};

/**
 * The "new connector" wizard: endpoint and authentication → preview (fetched on entering the
 * step, again with its button) → records and transformation
 * rules (rows of source path → target field with their conversion, default and required flag, a
 * JSON toggle, sample records before and after the rules) → requests and schedule (pagination as
 * fields, headers, query parameters, incremental cursor, max pages, the time and request budgets,
 * the schedule). Templates fill the settings of common API styles. Leaving with something typed
 * asks first (useUnsavedChanges).
 */
export function ConnectorWizard({
  onSubmit,
  onCancel,
  onPreview,
}: {
  onSubmit: (input: ConnectorInput) => Promise<void>;
  onCancel: () => void;
  onPreview: (input: ConnectorInput) => Promise<Preview>;
}) {
  const [state, setState] = useState<WizardState>(INITIAL);
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [banner, setBanner] = useState<string | null>(null);
  const [other, setOther] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  // How the latest preview ended, and the settings it read the API with: a failure of the settings
  // still in the form has the last step warn about it, and creating ask first.
  const [latestPreview, setLatestPreview] = useState<{ settings: string; outcome: PreviewOutcome } | null>(null);
  const previewedSettings = useRef<string | null>(null);
  const [confirmingCreate, setConfirmingCreate] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const announce = useAnnounce();
  const focusInvalid = useRef(false);
  const [showRuleProblems, setShowRuleProblems] = useState(false);
  const dirty = useMemo(() => JSON.stringify(state) !== JSON.stringify(INITIAL), [state]);
  const guard = useUnsavedChanges(dirty, "this new connector");

  function set<K extends keyof WizardState>(key: K, value: WizardState[K]) {
    setState((current) => ({ ...current, [key]: value }));
  }

  // After a step change, focus the first invalid field if there is one, else the step's heading.
  useEffect(() => {
    const form = formRef.current;
    if (!form) return;
    const target =
      (focusInvalid.current ? form.querySelector<HTMLElement>("[aria-invalid='true']") : null) ??
      form.querySelector<HTMLElement>("h2.step-heading");
    focusInvalid.current = false;
    target?.focus();
  }, [step, errors]);

  function applyTemplate(id: string) {
    const template = TEMPLATES.find((item) => item.id === id);
    if (!template) return;
    setState((current) => ({
      ...current,
      auth: {
        ...current.auth,
        auth_type: template.auth_type,
        auth_header_name: template.auth_header_name ?? current.auth.auth_header_name,
        auth_param_name: template.auth_param_name ?? current.auth.auth_param_name,
      },
      pagination_type: template.pagination_type,
      pagination: { ...template.pagination },
      pagination_json: null,
      records_path_mode: template.records_path_mode,
      records_path: template.records_path ?? "",
    }));
    announce(`Template ${template.label} applied.`);
  }

  function localErrors(forStep: number): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    if (forStep === 0) {
      Object.assign(found, nameAndEndpointErrors(state.name, state.api_endpoint));
      const body = requestBodyToSend(state.request_method, state.request_body);
      if ("error" in body) found.request_body = [body.error];
    }
    if (forStep === 2 && "problems" in rulesOfDraft(state.rules)) {
      found.transformation_rules = ["Correct the highlighted rules."];
    }
    if (forStep === 3) {
      const pagination = paginationToSave(state.pagination_type, state.pagination, state.pagination_json);
      if ("error" in pagination) found.pagination_json = [pagination.error];
      else Object.assign(found, paginationValueErrors(pagination.type, pagination.values));
      const maxPages = maxPagesError(state.max_pages);
      if (maxPages) found.max_pages = [maxPages];
      const budget = budgetInput(state.budget);
      if ("errors" in budget) Object.assign(found, budget.errors);
      const incremental = incrementalInput(undefined, state.incremental, state.request_method);
      if ("errors" in incremental) Object.assign(found, incremental.errors);
      Object.assign(found, anchorErrors(state.sync_frequency, state.anchor));
    }
    return found;
  }

  function goTo(next: number) {
    if (next > step) {
      const found = localErrors(step);
      if (Object.keys(found).length > 0) {
        if (found.transformation_rules) setShowRuleProblems(true);
        setErrors(found);
        setBanner(`${Object.keys(found).length === 1 ? "One field needs" : `${Object.keys(found).length} fields need`} attention before the next step.`);
        focusInvalid.current = true;
        return;
      }
    }
    setErrors({});
    setBanner(null);
    setStep(next);
  }

  /** The rules as they stand; {} while they have problems (the step's check names them). */
  function rules(): JsonValue {
    const result = rulesOfDraft(state.rules);
    return "rules" in result ? result.rules : {};
  }

  function input(): ConnectorInput {
    // A budget with a wrong value is left out (the API's defaults): only a preview can be asked
    // for then, and step 4's check names the value before the connector is created.
    const budget = budgetInput(state.budget);
    // Pagination JSON typed and not applied counts once it passes Apply's checks (step 4's check
    // names it otherwise, and the preview then uses the fields).
    const typed = paginationToSave(state.pagination_type, state.pagination, state.pagination_json);
    const pagination = "error" in typed ? { type: state.pagination_type, values: state.pagination } : typed;
    // A body that is not a JSON object is never sent as {}: step 1's check names it before the
    // preview, and the connector is not created with it.
    const body = requestBodyToSend(state.request_method, state.request_body);
    if ("error" in body) throw new Error(`The request body (step 1) cannot be sent. ${body.error}`);
    // An incremental setting with a problem is left out of a preview (it fetches the first page,
    // which no start applies to); step 4's check names it before the connector is created.
    const incremental = incrementalInput(undefined, state.incremental, state.request_method);
    const result: ConnectorInput = {
      name: state.name.trim(),
      api_endpoint: state.api_endpoint.trim(),
      ...authInput(state.auth),
      records_path: recordsPathOf(state.records_path_mode, state.records_path),
      primary_key: state.primary_key,
      transformation_rules: rules(),
      pagination: buildPagination(pagination.type, pagination.values),
      request_headers: objectOf(state.headers),
      query_params: objectOf(state.query),
      request_method: state.request_method,
      request_body: body.body,
      incremental: "input" in incremental ? incremental.input : {},
      max_pages: state.max_pages.trim() ? Number(state.max_pages.trim()) : null,
      ...("input" in budget ? budget.input : {}),
      error_detection: buildErrorDetection(state.error_detection),
      sync_frequency: state.sync_frequency,
      ...anchorInput(state.sync_frequency, state.anchor),
      is_active: state.is_active,
    };
    return result;
  }

  /** The preview's body: the configuration as it stands (rules with problems are left out). */
  function previewInput(): ConnectorInput {
    const { name, sync_frequency, sync_time, sync_weekday, is_active, ...rest } = input();
    void sync_frequency;
    void sync_time;
    void sync_weekday;
    void is_active;
    return name ? { ...rest, name } : rest;
  }

  /** The settings the preview reads the API with, as text to compare (null: they cannot be sent).
   * The name, the primary key and the rules only shape what is stored: they are left out, so a
   * rule edited after a failed preview keeps its warning. */
  function readingSettings(): string | null {
    try {
      const { name, primary_key, transformation_rules, ...reading } = previewInput();
      void name;
      void primary_key;
      void transformation_rules;
      return JSON.stringify(reading);
    } catch {
      return null;
    }
  }

  /** The API refused the preview naming fields: show them on their step, as a save would. */
  function showFieldErrors(error: ApiError): boolean {
    const steps = Object.keys(error.fieldErrors).map((field) => STEP_OF_FIELD[field]).filter((value) => value !== undefined);
    if (!steps.length) return false;
    setErrors(error.fieldErrors);
    setBanner(saveErrorSummary(error, SHOWN).summary.replace("Not saved", "No preview"));
    focusInvalid.current = true;
    setStep(Math.min(...steps));
    return true;
  }

  function pinPagination(config: { [key: string]: JsonValue }) {
    const { type, values } = paginationValuesOf(config);
    setState((current) => ({ ...current, pagination_type: type, pagination: values, pagination_json: null }));
    keepPreviewThroughPin.current = true;
  }

  // Pinning what the preview itself detected (its pagination, its records path) changes the
  // settings but not the records they read: the preview stays that of the form's settings, so the
  // rules step keeps its sample (the source paths' suggestions and checks) and the last step knows
  // whether it failed. Any other change still leaves it behind.
  const keepPreviewThroughPin = useRef(false);
  useEffect(() => {
    if (!keepPreviewThroughPin.current) return;
    keepPreviewThroughPin.current = false;
    const settings = readingSettings();
    if (settings !== null) setLatestPreview((latest) => (latest ? { ...latest, settings } : latest));
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (step < STEPS.length - 1) {
      goTo(step + 1);
      return;
    }
    await create(false);
  }

  /** Create the connector once every step's checks pass; after a failed preview, only once the
   * user confirmed it (`confirmed`) in the dialog saying why. */
  async function create(confirmed: boolean) {
    for (const check of [0, 2, 3]) {
      const found = localErrors(check);
      if (Object.keys(found).length) {
        if (found.transformation_rules) setShowRuleProblems(true);
        setErrors(found);
        setBanner("Some fields need attention.");
        focusInvalid.current = true;
        setStep(check);
        return;
      }
    }
    if (previewFailure && !confirmed) {
      // Every check passed: what an earlier attempt said must not stay behind the question.
      setErrors({});
      setBanner(null);
      setConfirmingCreate(true);
      return;
    }
    setSaving(true);
    setBanner(null);
    setOther([]);
    // The page goes to the new connector: nothing is left unsaved then.
    guard.allowLeaving(true);
    try {
      await onSubmit(input());
    } catch (error) {
      guard.allowLeaving(false);
      const { summary, other: otherMessages } = saveErrorSummary(error, SHOWN);
      setBanner(summary);
      setOther(otherMessages);
      if (error instanceof ApiError) {
        setErrors(error.fieldErrors);
        const steps = Object.keys(error.fieldErrors).map((field) => STEP_OF_FIELD[field]).filter((value) => value !== undefined);
        focusInvalid.current = true;
        if (steps.length) setStep(Math.min(...steps));
      }
    } finally {
      setSaving(false);
    }
  }

  const e = errors;
  const id = (name: string) => `wizard-${name}`;
  // A failed preview of settings since changed says nothing about these: no warning, no question.
  const currentSettings = latestPreview ? readingSettings() : null;
  const previewFailure = latestPreview && !latestPreview.outcome.ok && latestPreview.settings === currentSettings ? latestPreview.outcome : null;
  // a preview the API's rate limit stopped says nothing about the settings: not "failed"
  const previewLimited = previewFailure !== null && isRateLimited(previewFailure.statusCode, previewFailure.retryAfter);
  // The sample of a preview read with the settings as they are: the rules' source paths are checked against it.
  const previewSample = latestPreview && latestPreview.outcome.ok && latestPreview.settings === currentSettings ? latestPreview.outcome.sample : null;

  return (
    <form ref={formRef} className="card connector-form wizard" onSubmit={submit} noValidate aria-label="New connector">
      {/* On a phone the list shrinks to its numbers (the heading under it names the step); the labels
          stay in the list for screen readers, the current one marked by aria-current. */}
      <ol className="steps" aria-label="Steps">
        {STEPS.map((label, index) => (
          <li key={label} aria-current={index === step ? "step" : undefined} className={index === step ? "current" : index < step ? "done" : ""}>
            <span className="step-number" aria-hidden="true">
              {index + 1}
            </span>{" "}
            <span className="step-label">{label}</span>
          </li>
        ))}
      </ol>
      <h2 className="step-heading" tabIndex={-1}>
        Step {step + 1} of {STEPS.length}: {STEPS[step]}
      </h2>
      <ErrorBanner message={banner} />
      {other.map((message, index) => (
        <p key={index} className="error-text">
          {message}
        </p>
      ))}

      {step === 0 ? (
        <div className="form-grid">
          <div className="field field-wide">
            <span className="label-like" id="template-label">
              Start from a template (optional)
            </span>
            <div className="templates" role="group" aria-labelledby="template-label">
              {TEMPLATES.map((template) => (
                <button key={template.id} type="button" className="btn btn-small template" onClick={() => applyTemplate(template.id)} title={template.description}>
                  {template.label}
                </button>
              ))}
            </div>
          </div>
          <Field label="Name" htmlFor={id("name")} errors={e.name}>
            <input id={id("name")} value={state.name} onChange={(ev) => set("name", ev.target.value)} maxLength={255} autoComplete="off" />
          </Field>
          <Field label="API endpoint" htmlFor={id("api_endpoint")} errors={e.api_endpoint} hint={ENDPOINT_HINT}>
            <input id={id("api_endpoint")} type="url" value={state.api_endpoint} onChange={(ev) => set("api_endpoint", ev.target.value)} />
          </Field>
          <AuthFields idPrefix="wizard" values={state.auth} onChange={(auth) => set("auth", auth)} errors={e} />
          {/* Before the preview: a search endpoint answers POST only. */}
          <RequestMethodFields
            idPrefix="wizard"
            method={state.request_method}
            body={state.request_body}
            onMethodChange={(method) => set("request_method", method)}
            onBodyChange={(text) => set("request_body", text)}
            methodErrors={e.request_method}
            bodyErrors={e.request_body}
          />
        </div>
      ) : null}

      {step === 3 && previewFailure ? (
        <div className="banner banner-warning preview-failed" data-testid="preview-failed-warning">
          <strong>
            {previewLimited
              ? "The API limited the rate of the last preview: these settings are not checked yet."
              : "The last preview failed: this connector may not be able to read its API."}
          </strong>
          <p>
            {previewFailure.message}
            {statusSuffix(previewFailure.message, previewFailure.statusCode)}
          </p>
          {failureHint(previewFailure.message, previewFailure.statusCode) ? <p>{failureHint(previewFailure.message, previewFailure.statusCode)}</p> : null}
          <p>
            {previewLimited
              ? "You can still create it: its syncs wait when the API asks them to, and then read it."
              : "You can still create it: its syncs fail the same way until the API answers."}{" "}
            <button type="button" className="link-button" onClick={() => goTo(1)}>
              Back to the preview
            </button>
          </p>
        </div>
      ) : null}

      {step === 1 ? (
        <PreviewPanel
          autoFetch
          run={(): Promise<Preview> => {
            const sent = previewInput();
            previewedSettings.current = readingSettings();
            return onPreview(sent);
          }}
          onOutcome={(outcome) => setLatestPreview({ settings: previewedSettings.current ?? "", outcome })}
          onFieldErrors={showFieldErrors}
          onPinPagination={pinPagination}
          onPickPrimaryKey={(path) => {
            set("primary_key", path);
            announce(`Primary key set to ${path}.`);
          }}
          onPickCursor={(path) => {
            setState((current) => ({ ...current, incremental: { ...current.incremental, cursor_field: path } }));
            announce(`Incremental cursor set to ${path}. Name the query parameter that takes its value on step 4.`);
          }}
          onUseRecordsPath={(path) => {
            setState((current) => ({ ...current, records_path_mode: path === "" ? "root" : "path", records_path: path }));
            keepPreviewThroughPin.current = true;
            announce("Records path set.");
          }}
          primaryKey={state.primary_key}
          cursorField={state.incremental.cursor_field}
        />
      ) : null}

      {step === 2 ? (
        <div className="form-grid">
          <Field label="Records path" htmlFor={id("records_path_mode")} errors={e.records_path}>
            <select id={id("records_path_mode")} value={state.records_path_mode} onChange={(ev) => set("records_path_mode", ev.target.value as WizardState["records_path_mode"])}>
              <option value="detect">Detect (data, items, results, …)</option>
              <option value="root">The response is the list</option>
              <option value="path">Dotted path…</option>
            </select>
          </Field>
          {state.records_path_mode === "path" ? (
            <Field label="Path to the records" htmlFor={id("records_path")} hint="e.g. data.items">
              <input id={id("records_path")} value={state.records_path} onChange={(ev) => set("records_path", ev.target.value)} />
            </Field>
          ) : null}
          <Field label="Primary key" htmlFor={id("primary_key")} errors={e.primary_key} hint="The field that identifies a record (dotted path allowed); empty: a content hash.">
            <input id={id("primary_key")} value={state.primary_key} onChange={(ev) => set("primary_key", ev.target.value)} />
          </Field>
          <RulesEditor
            idPrefix="wizard"
            draft={state.rules}
            onChange={(rules) => set("rules", rules)}
            showProblems={showRuleProblems}
            apiErrors={e.transformation_rules}
            preview={() => onPreview(previewInput())}
            onPreviewFieldErrors={showFieldErrors}
            sample={previewSample}
          />
        </div>
      ) : null}

      {step === 3 ? (
        <div className="form-grid">
          <PaginationSection
            idPrefix="wizard"
            selectId={id("pagination_type")}
            type={state.pagination_type}
            values={state.pagination}
            onChange={(type, values) => setState((current) => ({ ...current, pagination_type: type, pagination: values }))}
            errors={e}
            json={state.pagination_json}
            onJsonChange={(json) => set("pagination_json", json)}
          />
          <Field label="Max pages per sync" htmlFor={id("max_pages")} errors={e.max_pages} hint="Empty: the server's limit.">
            <input id={id("max_pages")} inputMode="numeric" value={state.max_pages} onChange={(ev) => set("max_pages", ev.target.value)} />
          </Field>
          <TimeBudgetField idPrefix="wizard" values={state.budget} onChange={(budget) => set("budget", budget)} errors={e} />
          <RequestBudgetFields idPrefix="wizard" values={state.budget} onChange={(budget) => set("budget", budget)} errors={e} />
          <KeyValueEditor id={id("headers")} legend="Request headers" rows={state.headers} onChange={(rows) => set("headers", rows)} errors={e.request_headers} />
          <KeyValueEditor id={id("query")} legend="Query parameters" rows={state.query} onChange={(rows) => set("query", rows)} errors={e.query_params} />
          <IncrementalFields
            idPrefix="wizard"
            method={state.request_method}
            values={state.incremental}
            onChange={(incremental) => set("incremental", incremental)}
            errors={e}
            cursorHint="A record field that grows (e.g. updated_at); empty: every sync fetches everything."
          />
          <Field label="Sync frequency" htmlFor={id("sync_frequency")} errors={e.sync_frequency}>
            <select id={id("sync_frequency")} value={state.sync_frequency} onChange={(ev) => set("sync_frequency", ev.target.value as SyncFrequency)}>
              {FREQUENCIES.map((f) => (
                <option key={f} value={f}>
                  {f.charAt(0) + f.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          </Field>
          <ScheduleAnchorFields idPrefix="wizard" frequency={state.sync_frequency} values={state.anchor} onChange={(anchor) => set("anchor", anchor)} errors={e} />
          <div className="field">
            <span className="label-like">Schedule</span>
            <label className="checkbox" htmlFor={id("is_active")}>
              <input id={id("is_active")} type="checkbox" checked={state.is_active} onChange={(ev) => set("is_active", ev.target.checked)} />
              {state.sync_frequency === "MANUAL" ? "Active (no schedule with Manual: syncs run only when started)" : "Active: sync on this schedule"}
            </label>
          </div>
          <ErrorDetectionFields idPrefix="wizard" values={state.error_detection} onChange={(values) => set("error_detection", values)} errors={e.error_detection} />
        </div>
      ) : null}

      <div className="actions wizard-actions">
        {step > 0 ? (
          <button type="button" className="btn" onClick={() => goTo(step - 1)} disabled={saving}>
            Back
          </button>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {step < STEPS.length - 1 ? "Next" : saving ? "Creating…" : "Create connector"}
        </button>
        <button type="button" className="btn" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
      {guard.dialog}
      {confirmingCreate && previewFailure ? (
        <ConfirmDialog
          title={previewLimited ? "Create the connector without a preview?" : "Create the connector although its preview failed?"}
          confirmLabel="Create it anyway"
          cancelLabel="Go back"
          onConfirm={() => {
            setConfirmingCreate(false);
            void create(true);
          }}
          onCancel={() => setConfirmingCreate(false)}
        >
          <p>
            {previewLimited ? "The API limited the rate of the last preview" : "The last preview failed"}: {previewFailure.message}
            {statusSuffix(previewFailure.message, previewFailure.statusCode)}
          </p>
          <p>
            {previewLimited
              ? "Its syncs wait when the API asks them to and then read it: settings it refuses make them fail then."
              : "Its syncs will fail the same way until the API can be read."}{" "}
            You can fix the settings later on the connector&apos;s page.
          </p>
        </ConfirmDialog>
      ) : null}
    </form>
  );
}
