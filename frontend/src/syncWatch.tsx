// Syncs started in this tab are watched wherever the user goes: when one ends, a notice says so
// (and the live region announces it), also on another page than the one that started it.

import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";

import { getSyncLog } from "./api/api";
import { ApiError } from "./api/client";
import { isActiveStatus, type SyncLog } from "./api/types";
import { useAnnounce } from "./announce";
import { runCounts, runOutcome } from "./components/RunOutcome";

export const WATCH_INTERVAL_MS = 2000;

interface SyncWatch {
  watch: (logId: number) => void;
  /** Whether this tab watches or watched the run (its end is announced here, not elsewhere). */
  isWatched: (logId: number) => boolean;
  /**
   * A view that follows the run and announces its end itself (a row, the connector's progress card,
   * the run's page) claims it while it is shown: the watcher then shows its notice but says nothing,
   * so a screen reader hears the end once. Returns the release.
   */
  claim: (logId: number) => () => void;
  /** The run's end was announced by the view that followed it: the watcher never says it again. */
  reported: (logId: number) => void;
}

const SyncWatchContext = createContext<SyncWatch>({
  watch: () => {},
  isWatched: () => false,
  claim: () => () => {},
  reported: () => {},
});

export function useSyncWatch(): SyncWatch {
  return useContext(SyncWatchContext);
}

export function SyncWatchProvider({ children }: { children: ReactNode }) {
  const [watched, setWatched] = useState<number[]>([]);
  const [ended, setEnded] = useState<SyncLog[]>([]);
  const announce = useAnnounce();
  const watchedRef = useRef(watched);
  watchedRef.current = watched;

  const everWatched = useRef(new Set<number>());

  const watch = useCallback((logId: number) => {
    everWatched.current.add(logId);
    setWatched((current) => (current.includes(logId) ? current : [...current, logId]));
  }, []);
  const isWatched = useCallback((logId: number) => everWatched.current.has(logId), []);
  const claims = useRef(new Map<number, number>());
  const reportedIds = useRef(new Set<number>());
  const claim = useCallback((logId: number) => {
    claims.current.set(logId, (claims.current.get(logId) ?? 0) + 1);
    return () => {
      const left = (claims.current.get(logId) ?? 1) - 1;
      if (left > 0) claims.current.set(logId, left);
      else claims.current.delete(logId);
    };
  }, []);
  const reported = useCallback((logId: number) => void reportedIds.current.add(logId), []);

  useEffect(() => {
    if (watched.length === 0) return;
    let live = true;
    const timer = setInterval(() => {
      for (const logId of watchedRef.current) {
        getSyncLog(logId)
          .then((log) => {
            if (!live || isActiveStatus(log.status)) return;
            setWatched((current) => current.filter((id) => id !== logId));
            setEnded((current) => [...current.filter((item) => item.id !== log.id), log]);
            if (!claims.current.has(logId) && !reportedIds.current.has(logId)) {
              announce(`The ${log.connector_name} sync, run #${log.id}, ended: ${runOutcome(log)}.`);
            }
          })
          .catch((err: unknown) => {
            // a passing error: try again at the next tick; a deleted run (a 404) stops being watched
            if (live && err instanceof ApiError && err.status === 404) setWatched((current) => current.filter((id) => id !== logId));
          });
      }
    }, WATCH_INTERVAL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [watched.length, announce]);

  return (
    <SyncWatchContext.Provider value={{ watch, isWatched, claim, reported }}>
      {ended.length > 0 ? (
        <div className="notices" data-testid="sync-notices">
          {ended.map((log) => (
            <div key={log.id} className={`notice notice-${log.status.toLowerCase()}`}>
              <span>
                The {log.connector_name} sync, <Link to={`/sync-logs/${log.id}`}>run #{log.id}</Link>, ended:{" "}
                <strong>{runOutcome(log)}</strong> ({runCounts(log)})
              </span>
              <button
                type="button"
                className="btn btn-small"
                aria-label={`Dismiss the notice about run #${log.id}`}
                onClick={() => setEnded((current) => current.filter((item) => item.id !== log.id))}
              >
                Dismiss
              </button>
            </div>
          ))}
        </div>
      ) : null}
      {children}
    </SyncWatchContext.Provider>
  );
}
