import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { createDestination, listDestinations } from "../api/api";
import type { DestinationInput } from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { canWrite, useAuth } from "../auth";
import { Loading, TableWrap } from "../components/common";
import { DELETED_ROWS_LABELS, DestinationForm } from "../components/DestinationForm";
import { DestinationLoadSummaryCell } from "../components/LastLoad";
import { LoadFailureBanner } from "../components/LoadFailure";
import { useFocusAfterClose, useLoad } from "../hooks";

/** The tenant's destinations (PostgreSQL databases its connectors are loaded into). */
export function DestinationsPage() {
  usePageTitle("Destinations");
  const { me } = useAuth();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const destinations = useLoad(() => listDestinations({ page_size: 100 }), []);
  const [creating, setCreating] = useState(false);
  const [newButtonRef, cancelling] = useFocusAfterClose<HTMLButtonElement>(creating);

  async function create(input: DestinationInput) {
    const created = await createDestination(input);
    announce(`Destination ${created.name} created${created.warnings?.length ? `, with a warning: ${created.warnings.join(" ")}` : ""}.`);
    // the destination's page shows what the server warned about (a host name it could not resolve)
    navigate(`/destinations/${created.id}`, { state: { warnings: created.warnings ?? [] } });
  }

  const rows = destinations.data?.results ?? [];
  return (
    <div className="page">
      <div className="page-header">
        <h1>Destinations</h1>
        {canWrite(me?.role) && !creating ? (
          <button ref={newButtonRef} type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New destination
          </button>
        ) : null}
      </div>
      <p className="muted">PostgreSQL databases the connectors' records are loaded into, one typed table per connector.</p>
      {creating ? <DestinationForm
          onSave={create}
          onCancel={() => {
            cancelling();
            setCreating(false);
          }}
        /> : null}
      <LoadFailureBanner failures={[destinations.failure]} onRetry={destinations.reload} busy={destinations.loading} />
      {destinations.loading && !destinations.data ? <Loading /> : null}
      {destinations.data ? (
        rows.length === 0 ? (
          <div className="card empty" data-testid="destinations-empty">
            No destination yet.
            {canWrite(me?.role) && !creating ? " Add one with “New destination”, then attach connectors to it on its page." : ""}
          </div>
        ) : (
          <TableWrap>
            <table className="table table-stack" aria-label="Destinations">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Database</th>
                  <th scope="col">Schema</th>
                  <th scope="col">Connectors</th>
                  <th scope="col">Last load</th>
                  <th scope="col">Deleted records</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((destination) => (
                  <tr key={destination.id}>
                    <td className="stack-title">
                      <Link to={`/destinations/${destination.id}`}>{destination.name}</Link>
                    </td>
                    <td className="mono" data-label="Database">{destination.has_dsn ? "(DSN)" : `${destination.host}:${destination.port}/${destination.database}`}</td>
                    <td className="mono" data-label="Schema">{destination.target_schema}</td>
                    <td data-label="Connectors">{destination.attachments.length}</td>
                    <td data-label="Last load">
                      <DestinationLoadSummaryCell destination={destination} />
                    </td>
                    <td data-label="Deleted records">{DELETED_ROWS_LABELS[destination.deleted_rows]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )
      ) : null}
    </div>
  );
}
