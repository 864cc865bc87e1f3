import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { SyncStatus } from "../api/types";
import { emptyPage, fakeFetch, renderAs, syncLog, type FakeCall } from "../test/helpers";
import { SyncLogPage } from "./SyncLogPage";

function api(status: SyncStatus, overrides: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => {
    const special = overrides(call);
    if (special) return special;
    if (call.url === "/api/demo-extension/sync-logs/5/") {
      return { body: syncLog({ status, error_message: status === "FAILED" ? "Fetching page 3 failed: HTTP 500" : "" }) };
    }
    if (call.url.startsWith("/api/demo-extension/sync-logs/5/errors/")) {
      return {
        body: {
          ...emptyPage,
          count: 1,
          results: [
            {
              id: 1,
              sync_log: 5,
              connector: 7,
              external_id: "cus_9",
              raw_payload: { id: "cus_9", price: "n/a" },
              error: "price: cannot convert 'n/a' to decimal",
              page: 2,
              created_at: "2026-11-27T10:00:00Z",
            },
          ],
        },
      };
    }
    if (call.url.startsWith("/api/demo-extension/sync-logs/5/events/")) {
      return {
        body: {
          ...emptyPage,
          count: 1,
          results: [{ id: 1, at: "2026-11-27T10:00:00Z", level: "error", message: "Fetching page 3 failed: HTTP 500" }],
        },
      };
    }
    return { body: emptyPage };
  });
}

const renderPage = (role: "viewer" | "editor" | "admin") =>
  renderAs(role, <SyncLogPage />, "/sync-logs/5", "/sync-logs/:id");

describe("the sync page", () => {
  it("shows a failed sync's error, log lines and quarantined records", async () => {
    api("FAILED");
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Sync #5" })).toBeTruthy();
    expect(await screen.findByText("price: cannot convert 'n/a' to decimal")).toBeTruthy();
    expect(screen.getAllByText("Fetching page 3 failed: HTTP 500").length).toBeGreaterThanOrEqual(2);
    expect(screen.getByText("cus_9")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull(); // a viewer only reads
  });

  it("lets an editor resume a failed sync", async () => {
    const calls = api("FAILED");
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Resume" }));
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/sync-logs/5/resume/?wait=0");
  });

  it("shows why a resume was refused", async () => {
    api("FAILED", (call) =>
      call.method === "POST" ? { status: 400, body: { detail: "This sync has no checkpoint to resume from." } } : null,
    );
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Resume" }));
    expect(await screen.findByText("This sync has no checkpoint to resume from.")).toBeTruthy();
  });

  it("lets an editor cancel a running sync", async () => {
    const calls = api("RUNNING");
    renderPage("editor");
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull();
    fireEvent.click(await screen.findByRole("button", { name: "Cancel sync" }));
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/sync-logs/5/cancel/");
  });

  it("shows the API's message for a sync of another tenant", async () => {
    fakeFetch(() => ({ status: 404, body: { detail: "Not found." } }));
    renderPage("admin");
    expect((await screen.findByRole("alert")).textContent).toBe("Not found.");
  });
});

async function waitUntil(condition: () => boolean) {
  await vi.waitFor(() => {
    if (!condition()) throw new Error("not yet");
  });
}
