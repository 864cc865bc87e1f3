import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { ConnectorInput, Preview } from "../api/types";
import { connector, previewBody, renderInRouter } from "../test/helpers";
import { ConnectorForm } from "./ConnectorForm";

describe("the connector edit form", () => {
  it("sends the request budget, empty limits as null", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    expect((screen.getByLabelText("Concurrent requests") as HTMLInputElement).value).toBe("4");
    fireEvent.change(screen.getByLabelText("Requests per second"), { target: { value: "0.5" } });
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "2" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({
      max_requests_per_second: 0.5,
      max_concurrent_requests: 2,
      max_requests_per_sync: null,
    });
  });

  it("refuses a budget that is not a number before sending it", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Requests per sync"), { target: { value: "lots" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    expect(await screen.findByText("Enter a number, or leave it empty for no limit.")).toBeTruthy();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a budget out of the API's range on its field before sending it", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Concurrent requests"), { target: { value: "17" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    const concurrent = screen.getByLabelText("Concurrent requests");
    await vi.waitFor(() => expect(concurrent.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-max_concurrent_requests-error")?.textContent).toBe("Enter how many requests may run at once (1 to 16).");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a blank name before sending it, in the wizard's words", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "  " } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    const name = screen.getByLabelText("Name");
    await vi.waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-name-error")?.textContent).toBe("Give the connector a name.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("gives the API endpoint's example as one, as the wizard does, not as if it were the value", () => {
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={vi.fn(async () => {})} />);
    const endpoint = screen.getByLabelText("API endpoint");
    expect(document.getElementById(endpoint.getAttribute("aria-describedby")!)?.textContent).toBe("e.g. https://api.example.com/v1/customers");
  });

  it("promises no scheduled syncs beside Active when the frequency is Manual", () => {
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "DAILY" })} onSubmit={vi.fn(async () => {})} />);
    const active = screen.getByLabelText("Sync on its schedule");
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "MANUAL" } });
    expect(screen.queryByText(/schedule$/)).toBeNull();
    expect(screen.getByLabelText("No schedule with Manual: syncs run only when started")).toBe(active);
  });

  it("refuses max pages that are not a whole number from 1 before sending, and leaves the upper limit to the server", async () => {
    // the largest value is the server's MIGRATEIQ_SYNC_MAX_PAGES: the form once said "1 to 1,000,000"
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Max pages per sync");
    for (const typed of ["-3", "0", "2.5", "lots"]) {
      fireEvent.change(field, { target: { value: typed } });
      fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
      await vi.waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
      expect(document.getElementById("edit-7-max_pages-error")?.textContent).toBe(
        "Enter a whole number of pages, 1 or more, or leave it empty for the server's limit.",
      );
    }
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: "1000001" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ max_pages: 1000001 });
  });

  it("shows the server's limit of max pages under the field when the API refuses a larger value", async () => {
    const message = "At most 10,000: the server's limit of pages per run (MIGRATEIQ_SYNC_MAX_PAGES). Leave it empty to use that limit.";
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {
      throw new ApiError(400, `max_pages: ${message}`, { detail: `max_pages: ${message}`, errors: { max_pages: [message] } });
    });
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Max pages per sync");
    fireEvent.change(field, { target: { value: "500000" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-max_pages-error")?.textContent).toBe(message);
  });

  it("refuses a time budget that is not a whole number from 1 before sending, and leaves the upper limit to the server", async () => {
    // the largest value is the server's MIGRATEIQ_SYNC_MAX_SECONDS: "0" was sent and refused by the API
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Time budget per sync (seconds)");
    for (const typed of ["-3", "0", "2.5", "ten"]) {
      fireEvent.change(field, { target: { value: typed } });
      fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
      await vi.waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
      expect(document.getElementById("edit-7-max_sync_seconds-error")?.textContent).toBe(
        "Enter a whole number of seconds, 1 or more, or leave it empty for the server's limit.",
      );
    }
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: "7200" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ max_sync_seconds: 7200 });
  });

  it("sends the time budget per sync in seconds, empty as null", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ max_sync_seconds: 600 })} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Time budget per sync (seconds)") as HTMLInputElement;
    expect(field.value).toBe("600");
    fireEvent.change(field, { target: { value: "" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ max_sync_seconds: null });
  });

  it("shows the stored schema policy and sends the one chosen", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ schema_policy: "evolve" })} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Schema changes") as HTMLSelectElement;
    expect(field.value).toBe("evolve");
    fireEvent.change(field, { target: { value: "freeze" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ schema_policy: "freeze" });
  });
});

describe("the edit form's transformation rules", () => {
  const rules = {
    field_mappings: { name: "full_name", "address.city": "city" },
    type_conversions: { id: "int" },
    defaults: { country: "NL" },
    required: ["id"],
  };
  const renderForm = (onSubmit = vi.fn(async (_input: ConnectorInput) => {}), onPreview?: (input: ConnectorInput) => Promise<Preview>) => {
    renderInRouter(<ConnectorForm connector={connector({ transformation_rules: rules })} onSubmit={onSubmit} onPreview={onPreview} />);
    return onSubmit;
  };
  const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;
  const save = () => fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));

  it("shows the stored rules as rows, not JSON, and sends them unchanged", async () => {
    const onSubmit = renderForm();
    expect(screen.queryByLabelText(/Transformation rules \(JSON/)).toBeNull();
    expect(screen.getByRole("button", { name: "JSON" }).getAttribute("aria-pressed")).toBe("false");
    expect([value("Source path (rule 1)"), value("Target field (rule 1)")]).toEqual(["name", "full_name"]);
    expect([value("Source path (rule 2)"), value("Target field (rule 2)")]).toEqual(["address.city", "city"]);
    expect([value("Source path (rule 3)"), value("Target field (rule 3)"), value("Convert to (rule 3)")]).toEqual(["", "id", "int"]);
    expect((screen.getByLabelText("Required (rule 3)") as HTMLInputElement).checked).toBe(true);
    // beside the row's small buttons, at their scale (styles.css .checkbox-compact)
    expect(screen.getByLabelText("Required (rule 3)").closest("label")?.classList.contains("checkbox-compact")).toBe(true);
    expect([value("Target field (rule 4)"), value("Default (rule 4)")]).toEqual(["country", "NL"]);
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].transformation_rules).toEqual(rules);
  });

  // Each edit re-renders the whole form: three short tests rather than one of fourteen edits, which
  // took 8 s (past the 5 s timeout) on a loaded 2-core machine.
  it("adds a row with the focus in it, and sends what was typed there", async () => {
    const onSubmit = renderForm();
    const editor = within(screen.getByTestId("rules-editor"));
    fireEvent.click(editor.getByRole("button", { name: "Add a rule" }));
    expect(document.activeElement).toBe(editor.getByLabelText("Source path (rule 5)"));
    fireEvent.change(editor.getByLabelText("Source path (rule 5)"), { target: { value: "signup" } });
    fireEvent.change(editor.getByLabelText("Target field (rule 5)"), { target: { value: "joined" } });
    fireEvent.change(editor.getByLabelText("Convert to (rule 5)"), { target: { value: "date" } });
    fireEvent.change(editor.getByLabelText("Default (rule 5)"), { target: { value: "null" } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].transformation_rules).toEqual({
      field_mappings: { name: "full_name", "address.city": "city", signup: "joined" },
      type_conversions: { id: "int", joined: "date" },
      defaults: { country: "NL", joined: null },
      required: ["id"],
    });
  });

  it("moves rows up and down with the focus following, and sends them in their new order", async () => {
    const onSubmit = renderForm();
    const editor = within(screen.getByTestId("rules-editor"));
    fireEvent.click(editor.getByRole("button", { name: "Move rule 4 up" }));
    expect(value("Target field (rule 3)")).toBe("country");
    expect(document.activeElement).toBe(editor.getByRole("button", { name: "Move rule 3 up" }));
    fireEvent.click(editor.getByRole("button", { name: "Move rule 2 up" }));
    expect(value("Source path (rule 1)")).toBe("address.city");
    expect(document.activeElement).toBe(editor.getByRole("button", { name: "Move rule 1 down" })); // "up" is disabled at the top
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = onSubmit.mock.calls[0]?.[0].transformation_rules as { [key: string]: unknown };
    expect(Object.entries(sent.field_mappings as object)).toEqual([
      ["address.city", "city"],
      ["name", "full_name"],
    ]);
    expect(sent).toEqual(rules); // the same rules, in another order
  });

  it("removes a row, the focus going to the row before it, and sends the others", async () => {
    const onSubmit = renderForm();
    const editor = within(screen.getByTestId("rules-editor"));
    fireEvent.click(editor.getByRole("button", { name: "Remove rule 4" }));
    expect(editor.queryByLabelText("Target field (rule 4)")).toBeNull();
    expect(document.activeElement).toBe(editor.getByLabelText("Source path (rule 3)"));
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const sent = onSubmit.mock.calls[0]?.[0].transformation_rules as { [key: string]: unknown };
    expect(sent.field_mappings).toEqual(rules.field_mappings);
    expect(sent).not.toHaveProperty("defaults.country");
  });

  it("refuses a rule with a problem before sending, the message tied to its input, which gets the focus", async () => {
    const onSubmit = renderForm();
    fireEvent.change(screen.getByLabelText("Target field (rule 2)"), { target: { value: "full_name" } });
    save();
    const target = screen.getByLabelText("Target field (rule 2)");
    await vi.waitFor(() => expect(target.getAttribute("aria-invalid")).toBe("true"));
    const message = document.getElementById(target.getAttribute("aria-describedby")!.split(" ").pop()!);
    expect(message?.textContent).toBe('Rule 1 already stores a field "full_name": put its options there.');
    expect(document.activeElement).toBe(target);
    expect(screen.getByRole("alert").textContent).toBe("Please correct the highlighted fields.");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(target, { target: { value: "town" } }); // fixed: the message goes at once
    expect(target.getAttribute("aria-invalid")).toBeNull();
  });

  it("switches to JSON and back without losing anything, and edits there reach the rows", async () => {
    const onSubmit = renderForm();
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    expect(screen.getByRole("button", { name: "JSON" }).getAttribute("aria-pressed")).toBe("true");
    const json = screen.getByLabelText("Rules as JSON") as HTMLTextAreaElement;
    expect(JSON.parse(json.value)).toEqual(rules);
    fireEvent.change(json, { target: { value: JSON.stringify({ ...rules, defaults: { country: "SE" }, include_unmapped: false }) } });
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    expect(value("Default (rule 4)")).toBe("SE");
    expect((screen.getByLabelText("Keep the fields no rule names (include_unmapped)") as HTMLInputElement).checked).toBe(false);
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].transformation_rules).toEqual({ ...rules, defaults: { country: "SE" }, include_unmapped: false });
  });

  it("stays in JSON when the JSON cannot be rows, saying why on the JSON field", () => {
    renderForm();
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const json = screen.getByLabelText("Rules as JSON");
    fireEvent.change(json, { target: { value: "{not json" } });
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    expect(screen.getByLabelText("Rules as JSON")).toBe(json);
    expect(json.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("edit-7-rules-json-error")?.textContent).toMatch(/^Not valid JSON/);
    expect(json.getAttribute("aria-describedby")).toContain("edit-7-rules-json-error");
  });

  it("names the type meant on the JSON field when a conversion uses another tool's name, as the API does", () => {
    renderForm();
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const json = screen.getByLabelText("Rules as JSON");
    fireEvent.change(json, { target: { value: JSON.stringify({ ...rules, type_conversions: { joined: "timestamp" } }) } });
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    expect(screen.getByLabelText("Rules as JSON")).toBe(json);
    expect(json.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("edit-7-rules-json-error")?.textContent).toBe(
      'type_conversions["joined"]: unknown type "timestamp"; supported: int, float, str, bool, decimal, date, datetime. Did you mean \'datetime\'? Fix it here, or keep the rules as JSON.',
    );
  });

  it("ends the JSON parser's message with a period before asking to correct the rules when saving", async () => {
    const onSubmit = renderForm();
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    fireEvent.change(screen.getByLabelText("Rules as JSON"), { target: { value: '{"field_mappings": {"a": "b"} "defaults": {}}' } });
    save();
    const message = await vi.waitFor(() => document.getElementById("edit-7-rules-json-error")!.textContent!);
    expect(message).toBe('Not valid JSON at line 1, column 31: a "," or "}" should come before \'"\' (is a comma missing?). Correct the highlighted rules.');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("shows the API's refusal of the rules on the row it names and under the editor", async () => {
    const onSubmit = renderForm(
      vi.fn(async () => {
        throw new ApiError(400, "transformation_rules: Field 'city': bad.", {
          detail: "transformation_rules: type_conversions['city']: unknown type 'town'.",
          errors: { transformation_rules: ["type_conversions['city']: unknown type 'town'."] },
        });
      }),
    );
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    const type = screen.getByLabelText("Convert to (rule 2)");
    await vi.waitFor(() => expect(type.getAttribute("aria-invalid")).toBe("true"));
    expect(type.getAttribute("aria-describedby")).toBe("edit-7-rules-error");
    expect(document.getElementById("edit-7-rules-error")?.textContent).toBe("type_conversions['city']: unknown type 'town'.");
    expect(screen.getByTestId("rules-editor").getAttribute("aria-describedby")).toContain("edit-7-rules-error");
  });

  it("shows sample records before and after the rules from the connector's preview, with the rules being edited", async () => {
    const onPreview = vi.fn(async (_input: ConnectorInput) => previewBody());
    renderForm(undefined, onPreview);
    fireEvent.change(screen.getByLabelText("Target field (rule 1)"), { target: { value: "display_name" } });
    fireEvent.click(screen.getByRole("button", { name: "Show before / after" }));
    await screen.findByRole("region", { name: "Sample records before and after the rules" });
    expect((onPreview.mock.calls[0]?.[0].transformation_rules as { field_mappings: object }).field_mappings).toEqual({
      name: "display_name",
      "address.city": "city",
    });
    expect(within(screen.getByTestId("before-after")).getByText(/full_name' is in no sample record/)).toBeTruthy();
  });
});

describe("the edit form's pagination as JSON", () => {
  const renderForm = () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ pagination: { type: "page", page_size: 50 } })} onSubmit={onSubmit} />);
    return onSubmit;
  };
  const json = () => screen.getByLabelText("Pagination (JSON)") as HTMLTextAreaElement;
  const typeJson = (text: string) => fireEvent.change(json(), { target: { value: text } });
  const errorOf = (field: HTMLElement) => document.getElementById(`${field.id}-error`)?.textContent;
  const save = () => fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
  const typo = '{"type":"page","page_parm":"p","start_page":0}';

  it("refuses to apply a key the type does not use, naming it, and changes nothing", () => {
    renderForm();
    typeJson(typo);
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect(json().getAttribute("aria-invalid")).toBe("true");
    expect(errorOf(json())).toMatch(/^Not applied: unknown key 'page_parm' for type 'page' \(known: page_param, start_page, page_size, /);
    expect(json().value).toBe(typo); // kept as typed, to correct it
    expect((screen.getByLabelText("First page") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Page size") as HTMLInputElement).value).toBe("50");
  });

  it("applies JSON whose keys the type uses to the fields", () => {
    renderForm();
    typeJson('{"type":"page","page_param":"p","start_page":0}');
    fireEvent.click(screen.getByRole("button", { name: "Apply the JSON" }));
    expect(json().getAttribute("aria-invalid")).toBeNull();
    expect((screen.getByLabelText("Page parameter") as HTMLInputElement).value).toBe("p");
    expect((screen.getByLabelText("First page") as HTMLInputElement).value).toBe("0");
  });

  it("saves pagination JSON that was typed and not applied", async () => {
    const onSubmit = renderForm();
    typeJson('{"type": "offset", "limit": 25}');
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].pagination).toEqual({ type: "offset", limit: 25 });
  });

  it("does not save while the pagination JSON typed has an unknown key, and says so on the field", async () => {
    const onSubmit = renderForm();
    typeJson(typo);
    save();
    await vi.waitFor(() => expect(json().getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(json())).toContain("unknown key 'page_parm' for type 'page'");
    expect(screen.getByText("Please correct the highlighted fields.")).toBeTruthy();
    expect(json().closest("details")?.open).toBe(true);
    await vi.waitFor(() => expect(document.activeElement).toBe(json()));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a limit that is not a whole number on its field before saving", async () => {
    const onSubmit = renderForm();
    fireEvent.change(screen.getByLabelText("Pagination"), { target: { value: "offset" } });
    const limit = screen.getByLabelText("Limit (page size)") as HTMLInputElement;
    fireEvent.change(limit, { target: { value: "fifty" } });
    save();
    await vi.waitFor(() => expect(document.activeElement).toBe(limit));
    expect(errorOf(limit)).toBe("Enter a whole number from 1 to 100,000.");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(limit, { target: { value: "25" } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].pagination).toEqual({ type: "offset", limit: 25 });
  });

  it("does not save pagination JSON that does not parse", async () => {
    const onSubmit = renderForm();
    typeJson('{"type": "page",');
    save();
    await vi.waitFor(() => expect(errorOf(json())).toMatch(/^Not applied: /));
    expect(onSubmit).not.toHaveBeenCalled();
  });
});

describe("the edit form's request method and body", () => {
  const search = { filter: { property: "Status", status: { equals: "Done" } }, sorts: [{ timestamp: "created_time", direction: "ascending" }] };
  const renderForm = (current = connector(), onSubmit = vi.fn(async (_input: ConnectorInput) => {})) => {
    renderInRouter(<ConnectorForm connector={current} onSubmit={onSubmit} />);
    return onSubmit;
  };
  const body = () => screen.getByLabelText("Request body (JSON object)") as HTMLTextAreaElement;
  const save = () => fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));

  it("sends POST and the body typed, parsed into an object", async () => {
    const onSubmit = renderForm();
    expect((screen.getByLabelText("Request method") as HTMLSelectElement).value).toBe("GET");
    expect(screen.queryByLabelText("Request body (JSON object)")).toBeNull();
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "POST" } });
    fireEvent.change(body(), { target: { value: JSON.stringify(search, null, 2) } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ request_method: "POST", request_body: search });
  });

  it("ties the method's hint to its select", () => {
    renderForm();
    const hintId = screen.getByLabelText("Request method").getAttribute("aria-describedby");
    expect(document.getElementById(hintId!)?.textContent).toBe(
      "POST: for search and query endpoints; the pagination parameters go into the JSON body. GET sends no body.",
    );
  });

  it("refuses a body that is a list or not JSON on its field, focused, before sending", async () => {
    const onSubmit = renderForm(connector({ request_method: "POST" }));
    fireEvent.change(body(), { target: { value: "[1,2]" } });
    save();
    await vi.waitFor(() => expect(body().getAttribute("aria-invalid")).toBe("true"));
    expect(body().getAttribute("aria-describedby")).toBe("edit-7-request_body-hint edit-7-request_body-error");
    expect(document.getElementById("edit-7-request_body-error")?.textContent).toBe("The request body must be a JSON object ({…}), not a list.");
    expect(screen.getByText("Please correct the highlighted fields.")).toBeTruthy();
    await vi.waitFor(() => expect(document.activeElement).toBe(body()));
    fireEvent.change(body(), { target: { value: '{"filter": ' } });
    save();
    await vi.waitFor(() => expect(document.getElementById("edit-7-request_body-error")?.textContent).toMatch(/^Not valid JSON at line 1, column \d+: /));
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a body over 16 KiB as the API measures it before sending", async () => {
    const onSubmit = renderForm(connector({ request_method: "POST" }));
    // 15,001 characters compact, 18,000 with the API's ", " separators.
    const big = Object.fromEntries(Array.from({ length: 1500 }, (_, index) => [`k${String(index).padStart(4, "0")}`, 1]));
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(16384);
    fireEvent.change(body(), { target: { value: JSON.stringify(big) } });
    save();
    await vi.waitFor(() => expect(body().getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-request_body-error")?.textContent).toBe("At most 16 KiB of JSON: this body is 17.6 KiB.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("shows a stored body as JSON, and sends none once switched to GET", async () => {
    const onSubmit = renderForm(connector({ request_method: "POST", request_body: search }));
    expect(JSON.parse(body().value)).toEqual(search);
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "GET" } });
    expect(screen.queryByLabelText("Request body (JSON object)")).toBeNull();
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ request_method: "GET", request_body: {} });
  });

  it("shows the API's refusal of the body on its field, not as a loose message", async () => {
    const message = "request_body is nested more than 32 levels deep.";
    const onSubmit = renderForm(
      connector({ request_method: "POST", request_body: search }),
      vi.fn(async () => {
        throw new ApiError(400, `request_body: ${message}`, { detail: `request_body: ${message}`, errors: { request_body: [message] } });
      }),
    );
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    await vi.waitFor(() => expect(body().getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-request_body-error")?.textContent).toBe(message);
    expect(screen.getByText("Not saved: one field needs attention.")).toBeTruthy();
    expect(screen.queryByText(/^request_body:/)).toBeNull();
  });
});

describe("the edit form's incremental setting", () => {
  const filter = { filter: { timestamp: "last_edited_time", last_edited_time: { on_or_after: "{since}" } } };

  it("shows a POST connector's body filter, and keeps the key it does not show (initial_value) when it saves", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    const stored = connector({
      request_method: "POST",
      incremental: { cursor_field: "last_edited_time", body_filter: filter, initial_value: "2026-01-01" },
    });
    renderInRouter(<ConnectorForm connector={stored} onSubmit={onSubmit} />);
    const shownFilter = screen.getByLabelText("Incremental: body filter (JSON object)") as HTMLTextAreaElement;
    expect(JSON.parse(shownFilter.value)).toEqual(filter);
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0].incremental).toEqual({
      cursor_field: "last_edited_time",
      body_filter: filter,
      initial_value: "2026-01-01",
    });
  });

  it("checks a typed body filter on its field before saving: JSON, an object, {since}, not beside a parameter", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ request_method: "POST" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "last_edited_time" } });
    const field = screen.getByLabelText("Incremental: body filter (JSON object)");
    const save = () => fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    const shownError = () => document.getElementById(`${field.id}-error`)?.textContent;
    fireEvent.change(field, { target: { value: "{not json" } });
    save();
    await vi.waitFor(() => expect(shownError()).toMatch(/^Not valid JSON at line 1, column \d+: /));
    fireEvent.change(field, { target: { value: '["{since}"]' } });
    save();
    await vi.waitFor(() => expect(shownError()).toBe("The body filter must be a JSON object ({…}) with at least one key."));
    fireEvent.change(field, { target: { value: '{"after": "{since}"}' } });
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "since" } });
    save();
    await vi.waitFor(() =>
      expect(screen.getByText("The start goes into the query parameter or the body filter, not both: empty one of them.")).toBeTruthy(),
    );
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "" } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0].incremental).toEqual({ cursor_field: "last_edited_time", body_filter: { after: "{since}" } });
  });

  it("shows the API's refusal of a body filter at the filter, and has no filter field with GET", async () => {
    const message = 'incremental.body_filter must hold "{since}" where the value to start from goes.';
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {
      throw new ApiError(400, `incremental: ${message}`, { detail: `incremental: ${message}`, errors: { incremental: [message] } });
    });
    renderInRouter(<ConnectorForm connector={connector({ request_method: "POST" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "t" } });
    const field = screen.getByLabelText("Incremental: body filter (JSON object)");
    fireEvent.change(field, { target: { value: '{"after": "{since}"}' } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(document.getElementById(`${field.id}-error`)?.textContent).toBe(message));
    expect(screen.getByLabelText("Incremental: cursor field").getAttribute("aria-invalid")).toBeNull();
    fireEvent.change(screen.getByLabelText("Request method"), { target: { value: "GET" } });
    expect(screen.queryByLabelText("Incremental: body filter (JSON object)")).toBeNull();
  });

  it("shows the stored lookback, sends a typed one as a number, and refuses one that is no number at its field", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    const stored = connector({ incremental: { cursor_field: "updated_at", param: "updated_since", lookback: 60 } });
    renderInRouter(<ConnectorForm connector={stored} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Incremental: lookback") as HTMLInputElement;
    expect(field.value).toBe("60");
    const save = () => fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    fireEvent.change(field, { target: { value: "5m" } });
    save();
    await vi.waitFor(() => expect(document.getElementById(`${field.id}-error`)?.textContent).toMatch(/^A number of seconds/));
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.change(field, { target: { value: "300" } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0].incremental).toEqual({ cursor_field: "updated_at", param: "updated_since", lookback: 300 });
    fireEvent.change(field, { target: { value: "" } });
    save();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(2));
    expect(onSubmit.mock.calls[1]?.[0].incremental).toEqual({ cursor_field: "updated_at", param: "updated_since" });
  });

  it("shows the API's refusal of a lookback at the lookback field", async () => {
    const message = "incremental.lookback must be a number from 0 to 1000000000 (seconds for a timestamp cursor, units for a number).";
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {
      throw new ApiError(400, `incremental: ${message}`, { detail: `incremental: ${message}`, errors: { incremental: [message] } });
    });
    renderInRouter(<ConnectorForm connector={connector({ incremental: { cursor_field: "t", param: "since" } })} onSubmit={onSubmit} />);
    const field = screen.getByLabelText("Incremental: lookback");
    fireEvent.change(field, { target: { value: "10" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(document.getElementById(`${field.id}-error`)?.textContent).toBe(message));
    expect(screen.getByLabelText("Incremental: cursor field").getAttribute("aria-invalid")).toBeNull();
  });

  it("sends a query parameter typed instead of the body filter, and {} once both fields are cleared", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    const stored = connector({ incremental: { cursor_field: "updated_at", body_filter: filter } });
    renderInRouter(<ConnectorForm connector={stored} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "updated_since" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit.mock.calls[0]?.[0].incremental).toEqual({ cursor_field: "updated_at", param: "updated_since" });
    fireEvent.change(screen.getByLabelText("Incremental: query parameter"), { target: { value: "" } });
    fireEvent.change(screen.getByLabelText("Incremental: cursor field"), { target: { value: "" } });
    fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(2));
    expect(onSubmit.mock.calls[1]?.[0].incremental).toEqual({});
  });
});
