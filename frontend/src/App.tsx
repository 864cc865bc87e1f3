import { BrowserRouter, Link, Navigate, NavLink, Outlet, Route, Routes, useLocation } from "react-router-dom";

import { AuthProvider, useAuth } from "./auth";
import { Loading } from "./components/common";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { ConnectorDetailPage } from "./pages/ConnectorDetailPage";
import { ConnectorsPage } from "./pages/ConnectorsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { LoginPage } from "./pages/LoginPage";
import { SyncLogPage } from "./pages/SyncLogPage";

function RequireAuth() {
  const { me, checking } = useAuth();
  const location = useLocation();
  if (checking) return <Loading label="Checking your session…" />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Layout />;
}

function Layout() {
  const { me, signOut } = useAuth();
  const location = useLocation();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">M</span> MigrateIQ
        </Link>
        <nav className="nav" aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/connectors">Connectors</NavLink>
        </nav>
        {me ? (
          <div className="who" data-testid="who">
            <span className="who-email" title={me.user.full_name || me.user.email}>
              {me.user.email}
            </span>
            <span className="muted small">
              {me.tenant.name} · <span className={`role role-${me.role}`}>{me.role}</span>
            </span>
            <button type="button" className="btn btn-small" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main className="main">
        <ErrorBoundary key={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the dashboard</Link>
      </p>
    </div>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<RequireAuth />}>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/connectors" element={<ConnectorsPage />} />
        <Route path="/connectors/:id" element={<ConnectorDetailPage />} />
        <Route path="/sync-logs/:id" element={<SyncLogPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </BrowserRouter>
  );
}
