import { Fragment, useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from "react";

import type { SyncStatus } from "../api/types";
import { formatCount, formatDateTime } from "../format";
import { RetriesMarker, STATUS_MEANINGS, WarningsMarker } from "./RunOutcome";

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

/** A connection string ("user@host:port/database") that wraps only after an @, a : or a / (a
 * line break opportunity, <wbr>, after each), never inside the port or the host; a part wider than
 * the line still breaks where it must (the cell's overflow-wrap). */
export function ConnectionText({ text }: { text: string }) {
  const parts = text.split(/(?<=[@:/])/);
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </>
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

/**
 * A whole page while its data (or its script) arrives: a level-one heading, as every page has (the
 * page's name, or, without one, the loading line for screen readers), then the loading line. The
 * heading is marked `data-loading`: the focus moved to a new page's heading (App.tsx) waits for the
 * page's own one, so it is not left on a heading that is about to go.
 */
export function LoadingPage({ title, label = "Loading…" }: { title?: string; label?: string }) {
  return (
    <div className="page">
      <h1 data-loading="" className={title ? undefined : "visually-hidden"}>
        {title ?? label}
      </h1>
      <Loading label={label} />
    </div>
  );
}

/** A status badge, the same for every kind of status in the UI (sync runs, loads, webhook
 * deliveries): the API's value in capitals, coloured by it, with what it means as its title; the
 * value the API sends (and filters take) is not changed, only shown. */
export function StateBadge({ status, title }: { status: string; title?: string }) {
  return (
    <Badge tone={status.toLowerCase()} title={title}>
      {status}
    </Badge>
  );
}

/** Every state badge of the UI: its words in capitals, as the status badges say SUCCESS (so a
 * connector's PAUSED reads like its last sync's FAILED beside it), coloured by `tone` (`badge-<tone>`
 * in styles.css: success, partial, failed, running, pending, cancelled, none). The markers beside a
 * run's status ("2 warnings", RunOutcome.tsx) are counts in a sentence, not states. */
export function Badge({ tone = "none", title, className, children }: { tone?: string; title?: string; className?: string; children: string }) {
  return (
    <span className={`badge badge-${tone}${className ? ` ${className}` : ""}`} title={title}>
      {children.toUpperCase()}
    </span>
  );
}

/** A status value as the badges say it, for a filter's choices: "PENDING" for `pending`. */
export function statusLabel(status: string): string {
  return status.toUpperCase();
}

/** A run's status; with `warnings`, the count of its warnings beside it ("SUCCESS · 2 warnings"),
 * with `retries` the count of its retried requests ("FAILED · 4 requests retried"). */
export function StatusBadge({
  status,
  warnings,
  retries,
}: {
  status: SyncStatus | "" | null | undefined;
  warnings?: number;
  retries?: number;
}) {
  if (!status) return <Badge>never synced</Badge>;
  const badge = <StateBadge status={status} title={STATUS_MEANINGS[status]} />;
  if (!warnings && !retries) return badge;
  return (
    <span className="status-with-warnings">
      {badge}
      {warnings ? (
        <>
          {" · "}
          <WarningsMarker count={warnings} />
        </>
      ) : null}
      {retries ? (
        <>
          {" · "}
          <RetriesMarker count={retries} />
        </>
      ) : null}
    </span>
  );
}

/** A table's date and time cell, the same in every table: small, on one line ("04 Dec 2026, 18:00:00
 * UTC", never broken over lines in a crowded table), the instant in a <time>; `label` names the
 * column on a phone's stacked card. */
export function DateTimeCell({ value, label }: { value: string | null | undefined; label?: string }) {
  return (
    <td className="small nowrap" data-label={label}>
      {value ? <time dateTime={value}>{formatDateTime(value)}</time> : "—"}
    </td>
  );
}

/** Whether something runs or waits: ACTIVE, else what its button calls the other state (a connector
 * is PAUSED by Pause, a webhook endpoint DISABLED by Disable). */
export function ActiveBadge({ active, inactive }: { active: boolean; inactive: "paused" | "disabled" }) {
  return <Badge tone={active ? "success" : "none"}>{active ? "active" : inactive}</Badge>;
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

interface Overflow {
  /** The table is wider than its box: it scrolls sideways. */
  overflows: boolean;
  /** Columns are hidden past the left edge / the right edge. */
  before: boolean;
  after: boolean;
  /** The table's own name (aria-label), for the scrolling region's. */
  tableName: string | null;
}

const NO_OVERFLOW: Overflow = { overflows: false, before: false, after: false, tableName: null };

function measure(box: HTMLElement): Overflow {
  const hidden = box.scrollWidth - box.clientWidth;
  const overflows = hidden > 1;
  return {
    overflows,
    before: overflows && box.scrollLeft > 1,
    after: overflows && box.scrollLeft < hidden - 1,
    tableName: box.querySelector("table")?.getAttribute("aria-label") ?? null,
  };
}

function same(a: Overflow, b: Overflow): boolean {
  return a.overflows === b.overflows && a.before === b.before && a.after === b.after && a.tableName === b.tableName;
}

/** Whether the box scrolls sideways and which of its edges hide columns, kept up to date as the
 * window, the table or the scroll position change. */
export function useSidewaysOverflow(ref: RefObject<HTMLElement | null>): Overflow {
  const [state, setState] = useState<Overflow>(NO_OVERFLOW);
  const update = useCallback(() => {
    const box = ref.current;
    if (!box) return;
    const next = measure(box);
    setState((current) => (same(current, next) ? current : next));
  }, [ref]);
  // every render may have changed the rows or columns
  useLayoutEffect(update);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    box.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(update);
    observer?.observe(box);
    if (box.firstElementChild) observer?.observe(box.firstElementChild);
    return () => {
      box.removeEventListener("scroll", update);
      window.removeEventListener("resize", update);
      observer?.disconnect();
    };
  }, [ref, update]);
  return state;
}

/**
 * A table that scrolls sideways when it is wider than the page instead of squeezing its columns.
 * While it does, it says so: a line above it ("Scroll sideways for more columns"), a shade on each
 * edge that hides columns, and the scrolling box becomes a named region that takes the focus, so
 * the keyboard scrolls it too (the arrow keys). `label` names that region and keeps it focusable
 * whatever the width (for tables wider than the page as a rule, such as records); without one the
 * region is named after the table.
 */
export function TableWrap({ children, label }: { children: ReactNode; label?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const { overflows, before, after, tableName } = useSidewaysOverflow(ref);
  const region = label !== undefined || overflows;
  const name = label ?? `${tableName ?? "Table"}, scrolling sideways`;
  const classes = ["table-frame", before ? "more-before" : "", after ? "more-after" : ""].filter(Boolean).join(" ");
  return (
    <div className="table-scroll">
      {overflows ? (
        <p className="scroll-cue small" aria-hidden="true" data-testid="scroll-cue">
          {after ? "More columns to the right: scroll sideways →" : "← More columns to the left: scroll back"}
        </p>
      ) : null}
      <div className={classes}>
        <div ref={ref} className="table-wrap" role={region ? "region" : undefined} aria-label={region ? name : undefined} tabIndex={region ? 0 : undefined}>
          {children}
        </div>
      </div>
    </div>
  );
}
