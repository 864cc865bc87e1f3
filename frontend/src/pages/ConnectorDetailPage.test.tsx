import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { connector, emptyPage, fakeFetch, renderAs, syncLog, type FakeCall } from "../test/helpers";
import { ConnectorDetailPage } from "./ConnectorDetailPage";

function api(overrides: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => {
    const special = overrides(call);
    if (special) return special;
    if (call.url === "/api/demo-extension/connectors/7/") return { body: connector() };
    if (call.url.startsWith("/api/demo-extension/sync-logs/")) return { body: syncLog({ status: "SUCCESS", records_processed: 3 }) };
    return { body: emptyPage };
  });
}

const renderPage = (role: "viewer" | "editor" | "admin") =>
  renderAs(role, <ConnectorDetailPage />, "/connectors/7", "/connectors/:id");

describe("the connector page", () => {
  it("shows a viewer the details without any write button", async () => {
    api();
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Customer <b>API</b>" })).toBeTruthy();
    expect(screen.getByText("stored (…9xyz)")).toBeTruthy();
    for (const name of ["Test connection", "Sync now", "Full refresh", "Edit", "Delete"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
    }
  });

  it("shows an editor the write buttons but not Delete", async () => {
    api();
    renderPage("editor");
    await screen.findByRole("heading", { name: "Customer <b>API</b>" });
    for (const name of ["Test connection", "Sync now", "Full refresh", "Edit"]) {
      expect(screen.getByRole("button", { name })).toBeTruthy();
    }
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
  });

  it("tests the connection and shows the result", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? {
            body: {
              connected: false,
              response_time_ms: 12.34,
              message: "Upstream answered 401 Unauthorized",
              endpoint: "https://api.example.com/customers",
              status_code: 401,
            },
          }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    expect(await screen.findByRole("heading", { name: "Not connected" })).toBeTruthy();
    expect(screen.getByText("Upstream answered 401 Unauthorized")).toBeTruthy();
    expect(screen.getByText("12.3 ms")).toBeTruthy();
    expect(screen.getByText("401")).toBeTruthy();
  });

  it("starts a sync without waiting and follows it", async () => {
    const calls = api((call) =>
      call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 9, status: "PENDING" }) } : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    expect(await screen.findByRole("link", { name: "#9" })).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/connectors/7/sync_data/?wait=0");
    expect(await screen.findByText("SUCCESS")).toBeTruthy();
    expect(calls.some((c) => c.url === "/api/demo-extension/sync-logs/9/")).toBe(true);
  });

  it("asks for a full refresh with the API's parameter", async () => {
    const calls = api((call) => (call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 9 }) } : null));
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Full refresh" }));
    await screen.findByRole("link", { name: "#9" });
    expect(calls.find((c) => c.method === "POST")?.url).toBe(
      "/api/demo-extension/connectors/7/sync_data/?wait=0&full_refresh=true",
    );
  });

  it("explains a sync already running and links to it", async () => {
    api((call) =>
      call.url.includes("/sync_data/")
        ? { status: 409, body: { detail: "A sync of this connector is already running.", sync_log_id: 12 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    const alert = await screen.findByText(/A sync of this connector is already running\./);
    expect(alert).toBeTruthy();
    expect(screen.getByRole("link", { name: "Open sync #12" }).getAttribute("href")).toBe("/sync-logs/12");
  });

  it("shows the API's message when the connector does not exist", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { status: 404, body: { detail: "Not found." } } : null));
    renderPage("admin");
    expect((await screen.findByRole("alert")).textContent).toBe("Not found.");
  });

  it("filters the records by external id", async () => {
    const calls = api();
    renderPage("viewer");
    await screen.findByText("No records yet: sync the connector.");
    fireEvent.change(screen.getByLabelText("Filter by external id"), { target: { value: "cus_42" } });
    fireEvent.click(screen.getByRole("button", { name: "Filter" }));
    expect(await screen.findByText('No record with external id "cus_42".')).toBeTruthy();
    expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/7/records/?page=1&page_size=20&external_id=cus_42");
  });

  it("edits a connector without touching its key or pagination settings", async () => {
    const paged = connector({ pagination: { type: "page", page_size: 50, page_param: "p" } });
    const calls = api((call) => {
      if (call.url !== "/api/demo-extension/connectors/7/") return null;
      return { body: call.method === "PATCH" ? { ...paged, name: "Renamed" } : paged };
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    expect(screen.getByText("A key ending in …9xyz is stored. Leave empty to keep it.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Renamed" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    const sent = calls.find((c) => c.method === "PATCH")?.body as Record<string, unknown>;
    expect(sent.name).toBe("Renamed");
    expect("api_key" in sent).toBe(false);
    expect("pagination" in sent).toBe(false);
  });
});
