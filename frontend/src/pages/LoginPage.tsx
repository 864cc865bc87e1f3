import { useRef, useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";

import { errorMessage, sessionEndedNotice } from "../api/client";
import { usePageTitle } from "../announce";
import { useAuth } from "../auth";
import { ErrorBanner } from "../components/common";
import { ThemePicker } from "../theme";

export function LoginPage() {
  usePageTitle("Sign in");
  const { me, signIn } = useAuth();
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [tenant, setTenant] = useState("");
  const [error, setError] = useState<string | null>(null);
  // Why the last session ended, when the server ended it: shown until the first attempt.
  const [notice, setNotice] = useState(sessionEndedNotice);
  const [busy, setBusy] = useState(false);

  if (me) return <Navigate to={from} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    // The form's own check (the browser's would leave the last attempt's error on the page).
    const missing = [email.trim() ? "" : "email", password ? "" : "password"].filter(Boolean);
    if (missing.length > 0) {
      setError(`Enter your ${missing.join(" and ")}.`);
      (email.trim() ? passwordRef : emailRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password, tenant);
      navigate(from, { replace: true });
    } catch (err) {
      setError(errorMessage(err));
      passwordRef.current?.focus(); // the button was disabled while signing in: focus what to fix
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login-screen" id="main">
      <form className="card login-card" onSubmit={submit} aria-label="Sign in" noValidate>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">M</span> MigrateIQ
        </div>
        <h1>Sign in</h1>
        <ErrorBanner message={error ?? notice} />
        <div className="field">
          <label htmlFor="login-email">Email</label>
          <input
            id="login-email"
            ref={emailRef}
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            ref={passwordRef}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="login-tenant">Tenant (optional)</label>
          <input
            id="login-tenant"
            value={tenant}
            onChange={(e) => setTenant(e.target.value)}
            placeholder="e.g. demo"
            aria-describedby="login-tenant-hint"
          />
          <div className="hint" id="login-tenant-hint">Needed only when your account belongs to several tenants.</div>
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ThemePicker idPrefix="login-theme" />
      </form>
    </main>
  );
}
