import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { Membership } from "../api/types";
import { fakeFetch, renderAs } from "../test/helpers";
import { LAST_ADMIN_RULE, MembersPage } from "./MembersPage";

const member = (id: number, email: string, role: Membership["role"]): Membership => ({
  id,
  email,
  role,
  created_at: "2026-11-01T10:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
});

function api(members: Membership[], answer: (call: { method: string; url: string; body: unknown }) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => answer(call) ?? { body: { count: members.length, next: null, previous: null, results: members } });
}

const renderPage = (role: "viewer" | "editor" | "admin" = "admin") => renderAs(role, <MembersPage />, "/members", "/members");

describe("the members page", () => {
  it("is for admins only", () => {
    const calls = api([]);
    renderPage("editor");
    expect(screen.getByText("Only the tenant's admins manage its members.")).toBeTruthy();
    expect(calls).toHaveLength(0);
  });

  it("disables demoting and removing the last admin and says why", async () => {
    api([member(1, "admin@acme.test", "admin"), member(2, "ed@acme.test", "editor")]);
    renderPage();
    const row = await screen.findByTestId("member-admin@acme.test");
    expect(screen.getByText(LAST_ADMIN_RULE)).toBeTruthy();
    const remove = within(row).getByRole("button", { name: /Remove/ });
    expect((remove as HTMLButtonElement).disabled).toBe(true);
    expect(remove.getAttribute("aria-describedby")).toBe("last-admin-rule");
    expect((within(row).getByRole("option", { name: "viewer" }) as HTMLOptionElement).disabled).toBe(true);
    expect(within(row).getByText("last admin")).toBeTruthy();
    const other = screen.getByTestId("member-ed@acme.test");
    expect((within(other).getByRole("button", { name: /Remove/ }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("changes a member's role", async () => {
    const calls = api([member(1, "admin@acme.test", "admin"), member(2, "ed@acme.test", "editor")], (call) =>
      call.method === "PATCH" ? { body: member(2, "ed@acme.test", "admin") } : null,
    );
    renderPage();
    fireEvent.change(await screen.findByLabelText("Role of ed@acme.test"), { target: { value: "admin" } });
    await vi.waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.url).toBe("/api/tenancy/members/2/"));
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ role: "admin" });
  });

  it("shows the API's refusal of a change", async () => {
    api([member(1, "admin@acme.test", "admin"), member(2, "b@acme.test", "admin")], (call) =>
      call.method === "PATCH" ? { status: 400, body: { detail: "A tenant must keep at least one admin." } } : null,
    );
    renderPage();
    fireEvent.change(await screen.findByLabelText("Role of b@acme.test"), { target: { value: "viewer" } });
    expect(await screen.findByText("A tenant must keep at least one admin.")).toBeTruthy();
  });

  it("removes a member after confirming", async () => {
    const calls = api([member(1, "admin@acme.test", "admin"), member(2, "ed@acme.test", "editor")], (call) =>
      call.method === "DELETE" ? { status: 204 } : null,
    );
    vi.spyOn(window, "confirm").mockReturnValue(true);
    renderPage();
    fireEvent.click(within(await screen.findByTestId("member-ed@acme.test")).getByRole("button", { name: /Remove/ }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/tenancy/members/2/")).toBe(true));
  });

  it("adds a member through the one invite function and links an error to the email field", async () => {
    const calls = api([member(1, "admin@acme.test", "admin")], (call) =>
      call.method === "POST" ? { status: 400, body: { detail: "password: Required", errors: { password: ["No account has this email yet."] } } } : null,
    );
    renderPage();
    await screen.findByTestId("member-admin@acme.test");
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "new@acme.test" } });
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "editor" } });
    fireEvent.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByText("No account has this email yet.")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")).toMatchObject({ url: "/api/tenancy/members/", body: { email: "new@acme.test", role: "editor" } });
    const email = screen.getByLabelText("Email");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(email.getAttribute("aria-describedby")).toBe("member-email-error");
    expect(document.activeElement).toBe(email);
  });
});
