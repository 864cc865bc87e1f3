import { useState } from "react";

import { listSyncErrors } from "../api/api";
import { errorMessage } from "../api/client";
import { stringifyJson } from "../api/exactJson";
import type { SyncRecordError } from "../api/types";
import { compactJson, formatCount, prettyJson } from "../format";
import { useLoad } from "../hooks";
import { Badge, ErrorBanner, Loading, TableWrap } from "./common";
import { downloadFile, toCsv } from "./download";

const PAGE_SIZE = 500;
/** Download at most this many quarantined records in one file (the API pages through the rest). */
export const DOWNLOAD_LIMIT = 10_000;

const TYPES = "int|float|str|bool|decimal|date|datetime";
const CONVERT = new RegExp(`^(Field '.*?': (?:cannot|refused to) convert ).+?( to (?:${TYPES})\\b)`);

/** The kind of a quarantine message: the same message without the record's own value, so that
 * "Field 'score': cannot convert 118.61 to int." and "… 179.45 to int." are one group. */
export function errorKind(message: string): string {
  return message.replace(CONVERT, "$1…$2").replace(/^(A record must be a JSON object, got ).+$/, "$1….");
}

/** Quarantined records grouped by the kind of their error, largest group first. */
export function groupByError(items: SyncRecordError[]): { error: string; items: SyncRecordError[]; messages: number }[] {
  const groups = new Map<string, SyncRecordError[]>();
  for (const item of items) {
    const kind = errorKind(item.error);
    groups.set(kind, [...(groups.get(kind) ?? []), item]);
  }
  return [...groups.entries()]
    .map(([error, grouped]) => ({ error, items: grouped, messages: new Set(grouped.map((item) => item.error)).size }))
    .sort((a, b) => b.items.length - a.items.length);
}

async function fetchAll(logId: number): Promise<SyncRecordError[]> {
  const all: SyncRecordError[] = [];
  for (let page = 1; all.length < DOWNLOAD_LIMIT; page += 1) {
    const batch = await listSyncErrors(logId, { page, page_size: PAGE_SIZE });
    all.push(...batch.results);
    if (!batch.next) break;
  }
  return all.slice(0, DOWNLOAD_LIMIT);
}

/** A run's quarantined records grouped by the kind of error (largest group first; the value that
 * failed is in each row), downloadable as JSON or
 * CSV. Loaded only when the run has quarantined records, and again when their number changes. */
export function Quarantine({ logId, failed }: { logId: number; failed: number }) {
  const errors = useLoad(() => (failed > 0 ? listSyncErrors(logId, { page: 1, page_size: PAGE_SIZE }) : Promise.resolve(null)), [logId, failed]);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);

  async function download(kind: "json" | "csv") {
    setDownloading(true);
    setDownloadError(null);
    try {
      const all = await fetchAll(logId);
      if (kind === "json") downloadFile(`sync-${logId}-quarantine.json`, stringifyJson(all, 2) ?? "[]", "application/json");
      else
        downloadFile(
          `sync-${logId}-quarantine.csv`,
          toCsv(all as unknown as Record<string, unknown>[], ["external_id", "error", "page", "raw_payload", "created_at"]),
          "text/csv",
        );
    } catch (error) {
      setDownloadError(errorMessage(error));
    } finally {
      setDownloading(false);
    }
  }

  if (failed === 0) return <p className="muted">No quarantined records.</p>;
  const items = errors.data?.results ?? [];
  return (
    <>
      <div className="table-tools">
        <span>
          {formatCount(failed, "record")} quarantined
          {errors.data && errors.data.count > items.length ? ` (grouping the first ${items.length})` : ""}
        </span>
        <button type="button" className="btn btn-small" disabled={downloading} onClick={() => void download("json")}>
          Download JSON
        </button>
        <button type="button" className="btn btn-small" disabled={downloading} onClick={() => void download("csv")}>
          Download CSV
        </button>
      </div>
      <ErrorBanner message={errors.error ?? downloadError} />
      {errors.loading && !errors.data ? <Loading /> : null}
      {groupByError(items).map((group) => (
        <details key={group.error} className="error-group">
          <summary>
            <span className="error-text">{group.error}</span> <Badge>{String(group.items.length)}</Badge>
          </summary>
          <TableWrap>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">External id</th>
                  {group.messages > 1 ? <th scope="col">Error</th> : null}
                  <th scope="col" className="num">
                    Page
                  </th>
                  <th scope="col">Payload</th>
                </tr>
              </thead>
              <tbody>
                {group.items.map((item) => (
                  <tr key={item.id}>
                    <td className="mono">{item.external_id || "—"}</td>
                    {group.messages > 1 ? <td className="small">{item.error}</td> : null}
                    <td className="num">{item.page ?? "—"}</td>
                    <td className="json-cell">
                      <details>
                        <summary className="mono small">{compactJson(item.raw_payload, 100)}</summary>
                        <pre className="json-block" tabIndex={0}>{prettyJson(item.raw_payload)}</pre>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </details>
      ))}
    </>
  );
}
