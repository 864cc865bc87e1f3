import { act, fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { AnnouncerProvider } from "../announce";
import type { Invitation, Membership } from "../api/types";
import { fakeFetch, renderAs } from "../test/helpers";
import { LAST_ADMIN_RULE, MembersPage, ONE_TIME_NOTE } from "./MembersPage";

const member = (id: number, email: string, role: Membership["role"]): Membership => ({
  id,
  email,
  role,
  created_at: "2026-11-01T10:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
});

const invitation = (id: number, email: string, role: Invitation["role"]): Invitation => ({
  id,
  email,
  role,
  created_at: "2026-12-01T10:00:00Z",
  expires_at: "2026-12-08T10:00:00Z",
});

const page = <T,>(results: T[]) => ({ body: { count: results.length, next: null, previous: null, results } });

function api(
  members: Membership[],
  answer: (call: { method: string; url: string; body: unknown }) => { status?: number; body?: unknown } | null = () => null,
  invitations: Invitation[] = [],
) {
  return fakeFetch(
    (call) => answer(call) ?? (call.url.startsWith("/api/tenancy/invitations/") ? page(invitations) : page(members)),
  );
}

const renderPage = (role: "viewer" | "editor" | "admin" = "admin") =>
  renderAs(
    role,
    <AnnouncerProvider>
      <MembersPage />
    </AnnouncerProvider>,
    "/members",
    "/members",
  );

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
    expect(within(row).getByText("LAST ADMIN")).toBeTruthy();
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
    const native = vi.spyOn(window, "confirm");
    renderPage();
    fireEvent.click(within(await screen.findByTestId("member-ed@acme.test")).getByRole("button", { name: /Remove/ }));
    const dialog = screen.getByRole("alertdialog", { name: "Remove ed@acme.test?" });
    expect(dialog.textContent).toContain("loses access to this tenant");
    fireEvent.click(within(dialog).getByRole("button", { name: "Remove the member" }));
    expect(native).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/tenancy/members/2/")).toBe(true));
  });

  it("invites by email and role and shows the accept link once, with the note to send it", async () => {
    const answer = { ...invitation(9, "new@acme.test", "editor"), token: "t0k/en+=", accept_path: "/api/auth/invitations/accept/", accept_link: "/invitations/accept?token=t0k%2Fen%2B%3D" };
    // the list answers what the API holds at the time of the call
    let pending: Invitation[] = [];
    const calls = api([member(1, "admin@acme.test", "admin")], (call) => {
      if (call.method === "POST") {
        pending = [invitation(9, "new@acme.test", "editor")];
        return { status: 201, body: answer };
      }
      return call.url.startsWith("/api/tenancy/invitations/") ? page(pending) : null;
    });
    renderPage();
    await screen.findByTestId("member-admin@acme.test");
    expect(screen.getByRole("heading", { name: "0 pending invitations" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: " new@acme.test " } });
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "editor" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    const card = await screen.findByTestId("invitation-link");
    expect(calls.find((c) => c.method === "POST")).toMatchObject({ url: "/api/tenancy/invitations/", body: { email: "new@acme.test", role: "editor" } });
    const link = within(card).getByLabelText("Accept link") as HTMLInputElement;
    expect(link.value).toBe(`${window.location.origin}/invitations/accept?token=t0k%2Fen%2B%3D`);
    expect(link.readOnly).toBe(true);
    expect(within(card).getByText(ONE_TIME_NOTE)).toBeTruthy();
    const heading = within(card).getByRole("heading", { name: "Invitation link for new@acme.test" });
    await vi.waitFor(() => expect(document.activeElement).toBe(heading));
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain("shown once"));
    expect((screen.getByLabelText("Email") as HTMLInputElement).value).toBe("");
    // the new invitation is listed as pending with its role and expiry (never its token)
    const row = await screen.findByTestId("invitation-new@acme.test");
    expect(within(row).getByText("editor")).toBeTruthy();
    expect(row.textContent).toContain("2026");
    expect(row.textContent).not.toContain("t0k");
    // copied to the clipboard with one click
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    fireEvent.click(within(card).getByRole("button", { name: "Copy link" }));
    await within(card).findByText("Copied.");
    expect(writeText).toHaveBeenCalledWith(link.value);
    // Done hides the link for good and focus goes to the pending list
    fireEvent.click(within(card).getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("invitation-link")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "1 pending invitation" }));
  });

  it("selects the link for Ctrl+C when the browser offers no clipboard", async () => {
    const answer = { ...invitation(9, "new@acme.test", "viewer"), token: "abc", accept_path: "/api/auth/invitations/accept/", accept_link: "/invitations/accept?token=abc" };
    api([member(1, "admin@acme.test", "admin")], (call) => (call.method === "POST" ? { status: 201, body: answer } : null));
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    renderPage();
    await screen.findByTestId("member-admin@acme.test");
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "new@acme.test" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    const card = await screen.findByTestId("invitation-link");
    fireEvent.click(within(card).getByRole("button", { name: "Copy link" }));
    await within(card).findByText("Copying is not available here: the link is selected, press Ctrl+C.");
    const link = within(card).getByLabelText("Accept link") as HTMLInputElement;
    expect(document.activeElement).toBe(link);
    expect(link.value.slice(link.selectionStart ?? 0, link.selectionEnd ?? 0)).toBe(`${window.location.origin}/invitations/accept?token=abc`);
  });

  it("puts the API's field errors on the email and role fields and focuses the email", async () => {
    const calls = api([member(1, "admin@acme.test", "admin")], (call) =>
      call.method === "POST"
        ? { status: 400, body: { detail: "email: Enter a valid email address.", errors: { email: ["Enter a valid email address."], role: ['"owner" is not a valid choice.'] } } }
        : null,
    );
    renderPage();
    await screen.findByTestId("member-admin@acme.test");
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "not-an-email" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    expect(await screen.findByText("Enter a valid email address.")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/tenancy/invitations/");
    const email = screen.getByLabelText("Email");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(email.getAttribute("aria-describedby")).toBe("member-email-error");
    const role = screen.getByLabelText("Role");
    expect(role.getAttribute("aria-invalid")).toBe("true");
    expect(role.getAttribute("aria-describedby")).toBe("member-role-error");
    expect(screen.getByText('"owner" is not a valid choice.')).toBeTruthy();
    expect(document.activeElement).toBe(email);
    expect(screen.queryByTestId("invitation-link")).toBeNull();
    expect(screen.queryByRole("alert", { name: /email:/ })).toBeNull();
  });

  it("shows a refusal without field errors in the banner", async () => {
    api([member(1, "admin@acme.test", "admin")], (call) =>
      call.method === "POST" ? { status: 429, body: { detail: "Too many requests: try again in 30 s." } } : null,
    );
    renderPage();
    await screen.findByTestId("member-admin@acme.test");
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "a@acme.test" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Too many requests: try again in 30 s.");
    expect(document.activeElement).toBe(screen.getByLabelText("Email"));
  });

  it("lists pending invitations and revokes one after confirming", async () => {
    let pending = [invitation(4, "soon@acme.test", "viewer"), invitation(5, "later@acme.test", "admin")];
    const calls = api(
      [member(1, "admin@acme.test", "admin")],
      (call) => {
        if (call.method === "DELETE") {
          pending = pending.filter((i) => i.id !== 4);
          return { status: 204 };
        }
        if (call.url.startsWith("/api/tenancy/invitations/")) return page(pending);
        return null;
      },
    );
    const native = vi.spyOn(window, "confirm");
    renderPage();
    const row = await screen.findByTestId("invitation-soon@acme.test");
    expect(within(screen.getByRole("table", { name: "Pending invitations" })).getAllByRole("row")).toHaveLength(3);
    expect(within(row).getByText("viewer")).toBeTruthy();
    fireEvent.click(within(row).getByRole("button", { name: /Revoke/ }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke the invitation of soon@acme.test?" });
    expect(dialog.textContent).toContain("Its link stops working.");
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke the invitation" }));
    expect(native).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/tenancy/invitations/4/")).toBe(true));
    await vi.waitFor(() => expect(screen.queryByTestId("invitation-soon@acme.test")).toBeNull());
    expect(screen.getByTestId("invitation-later@acme.test")).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "1 pending invitation" }));
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toBe("The invitation of soon@acme.test was revoked."));
  });

  it("keeps an invitation when the revocation is not confirmed", async () => {
    const calls = api([member(1, "admin@acme.test", "admin")], () => null, [invitation(4, "soon@acme.test", "viewer")]);
    renderPage();
    fireEvent.click(within(await screen.findByTestId("invitation-soon@acme.test")).getByRole("button", { name: /Revoke/ }));
    fireEvent.keyDown(screen.getByRole("alertdialog"), { key: "Escape" });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    await act(async () => {});
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
  });
});
