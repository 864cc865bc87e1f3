import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { fakeFetch, renderAs, type FakeCall } from "../test/helpers";
import { ConnectorDataTabs } from "./ConnectorDataTabs";

let saved: Blob[] = [];
let clicked: string[] = [];

beforeEach(() => {
  saved = [];
  clicked = [];
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (blob: Blob) => (saved.push(blob), "blob:changes"), revokeObjectURL: () => undefined }));
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.download);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

// The feed's answers as the API writes them: an id beyond 2^53 must stay exact in the downloads.
const FIRST = `{"changes": [
  {"seq": 1, "op": "upsert", "id": 11, "external_id": "1", "data": {"id": 1, "name": "Ada", "big": 9007199254740993}, "last_synced_at": "2026-12-07T10:00:00Z", "deleted_at": null},
  {"seq": 2, "op": "delete", "id": 12, "external_id": "2", "data": null, "last_synced_at": "2026-12-07T10:00:00Z", "deleted_at": "2026-12-07T11:00:00Z"}
], "next_after": 2, "has_more": true}`;
const SECOND = `{"changes": [{"seq": 3, "op": "upsert", "id": 13, "external_id": "3", "data": {"id": 3}, "last_synced_at": "2026-12-07T10:00:00Z", "deleted_at": null}], "next_after": 3, "has_more": false}`;

function api() {
  return fakeFetch((call: FakeCall) => {
    const url = new URL(call.url, "http://ui.test");
    if (url.pathname !== "/api/demo-extension/connectors/7/changes/") return { status: 404, body: { detail: "Not found." } };
    const after = url.searchParams.get("after");
    if (after === "0") return { text: FIRST };
    if (after === "2") return { text: SECOND };
    return { text: `{"changes": [], "next_after": ${after}, "has_more": false}` };
  });
}

const renderTab = (address = "/connectors/7?tab=changes") => renderAs("viewer", <ConnectorDataTabs connectorId={7} />, address, "/connectors/:id");

describe("the change feed tab", () => {
  it("shows the feed's operations from the start, a delete as a tombstone, and says more follow", async () => {
    const calls = api();
    renderTab();
    const table = await screen.findByRole("table", { name: "Changes" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/changes/?after=0&limit=50");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getAllByRole("cell")[1]!.textContent)).toEqual(["UPSERT", "DELETE"]);
    expect(within(rows[1]!).getByText("none: a tombstone")).toBeTruthy();
    expect(within(rows[0]!).getByText(/"big": 9007199254740993/)).toBeTruthy();
    expect(screen.getByTestId("changes-summary").textContent).toBe(
      "2 changes after sequence 0: 1 to 2, 1 delete. More follow: next_after is 2. The downloads hold this page.",
    );
    expect(screen.getByRole("tab", { name: "Changes" }).getAttribute("aria-selected")).toBe("true");
  });

  it("pages through the feed with next_after, keeping the position in the address, and back to the start", async () => {
    const calls = api();
    const { router } = renderTab();
    await screen.findByRole("table", { name: "Changes" });
    fireEvent.click(screen.getByRole("button", { name: "Next changes →" }));
    await waitFor(() => expect(screen.getByTestId("changes-summary").textContent).toContain("1 change after sequence 2: 3 to 3. The end of the feed for now."));
    expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/7/changes/?after=2&limit=50");
    expect(router.state.location.search).toBe("?tab=changes&c_after=2");
    expect((screen.getByRole("button", { name: "Next changes →" }) as HTMLButtonElement).disabled).toBe(true);
    // Next is disabled at the end: the new page's summary has the focus, not the page's body
    expect(document.activeElement).toBe(screen.getByTestId("changes-summary"));
    fireEvent.click(screen.getByRole("button", { name: "← From the start" }));
    await waitFor(() => expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/7/changes/?after=0&limit=50"));
    expect(router.state.location.search).toBe("?tab=changes");
  });

  it("starts after a typed sequence and reads the page size and position from the address, ignoring junk", async () => {
    const calls = api();
    renderTab("/connectors/7?tab=changes&c_after=2&c_limit=500");
    await screen.findByRole("table", { name: "Changes" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/changes/?after=2&limit=500");
    fireEvent.change(screen.getByLabelText("After sequence"), { target: { value: "40" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    await waitFor(() => expect(screen.getByTestId("changes-summary").textContent).toBe("No change after sequence 40: the feed ends there."));
    expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/7/changes/?after=40&limit=500");

    // a thousand written with a separator is a thousand; junk is refused on the field, not read as 0
    fireEvent.change(screen.getByLabelText("After sequence"), { target: { value: "1,000" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    await waitFor(() => expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/7/changes/?after=1000&limit=500"));
    const asked = calls.length;
    fireEvent.change(screen.getByLabelText("After sequence"), { target: { value: "seq 5" } });
    fireEvent.click(screen.getByRole("button", { name: "Show" }));
    const field = screen.getByLabelText("After sequence");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(field.getAttribute("aria-describedby")!)!.textContent).toBe("A whole number: the change sequence to continue after (0 for the start).");
    expect(calls).toHaveLength(asked);

    const again = api();
    renderTab("/connectors/7?tab=changes&c_after=-3&c_limit=7");
    await waitFor(() => expect(again[0]?.url).toBe("/api/demo-extension/connectors/7/changes/?after=0&limit=50"));
  });

  it("downloads the page shown as NDJSON and CSV, numbers kept exact", async () => {
    api();
    renderTab();
    await screen.findByRole("table", { name: "Changes" });
    fireEvent.click(screen.getByRole("button", { name: "Download NDJSON" }));
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    expect(clicked).toEqual(["connector-7-changes-after-0.ndjson", "connector-7-changes-after-0.csv"]);
    const lines = (await saved[0]!.text()).trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"big":9007199254740993');
    expect(lines[1]).toBe(
      '{"seq":2,"op":"delete","id":12,"external_id":"2","data":null,"last_synced_at":"2026-12-07T10:00:00Z","deleted_at":"2026-12-07T11:00:00Z"}',
    );
    const csv = (await saved[1]!.text()).split("\r\n");
    expect(csv[0]).toBe("seq,op,id,external_id,last_synced_at,deleted_at,data");
    expect(csv[2]).toBe("2,delete,12,2,2026-12-07T10:00:00Z,2026-12-07T11:00:00Z,");
  });

  it("says when the feed is empty and offers no download of nothing", async () => {
    fakeFetch(() => ({ text: '{"changes": [], "next_after": 0, "has_more": false}' }));
    renderTab();
    await waitFor(() => expect(screen.getByTestId("changes-summary").textContent).toBe("No changes yet: a sync that stores records adds them here."));
    expect((screen.getByRole("button", { name: "Download NDJSON" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByRole("table", { name: "Changes" })).toBeNull();
  });
});
