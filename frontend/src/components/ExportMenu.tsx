import { useState } from "react";

import { exportRecords } from "../api/api";
import { errorMessage } from "../api/client";
import { useAnnounce } from "../announce";
import { formatNumber } from "../format";
import { ErrorBanner } from "./common";
import { saveBlob } from "./download";

type Format = "ndjson" | "csv";

/**
 * "Download NDJSON / CSV" of a connector's records through the streamed export endpoint. The file
 * is fetched with the bearer token in the Authorization header (the app has no cookie session, and
 * a token in a link would end up in history and server logs), then saved from an object URL.
 * `fields`: the columns the user chose in the records table (none = every field). The export has
 * no search: with `searchActive` (the table shows the records a search found) it says it downloads
 * every record all the same, rather than let a filtered table suggest a filtered file.
 */
export function ExportMenu({ connectorId, fields, searchActive = false }: { connectorId: number; fields?: string[]; searchActive?: boolean }) {
  const announce = useAnnounce();
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [running, setRunning] = useState<Format | null>(null);
  const [bytes, setBytes] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function download(format: Format) {
    setRunning(format);
    setBytes(0);
    setError(null);
    setDone(null);
    try {
      const file = await exportRecords(connectorId, { format, fields, includeDeleted }, setBytes);
      const name = file.fileName ?? `connector-${connectorId}.${format}`;
      saveBlob(name, file.blob);
      const message = `Downloaded ${name} (${formatNumber(file.blob.size)} bytes).`;
      setDone(message);
      announce(message);
    } catch (err) {
      const message = `Download failed: ${errorMessage(err)}`;
      setError(message);
      announce(message);
    } finally {
      setRunning(null);
    }
  }

  return (
    <div className="export-menu" role="group" aria-label="Download records">
      <button type="button" className="btn btn-small" disabled={running !== null} onClick={() => void download("ndjson")}>
        Download NDJSON
      </button>
      <button type="button" className="btn btn-small" disabled={running !== null} onClick={() => void download("csv")}>
        Download CSV
      </button>
      <label className="checkbox">
        <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} />
        Include deleted records
      </label>
      <span className="muted small" data-testid="download-scope">
        {`Every record${searchActive ? " (the search does not apply)" : ""}, ${fields && fields.length > 0 ? `${fields.length} chosen columns` : "all fields"}`}
      </span>
      {running ? (
        <span className="small" role="status" data-testid="download-progress">
          Downloading {running.toUpperCase()}… {formatNumber(bytes)} bytes
        </span>
      ) : null}
      {done ? (
        <span className="small" data-testid="download-done">
          {done}
        </span>
      ) : null}
      <ErrorBanner message={error} />
    </div>
  );
}
