import { act, fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { createConnector, previewConnector } from "../api/api";
import { ApiError } from "../api/client";
import type { ConnectorInput, Preview } from "../api/types";
import { connector, fakeFetch, notCompared, previewBody, renderInRouter, type FakeCall } from "../test/helpers";
import { apiJsonLength, buildErrorDetection, buildPagination, errorDetectionValuesOf, requestBodyToSend } from "./connectorConfig";
import { ConnectorWizard } from "./ConnectorWizard";

function renderWizard(
  onSubmit: (input: ConnectorInput) => Promise<void> = vi.fn(async () => {}),
  onPreview: (input: ConnectorInput) => Promise<Preview> = vi.fn(async () => {
    throw new Error("no preview in this test");
  }),
) {
  const onCancel = vi.fn();
  const { router } = renderInRouter(<ConnectorWizard onSubmit={onSubmit} onCancel={onCancel} onPreview={onPreview} />);
  return { onSubmit, onCancel, onPreview, router };
}

/** The wizard's Back / Next / Cancel row: a role query there reads three buttons, not the form's
 * every one (a query over the whole wizard, run by most steps of every test, is what makes the
 * file slow on a loaded machine). */
const actions = () => within(document.querySelector<HTMLElement>(".wizard-actions")!);
const next = () => fireEvent.click(actions().getByRole("button", { name: "Next" }));
const heading = () => screen.getByRole("heading", { level: 2 }).textContent;

function fillFirstStep() {
  fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Billing" } });
  fireEvent.change(screen.getByLabelText("API endpoint"), { target: { value: "https://api.example.com/invoices" } });
}

describe("the new connector wizard", () => {
  it("refuses to leave the first step without a name and endpoint, and focuses the first invalid field", () => {
    renderWizard();
    next();
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    const name = screen.getByLabelText("Name");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(name);
    expect(screen.getByText("Give the connector a name.")).toBeTruthy();
    expect(screen.getByText("2 fields need attention before the next step.")).toBeTruthy();
  });

  it("lists its steps by name for screen readers, the current one marked, its number not read twice", () => {
    renderWizard();
    fillFirstStep();
    next();
    const steps = screen.getByRole("list", { name: "Steps" });
    const items = within(steps).getAllByRole("listitem");
    // on a phone the labels are visually hidden (the heading under the list names the step): they stay in the list
    expect(items.map((item) => item.querySelector(".step-label")?.textContent)).toEqual(["Endpoint and authentication", "Preview", "Records and transformation", "Requests and schedule"]);
    expect(items.map((item) => item.getAttribute("aria-current"))).toEqual([null, "step", null, null]);
    expect(items[0]!.className).toBe("done");
    expect(items[1]!.querySelector(".step-number")!.getAttribute("aria-hidden")).toBe("true");
  });

  it("fetches the preview once on entering its step, saying so while it loads, and focuses the result", async () => {
    let answer: (preview: Preview) => void = () => {};
    const onPreview = vi.fn((_input: ConnectorInput) => new Promise<Preview>((resolve) => (answer = resolve)));
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    expect(heading()).toBe("Step 2 of 4: Preview");
    expect(screen.getByRole("listitem", { current: "step" }).textContent).toContain("Preview");
    expect((screen.getByRole("button", { name: "Fetching the preview…" }) as HTMLButtonElement).disabled).toBe(true);
    expect(onPreview).toHaveBeenCalledTimes(1);
    expect(onPreview.mock.calls[0]![0]).toMatchObject({ name: "Billing", api_endpoint: "https://api.example.com/invoices" });
    await act(async () => answer(previewBody()));
    expect(await screen.findByTestId("preview-result")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Preview again" })).toBeTruthy();
    expect(onPreview).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(document.activeElement?.textContent).toBe("50 records in 2 pages (8 ms)"));
  });

  it("leaves the focus on a control the user went to while the automatic preview loaded", async () => {
    let answer: (preview: Preview) => void = () => {};
    renderWizard(undefined, () => new Promise<Preview>((resolve) => (answer = resolve)));
    fillFirstStep();
    next();
    const nextButton = actions().getByRole("button", { name: "Next" });
    nextButton.focus();
    await act(async () => answer(previewBody()));
    await screen.findByTestId("preview-result");
    expect(document.activeElement).toBe(nextButton);
  });

  it("goes back while the automatic preview loads and drops its late refusal; a failed one does not hold Back", async () => {
    let refuse: (error: Error) => void = () => {};
    const onPreview = vi.fn(() => new Promise<Preview>((_, reject) => (refuse = reject)));
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    const endpoint = screen.getByLabelText("API endpoint");
    await act(async () =>
      refuse(new ApiError(400, "api_endpoint: Refused.", { detail: "api_endpoint: Refused.", errors: { api_endpoint: ["Refused."] } })),
    );
    expect(screen.queryByText("Refused.")).toBeNull();
    expect(endpoint.getAttribute("aria-invalid")).toBeNull();
    // entering the step again fetches again; its failure shows, and Back still goes back
    onPreview.mockImplementation(async () =>
      previewBody({ ok: false, error: "HTTP 500 from https://api.example.com/invoices after 1 attempt", status_code: 500, pagination: null, records: [], fields: [], warnings: [] }),
    );
    next();
    expect(await screen.findByTestId("preview-error")).toBeTruthy();
    expect(onPreview).toHaveBeenCalledTimes(2);
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
  });

  it("hides the API key for No authentication and sends none", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    expect(screen.queryByLabelText("API key")).toBeNull();
    next();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent.auth_type).toBe("none");
    expect("api_key" in sent).toBe(false);
  });

  it("sends mappings, pagination fields, headers, query parameters, incremental cursor and schedule as the API's shapes", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("API key"), { target: { value: "k-123" } });
    next();
    next();
    // queries inside the rules only: each query over the whole wizard costs a walk of all of it
    const rules = within(screen.getByTestId("rules-editor"));
    fireEvent.click(rules.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(rules.getByLabelText("Source path (rule 1)"), { target: { value: "customer_id" } });
    fireEvent.change(rules.getByLabelText("Target field (rule 1)"), { target: { value: "id" } });
    fireEvent.change(rules.getByLabelText("Convert to (rule 1)"), { target: { value: "int" } });
    fireEvent.click(rules.getByLabelText("Required (rule 1)"));
    next();
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "page" } });
    fireEvent.change(screen.getByLabelText("Page parameter"), { target: { value: "p" } });
    fireEvent.change(screen.getByLabelText("Page size"), { target: { value: "250" } });
    fireEvent.click(screen.getByText((_, element) => element?.tagName === "BUTTON" && element.textContent?.startsWith("Add a row to Request headers") === true));
    fireEvent.change(screen.getByLabelText("Name 1"), { target: { value: "Accept" } });
    fireEvent.change(screen.getByLabelText("Value 1"), { target: { value: "application/json" } });
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "updated_at" } });
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "since" } });
    fireEvent.change(screen.getByLabelText("Max pages per sync"), { target: { value: "40" } });
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "HOURLY" } });
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "00:15" } });
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect((onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toEqual({
      name: "Billing",
      api_endpoint: "https://api.example.com/invoices",
      api_key: "k-123",
      auth_type: "bearer",
      records_path: null,
      primary_key: "id",
      transformation_rules: { field_mappings: { customer_id: "id" }, type_conversions: { id: "int" }, required: ["id"] },
      pagination: { type: "page", page_param: "p", page_size: 250 },
      request_headers: { Accept: "application/json" },
      query_params: {},
      request_method: "GET",
      request_body: {},
      incremental: { cursor_field: "updated_at", param: "since" },
      max_pages: 40,
      max_sync_seconds: null,
      max_requests_per_second: null,
      max_concurrent_requests: 4,
      max_requests_per_sync: null,
      error_detection: {},
      sync_frequency: "HOURLY",
      sync_time: "00:15",
      sync_weekday: null,
      is_active: true,
    });
  });

  it("schedules a weekly connector on a day at a UTC time", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    next();
    next();
    next();
    expect(screen.queryByLabelText("On")).toBeNull();
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "WEEKLY" } });
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "0" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect((onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toMatchObject({
      sync_frequency: "WEEKLY",
      sync_time: "06:30",
      sync_weekday: 0,
    });
  });

  it("refuses a weekly time without a day before creating, saying so at the day", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    next();
    next();
    next();
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "WEEKLY" } });
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    const day = screen.getByLabelText("On");
    await vi.waitFor(() => expect(day.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("wizard-sync_weekday-error")?.textContent).toBe(
      "Choose a day for a weekly schedule at a set time, or clear the time.",
    );
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("promises no scheduled syncs beside Active when the frequency is Manual", () => {
    renderWizard();
    fillFirstStep();
    next();
    next();
    next();
    const active = screen.getByLabelText("Active: sync on this schedule");
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "MANUAL" } });
    expect(screen.getByLabelText("Active (no schedule with Manual: syncs run only when started)")).toBe(active);
  });

  it("fills pagination and authentication from a template", () => {
    renderWizard();
    fireEvent.click(screen.getByRole("button", { name: "Offset / limit" }));
    expect((screen.getByLabelText("Authentication") as HTMLSelectElement).value).toBe("header");
    expect((screen.getByLabelText("Header name") as HTMLInputElement).value).toBe("X-API-Key");
    fillFirstStep();
    next();
    next();
    next();
    expect((screen.getByLabelText("Pagination") as HTMLSelectElement).value).toBe("offset");
    expect((screen.getByLabelText("Limit (page size)") as HTMLInputElement).value).toBe("100");
  });

  it("shows sample records before and after the rules through the preview API, with the rules as they stand", async () => {
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody());
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(screen.getByLabelText("Source path (rule 1)"), { target: { value: "address.city" } });
    fireEvent.change(screen.getByLabelText("Target field (rule 1)"), { target: { value: "city" } });
    fireEvent.click(screen.getByRole("button", { name: "Show before / after" }));
    const section = screen.getByTestId("before-after");
    const table = await within(section).findByRole("region", { name: "Sample records before and after the rules" });
    // the last call: the preview step fetched its own on the way
    expect(onPreview.mock.lastCall?.[0].transformation_rules).toEqual({ field_mappings: { "address.city": "city" } });
    expect(within(table).getByRole("columnheader", { name: "Before" })).toBeTruthy();
    expect(within(table).getByRole("columnheader", { name: "After the rules" })).toBeTruthy();
    expect(within(table).getByText("Quarantined: required field 'email' is missing")).toBeTruthy();
    // What the rules did comes first, marked: new fields after, dropped ones before.
    const [before, after] = within(table).getAllByRole("row")[1]!.querySelectorAll("td:nth-child(2) dl, td:nth-child(3) dl");
    expect(Array.from(after!.querySelectorAll("dt"), (dt) => dt.textContent)).toEqual(["full_name (new)", "city (new)", "id"]);
    expect(Array.from(before!.querySelectorAll("dt"), (dt) => dt.textContent)).toEqual(["name (dropped)", "address (dropped)", "id"]);
    expect(within(table).getAllByText("After JSON")).toHaveLength(1); // the quarantined record has no "after"
    const heading = within(section).getByRole("heading", { name: "2 sample records, 1 quarantined by the rules" });
    await vi.waitFor(() => expect(document.activeElement).toBe(heading));
  });

  it("flags a rule's source path that no previewed record has, naming the closest field, as it is typed", async () => {
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody());
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    await screen.findByTestId("preview-result");
    next();
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    const source = screen.getByLabelText("Source path (rule 1)");
    fireEvent.change(source, { target: { value: "adress.city" } });
    const note = screen.getByTestId("rule-1-sample-note");
    expect(note.textContent).toBe("No sample record has adress.city: did you mean address.city?");
    expect(source.getAttribute("aria-describedby")?.split(" ")).toContain(note.id);
    expect(source.getAttribute("aria-invalid")).toBeNull(); // a warning: the rule can still be saved
    fireEvent.change(source, { target: { value: "address.city" } });
    expect(screen.queryByTestId("rule-1-sample-note")).toBeNull();
    fireEvent.change(source, { target: { value: "name" } }); // top-level, in the raw records only
    expect(screen.queryByTestId("rule-1-sample-note")).toBeNull();
    // another records path reads other records: the sample says nothing about them
    fireEvent.change(source, { target: { value: "adress.city" } });
    fireEvent.change(screen.getByLabelText("Records path"), { target: { value: "root" } });
    expect(screen.queryByTestId("rule-1-sample-note")).toBeNull();
  });

  it("offers the previewed records' field paths as each rule's source path is typed, and none before a preview", async () => {
    let answer = previewBody({ ok: false, error: "HTTP 503 from https://api.example.com/invoices after 1 attempt", status_code: 503, fields: [], records: [] });
    renderWizard(undefined, vi.fn(async () => answer));
    fillFirstStep();
    next();
    await screen.findByTestId("preview-error");
    next();
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    expect(screen.getByLabelText("Source path (rule 1)").getAttribute("list")).toBeNull();
    expect(screen.queryByTestId("rule-source-suggestions")).toBeNull();
    answer = previewBody();
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    await screen.findByTestId("preview-result");
    next();
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    const suggestions = screen.getByTestId("rule-source-suggestions");
    expect(suggestions.tagName).toBe("DATALIST");
    expect(Array.from(suggestions.querySelectorAll("option"), (option) => option.value)).toEqual(["id", "address.city"]);
    for (const n of [1, 2]) expect(screen.getByLabelText(`Source path (rule ${n})`).getAttribute("list")).toBe(suggestions.id);
    // the target field is a new name: nothing offered there
    expect(screen.getByLabelText("Target field (rule 1)").getAttribute("list")).toBeNull();
  });

  it("keeps checking the rules against the preview after its detected pagination and records path are pinned", async () => {
    renderWizard(undefined, vi.fn(async (_input: ConnectorInput) => previewBody()));
    fillFirstStep();
    next();
    const result = await screen.findByTestId("preview-result");
    fireEvent.click(within(result).getByRole("button", { name: "Pin this pagination" }));
    fireEvent.click(within(result).getByRole("button", { name: "Use this records path" }));
    next();
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    const source = screen.getByLabelText("Source path (rule 1)");
    // the pinned settings read the records the preview read: its sample still speaks for them
    expect(source.getAttribute("list")).toBe(screen.getByTestId("rule-source-suggestions").id);
    fireEvent.change(source, { target: { value: "adress.city" } });
    expect(screen.getByTestId("rule-1-sample-note").textContent).toBe("No sample record has adress.city: did you mean address.city?");
    // a setting of another reading still leaves the preview behind
    fireEvent.change(screen.getByLabelText("Records path"), { target: { value: "root" } });
    expect(screen.queryByTestId("rule-1-sample-note")).toBeNull();
  });

  it("says on the before side that a nested source is copied and stays, where a top-level one is dropped", async () => {
    // what the sync does (sync_engine/transform.py): name → full_name removes name, but
    // address.city → city keeps address (and its city) in the stored record
    const records = [
      {
        raw: { id: 1, name: "Ada", address: { city: "Lyon", zip: "69001" } },
        transformed: { id: 1, address: { city: "Lyon", zip: "69001" }, full_name: "Ada", city: "Lyon" },
        error: null,
        ...notCompared(),
      },
    ];
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody({ records }));
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    next();
    const hint = within(screen.getByTestId("rules-editor")).getByText(/A nested source is copied/);
    expect(hint.textContent).toMatch(/name → full_name removes name\. A nested source is copied: address\.city → city keeps address and its city in the record\./);
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(screen.getByLabelText("Source path (rule 1)"), { target: { value: "name" } });
    fireEvent.change(screen.getByLabelText("Target field (rule 1)"), { target: { value: "full_name" } });
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(screen.getByLabelText("Source path (rule 2)"), { target: { value: "address.city" } });
    fireEvent.change(screen.getByLabelText("Target field (rule 2)"), { target: { value: "city" } });
    fireEvent.click(screen.getByRole("button", { name: "Show before / after" }));
    const table = await within(screen.getByTestId("before-after")).findByRole("region", { name: "Sample records before and after the rules" });
    const [before, after] = within(table).getAllByRole("row")[1]!.querySelectorAll("td:nth-child(2) dl, td:nth-child(3) dl");
    expect(Array.from(before!.querySelectorAll("dt"), (dt) => dt.textContent)).toEqual([
      "name (dropped)",
      "address.city (copied to city; nested sources stay in the record)",
      "id",
      "address",
    ]);
    expect(before!.querySelector(".entry-copied dd")!.textContent).toBe("Lyon");
    expect(Array.from(after!.querySelectorAll("dt"), (dt) => dt.textContent)).toEqual(["full_name (new)", "city (new)", "id", "address"]);
  });

  it("does not fetch the before/after while a rule has a problem, and marks the rule", async () => {
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody());
    renderWizard(undefined, onPreview);
    fillFirstStep();
    next();
    next();
    expect(onPreview).toHaveBeenCalledTimes(1); // the preview step's own
    fireEvent.click(screen.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(screen.getByLabelText("Source path (rule 1)"), { target: { value: "name" } });
    fireEvent.click(screen.getByRole("button", { name: "Show before / after" }));
    const target = screen.getByLabelText("Target field (rule 1)");
    await vi.waitFor(() => expect(target.getAttribute("aria-invalid")).toBe("true"));
    expect(onPreview).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(target);
  });

  it("goes back to the step of a field the API refused and focuses it", async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(400, "api_endpoint: Private addresses are not allowed.", {
        detail: "api_endpoint: Private addresses are not allowed.",
        errors: { api_endpoint: ["Private addresses are not allowed."] },
      });
    });
    renderWizard(onSubmit);
    fillFirstStep();
    next();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText("Private addresses are not allowed.")).toBeTruthy();
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    expect(screen.getByText("Not saved: one field needs attention.")).toBeTruthy();
    expect(screen.queryByText(/api_endpoint:/)).toBeNull();
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("API endpoint")));
  });

  it("refuses rules as JSON that do not parse before calling the API, on the JSON field", () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const json = screen.getByLabelText("Rules as JSON");
    fireEvent.change(json, { target: { value: "{nope" } });
    next();
    expect(heading()).toBe("Step 3 of 4: Records and transformation");
    expect(screen.getByText(/^Not valid JSON/)).toBeTruthy();
    expect(json.getAttribute("aria-invalid")).toBe("true");
    expect(json.getAttribute("aria-describedby")).toContain("wizard-rules-json-error");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("asks before leaving with something typed, and stays when told to", async () => {
    const { router } = renderWizard();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Half-typed" } });
    await act(async () => {
      await router.navigate("/elsewhere");
    });
    const dialog = screen.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Stay on this page" }));
    fireEvent.click(within(dialog).getByRole("button", { name: "Stay on this page" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("Half-typed");
    expect(router.state.location.pathname).toBe("/");
    await act(async () => {
      await router.navigate("/elsewhere");
    });
    fireEvent.click(screen.getByRole("button", { name: "Discard and leave" }));
    expect(await screen.findByText("elsewhere")).toBeTruthy();
  });

  it("leaves without asking once the connector is created", async () => {
    let go: () => Promise<void> = async () => {};
    const onSubmit = vi.fn(async () => go());
    const { router } = renderWizard(onSubmit);
    go = async () => {
      await router.navigate("/elsewhere");
    };
    fillFirstStep();
    next();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText("elsewhere")).toBeTruthy();
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });
});

describe("the wizard's authentication step", () => {
  const labels = () => Array.from(document.querySelectorAll("form label, form .label-like")).map((label) => label.textContent?.trim());
  it.each([
    ["bearer", ["API key"], ["User name", "Header name", "Token URL"]],
    ["header", ["Header name", "API key"], ["User name", "Query parameter name"]],
    ["query", ["Query parameter name", "API key"], ["Header name", "User name"]],
    ["basic", ["User name", "Password (API key)"], ["API key", "Password (optional)"]],
    ["basic_key", ["API key (sent as the user name)", "Password (optional)"], ["User name", "Password (API key)"]],
    ["oauth2", ["Token URL", "Client id", "Client secret", "Scopes", "Audience (optional)", "Client authentication"], ["API key", "User name"]],
    ["none", [], ["API key", "User name", "Client secret", "Password (optional)"]],
  ])("shows the fields of %s and only those", (style, shown, hidden) => {
    renderWizard();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: style } });
    for (const label of shown) expect(screen.getByLabelText(label)).toBeTruthy();
    for (const label of hidden) expect(labels()).not.toContain(label);
  });

  it("sends the OAuth2 client credentials settings and the secret", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "oauth2" } });
    fireEvent.change(screen.getByLabelText("Token URL"), { target: { value: "https://login.example.com/token" } });
    fireEvent.change(screen.getByLabelText("Client id"), { target: { value: "app-1" } });
    fireEvent.change(screen.getByLabelText("Client secret"), { target: { value: "s3cret" } });
    fireEvent.change(screen.getByLabelText("Scopes"), { target: { value: "read write" } });
    fireEvent.change(screen.getByLabelText("Client authentication"), { target: { value: "client_secret_post" } });
    next();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent).toMatchObject({
      auth_type: "oauth2",
      oauth_token_url: "https://login.example.com/token",
      oauth_client_id: "app-1",
      oauth_client_secret: "s3cret",
      oauth_scopes: "read write",
      oauth_audience: "",
      oauth_client_auth: "client_secret_post",
    });
    expect("api_key" in sent).toBe(false);
  });

  it("sends the key as the Basic user name with an optional password, and a Basic user name with the key", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "basic_key" } });
    fireEvent.change(screen.getByLabelText("API key (sent as the user name)"), { target: { value: "sk_test_1" } });
    next();
    next();
    next();
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent.auth_type).toBe("basic_key");
    expect(sent.api_key).toBe("sk_test_1");
    expect("auth_password" in sent).toBe(false); // empty: not sent, the API's default (no password)
    expect("auth_username" in sent).toBe(false);
  });
});

describe("the wizard's preview step", () => {
  function toPreview(onPreview: (input: ConnectorInput) => Promise<Preview>) {
    const result = renderWizard(undefined, onPreview);
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("API key"), { target: { value: "k-1" } });
    next(); // the step fetches the preview
    return result;
  }

  it("shows the detected pagination, the warnings, the fields and the records raw and transformed", async () => {
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody());
    toPreview(onPreview);
    const result = await screen.findByTestId("preview-result");
    expect(onPreview.mock.calls[0]![0]).toMatchObject({ name: "Billing", api_endpoint: "https://api.example.com/invoices", api_key: "k-1", auth_type: "bearer" });
    expect(within(screen.getByTestId("preview-warnings")).getByText(/full_name' is in no sample record/)).toBeTruthy();
    expect(within(result).getByTestId("preview-pagination").textContent).toContain("page (detected): page (parameter 'page').");
    expect(within(result).getByText("Why: The body reports page numbers or a page count.")).toBeTruthy();
    const records = within(result).getByRole("region", { name: "Sample records, raw and transformed" });
    const rows = within(records).getAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[1]!.textContent).toContain("Ada");
    expect(rows[1]!.textContent).toContain("full_name");
    expect(rows[2]!.textContent).toContain("Quarantined: required field 'email' is missing");
    const fields = within(result).getByRole("table", { name: "Fields of the sample" });
    expect(within(fields).getByText("address.city").closest("tr")!.textContent).toContain("Lyon · Oslo");
    // a card per field on a phone (styles.css stacks it under 640 px), as the schema's fields
    expect(fields.classList.contains("table-stack")).toBe(true);
    const cells = within(within(fields).getByText("address.city").closest("tr")!).getAllByRole("cell");
    expect(cells[0]!.classList.contains("stack-title")).toBe(true);
    expect(cells.map((cell) => cell.getAttribute("data-label"))).toEqual([null, "Types", "In records", "Samples"]);
    expect(within(result).getAllByText("Raw JSON", { selector: "summary" })).toHaveLength(2);
    await vi.waitFor(() => expect(document.activeElement?.textContent).toBe("50 records in 2 pages (8 ms)"));
  });

  it("says the fields and candidates are read from the first records when the pages held more", async () => {
    toPreview(vi.fn(async () => previewBody({ records_in_pages: 100 })));
    const result = await screen.findByTestId("preview-result");
    expect(within(result).getByRole("heading", { name: /^100 records in 2 pages/ })).toBeTruthy();
    expect(within(result).getByTestId("preview-sample-size").textContent).toBe("The fields, keys and cursors below are read from the first 2 records of the 100.");
  });

  it("counts in the singular for one: 1 record in 1 page, 1 warning", async () => {
    const one = { records_in_pages: 1, pages_fetched: 1, records: previewBody().records.slice(0, 1), primary_key_candidates: [{ path: "id", unique_in_sample: true, present_in: 1 }] };
    toPreview(vi.fn(async () => previewBody(one)));
    const result = await screen.findByTestId("preview-result");
    expect(within(result).getByRole("heading", { level: 4 }).textContent).toBe("1 record in 1 page (8 ms)");
    expect(within(screen.getByTestId("preview-warnings")).getByText("1 warning")).toBeTruthy();
    expect(within(result).getByText(/unique in the sample, in 1 record(?!s)/, { selector: "li" })).toBeTruthy();
    expect(within(result).queryByTestId("preview-sample-size")).toBeNull(); // every record is in the sample
  });

  const failed = (error: string, status_code: number) => previewBody({ ok: false, error, status_code, pagination: null, records: [], fields: [], warnings: [] });

  it("shows an upstream failure (ok: false) clearly, its status once, with where to look for a 401", async () => {
    toPreview(vi.fn(async () => failed("HTTP 401 from http://127.0.0.1:8101/users after 1 attempt", 401)));
    const error = await screen.findByTestId("preview-error");
    // the API answered: the heading says what (not "could not be read", as if it were unreachable)
    expect(within(error).getByRole("heading", { level: 4 }).textContent).toBe("The API refused the key (401)");
    expect(within(error).getByText("HTTP 401 from http://127.0.0.1:8101/users after 1 attempt")).toBeTruthy();
    expect(error.textContent).not.toContain("(HTTP 401)");
    expect(error.textContent).toContain("Check the API key and the authentication type.");
    expect(screen.queryByTestId("preview-result")).toBeNull();
  });

  it("names the key's permissions for a 403", async () => {
    toPreview(vi.fn(async () => failed("HTTP 403 from https://api.example.com/invoices after 1 attempt: forbidden", 403)));
    const error = await screen.findByTestId("preview-error");
    expect(error.textContent).not.toContain("(HTTP 403)");
    expect(error.textContent).toContain("Check the API key and the authentication type, and the key's permissions.");
  });

  it("adds the status to a message that does not name it, without an authentication hint", async () => {
    toPreview(vi.fn(async () => failed("The API did not answer JSON", 502)));
    const error = await screen.findByTestId("preview-error");
    expect(error.textContent).toContain("The API did not answer JSON (HTTP 502)");
    expect(error.textContent).not.toContain("Check the API key");
  });

  it("sends a refused field back to its step and focuses it", async () => {
    toPreview(
      vi.fn(async () => {
        throw new ApiError(400, "api_endpoint: Private addresses are not allowed.", {
          detail: "api_endpoint: Private addresses are not allowed.",
          errors: { api_endpoint: ["Private addresses are not allowed."] },
        });
      }),
    );
    expect(await screen.findByText("Private addresses are not allowed.")).toBeTruthy();
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("API endpoint")));
  });

  it("pins the detected pagination and picks the primary key and the cursor into the form", async () => {
    const { onSubmit } = toPreview(vi.fn(async () => previewBody()));
    await screen.findByTestId("preview-result");
    fireEvent.click(screen.getByRole("button", { name: "Pin this pagination" }));
    expect(screen.getByText("Pinned into the form.")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Use as primary key: email" }));
    fireEvent.click(screen.getByRole("button", { name: "Use as cursor: updated_at" }));
    expect(screen.getByText(/name the query parameter that takes it \(or,\s+with POST, a body filter\) under Incremental/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Use this records path" }));
    next();
    expect((screen.getByLabelText("Primary key") as HTMLInputElement).value).toBe("email");
    expect((screen.getByLabelText("Path to the records") as HTMLInputElement).value).toBe("data");
    next();
    expect((screen.getByLabelText("Pagination") as HTMLSelectElement).value).toBe("page");
    expect((screen.getByLabelText("Page parameter") as HTMLInputElement).value).toBe("page");
    expect((screen.getByLabelText("Incremental: cursor field") as HTMLInputElement).value).toBe("updated_at");
    // A cursor without a place for its start is named here, not refused by the API after Create.
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText("Name the query parameter that gets the start, e.g. updated_since.")).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "updated_since" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent.incremental).toEqual({ cursor_field: "updated_at", param: "updated_since" });
    expect(sent.pagination).toEqual({ type: "page", page_param: "page", start_page: 1 });
    expect(sent.primary_key).toBe("email");
    expect(sent.records_path).toBe("data");
  });
});

describe("the wizard's pagination and error detection fields", () => {
  it("offers every cursor key as a field (Stripe-style last record) and sends them typed", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    next();
    next();
    next();
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "cursor" } });
    fireEvent.change(screen.getByLabelText("Cursor comes from"), { target: { value: "last_record" } });
    fireEvent.change(screen.getByLabelText("Last record's cursor field"), { target: { value: "id" } });
    fireEvent.change(screen.getByLabelText("Cursor parameter"), { target: { value: "starting_after" } });
    fireEvent.change(screen.getByLabelText("More-pages flag field"), { target: { value: "has_more" } });
    fireEvent.change(screen.getByLabelText("Page size"), { target: { value: "100" } });
    fireEvent.change(screen.getByLabelText("Page size parameter"), { target: { value: "limit" } });
    fireEvent.change(screen.getByLabelText("Success field"), { target: { value: "status" } });
    fireEvent.change(screen.getByLabelText("Success value"), { target: { value: "OK" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent.pagination).toEqual({
      type: "cursor",
      cursor_from: "last_record",
      cursor_field: "id",
      cursor_param: "starting_after",
      has_more_path: "has_more",
      page_size: 100,
      size_param: "limit",
    });
    expect(sent.error_detection).toEqual({ success_path: "status", success_value: "OK" });
  });

  it("fills the fields from pagination JSON under Advanced and refuses JSON that is not an object", () => {
    renderWizard();
    fillFirstStep();
    next();
    next();
    next();
    const json = screen.getByLabelText("Pagination (JSON)");
    fireEvent.change(json, { target: { value: "[1]" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect(screen.getByText(/Not applied: the pagination must be a JSON object/)).toBeTruthy();
    fireEvent.change(json, { target: { value: '{"type": "next_url", "next_url_path": "@odata\\\\.nextLink"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect((screen.getByLabelText("Pagination") as HTMLSelectElement).value).toBe("next_url");
    expect((screen.getByLabelText("Next URL field") as HTMLInputElement).value).toBe("@odata\\.nextLink"); // one backslash: the path syntax's escaped dot
  });
});

describe("the wizard's pagination JSON typed and not applied", () => {
  it("creates the connector with it, or names its unknown key on the field and creates nothing", async () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    next();
    next();
    next();
    const json = screen.getByLabelText("Pagination (JSON)") as HTMLTextAreaElement;
    fireEvent.change(json, { target: { value: '{"type": "cursor", "cursor_param": "after", "cursor_pth": "next"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(document.getElementById(`${json.id}-error`)?.textContent).toContain("unknown key 'cursor_pth' for type 'cursor'");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(json, { target: { value: '{"type": "cursor", "cursor_param": "after", "cursor_path": "next"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = (onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0] as ConnectorInput;
    expect(sent.pagination).toEqual({ type: "cursor", cursor_param: "after", cursor_path: "next" });
  });
});

const PREVIEW_ADDRESS = "/api/demo-extension/connectors/preview/";
/** The calls but the previews (the preview step fetches one as it is entered; a test that goes
 * straight on leaves before its answer, which is dropped). */
const saves = (calls: FakeCall[]) => calls.filter((call) => call.url !== PREVIEW_ADDRESS);

describe("the wizard's time and request budget", () => {
  const CREATE = "/api/demo-extension/connectors/";
  const PREVIEW = "/api/demo-extension/connectors/preview/";
  const refusal = (field: string, message: string) => ({ status: 400, body: { detail: `${field}: ${message}`, errors: { [field]: [message] } } });

  /** The wizard wired to the API client, the API answered by `answer`; returns the calls made. */
  function renderWithApi(answer: (call: FakeCall) => { status?: number; body?: unknown }) {
    const calls = fakeFetch(answer);
    renderWizard(
      async (input) => {
        await createConnector(input);
      },
      previewConnector,
    );
    return calls;
  }

  function toLastStep() {
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    next();
    next();
    next();
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
  }

  const create = () => fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
  const describedBy = (label: string) => screen.getByLabelText(label).getAttribute("aria-describedby")?.split(" ") ?? [];
  const textOf = (elementId: string | undefined) => (elementId ? document.getElementById(elementId)?.textContent : undefined);

  it("creates the connector with the budget typed on the last step, as numbers", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    toLastStep();
    expect((screen.getByLabelText("Concurrent requests") as HTMLInputElement).value).toBe("4");
    fireEvent.change(screen.getByLabelText("Time budget per sync (seconds)"), { target: { value: "900" } });
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText("Requests per sync"), { target: { value: "10000" } });
    create();
    await vi.waitFor(() => expect(calls.some((call) => call.method === "POST" && call.url === CREATE)).toBe(true));
    expect(calls.find((call) => call.url === CREATE)!.body).toMatchObject({
      max_sync_seconds: 900,
      max_requests_per_second: 0.5,
      max_concurrent_requests: 2,
      max_requests_per_sync: 10000,
    });
  });

  it("ties each budget field's hint to its input, with the edit form's words", () => {
    renderWizard();
    toLastStep();
    expect(textOf(describedBy("Requests per second")[0])).toBe(
      "0.01 to 1000 (0.5 = one every two seconds), counted over every connector calling this API with the same credentials; empty: no limit.",
    );
    expect(textOf(describedBy("Concurrent requests")[0])).toBe(
      "In flight at once, at most (1 to 16), counted over every connector calling this API with the same credentials.",
    );
    expect(textOf(describedBy("Requests per sync")[0])).toBe("A run stops there (it can be resumed); empty: no limit.");
    expect(textOf(describedBy("Time budget per sync (seconds)")[0])).toBe("Empty: the server's limit. A run over budget stops and can be resumed.");
  });

  it("refuses a budget out of its range on the field, focused, without calling the API, and creates once it is corrected", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    toLastStep();
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "17" } });
    fireEvent.change(screen.getByLabelText("Time budget per sync (seconds)"), { target: { value: "ten" } });
    create();
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
    expect(screen.getByRole("alert").textContent).toBe("Some fields need attention.");
    const perSecond = screen.getByLabelText("Requests per second");
    expect(perSecond.getAttribute("aria-invalid")).toBe("true");
    expect(textOf(describedBy("Requests per second")[1])).toBe("Enter 0.01 to 1000, or leave it empty for no limit.");
    expect(screen.getByLabelText("Concurrent requests").getAttribute("aria-invalid")).toBe("true");
    expect(textOf(describedBy("Concurrent requests")[1])).toBe("Enter how many requests may run at once (1 to 16).");
    expect(textOf(describedBy("Time budget per sync (seconds)")[1])).toBe("Enter a whole number of seconds, 1 or more, or leave it empty for the server's limit.");
    expect(screen.getByLabelText("Requests per sync").getAttribute("aria-invalid")).toBeNull();
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Time budget per sync (seconds)")));
    expect(saves(calls)).toHaveLength(0);

    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0.01" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "16" } });
    fireEvent.change(screen.getByLabelText("Time budget per sync (seconds)"), { target: { value: "" } });
    create();
    await vi.waitFor(() => expect(saves(calls)).toHaveLength(1));
    expect(saves(calls)[0]!.body).toMatchObject({ max_sync_seconds: null, max_requests_per_second: 0.01, max_concurrent_requests: 16, max_requests_per_sync: null });
  });

  it("shows the API's refusal of the rate on its field in the last step, not as a loose message", async () => {
    renderWithApi(() => refusal("max_requests_per_second", "Refused by the API."));
    toLastStep();
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "5" } });
    create();
    const perSecond = screen.getByLabelText("Requests per second");
    await vi.waitFor(() => expect(perSecond.getAttribute("aria-invalid")).toBe("true"));
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
    expect(textOf(describedBy("Requests per second")[1])).toBe("Refused by the API.");
    expect(screen.getByRole("alert").textContent).toBe("Not saved: one field needs attention.");
    expect(screen.queryByText(/max_requests_per_second/)).toBeNull();
    await vi.waitFor(() => expect(document.activeElement).toBe(perSecond));
  });

  it("takes a preview refused for the budget to the last step, on the field", async () => {
    renderWithApi((call) => (call.url === PREVIEW ? refusal("max_concurrent_requests", "Refused by the API.") : {}));
    fillFirstStep();
    next(); // the step fetches the preview
    await vi.waitFor(() => expect(heading()).toBe("Step 4 of 4: Requests and schedule"));
    const concurrent = screen.getByLabelText("Concurrent requests");
    expect(concurrent.getAttribute("aria-invalid")).toBe("true");
    expect(textOf(describedBy("Concurrent requests")[1])).toBe("Refused by the API.");
    await vi.waitFor(() => expect(document.activeElement).toBe(concurrent));
  });
});

describe("the wizard's request method and body", () => {
  const CREATE = "/api/demo-extension/connectors/";
  const PREVIEW = "/api/demo-extension/connectors/preview/";
  const search = { filter: { property: "Status", status: { equals: "Done" } }, page_size: 100 };

  function renderWithApi(answer: (call: FakeCall) => { status?: number; body?: unknown }) {
    const calls = fakeFetch(answer);
    renderWizard(
      async (input) => {
        await createConnector(input);
      },
      previewConnector,
    );
    return calls;
  }

  const create = () => fireEvent.click(screen.getByRole("button", { name: "Create connector" }));

  it("creates a POST connector with its JSON body, and previews with them", async () => {
    const calls = renderWithApi((call) => (call.url === PREVIEW ? { body: previewBody() } : { status: 201, body: connector() }));
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    // on the first step, before the preview: a search endpoint answers POST only
    expect(screen.queryByLabelText("Request body (JSON object)")).toBeNull();
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "POST" } });
    fireEvent.change(screen.getByLabelText("Request body (JSON object)"), { target: { value: JSON.stringify(search) } });
    next(); // the step fetches the preview
    await screen.findByTestId("preview-result");
    expect(calls.find((call) => call.url === PREVIEW)!.body).toMatchObject({ request_method: "POST", request_body: search });
    next();
    next();
    create();
    await vi.waitFor(() => expect(calls.some((call) => call.method === "POST" && call.url === CREATE)).toBe(true));
    expect(calls.find((call) => call.url === CREATE)!.body).toMatchObject({ request_method: "POST", request_body: search });
  });

  it("sends an incremental POST connector's start in the body filter typed on the last step", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "POST" } });
    next();
    next();
    next();
    const filter = { filter: { timestamp: "last_edited_time", last_edited_time: { on_or_after: "{since}" } } };
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "last_edited_time" } });
    const filterField = screen.getByLabelText("Incremental: body filter (JSON object)");
    fireEvent.change(filterField, { target: { value: '{"filter": {"after": "2026"}}' } });
    create();
    expect(await screen.findByText('Put "{since}" where the value to start from goes, e.g. {"after": "{since}"}.')).toBeTruthy();
    expect(filterField.getAttribute("aria-invalid")).toBe("true");
    expect(saves(calls)).toHaveLength(0);
    fireEvent.change(filterField, { target: { value: JSON.stringify(filter) } });
    create();
    await vi.waitFor(() => expect(saves(calls)).toHaveLength(1));
    expect(saves(calls)[0]!.body).toMatchObject({ request_method: "POST", incremental: { cursor_field: "last_edited_time", body_filter: filter } });
    expect((saves(calls)[0]!.body as { incremental: object }).incremental).not.toHaveProperty("param");
  });

  it("refuses a body that is not a JSON object on its field, focused, before the preview", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "POST" } });
    const body = screen.getByLabelText("Request body (JSON object)");
    fireEvent.change(body, { target: { value: "[1, 2]" } });
    next();
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    expect(body.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("wizard-request_body-error")?.textContent).toBe("The request body must be a JSON object ({…}), not a list.");
    await vi.waitFor(() => expect(document.activeElement).toBe(body));
    expect(saves(calls)).toHaveLength(0);
  });

  it("sends no body with GET, even one typed before switching back", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "POST" } });
    fireEvent.change(screen.getByLabelText("Request body (JSON object)"), { target: { value: '{"query": "x"}' } });
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "GET" } });
    expect(screen.queryByLabelText("Request body (JSON object)")).toBeNull();
    next();
    next();
    next();
    create();
    await vi.waitFor(() => expect(saves(calls)).toHaveLength(1));
    expect(saves(calls)[0]!.body).toMatchObject({ request_method: "GET", request_body: {} });
  });

  it("shows the API's refusal of the body on its field in the first step", async () => {
    const message = "A request body is sent with request_method POST only: set it, or empty the body.";
    renderWithApi(() => ({ status: 400, body: { detail: `request_body: ${message}`, errors: { request_body: [message] } } }));
    fillFirstStep();
    next(); // the step fetches the preview
    await vi.waitFor(() => expect(heading()).toBe("Step 1 of 4: Endpoint and authentication"));
    const body = screen.getByLabelText("Request body (JSON object)");
    expect(body.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("wizard-request_body-error")?.textContent).toBe(message);
    expect(screen.queryByText(/request_body:/)).toBeNull();
    await vi.waitFor(() => expect(document.activeElement).toBe(body));
  });
});

describe("the connector settings helpers", () => {
  it("measures a request body as the API does: Python's separators, non-ASCII escaped", () => {
    const body = { a: [1, "é", null], b: { c: true }, "ü": "😀\u007f" };
    // Python: len(json.dumps(body)) == 76, for {"a": [1, "\u00e9", null], "b": {"c": true}, "\u00fc": "\ud83d\ude00\u007f"}
    expect(apiJsonLength(body)).toBe(76);
    expect(apiJsonLength({})).toBe(2);
    expect(apiJsonLength([])).toBe(2);
  });

  it("sends {} for an empty body or with GET, and names what is not a JSON object", () => {
    expect(requestBodyToSend("POST", "  ")).toEqual({ body: {} });
    expect(requestBodyToSend("GET", "[1, 2]")).toEqual({ body: {} });
    expect(requestBodyToSend("POST", '{"query": "x"}')).toEqual({ body: { query: "x" } });
    expect(requestBodyToSend("POST", '"x"')).toEqual({ error: "The request body must be a JSON object ({…}), not a string." });
    expect(requestBodyToSend("POST", "null")).toEqual({ error: "The request body must be a JSON object ({…}), not null." });
    expect(requestBodyToSend("POST", `{"q": "${"x".repeat(16384 - 9)}"}`)).toEqual({ body: { q: "x".repeat(16384 - 9) } });
    expect(requestBodyToSend("POST", `{"q": "${"x".repeat(16384 - 8)}"}`)).toEqual({ error: "At most 16 KiB of JSON: this body is 16.1 KiB." });
  });

  it("reads and builds error detection: {} for the built-in rules, JSON booleans and numbers as such", () => {
    expect(buildErrorDetection(errorDetectionValuesOf({}))).toEqual({});
    expect(buildErrorDetection({ error_path: " result.error ", success_path: "ok", success_value: "true", auto: false })).toEqual({
      error_path: "result.error",
      success_path: "ok",
      success_value: true,
      auto: false,
    });
    expect(errorDetectionValuesOf({ success_path: "code", success_value: 0 })).toEqual({ error_path: "", success_path: "code", success_value: "0", auto: true });
  });

  it("keeps only the pagination keys of the chosen style, numbers as numbers", () => {
    expect(buildPagination("cursor", { cursor_param: " c ", page_size: "10", page_param: "p", limit: "5" })).toEqual({
      type: "cursor",
      cursor_param: "c",
      page_size: 10,
    });
    expect(buildPagination("page", { stop_on_short_page: true, page_size: "abc" })).toEqual({
      type: "page",
      page_size: "abc", // sent as typed: the API names the field
      stop_on_short_page: true,
    });    expect(buildPagination("offset", { limit: "-3", start_offset: "0" })).toEqual({ type: "offset", limit: -3, start_offset: 0 }); // a number: the API names its range
  });
});

describe("the wizard's pagination fields", () => {
  const CREATE = "/api/demo-extension/connectors/";

  function renderWithApi(answer: (call: FakeCall) => { status?: number; body?: unknown }) {
    const calls = fakeFetch(answer);
    renderWizard(async (input) => {
      await createConnector(input);
    }, previewConnector);
    return calls;
  }

  function toLastStepWithPages() {
    fillFirstStep();
    fireEvent.change(screen.getByLabelText("Authentication"), { target: { value: "none" } });
    next();
    next();
    next();
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "page" } });
  }

  const create = () => fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
  const errorOf = (label: string) => document.getElementById(`${screen.getByLabelText(label).id}-error`)?.textContent;

  it("refuses a page size or first page that is not a whole number in the API's range on its field, focused, and sends numbers", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    toLastStepWithPages();
    const size = screen.getByLabelText("Page size");
    fireEvent.change(size, { target: { value: "fifty" } });
    fireEvent.change(screen.getByLabelText("First page"), { target: { value: "-3" } });
    create();
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("First page"))); // the first of the two
    expect(size.getAttribute("aria-invalid")).toBe("true");
    expect(errorOf("Page size")).toBe("Enter a whole number from 1 to 100,000.");
    expect(errorOf("First page")).toBe("Enter a whole number of 0 or more.");
    expect(screen.getByLabelText("Pagination").getAttribute("aria-invalid")).toBeNull();
    fireEvent.change(size, { target: { value: "100001" } });
    create();
    await vi.waitFor(() => expect(errorOf("Page size")).toBe("Enter a whole number from 1 to 100,000."));
    expect(saves(calls)).toHaveLength(0);
    fireEvent.change(size, { target: { value: " 50 " } });
    fireEvent.change(screen.getByLabelText("First page"), { target: { value: "0" } });
    create();
    await vi.waitFor(() => expect(calls.some((call) => call.url === CREATE)).toBe(true));
    expect((calls.find((call) => call.url === CREATE)!.body as ConnectorInput).pagination).toEqual({ type: "page", page_size: 50, start_page: 0 });
  });

  it("asks for a page size beside a page size parameter before sending", async () => {
    const calls = renderWithApi(() => ({ status: 201, body: connector() }));
    toLastStepWithPages();
    fireEvent.change(screen.getByLabelText("Page size parameter"), { target: { value: "per_page" } });
    create();
    await vi.waitFor(() => expect(errorOf("Page size")).toMatch(/^Give the page size to ask for/));
    expect(saves(calls)).toHaveLength(0);
  });

  it("shows the API's refusal of a pagination key on that key's field, and what names no field under the select", async () => {
    const message = "pagination.total_path must be a non-empty string. pagination.page_size must be an integer from 1 to 100000.";
    renderWithApi(() => ({ status: 400, body: { detail: `pagination: ${message}`, errors: { pagination: [message, "pagination key(s) pages not used by type 'page'."] } } }));
    toLastStepWithPages();
    fireEvent.change(screen.getByLabelText("Page size"), { target: { value: "100" } });
    fireEvent.change(screen.getByLabelText("Total records field"), { target: { value: "meta.total" } });
    create();
    await vi.waitFor(() => expect(screen.getByLabelText("Total records field").getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf("Total records field")).toBe("pagination.total_path must be a non-empty string.");
    expect(errorOf("Page size")).toBe("pagination.page_size must be an integer from 1 to 100000.");
    expect(errorOf("Pagination")).toBe("pagination key(s) pages not used by type 'page'.");
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
  });

  it("lists the keys of the chosen type beside the JSON and links the served API documentation, not the README", () => {
    renderWizard();
    toLastStepWithPages();
    const hint = document.getElementById(`${screen.getByLabelText("Pagination (JSON)").id}-hint`)!;
    expect(hint.textContent).toContain("With Page number: type, page_param, start_page, page_size, size_param, total_pages_path, total_path, has_more_path, stop_on_short_page.");
    expect(hint.textContent).not.toContain("README");
    expect(within(hint).getByRole("link", { name: "API documentation" }).getAttribute("href")).toBe("/api/docs/");
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "none" } });
    expect(document.getElementById(`${screen.getByLabelText("Pagination (JSON)").id}-hint`)!.textContent).toContain("With None (one page): type only.");
  });

  it("refuses to apply JSON whose number is out of range or in quotes, naming the key", () => {
    renderWizard();
    toLastStepWithPages();
    const json = screen.getByLabelText("Pagination (JSON)");
    fireEvent.change(json, { target: { value: '{"type": "page", "page_size": -3}' } });
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect(errorOf("Pagination (JSON)")).toBe("Not applied: 'page_size' must be a whole number (not in quotes) from 1 to 100000");
    expect((screen.getByLabelText("Page size") as HTMLInputElement).value).toBe("");
    fireEvent.change(json, { target: { value: '{"type": "page", "start_page": "2"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect(errorOf("Pagination (JSON)")).toBe("Not applied: 'start_page' must be a whole number (not in quotes) from 0 or more");
  });
});

describe("the wizard after a failed preview", () => {
  const failed = previewBody({ ok: false, error: "HTTP 401 from https://api.example.com/invoices after 1 attempt", status_code: 401, pagination: null, records: [], fields: [], warnings: [] });

  async function failPreviewThenGoToLastStep(onPreview: (input: ConnectorInput) => Promise<Preview>) {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderWizard(onSubmit, onPreview);
    fillFirstStep();
    next(); // the step fetches the preview
    await screen.findByTestId("preview-error");
    next();
    next();
    return onSubmit;
  }

  it("keeps the preview's error in view on the last step and asks before creating, in the app's dialog", async () => {
    const onSubmit = await failPreviewThenGoToLastStep(vi.fn(async () => failed));
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
    const warning = screen.getByTestId("preview-failed-warning");
    expect(warning.textContent).toContain("The last preview failed");
    expect(warning.textContent).toContain("HTTP 401 from https://api.example.com/invoices after 1 attempt");
    expect(warning.textContent).toContain("Check the API key and the authentication type.");
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    const dialog = screen.getByRole("alertdialog", { name: "Create the connector although its preview failed?" });
    expect(dialog.textContent).toContain("HTTP 401 from https://api.example.com/invoices");
    fireEvent.click(within(dialog).getByRole("button", { name: "Go back" }));
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Create it anyway" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
  });

  it("says a preview the API's rate limit stopped checked nothing yet, rather than that it failed", async () => {
    const limited = previewBody({ ok: false, error: "HTTP 429 from https://api.example.com/invoices after 1 attempt", status_code: 429, retry_after: 45, pagination: null, records: [], fields: [], warnings: [] });
    const onSubmit = await failPreviewThenGoToLastStep(vi.fn(async () => limited));
    const warning = screen.getByTestId("preview-failed-warning");
    expect(warning.textContent).toContain("The API limited the rate of the last preview: these settings are not checked yet.");
    expect(warning.textContent).not.toContain("The last preview failed");
    expect(warning.textContent).not.toContain("fail the same way");
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    const dialog = screen.getByRole("alertdialog", { name: "Create the connector without a preview?" });
    expect(dialog.textContent).toContain("The API limited the rate of the last preview: HTTP 429 from https://api.example.com/invoices");
    expect(dialog.textContent).not.toContain("fail the same way");
    fireEvent.click(within(dialog).getByRole("button", { name: "Create it anyway" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
  });

  it("drops the schedule's error and the banner once corrected, before asking about the failed preview", async () => {
    await failPreviewThenGoToLastStep(vi.fn(async () => failed));
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "WEEKLY" } });
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "ab" } });
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    expect(screen.getByRole("alert").textContent).toBe("Some fields need attention.");
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "0630" } });
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "0" } });
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    expect(screen.getByRole("alertdialog", { name: "Create the connector although its preview failed?" })).toBeTruthy();
    expect(screen.queryByText("Some fields need attention.")).toBeNull();
    expect(document.getElementById("wizard-sync_time-error")).toBeNull();
  });

  it("warns about no failure of an endpoint the form no longer has, and creates without asking", async () => {
    const onSubmit = await failPreviewThenGoToLastStep(vi.fn(async () => failed));
    expect(screen.getByTestId("preview-failed-warning")).toBeTruthy();
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    expect(heading()).toBe("Step 1 of 4: Endpoint and authentication");
    fireEvent.change(screen.getByLabelText("API endpoint"), { target: { value: "https://api.example.com/v2/invoices" } });
    next();
    next();
    next();
    expect(heading()).toBe("Step 4 of 4: Requests and schedule");
    expect(screen.queryByTestId("preview-failed-warning")).toBeNull();
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("keeps the warning while only the rules changed since the failed preview", async () => {
    await failPreviewThenGoToLastStep(vi.fn(async () => failed));
    fireEvent.click(actions().getByRole("button", { name: "Back" }));
    const rules = within(screen.getByTestId("rules-editor"));
    fireEvent.click(rules.getByRole("button", { name: "Add a rule" }));
    fireEvent.change(rules.getByLabelText("Target field (rule 1)"), { target: { value: "id" } });
    next();
    expect(screen.getByTestId("preview-failed-warning").textContent).toContain("HTTP 401 from https://api.example.com/invoices");
  });

  it("forgets the failure once a preview succeeds, and creates without asking", async () => {
    let answer = failed;
    const onSubmit = await failPreviewThenGoToLastStep(vi.fn(async () => answer));
    answer = previewBody();
    // entering the step again fetches it again
    fireEvent.click(within(screen.getByTestId("preview-failed-warning")).getByRole("button", { name: "Back to the preview" }));
    expect(heading()).toBe("Step 2 of 4: Preview");
    await screen.findByTestId("preview-result");
    next();
    next();
    expect(screen.queryByTestId("preview-failed-warning")).toBeNull();
    fireEvent.click(actions().getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });
});
