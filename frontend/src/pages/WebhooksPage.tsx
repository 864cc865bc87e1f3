import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type RefObject } from "react";

import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  pingWebhookEndpoint,
  updateWebhookEndpoint,
  type DeliveryFilters,
} from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import {
  DELIVERY_STATUSES,
  WEBHOOK_EVENTS,
  type DeliveryStatus,
  type Paginated,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointCreated,
  type WebhookEndpointInput,
  type WebhookEvent,
  type WebhookPayloadFormat,
} from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { useAuth } from "../auth";
import { ActiveBadge, DateTimeCell, ErrorBanner, Loading, Pager, SaveErrorBanner, SaveWarningsBanner, StateBadge, statusLabel, TableWrap } from "../components/common";
import { OneTimeValueCard } from "../components/OneTimeValueCard";
import { useConfirm } from "../components/ConfirmDialog";
import { Field } from "../components/fields";
import { joinMessages, saveErrorSummary } from "../components/formErrors";
import { formatCount, formatDateTime, formatRelative } from "../format";
import { useLoad, type Loaded } from "../hooks";

const DELIVERIES_PAGE_SIZE = 20;

export const ADMINS_ONLY =
  "Only the tenant's admins manage its webhooks: a webhook sends the tenant's data out of MigrateIQ, and its URL can itself be a credential.";

export const SECRET_ONCE_NOTE =
  "This signing secret is shown only once: copy it now and store it where your receiver checks signatures. MigrateIQ cannot show it again (to replace it, edit the endpoint and type a new one).";

/** What each event means, in the form's words. */
export const EVENT_LABELS: Record<WebhookEvent, string> = {
  "sync.succeeded": "a sync succeeded",
  "sync.partial": "a sync ended partial: it did not fetch everything, or it quarantined records",
  "sync.failed": "a sync failed",
  "sync.cancelled": "a sync was cancelled",
  "load.finished": "a destination load ended",
  "load.failed": "a destination load failed",
};

const FORMAT_LABELS: Record<WebhookPayloadFormat, string> = {
  json: "JSON envelope",
  slack: "Slack-compatible ({\"text\": …})",
};

/** The form's fields in their order on the page: the first refused one gets the focus. */
const FIELD_ORDER = ["name", "url", "events", "payload_format", "secret", "is_active"];

/** What each delivery status means, for its badge's title. */
const DELIVERY_MEANINGS: Record<DeliveryStatus, string> = {
  pending: "Pending: not delivered yet; it is tried again at its next attempt.",
  success: "Success: the receiver answered with a 2xx status.",
  failed: "Failed: every attempt failed (or the endpoint refused it); it is not tried again.",
};

/** The tenant's webhook endpoints (admins only): add, edit, pause, delete, send a test ping; and
 * the delivery log of each or all of them. */
export function WebhooksPage() {
  usePageTitle("Webhooks");
  const { me } = useAuth();
  if (me?.role !== "admin") {
    return (
      <div className="page">
        <h1>Webhooks</h1>
        <p>{ADMINS_ONLY}</p>
      </div>
    );
  }
  return <WebhooksManager />;
}

/** The end of the sentence announcing a save the server warned about (focus goes elsewhere: the
 * banner alone might not be read out). */
function warnedAbout(answer: WebhookEndpoint): string {
  return answer.warnings?.length ? `, with a warning: ${answer.warnings.join(" ")}` : "";
}

function eventsText(events: WebhookEndpoint["events"]): string {
  return events.includes("*") ? "All events" : events.join(", ");
}

function WebhooksManager() {
  const { confirm, dialog } = useConfirm();
  const announce = useAnnounce();
  const endpoints = useLoad(() => listWebhookEndpoints({ page_size: 500 }), []);
  const [filters, setFilters] = useState<DeliveryFilters>({ page: 1, page_size: DELIVERIES_PAGE_SIZE });
  const deliveries = useLoad(() => listWebhookDeliveries(filters), [JSON.stringify(filters)]);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [pingingId, setPingingId] = useState<number | null>(null);
  /** null: no form; "new": the creation form; an endpoint: its edit form. */
  const [editing, setEditing] = useState<"new" | WebhookEndpoint | null>(null);
  const [created, setCreated] = useState<WebhookEndpointCreated | null>(null);
  /** What the server noticed when it saved the last creation or edit without refusing it (a host
   * name it could not resolve). */
  const [saveWarnings, setSaveWarnings] = useState<string[]>([]);
  const [ping, setPing] = useState<{ endpoint: WebhookEndpoint; delivery: WebhookDelivery } | null>(null);
  const endpointsHeadingRef = useRef<HTMLHeadingElement>(null);
  const deliveriesHeadingRef = useRef<HTMLHeadingElement>(null);
  const secretHeadingRef = useRef<HTMLHeadingElement>(null);
  const pingRef = useRef<HTMLElement>(null);

  const rows = endpoints.data?.results ?? [];

  // The one-time secret and a ping's result appear after the answer: focus them so they are read
  // out and in view.
  useLayoutEffect(() => {
    if (created) secretHeadingRef.current?.focus();
  }, [created]);
  useLayoutEffect(() => {
    if (ping) pingRef.current?.focus();
  }, [ping]);

  async function save(input: WebhookEndpointInput) {
    if (editing === "new") {
      const answer = await createWebhookEndpoint(input);
      setEditing(null);
      setCreated(answer);
      setSaveWarnings(answer.warnings ?? []);
      announce(`Webhook endpoint ${answer.name} created${warnedAbout(answer)}. Copy its signing secret now: it is shown once.`);
    } else if (editing) {
      const answer = await updateWebhookEndpoint(editing.id, input);
      setEditing(null);
      setSaveWarnings(answer.warnings ?? []);
      announce(`Webhook endpoint ${answer.name} saved${warnedAbout(answer)}.`);
      endpointsHeadingRef.current?.focus(); // the form and its buttons are gone
    }
    endpoints.reload();
  }

  async function setActive(endpoint: WebhookEndpoint, active: boolean) {
    setBusyId(endpoint.id);
    setError(null);
    try {
      await updateWebhookEndpoint(endpoint.id, { is_active: active });
      announce(active ? `${endpoint.name} is enabled: it receives events again.` : `${endpoint.name} is disabled: it receives no events.`);
      endpoints.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  }

  async function remove(endpoint: WebhookEndpoint) {
    const question = {
      title: `Delete the webhook endpoint ${endpoint.name}?`,
      body: `Nothing more is sent to ${endpoint.url}, and its delivery log is deleted with it.`,
      confirmLabel: "Delete the endpoint",
    };
    if (!(await confirm(question))) return;
    setBusyId(endpoint.id);
    setError(null);
    try {
      await deleteWebhookEndpoint(endpoint.id);
      announce(`${endpoint.name} was deleted.`);
      if (ping?.endpoint.id === endpoint.id) setPing(null);
      if (created?.id === endpoint.id) setCreated(null);
      if (filters.endpoint === endpoint.id) setFilters({ page: 1, page_size: DELIVERIES_PAGE_SIZE });
      else deliveries.reload();
      endpoints.reload();
      endpointsHeadingRef.current?.focus(); // the row and its button are gone: focus the list's heading
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  }

  async function sendPing(endpoint: WebhookEndpoint) {
    setBusyId(endpoint.id);
    setPingingId(endpoint.id);
    setError(null);
    setPing(null);
    try {
      const delivery = await pingWebhookEndpoint(endpoint.id);
      setPing({ endpoint, delivery });
      announce(pingSentence(endpoint, delivery));
      deliveries.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
      setPingingId(null);
    }
  }

  function showDeliveriesOf(endpoint: WebhookEndpoint) {
    setFilters({ page: 1, page_size: DELIVERIES_PAGE_SIZE, endpoint: endpoint.id });
    deliveriesHeadingRef.current?.focus();
    announce(`Showing the deliveries to ${endpoint.name}.`);
  }

  return (
    <div className="page">
      {dialog}
      <div className="page-header">
        <h1>Webhooks</h1>
        {editing === null ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              setCreated(null);
              setSaveWarnings([]);
              setEditing("new");
            }}
          >
            New endpoint
          </button>
        ) : null}
      </div>
      <p className="muted">
        When a sync or a destination load ends, MigrateIQ POSTs the event to each active endpoint that subscribes to it, signed with
        the endpoint's secret (HMAC-SHA256 in the <code className="mono">MigrateIQ-Signature</code> header). A delivery that is not
        answered with a 2xx status is tried again after 1, 2, 4, 8 and 16 minutes.
      </p>
      <ErrorBanner message={error} />
      <SaveWarningsBanner warnings={saveWarnings} />
      {editing !== null ? (
        <EndpointForm
          key={editing === "new" ? "new" : editing.id}
          endpoint={editing === "new" ? undefined : editing}
          onSave={save}
          onCancel={() => {
            setEditing(null);
            endpointsHeadingRef.current?.focus();
          }}
        />
      ) : null}
      {created ? (
        <SigningSecretCard
          endpoint={created}
          headingRef={secretHeadingRef}
          onDone={() => {
            setCreated(null);
            endpointsHeadingRef.current?.focus(); // the card and its button are gone
          }}
        />
      ) : null}
      <section className="card" aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading" ref={endpointsHeadingRef} tabIndex={-1}>
          {endpoints.data ? formatCount(rows.length, "endpoint") : "Endpoints"}
        </h2>
        <ErrorBanner message={endpoints.error} />
        {endpoints.loading && !endpoints.data ? <Loading /> : null}
        {endpoints.data && rows.length === 0 ? (
          <p className="muted" data-testid="endpoints-empty">
            No webhook endpoint yet. Add one to have MigrateIQ tell another system (a chat channel, an alerting tool, your own
            service) when a sync or a load ends.
          </p>
        ) : null}
        {rows.length > 0 ? (
          <TableWrap>
            <table className="table table-stack" aria-label="Webhook endpoints">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Format</th>
                  <th scope="col">Status</th>
                  <th scope="col">Secret</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((endpoint) => (
                  <tr key={endpoint.id} data-testid={`endpoint-${endpoint.name}`}>
                    <td className="stack-title">{endpoint.name}</td>
                    <td className="mono break small wide-cell" data-label="URL">{endpoint.url}</td>
                    <td className="small" data-label="Events">{eventsText(endpoint.events)}</td>
                    <td className="small" data-label="Format">{endpoint.payload_format === "slack" ? "Slack" : "JSON"}</td>
                    <td data-label="Status">
                      <ActiveBadge active={endpoint.is_active} inactive="disabled" />
                    </td>
                    <td className="mono small" data-label="Secret">{endpoint.has_secret ? `…${endpoint.secret_hint}` : "—"}</td>
                    <td data-label="Actions">
                      <div className="actions row-actions">
                        <button type="button" className="btn btn-small" disabled={busyId === endpoint.id} onClick={() => void sendPing(endpoint)}>
                          {pingingId === endpoint.id ? "Sending…" : "Send test"}
                          <span className="visually-hidden"> to {endpoint.name}</span>
                        </button>
                        <button type="button" className="btn btn-small" onClick={() => showDeliveriesOf(endpoint)}>
                          Deliveries<span className="visually-hidden"> to {endpoint.name}</span>
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={busyId === endpoint.id}
                          onClick={() => {
                            setCreated(null);
                            setSaveWarnings([]);
                            setEditing(endpoint);
                          }}
                        >
                          Edit<span className="visually-hidden"> {endpoint.name}</span>
                        </button>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={busyId === endpoint.id}
                          onClick={() => void setActive(endpoint, !endpoint.is_active)}
                        >
                          {endpoint.is_active ? "Disable" : "Enable"}
                          <span className="visually-hidden"> {endpoint.name}</span>
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          disabled={busyId === endpoint.id}
                          onClick={() => void remove(endpoint)}
                        >
                          Delete<span className="visually-hidden"> {endpoint.name}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      {ping ? <PingResult endpoint={ping.endpoint} delivery={ping.delivery} focusRef={pingRef} onClose={() => setPing(null)} /> : null}
      <DeliveryLog
        deliveries={deliveries}
        endpoints={rows}
        filters={filters}
        onFilters={setFilters}
        headingRef={deliveriesHeadingRef}
      />
    </div>
  );
}

function pingSentence(endpoint: WebhookEndpoint, delivery: WebhookDelivery): string {
  if (delivery.status === "success") return `Test ping to ${endpoint.name} delivered: the receiver answered ${delivery.response_status_code ?? "with a success"}.`;
  const code = delivery.response_status_code ? `the receiver answered ${delivery.response_status_code}` : "no answer";
  return `Test ping to ${endpoint.name} failed: ${code}${delivery.error ? `. ${delivery.error}` : "."}`;
}

/** The creation and edit form. The secret is write-only: blank on a creation has one generated
 * (shown once in the answer), blank on an edit keeps the stored one. */
function EndpointForm({
  endpoint,
  onSave,
  onCancel,
}: {
  endpoint?: WebhookEndpoint;
  onSave: (input: WebhookEndpointInput) => Promise<void>;
  onCancel: () => void;
}) {
  const [name, setName] = useState(endpoint?.name ?? "");
  const [url, setUrl] = useState(endpoint?.url ?? "");
  const [allEvents, setAllEvents] = useState(endpoint ? endpoint.events.includes("*") : false);
  const [events, setEvents] = useState<Set<WebhookEvent>>(
    // a family ("sync.*") is its events' boxes, saved one by one
    () =>
      new Set(
        endpoint
          ? endpoint.events.flatMap((e) => (e === "*" ? [] : e.endsWith(".*") ? WEBHOOK_EVENTS.filter((w) => w.startsWith(e.slice(0, -1))) : [e as WebhookEvent]))
          : ["sync.failed", "sync.partial"],
      ),
  );
  const [format, setFormat] = useState<WebhookPayloadFormat>(endpoint?.payload_format ?? "json");
  const [active, setActive] = useState(endpoint?.is_active ?? true);
  const [secret, setSecret] = useState("");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [other, setOther] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Opened: focus the form's heading. After a refusal: the first invalid field.
  useLayoutEffect(() => headingRef.current?.focus(), []);
  useEffect(() => {
    const first = FIELD_ORDER.find((field) => errors[field]);
    if (!first) return;
    const target = first === "events" ? "#webhook-events-all" : `#webhook-${first}`;
    formRef.current?.querySelector<HTMLElement>(target)?.focus();
  }, [errors]);

  function toggle(event: WebhookEvent, on: boolean) {
    setEvents((current) => {
      const next = new Set(current);
      if (on) next.add(event);
      else next.delete(event);
      return next;
    });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input: WebhookEndpointInput = {
      name: name.trim(),
      url: url.trim(),
      events: allEvents ? ["*"] : WEBHOOK_EVENTS.filter((e) => events.has(e)),
      payload_format: format,
      is_active: active,
    };
    if (secret) input.secret = secret;
    // Checked before sending, as the connector forms do (the server would say "This field may not be blank.").
    if (!input.name) {
      setErrors({ name: ["Give the webhook a name."] });
      setSummary("Not saved: one field needs attention.");
      setOther([]);
      return;
    }
    setSaving(true);
    setSummary(null);
    setOther([]);
    try {
      await onSave(input);
      setErrors({});
    } catch (err) {
      const result = saveErrorSummary(err, new Set(FIELD_ORDER));
      setSummary(result.summary);
      setOther(result.other);
      setErrors(err instanceof ApiError ? err.fieldErrors : {});
    } finally {
      setSaving(false);
    }
  }

  const eventsError = errors.events;
  const secretHint = endpoint
    ? endpoint.has_secret
      ? `Stored (ends in …${endpoint.secret_hint}, never shown). Leave blank to keep it; type a new one to replace it.`
      : "None stored. Type one to set it."
    : "At least 16 characters. Leave blank to have MigrateIQ generate one: it is shown once, after creating.";
  const headingId = endpoint ? "webhook-form-heading-edit" : "webhook-form-heading";

  return (
    <form ref={formRef} className="card webhook-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={headingId}>
      <h2 id={headingId} ref={headingRef} tabIndex={-1}>
        {endpoint ? `Edit ${endpoint.name}` : "New webhook endpoint"}
      </h2>
      <SaveErrorBanner summary={summary} other={other} />
      <div className="form-grid">
        <Field label="Name" htmlFor="webhook-name" errors={errors.name}>
          <input id="webhook-name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field
          label="URL"
          htmlFor="webhook-url"
          errors={errors.url}
          hint="Where events are POSTed; HTTPS recommended. Private and local addresses are refused unless the server allows them."
          wide
        >
          <input id="webhook-url" type="url" autoComplete="off" placeholder="https://hooks.example.com/migrateiq" value={url} onChange={(e) => setUrl(e.target.value)} required />
        </Field>
      </div>
      <fieldset
        className={`webhook-events${eventsError ? " field-invalid" : ""}`}
        aria-describedby={eventsError ? "webhook-events-error" : undefined}
      >
        <legend>Events to send</legend>
        <label className="checkbox">
          <input id="webhook-events-all" type="checkbox" checked={allEvents} onChange={(e) => setAllEvents(e.target.checked)} />
          All events, including those added in later versions
        </label>
        <div className="webhook-event-list">
          {WEBHOOK_EVENTS.map((value) => (
            <label className="checkbox" key={value}>
              <input
                type="checkbox"
                disabled={allEvents}
                checked={allEvents || events.has(value)}
                onChange={(e) => toggle(value, e.target.checked)}
              />
              <span>
                <span className="mono">{value}</span> <span className="muted small">({EVENT_LABELS[value]})</span>
              </span>
            </label>
          ))}
        </div>
        {eventsError ? (
          <p className="field-error" id="webhook-events-error">
            {joinMessages(eventsError)}
          </p>
        ) : null}
      </fieldset>
      <div className="form-grid">
        <Field label="Payload format" htmlFor="webhook-payload_format" errors={errors.payload_format}>
          <select id="webhook-payload_format" value={format} onChange={(e) => setFormat(e.target.value as WebhookPayloadFormat)}>
            {(Object.keys(FORMAT_LABELS) as WebhookPayloadFormat[]).map((value) => (
              <option key={value} value={value}>
                {FORMAT_LABELS[value]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Signing secret" htmlFor="webhook-secret" errors={errors.secret} hint={secretHint}>
          <input id="webhook-secret" type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
        </Field>
      </div>
      <div className={`field${errors.is_active ? " field-invalid" : ""}`}>
        <label className="checkbox">
          <input id="webhook-is_active" type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          Active: send events to this endpoint
        </label>
        {errors.is_active ? <p className="field-error">{joinMessages(errors.is_active)}</p> : null}
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : endpoint ? "Save" : "Create endpoint"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The creation's answer holds the signing secret, this once (the API keeps it encrypted and shows
 * only its last four characters afterwards). */
function SigningSecretCard({
  endpoint,
  headingRef,
  onDone,
}: {
  endpoint: WebhookEndpointCreated;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDone: () => void;
}) {
  return (
    <OneTimeValueCard
      id="signing-secret"
      className="one-time-secret"
      testId="signing-secret"
      heading={<>Signing secret for {endpoint.name}</>}
      headingRef={headingRef}
      note={SECRET_ONCE_NOTE}
      label="Signing secret"
      value={endpoint.signing_secret}
      noun="secret"
      onDone={onDone}
    />
  );
}

function PingResult({
  endpoint,
  delivery,
  focusRef,
  onClose,
}: {
  endpoint: WebhookEndpoint;
  delivery: WebhookDelivery;
  focusRef: RefObject<HTMLElement | null>;
  onClose: () => void;
}) {
  const ok = delivery.status === "success";
  return (
    <section ref={focusRef} tabIndex={-1} className={`card test-result ${ok ? "ok" : "failed"}`} aria-label="Test ping" data-testid="ping-result">
      <div className="card-title-row">
        <h2>{ok ? `Test ping to ${endpoint.name} delivered` : `Test ping to ${endpoint.name} failed`}</h2>
        <StateBadge status={delivery.status} title={DELIVERY_MEANINGS[delivery.status]} />
      </div>
      {delivery.error ? <p>{delivery.error}</p> : null}
      {!ok && !delivery.error ? <p>The receiver did not answer with a 2xx status.</p> : null}
      {!ok && deliveryHint(delivery.error, delivery.response_status_code, delivery.status === "pending") ? (
        <p className="hint">{deliveryHint(delivery.error, delivery.response_status_code, delivery.status === "pending")}</p>
      ) : null}
      <dl className="counters">
        <div>
          <dt>Response code</dt>
          <dd>{delivery.response_status_code ?? "—"}</dd>
        </div>
        <div>
          <dt>Sent</dt>
          <dd className="mono">{formatDateTime(delivery.delivered_at ?? delivery.created_at)}</dd>
        </div>
        <div>
          <dt>Delivery id</dt>
          <dd className="mono break">{delivery.delivery_id}</dd>
        </div>
      </dl>
      <div className="actions">
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close<span className="visually-hidden"> the test ping's result</span>
        </button>
      </div>
    </section>
  );
}

/** What to do after a delivery failed, by the receiver's answer or, without one, by how no answer
 * came (the outbound client's words, core/http.py); null when the error says it all. `pending`:
 * the delivery has an attempt to come (a failed one, or a test ping, sent once, has none). */
export function deliveryHint(error: string, statusCode: number | null, pending: boolean): string | null {
  const after = pending ? ": the delivery is tried again later." : ": it is not tried again (send a test ping once it is fixed).";
  if (statusCode === 401 || statusCode === 403)
    return "The receiver refused the request: check that it checks the signature with this endpoint's signing secret.";
  if (statusCode === 404 || statusCode === 405) return "Check the endpoint's URL: the receiver takes no POST at this address.";
  if (statusCode === 429) return `The receiver is limiting the rate${after}`;
  if (statusCode && statusCode >= 500) return `The receiver failed on its side${after}`;
  if (statusCode) return null;
  if (/\bcould not be resolved\b/i.test(error)) return "Check the endpoint's host name: no address was found for it.";
  if (/\bCould not connect to\b/.test(error)) return "Nothing accepted the connection: check the endpoint's host and port, and that the receiver is running.";
  if (/\bTimed out\b/.test(error)) return "The receiver did not answer in time: check that it is reachable from this server and answers quickly.";
  return null;
}

/** A pending delivery's next attempt: "in 4 min" ahead; once its time has come, "due", as the beat
 * (every minute) sends it, or how long it has waited for the background worker when the beat has
 * not (a worker that is down): never a "now" that stays on the screen for hours. */
export function nextAttemptText(value: string, now: number = Date.now()): string {
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return value;
  if (at - now >= 45_000) return formatRelative(value, now);
  if (now - at < 2 * 60_000) return "due: sent within a minute";
  return `due ${formatRelative(value, now)}, waiting for the background worker`;
}

function DeliveryLog({
  deliveries,
  endpoints,
  filters,
  onFilters,
  headingRef,
}: {
  deliveries: Loaded<Paginated<WebhookDelivery>>;
  endpoints: WebhookEndpoint[];
  filters: DeliveryFilters;
  onFilters: (filters: DeliveryFilters) => void;
  headingRef: RefObject<HTMLHeadingElement | null>;
}) {
  const rows = deliveries.data?.results ?? [];
  const page = filters.page ?? 1;
  const filtered = Boolean(filters.endpoint || filters.status || filters.event);
  const set = (change: Partial<DeliveryFilters>) => onFilters({ ...filters, ...change, page: 1 });
  return (
    <section className="card" aria-labelledby="deliveries-heading">
      <div className="card-title-row">
        <h2 id="deliveries-heading" ref={headingRef} tabIndex={-1}>
          Delivery log
        </h2>
        <button type="button" className="btn btn-small" onClick={deliveries.reload} disabled={deliveries.loading}>
          Refresh<span className="visually-hidden"> the delivery log</span>
        </button>
      </div>
      <p className="muted small">Newest first. A delivery still pending shows when its next attempt is due.</p>
      <div className="filter-grid filter-pairs" role="group" aria-label="Delivery filters">
        <div className="field">
          <label htmlFor="deliveries-endpoint">Endpoint</label>
          <select
            id="deliveries-endpoint"
            value={filters.endpoint ?? ""}
            onChange={(e) => set({ endpoint: e.target.value ? Number(e.target.value) : undefined })}
          >
            <option value="">All endpoints</option>
            {endpoints.map((endpoint) => (
              <option key={endpoint.id} value={endpoint.id}>
                {endpoint.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="deliveries-status">Status</label>
          <select
            id="deliveries-status"
            value={filters.status ?? ""}
            onChange={(e) => set({ status: (e.target.value || undefined) as DeliveryStatus | undefined })}
          >
            <option value="">Any</option>
            {DELIVERY_STATUSES.map((value) => (
              <option key={value} value={value}>
                {statusLabel(value)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="deliveries-event">Event</label>
          <select id="deliveries-event" value={filters.event ?? ""} onChange={(e) => set({ event: e.target.value || undefined })}>
            <option value="">Any</option>
            {[...WEBHOOK_EVENTS, "ping"].map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBanner message={deliveries.error} />
      {deliveries.loading && !deliveries.data ? <Loading /> : null}
      {deliveries.data && rows.length === 0 ? (
        <p className="muted" data-testid="deliveries-empty">
          {filtered ? "No delivery matches these filters." : "No delivery yet. Events are sent when a sync or a load ends; “Send test” sends one now."}
        </p>
      ) : null}
      {rows.length > 0 && deliveries.data ? (
        <>
          <TableWrap>
            <table className="table table-stack" aria-label="Webhook deliveries">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col" className="num">
                    Response
                  </th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((delivery) => (
                  <tr key={delivery.id} data-testid={`delivery-${delivery.id}`}>
                    <DateTimeCell value={delivery.created_at} label="Created" />
                    <td data-label="Endpoint">{delivery.endpoint_name}</td>
                    <td className="mono small" data-label="Event">{delivery.event}</td>
                    <td data-label="Status">
                      <StateBadge status={delivery.status} title={DELIVERY_MEANINGS[delivery.status]} />
                    </td>
                    <td className="num" data-label="Attempts">
                      {delivery.attempts} of {delivery.max_attempts}
                    </td>
                    <td className="num" data-label="Response">{delivery.response_status_code ?? "—"}</td>
                    <td className="small" data-label="Next attempt">
                      {delivery.status === "pending" && delivery.next_attempt_at ? (
                        <time dateTime={delivery.next_attempt_at} title={formatDateTime(delivery.next_attempt_at)}>
                          {nextAttemptText(delivery.next_attempt_at)}
                        </time>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td className="small break wide-cell" data-label="Error">
                      {delivery.error || "—"}
                      {delivery.status !== "success" && deliveryHint(delivery.error, delivery.response_status_code, delivery.status === "pending") ? (
                        <div className="hint">{deliveryHint(delivery.error, delivery.response_status_code, delivery.status === "pending")}</div>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager
            page={page}
            pageSize={DELIVERIES_PAGE_SIZE}
            count={deliveries.data.count}
            onPage={(next) => onFilters({ ...filters, page: next })}
            label="delivery"
            plural="deliveries"
          />
        </>
      ) : null}
    </section>
  );
}
