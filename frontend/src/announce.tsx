// Announcements for screen readers through one polite live region, and the page title per route.

import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";

type Announce = (message: string) => void;

const AnnounceContext = createContext<Announce>(() => {});

/** The app's live region: `announce("Run #4 finished: SUCCESS")` is read out once. */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState("");
  const pending = useRef(new Set<ReturnType<typeof setTimeout>>());
  const announce = useCallback((text: string) => {
    // Clear first so the same sentence twice is announced twice.
    setMessage("");
    const timer = setTimeout(() => {
      pending.current.delete(timer);
      setMessage(text);
    }, 30);
    pending.current.add(timer);
  }, []);
  // No state update after the region is gone (the app unmounted within 30 ms, a test's teardown).
  useEffect(() => {
    const timers = pending.current;
    return () => timers.forEach(clearTimeout);
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="announcer">
        {message}
      </div>
    </AnnounceContext.Provider>
  );
}

export function useAnnounce(): Announce {
  return useContext(AnnounceContext);
}

/** Set the document title to "<title> · MigrateIQ" while the page is shown, and announce it. */
export function usePageTitle(title: string): void {
  const announce = useAnnounce();
  useEffect(() => {
    document.title = title ? `${title} · MigrateIQ` : "MigrateIQ";
    announce(title);
  }, [title, announce]);
}
