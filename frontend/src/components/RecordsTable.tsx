import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import { useSearchParams } from "react-router-dom";

import { getConnectorSchema, listRecords, type RecordOrdering, type RecordParams } from "../api/api";
import type { JsonValue, SyncedRecord } from "../api/types";
import { isJsonObject, stringifyJson } from "../api/exactJson";
import { formatDateTime, prettyJson } from "../format";
import { useLoad } from "../hooks";
import { Badge, ErrorBanner, Loading, Pager, TableWrap } from "./common";
import { ExportMenu } from "./ExportMenu";
import { comparePositions, fieldOrder, type FieldOrder } from "./fieldOrder";

export const PAGE_SIZES = [10, 20, 50, 100];
const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_VISIBLE_COLUMNS = 6;
const MAX_COLUMNS = 60;
export const EXTERNAL_ID = "__external_id";

/** A record's fields as dotted columns: {"address": {"city": "X"}} -> {"address.city": "X"}.
 * Lists stay one cell (as JSON); nesting deeper than 4 levels too. */
export function flattenRecord(data: JsonValue, prefix = "", depth = 0, into: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  if (isJsonObject(data) && depth < 4) {
    for (const [key, value] of Object.entries(data)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (isJsonObject(value) && Object.keys(value).length > 0) {
        flattenRecord(value, name, depth + 1, into);
      } else {
        into[name] = value;
      }
    }
  } else if (prefix) {
    into[prefix] = data;
  } else {
    into["(value)"] = data;
  }
  return into;
}

export function cellText(value: JsonValue | undefined): string {
  if (value === undefined) return "";
  if (value === null) return "null";
  if (typeof value === "object") return stringifyJson(value) ?? "";
  return String(value);
}

/** The columns of a page of records: the primary key's first, then top-level fields, then nested ones
 * level by level, each group in the order the schema first saw them (`order`: the upstream's own
 * order), fields the schema does not know in the order the page shows them. Stored records have
 * sorted keys: without the schema the columns come out alphabetical (and without the levels, a
 * record's nested address fields would fill the default columns before its name). */
export function columnsOf(records: SyncedRecord[], order: FieldOrder = new Map(), primaryKey = ""): string[] {
  const seen: string[] = [];
  collect: for (const record of records) {
    for (const key of Object.keys(flattenRecord(record.data))) {
      if (!seen.includes(key)) seen.push(key);
      if (seen.length >= MAX_COLUMNS) break collect;
    }
  }
  const depth = (column: string) => column.split(".").length;
  return seen
    .map((column, index) => ({ column, index }))
    .sort(
      (a, b) =>
        Number(b.column === primaryKey) - Number(a.column === primaryKey) ||
        depth(a.column) - depth(b.column) ||
        comparePositions(order.get(a.column), order.get(b.column)) ||
        a.index - b.index,
    )
    .map(({ column }) => column);
}

/** The targets of the rules' field mappings (source path -> target field), in the rules' order. */
export function mappingTargets(rules: JsonValue | undefined): string[] {
  if (!isJsonObject(rules)) return [];
  const mappings = rules.field_mappings;
  if (!isJsonObject(mappings)) return [];
  const targets = Object.values(mappings).filter((target): target is string => typeof target === "string" && target !== "");
  return [...new Set(targets)];
}

/** The fields the rules' `defaults` fill, in the rules' order: the rules add them, so a record
 * may hold them without the upstream sending them. */
export function defaultedFields(rules: JsonValue | undefined): string[] {
  if (!isJsonObject(rules) || !isJsonObject(rules.defaults)) return [];
  return Object.keys(rules.defaults).filter((field) => field !== "");
}

/** The columns shown before the user picks any: the mapped fields (their targets, nested ones as
 * their dotted columns) in the rules' order when the records have them, else the first six in the
 * order of the first record's fields (top-level first), the primary key's field left out; then the
 * fields only the rules' `defaults` add (the upstream does not send them: without this they came
 * last in the upstream's order and were never among the first columns), within the six when there
 * is no mapping. */
export function defaultColumns(columns: string[], rules: JsonValue | undefined, primaryKey = ""): string[] {
  const picked: string[] = [];
  const pick = (target: string) => {
    for (const column of columns) {
      if ((column === target || column.startsWith(`${target}.`)) && !picked.includes(column)) picked.push(column);
    }
  };
  for (const target of mappingTargets(rules)) pick(target);
  const defaulted = defaultedFields(rules).filter((field) => field !== primaryKey && columns.some((column) => column === field || column.startsWith(`${field}.`)));
  // The primary key's field is the External id column already: a second copy of it would take the
  // place of another field (on a phone, of the only other one in sight). Without mappings, the
  // defaulted fields take places of the six, so the table does not grow wider than the window.
  if (picked.length === 0) {
    const upstream = columns.filter((column) => column !== primaryKey && !defaulted.some((field) => column === field || column.startsWith(`${field}.`)));
    picked.push(...upstream.slice(0, Math.max(0, DEFAULT_VISIBLE_COLUMNS - defaulted.length)));
  }
  for (const field of defaulted) pick(field);
  return picked;
}

/** Why a connector has no records yet: never synced, or its last sync failed or stopped. */
export function noRecordsText(lastSync: { id: number; status: string } | null): string {
  if (lastSync && (lastSync.status === "FAILED" || lastSync.status === "CANCELLED"))
    return `No records yet: the last sync, run #${lastSync.id}, ended ${lastSync.status} without storing any. Sync again once its error is dealt with.`;
  if (lastSync && (lastSync.status === "PENDING" || lastSync.status === "RUNNING")) return "No records yet: the sync under way stores them page by page.";
  return "No records yet: sync the connector.";
}

/** The records API's orderings: external id, time written, or a top-level field of the data. */
function orderingOf(text: string | null): RecordOrdering {
  if (text && /^-?(external_id|last_synced_at|data\.[^"\\\u0000-\u001f]{1,100})$/.test(text)) return text as RecordOrdering;
  return "external_id";
}

/** Whether a column is a top-level field of the records (not a nested one): only those sort. */
function isTopLevel(column: string, rows: SyncedRecord[]): boolean {
  return rows.some((row) => isJsonObject(row.data) && Object.hasOwn(row.data, column));
}

/**
 * A connector's records as a table: one column per field (nested fields as dotted columns), the
 * mapped fields shown first, a column picker, the raw JSON of a row one click away, sort by
 * external id (numeric-aware), by the time written or by a top-level field (done by the API),
 * search by external id or by a field's value, the page size, and whether records a full refresh
 * marked deleted are listed too (marked as deleted; the downloads follow the same choice). Its
 * state lives in the address (r_page, r_size, r_sort, r_in, r_q, r_deleted), so a reload or Back
 * keeps it.
 */
export function RecordsTable({
  connectorId,
  refreshKey = 0,
  rules,
  primaryKey = "",
  lastSync = null,
}: {
  connectorId: number;
  refreshKey?: number;
  rules?: JsonValue;
  /** The connector's primary key (a dotted path): its field is not one of the default columns. */
  primaryKey?: string;
  /** The connector's last sync, to say why there are no records yet. */
  lastSync?: { id: number; status: string } | null;
}) {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("r_page")) || 1);
  const pageSizeParam = Number(params.get("r_size"));
  const pageSize = PAGE_SIZES.includes(pageSizeParam) ? pageSizeParam : DEFAULT_PAGE_SIZE;
  const ordering = orderingOf(params.get("r_sort"));
  const searchIn = params.get("r_in") ?? EXTERNAL_ID;
  const query = params.get("r_q") ?? "";
  const includeDeleted = params.get("r_deleted") === "1";

  function update(changes: Record<string, string | null>) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value === null || value === "") next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: true },
    );
  }

  const request: RecordParams = { page, page_size: pageSize, ordering };
  if (includeDeleted) request.include_deleted = true;
  if (query && searchIn === EXTERNAL_ID) request.external_id = query;
  else if (query) {
    request.field = searchIn;
    request.value = query;
  }
  const records = useLoad(() => listRecords(connectorId, request), [connectorId, page, pageSize, ordering, searchIn, query, includeDeleted, refreshKey]);

  // The schema's field order: the columns in the upstream's order, not the stored keys' sorted one.
  const schema = useLoad(() => getConnectorSchema(connectorId), [connectorId, refreshKey]);
  const order = useMemo(() => fieldOrder(schema.data?.fields), [schema.data]);

  const rows = records.data?.results ?? [];
  // Nothing stored yet (no run that stored records, nothing asked for but the first page): the
  // search, the columns, the page size and the downloads would all act on nothing, and pushed the
  // empty state that says what to do under three paragraphs about them. (After a run that ended
  // SUCCESS or PARTIAL, records marked deleted may be stored: the tools stay for Include deleted.)
  const nothingYet =
    records.data !== null && records.data.count === 0 && !query && !includeDeleted && page === 1 && lastSync?.status !== "SUCCESS" && lastSync?.status !== "PARTIAL";
  const columns = useMemo(() => {
    const all = columnsOf(rows, order, primaryKey);
    const first = defaultColumns(all, rules, primaryKey);
    // The picker: the primary key's field (hidden at first: the External id column shows it), the
    // shown columns, then the rest, each in the schema's order.
    const key = all.includes(primaryKey) ? [primaryKey] : [];
    return { first, ordered: [...key, ...first, ...all.filter((column) => !first.includes(column) && !key.includes(column))] };
  }, [rows, rules, primaryKey, order]);
  const [hidden, setHidden] = useState<Set<string> | null>(null);
  const visible = hidden ? columns.ordered.filter((column) => !hidden.has(column)) : columns.first;
  const [rawOpen, setRawOpen] = useState<number | null>(null);
  const [searchInText, setSearchInText] = useState(searchIn);
  const [queryText, setQueryText] = useState(query);

  function toggleColumn(column: string) {
    const current = hidden ?? new Set(columns.ordered.filter((column) => !columns.first.includes(column)));
    const next = new Set(current);
    if (next.has(column)) next.delete(column);
    else next.add(column);
    setHidden(next);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    update({ r_in: searchInText === EXTERNAL_ID ? null : searchInText, r_q: queryText.trim(), r_page: null });
  }

  /** A sortable column's header: a button that sorts ascending, then toggles; aria-sort says how. */
  function sortHeader(key: string, label: ReactNode, extra: { className?: string; title?: string } = {}) {
    const direction = ordering === key ? "ascending" : ordering === `-${key}` ? "descending" : "none";
    return (
      <th scope="col" key={key} aria-sort={direction} className={extra.className} title={extra.title}>
        <button type="button" className="sort-button" onClick={() => update({ r_sort: direction === "ascending" ? `-${key}` : key === "external_id" ? null : key, r_page: null })}>
          {label} <span aria-hidden="true">{direction === "descending" ? "▼" : direction === "ascending" ? "▲" : ""}</span>
          <span className="visually-hidden">, sort {direction === "ascending" ? "descending" : "ascending"}</span>
        </button>
      </th>
    );
  }

  return (
    <section className="card" aria-labelledby="records-heading">
      <div className="card-title-row">
        <h2 id="records-heading">Records</h2>
        {nothingYet ? null : (
          <form className="search records-search" role="search" aria-label="Search records" onSubmit={submit}>
            <label className="visually-hidden" htmlFor="records-search-in">
              Search in
            </label>
            <select id="records-search-in" value={searchInText} onChange={(e) => setSearchInText(e.target.value)}>
              <option value={EXTERNAL_ID}>External id (exact)</option>
              {columns.ordered.map((column) => (
                <option key={column} value={column}>
                  {column} (contains)
                </option>
              ))}
              {searchIn !== EXTERNAL_ID && !columns.ordered.includes(searchIn) ? <option value={searchIn}>{searchIn} (contains)</option> : null}
            </select>
            <label className="visually-hidden" htmlFor="records-search-text">
              Search text
            </label>
            <input id="records-search-text" type="search" placeholder="Search" value={queryText} onChange={(e) => setQueryText(e.target.value)} />
            <button type="submit" className="btn btn-small">
              Search
            </button>
            {query ? (
              <button
                type="button"
                className="btn btn-small"
                onClick={() => {
                  setQueryText("");
                  update({ r_q: null, r_in: null, r_page: null });
                }}
              >
                Clear
              </button>
            ) : null}
          </form>
        )}
      </div>
      {nothingYet ? null : (
        <div className="table-tools">
          <details className="column-picker">
            <summary>
              Columns ({visible.length} of {columns.ordered.length})
            </summary>
            <fieldset>
              <legend className="visually-hidden">Shown columns</legend>
              {columns.ordered.map((column) => (
                <label key={column} className="checkbox">
                  <input type="checkbox" checked={visible.includes(column)} onChange={() => toggleColumn(column)} />
                  <span className="mono">{column}</span>
                </label>
              ))}
            </fieldset>
          </details>
          <label className="inline-field">
            Rows per page{" "}
            <select value={pageSize} onChange={(e) => update({ r_size: e.target.value, r_page: null })}>
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </label>
          {/* The user's column choice (if any) is the export's field list. */}
          <ExportMenu
            connectorId={connectorId}
            fields={hidden ? visible : undefined}
            search={query && searchIn !== EXTERNAL_ID ? { field: searchIn, value: query } : undefined}
            externalIdSearch={query !== "" && searchIn === EXTERNAL_ID}
            // the table's count is what the file holds, but with a search by external id (which the
            // export does not apply: it downloads every record)
            recordCount={query !== "" && searchIn === EXTERNAL_ID ? undefined : records.data?.count}
            includeDeleted={includeDeleted}
            onIncludeDeletedChange={(include) => update({ r_deleted: include ? "1" : null, r_page: null })}
          />
        </div>
      )}
      <ErrorBanner message={records.error} />
      {records.loading && !records.data ? <Loading /> : null}
      {records.data ? (
        rows.length === 0 ? (
          <p className="muted">{query ? `No record matches "${query}".` : noRecordsText(lastSync)}</p>
        ) : (
          <>
            <TableWrap label="Records, scrolling sideways">
              <table className="table records-table" aria-label="Records">
                <thead>
                  <tr>
                    {sortHeader("external_id", "External id")}
                    {visible.map((column) =>
                      isTopLevel(column, rows) ? (
                        sortHeader(`data.${column}`, column, { className: "mono" })
                      ) : (
                        <th scope="col" key={column} className="mono" title="A nested field: only top-level fields sort">
                          {column}
                        </th>
                      ),
                    )}
                    {sortHeader("last_synced_at", "Last written", {
                      className: "pinned-before-end",
                      title: "When a sync last wrote the record (created or changed it); unchanged records are not rewritten",
                    })}
                    <th scope="col" className="pinned-end">
                      Raw
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((record) => {
                    const flat = flattenRecord(record.data);
                    return (
                      <RecordRow
                        key={record.id}
                        record={record}
                        flat={flat}
                        columns={visible}
                        open={rawOpen === record.id}
                        onToggle={() => setRawOpen(rawOpen === record.id ? null : record.id)}
                      />
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
            <Pager page={page} pageSize={pageSize} count={records.data.count} onPage={(next) => update({ r_page: next === 1 ? null : String(next) })} label="record" />
          </>
        )
      ) : null}
    </section>
  );
}

function RecordRow({
  record,
  flat,
  columns,
  open,
  onToggle,
}: {
  record: SyncedRecord;
  flat: Record<string, JsonValue>;
  columns: string[];
  open: boolean;
  onToggle: () => void;
}) {
  return (
    <>
      <tr className={record.deleted_at ? "record-deleted" : undefined}>
        <td className="mono">
          {record.external_id}
          {record.deleted_at ? (
            <>
              {" "}
              <Badge title={`Marked deleted by a full refresh on ${formatDateTime(record.deleted_at)}`}>deleted</Badge>
            </>
          ) : null}
        </td>
        {columns.map((column) => (
          <td key={column} className="cell-value" title={cellText(flat[column])}>
            {cellText(flat[column])}
          </td>
        ))}
        <td className="small pinned-before-end">{formatDateTime(record.last_synced_at)}</td>
        <td className="pinned-end">
          <button type="button" className="btn btn-small" aria-expanded={open} onClick={onToggle}>
            {open ? "Hide JSON" : "JSON"}
            <span className="visually-hidden"> of record {record.external_id}</span>
          </button>
        </td>
      </tr>
      {open ? (
        <tr className="raw-row">
          <td colSpan={columns.length + 3}>
            <pre className="json-block" tabIndex={0} data-testid="raw-json">
              {prettyJson(record.data)}
            </pre>
          </td>
        </tr>
      ) : null}
    </>
  );
}
