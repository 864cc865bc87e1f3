// Pages fetched when first visited (each its own script file in the build), so the first load —
// the sign-in page, the dashboard — downloads only what it shows.

import { lazy, Suspense, useEffect, type ComponentType, type ReactNode } from "react";

import { useAnnounce } from "./announce";
import { LoadingPage } from "./components/common";
import { ErrorBoundary } from "./components/ErrorBoundary";

/** A page's script could not be fetched: the network is down, or MigrateIQ was updated since this
 * tab loaded and the old build's files are gone. Reloading gets the current build. */
export class PageLoadError extends Error {
  constructor(cause: unknown) {
    super(`The page could not be loaded (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = "PageLoadError";
  }
}

export type LazyPage<C> = C & { preload: () => Promise<unknown> };

/** A page component loaded on first render by `load` (a dynamic import); `preload()` starts the
 * fetch ahead of time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any page, whatever its props
export function lazyPage<C extends ComponentType<any>>(load: () => Promise<C>): LazyPage<C> {
  let loading: Promise<{ default: C }> | null = null;
  const preload = () =>
    (loading ??= load().then(
      (component) => ({ default: component }),
      (error: unknown) => {
        throw new PageLoadError(error);
      },
    ));
  return Object.assign(lazy(preload), { preload }) as unknown as LazyPage<C>;
}

/** How long a page may take to arrive before "Loading…" is also said, not only shown: a quick
 * page is announced by its title alone. */
export const ANNOUNCE_LOADING_AFTER_MS = 500;

function PageLoading() {
  const announce = useAnnounce();
  useEffect(() => {
    const timer = setTimeout(() => announce("Loading the page…"), ANNOUNCE_LOADING_AFTER_MS);
    return () => clearTimeout(timer);
  }, [announce]);
  return <LoadingPage label="Loading the page…" />;
}

/** Where a page is shown: "Loading…" while its script arrives, a message and a reload if it fails. */
export function PageFrame({ children }: { children: ReactNode }) {
  return (
    <ErrorBoundary>
      <Suspense fallback={<PageLoading />}>{children}</Suspense>
    </ErrorBoundary>
  );
}
