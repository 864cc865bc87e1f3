import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { createConnector, deleteConnector, listConnectors } from "../api/api";
import { errorMessage } from "../api/client";
import type { Connector, ConnectorInput } from "../api/types";
import { canDelete, canWrite, useAuth } from "../auth";
import { ConnectorForm } from "../components/ConnectorForm";
import { ActiveBadge, ErrorBanner, Loading, Pager, StatusBadge, TableWrap } from "../components/common";
import { formatDateTime, formatNumber, frequencyLabel } from "../format";
import { useLoad } from "../hooks";

const PAGE_SIZE = 20;

export function ConnectorsPage() {
  const { me } = useAuth();
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const list = useLoad(() => listConnectors({ page, page_size: PAGE_SIZE, search }), [page, search]);
  const writer = canWrite(me?.role);
  const deleter = canDelete(me?.role);

  function submitSearch(event: FormEvent) {
    event.preventDefault();
    setPage(1);
    setSearch(searchText.trim());
  }

  async function create(input: ConnectorInput) {
    const created = await createConnector(input);
    setCreating(false);
    navigate(`/connectors/${created.id}`, { state: { created: true } });
  }

  async function remove(connector: Connector) {
    if (!window.confirm(`Delete the connector "${connector.name}" with its sync history and records?`)) return;
    setActionError(null);
    try {
      await deleteConnector(connector.id);
      list.reload();
    } catch (error) {
      setActionError(errorMessage(error));
    }
  }

  return (
    <div className="page">
      <div className="page-header">
        <h1>Connectors</h1>
        <div className="actions">
          <form className="search" role="search" onSubmit={submitSearch}>
            <input
              type="search"
              aria-label="Search connectors"
              placeholder="Search name or endpoint"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
            />
            <button type="submit" className="btn">
              Search
            </button>
          </form>
          {writer && !creating ? (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              New connector
            </button>
          ) : null}
        </div>
      </div>
      {creating ? <ConnectorForm onSubmit={create} onCancel={() => setCreating(false)} /> : null}
      <ErrorBanner message={actionError} />
      <ErrorBanner message={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data ? (
        <>
          {list.data.results.length === 0 ? (
            <div className="card empty">
              {search ? `No connector matches "${search}".` : "No connectors yet."}
              {writer && !search ? " Create one with “New connector”." : ""}
            </div>
          ) : (
            <TableWrap>
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Endpoint</th>
                    <th>Frequency</th>
                    <th>Active</th>
                    <th>Last sync</th>
                    <th>Next sync</th>
                    <th className="num">Records</th>
                    {deleter ? <th aria-label="Actions" /> : null}
                  </tr>
                </thead>
                <tbody>
                  {list.data.results.map((connector) => (
                    <tr key={connector.id}>
                      <td>
                        <Link to={`/connectors/${connector.id}`}>{connector.name}</Link>
                      </td>
                      <td className="mono ellipsis" title={connector.api_endpoint}>
                        {connector.api_endpoint}
                      </td>
                      <td>{frequencyLabel(connector.sync_frequency)}</td>
                      <td>
                        <ActiveBadge active={connector.is_active} />
                      </td>
                      <td>
                        <StatusBadge status={connector.last_sync_status} />
                        <div className="muted small">{formatDateTime(connector.last_sync_at)}</div>
                      </td>
                      <td className="small">{formatDateTime(connector.next_sync_at)}</td>
                      <td className="num">{formatNumber(connector.records_count)}</td>
                      {deleter ? (
                        <td>
                          <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(connector)}>
                            Delete
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <Pager page={page} pageSize={PAGE_SIZE} count={list.data.count} onPage={setPage} label="connector" />
        </>
      ) : null}
    </div>
  );
}
