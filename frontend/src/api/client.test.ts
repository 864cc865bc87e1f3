import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeFetch } from "../test/helpers";
import {
  ApiError,
  apiRequest,
  buildUrl,
  getTokens,
  isServerFailure,
  onAuthLost,
  restoreSession,
  revokeTokens,
  sessionEndedNotice,
  setTokens,
  SHARED_SESSION_WAIT_MS,
} from "./client";

describe("the API client", () => {
  it("sends the bearer token and returns the parsed body", async () => {
    setTokens({ access: "A1", refresh: "R1" });
    const calls = fakeFetch(() => ({ body: { ok: true } }));
    const { status, data } = await apiRequest<{ ok: boolean }>("/auth/me/");
    expect(status).toBe(200);
    expect(data).toEqual({ ok: true });
    expect(calls[0]?.url).toBe("/api/auth/me/");
    expect(calls[0]?.headers.Authorization).toBe("Bearer A1");
  });

  it("refreshes an expired access token once and repeats the call", async () => {
    setTokens({ access: "old", refresh: "R1" });
    const calls = fakeFetch((call) => {
      if (call.url === "/api/auth/token/refresh/") return { body: { access: "new", refresh: "R2" } };
      if (call.headers.Authorization === "Bearer old") return { status: 401, body: { detail: "Token expired." } };
      return { body: { id: 3 } };
    });
    const { data } = await apiRequest<{ id: number }>("/demo-extension/connectors/3/");
    expect(data).toEqual({ id: 3 });
    expect(calls.map((c) => c.url)).toEqual([
      "/api/demo-extension/connectors/3/",
      "/api/auth/token/refresh/",
      "/api/demo-extension/connectors/3/",
    ]);
    expect(calls[1]?.body).toEqual({ refresh: "R1" });
    expect(getTokens()).toEqual({ access: "new", refresh: "R2" });
    expect(JSON.parse(window.sessionStorage.getItem("migrateiq.tokens") ?? "{}")).toEqual({ access: "new", refresh: "R2" });
  });

  it("keeps the server's sentence when it ended the session, until the tab has a session again", async () => {
    setTokens({ access: "old", refresh: "replayed" });
    const ended = "This sign-in session was ended because one of its refresh tokens was presented again.";
    fakeFetch((call) =>
      call.url === "/api/auth/token/refresh/"
        ? { status: 401, body: { detail: ended, code: "session_ended" } }
        : { status: 401, body: { detail: "Token expired.", code: "token_not_valid" } },
    );
    const error = await apiRequest("/auth/me/").catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(401);
    expect(getTokens()).toBeNull();
    expect(sessionEndedNotice()).toBe(ended);
    setTokens({ access: "A2", refresh: "R2" });
    expect(sessionEndedNotice()).toBeNull();
  });

  it("keeps no sentence when the refresh is refused for another reason", async () => {
    setTokens({ access: "old", refresh: "expired" });
    fakeFetch(() => ({ status: 401, body: { detail: "Token is invalid or expired", code: "token_not_valid" } }));
    await apiRequest("/auth/me/").catch(() => undefined);
    expect(sessionEndedNotice()).toBeNull();
  });

  it("signs out and reports the lost session when the refresh is refused", async () => {
    setTokens({ access: "old", refresh: "expired" });
    const lost = vi.fn();
    onAuthLost(lost);
    const calls = fakeFetch((call) =>
      call.url === "/api/auth/token/refresh/"
        ? { status: 401, body: { detail: "Token is invalid or expired" } }
        : { status: 401, body: { detail: "Given token not valid for any token type" } },
    );
    const error = await apiRequest("/auth/me/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(calls).toHaveLength(2); // the call and one refresh, no loop
    expect(getTokens()).toBeNull();
    expect(window.sessionStorage.getItem("migrateiq.tokens")).toBeNull();
    expect(lost).toHaveBeenCalledOnce();
    onAuthLost(null);
  });

  it("signing out forgets the tokens and revokes the refresh token on the server", async () => {
    setTokens({ access: "A", refresh: "R9" });
    const calls = fakeFetch(() => ({ status: 204, body: null }));
    revokeTokens();
    expect(getTokens()).toBeNull();
    expect(window.sessionStorage.getItem("migrateiq.tokens")).toBeNull();
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]?.url).toBe("/api/auth/logout/");
    expect(calls[0]?.body).toEqual({ refresh: "R9" });
  });

  it("turns an API error into its detail sentence and field errors", async () => {
    setTokens({ access: "A", refresh: "R" });
    fakeFetch(() => ({
      status: 400,
      body: {
        detail: "api_endpoint: Enter a valid URL.",
        errors: { api_endpoint: ["Enter a valid URL."], transformation_rules: { field_mappings: ["Must be an object."] } },
      },
    }));
    const error = (await apiRequest("/demo-extension/connectors/", { method: "POST", body: {} }).catch((e: unknown) => e)) as ApiError;
    expect(error.detail).toBe("api_endpoint: Enter a valid URL.");
    expect(error.fieldErrors).toEqual({
      api_endpoint: ["Enter a valid URL."],
      transformation_rules: ["field_mappings: Must be an object."],
    });
  });

  it("explains an unreachable server and an answer without a detail", async () => {
    vi.stubGlobal("fetch", vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))));
    const offline = (await apiRequest("/auth/me/").catch((e: unknown) => e)) as ApiError;
    expect(offline.status).toBe(0);
    expect(offline.detail).toMatch(/could not be reached/);

    fakeFetch(() => ({ status: 502 }));
    const bare = (await apiRequest("/auth/me/").catch((e: unknown) => e)) as ApiError;
    expect(bare.status).toBe(502);
    expect(bare.detail).toBe("The server answered 502 without an explanation.");
  });

  it("does not send a token or refresh when signing in", async () => {
    setTokens({ access: "A", refresh: "R" });
    const calls = fakeFetch(() => ({ status: 401, body: { detail: "Invalid email or password." } }));
    const error = (await apiRequest("/auth/token/", { method: "POST", body: {}, auth: false }).catch((e: unknown) => e)) as ApiError;
    expect(error.detail).toBe("Invalid email or password.");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.Authorization).toBeUndefined();
  });

  it("leaves empty query values out of the URL", () => {
    expect(buildUrl("/demo-extension/connectors/", { page: 2, search: "", external_id: undefined, wait: 0 })).toBe(
      "/api/demo-extension/connectors/?page=2&wait=0",
    );
  });
});

/** A token pair whose refresh token carries the claims the server puts in it. */
function pairOf(user: number, tenant: string, n: number) {
  const claims = btoa(JSON.stringify({ token_type: "refresh", user_id: user, tenant })).replace(/=+$/, "");
  return { access: `access-${user}-${tenant}-${n}`, refresh: `eyJhbGciOiJIUzI1NiJ9.${claims}.sig${n}` };
}

/** Another tab of the same browser: a channel of the same name, and what it has heard. */
function otherTab() {
  const channel = new BroadcastChannel("migrateiq.auth");
  const heard: unknown[] = [];
  channel.onmessage = (event: MessageEvent) => heard.push(event.data);
  return { channel, heard };
}

/** Wait until this tab has heard every message `tab` sent so far. A channel's messages arrive in
 * the order sent, so this tab's answer to a question sent after them comes after them: no guess
 * of how long delivery takes (a loaded machine takes longer than any guess). */
async function heardAll(tab: ReturnType<typeof otherTab>) {
  const answers = tab.heard.length;
  tab.channel.postMessage({ type: "ask" });
  await vi.waitFor(() => expect(tab.heard.length).toBeGreaterThan(answers));
}

describe("tabs of one browser", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a new tab takes the session an open tab shares", async () => {
    const pair = pairOf(1, "acme", 1);
    const tab = otherTab();
    tab.channel.onmessage = (event: MessageEvent) => {
      if ((event.data as { type: string }).type === "ask") tab.channel.postMessage({ type: "tokens", pair });
    };
    expect(getTokens()).toBeNull();
    // the wait for an answer does not run out while the machine is slow: only the answer ends it
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    expect(await restoreSession()).toBe(true);
    expect(getTokens()).toEqual(pair);
    expect(JSON.parse(window.sessionStorage.getItem("migrateiq.tokens") ?? "{}")).toEqual(pair);
    tab.channel.close();
  });

  it("a new tab with no open tab answering shows the sign-in after the wait", async () => {
    const started = Date.now();
    expect(await restoreSession()).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SHARED_SESSION_WAIT_MS - 20);
    expect(getTokens()).toBeNull();
  });

  it("answers another tab's question with its session", async () => {
    const pair = pairOf(1, "acme", 1);
    setTokens(pair);
    const tab = otherTab();
    tab.channel.postMessage({ type: "ask" });
    await vi.waitFor(() => expect(tab.heard).toContainEqual({ type: "tokens", pair }));
    tab.channel.close();
  });

  it("takes a refreshed pair of its own session, never another user's or tenant's", async () => {
    setTokens(pairOf(1, "acme", 1));
    const tab = otherTab();
    tab.channel.postMessage({ type: "tokens", pair: pairOf(1, "acme", 2) });
    await vi.waitFor(() => expect(getTokens()).toEqual(pairOf(1, "acme", 2)));
    tab.channel.postMessage({ type: "tokens", pair: pairOf(1, "globex", 3) });
    tab.channel.postMessage({ type: "tokens", pair: pairOf(2, "acme", 4) });
    await heardAll(tab);
    expect(getTokens()).toEqual(pairOf(1, "acme", 2));
    expect(tab.heard.at(-1)).toEqual({ type: "tokens", pair: pairOf(1, "acme", 2) });
    tab.channel.close();
  });

  it("signing out signs out the other tabs of that session only", async () => {
    const tab = otherTab();
    setTokens(pairOf(1, "acme", 1));
    fakeFetch(() => ({ status: 204, body: null }));
    revokeTokens();
    await vi.waitFor(() => expect(tab.heard).toContainEqual({ type: "signed-out", session: "1@acme" }));

    const lost = vi.fn();
    onAuthLost(lost);
    setTokens(pairOf(1, "acme", 2));
    tab.channel.postMessage({ type: "signed-out", session: "1@globex" });
    await heardAll(tab);
    expect(getTokens()).toEqual(pairOf(1, "acme", 2));
    expect(lost).not.toHaveBeenCalled();
    tab.channel.postMessage({ type: "signed-out", session: "1@acme" });
    await vi.waitFor(() => expect(getTokens()).toBeNull());
    expect(lost).toHaveBeenCalledOnce();
    onAuthLost(null);
    tab.channel.close();
  });

  it("a refresh refused because another tab rotated the token first goes on with that tab's pair", async () => {
    const old = pairOf(1, "acme", 1);
    const rotated = pairOf(1, "acme", 2);
    setTokens(old);
    const tab = otherTab();
    const lost = vi.fn();
    onAuthLost(lost);
    const urls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input);
        const auth = (init?.headers as Record<string, string>).Authorization ?? "";
        urls.push(`${url} ${auth}`);
        if (url === "/api/auth/token/refresh/") {
          // the other tab spent the refresh token a moment earlier and shares its new pair
          tab.channel.postMessage({ type: "tokens", pair: rotated });
          await vi.waitFor(() => expect(getTokens()).toEqual(rotated));
          return new Response(JSON.stringify({ detail: "Token is blacklisted" }), { status: 401 });
        }
        if (auth === `Bearer ${old.access}`) return new Response(JSON.stringify({ detail: "expired" }), { status: 401 });
        return new Response(JSON.stringify({ id: 7 }), { status: 200 });
      }),
    );
    const { data } = await apiRequest<{ id: number }>("/demo-extension/connectors/7/");
    expect(data).toEqual({ id: 7 });
    expect(urls).toEqual([
      `/api/demo-extension/connectors/7/ Bearer ${old.access}`,
      "/api/auth/token/refresh/ ",
      `/api/demo-extension/connectors/7/ Bearer ${rotated.access}`,
    ]);
    expect(getTokens()).toEqual(rotated);
    expect(lost).not.toHaveBeenCalled();
    onAuthLost(null);
    tab.channel.close();
  });
});

describe("a server failure", () => {
  it("keeps the server's request id, says a non-JSON 5xx plainly, and counts no answer and 5xx as server failures", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("<html>oops</html>", { status: 500, headers: { "Content-Type": "text/html", "X-Request-ID": "0123abcd" } })),
    );
    const failure = await apiRequest("/demo-extension/connectors/", { auth: false }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).detail).toBe("The server failed with HTTP 500 and sent no explanation.");
    expect((failure as ApiError).requestId).toBe("0123abcd");
    expect(isServerFailure(failure)).toBe(true);
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    const unreachable = await apiRequest("/auth/me/", { auth: false }).catch((error: unknown) => error);
    expect((unreachable as ApiError).status).toBe(0);
    expect(isServerFailure(unreachable)).toBe(true);
    expect(isServerFailure(new ApiError(404, "Not found."))).toBe(false);
  });
});
