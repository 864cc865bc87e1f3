import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { ApiError, errorMessage } from "../api/client";
import { useAnnounce, usePageTitle } from "../announce";
import { useAuth } from "../auth";

export const NO_TOKEN = "This address has no invitation token. Open the link exactly as you received it.";
export const ASK_AGAIN = "Ask the person who invited you for a new invitation.";
export const EXISTING_ACCOUNT_HINT =
  "If this email already has a MigrateIQ account, this must be that account's password.";

type Problem =
  /** The invitation itself cannot be used (unknown, expired, revoked, used): nothing to fix here. */
  | { kind: "invitation"; message: string }
  /** The password (wrong for an existing account, or too weak for a new one). */
  | { kind: "password"; message: string }
  | { kind: "fields"; fields: Record<string, string[]> }
  | { kind: "other"; message: string };

/** The page an invitee opens from the admin's link (no sign-in needed): a password, and a name for
 * a new account, accept the invitation and sign in to the tenant, as the sign-in page does. */
export function AcceptInvitationPage() {
  usePageTitle("Accept the invitation");
  const { me, acceptInvitation } = useAuth();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get("token")?.trim() ?? "";
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);

  // After an answer the button was disabled: focus what to fix, or the message when nothing can be fixed here.
  useEffect(() => {
    if (!problem) return;
    if (problem.kind === "password" || (problem.kind === "fields" && problem.fields.password)) passwordRef.current?.focus();
    else if (problem.kind === "fields" && problem.fields.name) nameRef.current?.focus();
    else alertRef.current?.focus();
  }, [problem]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!password) {
      setProblem({ kind: "password", message: "Enter a password." });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await acceptInvitation(token, password, name);
      announce("Invitation accepted: you are signed in.");
      navigate("/", { replace: true });
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  }

  const passwordError =
    problem?.kind === "password"
      ? problem.message
      : problem?.kind === "fields"
        ? problem.fields.password?.join(" ")
        : undefined;
  const nameError = problem?.kind === "fields" ? problem.fields.name?.join(" ") : undefined;
  const banner =
    problem?.kind === "invitation" || problem?.kind === "other"
      ? problem.message
      : problem?.kind === "fields"
        ? Object.entries(problem.fields)
            .filter(([field]) => field !== "password" && field !== "name")
            .flatMap(([, messages]) => messages)
            .join(" ") || null
        : null;

  return (
    <main className="login-screen" id="main">
      <div className="card login-card accept-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">M</span> MigrateIQ
        </div>
        <h1>Accept the invitation</h1>
        {!token ? (
          <div className="banner banner-error" role="alert" data-testid="accept-error">
            {NO_TOKEN} {ASK_AGAIN}
          </div>
        ) : (
          <form onSubmit={submit} aria-label="Accept the invitation" noValidate>
            <p>
              You were invited to a MigrateIQ tenant. Choose a password to create your account, or give the password of
              the account you already have with the invited email.
            </p>
            {me ? (
              <p className="muted small">
                You are signed in as {me.user.email}: accepting signs you in as the invited account instead.
              </p>
            ) : null}
            {banner ? (
              <div className="banner banner-error" role="alert" ref={alertRef} tabIndex={-1} data-testid="accept-error">
                {banner}
                {problem?.kind === "invitation" ? ` ${ASK_AGAIN}` : null}
              </div>
            ) : null}
            <div className={`field${nameError ? " field-invalid" : ""}`}>
              <label htmlFor="accept-name">Your name (new accounts only)</label>
              <input
                id="accept-name"
                ref={nameRef}
                autoComplete="name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                aria-invalid={nameError ? true : undefined}
                aria-describedby={nameError ? "accept-name-error" : undefined}
              />
              {nameError ? (
                <p className="field-error" id="accept-name-error">
                  {nameError}
                </p>
              ) : null}
            </div>
            <div className={`field${passwordError ? " field-invalid" : ""}`}>
              <label htmlFor="accept-password">Password</label>
              <input
                id="accept-password"
                ref={passwordRef}
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                aria-invalid={passwordError ? true : undefined}
                aria-describedby={passwordError ? "accept-password-error accept-password-hint" : "accept-password-hint"}
              />
              {passwordError ? (
                <p className="field-error" id="accept-password-error">
                  {passwordError}
                </p>
              ) : null}
              <div className="hint" id="accept-password-hint">
                {EXISTING_ACCOUNT_HINT}
              </div>
            </div>
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "Accepting…" : "Accept and sign in"}
            </button>
          </form>
        )}
        <p className="small accept-alt">
          <Link to="/login">Sign in</Link> instead
        </p>
      </div>
    </main>
  );
}

function problemOf(err: unknown): Problem {
  if (err instanceof ApiError) {
    // 401: an existing account's password was wrong (the API's sentence says so without more).
    if (err.status === 401) return { kind: "password", message: `${err.detail} ${EXISTING_ACCOUNT_HINT}` };
    const fields = err.fieldErrors;
    if (fields.token) return { kind: "invitation", message: fields.token.join(" ") };
    if (Object.keys(fields).length > 0) return { kind: "fields", fields };
    // 400 without fields: the invitation cannot be used (unknown, expired, revoked or used).
    if (err.status === 400) return { kind: "invitation", message: err.detail };
  }
  return { kind: "other", message: errorMessage(err) };
}
