import { fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { setTokens } from "../api/client";
import type { SyncedRecord } from "../api/types";
import { renderAs } from "../test/helpers";
import { noLiveRecordsReason } from "./ExportMenu";
import { RecordsTable } from "./RecordsTable";

interface Seen {
  url: string;
  headers: Record<string, string>;
}

const ROW: SyncedRecord = {
  id: 1,
  external_id: "1",
  data: { id: 1, name: "Ada", address: { city: "London" } },
  checksum: "x",
  first_synced_at: "2026-11-27T10:00:00Z",
  last_synced_at: "2026-11-27T10:00:00Z",
  last_sync_log: 1,
};

/** The records list answers JSON; the export answers `exportAnswer()`. */
function serve(exportAnswer: () => Response | Promise<Response>, rows: SyncedRecord[] = [ROW]): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      seen.push({ url, headers: { ...((init?.headers as Record<string, string> | undefined) ?? {}) } });
      if (url.includes("/export/")) return exportAnswer();
      return new Response(JSON.stringify({ count: rows.length, next: null, previous: null, results: rows }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
  return seen;
}

let saved: Blob[] = [];
let clicked: string[] = [];

beforeEach(() => {
  saved = [];
  clicked = [];
  setTokens({ access: "access-token", refresh: "refresh-token" });
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: (blob: Blob) => (saved.push(blob), "blob:export"), revokeObjectURL: () => undefined }));
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.download);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

// after a sync that ended SUCCESS: before any, the records card shows its empty state alone
const renderTable = () => renderAs("viewer", <RecordsTable connectorId={7} lastSync={{ id: 1, status: "SUCCESS" }} />, "/connectors/7", "/connectors/:id");

describe("downloading a connector's records", () => {
  it("points a loader that wants only what changed to the connector's change feed, beside the downloads", async () => {
    serve(() => new Response("", { status: 200 }));
    renderTable();
    const note = await screen.findByTestId("change-feed-note");
    expect(note.textContent?.replace(/\s+/g, " ")).toBe(
      "Only what changed since your last read: the change feed, GET /api/demo-extension/connectors/7/changes/?after=0, in change order with deletions as op: delete; continue with each answer's next_after (API documentation); the Changes tab pages through it.",
    );
    expect(within(note).getByRole("link", { name: "API documentation" }).getAttribute("href")).toBe("/api/docs/");
    expect(within(note).getByRole("link", { name: "Changes tab" }).getAttribute("href")).toBe("/connectors/7?tab=changes");
  });

  it("disables the downloads of a connector with no records, saying why, until deleted records are asked for", async () => {
    const seen = serve(() => new Response("", { status: 200, headers: { "Content-Type": "text/csv" } }), []);
    renderTable();
    const reason = await screen.findByTestId("download-empty");
    await vi.waitFor(() => expect(reason.textContent).toBe("No records yet: there is nothing to download until a sync stores some."));
    for (const name of ["Download NDJSON", "Download CSV", "Download raw CSV"]) {
      const button = screen.getByRole("button", { name }) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.getAttribute("aria-describedby")!.split(" ")).toContain(reason.id);
    }
    // drawn at the small buttons' scale beside them (styles.css .checkbox-compact)
    expect(screen.getByLabelText("Include deleted records").closest("label")?.className).toBe("checkbox checkbox-compact");
    fireEvent.click(screen.getByLabelText("Include deleted records"));
    expect((screen.getByRole("button", { name: "Download CSV" }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByTestId("download-scope").textContent).toContain("(only records marked deleted, if any)");
    expect(seen.some((call) => call.url.includes("/export/"))).toBe(false);
  });

  it("says when every stored record is marked deleted, pointing to Include deleted records, instead of \"No records yet\"", async () => {
    const deleted = { ...ROW, deleted_at: "2026-12-06T08:00:00Z" };
    const seen: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const url = String(input);
        seen.push(url);
        const rows = url.includes("include_deleted=true") ? Array.from({ length: 500 }, () => deleted) : [];
        return new Response(JSON.stringify({ count: rows.length, next: null, previous: null, results: rows.slice(0, 1) }), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        });
      }),
    );
    renderTable();
    const reason = await screen.findByTestId("download-empty");
    await vi.waitFor(() => expect(reason.textContent).toBe("All 500 stored records are marked deleted: tick Include deleted records to download them."));
    expect(seen).toContain("/api/demo-extension/connectors/7/records/?include_deleted=true&page_size=1");
    expect((screen.getByRole("button", { name: "Download CSV" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByLabelText("Include deleted records"));
    expect((screen.getByRole("button", { name: "Download CSV" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("says the truth while it does not know whether deleted records are stored", () => {
    expect(noLiveRecordsReason(null)).toBe("No live records: tick Include deleted records to download records marked deleted, if any.");
    expect(noLiveRecordsReason(1)).toBe("The 1 stored record is marked deleted: tick Include deleted records to download it.");
  });

  it("fetches the CSV with the bearer token in the header, never in the address, and saves the server's file", async () => {
    const seen = serve(
      () =>
        new Response("id,name\r\n1,Ada\r\n", {
          status: 200,
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="customers-7.csv"' },
        }),
    );
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    expect(await screen.findByTestId("download-done")).toHaveProperty("textContent", "Downloaded customers-7.csv (16 bytes).");
    const call = seen.find((c) => c.url.includes("/export/"))!;
    expect(call.url).toBe("/api/demo-extension/connectors/7/export/?format=csv");
    expect(call.url).not.toContain("access-token");
    expect(call.headers.Authorization).toBe("Bearer access-token");
    expect(clicked).toEqual(["customers-7.csv"]);
    expect(await saved[0]!.text()).toBe("id,name\r\n1,Ada\r\n");
  });

  it("keeps the focus on the download button while the file comes, and starts no second download meanwhile", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen = serve(async () => {
      await held;
      return new Response("id\r\n1\r\n", { status: 200, headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="customers-7.csv"' } });
    });
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    const button = screen.getByRole("button", { name: "Download CSV" }) as HTMLButtonElement;
    button.focus();
    fireEvent.click(button);
    expect(await screen.findByText(/Downloading CSV…/)).toBeTruthy();
    expect(button.disabled).toBe(false); // a disabled button would drop the focus to the page's start
    expect(button.getAttribute("aria-disabled")).toBe("true");
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    fireEvent.click(screen.getByRole("button", { name: "Download NDJSON" }));
    release();
    expect((await screen.findByTestId("download-done")).textContent).toMatch(/^Downloaded customers-7.csv /);
    expect(seen.filter((call) => call.url.includes("/export/"))).toHaveLength(1);
    expect(document.activeElement).toBe(button);
    expect(button.getAttribute("aria-disabled")).toBeNull();
  });

  it("says what the CSV does to formula-like cells, and downloads the raw CSV with spreadsheet_safe=false", async () => {
    const seen = serve(() => new Response("phone\r\n+1-555\r\n", { status: 200, headers: { "Content-Type": "text/csv" } }));
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    const note = screen.getByTestId("csv-note");
    expect(note.textContent).toContain("a text cell starting with =, +, - or @ gets a leading apostrophe");
    expect(note.textContent).toContain("Raw CSV: every cell as stored, for a database loader");
    for (const name of ["Download CSV", "Download raw CSV"]) {
      expect(screen.getByRole("button", { name }).getAttribute("aria-describedby")).toBe(note.id);
    }
    expect(screen.getByRole("button", { name: "Download NDJSON" }).getAttribute("aria-describedby")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Download raw CSV" }));
    await screen.findByTestId("download-done");
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    await vi.waitFor(() => expect(seen.filter((c) => c.url.includes("/export/"))).toHaveLength(2));
    const [raw, safe] = seen.filter((c) => c.url.includes("/export/")).map((c) => new URL(c.url, "http://x").searchParams);
    expect([raw!.get("format"), raw!.get("spreadsheet_safe")]).toEqual(["csv", "false"]);
    expect([safe!.get("format"), safe!.get("spreadsheet_safe")]).toEqual(["csv", null]);
    // Two files with different cells are never saved under one name.
    await vi.waitFor(() => expect(clicked).toEqual(["connector-7-raw.csv", "connector-7.csv"]));
  });

  it("sends the chosen columns as fields and asks for deleted records when ticked", async () => {
    const seen = serve(() => new Response('{"id":1}\n', { status: 200, headers: { "Content-Type": "application/x-ndjson" } }));
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.click(screen.getByRole("checkbox", { name: "name" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "Include deleted records" }));
    fireEvent.click(screen.getByRole("button", { name: "Download NDJSON" }));
    await screen.findByTestId("download-done");
    const call = seen.find((c) => c.url.includes("/export/"))!;
    expect(new URL(call.url, "http://x").searchParams.get("fields")).toBe("id,address.city");
    expect(new URL(call.url, "http://x").searchParams.get("include_deleted")).toBe("true");
    expect(new URL(call.url, "http://x").searchParams.get("format")).toBe("ndjson");
    expect(clicked).toEqual(["connector-7.ndjson"]);
  });

  it("downloads the records the table's search by a field finds, and says so", async () => {
    const seen = serve(() => new Response("{}\n", { status: 200 }));
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    expect(screen.getByTestId("download-scope").textContent).toBe("Every record, all fields, in the order they last changed");
    fireEvent.change(screen.getByLabelText("Search in"), { target: { value: "name" } });
    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "Ada" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await vi.waitFor(() => expect(screen.getByTestId("download-scope").textContent).toBe('Records whose name contains "Ada", all fields, in the order they last changed'));
    fireEvent.click(screen.getByRole("button", { name: "Download NDJSON" }));
    await screen.findByTestId("download-done");
    const query = new URL(seen.find((c) => c.url.includes("/export/"))!.url, "http://x").searchParams;
    expect([query.get("field"), query.get("value")]).toEqual(["name", "Ada"]);
  });

  it("says a search by external id does not apply to the download, and sends none", async () => {
    const seen = serve(() => new Response("{}\n", { status: 200 }));
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.change(screen.getByRole("searchbox"), { target: { value: "42" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await vi.waitFor(() =>
      expect(screen.getByTestId("download-scope").textContent).toBe("Every record (the search by external id does not apply), all fields, in the order they last changed"),
    );
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    await screen.findByTestId("download-done");
    const query = new URL(seen.find((c) => c.url.includes("/export/"))!.url, "http://x").searchParams;
    expect([query.get("field"), query.get("value")]).toEqual([null, null]);
  });

  it("shows the API's refusal and saves nothing", async () => {
    serve(() => new Response(JSON.stringify({ detail: "fields: an empty field name (check the commas)." }), { status: 400 }));
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("Download failed: fields: an empty field name (check the commas).")).toBeTruthy();
    expect(clicked).toEqual([]);
    expect(saved).toEqual([]);
  });

  it("renews an expired access token once and repeats the download with the new one", async () => {
    let exports = 0;
    const seen = serve(() => {
      exports += 1;
      return exports === 1
        ? new Response(JSON.stringify({ detail: "Token expired." }), { status: 401 })
        : new Response("id\r\n1\r\n", { status: 200, headers: { "Content-Type": "text/csv" } });
    });
    const realFetch = globalThis.fetch;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) =>
        String(input) === "/api/auth/token/refresh/"
          ? new Response(JSON.stringify({ access: "new-access" }), { status: 200 })
          : realFetch(input, init),
      ),
    );
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    await screen.findByTestId("download-done");
    const auths = seen.filter((c) => c.url.includes("/export/")).map((c) => c.headers.Authorization);
    expect(auths).toEqual(["Bearer access-token", "Bearer new-access"]);
    expect(clicked).toEqual(["connector-7.csv"]);
  });
});
