import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { acceptInvitation as apiAcceptInvitation, getMe, signIn as apiSignIn, signOut as apiSignOut } from "./api/api";
import { isServerFailure, onAuthLost, onSharedSession, restoreSession } from "./api/client";
import type { Me, Role } from "./api/types";

export interface AuthState {
  me: Me | null;
  /** true while the tab's session (its own, or one another open tab shares) is being checked. */
  checking: boolean;
  /** Why the session could not be checked although the tab has one: the server could not be
   * reached or failed (an ApiError of status 0 or 5xx). The tokens are kept: it is no sign-in
   * matter, and `retry` checks again. A refused session (401) is a sign-in instead. */
  unreachable?: unknown;
  retry?: () => void;
  signIn: (email: string, password: string, tenant: string) => Promise<void>;
  signOut: () => void;
  /** Accept an invitation and be signed in to its tenant, as after sign-in. */
  acceptInvitation: (token: string, password: string, name?: string) => Promise<void>;
}

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside of <AuthProvider>");
  return state;
}

/** Editors and admins write (create, edit, test, sync, cancel, resume). */
export function canWrite(role: Role | undefined): boolean {
  return role === "editor" || role === "admin";
}

/** Why a page for editors does nothing for `role`: "Creating connectors needs the editor role; you
 * are a viewer." (`what`: "Creating connectors"). Said instead of a silent redirect. */
export function editorRoleNeeded(what: string, role: Role | undefined): string {
  const you = role ? `you are ${role === "admin" || role === "editor" ? "an" : "a"} ${role}` : "you have no role in this tenant";
  return `${what} needs the editor role; ${you}.`;
}

/** Only admins delete. */
export function canDelete(role: Role | undefined): boolean {
  return role === "admin";
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState<boolean>(true);
  const [unreachable, setUnreachable] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    onAuthLost(() => setMe(null));
    // Another tab signed in while this one shows the sign-in page: this one is signed in too.
    onSharedSession(() => {
      getMe()
        .then((who) => live && setMe(who))
        .catch(() => undefined);
    });
    return () => {
      live = false;
      onAuthLost(null);
      onSharedSession(null);
    };
  }, []);

  useEffect(() => {
    let live = true;
    setChecking(true);
    restoreSession()
      .then((has) => (has ? getMe().then((who) => live && setMe(who)) : undefined))
      .then(() => live && setUnreachable(null))
      .catch((error: unknown) => {
        if (!live) return;
        setMe(null);
        // The session may be fine: only the server's answer is missing. (A 401 dropped the tokens.)
        setUnreachable(isServerFailure(error) ? error : null);
      })
      .finally(() => live && setChecking(false));
    return () => {
      live = false;
    };
  }, [attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  /** Keep the tokens `obtain` stored and load who they belong to (or drop them). */
  const adopt = useCallback(async (obtain: () => Promise<void>) => {
    await obtain();
    try {
      setMe(await getMe());
    } catch (error) {
      apiSignOut();
      throw error;
    }
  }, []);

  const signIn = useCallback(
    (email: string, password: string, tenant: string) => adopt(() => apiSignIn(email, password, tenant)),
    [adopt],
  );

  const acceptInvitation = useCallback(
    (token: string, password: string, name?: string) => adopt(() => apiAcceptInvitation(token, password, name)),
    [adopt],
  );

  const signOut = useCallback(() => {
    apiSignOut();
    setMe(null);
    setUnreachable(null);
  }, []);

  const value = useMemo(
    () => ({ me, checking, unreachable, retry, signIn, signOut, acceptInvitation }),
    [me, checking, unreachable, retry, signIn, signOut, acceptInvitation],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
