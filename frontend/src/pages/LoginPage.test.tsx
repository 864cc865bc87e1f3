import { fireEvent, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it, vi } from "vitest";

import { AppRoutes } from "../App";
import { getTokens, setTokens } from "../api/client";
import { AuthProvider } from "../auth";
import { fakeFetch, me } from "../test/helpers";

function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </MemoryRouter>,
  );
}

function fillIn(email: string, password: string, tenant = "") {
  fireEvent.change(screen.getByLabelText("Email"), { target: { value: email } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: password } });
  fireEvent.change(screen.getByLabelText("Tenant (optional)"), { target: { value: tenant } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("signing in", () => {
  it("sends a signed-out visitor to the sign-in page", async () => {
    fakeFetch(() => ({ status: 500 }));
    renderApp("/connectors");
    // after asking the browser's other tabs for a session (none answers)
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
  });

  it("says why when the server ended the session", async () => {
    const ended = "This sign-in session was ended because one of its refresh tokens was presented again.";
    setTokens({ access: "old", refresh: "replayed" });
    // the access token and the refresh token belong to the ended session
    fakeFetch(() => ({ status: 401, body: { detail: ended, code: "session_ended" } }));
    renderApp("/connectors");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe(ended);
  });

  it("shows the API's error when the password is wrong", async () => {
    const calls = fakeFetch(() => ({ status: 401, body: { detail: "Invalid email or password." } }));
    renderApp("/login");
    fillIn("ops@acme.test", "wrong", "acme");
    expect((await screen.findByRole("alert")).textContent).toBe("Invalid email or password.");
    expect(calls[0]?.body).toEqual({ email: "ops@acme.test", password: "wrong", tenant: "acme" });
    expect(getTokens()).toBeNull();
  });

  it("replaces the last attempt's error with what is missing when the form is sent empty", async () => {
    const calls = fakeFetch(() => ({ status: 401, body: { detail: "Invalid email or password." } }));
    renderApp("/login");
    fillIn("ops@acme.test", "wrong");
    expect((await screen.findByRole("alert")).textContent).toBe("Invalid email or password.");
    fillIn("", "");
    expect(screen.getByRole("alert").textContent).toBe("Enter your email and password.");
    expect(document.activeElement).toBe(screen.getByLabelText("Email"));
    fillIn("ops@acme.test", "");
    expect(screen.getByRole("alert").textContent).toBe("Enter your password.");
    expect(document.activeElement).toBe(screen.getByLabelText("Password"));
    expect(calls).toHaveLength(1); // nothing sent without both
  });

  it("shows a throttled sign-in's message", async () => {
    fakeFetch(() => ({ status: 429, body: { detail: "Request was throttled. Expected available in 42 seconds." } }));
    renderApp("/login");
    fillIn("ops@acme.test", "pw");
    expect((await screen.findByRole("alert")).textContent).toMatch(/throttled/);
  });

  it("puts the focus on the dashboard's heading after signing in, as after any navigation in the app", async () => {
    fakeFetch((call) => {
      if (call.url === "/api/auth/token/") return { body: { access: "A", refresh: "R" } };
      if (call.url === "/api/auth/me/") return { body: me("editor") };
      return { body: { count: 0, next: null, previous: null, results: [] } };
    });
    renderApp("/login");
    const password = screen.getByLabelText("Password");
    password.focus();
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "editor@acme.test" } });
    fireEvent.change(password, { target: { value: "pw" } });
    fireEvent.submit(password.closest("form")!); // Enter in the password field
    const heading = await screen.findByRole("heading", { level: 1, name: "Dashboard" });
    await vi.waitFor(() => expect(document.activeElement).toBe(heading));
  });

  it("signs in without a tenant, shows who and what role, and signs out", async () => {
    const calls = fakeFetch((call) => {
      if (call.url === "/api/auth/token/") return { body: { access: "A", refresh: "R" } };
      if (call.url === "/api/auth/me/") return { body: me("editor") };
      return { body: { count: 0, next: null, previous: null, results: [] } };
    });
    renderApp("/login");
    fillIn("editor@acme.test", "pw");
    const who = await screen.findByTestId("who");
    expect(who.textContent).toContain("editor@acme.test");
    expect(who.textContent).toContain("editor");
    expect(calls[0]?.body).toEqual({ email: "editor@acme.test", password: "pw" });
    expect(calls[1]?.headers.Authorization).toBe("Bearer A");
    expect(getTokens()).toEqual({ access: "A", refresh: "R" });

    fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(getTokens()).toBeNull();
  });
});
