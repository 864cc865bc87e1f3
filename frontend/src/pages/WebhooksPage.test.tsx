import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { AnnouncerProvider } from "../announce";
import type { WebhookDelivery, WebhookEndpoint } from "../api/types";
import { StatusBadge } from "../components/common";
import { fakeFetch, renderAs, type FakeCall } from "../test/helpers";
import { ADMINS_ONLY, deliveryHint, EVENT_LABELS, nextAttemptText, SECRET_ONCE_NOTE, WebhooksPage } from "./WebhooksPage";

const endpoint = (id: number, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id,
  name: "ops",
  url: "https://hooks.example.com/migrateiq",
  has_secret: true,
  secret_hint: "x9Zq",
  events: ["sync.failed", "sync.partial"],
  payload_format: "json",
  is_active: true,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
  ...overrides,
});

const delivery = (id: number, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id,
  delivery_id: "5b0d6f4e-0000-4000-8000-000000000001",
  endpoint: 1,
  endpoint_name: "ops",
  event: "sync.failed",
  payload: {},
  status: "pending",
  attempts: 2,
  max_attempts: 6,
  response_status_code: 503,
  error: "The receiver answered 503.",
  next_attempt_at: new Date(Date.now() + 4 * 60_000).toISOString(),
  created_at: "2026-12-04T18:00:00Z",
  delivered_at: null,
  ...overrides,
});

const page = <T,>(results: T[]) => ({ body: { count: results.length, next: null, previous: null, results } });

/** The webhooks API: endpoints and deliveries lists, unless `answer` answers the call first. */
function api(
  endpoints: WebhookEndpoint[],
  deliveries: WebhookDelivery[] = [],
  answer: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null,
) {
  return fakeFetch((call) => answer(call) ?? (call.url.startsWith("/api/webhooks/deliveries/") ? page(deliveries) : page(endpoints)));
}

const renderPage = (role: "viewer" | "editor" | "admin" = "admin") =>
  renderAs(
    role,
    <AnnouncerProvider>
      <WebhooksPage />
    </AnnouncerProvider>,
    "/webhooks",
    "/webhooks",
  );

const posts = (calls: FakeCall[]) => calls.filter((c) => c.method === "POST");

describe("the webhooks page", () => {
  it("says plainly that it is for admins, and asks the API nothing, for a viewer or an editor", () => {
    for (const role of ["viewer", "editor"] as const) {
      const calls = api([endpoint(1)]);
      const { unmount } = renderPage(role);
      expect(screen.getByRole("heading", { name: "Webhooks" })).toBeTruthy();
      expect(screen.getByText(ADMINS_ONLY)).toBeTruthy();
      expect(screen.queryByRole("button", { name: "New endpoint" })).toBeNull();
      expect(calls).toHaveLength(0);
      unmount();
    }
  });

  it("lists the endpoints with their events, status and the secret's last four characters only", async () => {
    api([endpoint(1), endpoint(2, { name: "all", events: ["*"], is_active: false, payload_format: "slack" })]);
    renderPage();
    const row = await screen.findByTestId("endpoint-ops");
    expect(within(row).getByText("https://hooks.example.com/migrateiq")).toBeTruthy();
    expect(within(row).getByText("sync.failed, sync.partial")).toBeTruthy();
    expect(within(row).getByText("ACTIVE")).toBeTruthy();
    expect(within(row).getByText("…x9Zq")).toBeTruthy();
    const other = screen.getByTestId("endpoint-all");
    expect(within(other).getByText("All events")).toBeTruthy();
    expect(within(other).getByText("DISABLED")).toBeTruthy();
    expect(within(other).getByRole("button", { name: /^Enable/ })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "2 endpoints" })).toBeTruthy();
  });

  it("says when there is no endpoint and no delivery yet", async () => {
    api([]);
    renderPage();
    expect((await screen.findByTestId("endpoints-empty")).textContent).toMatch(/^No webhook endpoint yet\./);
    expect((await screen.findByTestId("deliveries-empty")).textContent).toMatch(/^No delivery yet\./);
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("creates an endpoint and shows its signing secret once, with the note to store it", async () => {
    let stored: WebhookEndpoint[] = [];
    const calls = api([], [], (call) => {
      if (call.method !== "POST") return call.url.startsWith("/api/webhooks/endpoints/") ? page(stored) : null;
      stored = [endpoint(4, { name: "alerts" })];
      return { status: 201, body: { ...stored[0], signing_secret: "whsec_onlyOnce1234567890" } };
    });
    renderPage();
    await screen.findByTestId("endpoints-empty");
    fireEvent.click(screen.getByRole("button", { name: "New endpoint" }));
    const form = screen.getByRole("form", { name: "New webhook endpoint" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: " alerts " } });
    fireEvent.change(within(form).getByLabelText("URL"), { target: { value: "https://hooks.example.com/a" } });
    fireEvent.click(within(form).getByRole("checkbox", { name: /sync\.partial/ })); // on by default: off
    fireEvent.click(within(form).getByRole("checkbox", { name: /load\.finished/ }));
    fireEvent.change(within(form).getByLabelText("Payload format"), { target: { value: "slack" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create endpoint" }));
    const card = await screen.findByTestId("signing-secret");
    expect(posts(calls)[0]).toMatchObject({
      url: "/api/webhooks/endpoints/",
      body: { name: "alerts", url: "https://hooks.example.com/a", events: ["sync.failed", "load.finished"], payload_format: "slack", is_active: true },
    });
    expect(posts(calls)[0]!.body).not.toHaveProperty("secret"); // blank: generated by the API
    expect((within(card).getByLabelText("Signing secret") as HTMLInputElement).value).toBe("whsec_onlyOnce1234567890");
    expect(within(card).getByText(SECRET_ONCE_NOTE)).toBeTruthy();
    expect(document.activeElement?.id).toBe("signing-secret-heading");
    expect(screen.queryByRole("form", { name: "New webhook endpoint" })).toBeNull();
    await screen.findByTestId("endpoint-alerts");
    fireEvent.click(within(card).getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("signing-secret")).toBeNull();
    expect(screen.queryByText("whsec_onlyOnce1234567890")).toBeNull();
    expect(document.body.innerHTML).not.toContain("whsec_onlyOnce1234567890"); // gone for good
  });

  it("subscribes to every event with one choice", async () => {
    const calls = api([], [], (call) => (call.method === "POST" ? { status: 201, body: { ...endpoint(4), signing_secret: "whsec_x" } } : null));
    renderPage();
    fireEvent.click(await screen.findByRole("button", { name: "New endpoint" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "all" } });
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "https://hooks.example.com/a" } });
    fireEvent.click(screen.getByRole("checkbox", { name: /^All events/ }));
    expect((screen.getByRole("checkbox", { name: /sync\.succeeded/ }) as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Create endpoint" }));
    await screen.findByTestId("signing-secret");
    expect(posts(calls)[0]!.body).toMatchObject({ events: ["*"] });
  });

  it("shows the API's field errors on their fields and focuses the first", async () => {
    api([], [], (call) =>
      call.method === "POST"
        ? {
            status: 400,
            body: {
              detail: "Invalid input.",
              errors: {
                url: ["The address 127.0.0.1 is not allowed."],
                events: ["This list may not be empty."],
                secret: ["Ensure this field has at least 16 characters."],
              },
            },
          }
        : null,
    );
    renderPage();
    fireEvent.click(await screen.findByRole("button", { name: "New endpoint" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "local" } });
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "http://127.0.0.1/hook" } });
    fireEvent.click(screen.getByRole("checkbox", { name: /sync\.failed/ }));
    fireEvent.click(screen.getByRole("checkbox", { name: /sync\.partial/ }));
    fireEvent.change(screen.getByLabelText("Signing secret"), { target: { value: "short" } });
    fireEvent.click(screen.getByRole("button", { name: "Create endpoint" }));
    expect(await screen.findByText("The address 127.0.0.1 is not allowed.")).toBeTruthy();
    const url = screen.getByLabelText("URL");
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(url.getAttribute("aria-describedby")).toContain("webhook-url-error");
    expect(screen.getByText("This list may not be empty.").id).toBe("webhook-events-error");
    expect(screen.getByRole("group", { name: "Events to send" }).getAttribute("aria-describedby")).toBe("webhook-events-error");
    expect(screen.getByLabelText("Signing secret").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByRole("alert").textContent).toBe("Not saved: 3 fields need attention.");
    await vi.waitFor(() => expect(document.activeElement).toBe(url));
    expect(screen.queryByTestId("signing-secret")).toBeNull();
  });

  it("asks for a name before sending a new endpoint, on the field, with focus", async () => {
    const calls = api([], []);
    renderPage();
    fireEvent.click(await screen.findByRole("button", { name: "New endpoint" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "  " } });
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "https://hooks.example.com/x" } });
    fireEvent.click(screen.getByRole("button", { name: "Create endpoint" }));
    const name = screen.getByLabelText("Name");
    await vi.waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("webhook-name-error")?.textContent).toBe("Give the webhook a name.");
    expect(screen.getByRole("alert").textContent).toBe("Not saved: one field needs attention.");
    await vi.waitFor(() => expect(document.activeElement).toBe(name));
    expect(calls.some((call) => call.method === "POST")).toBe(false);
  });

  it("shows what the server warned about when it created an endpoint (a host it could not resolve)", async () => {
    const warning = "The host name of https://hooks.corp.example/a could not be resolved from the web server. Saved anyway.";
    api([], [], (call) =>
      call.method === "POST" ? { status: 201, body: { ...endpoint(4, { name: "alerts", warnings: [warning] }), signing_secret: "whsec_onlyOnce1234567890" } } : null,
    );
    renderPage();
    await screen.findByTestId("endpoints-empty");
    expect(screen.queryByTestId("save-warnings")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "New endpoint" }));
    const form = screen.getByRole("form", { name: "New webhook endpoint" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "alerts" } });
    fireEvent.change(within(form).getByLabelText("URL"), { target: { value: "https://hooks.corp.example/a" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create endpoint" }));
    await screen.findByTestId("signing-secret");
    expect(screen.getByTestId("save-warnings").textContent).toBe(`Saved, with a warning:${warning}`);
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain(`created, with a warning: ${warning}`));
  });

  it("shows what the server warned about when it saved an edit, and nothing once another form opens", async () => {
    const warning = "The host name of https://later.corp.example/h could not be resolved from the web server. Saved anyway.";
    api([endpoint(1)], [], (call) => (call.method === "PATCH" ? { body: endpoint(1, { warnings: [warning] }) } : null));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Edit/ }));
    fireEvent.click(within(screen.getByRole("form", { name: "Edit ops" })).getByRole("button", { name: "Save" }));
    expect((await screen.findByTestId("save-warnings")).textContent).toBe(`Saved, with a warning:${warning}`);
    fireEvent.click(screen.getByRole("button", { name: "New endpoint" }));
    expect(screen.queryByTestId("save-warnings")).toBeNull();
  });

  it("edits an endpoint: the stored secret is kept unless a new one is typed", async () => {
    const calls = api([endpoint(1)], [], (call) => (call.method === "PATCH" ? { body: endpoint(1, { name: "ops-2" }) } : null));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Edit/ }));
    const form = screen.getByRole("form", { name: "Edit ops" });
    expect((within(form).getByLabelText("URL") as HTMLInputElement).value).toBe("https://hooks.example.com/migrateiq");
    expect((within(form).getByRole("checkbox", { name: /sync\.failed/ }) as HTMLInputElement).checked).toBe(true);
    expect((within(form).getByRole("checkbox", { name: /load\.finished/ }) as HTMLInputElement).checked).toBe(false);
    expect(within(form).getByText(/ends in …x9Zq/)).toBeTruthy();
    expect((within(form).getByLabelText("Signing secret") as HTMLInputElement).value).toBe("");
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "ops-2" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(patch.url).toBe("/api/webhooks/endpoints/1/");
    expect(patch.body).toEqual({
      name: "ops-2",
      url: "https://hooks.example.com/migrateiq",
      events: ["sync.partial", "sync.failed"],
      payload_format: "json",
      is_active: true,
    });
    await vi.waitFor(() => expect(screen.queryByRole("form", { name: "Edit ops" })).toBeNull());
  });

  it("shows an endpoint of every end of a sync (sync.*, set through the API) as the four sync boxes", async () => {
    const calls = api([endpoint(1, { events: ["sync.*"] })], [], (call) => (call.method === "PATCH" ? { body: endpoint(1) } : null));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Edit/ }));
    const form = screen.getByRole("form", { name: "Edit ops" });
    for (const event of ["sync.succeeded", "sync.partial", "sync.failed", "sync.cancelled"]) {
      expect((within(form).getByRole("checkbox", { name: new RegExp(event.replace(".", "\\.")) }) as HTMLInputElement).checked).toBe(true);
    }
    expect((within(form).getByRole("checkbox", { name: /load\.finished/ }) as HTMLInputElement).checked).toBe(false);
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(calls.find((c) => c.method === "PATCH")!.body).toMatchObject({
      events: ["sync.succeeded", "sync.partial", "sync.failed", "sync.cancelled"],
    });
  });

  it("disables and enables an endpoint", async () => {
    const calls = api([endpoint(1)], [], (call) => (call.method === "PATCH" ? { body: endpoint(1, { is_active: false }) } : null));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Disable/ }));
    await vi.waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ is_active: false }));
    await screen.findByText("ops is disabled: it receives no events.");
  });

  it("deletes an endpoint only after confirming", async () => {
    const calls = api([endpoint(1)], [], (call) => (call.method === "DELETE" ? { status: 204 } : null));
    const native = vi.spyOn(window, "confirm");
    renderPage();
    const button = within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Delete/ });
    fireEvent.click(button);
    const dialog = screen.getByRole("alertdialog", { name: "Delete the webhook endpoint ops?" });
    expect(dialog.textContent).toContain("its delivery log is deleted with it");
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(button);
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete the endpoint" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/webhooks/endpoints/1/")).toBe(true));
    expect(native).not.toHaveBeenCalled();
  });

  it("sends a test ping and shows its result: delivered, or failed with the code and the error", async () => {
    let answer = delivery(9, { event: "ping", status: "success", attempts: 1, max_attempts: 1, response_status_code: 204, error: "", next_attempt_at: null });
    const calls = api([endpoint(1)], [], (call) => (call.method === "POST" ? { body: answer } : null));
    renderPage();
    const row = await screen.findByTestId("endpoint-ops");
    fireEvent.click(within(row).getByRole("button", { name: /^Send test/ }));
    const result = await screen.findByTestId("ping-result");
    expect(posts(calls)[0]!.url).toBe("/api/webhooks/endpoints/1/test/");
    expect(within(result).getByRole("heading", { name: "Test ping to ops delivered" })).toBeTruthy();
    expect(within(result).getByText("204")).toBeTruthy();
    await vi.waitFor(() => expect(document.activeElement).toBe(result));
    await screen.findByText("Test ping to ops delivered: the receiver answered 204.");
    // the log is read again to show the ping
    expect(calls.filter((c) => c.url.startsWith("/api/webhooks/deliveries/")).length).toBeGreaterThanOrEqual(2);

    answer = delivery(10, { event: "ping", status: "failed", attempts: 1, max_attempts: 1, response_status_code: 401, error: "The receiver answered 401.", next_attempt_at: null });
    fireEvent.click(within(row).getByRole("button", { name: /^Send test/ }));
    const failed = await screen.findByRole("heading", { name: "Test ping to ops failed" });
    const card = failed.closest("section")!;
    expect(within(card).getByText("401")).toBeTruthy();
    expect(within(card).getByText("The receiver answered 401.")).toBeTruthy();
  });

  it("says a delivery's status as a sync run's badge says its own: the API's value in capitals, with its meaning; the filter still sends the API's value", async () => {
    const calls = api([endpoint(1)], [delivery(5), delivery(6, { status: "failed" }), delivery(7, { status: "success" })]);
    renderPage();
    const badge = within(await screen.findByTestId("delivery-5")).getByText("PENDING");
    render(<StatusBadge status="PENDING" />);
    const runBadge = screen.getByTitle(/^Pending: queued/);
    expect(badge.className).toBe(runBadge.className);
    expect(badge.getAttribute("title")).toMatch(/^Pending: not delivered yet/);
    expect(within(screen.getByTestId("delivery-6")).getByText("FAILED").className).toBe("badge badge-failed");
    expect(within(screen.getByTestId("delivery-7")).getByText("SUCCESS").className).toBe("badge badge-success");
    const status = screen.getByLabelText("Status") as HTMLSelectElement;
    expect(Array.from(status.options).map((option) => option.textContent)).toEqual(["Any", "PENDING", "SUCCESS", "FAILED"]);
    fireEvent.change(status, { target: { value: "failed" } });
    await vi.waitFor(() => expect(calls.at(-1)!.url).toContain("status=failed"));
  });

  it("shows the ping's refusal (a throttle) in the banner", async () => {
    api([endpoint(1)], [], (call) => (call.method === "POST" ? { status: 429, body: { detail: "Too many tests: try again in 20 s." } } : null));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("endpoint-ops")).getByRole("button", { name: /^Send test/ }));
    expect((await screen.findByRole("alert")).textContent).toBe("Too many tests: try again in 20 s.");
    expect(screen.queryByTestId("ping-result")).toBeNull();
  });

  it("shows the delivery log: status, attempts, response code and the next attempt; filtered per endpoint", async () => {
    const calls = api([endpoint(1), endpoint(2, { name: "other" })], [delivery(5)]);
    renderPage();
    const row = await screen.findByTestId("delivery-5");
    expect(within(row).getByText("PENDING")).toBeTruthy();
    expect(within(row).getByText("2 of 6")).toBeTruthy();
    expect(within(row).getByText("503")).toBeTruthy();
    expect(within(row).getByText("in 4 min")).toBeTruthy();
    expect(within(row).getByText("The receiver answered 503.")).toBeTruthy();
    const headers = within(screen.getByRole("table", { name: "Webhook deliveries" })).getAllByRole("columnheader").map((th) => th.textContent);
    expect(headers).toEqual(["Created", "Endpoint", "Event", "Status", "Attempts", "Response", "Next attempt", "Error"]);
    fireEvent.click(within(screen.getByTestId("endpoint-other")).getByRole("button", { name: /^Deliveries/ }));
    await vi.waitFor(() => expect(calls.at(-1)!.url).toContain("endpoint=2"));
    expect((screen.getByLabelText("Endpoint") as HTMLSelectElement).value).toBe("2");
    expect(document.activeElement?.id).toBe("deliveries-heading");
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "failed" } });
    await vi.waitFor(() => expect(calls.at(-1)!.url).toContain("status=failed"));
    expect(calls.at(-1)!.url).toContain("endpoint=2");
  });
});

describe("a failed delivery's hint", () => {
  it("says what to do by the receiver's answer, or by how no answer came", () => {
    expect(deliveryHint("Attempt 1 of 6: Could not connect to http://127.0.0.1:8943/…", null, true)).toBe(
      "Nothing accepted the connection: check the endpoint's host and port, and that the receiver is running.",
    );
    expect(deliveryHint("The receiver answered 401.", 401, true)).toMatch(/signing secret/);
    expect(deliveryHint("The receiver answered 404.", 404, true)).toMatch(/^Check the endpoint's URL/);
    expect(deliveryHint("The receiver answered 503.", 503, true)).toMatch(/tried again later/);
    expect(deliveryHint("Something else.", null, true)).toBeNull();
  });

  it("promises another attempt only to a delivery that has one: not to a failed one, nor to a test ping (sent once)", async () => {
    expect(deliveryHint("The receiver answered 503.", 503, false)).toBe("The receiver failed on its side: it is not tried again (send a test ping once it is fixed).");
    expect(deliveryHint("The receiver answered 429.", 429, false)).not.toMatch(/tried again later/);
    api([endpoint(1)], [delivery(5, { status: "failed", attempts: 1, max_attempts: 1, next_attempt_at: null, event: "ping" }), delivery(6)]);
    renderPage();
    // a test ping answered 503: 1 of 1 attempts, no next one
    expect(within(await screen.findByTestId("delivery-5")).getByText(/not tried again/)).toBeTruthy();
    expect(within(screen.getByTestId("delivery-5")).queryByText(/tried again later/)).toBeNull();
    expect(within(screen.getByTestId("delivery-6")).getByText(/tried again later/)).toBeTruthy();
  });

  it("is shown under the error in the delivery log", async () => {
    api([endpoint(1)], [delivery(5, { response_status_code: null, error: "Attempt 2 of 6: Could not connect to http://127.0.0.1:8943/…" })]);
    renderPage();
    const row = await screen.findByTestId("delivery-5");
    expect(within(row).getByText(/^Nothing accepted the connection/)).toBeTruthy();
  });
});

describe("a pending delivery's next attempt", () => {
  const now = Date.parse("2026-12-07T10:00:00Z");
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();

  it("says how soon while it is ahead", () => {
    expect(nextAttemptText(at(4 * 60), now)).toBe("in 4 min");
  });

  it("says due, not now, once its time has come: the beat sends it within a minute", () => {
    expect(nextAttemptText(at(10), now)).toBe("due: sent within a minute");
    expect(nextAttemptText(at(-50), now)).toBe("due: sent within a minute");
  });

  it("says how long it has waited when the beat has not sent it: the background worker is not running", () => {
    expect(nextAttemptText(at(-12 * 60), now)).toBe("due 12 min ago, waiting for the background worker");
    expect(nextAttemptText(at(-3 * 3600), now)).toBe("due 3 h ago, waiting for the background worker");
  });

  it("is shown in the delivery log for a delivery past its time", async () => {
    api([endpoint(1)], [delivery(5, { next_attempt_at: new Date(Date.now() - 20 * 60_000).toISOString() })]);
    renderPage();
    const row = await screen.findByTestId("delivery-5");
    expect(within(row).getByText("due 20 min ago, waiting for the background worker")).toBeTruthy();
    expect(within(row).queryByText("now")).toBeNull();
  });
});

describe("the webhook events' labels", () => {
  it("say that a partial sync may not have fetched everything, not only that records were quarantined", () => {
    expect(EVENT_LABELS["sync.partial"]).toBe("a sync ended partial: it did not fetch everything, or it quarantined records");
  });

  it("hold no brackets: the form shows each label in brackets after the event's name", () => {
    expect(Object.values(EVENT_LABELS).filter((label) => /[()]/.test(label))).toEqual([]);
  });
});
