import { useEffect, useRef, useState } from "react";

import type { SyncLogEvent } from "../api/types";
import { formatCount, formatTimeMs } from "../format";

const LEVELS = ["all", "info", "warning", "error"] as const;
type LevelFilter = (typeof LEVELS)[number];

/** A run's log lines with millisecond times, a level filter, opened at the newest line (a finished
 * run's summary is its last line) and, while `follow`, kept there as lines arrive — unless the user
 * scrolled up to read. */
export function EventLog({ events, follow, label = "Log" }: { events: SyncLogEvent[]; follow: boolean; label?: string }) {
  const [level, setLevel] = useState<LevelFilter>("all");
  const listRef = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const opened = useRef(false);
  const shown = level === "all" ? events : events.filter((event) => event.level === level);

  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    if ((follow && pinned.current) || !opened.current) list.scrollTop = list.scrollHeight;
    opened.current = true;
  }, [follow, shown.length]);

  return (
    <div className="event-log">
      <div className="table-tools">
        <label className="inline-field">
          Level{" "}
          <select value={level} onChange={(e) => setLevel(e.target.value as LevelFilter)} aria-label={`${label}: level`}>
            {LEVELS.map((value) => (
              <option key={value} value={value}>
                {value === "all" ? "all levels" : value}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          {shown.length} of {formatCount(events.length, "line")}
        </span>
      </div>
      {shown.length === 0 ? (
        <p className="muted">{events.length === 0 ? "No log lines yet." : "No line at this level."}</p>
      ) : (
        <ol
          className="events scroll-box"
          ref={listRef}
          tabIndex={0}
          aria-label={label}
          onScroll={(e) => {
            const box = e.currentTarget;
            pinned.current = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
          }}
        >
          {shown.map((event) => (
            <li key={event.id} className={`event event-${event.level}`}>
              <time className="mono small" dateTime={event.at}>
                {formatTimeMs(event.at)}
              </time>
              <span className={`level level-${event.level}`}>{event.level}</span>
              <span className="event-message">{event.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
