import type { ReactNode } from "react";

import type { SyncStatus } from "../api/types";
import { formatCount } from "../format";
import { STATUS_MEANINGS, WarningsMarker } from "./RunOutcome";

export function ErrorBanner({ message, children }: { message: string | null | undefined; children?: ReactNode }) {
  if (!message) return null;
  return (
    <div className="banner banner-error" role="alert">
      {message}
      {children}
    </div>
  );
}

/** A form's save error: the summary, and the server's messages about what the form has no field
 * for, as a list inside the banner. */
export function SaveErrorBanner({ summary, other }: { summary: string | null | undefined; other: readonly string[] }) {
  return (
    <ErrorBanner message={summary}>
      {other.length > 0 ? (
        <ul>
          {other.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
    </ErrorBanner>
  );
}

/** What the server noticed when it saved something without refusing it (the answer's `warnings`:
 * a host name it could not resolve), shown until the next save or until the page is left. */
export function SaveWarningsBanner({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <div className="banner banner-warning" role="status" data-testid="save-warnings">
      <strong>Saved, with a warning:</strong>
      <ul>
        {warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** A run's status; with `warnings`, the count of its warnings beside it ("SUCCESS · 2 warnings"). */
export function StatusBadge({ status, warnings }: { status: SyncStatus | "" | null | undefined; warnings?: number }) {
  if (!status) return <span className="badge badge-none">never synced</span>;
  const badge = (
    <span className={`badge badge-${status.toLowerCase()}`} title={STATUS_MEANINGS[status]}>
      {status}
    </span>
  );
  if (!warnings) return badge;
  return (
    <span className="status-with-warnings">
      {badge} · <WarningsMarker count={warnings} />
    </span>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  return <span className={`badge ${active ? "badge-success" : "badge-none"}`}>{active ? "active" : "inactive"}</span>;
}

export function Pager({
  page,
  pageSize,
  count,
  onPage,
  label,
  plural = `${label}s`,
}: {
  page: number;
  pageSize: number;
  count: number;
  onPage: (page: number) => void;
  label: string;
  /** When not the label and an s ("deliveries"). */
  plural?: string;
}) {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  if (count <= pageSize && page === 1) {
    return <div className="pager muted">{formatCount(count, label, plural)}</div>;
  }
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="btn btn-small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ← Previous
      </button>
      <span>
        Page {page} of {pages} · {formatCount(count, label, plural)}
      </span>
      <button type="button" className="btn btn-small" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next →
      </button>
    </nav>
  );
}

/** A table that scrolls sideways on a narrow window instead of squeezing its columns. With a
 * `label`, the scrolling box is a named region that takes the focus, so the keyboard can scroll
 * it too (for tables wider than the page as a rule, such as records). */
export function TableWrap({ children, label }: { children: ReactNode; label?: string }) {
  if (!label) return <div className="table-wrap">{children}</div>;
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
