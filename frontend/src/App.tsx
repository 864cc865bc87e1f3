import { useEffect, useRef, useState } from "react";
import { createBrowserRouter, Link, Navigate, NavLink, Outlet, Route, RouterProvider, Routes, useLocation, useNavigationType } from "react-router-dom";

import { AnnouncerProvider, usePageTitle } from "./announce";
import { ApiError, errorMessage } from "./api/client";
import type { Me } from "./api/types";
import { AuthProvider, useAuth } from "./auth";
import { BackgroundStatusBanner } from "./components/BackgroundStatus";
import { LoadingPage } from "./components/common";
import { AcceptInvitationPage } from "./pages/AcceptInvitationPage";
import { DashboardPage } from "./pages/DashboardPage";
import { LoginPage } from "./pages/LoginPage";
import { ThemePicker } from "./theme";
import { NotFoundPage } from "./pages/NotFoundPage";
import { lazyPage, PageFrame } from "./lazyPage";
import { SyncWatchProvider } from "./syncWatch";

// The sign-in and invitation pages and the dashboard come with the app; every other page is its
// own script, fetched when first visited.
const AuditPage = lazyPage(() => import("./pages/AuditPage").then((m) => m.AuditPage));
const ConnectorDetailPage = lazyPage(() => import("./pages/ConnectorDetailPage").then((m) => m.ConnectorDetailPage));
const ConnectorsPage = lazyPage(() => import("./pages/ConnectorsPage").then((m) => m.ConnectorsPage));
const DestinationDetailPage = lazyPage(() => import("./pages/DestinationDetailPage").then((m) => m.DestinationDetailPage));
const DestinationsPage = lazyPage(() => import("./pages/DestinationsPage").then((m) => m.DestinationsPage));
const MembersPage = lazyPage(() => import("./pages/MembersPage").then((m) => m.MembersPage));
const NewConnectorPage = lazyPage(() => import("./pages/NewConnectorPage").then((m) => m.NewConnectorPage));
const SyncLogPage = lazyPage(() => import("./pages/SyncLogPage").then((m) => m.SyncLogPage));
const SyncsPage = lazyPage(() => import("./pages/SyncsPage").then((m) => m.SyncsPage));
const WebhooksPage = lazyPage(() => import("./pages/WebhooksPage").then((m) => m.WebhooksPage));

/** Every page fetched on demand: a test loads them before rendering. */
export const LAZY_PAGES = [
  AuditPage,
  ConnectorDetailPage,
  ConnectorsPage,
  DestinationDetailPage,
  DestinationsPage,
  MembersPage,
  NewConnectorPage,
  SyncLogPage,
  SyncsPage,
  WebhooksPage,
];

/** Whether the server has the module installed (its pages exist only then). */
function hasModule(me: Me | null, module: string): boolean {
  return me?.modules?.includes(module) ?? false;
}

/** The session could not be checked because the server did not answer (or failed): the tab keeps
 * its session, and says so, instead of showing a sign-in form the user does not need. */
function ServerUnavailablePage({ failure, checking, onRetry, onSignOut }: { failure: unknown; checking: boolean; onRetry: () => void; onSignOut: () => void }) {
  usePageTitle("Cannot reach the server");
  const status = failure instanceof ApiError ? failure.status : 0;
  const requestId = failure instanceof ApiError ? failure.requestId : null;
  return (
    <main className="login-screen" id="main">
      <section className="card login-card" aria-labelledby="unreachable-heading" data-testid="server-unavailable">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">M</span> MigrateIQ
        </div>
        <h1 id="unreachable-heading">Cannot reach the MigrateIQ server</h1>
        <div role="alert">
          <p>
            {status === 0
              ? "The browser got no answer from the server: it may be restarting, or the connection dropped."
              : errorMessage(failure).includes(`HTTP ${status}`)
                ? errorMessage(failure)
                : `The server failed with HTTP ${status}: ${errorMessage(failure)}`}
          </p>
          {requestId ? (
            <p className="small">
              The server&apos;s log says why: look for request id <code>{requestId}</code>.
            </p>
          ) : null}
        </div>
        <p className="muted">You are still signed in: once the server answers, this tab goes on where it was.</p>
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={() => !checking && onRetry()} aria-busy={checking}>
            {checking ? "Trying again…" : "Try again"}
          </button>
          <button type="button" className="btn" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </section>
    </main>
  );
}

function RequireAuth() {
  const { me, checking, unreachable, retry, signOut } = useAuth();
  const location = useLocation();
  if (unreachable && retry) return <ServerUnavailablePage failure={unreachable} checking={checking} onRetry={retry} onSignOut={signOut} />;
  if (checking) return <LoadingPage label="Checking your session…" />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Layout />;
}

/** The account's email in the bar, in two parts: on a phone the name before the @ is what the bar
 * has room for ("admin", not "admin@d…"), the domain is left to screen readers and to the menu,
 * which shows the whole address (styles.css). */
function EmailParts({ email }: { email: string }) {
  const at = email.lastIndexOf("@");
  if (at <= 0) return <span className="who-email">{email}</span>;
  return (
    <span className="who-email">
      <span className="who-local">{email.slice(0, at)}</span>
      <span className="who-domain">{email.slice(at)}</span>
    </span>
  );
}

function ProfileMenu() {
  const { me, signOut } = useAuth();
  const menuRef = useRef<HTMLDetailsElement>(null);
  if (!me) return null;
  return (
    <details
      ref={menuRef}
      className="profile-menu"
      data-testid="who"
      onKeyDown={(event) => {
        // A <details> has no Escape of its own: close it as a menu does, back on its summary.
        const menu = menuRef.current;
        if (event.key !== "Escape" || !menu?.open) return;
        event.preventDefault();
        menu.open = false;
        menu.querySelector("summary")?.focus();
      }}
    >
      <summary title={me.user.email}>
        <EmailParts email={me.user.email} />
        <span className="visually-hidden">: account menu</span>
      </summary>
      <div className="profile-panel">
        <dl>
          <div>
            <dt>Signed in as</dt>
            {me.user.full_name ? <dd>{me.user.full_name}</dd> : null}
            <dd className="who-full-email">{me.user.email}</dd>
          </div>
          <div>
            <dt>Tenant</dt>
            <dd>
              {me.tenant.name} <span className="muted small">({me.tenant.slug})</span>
            </dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>
              <span className={`role role-${me.role}`}>{me.role}</span>
            </dd>
          </div>
        </dl>
        <ThemePicker idPrefix="profile-theme" />
        <button type="button" className="btn btn-small" onClick={signOut}>
          Sign out
        </button>
      </div>
    </details>
  );
}

function Layout() {
  const { me } = useAuth();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  // On a phone the links fold behind a Menu button (styles.css); a new page folds them again.
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  useEffect(() => setMenuOpen(false), [location.pathname]);
  // The entry the document opened on (a load, a reload), while it is shown: there the focus stays
  // at the page's start (the skip link first). The layout appearing after a navigation in the app
  // (signing in, accepting an invitation: the sign-in page has no layout) is a route change.
  const navigationType = useNavigationType();
  const openedOn = useRef<string | null>(navigationType === "POP" ? location.key : null);
  // After a route change, focus goes to the new page's heading (not to the body), so keyboard
  // and screen-reader users start reading the new page.
  useEffect(() => {
    if (openedOn.current !== null) {
      // (compared, not cleared on the first run: React's development double run comes here twice)
      if (openedOn.current === location.key) return;
      openedOn.current = null;
    }
    const main = mainRef.current;
    if (!main) return;
    const focusHeading = (): boolean => {
      // (not a loading page's heading: the page's own replaces it when its data arrives)
      const heading = main.querySelector<HTMLElement>("h1:not([data-loading])");
      if (!heading) return false;
      heading.tabIndex = -1;
      heading.focus();
      return true;
    };
    if (focusHeading()) return;
    // A page that loads its data first shows its heading a moment later.
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const stop = setTimeout(() => observer.disconnect(), 5000);
    return () => {
      observer.disconnect();
      clearTimeout(stop);
    };
  }, [location.pathname]);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            M
          </span>{" "}
          MigrateIQ
        </Link>
        <button
          type="button"
          ref={menuButtonRef}
          className="nav-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
          onKeyDown={(event) => {
            if (event.key === "Escape" && menuOpen) {
              event.preventDefault();
              setMenuOpen(false);
            }
          }}
        >
          <span className="nav-toggle-icon" aria-hidden="true" />
          Menu
        </button>
        <nav
          id="main-nav"
          className={`nav${menuOpen ? " nav-open" : ""}`}
          aria-label="Main"
          onClick={(event) => {
            if ((event.target as HTMLElement).closest("a")) setMenuOpen(false);
          }}
          onKeyDown={(event) => {
            // as a menu closes: Escape, the focus back on its button
            if (event.key !== "Escape" || !menuOpen) return;
            event.preventDefault();
            setMenuOpen(false);
            menuButtonRef.current?.focus();
          }}
        >
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/connectors">Connectors</NavLink>
          <NavLink to="/syncs">Syncs</NavLink>
          <NavLink to="/destinations">Destinations</NavLink>
          {me?.role === "admin" ? <NavLink to="/members">Members</NavLink> : null}
          {me?.role === "admin" && hasModule(me, "webhooks") ? <NavLink to="/webhooks">Webhooks</NavLink> : null}
          {me?.role === "admin" && hasModule(me, "audit") ? <NavLink to="/audit">Audit</NavLink> : null}
        </nav>
        <ProfileMenu />
      </header>
      <main className="main" id="main" ref={mainRef}>
        <BackgroundStatusBanner />
        <SyncWatchProvider>
          <PageFrame key={location.pathname}>
            <Outlet />
          </PageFrame>
        </SyncWatchProvider>
      </main>
    </div>
  );
}

export function AppRoutes() {
  const { me } = useAuth();
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/invitations/accept" element={<AcceptInvitationPage />} />
      <Route element={<RequireAuth />}>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/connectors" element={<ConnectorsPage />} />
        <Route path="/connectors/new" element={<NewConnectorPage />} />
        <Route path="/connectors/:id" element={<ConnectorDetailPage />} />
        {/* a link straight to the edit form (the server serves this address as a page too) */}
        <Route path="/connectors/:id/edit" element={<ConnectorDetailPage startEditing />} />
        <Route path="/syncs" element={<SyncsPage />} />
        <Route path="/members" element={<MembersPage />} />
        <Route path="/sync-logs/:id" element={<SyncLogPage />} />
        <Route path="/destinations" element={<DestinationsPage />} />
        <Route path="/destinations/:id" element={<DestinationDetailPage />} />
        {/* a module's page exists while the module is installed; otherwise: page not found */}
        {hasModule(me, "webhooks") ? <Route path="/webhooks" element={<WebhooksPage />} /> : null}
        {hasModule(me, "audit") ? <Route path="/audit" element={<AuditPage />} /> : null}
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

/** The providers and the routes: what every router (the browser's, a test's) renders. */
export function AppShell() {
  return (
    <AnnouncerProvider>
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </AnnouncerProvider>
  );
}

/** A data router (not <BrowserRouter>): it is what lets a page block a navigation, the browser's
 * Back button included, while a form has unsaved edits (useBlocker, see unsavedChanges.tsx). */
export function createAppRouter() {
  return createBrowserRouter([{ path: "*", element: <AppShell /> }]);
}

export function App() {
  const [router] = useState(createAppRouter);
  return <RouterProvider router={router} />;
}
