import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { ConnectorInput, Preview } from "../api/types";
import { applyMappings, buildPagination } from "./connectorConfig";
import { ConnectorWizard } from "./ConnectorWizard";

function renderWizard(
  onSubmit: (input: ConnectorInput) => Promise<void> = vi.fn(async () => {}),
  onPreview: (input: ConnectorInput) => Promise<Preview> = vi.fn(async () => {
    throw new Error("no preview in this test");
  }),
) {
  const onCancel = vi.fn();
  render(<ConnectorWizard onSubmit={onSubmit} onCancel={onCancel} onPreview={onPreview} />);
  return { onSubmit, onCancel, onPreview };
}

const next = () => fireEvent.click(screen.getByRole("button", { name: "Next" }));
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

  it("shows the preview step with its button and no data until asked", () => {
    renderWizard();
    fillFirstStep();
    next();
    expect(heading()).toBe("Step 2 of 4: Preview");
    expect(screen.getByRole("button", { name: "Fetch a preview" })).toBeTruthy();
    expect(screen.queryByTestId("preview-result")).toBeNull();
    expect(screen.getByRole("listitem", { current: "step" }).textContent).toContain("Preview");
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
    fireEvent.click(screen.getAllByRole("button").find((b) => b.textContent?.startsWith("Add a row to Field mappings"))!);
    fireEvent.change(screen.getByLabelText("Source field 1"), { target: { value: "customer_id" } });
    fireEvent.change(screen.getByLabelText("Target field 1"), { target: { value: "id" } });
    next();
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "page" } });
    fireEvent.change(screen.getByLabelText("Page parameter"), { target: { value: "p" } });
    fireEvent.change(screen.getByLabelText("Page size"), { target: { value: "250" } });
    fireEvent.click(screen.getAllByRole("button").find((b) => b.textContent?.startsWith("Add a row to Request headers"))!);
    fireEvent.change(screen.getByLabelText("Name 1"), { target: { value: "Accept" } });
    fireEvent.change(screen.getByLabelText("Value 1"), { target: { value: "application/json" } });
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "updated_at" } });
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "since" } });
    fireEvent.change(screen.getByLabelText("Max pages per sync"), { target: { value: "40" } });
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "HOURLY" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect((onSubmit as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toEqual({
      name: "Billing",
      api_endpoint: "https://api.example.com/invoices",
      api_key: "k-123",
      auth_type: "bearer",
      records_path: null,
      primary_key: "id",
      transformation_rules: { field_mappings: { customer_id: "id" } },
      pagination: { type: "page", page_param: "p", page_size: 250 },
      request_headers: { Accept: "application/json" },
      query_params: {},
      incremental: { cursor_field: "updated_at", param: "since" },
      max_pages: 40,
      sync_frequency: "HOURLY",
      is_active: true,
    });
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

  it("shows a sample record before and after the mappings", () => {
    renderWizard();
    fillFirstStep();
    next();
    next();
    fireEvent.click(screen.getAllByRole("button").find((b) => b.textContent?.startsWith("Add a row to Field mappings"))!);
    fireEvent.change(screen.getByLabelText("Source field 1"), { target: { value: "address.city" } });
    fireEvent.change(screen.getByLabelText("Target field 1"), { target: { value: "city" } });
    fireEvent.change(screen.getByLabelText("Example record (JSON, optional)"), {
      target: { value: '{"id": 1, "address": {"city": "Oslo"}}' },
    });
    const after = within(screen.getByTestId("before-after")).getAllByText(/Oslo/);
    expect(after).toHaveLength(2);
    expect(JSON.parse(after[1]!.textContent!)).toEqual({ id: 1, address: { city: "Oslo" }, city: "Oslo" });
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

  it("refuses advanced rules that are not JSON before calling the API", () => {
    const { onSubmit } = renderWizard();
    fillFirstStep();
    next();
    next();
    fireEvent.change(screen.getByLabelText(/Transformation rules \(JSON/), { target: { value: "{nope" } });
    next();
    expect(screen.getByText(/^Not valid JSON/)).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });
});

describe("the connector settings helpers", () => {
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
    });
  });

  it("applies mappings like the server: a renamed top-level field is dropped, a nested source stays", () => {
    expect(
      applyMappings({ customer_id: 4, name: "Ada", address: { city: "X" } }, [
        { key: "customer_id", value: "id" },
        { key: "address.city", value: "city" },
      ]),
    ).toEqual({ id: 4, name: "Ada", address: { city: "X" }, city: "X" });
    expect(applyMappings({ a: 1, b: 2 }, [{ key: "a", value: "x" }], false)).toEqual({ x: 1 });
  });
});
