// The one place the UI talks HTTP: base URL, bearer token, token refresh, error shape.
//
// Tokens live in memory and in sessionStorage (a reload keeps the session; closing the browser's
// last tab of MigrateIQ ends it). The open tabs of one browser share a session through a
// BroadcastChannel (same origin only): a tab opened later asks them for it, a refreshed pair reaches
// every tab of the same session (the refresh token rotates: a tab left with the old one would be
// signed out), and signing out signs out every tab of that session. A tab signed in as another user
// or to another tenant keeps its own session.
// A 401 on an authenticated call refreshes the access token once with /api/auth/token/refresh/
// (one tab at a time, through a Web Lock where the browser has them) and repeats the call; if that
// fails too, the tab's tokens are dropped and the auth-lost handler sends the user back to the
// sign-in page, which says why when the server ended the session (a refresh token presented again
// after its use: it may have been copied).

import { parseJsonExact } from "./exactJson";
import type { TokenPair } from "./types";

const STORAGE_KEY = "migrateiq.tokens";
const API_PREFIX = "/api";

/** An API answer that was not a success, with the API's own `detail` sentence. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  /** Validation errors by field (``errors`` of a 400), each a list of sentences. */
  readonly fieldErrors: Record<string, string[]>;
  readonly body: unknown;
  /** The server's id of the request (its `X-Request-ID` header): its log lines carry it. */
  readonly requestId: string | null;

  constructor(status: number, detail: string, body: unknown = null, requestId: string | null = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.body = body;
    this.fieldErrors = fieldErrorsOf(body);
    this.requestId = requestId;
  }
}

/** The server could not be reached (no answer at all) or failed (a 5xx): not the user's doing,
 * and worth trying again, unlike a refusal (a 4xx). */
export function isServerFailure(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

/** A sane request id from a response's X-Request-ID header, or null. */
function requestIdOf(response: Response): string | null {
  const value = response.headers.get("X-Request-ID");
  return value && /^[A-Za-z0-9._-]{1,128}$/.test(value) ? value : null;
}

function flattenMessages(value: unknown, prefix = ""): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === "string") return [prefix ? `${prefix}: ${value}` : value];
  if (Array.isArray(value)) return value.flatMap((item) => flattenMessages(item, prefix));
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      flattenMessages(item, prefix ? `${prefix}.${key}` : key),
    );
  }
  return [prefix ? `${prefix}: ${String(value)}` : String(value)];
}

function fieldErrorsOf(body: unknown): Record<string, string[]> {
  if (!body || typeof body !== "object" || !("errors" in body)) return {};
  const errors = (body as { errors: unknown }).errors;
  if (!errors || typeof errors !== "object" || Array.isArray(errors)) return {};
  const result: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(errors as Record<string, unknown>)) {
    result[field] = flattenMessages(value);
  }
  return result;
}

function detailOf(status: number, body: unknown): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail) return detail;
  }
  if (status === 0) return "The MigrateIQ server could not be reached.";
  return `The server answered ${status} without an explanation.`;
}

// --- tokens ---------------------------------------------------------------------------------

let tokens: TokenPair | null = readStoredTokens();
let authLostHandler: (() => void) | null = null;
let sharedSessionHandler: (() => void) | null = null;
let refreshing: Promise<boolean> | null = null;
let endedNotice: string | null = null;

function readStoredTokens(): TokenPair | null {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<TokenPair>;
    if (typeof parsed.access === "string" && typeof parsed.refresh === "string") {
      return { access: parsed.access, refresh: parsed.refresh };
    }
  } catch {
    // unreadable storage: start signed out
  }
  return null;
}

export function getTokens(): TokenPair | null {
  return tokens;
}

function keepTokens(pair: TokenPair | null): void {
  tokens = pair;
  if (pair) endedNotice = null;
  try {
    if (pair) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(pair));
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable (private mode): the tokens stay in memory only
  }
}

/** Keep `pair` in this tab and offer it to the other tabs (they take it when they have no session
 * or the same one); null forgets this tab's tokens only. */
export function setTokens(pair: TokenPair | null): void {
  keepTokens(pair);
  if (pair) tell({ type: "tokens", pair });
}

/** Forget the tokens and end the sign-in session on the server with its refresh token, which
 * refuses the session's access tokens too (best effort: the browser's copy is gone either way);
 * the other tabs of this session are signed out too. */
export function revokeTokens(): void {
  const current = tokens;
  keepTokens(null);
  if (!current) return;
  const session = sessionOf(current);
  if (session) tell({ type: "signed-out", session });
  void fetch(`${API_PREFIX}/auth/logout/`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ refresh: current.refresh }),
  }).catch(() => undefined);
}

/** Re-read sessionStorage (for tests that prepare the storage before a call). */
export function reloadTokensFromStorage(): void {
  tokens = readStoredTokens();
}

/** Called when the session cannot be renewed: the app shows the sign-in page. */
export function onAuthLost(handler: (() => void) | null): void {
  authLostHandler = handler;
}

/** Why the server ended this tab's last session (the sign-in page shows it), until the tab has a
 * session again; null when it was not ended by the server. */
export function sessionEndedNotice(): string | null {
  return endedNotice;
}

/** Remember the API's sentence when a 401 says the sign-in session was ended. */
function noteSessionEnded(body: unknown): void {
  if (body && typeof body === "object" && (body as { code?: unknown }).code === "session_ended") {
    endedNotice = detailOf(401, body);
  }
}

async function refreshAccessToken(refused: string | undefined): Promise<boolean> {
  const current = tokens;
  if (!current) return false;
  // Another tab refreshed while this one waited for the lock: its pair is already here.
  if (refused !== undefined && current.access !== refused) return true;
  try {
    const response = await fetch(`${API_PREFIX}/auth/token/refresh/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh: current.refresh }),
    });
    if (!response.ok) {
      // Refused because another tab rotated the refresh token and its pair arrived meanwhile.
      if (tokens !== null && tokens.refresh !== current.refresh) return true;
      noteSessionEnded(await readBody(response));
      return false;
    }
    const body = (await response.json()) as Partial<TokenPair>;
    if (typeof body.access !== "string") return false;
    setTokens({ access: body.access, refresh: typeof body.refresh === "string" ? body.refresh : current.refresh });
    return true;
  } catch {
    return false;
  }
}

/** One refresh at a time: concurrent 401s wait for the same attempt, and the tabs of a browser
 * take turns (a Web Lock), so two tabs never spend the same refresh token. `refused`: the access
 * token the server refused (no refresh when another tab has replaced it already). */
function refreshOnce(refused: string | undefined): Promise<boolean> {
  if (!refreshing) {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const attempt = locks
      ? locks.request(REFRESH_LOCK, () => refreshAccessToken(refused))
      : refreshAccessToken(refused);
    refreshing = attempt.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// --- the other tabs of this browser ----------------------------------------------------------

const CHANNEL_NAME = "migrateiq.auth";
const REFRESH_LOCK = "migrateiq.token-refresh";
/** How long a new tab waits for an open one to share its session before showing the sign-in. */
export const SHARED_SESSION_WAIT_MS = 250;

type TabMessage =
  | { type: "ask" }
  | { type: "tokens"; pair: TokenPair }
  | { type: "signed-out"; session: string };

const channel: BroadcastChannel | null = openChannel();
let answerWaiter: (() => void) | null = null;

function openChannel(): BroadcastChannel | null {
  if (typeof BroadcastChannel === "undefined") return null;
  try {
    const opened = new BroadcastChannel(CHANNEL_NAME);
    opened.onmessage = (event: MessageEvent) => hear(event.data as TabMessage);
    return opened;
  } catch {
    return null;
  }
}

function tell(message: TabMessage): void {
  try {
    channel?.postMessage(message);
  } catch {
    // a closed channel: this tab keeps its own session
  }
}

/** "user id @ tenant" of a token pair (from its refresh token's claims), or null. */
export function sessionOf(pair: TokenPair | null): string | null {
  const payload = pair?.refresh.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    if (claims.user_id === undefined || claims.tenant === undefined) return null;
    return `${String(claims.user_id)}@${String(claims.tenant)}`;
  } catch {
    return null;
  }
}

function isPair(value: unknown): value is TokenPair {
  const pair = value as Partial<TokenPair> | null;
  return !!pair && typeof pair.access === "string" && typeof pair.refresh === "string";
}

function hear(message: TabMessage): void {
  if (!message || typeof message !== "object") return;
  if (message.type === "ask") {
    if (tokens) tell({ type: "tokens", pair: tokens });
  } else if (message.type === "tokens" && isPair(message.pair)) {
    const mine = sessionOf(tokens);
    if (tokens && (mine === null || mine !== sessionOf(message.pair))) return; // another session
    const hadNone = tokens === null;
    keepTokens(message.pair);
    answerWaiter?.();
    if (hadNone) sharedSessionHandler?.();
  } else if (message.type === "signed-out" && tokens && sessionOf(tokens) === message.session) {
    keepTokens(null);
    authLostHandler?.();
  }
}

/**
 * Whether this tab has a session: its own (kept across reloads), or one an open tab of this
 * browser shares within SHARED_SESSION_WAIT_MS. Call once when the app starts.
 */
export function restoreSession(): Promise<boolean> {
  if (tokens) return Promise.resolve(true);
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    // The global timers, not window's: the wait may end after the page (a test's DOM) is gone.
    const done = () => {
      clearTimeout(timer);
      answerWaiter = null;
      resolve(tokens !== null);
    };
    const timer = setTimeout(done, SHARED_SESSION_WAIT_MS);
    answerWaiter = done;
    tell({ type: "ask" });
  });
}

/** Called when another tab signs in while this one has no session (the app loads who it is). */
export function onSharedSession(handler: (() => void) | null): void {
  sharedSessionHandler = handler;
}

// --- requests -------------------------------------------------------------------------------

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** false for sign-in: no bearer token, no refresh on 401. */
  auth?: boolean;
  signal?: AbortSignal;
  /** Keep numbers a double cannot hold exact (BigInt, ExactNumber): for record data the UI shows. */
  exact?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const url = `${API_PREFIX}${path.startsWith("/") ? path : `/${path}`}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `${url}?${text}` : url;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.auth !== false && tokens) headers.Authorization = `Bearer ${tokens.access}`;
  try {
    return await fetch(buildUrl(path, options.query), {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "The MigrateIQ server could not be reached. Check your connection and try again.");
  }
}

async function readBody(response: Response, exact = false): Promise<unknown> {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return exact ? parseJsonExact(text) : (JSON.parse(text) as unknown);
  } catch {
    // An HTML error page (a proxy's, or the server's own when it fails before the API's handler).
    if (response.status >= 500) return { detail: `The server failed with HTTP ${response.status} and sent no explanation.` };
    return { detail: `The server answered ${response.status} with a non-JSON body.` };
  }
}

/** Call the MigrateIQ API; resolves with the parsed body of a 2xx, rejects with an ApiError. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const used = tokens?.access;
  let response = await send(path, options);
  if (response.status === 401 && options.auth !== false) {
    if (tokens && (await refreshOnce(used))) {
      response = await send(path, options);
    }
    if (response.status === 401) {
      const body = await readBody(response);
      noteSessionEnded(body);
      setTokens(null);
      authLostHandler?.();
      throw new ApiError(401, detailOf(401, body), body, requestIdOf(response));
    }
  }
  const body = await readBody(response, options.exact && response.ok);
  if (!response.ok) throw new ApiError(response.status, detailOf(response.status, body), body, requestIdOf(response));
  return { status: response.status, data: body as T };
}

/** A sentence for any error a call can raise. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}

// --- file downloads -------------------------------------------------------------------------

export interface DownloadedFile {
  blob: Blob;
  /** The server's file name (Content-Disposition), or null when it named none. */
  fileName: string | null;
}

function fileNameOf(disposition: string | null): string | null {
  const match = disposition ? /filename="?([^";]+)"?/i.exec(disposition) : null;
  return match?.[1] ?? null;
}

/**
 * Fetch a file the API streams (e.g. an export) with the bearer token in the Authorization
 * header, never in the address, so the token stays out of URLs, history and server logs.
 * `onProgress` gets the bytes received so far; errors are ApiErrors like every other call.
 */
export async function apiDownload(
  path: string,
  query: Record<string, QueryValue>,
  onProgress?: (bytes: number) => void,
): Promise<DownloadedFile> {
  const used = tokens?.access;
  let response = await send(path, { query });
  if (response.status === 401 && tokens && (await refreshOnce(used))) response = await send(path, { query });
  if (!response.ok) {
    const body = await readBody(response);
    if (response.status === 401) {
      noteSessionEnded(body);
      setTokens(null);
      authLostHandler?.();
    }
    throw new ApiError(response.status, detailOf(response.status, body), body, requestIdOf(response));
  }
  const type = response.headers.get("Content-Type") ?? "application/octet-stream";
  const fileName = fileNameOf(response.headers.get("Content-Disposition"));
  const reader = response.body?.getReader();
  if (!reader) return { blob: await response.blob(), fileName };
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      onProgress?.(received);
    }
  } catch {
    throw new ApiError(0, `The download stopped after ${received} bytes: the connection was lost. Try again.`);
  }
  return { blob: new Blob(chunks as BlobPart[], { type }), fileName };
}
