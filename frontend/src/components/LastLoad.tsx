import { Link } from "react-router-dom";

import { listDestinations } from "../api/api";
import type { Destination, DestinationAttachment, DestinationLastLoad } from "../api/types";
import { formatDateTime } from "../format";
import { StateBadge } from "./common";
import { destinationErrorHint } from "./destinationHint";
import { useLoad } from "../hooks";

/** When a load ended, or when it started while it runs. */
function loadTime(load: DestinationLastLoad): string {
  return load.finished_at ?? load.started_at ?? load.created_at;
}

export function LoadStatusBadge({ load }: { load: DestinationLastLoad }) {
  return <StateBadge status={load.status} />;
}

/** An attached connector's latest load: its status and time, and the error of a failed one. */
export function LastLoadCell({ attachment }: { attachment: DestinationAttachment }) {
  const load = attachment.last_load;
  if (!load) return <span className="muted">never</span>;
  return (
    <div className="last-load" data-testid={`last-load-${attachment.connector}`}>
      <LoadStatusBadge load={load} /> <span className="small">{formatDateTime(loadTime(load))}</span>
      {load.status === "FAILED" && load.error_message ? <div className="field-error">{load.error_message}</div> : null}
      {load.status === "FAILED" && destinationErrorHint(load.error_message) ? <p className="hint">{destinationErrorHint(load.error_message)}</p> : null}
      {attachment.reload_pending && load.status !== "RUNNING" && load.status !== "PENDING" ? (
        <div className="small">Reload not finished: the next load goes on with it and then removes rows of records the connector no longer has.</div>
      ) : null}
    </div>
  );
}

export interface DestinationLoadSummary {
  /** The load to show: the latest failed one when any attached connector's latest load failed,
   * else the latest load of all; null when nothing was loaded yet. */
  load: DestinationLastLoad | null;
  /** How many attached connectors' latest load failed. */
  failing: number;
  attached: number;
}

/** How a destination's loads stand, from its attachments' latest loads: a failing connector is
 * what a reader of the list must see first, even when another one loaded since. */
export function destinationLoadSummary(destination: Destination): DestinationLoadSummary {
  const latest = destination.attachments.map((attachment) => attachment.last_load).filter((load): load is DestinationLastLoad => load !== null);
  const newestFirst = [...latest].sort((a, b) => loadTime(b).localeCompare(loadTime(a)) || b.id - a.id);
  const failed = newestFirst.filter((load) => load.status === "FAILED");
  return { load: failed[0] ?? newestFirst[0] ?? null, failing: failed.length, attached: destination.attachments.length };
}

/** The Destinations list's "Last load" cell. */
export function DestinationLoadSummaryCell({ destination }: { destination: Destination }) {
  const { load, failing, attached } = destinationLoadSummary(destination);
  if (attached === 0) return <span className="muted">no connector attached</span>;
  if (!load) return <span className="muted">never</span>;
  return (
    <div className="last-load" data-testid={`destination-last-load-${destination.id}`}>
      <LoadStatusBadge load={load} /> <span className="small">{formatDateTime(loadTime(load))}</span>
      {failing > 0 ? (
        <div className="field-error">
          {attached === 1 ? "Its connector's latest load failed." : `The latest load of ${failing} of its ${attached} connectors failed.`}
        </div>
      ) : null}
    </div>
  );
}

/** The destinations the connector is attached to whose latest load of it failed. */
export function failedLoadsOf(connectorId: number, destinations: Destination[]): { destination: Destination; load: DestinationLastLoad }[] {
  return destinations.flatMap((destination) =>
    destination.attachments
      .filter((attachment) => attachment.connector === connectorId && attachment.last_load?.status === "FAILED")
      .map((attachment) => ({ destination, load: attachment.last_load! })),
  );
}

/** The tenant's destinations, read once for a connector's page (its failed loads and where it is
 * loaded); null while they load or cannot be read: the page's own data does not depend on them. */
export function useDestinations(connectorId: number, refreshKey?: unknown): Destination[] | null {
  const destinations = useLoad(() => listDestinations({ page_size: 100 }), [connectorId, refreshKey]);
  return destinations.data?.results ?? null;
}

/** On a connector's page: a warning for each destination whose latest load of the connector
 * failed (the sync itself may have succeeded). Says nothing while the destinations cannot be read. */
export function FailedLoadsNotice({ connectorId, destinations }: { connectorId: number; destinations: Destination[] | null }) {
  const failed = failedLoadsOf(connectorId, destinations ?? []);
  if (failed.length === 0) return null;
  return (
    <div className="banner banner-warning" data-testid="failed-loads">
      <p>
        {failed.length === 1 ? "The latest load of this connector into a destination failed:" : `The latest load of this connector into ${failed.length} destinations failed:`}
      </p>
      <ul>
        {failed.map(({ destination, load }) => (
          <li key={destination.id}>
            <Link to={`/destinations/${destination.id}`}>{destination.name}</Link>, load #{load.id} at {formatDateTime(loadTime(load))}
            {load.error_message ? `: ${load.error_message}` : ""}
          </li>
        ))}
      </ul>
      <p className="small">The records are stored here; the destination has not received the latest changes. Open it to see the load's log and load again.</p>
    </div>
  );
}

/** A connector's Details item "Loaded into": each destination it is attached to, its table and
 * its latest load of it, or that none loads it (where to attach one). Nothing while the
 * destinations cannot be read. */
export function LoadedInto({ connectorId, destinations }: { connectorId: number; destinations: Destination[] | null }) {
  if (destinations === null) return null;
  const into = destinations.flatMap((destination) =>
    destination.attachments.filter((attachment) => attachment.connector === connectorId).map((attachment) => ({ destination, attachment })),
  );
  return (
    <div data-testid="loaded-into">
      <dt>Loaded into</dt>
      <dd>
        {into.length === 0 ? (
          <>
            No destination: <Link to="/destinations">attach it to one</Link> to load its records into PostgreSQL.
          </>
        ) : (
          <ul className="loaded-into-list">
            {into.map(({ destination, attachment }) => (
              <li key={attachment.id}>
                <Link to={`/destinations/${destination.id}`}>{destination.name}</Link>, table{" "}
                <span className="mono">
                  {destination.target_schema}.{attachment.table_name}
                </span>
                :{" "}
                {attachment.last_load ? (
                  <>
                    <LoadStatusBadge load={attachment.last_load} /> <span className="small">{formatDateTime(loadTime(attachment.last_load))}</span>
                  </>
                ) : (
                  "not loaded yet"
                )}
              </li>
            ))}
          </ul>
        )}
      </dd>
    </div>
  );
}
