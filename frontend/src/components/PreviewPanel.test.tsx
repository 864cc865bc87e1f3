import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { parseJsonExact } from "../api/exactJson";
import type { JsonValue, Preview, PreviewRecord } from "../api/types";
import { notCompared, previewBody } from "../test/helpers";
import { ChangesSummary, cursorKind, PREVIEW_RECORDS_SHOWN, PreviewPanel, PreviewRecordsTable } from "./PreviewPanel";

const records = (n: number): PreviewRecord[] =>
  Array.from({ length: n }, (_, i) => ({ raw: { id: i + 1, name: `User ${i + 1}` }, transformed: { id: i + 1, full_name: `User ${i + 1}` }, error: null, ...notCompared() }));

const rows = () => within(screen.getByRole("region", { name: "Sample" })).getAllByRole("row").slice(1);

describe("the preview's records", () => {
  it("show the first three of twenty, the rest on request and back, so the page stays short", () => {
    render(<PreviewRecordsTable records={records(20)} label="Sample" />);
    expect(PREVIEW_RECORDS_SHOWN).toBe(3);
    expect(rows()).toHaveLength(3);
    const more = screen.getByRole("button", { name: "Show all 20 records (17 more)" });
    expect(more.getAttribute("aria-expanded")).toBe("false");
    expect(document.getElementById(more.getAttribute("aria-controls")!)?.tagName).toBe("TBODY");
    fireEvent.click(more);
    expect(rows()).toHaveLength(20);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    expect(more.textContent).toBe("Show the first 3 records only");
    expect(within(rows()[19]!).getAllByRole("cell")[0]!.textContent).toBe("20");
    fireEvent.click(more);
    expect(rows()).toHaveLength(3);
  });

  it("are a table in the app's one table style (its headers as every other table's)", () => {
    render(<PreviewRecordsTable records={records(2)} label="Sample" />);
    expect(within(screen.getByRole("region", { name: "Sample" })).getByRole("table").classList.contains("table")).toBe(true);
  });

  it("offer no button when every record is shown already", () => {
    render(<PreviewRecordsTable records={records(3)} label="Sample" />);
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole("button", { name: /^Show all/ })).toBeNull();
  });
});

describe("numbers in the preview's records", () => {
  it("show as the API sent them: big integers and decimals a double cannot hold, a changed one marked", () => {
    const raw = parseJsonExact('{"id": 9007199254740993, "p": 0.1000000000000000055511151231257827, "far": 1e400, "pi": 3.14}') as JsonValue;
    const transformed = parseJsonExact('{"id": 9007199254740993, "p": 0.1000000000000000055511151231257828, "far": 1e400, "pi": 3.14}') as JsonValue;
    render(<PreviewRecordsTable records={[{ raw, transformed, error: null, ...notCompared() }]} label="Sample" compare />);
    const region = screen.getByRole("region", { name: "Sample" });
    expect(within(region).getAllByText("9007199254740993").length).toBeGreaterThan(0);
    expect(within(region).getByText("0.1000000000000000055511151231257827")).toBeTruthy();
    expect(within(region).getByText("0.1000000000000000055511151231257828").closest("div")?.className).toBe("entry-changed");
    expect(within(region).getAllByText("1e400").length).toBeGreaterThan(0);
    expect(within(region).getAllByText("3.14").length).toBeGreaterThan(0);
    expect(region.querySelector("pre")?.textContent).toContain('"p": 0.1000000000000000055511151231257827,');
  });
});

describe("a saved connector's preview against the stored records", () => {
  const compared: PreviewRecord[] = [
    { raw: { id: 1 }, transformed: { id: 1 }, error: null, change: "unchanged", changed_fields: [], more_changed_fields: 0 },
    { raw: { id: 2, score: 2 }, transformed: { id: 2, score: 2 }, error: null, change: "changed", changed_fields: ["score", "address.city"], more_changed_fields: 3 },
    { raw: { id: 3 }, transformed: { id: 3 }, error: null, change: "restored", changed_fields: [], more_changed_fields: 0 },
    { raw: { n: "x" }, transformed: null, error: "no key", change: null, changed_fields: [], more_changed_fields: 0 },
  ];

  it("says for each record what the next sync does with it, and which fields it would update", () => {
    render(<PreviewRecordsTable records={compared} label="Sample" initial={4} />);
    expect(screen.getByRole("columnheader", { name: "Next sync" })).toBeTruthy();
    const cells = rows().map((row) => within(row).getAllByRole("cell")[3]!.textContent);
    expect(cells).toEqual(["UNCHANGED", "CHANGEDscore, address.city and 3 more", "RESTOREDA full refresh had marked it deleted.", "Not stored"]);
  });

  it("has no such column for an unsaved connector's preview (nothing to compare with)", () => {
    render(<PreviewRecordsTable records={records(2)} label="Sample" />);
    expect(screen.queryByRole("columnheader", { name: "Next sync" })).toBeNull();
  });

  it("sums it up in one line, leaving out what is zero", () => {
    render(<ChangesSummary changes={{ compared: 20, new: 3, changed: 2, unchanged: 15, restored: 0 }} />);
    expect(screen.getByTestId("preview-changes").textContent).toBe(
      "Against the records stored now, a sync of these 20 sample records would create 3 records, update 2 records, leave 15 records unchanged.",
    );
  });

  it("says nothing when nothing was compared", () => {
    const { container } = render(<ChangesSummary changes={null} />);
    expect(container.textContent).toBe("");
  });
});

describe("a preview waiting for the upstream", () => {
  afterEach(() => vi.useRealTimers());

  it("counts the seconds it has waited, every second, and stops counting when the answer comes", async () => {
    vi.useFakeTimers();
    let answer: (preview: Preview) => void = () => {};
    const run = () => new Promise<Preview>((resolve) => (answer = resolve));
    const noop = () => {};
    render(<PreviewPanel run={run} onPinPagination={noop} onPickPrimaryKey={noop} onPickCursor={noop} primaryKey="id" cursorField="" />);
    expect(screen.queryByTestId("preview-waiting")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Fetch a preview" }));
    expect(screen.getByRole("button", { name: "Fetching the preview…" })).toBeTruthy();
    expect(screen.getByTestId("preview-waiting").textContent).toBe("Waiting for the API: 0 s so far.");
    act(() => void vi.advanceTimersByTime(3000));
    expect(screen.getByTestId("preview-waiting").textContent).toBe("Waiting for the API: 3 s so far.");
    await act(async () => answer({ ok: false, error: "HTTP 503", status_code: 503 } as Preview));
    expect(screen.queryByTestId("preview-waiting")).toBeNull();
    // a second preview counts from 0 again
    fireEvent.click(screen.getByRole("button", { name: "Preview again" }));
    expect(screen.getByTestId("preview-waiting").textContent).toBe("Waiting for the API: 0 s so far.");
  });
});

describe("the preview's cursor candidates", () => {
  it("say what each is: a timestamp, a Unix time or a growing id, not a bare 'number'", () => {
    expect(cursorKind({ path: "updated_at", kind: "timestamp", min: "2026-12-01T00:00:00Z", max: "2026-12-03T00:00:00Z", increasing: true })).toBe("timestamp");
    expect(cursorKind({ path: "synced", kind: "number", min: 1733572801.25, max: 1733572803.25, increasing: true })).toBe("Unix time");
    expect(cursorKind({ path: "ts_ms", kind: "number", min: 1733572801000, max: 1733572803000, increasing: true })).toBe("Unix time");
    expect(cursorKind({ path: "id", kind: "number", min: 1, max: 3, increasing: true })).toBe("whole number (an id or a sequence)");
  });
});

describe("a preview the API's rate limit stopped", () => {
  const noop = () => {};
  const panel = (answer: Preview) =>
    render(<PreviewPanel run={async () => answer} onPinPagination={noop} onPickPrimaryKey={noop} onPickCursor={noop} primaryKey="id" cursorField="" />);
  const limited = (overrides: Partial<Preview>) =>
    previewBody({ ok: false, pagination: null, records: [], fields: [], warnings: [], response_time_ms: null, ...overrides });

  it("says when to try again once, as a warning, without 'try again later' under the time", async () => {
    panel(limited({ error: "HTTP 429 from https://api.example.com/users after 1 attempt", status_code: 429, retry_after: 45 }));
    fireEvent.click(screen.getByRole("button", { name: "Fetch a preview" }));
    const result = await screen.findByTestId("preview-error");
    expect(within(result).getByRole("heading", { name: "Rate limited by the API (429)" })).toBeTruthy();
    expect(within(result).getByTestId("retry-after").textContent).toMatch(/^Try again after \d\d:\d\d:\d\d \S+ \(in 45 s\): the API asked to wait until then\.$/);
    expect(result.textContent).not.toMatch(/try again later/i);
    expect(within(result).getByText("If the API keeps limiting the rate, give the connector a lower requests per second.")).toBeTruthy();
    // a rate limit, not a failure of the settings
    expect(within(result).getByText(/^HTTP 429 from/).className).toBe("banner banner-warning");
  });

  it("heads a preview that sent nothing, the connector being paused, as waiting, not as unreadable", async () => {
    const message = "Not previewed: the API asked to slow down (an HTTP 429 or Retry-After), so every request of this connector is paused for another 43 s. Try again after that.";
    panel(limited({ error: message, status_code: null, retry_after: 43 }));
    fireEvent.click(screen.getByRole("button", { name: "Fetch a preview" }));
    const result = await screen.findByTestId("preview-error");
    expect(within(result).getByRole("heading", { name: "Waiting for the API's rate limit" })).toBeTruthy();
    expect(within(result).queryByRole("heading", { name: "The API could not be read" })).toBeNull();
    // its message says for how long already: no second time, no hint
    expect(within(result).queryByTestId("retry-after")).toBeNull();
    expect(within(result).getByText(message).className).toBe("banner banner-warning");
    expect(result.querySelector(".hint")).toBeNull();
  });
});
