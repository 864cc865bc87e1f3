import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it, vi } from "vitest";

import { AppRoutes } from "../App";
import { AnnouncerProvider } from "../announce";
import { getTokens, setTokens } from "../api/client";
import { AuthProvider } from "../auth";
import { emptyPage, fakeFetch, me, type FakeAnswer, type FakeCall } from "../test/helpers";
import { ASK_AGAIN, EXISTING_ACCOUNT_HINT, NO_TOKEN } from "./AcceptInvitationPage";

const ACCEPT = "/api/auth/invitations/accept/";
const TOKEN = "tok-EN_123";

function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AnnouncerProvider>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </AnnouncerProvider>
    </MemoryRouter>,
  );
}

/** The API: `accept` answers the accept call; a signed-in session sees a viewer of Acme. */
function api(accept: (call: FakeCall) => FakeAnswer) {
  return fakeFetch((call) => {
    if (call.url === ACCEPT) return accept(call);
    if (call.url === "/api/auth/me/") return { body: me("viewer") };
    if (call.url.startsWith("/api/demo-extension/connectors/stats/history/")) return { body: { days: [] } };
    if (call.url === "/api/demo-extension/connectors/stats/")
      return { body: { total_connectors: 0, active_connectors: 0, total_records_synced: 0, last_24h_syncs: 0, success_rate: 0, avg_sync_duration: 0 } };
    return { body: emptyPage };
  });
}

function accept(password: string, name = "") {
  fireEvent.change(screen.getByLabelText("Your name (new accounts only)"), { target: { value: name } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: password } });
  fireEvent.click(screen.getByRole("button", { name: "Accept and sign in" }));
}

describe("the accept-invitation page", () => {
  it("needs no sign-in, accepts with the token, stores the tokens and lands signed in on the dashboard", async () => {
    const calls = api(() => ({ body: { access: "acc", refresh: "ref" } }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    expect(screen.getByRole("heading", { name: "Accept the invitation" })).toBeTruthy();
    expect(calls).toHaveLength(0); // no session is checked or needed to see the page
    accept("a-Long-new-password-1", " New Person ");
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeTruthy();
    const sent = calls.find((c) => c.url === ACCEPT);
    expect(sent).toMatchObject({ method: "POST", body: { token: TOKEN, password: "a-Long-new-password-1", name: "New Person" } });
    expect(sent?.headers.Authorization).toBeUndefined();
    expect(getTokens()).toEqual({ access: "acc", refresh: "ref" });
    expect(JSON.parse(window.sessionStorage.getItem("migrateiq.tokens") ?? "null")).toEqual({ access: "acc", refresh: "ref" });
    // signed in as the invited member: the profile menu has the tenant and the role
    const who = screen.getByTestId("who");
    expect(who.textContent).toContain("Acme");
    expect(who.textContent).toContain("viewer");
    expect(calls.find((c) => c.url === "/api/auth/me/")?.headers.Authorization).toBe("Bearer acc");
  });

  it("opened while signed in, says who is signed in and replaces that session with the invited one", async () => {
    setTokens({ access: "old", refresh: "old-r" });
    const calls = fakeFetch((call) => {
      if (call.url === ACCEPT) return { body: { access: "acc", refresh: "ref" } };
      if (call.url === "/api/auth/me/") return { body: call.headers.Authorization === "Bearer old" ? me("admin") : me("viewer") };
      if (call.url.startsWith("/api/demo-extension/connectors/stats/history/")) return { body: { days: [] } };
      return { body: emptyPage };
    });
    renderApp(`/invitations/accept?token=${TOKEN}`);
    expect(await screen.findByText(/You are signed in as admin@acme.test: accepting signs you in as the invited account instead./)).toBeTruthy();
    accept("a-Long-new-password-1");
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(getTokens()).toEqual({ access: "acc", refresh: "ref" });
    expect(calls.find((c) => c.url === ACCEPT)?.headers.Authorization).toBeUndefined(); // the old session is not sent
    expect(screen.getByTestId("who").textContent).toContain("viewer@acme.test");
  });

  it("sends no name when none is given (an existing account keeps its own)", async () => {
    const calls = api(() => ({ body: { access: "acc", refresh: "ref" } }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    accept("its-own-password");
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(calls.find((c) => c.url === ACCEPT)?.body).toEqual({ token: TOKEN, password: "its-own-password" });
  });

  it("says clearly that an invalid, expired, revoked or used invitation cannot be accepted", async () => {
    const detail = "This invitation is not valid: it may have expired, been revoked or been used already.";
    api(() => ({ status: 400, body: { detail } }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    accept("whatever-password-1");
    const alert = await screen.findByTestId("accept-error");
    expect(alert.textContent).toBe(`${detail} ${ASK_AGAIN}`);
    await vi.waitFor(() => expect(document.activeElement).toBe(alert));
    expect(getTokens()).toBeNull();
    expect(screen.queryByRole("heading", { name: "Dashboard" })).toBeNull();
  });

  it("puts a wrong password of an existing account on the password field and focuses it", async () => {
    api(() => ({ status: 401, body: { detail: "Invalid email or password." } }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    accept("not-my-password");
    const error = await screen.findByText(`Invalid email or password. ${EXISTING_ACCOUNT_HINT}`);
    const password = screen.getByLabelText("Password");
    expect(password.getAttribute("aria-invalid")).toBe("true");
    expect(password.getAttribute("aria-describedby")).toContain(error.id);
    await vi.waitFor(() => expect(document.activeElement).toBe(password));
    expect(getTokens()).toBeNull();
  });

  it("links a refused new password and a refused name to their fields", async () => {
    api(() => ({
      status: 400,
      body: { detail: "password: This password is too short.", errors: { password: ["This password is too short."], name: ["Ensure this field has no more than 255 characters."] } },
    }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    accept("short", "x");
    expect(await screen.findByText("This password is too short.")).toBeTruthy();
    const password = screen.getByLabelText("Password");
    const name = screen.getByLabelText("Your name (new accounts only)");
    expect(password.getAttribute("aria-describedby")).toContain("accept-password-error");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(name.getAttribute("aria-describedby")).toBe("accept-name-error");
    await vi.waitFor(() => expect(document.activeElement).toBe(password));
    expect(screen.queryByTestId("accept-error")).toBeNull(); // nothing repeated in a banner
  });

  it("asks for a password before calling the API", () => {
    const calls = api(() => ({ body: { access: "acc", refresh: "ref" } }));
    renderApp(`/invitations/accept?token=${TOKEN}`);
    accept("");
    expect(screen.getByText("Enter a password.")).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText("Password"));
    expect(calls).toHaveLength(0);
  });

  it("says so when the link has no token, and offers no form", () => {
    const calls = api(() => ({ body: {} }));
    renderApp("/invitations/accept");
    expect(screen.getByTestId("accept-error").textContent).toBe(`${NO_TOKEN} ${ASK_AGAIN}`);
    expect(screen.queryByRole("button", { name: "Accept and sign in" })).toBeNull();
    expect(calls).toHaveLength(0);
  });
});
