// Small hand-written SVG charts (no chart library: nothing to download, nothing to keep up to
// date). Each chart is an <svg role="img"> with a text summary, bars with a <title> each, and the
// same numbers as a table one click away, so nothing is only visible as colour or shape.

import { useLayoutEffect, useRef, useState, type RefObject } from "react";

import type { SyncStatus } from "../api/types";
import { SYNC_STATUSES } from "../api/types";
import { formatCount } from "../format";

/** Status colours, each at least 3:1 against white (non-text contrast). */
export const STATUS_COLOURS: Record<SyncStatus, string> = {
  SUCCESS: "#16794a",
  PARTIAL: "#a15c00",
  FAILED: "#c4321c",
  CANCELLED: "#5f6b7d",
  RUNNING: "#2f5bea",
  PENDING: "#7a4fd6",
};

export interface BarSegment {
  key: string;
  value: number;
  colour: string;
}

export interface Bar {
  label: string;
  segments: BarSegment[];
}

const WIDTH = 640;
const MIN_WIDTH = 200;
const HEIGHT = 180;
const PAD_LEFT = 44;
const PAD_BOTTOM = 22;
const PAD_TOP = 8;
/** Room for one label under the bars ("27 Nov", "#120" at 11 px), so that labels never overlap. */
const LABEL_ROOM = 56;
/** The height of a bar of 0: seen, and plainly not a value. */
const ZERO_MARK = 3;

/**
 * The width the chart is laid out at, in CSS pixels, followed as it changes: the SVG is drawn at
 * that width, so its 11 px labels stay 11 px on a phone (a 640-unit drawing shrunk into 300 px
 * made them 5 px). WIDTH until measured, and where nothing is laid out.
 */
function useLaidOutWidth(): [number, RefObject<HTMLElement | null>] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(WIDTH);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const laidOut = Math.round(element.clientWidth);
      if (laidOut > 0) setWidth(Math.max(MIN_WIDTH, laidOut));
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [width, ref];
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

/** The top of the axis and its ticks. A count (`integer`) gets whole-number ticks only, 0 and 1
 * at least: never "0.5 records". Up to 5 the axis ends at the count and marks every whole number
 * (3 syncs: 0, 1, 2, 3, not 0 and 5); an axis whose half is not whole (25) marks fifths. */
function axisOf(highest: number, integer: boolean): { max: number; ticks: number[] } {
  if (!integer) {
    const max = niceMax(highest);
    return { max, ticks: [0, max / 2, max] };
  }
  const max = highest <= 5 ? Math.max(1, Math.ceil(highest)) : niceMax(highest);
  if (max > 5 && Number.isInteger(max / 2)) return { max, ticks: [0, max / 2, max] };
  const parts = max <= 5 ? max : 5;
  return { max, ticks: Array.from({ length: parts + 1 }, (_, index) => (max / parts) * index) };
}

/**
 * A tick of the axis: exact up to 9,999 ("1,250", never "1.3k"), then in thousands or millions
 * with up to two decimals ("12.5k", "1.25M"), which the 44 px beside the axis holds. Below 1,
 * significant digits: 0.0125 s is not "0.01".
 */
function formatAxis(value: number): string {
  if (value >= 1_000_000) return `${+(value / 1_000_000).toFixed(2)}M`;
  if (value >= 10_000) return `${+(value / 1000).toFixed(2)}k`;
  return formatValue(value);
}

/** A value as the summary, a bar's title and the table say it: exact, with thousands separators;
 * a fraction to three significant digits below 1 and two decimals above. */
function formatValue(value: number): string {
  if (value > 0 && value < 1) return `${+value.toPrecision(3)}`;
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/**
 * Stacked bars, one per label (a day, a sync). `unit` names the value ("syncs", "records", "s");
 * `integer` says it is a count, whose axis shows whole numbers only; `markZero` draws a bar of 0
 * as a mark in its colour (a run that stored nothing). Empty data, or bars that are all 0
 * without `markZero`, shows a sentence, not an empty frame.
 */
export function BarChart({
  title,
  bars,
  unit,
  integer = false,
  legend,
  testId,
  markZero = false,
}: {
  title: string;
  bars: Bar[];
  unit: string;
  integer?: boolean;
  legend?: { key: string; colour: string }[];
  testId?: string;
  /** Each bar is an event (a run), so one of 0 is drawn as a mark, not left out. */
  markZero?: boolean;
}) {
  const [width, figureRef] = useLaidOutWidth();
  const totals = bars.map((bar) => bar.segments.reduce((sum, segment) => sum + segment.value, 0));
  const grand = totals.reduce((sum, value) => sum + value, 0);
  const { max, ticks } = axisOf(Math.max(0, ...totals), integer);
  const plotWidth = width - PAD_LEFT;
  const plotHeight = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const slot = bars.length ? plotWidth / bars.length : plotWidth;
  const barWidth = Math.max(1, Math.min(28, slot * 0.7));
  const labelEvery = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(plotWidth / LABEL_ROOM))));
  const summary = `${title}: ${formatCount(bars.length, "bar")}, ${formatValue(grand)} ${unit} in all, at most ${formatValue(Math.max(0, ...totals))} in one.`;
  // Only the series the bars hold: a legend of six statuses under a chart of successes alone reads
  // as if the others were there, too small to see. Each keeps its colour.
  const shown = legend?.filter((item) => bars.some((bar) => bar.segments.some((segment) => segment.key === item.key && segment.value > 0)));
  const columns = shown && shown.length ? shown : undefined;

  return (
    <figure className="chart" data-testid={testId} ref={figureRef}>
      <figcaption className="chart-title">{title}</figcaption>
      {bars.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : grand === 0 && !markZero ? (
        // 30 days of nothing: an empty frame with an axis of 0 and 1 reads as a chart that failed
        <p className="muted">No {unit} in this period.</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={summary} className="chart-svg">
            {ticks.map((tick) => {
              const y = PAD_TOP + plotHeight * (1 - tick / max);
              return (
                <g key={tick} aria-hidden="true">
                  <line x1={PAD_LEFT} x2={width} y1={y} y2={y} className="chart-grid" />
                  <text x={PAD_LEFT - 6} y={y + 4} textAnchor="end" className="chart-axis">
                    {formatAxis(tick)}
                  </text>
                </g>
              );
            })}
            {bars.map((bar, index) => {
              const x = PAD_LEFT + slot * index + (slot - barWidth) / 2;
              let y = PAD_TOP + plotHeight;
              return (
                <g key={`${bar.label}-${index}`} data-testid="chart-bar">
                  <title>
                    {bar.label}: {bar.segments.map((segment) => `${segment.key} ${formatValue(segment.value)}`).join(", ")}
                  </title>
                  {/* With `markZero` (a bar is a run), a bar of 0 keeps a sliver in its colour on
                      the baseline: an empty slot would read as no run at all. */}
                  {markZero && totals[index] === 0 && bar.segments[0] ? (
                    <rect x={x} y={y - ZERO_MARK} width={barWidth} height={ZERO_MARK} fill={bar.segments[0].colour} data-testid="chart-zero-mark" />
                  ) : null}
                  {bar.segments
                    .filter((segment) => segment.value > 0)
                    .map((segment) => {
                      const height = (segment.value / max) * plotHeight;
                      y -= height;
                      return <rect key={segment.key} x={x} y={y} width={barWidth} height={Math.max(height, 1)} fill={segment.colour} />;
                    })}
                  {index % labelEvery === 0 ? (
                    <text x={x + barWidth / 2} y={HEIGHT - 6} textAnchor="middle" className="chart-axis" aria-hidden="true">
                      {bar.label}
                    </text>
                  ) : null}
                </g>
              );
            })}
          </svg>
          {columns ? (
            <ul className="chart-legend" aria-label="Legend">
              {columns.map((item) => (
                <li key={item.key}>
                  <span className="legend-swatch" style={{ background: item.colour }} aria-hidden="true" />
                  {item.key}
                </li>
              ))}
            </ul>
          ) : null}
          <details className="chart-table">
            <summary>Show as a table</summary>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  {(columns ?? [{ key: unit, colour: "" }]).map((item) => (
                    <th scope="col" key={item.key} className="num">
                      {item.key}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {bars.map((bar, index) => (
                  <tr key={`${bar.label}-${index}`}>
                    <th scope="row">{bar.label}</th>
                    {(columns ?? [{ key: bar.segments[0]?.key ?? unit, colour: "" }]).map((item) => (
                      <td key={item.key} className="num">
                        {formatValue(bar.segments.find((segment) => segment.key === item.key)?.value ?? 0)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </figure>
  );
}

/** The legend of the statuses given (each once, in SYNC_STATUSES' order, in its own colour): a
 * status no run has is not listed. */
export function statusLegend(present: Iterable<SyncStatus>): { key: SyncStatus; colour: string }[] {
  const found = new Set(present);
  return SYNC_STATUSES.filter((status) => found.has(status)).map((status) => ({ key: status, colour: STATUS_COLOURS[status] }));
}

/** Every status, for a chart that leaves out those its bars do not hold (BarChart does). */
export const STATUS_LEGEND = statusLegend(SYNC_STATUSES);

/** The latest runs as dots, newest first, each with its status as text for assistive technology. */
export function StatusDots({ statuses }: { statuses: SyncStatus[] | null | undefined }) {
  if (!statuses || statuses.length === 0) return <span className="muted small">no runs</span>;
  return (
    <span className="status-dots" role="img" aria-label={`Latest runs, newest first: ${statuses.join(", ")}`}>
      {statuses.map((status, index) => (
        <span
          key={index}
          className="status-dot"
          style={{ background: STATUS_COLOURS[status] }}
          title={status}
          aria-hidden="true"
        />
      ))}
    </span>
  );
}
