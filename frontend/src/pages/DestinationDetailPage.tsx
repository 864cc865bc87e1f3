import { Fragment, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import {
  attachConnector,
  deleteDestination,
  detachConnector,
  getDestination,
  listConnectors,
  listLoads,
  startLoad,
  testDestination,
  updateDestination,
} from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import type { ColumnNames, Destination, DestinationAttachment, DestinationCheck, DestinationInput, DestinationLoad } from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { canDelete, canWrite, useAuth } from "../auth";
import { ConnectionText, ErrorBanner, Loading, LoadingPage, Pager, SaveWarningsBanner, StateBadge, TableWrap, DateTimeCell } from "../components/common";
import { useConfirm } from "../components/ConfirmDialog";
import { DELETED_ROWS_LABELS, DestinationForm } from "../components/DestinationForm";
import { Field } from "../components/fields";
import { LastLoadCell } from "../components/LastLoad";
import { WaitingForApi } from "../components/WaitingForApi";
import { formatCount, formatDateTime, formatNumber, formatSeconds, triggerLabel } from "../format";
import { isMissing, LoadFailureBanner, MissingNotice } from "../components/LoadFailure";
import { destinationErrorHint } from "../components/destinationHint";
import { NotFoundPage } from "./NotFoundPage";
import { useFocusAfterClose, useLoad } from "../hooks";

const LOADS_PAGE_SIZE = 20;
/** The column naming conventions, in the words of the attach form and the attachments table. */
export const COLUMN_NAMES_LABELS: Record<ColumnNames, string> = {
  snake_case: "snake_case (company__catch_phrase)",
  as_is: "As is (company__catchPhrase)",
};
export const LOAD_POLL_MS = 1000;

/** One destination: its settings, test connection, attached connectors, loads and their history. */
export function DestinationDetailPage() {
  const params = useParams();
  const id = Number(params.id);
  if (!/^\d+$/.test(params.id ?? "") || !Number.isSafeInteger(id) || id <= 0) return <NotFoundPage />;
  return <DestinationDetail key={id} id={id} />;
}

function DestinationDetail({ id }: { id: number }) {
  const { me } = useAuth();
  const writer = canWrite(me?.role);
  const announce = useAnnounce();
  const navigate = useNavigate();
  const destination = useLoad(() => getDestination(id), [id]);
  // The connectors (their names, the attach form's choices) and the load history are read once the
  // destination is there: a missing one (a 404) costs no other request.
  const found = destination.data !== null;
  const connectors = useLoad(() => (found ? listConnectors({ page_size: 100 }) : Promise.resolve(null)), [found]);
  usePageTitle(destination.data ? `Destination ${destination.data.name}` : `Destination #${id}`);
  const { confirm, dialog } = useConfirm();

  const [editing, setEditing] = useState(false);
  // The form closed (saved or cancelled) with the focus in it: back to Edit, enabled again.
  const [editButtonRef, closingForm] = useFocusAfterClose<HTMLButtonElement>(editing);
  const [error, setError] = useState<string | null>(null);
  // What the server noticed when the destination was saved without refusing it (a host name it could
  // not resolve): from the creation (the destinations page passes them on) or the last edit.
  const location = useLocation();
  const [saveWarnings, setSaveWarnings] = useState<string[]>(
    () => ((location.state as { warnings?: string[] } | null)?.warnings ?? []).filter(Boolean),
  );
  const [check, setCheck] = useState<DestinationCheck | null>(null);
  const [testing, setTesting] = useState(false);
  const checkRef = useRef<HTMLDivElement>(null);
  const [historyPage, setHistoryPage] = useState(1);
  const [loadsKey, setLoadsKey] = useState(0);
  const loads = useLoad(
    () => (found ? listLoads(id, { page: historyPage, page_size: LOADS_PAGE_SIZE }) : Promise.resolve(null)),
    [found, id, historyPage, loadsKey],
  );
  const active = (loads.data?.results ?? []).some((load) => load.status === "PENDING" || load.status === "RUNNING");
  const wasActive = useRef(false);

  // Follow the loads while one runs; when they end, say how they ended.
  useEffect(() => {
    if (!active) {
      if (wasActive.current && loads.data) {
        const latest = loads.data.results[0];
        if (latest) announce(`Load #${latest.id} ${latest.status === "SUCCESS" ? `succeeded: ${formatCount(latest.rows_upserted, "row")} upserted` : `failed: ${latest.error_message}`}.`);
        destination.reload();
      }
      wasActive.current = false;
      return;
    }
    wasActive.current = true;
    const timer = setTimeout(() => setLoadsKey((key) => key + 1), LOAD_POLL_MS);
    return () => clearTimeout(timer);
  }, [active, loads.data]);

  useLayoutEffect(() => {
    if (check) checkRef.current?.focus();
  }, [check]);

  const connectorName = (connectorId: number) =>
    connectors.data?.results.find((connector) => connector.id === connectorId)?.name ?? `Connector #${connectorId}`;

  async function act(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(errorMessage(err));
      announce(errorMessage(err));
    }
  }

  async function save(input: DestinationInput) {
    const before = destination.data;
    const saved = await updateDestination(id, input);
    // A test of the connection settings that changed no longer describes the destination.
    if (before && connectionChanged(before, input)) setCheck(null);
    closingForm();
    setEditing(false);
    setSaveWarnings(saved.warnings ?? []);
    announce(`Destination ${saved.name} saved${saved.warnings?.length ? `, with a warning: ${saved.warnings.join(" ")}` : ""}.`);
    destination.reload();
  }

  async function test() {
    setTesting(true);
    setCheck(null);
    await act(async () => {
      const result = await testDestination(id);
      setCheck(result);
      announce(result.connected ? `Connected: ${result.message}` : `Not connected: ${result.message}`);
    });
    setTesting(false);
  }

  async function load(connectorId?: number) {
    await act(async () => {
      const started = await startLoad(id, connectorId);
      announce(started.length === 1 ? `Load #${started[0]!.id} started.` : `${started.length} loads started.`);
      setHistoryPage(1);
      setLoadsKey((key) => key + 1);
    });
  }

  async function reload(attachment: DestinationAttachment) {
    if (!destination.data) return;
    const name = connectorName(attachment.connector);
    const table = `${destination.data.target_schema}.${attachment.table_name}`;
    const deleted = destination.data.deleted_rows === "soft" ? "marked deleted (_deleted_at)" : "deleted";
    const question = {
      title: `Reload everything from ${name}?`,
      body: `Every record of ${name} is loaded again into ${table}, from the start: its rows are rewritten with the records as they are now, and rows of deleted records, or of records ${name} no longer has, are ${deleted}. This takes as long as a first load.`,
      confirmLabel: "Reload everything",
    };
    if (!(await confirm(question))) return;
    await act(async () => {
      const started = await startLoad(id, attachment.connector, { fullReload: true });
      announce(`Reload #${started[0]!.id} of ${name} started.`);
      setHistoryPage(1);
      setLoadsKey((key) => key + 1);
    });
  }

  async function detach(connectorId: number) {
    await act(async () => {
      await detachConnector(id, connectorId);
      announce(`${connectorName(connectorId)} detached.`);
      destination.reload();
    });
  }

  async function remove() {
    if (!destination.data) return;
    const question = {
      title: `Delete the destination ${destination.data.name}?`,
      body: "Its settings, its connectors' attachments and its load history are deleted. The tables it wrote stay in the database, with their rows.",
      confirmLabel: "Delete the destination",
    };
    if (!(await confirm(question))) return;
    await act(async () => {
      await deleteDestination(id);
      announce("Destination deleted.");
      navigate("/destinations");
    });
  }

  if (destination.error && !destination.data) {
    return (
      <div className="page">
        <h1>Destination #{id}</h1>
        {isMissing(destination.failure) ? (
          <MissingNotice what={`Destination #${id}`} back="/destinations" backLabel="← All destinations" />
        ) : (
          <>
            <LoadFailureBanner failures={[destination.failure]} onRetry={destination.reload} busy={destination.loading} />
            <Link to="/destinations" className="back-link">
              ← All destinations
            </Link>
          </>
        )}
      </div>
    );
  }
  // Until the connectors are read too, so the attachments show their names, not their ids.
  if (!destination.data || (connectors.data === null && connectors.error === null))
    return <LoadingPage title={`Destination #${id}`} label="Loading the destination…" />;
  const data = destination.data;
  const attachedIds = new Set(data.attachments.map((attachment) => attachment.connector));

  return (
    <div className="page">
      {dialog}
      <Link to="/destinations" className="back-link">
        ← All destinations
      </Link>
      <div className="page-header">
        <h1>{data.name}</h1>
        <div className="actions">
          {writer ? (
            <>
              <button type="button" className="btn" disabled={testing} onClick={() => void test()}>
                {testing ? "Testing…" : "Test connection"}
              </button>
              <button ref={editButtonRef} type="button" className="btn" onClick={() => setEditing(true)} disabled={editing}>
                Edit
              </button>
              <button
                type="button"
                className="btn btn-primary"
                disabled={data.attachments.length === 0}
                aria-describedby={data.attachments.length === 0 ? "no-attachments" : undefined}
                title={data.attachments.length === 0 ? "Attach a connector first" : undefined}
                onClick={() => void load()}
              >
                Load now
              </button>
            </>
          ) : null}
          {canDelete(me?.role) ? (
            <button type="button" className="btn btn-danger" onClick={() => void remove()}>
              Delete
            </button>
          ) : null}
        </div>
      </div>
      <ErrorBanner message={error} />
      <SaveWarningsBanner warnings={saveWarnings} />
      {testing ? <WaitingForApi testId="test-waiting" /> : null}
      {check ? (
        <div ref={checkRef} tabIndex={-1} className={`card test-result ${check.connected ? "ok" : "failed"}`} data-testid="destination-check">
          <h2>{check.connected ? "Connected" : "Not connected"}</h2>
          <p>
            {check.message} ({formatNumber(Math.round(check.response_time_ms))} ms)
          </p>
          {!check.connected && destinationErrorHint(check.message) ? <p className="hint">{destinationErrorHint(check.message)}</p> : null}
        </div>
      ) : null}
      {editing ? (
        <DestinationForm
          destination={data}
          onSave={save}
          onCancel={() => {
            closingForm();
            setEditing(false);
          }}
        />
      ) : (
        <section className="card" aria-labelledby="settings-heading">
          <h2 id="settings-heading">Settings</h2>
          <dl className="details">
            <div>
              <dt>Connection</dt>
              <dd className="mono" data-testid="destination-connection">
                {data.has_dsn ? "a DSN (stored, never shown)" : <ConnectionText text={`${data.username}@${data.host}:${data.port}/${data.database}`} />}
              </dd>
            </div>
            <div>
              <dt>Password</dt>
              <dd>{data.has_password ? "set" : "not set"}</dd>
            </div>
            <div>
              <dt>SSL mode</dt>
              <dd>{data.sslmode}</dd>
            </div>
            <div>
              <dt>Target schema</dt>
              <dd className="mono">{data.target_schema}</dd>
            </div>
            <div>
              <dt>Deleted records</dt>
              <dd>{DELETED_ROWS_LABELS[data.deleted_rows]}</dd>
            </div>
          </dl>
        </section>
      )}

      <section className="card" aria-labelledby="attachments-heading">
        <h2 id="attachments-heading">Connectors loaded here</h2>
        {data.attachments.length === 0 ? (
          <p className="muted" id="no-attachments">
            {writer
              ? "No connector attached yet: attach one below to load its records here, now with Load now and after each of its successful syncs."
              : "No connector attached yet."}
          </p>
        ) : (
          <TableWrap>
            <table className="table table-stack" aria-label="Attached connectors">
              <thead>
                <tr>
                  <th scope="col">Connector</th>
                  <th scope="col">Table</th>
                  <th scope="col">Column names</th>
                  <th scope="col">Last load</th>
                  <th scope="col">Columns</th>
                  {writer ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {data.attachments.map((attachment) => (
                  <tr key={attachment.id}>
                    <td className="stack-title">
                      <Link to={`/connectors/${attachment.connector}`}>{connectorName(attachment.connector)}</Link>
                    </td>
                    <td className="mono" data-label="Table">
                      {data.target_schema}.{attachment.table_name}
                    </td>
                    <td data-label="Column names" data-testid={`column-names-${attachment.connector}`}>
                      {COLUMN_NAMES_LABELS[attachment.column_names]}
                    </td>
                    <td data-label="Last load">
                      <LastLoadCell attachment={attachment} />
                    </td>
                    <td data-label="Columns">
                      <ColumnMap attachment={attachment} table={`${data.target_schema}.${attachment.table_name}`} />
                    </td>
                    {writer ? (
                      <td className="actions" data-label="Actions">
                        <button type="button" className="btn btn-small" aria-label={`Load ${connectorName(attachment.connector)}`} onClick={() => void load(attachment.connector)}>
                          Load
                        </button>
                        <button type="button" className="btn btn-small" aria-label={`Reload everything from ${connectorName(attachment.connector)}`} onClick={() => void reload(attachment)}>
                          Reload everything
                        </button>
                        <button type="button" className="btn btn-small" aria-label={`Detach ${connectorName(attachment.connector)}`} onClick={() => void detach(attachment.connector)}>
                          Detach
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {writer ? (
          <AttachForm
            connectors={(connectors.data?.results ?? []).filter((connector) => !attachedIds.has(connector.id))}
            onAttach={async (connectorId, tableName, columnNames) => {
              const attachment = await attachConnector(id, connectorId, tableName, columnNames);
              announce(`${connectorName(connectorId)} attached as table ${attachment.table_name}.`);
              destination.reload();
            }}
          />
        ) : null}
      </section>

      <section className="card" aria-labelledby="loads-heading">
        <h2 id="loads-heading">Load history</h2>
        <ErrorBanner message={loads.error} />
        {loads.loading && !loads.data ? <Loading /> : null}
        {loads.data ? (
          loads.data.results.length === 0 ? (
            <p className="muted">No load yet.</p>
          ) : (
            <>
              <TableWrap>
                <table className="table load-history" aria-label="Loads">
                  <thead>
                    <tr>
                      <th scope="col">Load</th>
                      <th scope="col">Connector</th>
                      <th scope="col">Status</th>
                      <th scope="col">Triggered by</th>
                      <th scope="col">Rows upserted</th>
                      <th scope="col">Rows deleted</th>
                      <th scope="col">Columns added / widened</th>
                      <th scope="col">Duration</th>
                      <th scope="col">Started</th>
                      <th scope="col">Log</th>
                    </tr>
                  </thead>
                  <tbody>
                    {loads.data.results.map((row) => (
                      <LoadRow key={row.id} load={row} connector={connectorName(row.connector)} />
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager page={historyPage} pageSize={LOADS_PAGE_SIZE} count={loads.data.count} onPage={setHistoryPage} label="load" />
            </>
          )
        ) : null}
      </section>
    </div>
  );
}

function AttachForm({
  connectors,
  onAttach,
}: {
  connectors: { id: number; name: string }[];
  onAttach: (connectorId: number, tableName: string, columnNames: ColumnNames) => Promise<void>;
}) {
  const [connector, setConnector] = useState("");
  const [tableName, setTableName] = useState("");
  const [columnNames, setColumnNames] = useState<ColumnNames>("snake_case");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const first = ["connector", "table_name", "column_names"].find((field) => errors[field]);
    if (first) formRef.current?.querySelector<HTMLElement>(`#attach-${first}`)?.focus();
  }, [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!connector) {
      setErrors({ connector: ["Choose a connector."] });
      return;
    }
    setBusy(true);
    try {
      await onAttach(Number(connector), tableName, columnNames);
      setConnector("");
      setTableName("");
      setColumnNames("snake_case");
      setErrors({});
    } catch (err) {
      const fieldErrors = err instanceof ApiError ? err.fieldErrors : {};
      setErrors(Object.keys(fieldErrors).length > 0 ? fieldErrors : { connector: [errorMessage(err)] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} className="attach-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="attach-heading">
      <h3 id="attach-heading">Attach a connector</h3>
      <div className="form-grid">
        <Field label="Connector" htmlFor="attach-connector" errors={errors.connector}>
          <select id="attach-connector" value={connector} onChange={(e) => setConnector(e.target.value)}>
            <option value="">Choose…</option>
            {connectors.map((item) => (
              <option key={item.id} value={item.id}>
                {item.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Table name" htmlFor="attach-table_name" errors={errors.table_name} hint="Optional: the connector's name as a lower-case identifier.">
          <input id="attach-table_name" value={tableName} onChange={(e) => setTableName(e.target.value)} />
        </Field>
        <Field
          label="Column names"
          htmlFor="attach-column_names"
          errors={errors.column_names}
          hint="How field paths become columns: snake_case needs no quotes in SQL, as is keeps the keys' case (quote them). Fixed at the first load."
        >
          <select id="attach-column_names" value={columnNames} onChange={(e) => setColumnNames(e.target.value as ColumnNames)}>
            {(Object.keys(COLUMN_NAMES_LABELS) as ColumnNames[]).map((value) => (
              <option key={value} value={value}>
                {COLUMN_NAMES_LABELS[value]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="actions">
        <button type="submit" className="btn" disabled={busy}>
          Attach
        </button>
      </div>
    </form>
  );
}

/** Which field went to which column of an attachment's table, folded until asked for. */
function ColumnMap({ attachment, table }: { attachment: DestinationAttachment; table: string }) {
  if (attachment.columns.length === 0) return <span className="muted small">Named at the first load</span>;
  return (
    <details className="column-map" data-testid={`columns-${attachment.connector}`}>
      <summary>{formatCount(attachment.columns.length, "column")}</summary>
      <table className="column-map-table" aria-label={`Columns of ${table}`}>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Column</th>
          </tr>
        </thead>
        <tbody>
          {attachment.columns.map(({ field, column }) => (
            <tr key={field}>
              <td className="mono">{field}</td>
              <td className="mono">{column}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function LoadRow({ load, connector }: { load: DestinationLoad; connector: string }) {
  const [open, setOpen] = useState(false);
  const failed = load.status === "FAILED";
  return (
    <Fragment>
      <tr className={failed ? "load-failed" : undefined} data-testid={`load-${load.id}`}>
        <td>
          #{load.id}
          {load.full_reload ? <div className="small muted">reload</div> : null}
        </td>
        <td>{connector}</td>
        <td>
          <StateBadge status={load.status} />
        </td>
        <td>{triggerLabel(load.triggered_by)}</td>
        <td>{formatNumber(load.rows_upserted)}</td>
        <td>{formatNumber(load.rows_deleted)}</td>
        <td>
          {load.columns_added} / {load.columns_widened}
        </td>
        <td>{formatSeconds(load.duration_seconds)}</td>
        <DateTimeCell value={load.started_at ?? load.created_at} />
        <td>
          <button
            type="button"
            className="btn btn-small"
            aria-expanded={open}
            aria-label={`${open ? "Hide log" : `Log (${load.events.length})`} of load ${load.id}`}
            onClick={() => setOpen(!open)}
          >
            {open ? "Hide log" : `Log (${load.events.length})`}
          </button>
        </td>
      </tr>
      {failed && load.error_message ? (
        // the whole row's width: in the Status column the error stood a word a line
        <tr className="load-failed load-error-row">
          <td colSpan={10}>
            <div className="field-error" data-testid={`load-error-${load.id}`}>
              {load.error_message}
            </div>
            {destinationErrorHint(load.error_message) ? <p className="hint">{destinationErrorHint(load.error_message)}</p> : null}
          </td>
        </tr>
      ) : null}
      {open ? (
        <tr className="load-log-row">
          <td colSpan={10}>
            <ul className="event-lines" aria-label={`Log of load ${load.id}`}>
              {load.events.map((event, index) => (
                <li key={index} className={`level-${event.level.toLowerCase()}`}>
                  <span className="small muted">{formatDateTime(event.at)}</span> <strong>{event.level}</strong> {event.message}
                </li>
              ))}
            </ul>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}

/** Whether an edit changes what a connection test of the destination reads with: where it connects,
 * as whom, with which password or DSN (a sent one is a new one: the stored one is never shown). */
function connectionChanged(before: Destination, input: DestinationInput): boolean {
  if (input.password || (input.dsn !== undefined && (input.dsn !== "" || before.has_dsn))) return true;
  const keys = ["host", "port", "database", "username", "sslmode", "target_schema"] as const;
  return keys.some((key) => input[key] !== undefined && input[key] !== before[key]);
}
