import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { createMemoryRouter, RouterProvider } from "react-router-dom";
import { vi } from "vitest";

import type { Connector, Destination, Me, Preview, PreviewRecord, Role, SyncLogDetail } from "../api/types";
import { AuthContext, type AuthState } from "../auth";

export interface FakeCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  /** The body's exact text (instead of `body` as JSON): e.g. integers JSON.stringify cannot write. */
  text?: string;
}

/**
 * Replace fetch with `answer(call)`; returns the list of calls made. A thrown error in `answer`
 * is a network failure.
 */
export function fakeFetch(answer: (call: FakeCall) => FakeAnswer): FakeCall[] {
  const calls: FakeCall[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const call: FakeCall = {
        method: init?.method ?? "GET",
        url: String(input),
        headers: { ...((init?.headers as Record<string, string> | undefined) ?? {}) },
        body: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
      };
      calls.push(call);
      const { status = 200, body = null, text: raw } = answer(call);
      const text = raw ?? (status === 204 || body === null ? "" : JSON.stringify(body));
      return new Response(text || null, { status, headers: { "Content-Type": "application/json" } });
    }),
  );
  return calls;
}

/** Hold back the answers to requests whose address ends with `ending` (over fakeFetch's) until the
 * returned function is called: a slow upstream behind the API. */
export function holdAnswers(ending: string): () => void {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const answer = globalThis.fetch;
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input).endsWith(ending)) await released;
    return answer(input, init);
  });
  return release;
}

export function me(role: Role): Me {
  return {
    user: { id: 1, email: `${role}@acme.test`, full_name: "" },
    tenant: { id: 1, slug: "acme", name: "Acme" },
    role,
    modules: ["demo_extension", "audit", "webhooks"],
  };
}

/** Render `element` at `path` (matched by `pattern`) as a signed-in user with `role`, in a data
 * router as the app has (so a form's navigation blocker works); any other address shows
 * "elsewhere"; `before` are history entries before it. Returns the router too, to navigate
 * (router.navigate(-1) is the browser's Back button). */
export function renderAs(role: Role, element: ReactElement, path = "/", pattern = "/", { before = [] }: { before?: string[] } = {}) {
  const auth: AuthState = { me: me(role), checking: false, signIn: vi.fn(), signOut: vi.fn(), acceptInvitation: vi.fn() };
  const router = createMemoryRouter(
    [
      { path: pattern, element },
      { path: "*", element: <div>elsewhere</div> },
    ],
    { initialEntries: [...before, path], initialIndex: before.length },
  );
  const result = render(
    <AuthContext.Provider value={auth}>
      <RouterProvider router={router} />
    </AuthContext.Provider>,
  );
  return { ...result, router };
}

/** Render a component on its own inside a data router (at "/", with an "/elsewhere" page). */
export function renderInRouter(element: ReactElement, initialEntries: string[] = ["/"]) {
  const router = createMemoryRouter(
    [
      { path: "/", element },
      { path: "*", element: <div>elsewhere</div> },
    ],
    { initialEntries, initialIndex: initialEntries.length - 1 },
  );
  return { ...render(<RouterProvider router={router} />), router };
}

export function connector(overrides: Partial<Connector> = {}): Connector {
  return {
    id: 7,
    name: "Customer <b>API</b>",
    source_type: "rest",
    api_endpoint: "https://api.example.com/customers",
    has_api_key: true,
    api_key_last4: "9xyz",
    sync_frequency: "DAILY",
    sync_time: null,
    sync_weekday: null,
    is_active: true,
    auth_type: "bearer",
    auth_header_name: "",
    auth_param_name: "",
    has_auth_username: false,
    has_auth_password: false,
    has_oauth_client_secret: false,
    secret_param_names: {},
    oauth_token_url: "",
    oauth_client_id: "",
    oauth_scopes: "",
    oauth_audience: "",
    oauth_client_auth: "client_secret_basic",
    request_headers: {},
    query_params: {},
    request_method: "GET",
    request_body: {},
    records_path: null,
    primary_key: "id",
    pagination: { type: "auto" },
    incremental: {},
    transformation_rules: {},
    max_pages: null,
    max_sync_seconds: null,
    max_requests_per_second: null,
    max_concurrent_requests: 4,
    max_requests_per_sync: null,
    error_detection: {},
    schema_policy: "evolve",
    records_count: 1234,
    last_sync_at: "2026-11-27T10:00:00Z",
    last_sync_status: "SUCCESS",
    next_sync_at: "2026-11-28T10:00:00Z",
    created_by: "admin@acme.test",
    created_at: "2026-11-01T10:00:00Z",
    updated_at: "2026-11-01T10:00:00Z",
    ...overrides,
  };
}

export function syncLog(overrides: Partial<SyncLogDetail> = {}): SyncLogDetail {
  return {
    id: 5,
    connector: 7,
    connector_name: "Customer API",
    status: "RUNNING",
    triggered_by: "api",
    records_processed: 0,
    records_created: 0,
    records_updated: 0,
    records_unchanged: 0,
    records_failed: 0,
    records_deleted: 0,
    pages_fetched: 0,
    duration_seconds: null,
    started_at: "2026-11-27T10:00:00Z",
    resumed_at: null,
    finished_at: null,
    error_message: "",
    detected_pagination: "",
    full_refresh: false,
    allow_empty: false,
    attempts: 1,
    created_at: "2026-11-27T10:00:00Z",
    can_resume: false,
    records_total: null,
    events: [],
    ...overrides,
  };
}

export const emptyPage = { count: 0, next: null, previous: null, results: [] };

/** A preview answer as connectors/preview/ gives it (README "Preview before saving"). */
export function previewBody(overrides: Partial<Preview> = {}): Preview {
  return {
    ok: true,
    error: null,
    status_code: 200,
    retry_after: null,
    response_time_ms: 8.4,
    pages_fetched: 2,
    records_path: "data",
    records_path_detected: true,
    pagination: {
      type: "page",
      config: { type: "page", page_param: "page", start_page: 1 },
      detected: true,
      description: "page (parameter 'page')",
      reason: "The body reports page numbers or a page count.",
      has_more: true,
    },
    records_in_pages: 50,
    primary_key: "id",
    primary_key_candidates: [
      { path: "id", unique_in_sample: true, present_in: 2 },
      { path: "email", unique_in_sample: true, present_in: 2 },
    ],
    cursor_candidates: [{ path: "updated_at", kind: "timestamp", min: "2024-01-01T00:00:00Z", max: "2024-03-01T00:00:00Z", increasing: false }],
    fields: [
      { path: "id", types: ["integer"], present_in: 2, samples: [1, 2] },
      { path: "address.city", types: ["string"], present_in: 2, samples: ["Lyon", "Oslo"] },
    ],
    records: [
      { raw: { id: 1, name: "Ada", address: { city: "Lyon" } }, transformed: { id: 1, full_name: "Ada", city: "Lyon" }, error: null, ...notCompared() },
      { raw: { id: 2, name: "Bob", address: { city: "Oslo" } }, transformed: null, error: "required field 'email' is missing", ...notCompared() },
    ],
    warnings: ["The mapped source field 'full_name' is in no sample record (did you mean 'name' → 'full_name'?)."],
    changes: null,
    ...overrides,
  };
}

/** A preview record's comparison fields for a record not compared with stored ones (an unsaved connector). */
export function notCompared(): Pick<PreviewRecord, "change" | "changed_fields" | "more_changed_fields"> {
  return { change: null, changed_fields: [], more_changed_fields: 0 };
}

export function destination(overrides: Partial<Destination> = {}): Destination {
  return {
    id: 3,
    name: "Warehouse",
    type: "postgresql",
    host: "db.example.com",
    port: 5432,
    database: "analytics",
    username: "loader",
    has_password: true,
    has_dsn: false,
    sslmode: "require",
    target_schema: "public",
    deleted_rows: "delete",
    is_active: true,
    attachments: [],
    created_at: "2026-11-27T10:00:00Z",
    updated_at: "2026-11-27T10:00:00Z",
    ...overrides,
  };
}
