import { describe, expect, it } from "vitest";

import { answeredHeading, failureHint, readFailureHeading, syncErrorHint, transportHint, upstreamHint } from "./UpstreamError";

describe("what to do after a request that got no answer", () => {
  it("says to check the host and port, and that the API runs, when nothing accepted the connection", () => {
    expect(transportHint("Could not connect to http://127.0.0.1:8939/users after 5 attempts")).toBe(
      "Nothing accepted the connection: check the endpoint's host and port, and that the API is running.",
    );
  });

  it("says to check the host name when it could not be resolved, lasting or passing", () => {
    const hint = "Check the endpoint's host name: no address was found for it.";
    expect(transportHint("The host name of https://api.exmaple.com/x could not be resolved")).toBe(hint);
    expect(transportHint("The host name of https://api.example.com/x could not be resolved (a temporary failure of the name lookup)")).toBe(hint);
  });

  it("says the host did not answer after a connect timeout, but nothing about a slow answer", () => {
    expect(transportHint("Timed out after 10 s connecting to https://10.1.2.3/x")).toContain("The API's host did not answer");
    expect(transportHint("Timed out after 30 s waiting for https://api.example.com/x")).toBeNull();
  });

  it("leaves an answer's status first: a 401 says to check the key, whatever the message", () => {
    expect(failureHint("HTTP 401 from https://api.example.com/x after 1 attempt", 401)).toBe("Check the API key and the authentication type.");
    expect(failureHint("Could not connect to https://api.example.com/x after 1 attempt", null)).toContain("check the endpoint's host and port");
    expect(failureHint(null, null)).toBeNull();
  });

  it("gives a failed sync's connection error its hint after the page it failed on", () => {
    expect(syncErrorHint("Fetching page 1 failed: Could not connect to http://127.0.0.1:8938/users after 5 attempts")).toContain(
      "check the endpoint's host and port",
    );
  });

  it("heads an answer with an error status by what the API answered, and a read that got none as unread", () => {
    expect([401, 403, 404, 429, 503, 418].map(answeredHeading)).toEqual([
      "The API refused the key (401)",
      "The API refused access (403)",
      "The API has nothing at this address (404)",
      "Rate limited by the API (429)",
      "Server error from the API (503)",
      "The API refused the request (418)",
    ]);
    expect(answeredHeading(200)).toBeNull();
    expect(readFailureHeading(null)).toBe("The API could not be read");
    expect(readFailureHeading(200)).toBe("The API could not be read");
    expect(readFailureHeading(429)).toBe("Rate limited by the API (429)");
  });

  it("says 'try again later' after a 429 only when no time to try again is shown above it", () => {
    expect(upstreamHint(429, true)).toBe("If the API keeps limiting the rate, give the connector a lower requests per second.");
    expect(upstreamHint(429)).toBe("The API is limiting the rate: try again later, or give the connector a lower requests per second.");
    expect(readFailureHeading(null, 30)).toBe("Waiting for the API's rate limit");
    expect(readFailureHeading(null, null)).toBe("The API could not be read");
  });
});
