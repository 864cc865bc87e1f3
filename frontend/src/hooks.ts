import { useCallback, useEffect, useLayoutEffect, useRef, useState, type Dispatch, type RefObject, type SetStateAction } from "react";

import { getSyncLog } from "./api/api";
import { ApiError, errorMessage } from "./api/client";
import { isActiveStatus, type SyncLogDetail } from "./api/types";
import { useSyncWatch } from "./syncWatch";

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** The error itself (an ApiError: its status, its request id), null after a success. */
  failure: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when `deps` change (and on reload()); the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef
      .current()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setFailure(null);
      })
      .catch((err: unknown) => {
        if (!live) return;
        setError(errorMessage(err));
        setFailure(err);
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, failure, loading, reload };
}

export const POLL_INTERVAL_MS = 1000;

/**
 * Follow a sync log: fetch it, then again every second while it is pending or running.
 * `onFinished` is called once when it reaches a final status.
 */
export function useSyncLogPolling(
  logId: number | null,
  onFinished?: (log: SyncLogDetail) => void,
  onUpdate?: (log: SyncLogDetail) => void,
): { log: SyncLogDetail | null; error: string | null; missing: boolean; refresh: () => void } {
  const [log, setLog] = useState<SyncLogDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The run is not there (a 404: another tenant's, deleted, or never there).
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;
  const updateRef = useRef(onUpdate);
  updateRef.current = onUpdate;
  // A caller told of the end announces it: the tab-wide watcher (syncWatch) leaves it to the caller.
  const { claim, reported } = useSyncWatch();
  const reportsEnd = onFinished !== undefined;
  useEffect(() => (logId !== null && reportsEnd ? claim(logId) : undefined), [logId, reportsEnd, claim]);

  useEffect(() => {
    if (logId === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const poll = async () => {
      try {
        const current = await getSyncLog(logId);
        if (!live) return;
        setLog(current);
        setError(null);
        setMissing(false);
        updateRef.current?.(current);
        if (isActiveStatus(current.status)) {
          timer = setTimeout(poll, POLL_INTERVAL_MS);
        } else if (finishedRef.current) {
          reported(logId);
          finishedRef.current(current);
        }
      } catch (err) {
        if (!live) return;
        setError(errorMessage(err));
        setMissing(err instanceof ApiError && err.status === 404);
        // keep following a run through a passing error (a restart, a throttled call), not a 404
        const status = err instanceof ApiError ? err.status : 0;
        if (status === 0 || status === 429 || status >= 500) timer = setTimeout(poll, POLL_INTERVAL_MS * 3);
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [logId, tick, reported]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { log, error, missing, refresh };
}

/** How often a list that shows a running sync reads itself again: first after REFRESH_FIRST_MS,
 * then each wait 1.5 times the one before, up to REFRESH_MAX_MS, so a long run costs a request
 * every half minute, not every few seconds. */
export const REFRESH_FIRST_MS = 3000;
export const REFRESH_MAX_MS = 30_000;

/** Call `reload` while `active` holds: once after each answer (`loading` back to false), with
 * growing waits. Stops when `active` turns false; the waits start short again when it next holds. */
export function useRefreshWhile(active: boolean, loading: boolean, reload: () => void): void {
  const waitRef = useRef(REFRESH_FIRST_MS);
  useEffect(() => {
    if (!active) {
      waitRef.current = REFRESH_FIRST_MS;
      return;
    }
    if (loading) return;
    const wait = waitRef.current;
    const timer = setTimeout(() => {
      waitRef.current = Math.min(REFRESH_MAX_MS, Math.round(wait * 1.5));
      reload();
    }, wait);
    return () => clearTimeout(timer);
  }, [active, loading, reload]);
}

/** A filter form's draft of what the address holds (`read` from it; `key` changes when those values
 * do): typed into freely, and read again whenever the address changes under it (Back, Forward, a
 * link), so the form never shows filters the list was not read with. */
export function useAddressDraft<T>(read: () => T, key: string): [T, Dispatch<SetStateAction<T>>] {
  const [draft, setDraft] = useState(read);
  const [readFor, setReadFor] = useState(key);
  if (readFor !== key) {
    setReadFor(key);
    setDraft(read());
  }
  return [draft, setDraft];
}

/** A form that closes takes its buttons (and the focus) with it: the element of the returned ref
 * gets the focus when `open` turns false after the returned `closing()` was called (the button
 * that opened the form). */
export function useFocusAfterClose<T extends HTMLElement>(open: boolean): [RefObject<T | null>, () => void] {
  const ref = useRef<T>(null);
  const closed = useRef(false);
  useLayoutEffect(() => {
    if (!open && closed.current) ref.current?.focus();
    closed.current = false;
  }, [open]);
  const closing = useCallback(() => {
    closed.current = true;
  }, []);
  return [ref, closing];
}
