import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { Connector } from "../api/types";
import { connector, fakeFetch, renderAs } from "../test/helpers";
import { ConnectorsPage } from "./ConnectorsPage";

const page = (results: Connector[]) => ({ count: results.length, next: null, previous: null, results });

describe("the connectors list", () => {
  it("lists connectors and escapes what the API returns", async () => {
    fakeFetch(() => ({ body: page([connector()]) }));
    const { container } = renderAs("viewer", <ConnectorsPage />);
    const link = await screen.findByRole("link", { name: "Customer <b>API</b>" });
    expect(link.getAttribute("href")).toBe("/connectors/7");
    expect(container.querySelector("b")).toBeNull();
    expect(screen.getByText("1,234")).toBeTruthy();
    expect(screen.getByText("SUCCESS")).toBeTruthy();
  });

  it.each([
    ["viewer", false, false],
    ["editor", true, false],
    ["admin", true, true],
  ] as const)("shows a %s the buttons of its role (create: %s, delete: %s)", async (role, create, remove) => {
    fakeFetch(() => ({ body: page([connector()]) }));
    renderAs(role, <ConnectorsPage />);
    await screen.findByRole("link", { name: "Customer <b>API</b>" });
    expect(screen.queryByRole("button", { name: "New connector" }) !== null).toBe(create);
    expect(screen.queryByRole("button", { name: "Delete" }) !== null).toBe(remove);
  });

  it("searches with the API's search parameter", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    renderAs("viewer", <ConnectorsPage />);
    await screen.findByText("No connectors yet.");
    fireEvent.change(screen.getByLabelText("Search connectors"), { target: { value: "billing" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText('No connector matches "billing".')).toBeTruthy();
    expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/?page=1&page_size=20&search=billing");
  });

  it("asks an admin to confirm a deletion, then deletes", async () => {
    const calls = fakeFetch((call) => (call.method === "DELETE" ? { status: 204 } : { body: page([connector()]) }));
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    renderAs("admin", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Delete" }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/demo-extension/connectors/7/")).toBe(true));
  });

  it("shows the API's validation errors next to the fields of the create form", async () => {
    const calls = fakeFetch((call) =>
      call.method === "POST"
        ? {
            status: 400,
            body: {
              detail: "api_endpoint: Private addresses are not allowed.",
              errors: {
                api_endpoint: ["Private addresses are not allowed."],
                transformation_rules: ["Unknown conversion 'money' for field 'price'."],
              },
            },
          }
        : { body: page([]) },
    );
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "New connector" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Billing" } });
    fireEvent.change(screen.getByLabelText("API endpoint"), { target: { value: "http://10.0.0.1/" } });
    fireEvent.change(screen.getByLabelText("API key"), { target: { value: "secret-key" } });
    fireEvent.change(screen.getByLabelText("Transformation rules (JSON)"), {
      target: { value: '{"type_conversions": {"price": "money"}}' },
    });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));

    expect(await screen.findByText("Private addresses are not allowed.")).toBeTruthy();
    expect(screen.getByText("Unknown conversion 'money' for field 'price'.")).toBeTruthy();
    expect(screen.getByText("api_endpoint: Private addresses are not allowed.")).toBeTruthy();
    const sent = calls.find((c) => c.method === "POST")?.body;
    expect(sent).toMatchObject({
      name: "Billing",
      api_endpoint: "http://10.0.0.1/",
      api_key: "secret-key",
      records_path: null,
      pagination: { type: "auto" },
      transformation_rules: { type_conversions: { price: "money" } },
    });
  });

  it("sends the request budget, empty limits as null", async () => {
    const calls = fakeFetch((call) => (call.method === "POST" ? { status: 201, body: connector() } : { body: page([]) }));
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "New connector" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Billing" } });
    fireEvent.change(screen.getByLabelText("API endpoint"), { target: { value: "https://api.example.com/" } });
    expect((screen.getByLabelText("Concurrent requests") as HTMLInputElement).value).toBe("4");
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "POST")).toBe(true));
    expect(calls.find((c) => c.method === "POST")?.body).toMatchObject({
      max_requests_per_second: 0.5,
      max_concurrent_requests: 2,
      max_requests_per_sync: null,
    });
  });

  it("shows the API's error for an impossible budget next to its field", async () => {
    fakeFetch((call) =>
      call.method === "POST"
        ? {
            status: 400,
            body: {
              detail: "max_concurrent_requests: Ensure this value is less than or equal to 16.",
              errors: { max_concurrent_requests: ["Ensure this value is less than or equal to 16."] },
            },
          }
        : { body: page([]) },
    );
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "New connector" }));
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "40" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText("Ensure this value is less than or equal to 16.")).toBeTruthy();
  });

  it("refuses a request budget that is not a number before calling the API", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "New connector" }));
    fireEvent.change(screen.getByLabelText("Requests per sync"), { target: { value: "lots" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText("Enter a number, or leave it empty for no limit.")).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("refuses transformation rules that are not JSON before calling the API", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "New connector" }));
    fireEvent.change(screen.getByLabelText("Transformation rules (JSON)"), { target: { value: "{nope" } });
    fireEvent.click(screen.getByRole("button", { name: "Create connector" }));
    expect(await screen.findByText(/^Not valid JSON/)).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });
});
