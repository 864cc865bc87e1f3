import { type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { getAuditValues, listAuditEvents, type AuditFilters } from "../api/api";
import type { AuditEvent, AuditObjectReference, JsonValue } from "../api/types";
import { usePageTitle } from "../announce";
import { useAuth } from "../auth";
import { DateTimeCell, ErrorBanner, Loading, Pager, TableWrap } from "../components/common";
import { useDayRange } from "../components/fields";
import { ExactNumber, isJsonObject } from "../api/exactJson";
import { compactJson, formatDateTime, formatNumber, prettyJson, triggerLabel } from "../format";
import { useAddressDraft, useLoad } from "../hooks";

const PAGE_SIZE = 25;

/** The actor filter's values besides a user id (audit/filters.py). */
const ACTOR_KINDS = [
  { value: "anonymous", label: "anonymous: requests nobody had signed in to (refused sign-ins)" },
  { value: "system", label: "system: schedules, the engine, operator commands" },
];

/** The app's page of an object the trail names, where it has one. */
function pageOf(targetType: string, targetId: string): string | null {
  if (!/^\d+$/.test(targetId)) return null;
  if (targetType === "connector") return `/connectors/${targetId}`;
  if (targetType === "sync_log") return `/sync-logs/${targetId}`;
  if (targetType === "destination") return `/destinations/${targetId}`;
  return null;
}

/** An object the event names: a link to its page while it exists, by its name when it has one
 * ("Demo users (connector #4)": an id alone says nothing to someone reading the trail), "(deleted)"
 * once it is gone, by kind and id (the API says which, and the names, for the whole page at once),
 * the plain kind and id when it has no page. */
function ObjectName({ type, id, reference }: { type: string; id: string; reference: AuditObjectReference | undefined }) {
  const kindAndId = (
    <>
      {type} <span className="mono">#{id}</span>
    </>
  );
  // on one line: in a narrow Details column "connector #4" broke a letter a line
  if (reference && !reference.exists) {
    return (
      <span className="audit-object">
        {kindAndId} <span className="muted">(deleted)</span>
      </span>
    );
  }
  const name = reference?.name ? (
    <>
      <span className="audit-object-name">{reference.name}</span> <span className="muted">({kindAndId})</span>
    </>
  ) : (
    kindAndId
  );
  const link = pageOf(type, id);
  return link ? (
    <Link className="audit-object" to={link}>
      {name}
    </Link>
  ) : (
    <span className="audit-object">{name}</span>
  );
}

/** The recorded values that hold `typed` without being it: the action and object type filters
 * match a whole value, so "connector" alone matches nothing; these are what the person meant. */
export function partialMatches(typed: string | null, recorded: string[] | undefined): string[] {
  const text = typed?.trim().toLowerCase() ?? "";
  if (!text || !recorded || recorded.some((value) => value.toLowerCase() === text)) return [];
  return recorded.filter((value) => value.toLowerCase().includes(text)).slice(0, 8);
}

const FILTER_KEYS = ["action", "actor", "target_type", "target_id", "since", "until"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

export const ADMINS_ONLY = "Only the tenant's admins can see its audit trail. Ask an admin if you need to know who changed something.";

/** The tenant's audit trail (admins only): who did what, on which object, when, newest first,
 * filtered by action, person, object and days; the filters and the page live in the address. */
export function AuditPage() {
  usePageTitle("Audit trail");
  const { me } = useAuth();
  if (me?.role !== "admin") {
    return (
      <div className="page">
        <h1>Audit trail</h1>
        <p>{ADMINS_ONLY}</p>
      </div>
    );
  }
  return <AuditTrail />;
}

/** The API's filters from the address: days are the user's local days, sent as the instants their
 * midnights fall on ("until" includes that whole day). */
function filtersOf(params: URLSearchParams): AuditFilters {
  const page = Math.max(1, Number(params.get("page")) || 1);
  const filters: AuditFilters = { page, page_size: PAGE_SIZE };
  // actor as typed (a user id, anonymous or system): anything else is the API's 400, shown above the
  // list, rather than dropped while the field still shows it
  for (const name of ["action", "actor", "target_type", "target_id"] as const) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  const since = params.get("since") ?? "";
  const until = params.get("until") ?? "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(since)) filters.since = new Date(`${since}T00:00:00`).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(until)) {
    const end = new Date(`${until}T00:00:00`);
    end.setDate(end.getDate() + 1);
    filters.until = end.toISOString();
  }
  return filters;
}

function AuditTrail() {
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const page = filters.page ?? 1;
  const filtered = FILTER_KEYS.some((name) => params.get(name));
  const key = params.toString();
  const events = useLoad(() => listAuditEvents(filters), [key]);
  // the filters' suggestions: what this tenant's trail holds (modules name their own actions); any
  // text is still sent, and without them the filters work as plain text boxes
  const values = useLoad(getAuditValues, []);

  const draftOf = (from: URLSearchParams) =>
    Object.fromEntries(FILTER_KEYS.map((name) => [name, from.get(name) ?? ""])) as Record<FilterKey, string>;
  const [draft, setDraft] = useAddressDraft<Record<FilterKey, string>>(
    () => draftOf(params),
    FILTER_KEYS.map((name) => params.get(name) ?? "").join("\n"),
  );
  const range = useDayRange("audit", ["since", "until"], draft, (name, value) => setDraft((current) => ({ ...current, [name]: value })));

  function show(next: URLSearchParams) {
    range.reset();
    setDraft(draftOf(next));
    setParams(next);
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    if (!range.check()) return;
    const next = new URLSearchParams();
    for (const name of FILTER_KEYS) if (draft[name].trim()) next.set(name, draft[name].trim());
    show(next);
  }

  function goTo(next: number) {
    const copy = new URLSearchParams(params);
    if (next === 1) copy.delete("page");
    else copy.set("page", String(next));
    setParams(copy);
  }

  /** Narrow the list to one person's events or one object's (a button in a row). */
  function only(changes: Partial<Record<FilterKey, string>>) {
    const next = new URLSearchParams(params);
    next.delete("page");
    for (const [name, value] of Object.entries(changes)) next.set(name, value);
    show(next);
  }

  const field = (name: FilterKey) => ({
    id: `audit-${name}`,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft((current) => ({ ...current, [name]: e.target.value })),
  });

  const rows = events.data?.results ?? [];
  return (
    <div className="page">
      <div className="page-header">
        <h1>Audit trail</h1>
      </div>
      <p className="muted">
        Who did what in this tenant, newest first: sign-ins, members and invitations, connector changes and exports, syncs and
        loads started. Events cannot be changed or deleted; they are removed only when older than the server's retention period.
      </p>
      <form className="card filters" aria-label="Audit filters" onSubmit={apply}>
        {/* two a row on a phone (filter-pairs), the hints under the grid: one a row with the Who
            hint in its column filled the first screen with the form and left the events below it */}
        <div className="filter-grid filter-pairs">
          <div className="field">
            <label htmlFor="audit-action">Action</label>
            <input list="audit-actions" autoComplete="off" placeholder="Any" aria-describedby="audit-values-hint" {...field("action")} />
            <datalist id="audit-actions">
              {(values.data?.actions ?? []).map((action) => (
                <option key={action} value={action} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor="audit-target_type">Object type</label>
            <input list="audit-target-types" autoComplete="off" placeholder="Any" aria-describedby="audit-values-hint" {...field("target_type")} />
            <datalist id="audit-target-types">
              {(values.data?.target_types ?? []).map((type) => (
                <option key={type} value={type} />
              ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor="audit-target_id">Object id</label>
            <input autoComplete="off" {...field("target_id")} />
          </div>
          <div className="field">
            <label htmlFor="audit-actor">Who</label>
            <input list="audit-actor-kinds" autoComplete="off" placeholder="Anyone" aria-describedby="audit-actor-hint" {...field("actor")} />
            <datalist id="audit-actor-kinds">
              {ACTOR_KINDS.map((kind) => (
                <option key={kind.value} value={kind.value} label={kind.label} />
              ))}
            </datalist>
          </div>
          {range.fields}
        </div>
        <div className="hint">
          <span id="audit-values-hint">
            Action and Object type suggest the values recorded in this trail, such as connector.exported or sync_log; type to narrow them.
          </span>{" "}
          <span id="audit-actor-hint">
            Who: a user id, anonymous (refused sign-ins) or system; or choose “Only theirs”, “Only anonymous” or “Only the system's” in a row.
          </span>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button type="button" className="btn" onClick={() => show(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>
      <ErrorBanner message={events.error} />
      {events.loading && !events.data ? <Loading /> : null}
      {events.data ? (
        rows.length === 0 ? (
          <div className="card empty" data-testid="audit-empty">
            {filtered || page > 1
              ? "No event matches these filters."
              : "No event recorded yet. Sign-ins, changes to members, invitations and connectors, exports, syncs and loads appear here as they happen."}
            {(
              [
                ["action", "Action", values.data?.actions],
                ["target_type", "Object type", values.data?.target_types],
              ] as const
            ).map(([name, label, recorded]) => {
              const typed = params.get(name);
              const meant = partialMatches(typed, recorded);
              return meant.length ? (
                <p key={name} className="small" data-testid={`audit-partial-${name}`}>
                  The {label} filter matches whole names only; “{typed}” is part of:{" "}
                  {meant.map((value, index) => (
                    <span key={value}>
                      {index ? ", " : ""}
                      <button type="button" className="link-button mono" onClick={() => only({ [name]: value })}>
                        {value}
                      </button>
                    </span>
                  ))}
                  .
                </p>
              ) : null;
            })}
          </div>
        ) : (
          <>
            <TableWrap>
              <table className="table table-stack audit-table" aria-label="Audit events">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Who</th>
                    <th scope="col">Action</th>
                    <th scope="col">Object</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((event) => (
                    <AuditRow key={event.id} event={event} onOnly={only} />
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <Pager page={page} pageSize={PAGE_SIZE} count={events.data.count} onPage={goTo} label="event" />
          </>
        )
      ) : null}
    </div>
  );
}

function AuditRow({ event, onOnly }: { event: AuditEvent; onOnly: (changes: Partial<Record<FilterKey, string>>) => void }) {
  const actorId = event.actor?.id;
  const details = Object.entries(event.detail);
  const rawDiffers = details.some(([name, value]) => typeof value !== "string" || shownValue(name, value) !== value);
  const referenced = (where: string) => event.objects?.find((reference) => reference.where === where);
  return (
    <tr data-testid={`audit-event-${event.id}`}>
      <DateTimeCell value={event.at} label="When" />
      <td className="audit-who" data-label="Who">
        {event.actor?.anonymous ? (
          <>
            <span>{`Anonymous${typeof event.detail.email === "string" && event.detail.email ? ` (email tried: ${event.detail.email})` : ""}`}</span>
            <button type="button" className="link-button small" onClick={() => onOnly({ actor: "anonymous" })}>
              Only anonymous<span className="visually-hidden"> events</span>
            </button>
          </>
        ) : event.actor ? (
          <>
            <span>{event.actor.email}</span>
            {actorId ? (
              <button type="button" className="link-button small" onClick={() => onOnly({ actor: String(actorId) })}>
                Only theirs<span className="visually-hidden"> ({event.actor.email})</span>
              </button>
            ) : null}
          </>
        ) : (
          <>
            <span className="muted">System</span>
            <button type="button" className="link-button small" onClick={() => onOnly({ actor: "system" })}>
              Only the system's<span className="visually-hidden"> events</span>
            </button>
          </>
        )}
      </td>
      <td className="mono" data-label="Action">
        <span>{event.action}</span>
      </td>
      <td data-label="Object">
        {event.target_type ? (
          <>
            <ObjectName type={event.target_type} id={event.target_id} reference={referenced("target")} />
            {event.target_id ? (
              <button
                type="button"
                className="link-button small"
                onClick={() => onOnly({ target_type: event.target_type, target_id: event.target_id })}
              >
                Its history<span className="visually-hidden"> ({event.target_type} {event.target_id})</span>
              </button>
            ) : null}
          </>
        ) : (
          "—"
        )}
      </td>
      <td className="small audit-details" data-label="Details">
        {details.length === 0 && event.fields.length === 0 && !event.ip ? <span className="muted">—</span> : null}
        {details.length > 0 ? (
          <dl className="inline-details">
            {details.map(([name, value]) => {
              const reference = referenced(name);
              return (
                <div key={name}>
                  <dt>{detailName(name)}</dt>
                  <dd className="break">
                    {reference ? <ObjectName type={reference.type} id={reference.id} reference={reference} /> : <DetailValue name={name} value={value} />}
                  </dd>
                </div>
              );
            })}
          </dl>
        ) : null}
        {event.fields.length > 0 ? (
          <div>
            <span className="muted">Fields: </span>
            <span className="mono break">{event.fields.join(", ")}</span>
          </div>
        ) : null}
        {event.ip ? (
          <div className="muted">
            From <span className="mono">{event.ip}</span>
          </div>
        ) : null}
        {rawDiffers ? (
          // the values as recorded, for whoever needs the exact JSON (a script's filter, a report);
          // not for details that are text shown as recorded ("name: CRM"), where it repeats them
          <details className="audit-raw">
            <summary>
              Raw JSON<span className="visually-hidden"> of event {event.id}</span>
            </summary>
            <pre className="json-block" tabIndex={0}>
              {prettyJson(event.detail)}
            </pre>
          </details>
        ) : null}
      </td>
    </tr>
  );
}

/** Details recorded under a code name, shown in the words the rest of the app uses for them (the
 * Trigger column of the runs, the Full refresh button). Any other name is shown as recorded. */
const DETAIL_NAMES: Readonly<Record<string, string>> = {
  connector_id: "connector",
  destination_id: "destination",
  table_name: "table",
  triggered_by: "trigger",
  full_refresh: "full refresh",
  full_reload: "full reload",
  allow_empty: "empty answer allowed",
};

export function detailName(name: string): string {
  return DETAIL_NAMES[name] ?? name;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Whether a detail named `name` holds an identifier (written as recorded: "#1234", never "1,234"). */
function isIdName(name: string): boolean {
  return name === "id" || name.endsWith("_id") || name === "pk";
}

/** A scalar detail's value as text: "—" for none (null), what started a run in the app's words
 * ("Web UI", "Schedule"), yes or no for a flag, a count with its thousands separated (an id as
 * recorded), an instant in the app's date format, other strings as they are; a list of scalars
 * comma-separated ("none" when empty); an object as compact JSON (the page lists its keys instead). */
export function shownValue(name: string, value: JsonValue): string {
  if (value === null || value === undefined) return "—";
  if (name === "triggered_by" && typeof value === "string") return triggerLabel(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return isIdName(name) ? String(value) : formatNumber(value);
  if (typeof value === "bigint" || value instanceof ExactNumber) return String(value);
  if (typeof value === "string") return ISO_INSTANT.test(value) ? formatDateTime(value) : value;
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    if (value.every((item) => item === null || typeof item !== "object" || item instanceof ExactNumber)) {
      return value.map((item) => shownValue(name, item)).join(", ");
    }
  }
  return compactJson(value);
}

/** A detail's value: a scalar or a list of scalars as text (`shownValue`), "—" muted for none, an
 * object as a compact list of its keys and values (two levels; deeper ones as compact JSON). */
export function DetailValue({ name, value, depth = 0 }: { name: string; value: JsonValue; depth?: number }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (depth < 2 && isJsonObject(value)) {
    const entries = Object.entries(value as Record<string, JsonValue>);
    if (entries.length === 0) return <span className="muted">none</span>;
    return (
      <dl className="inline-details nested-details">
        {entries.map(([key, inner]) => (
          <div key={key}>
            <dt>{detailName(key)}</dt>
            <dd className="break">
              <DetailValue name={key} value={inner} depth={depth + 1} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return <>{shownValue(name, value)}</>;
}
