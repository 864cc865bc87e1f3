// An error an upstream API answered, as a preview or a connection test reports it.

import { useState } from "react";

import { formatTimeLeft } from "../format";

/** The status to add after `message`: none when there is none or the message already names it
 * ("HTTP 401 from https://… after 1 attempt"). */
export function statusSuffix(message: string, statusCode: number | null | undefined): string {
  if (!statusCode) return "";
  return new RegExp(`\\bHTTP ${statusCode}\\b`).test(message) ? "" : ` (HTTP ${statusCode})`;
}

/** What to do about an API's error answer: where to look after it refused the credentials (401)
 * or what they may do (403), found no such address (404), limited the rate (429) or failed on its
 * side (5xx); and after an answer that came (2xx) but could not be read as records. */
export function upstreamHint(statusCode: number | null | undefined, retryTimeShown = false): string | null {
  if (statusCode === 401) return "Check the API key and the authentication type.";
  if (statusCode === 403) return "Check the API key and the authentication type, and the key's permissions.";
  if (statusCode === 404) return "Check the endpoint's path: the API has nothing at this address.";
  // With the time to try again shown above it, "try again later" would say it twice, vaguer.
  if (statusCode === 429 && retryTimeShown) return "If the API keeps limiting the rate, give the connector a lower requests per second.";
  if (statusCode === 429) return "The API is limiting the rate: try again later, or give the connector a lower requests per second.";
  if (statusCode && statusCode >= 500) return "The API failed on its side, not because of these settings: try again later.";
  if (statusCode && statusCode >= 200 && statusCode < 300)
    return "The API answered, but not as this connector expects: check the records path and the settings for errors answered with HTTP 200.";
  return null;
}

/** What an API that answered an error status did, as a heading ("The API refused the key (401)"):
 * it was reached, so "not connected" or "could not be read" would send the user after the network.
 * Null for a success status or none. */
export function answeredHeading(statusCode: number | null | undefined): string | null {
  if (!statusCode || statusCode < 400) return null;
  if (statusCode === 401) return "The API refused the key (401)";
  if (statusCode === 403) return "The API refused access (403)";
  if (statusCode === 404) return "The API has nothing at this address (404)";
  if (statusCode === 429) return "Rate limited by the API (429)";
  if (statusCode >= 500) return `Server error from the API (${statusCode})`;
  return `The API refused the request (${statusCode})`;
}

/** Whether a failed request is the API's rate limit rather than a failure: it answered 429, or
 * nothing was sent because an earlier 429 / Retry-After paused the connector (no status, a wait). */
export function isRateLimited(statusCode: number | null | undefined, retryAfter: number | null | undefined): boolean {
  return statusCode === 429 || (!statusCode && retryAfter !== null && retryAfter !== undefined && retryAfter > 0);
}

/** A failed preview's heading: what the API answered, that nothing was sent while the connector
 * waits for the API's rate limit, else that it could not be read. */
export function readFailureHeading(statusCode: number | null | undefined, retryAfter?: number | null): string {
  if (!statusCode && isRateLimited(statusCode, retryAfter)) return "Waiting for the API's rate limit";
  return answeredHeading(statusCode) ?? "The API could not be read";
}

/** The clock time `seconds` after `from` (ms since the epoch), with its time zone as the log's
 * times have it ("14:03:07 UTC"), and how long until then ("45 s"). */
export function retryClock(seconds: number, from: number): { clock: string; wait: string } {
  const at = new Date(from + seconds * 1000);
  const clock = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" });
  return { clock, wait: formatTimeLeft(seconds).replace(/^about /, "") };
}

/** What to do when no answer came at all, by the outbound client's words (core/http.py): nothing
 * accepted the connection, the host name is unknown, or the connection timed out. */
export function transportHint(message: string | null | undefined): string | null {
  if (!message) return null;
  if (/\bcould not be resolved\b/i.test(message)) return "Check the endpoint's host name: no address was found for it.";
  if (/\bCould not connect to\b/.test(message)) return "Nothing accepted the connection: check the endpoint's host and port, and that the API is running.";
  if (/\bTimed out after [\d.]+ s connecting to\b/.test(message)) return "The API's host did not answer: check the endpoint's host and port, and that the API is reachable from this server.";
  return null;
}

/** What to do after a request failed: by the status the API answered, else by how no answer came. */
export function failureHint(message: string | null | undefined, statusCode: number | null | undefined, retryTimeShown = false): string | null {
  return upstreamHint(statusCode, retryTimeShown) ?? (statusCode ? null : transportHint(message));
}

/** What to do about a failed sync's error message: the hint of the HTTP error it names ("HTTP 401
 * from https://… after 1 attempt"), of records not found where the records path says, or of a
 * request that got no answer ("Could not connect to …"). */
export function syncErrorHint(message: string | null | undefined): string | null {
  if (!message) return null;
  const status = /\bHTTP (\d{3}) from\b/.exec(message);
  if (status) return Number(status[1]) >= 400 ? upstreamHint(Number(status[1])) : null;
  if (/\brecords_path\b.*\bnot found\b/.test(message)) return "Set the connector's records path to where the answer keeps its records (its keys are named above), or back to Detect.";
  return transportHint(message);
}

/** An API's error answer (or why nothing was sent) with what to do. A rate limit is a warning, not
 * an error, with the time to try again when the API named a wait (`retryAfter` seconds). */
export function UpstreamError({ message, statusCode, retryAfter }: { message: string | null; statusCode: number | null | undefined; retryAfter?: number | null }) {
  const text = message ?? "No detail.";
  // the moment the answer came, for "try again after" (kept while it is shown)
  const [answeredAt] = useState(() => Date.now());
  const limited = isRateLimited(statusCode, retryAfter);
  // A paused connector's message (nothing sent, no status) already says for how long and what to
  // do: neither the time nor the hint is said again under it.
  const wait = limited && statusCode && retryAfter ? retryClock(retryAfter, answeredAt) : null;
  const hint = limited && !statusCode ? null : failureHint(message, statusCode, wait !== null);
  return (
    <>
      {wait ? (
        <p data-testid="retry-after">
          Try again after {wait.clock} (in {wait.wait}): the API asked to wait until then.
        </p>
      ) : null}
      <p className={`banner ${limited ? "banner-warning" : "banner-error"}`}>
        {text}
        {statusSuffix(text, statusCode)}
      </p>
      {hint ? <p className="hint">{hint}</p> : null}
    </>
  );
}
