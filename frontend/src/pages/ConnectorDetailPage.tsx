import { useCallback, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import {
  deleteConnector,
  getConnector,
  listRecords,
  listSyncHistory,
  runningSyncIdOf,
  startSync,
  testConnection,
  updateConnector,
} from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import type { ConnectionResult, Connector, ConnectorInput, SyncLog } from "../api/types";
import { canDelete, canWrite, useAuth } from "../auth";
import { ConnectorForm } from "../components/ConnectorForm";
import { ActiveBadge, ErrorBanner, Loading, Pager, StatusBadge, TableWrap } from "../components/common";
import { SyncProgress } from "../components/SyncProgress";
import { compactJson, formatDateTime, formatNumber, formatSeconds, frequencyLabel, prettyJson } from "../format";
import { useLoad } from "../hooks";

const HISTORY_PAGE_SIZE = 10;
const RECORDS_PAGE_SIZE = 20;

interface SyncConflict {
  message: string;
  runningId: number | null;
}

export function ConnectorDetailPage() {
  const params = useParams();
  const id = Number(params.id);
  if (!Number.isInteger(id) || id <= 0) {
    return (
      <div className="page">
        <ErrorBanner message="This is not a connector address." />
      </div>
    );
  }
  return <ConnectorDetail key={id} id={id} />;
}

function ConnectorDetail({ id }: { id: number }) {
  const { me } = useAuth();
  const navigate = useNavigate();
  const writer = canWrite(me?.role);
  const deleter = canDelete(me?.role);

  const connector = useLoad(() => getConnector(id), [id]);
  const [historyPage, setHistoryPage] = useState(1);
  const history = useLoad(() => listSyncHistory(id, { page: historyPage, page_size: HISTORY_PAGE_SIZE }), [id, historyPage]);
  const [recordsPage, setRecordsPage] = useState(1);
  const [externalIdText, setExternalIdText] = useState("");
  const [externalId, setExternalId] = useState("");
  const records = useLoad(
    () => listRecords(id, { page: recordsPage, page_size: RECORDS_PAGE_SIZE, external_id: externalId }),
    [id, recordsPage, externalId],
  );

  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<"test" | "sync" | "refresh" | "delete" | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<ConnectionResult | null>(null);
  const [syncId, setSyncId] = useState<number | null>(null);
  const [conflict, setConflict] = useState<SyncConflict | null>(null);
  // The followed sync's latest copy: its history row shows it live instead of the stale row.
  const [liveLog, setLiveLog] = useState<SyncLog | null>(null);

  const reloadAll = connector.reload;
  const reloadHistory = history.reload;
  const reloadRecords = records.reload;
  const onSyncFinished = useCallback(() => {
    reloadAll();
    reloadHistory();
    reloadRecords();
  }, [reloadAll, reloadHistory, reloadRecords]);

  async function runTest() {
    setBusy("test");
    setActionError(null);
    setTestResult(null);
    try {
      setTestResult(await testConnection(id));
    } catch (error) {
      setActionError(errorMessage(error));
    } finally {
      setBusy(null);
    }
  }

  async function runSync(fullRefresh: boolean) {
    setBusy(fullRefresh ? "refresh" : "sync");
    setActionError(null);
    setConflict(null);
    try {
      const log = await startSync(id, fullRefresh);
      setSyncId(log.id);
      reloadHistory();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        setConflict({ message: error.detail, runningId: runningSyncIdOf(error.body) });
      } else {
        setActionError(errorMessage(error));
      }
    } finally {
      setBusy(null);
    }
  }

  async function save(input: ConnectorInput) {
    await updateConnector(id, input);
    setEditing(false);
    connector.reload();
  }

  async function remove(current: Connector) {
    if (!window.confirm(`Delete the connector "${current.name}" with its sync history and records?`)) return;
    setBusy("delete");
    setActionError(null);
    try {
      await deleteConnector(id);
      navigate("/connectors", { replace: true });
    } catch (error) {
      setActionError(errorMessage(error));
      setBusy(null);
    }
  }

  function filterRecords(event: FormEvent) {
    event.preventDefault();
    setRecordsPage(1);
    setExternalId(externalIdText.trim());
  }

  if (connector.loading && !connector.data) return <Loading label="Loading the connector…" />;
  if (!connector.data) {
    return (
      <div className="page">
        <h1>Connector #{id}</h1>
        <ErrorBanner message={connector.error ?? "The connector could not be loaded."} />
        <Link to="/connectors">← All connectors</Link>
      </div>
    );
  }
  const c = connector.data;

  return (
    <div className="page">
      <Link to="/connectors" className="back-link">
        ← All connectors
      </Link>
      <div className="page-header">
        <div>
          <h1>{c.name}</h1>
          <div className="mono muted break">{c.api_endpoint}</div>
        </div>
        <div className="actions">
          {writer ? (
            <>
              <button type="button" className="btn" onClick={() => void runTest()} disabled={busy !== null}>
                {busy === "test" ? "Testing…" : "Test connection"}
              </button>
              <button type="button" className="btn btn-primary" onClick={() => void runSync(false)} disabled={busy !== null}>
                {busy === "sync" ? "Starting…" : "Sync now"}
              </button>
              <button type="button" className="btn" onClick={() => void runSync(true)} disabled={busy !== null}>
                {busy === "refresh" ? "Starting…" : "Full refresh"}
              </button>
              {!editing ? (
                <button type="button" className="btn" onClick={() => setEditing(true)}>
                  Edit
                </button>
              ) : null}
            </>
          ) : null}
          {deleter ? (
            <button type="button" className="btn btn-danger" onClick={() => void remove(c)} disabled={busy !== null}>
              Delete
            </button>
          ) : null}
        </div>
      </div>

      <ErrorBanner message={connector.error} />
      <ErrorBanner message={actionError} />
      {conflict ? (
        <div className="banner banner-warning" role="alert">
          {conflict.message}{" "}
          {conflict.runningId !== null ? (
            <>
              <Link to={`/sync-logs/${conflict.runningId}`}>Open sync #{conflict.runningId}</Link>
              {" · "}
              <button type="button" className="link-button" onClick={() => setSyncId(conflict.runningId)}>
                follow it here
              </button>
            </>
          ) : null}
        </div>
      ) : null}

      {testResult ? <TestResult result={testResult} /> : null}
      {syncId !== null ? <SyncProgress key={syncId} logId={syncId} onFinished={onSyncFinished} onUpdate={setLiveLog} /> : null}
      {editing ? <ConnectorForm connector={c} onSubmit={save} onCancel={() => setEditing(false)} /> : null}

      <section className="card">
        <h2>Details</h2>
        <dl className="details">
          <div>
            <dt>Status</dt>
            <dd>
              <ActiveBadge active={c.is_active} />
            </dd>
          </div>
          <div>
            <dt>Frequency</dt>
            <dd>{frequencyLabel(c.sync_frequency)}</dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>
              <StatusBadge status={c.last_sync_status} /> <span className="small">{formatDateTime(c.last_sync_at)}</span>
            </dd>
          </div>
          <div>
            <dt>Next sync</dt>
            <dd>{formatDateTime(c.next_sync_at)}</dd>
          </div>
          <div>
            <dt>Records</dt>
            <dd>{formatNumber(c.records_count)}</dd>
          </div>
          <div>
            <dt>API key</dt>
            <dd>{c.has_api_key ? `stored (…${c.api_key_last4 || "????"})` : "none"}</dd>
          </div>
          <div>
            <dt>Authentication</dt>
            <dd>
              {c.auth_type}
              {c.auth_type === "header" && c.auth_header_name ? ` (${c.auth_header_name})` : ""}
              {c.auth_type === "query" && c.auth_param_name ? ` (?${c.auth_param_name}=)` : ""}
              {c.auth_type === "basic" && c.auth_username ? ` (${c.auth_username})` : ""}
            </dd>
          </div>
          <div>
            <dt>Pagination</dt>
            <dd className="mono small">{compactJson(c.pagination, 80)}</dd>
          </div>
          <div>
            <dt>Records path</dt>
            <dd className="mono">{c.records_path === null ? "detect" : c.records_path === "" ? "(response)" : c.records_path}</dd>
          </div>
          <div>
            <dt>Primary key</dt>
            <dd className="mono">{c.primary_key || "content hash"}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              {formatDateTime(c.created_at)}
              {c.created_by ? ` by ${c.created_by}` : ""}
            </dd>
          </div>
        </dl>
        <details>
          <summary>Transformation rules</summary>
          <pre className="json-block">{prettyJson(c.transformation_rules)}</pre>
        </details>
      </section>

      <section className="card">
        <div className="card-title-row">
          <h2>Sync history</h2>
          <button type="button" className="btn btn-small" onClick={history.reload} disabled={history.loading}>
            Refresh
          </button>
        </div>
        <ErrorBanner message={history.error} />
        {history.loading && !history.data ? <Loading /> : null}
        {history.data ? (
          history.data.results.length === 0 ? (
            <p className="muted">No syncs yet.</p>
          ) : (
            <>
              <TableWrap>
                <table className="table" aria-label="Sync history">
                  <thead>
                    <tr>
                      <th>Sync</th>
                      <th>Status</th>
                      <th>Trigger</th>
                      <th className="num">Processed</th>
                      <th className="num">Created</th>
                      <th className="num">Updated</th>
                      <th className="num">Failed</th>
                      <th className="num">Pages</th>
                      <th>Duration</th>
                      <th>Started</th>
                    </tr>
                  </thead>
                  <tbody>
                    {history.data.results.map((row) => liveLog && liveLog.id === row.id ? liveLog : row).map((log) => (
                      <tr key={log.id}>
                        <td>
                          <Link to={`/sync-logs/${log.id}`}>#{log.id}</Link>
                          {log.full_refresh ? <span className="muted small"> full</span> : null}
                        </td>
                        <td>
                          <StatusBadge status={log.status} />
                        </td>
                        <td>{log.triggered_by}</td>
                        <td className="num">{formatNumber(log.records_processed)}</td>
                        <td className="num">{formatNumber(log.records_created)}</td>
                        <td className="num">{formatNumber(log.records_updated)}</td>
                        <td className="num">{formatNumber(log.records_failed)}</td>
                        <td className="num">{formatNumber(log.pages_fetched)}</td>
                        <td>{formatSeconds(log.duration_seconds)}</td>
                        <td className="small">{formatDateTime(log.started_at ?? log.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager page={historyPage} pageSize={HISTORY_PAGE_SIZE} count={history.data.count} onPage={setHistoryPage} label="sync" />
            </>
          )
        ) : null}
      </section>

      <section className="card">
        <div className="card-title-row">
          <h2>Records</h2>
          <form className="search" role="search" onSubmit={filterRecords}>
            <input
              aria-label="Filter by external id"
              placeholder="External id"
              value={externalIdText}
              onChange={(e) => setExternalIdText(e.target.value)}
            />
            <button type="submit" className="btn btn-small">
              Filter
            </button>
            {externalId ? (
              <button
                type="button"
                className="btn btn-small"
                onClick={() => {
                  setExternalIdText("");
                  setExternalId("");
                  setRecordsPage(1);
                }}
              >
                Clear
              </button>
            ) : null}
          </form>
        </div>
        <ErrorBanner message={records.error} />
        {records.loading && !records.data ? <Loading /> : null}
        {records.data ? (
          records.data.results.length === 0 ? (
            <p className="muted">{externalId ? `No record with external id "${externalId}".` : "No records yet: sync the connector."}</p>
          ) : (
            <>
              <TableWrap>
                <table className="table" aria-label="Records">
                  <thead>
                    <tr>
                      <th>External id</th>
                      <th>Data</th>
                      <th>Last synced</th>
                    </tr>
                  </thead>
                  <tbody>
                    {records.data.results.map((record) => (
                      <tr key={record.id}>
                        <td className="mono">{record.external_id}</td>
                        <td className="json-cell">
                          <details>
                            <summary className="mono small">{compactJson(record.data, 140)}</summary>
                            <pre className="json-block">{prettyJson(record.data)}</pre>
                          </details>
                        </td>
                        <td className="small">{formatDateTime(record.last_synced_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager page={recordsPage} pageSize={RECORDS_PAGE_SIZE} count={records.data.count} onPage={setRecordsPage} label="record" />
            </>
          )
        ) : null}
      </section>
    </div>
  );
}

function TestResult({ result }: { result: ConnectionResult }) {
  return (
    <section className={`card test-result ${result.connected ? "ok" : "failed"}`} aria-label="Connection test" data-testid="test-result">
      <div className="card-title-row">
        <h3>{result.connected ? "Connected" : "Not connected"}</h3>
        <span className={`badge ${result.connected ? "badge-success" : "badge-failed"}`}>
          {result.connected ? "OK" : "FAILED"}
        </span>
      </div>
      <p>{result.message}</p>
      <dl className="counters">
        <div>
          <dt>Response time</dt>
          <dd>{result.response_time_ms === null ? "—" : `${result.response_time_ms.toFixed(1)} ms`}</dd>
        </div>
        <div>
          <dt>Status code</dt>
          <dd>{result.status_code ?? "—"}</dd>
        </div>
        <div>
          <dt>Endpoint</dt>
          <dd className="mono break">{result.endpoint}</dd>
        </div>
      </dl>
    </section>
  );
}
