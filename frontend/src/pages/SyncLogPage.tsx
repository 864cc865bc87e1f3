import { useState } from "react";
import { Link, useParams } from "react-router-dom";

import { cancelSync, listSyncErrors, listSyncEvents, resumeSync, runningSyncIdOf } from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import { isActiveStatus } from "../api/types";
import { canWrite, useAuth } from "../auth";
import { ErrorBanner, Loading, Pager, StatusBadge, TableWrap } from "../components/common";
import { compactJson, formatDateTime, formatNumber, formatSeconds, prettyJson } from "../format";
import { useLoad, useSyncLogPolling } from "../hooks";

const EVENTS_PAGE_SIZE = 50;
const ERRORS_PAGE_SIZE = 20;

export function SyncLogPage() {
  const params = useParams();
  const id = Number(params.id);
  if (!Number.isInteger(id) || id <= 0) {
    return (
      <div className="page">
        <ErrorBanner message="This is not a sync address." />
      </div>
    );
  }
  return <SyncLogView key={id} id={id} />;
}

function SyncLogView({ id }: { id: number }) {
  const { me } = useAuth();
  const writer = canWrite(me?.role);
  const { log, error, refresh } = useSyncLogPolling(id);
  const [eventsPage, setEventsPage] = useState(1);
  const [errorsPage, setErrorsPage] = useState(1);
  // Follow a running sync's log lines and quarantine as its counters move.
  const progressKey = log ? `${log.status}:${log.records_processed}:${log.pages_fetched}:${log.records_failed}` : "";
  const events = useLoad(() => listSyncEvents(id, { page: eventsPage, page_size: EVENTS_PAGE_SIZE }), [id, eventsPage, progressKey]);
  const errors = useLoad(() => listSyncErrors(id, { page: errorsPage, page_size: ERRORS_PAGE_SIZE }), [id, errorsPage, progressKey]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [conflictId, setConflictId] = useState<number | null>(null);

  async function act(action: "cancel" | "resume") {
    setBusy(true);
    setActionError(null);
    setConflictId(null);
    try {
      if (action === "cancel") await cancelSync(id);
      else await resumeSync(id);
      refresh();
    } catch (err) {
      setActionError(errorMessage(err));
      if (err instanceof ApiError && err.status === 409) setConflictId(runningSyncIdOf(err.body));
    } finally {
      setBusy(false);
    }
  }

  if (!log) {
    return error ? (
      <div className="page">
        <h1>Sync #{id}</h1>
        <ErrorBanner message={error} />
        <Link to="/connectors">← Connectors</Link>
      </div>
    ) : (
      <Loading label="Loading the sync…" />
    );
  }

  const active = isActiveStatus(log.status);
  const resumable = log.status === "FAILED" || log.status === "CANCELLED";

  return (
    <div className="page">
      <Link to={`/connectors/${log.connector}`} className="back-link">
        ← {log.connector_name}
      </Link>
      <div className="page-header">
        <div className="card-title-row">
          <h1>Sync #{log.id}</h1>
          <StatusBadge status={log.status} />
          {active ? <span className="spinner" aria-hidden="true" /> : null}
        </div>
        {writer ? (
          <div className="actions">
            {active ? (
              <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void act("cancel")}>
                Cancel sync
              </button>
            ) : null}
            {resumable ? (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void act("resume")}>
                Resume
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      <ErrorBanner message={error} />
      <ErrorBanner message={actionError}>
        {conflictId !== null ? (
          <>
            {" "}
            <Link to={`/sync-logs/${conflictId}`}>Open sync #{conflictId}</Link>
          </>
        ) : null}
      </ErrorBanner>
      {log.error_message ? (
        <div className="banner banner-error" role="alert">
          <strong>Error:</strong> {log.error_message}
        </div>
      ) : null}

      <section className="card">
        <h2>Counters</h2>
        <dl className="counters">
          <Counter label="Records processed" value={formatNumber(log.records_processed)} />
          <Counter label="Created" value={formatNumber(log.records_created)} />
          <Counter label="Updated" value={formatNumber(log.records_updated)} />
          <Counter label="Unchanged" value={formatNumber(log.records_unchanged)} />
          <Counter label="Quarantined" value={formatNumber(log.records_failed)} />
          <Counter label="Pages fetched" value={formatNumber(log.pages_fetched)} />
          <Counter label="Duration" value={formatSeconds(log.duration_seconds)} />
          <Counter label="Attempts" value={formatNumber(log.attempts)} />
        </dl>
        <dl className="details">
          <div>
            <dt>Triggered by</dt>
            <dd>
              {log.triggered_by}
              {log.full_refresh ? " (full refresh)" : ""}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(log.created_at)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(log.started_at)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(log.finished_at)}</dd>
          </div>
          <div>
            <dt>Pagination</dt>
            <dd>{log.detected_pagination || "—"}</dd>
          </div>
        </dl>
      </section>

      <section className="card">
        <h2>Log</h2>
        <ErrorBanner message={events.error} />
        {events.loading && !events.data ? <Loading /> : null}
        {events.data ? (
          events.data.results.length === 0 ? (
            <p className="muted">No log lines yet.</p>
          ) : (
            <>
              <ol className="events">
                {events.data.results.map((event) => (
                  <li key={event.id} className={`event event-${event.level}`}>
                    <time className="mono small">{formatDateTime(event.at)}</time>
                    <span className={`level level-${event.level}`}>{event.level}</span>
                    <span className="event-message">{event.message}</span>
                  </li>
                ))}
              </ol>
              <Pager page={eventsPage} pageSize={EVENTS_PAGE_SIZE} count={events.data.count} onPage={setEventsPage} label="line" />
            </>
          )
        ) : null}
      </section>

      <section className="card">
        <h2>Quarantined records</h2>
        <ErrorBanner message={errors.error} />
        {errors.loading && !errors.data ? <Loading /> : null}
        {errors.data ? (
          errors.data.results.length === 0 ? (
            <p className="muted">No quarantined records.</p>
          ) : (
            <>
              <TableWrap>
                <table className="table" aria-label="Quarantined records">
                  <thead>
                    <tr>
                      <th>External id</th>
                      <th>Error</th>
                      <th className="num">Page</th>
                      <th>Payload</th>
                    </tr>
                  </thead>
                  <tbody>
                    {errors.data.results.map((item) => (
                      <tr key={item.id}>
                        <td className="mono">{item.external_id || "—"}</td>
                        <td className="error-text">{item.error}</td>
                        <td className="num">{item.page ?? "—"}</td>
                        <td className="json-cell">
                          <details>
                            <summary className="mono small">{compactJson(item.raw_payload, 100)}</summary>
                            <pre className="json-block">{prettyJson(item.raw_payload)}</pre>
                          </details>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager page={errorsPage} pageSize={ERRORS_PAGE_SIZE} count={errors.data.count} onPage={setErrorsPage} label="record" />
            </>
          )
        ) : null}
      </section>
    </div>
  );
}

function Counter({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
