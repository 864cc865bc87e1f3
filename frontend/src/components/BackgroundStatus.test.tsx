import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { setTokens } from "../api/client";
import type { BackgroundStatus } from "../api/types";
import { fakeFetch } from "../test/helpers";
import { BACKGROUND_STATUS_POLL_MS, BackgroundStatusBanner } from "./BackgroundStatus";

const STOPPED =
  "Nothing has run in the background for 7 min (last at 10:12 UTC): queued and scheduled syncs, destination loads and webhook deliveries wait until a Celery worker and the beat scheduler run and reach the broker (README, Production).";

function background(state: BackgroundStatus["state"], message = "Background work runs: a worker last reported 12 s ago."): BackgroundStatus {
  return { state, last_tick_at: "2026-12-07T10:12:30Z", seconds_since_last_tick: 12, stale_after_seconds: 180, message };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("BackgroundStatusBanner", () => {
  it("says the background work stopped, and what waits, when the status says so", async () => {
    setTokens({ access: "a", refresh: "r" });
    const calls = fakeFetch(() => ({ body: { background: background("stopped", STOPPED) } }));
    render(<BackgroundStatusBanner />);

    const banner = await screen.findByTestId("background-stopped");
    expect(banner.getAttribute("role")).toBe("status");
    expect(banner.textContent).toBe(`Background work has stopped. ${STOPPED}`);
    expect(calls.map((call) => call.url)).toEqual(["/api/status/"]);
  });

  it("shows nothing while the work runs or the workers are starting", async () => {
    setTokens({ access: "a", refresh: "r" });
    for (const state of ["running", "starting"] as const) {
      const calls = fakeFetch(() => ({ body: { background: background(state) } }));
      const { unmount } = render(<BackgroundStatusBanner />);
      await vi.waitFor(() => expect(calls).toHaveLength(1));
      await act(async () => {});
      expect(screen.queryByTestId("background-stopped")).toBeNull();
      unmount();
    }
  });

  it("shows nothing when the status cannot be read", async () => {
    setTokens({ access: "a", refresh: "r" });
    const calls = fakeFetch(() => ({ status: 503, body: { detail: "Service unavailable." } }));
    render(<BackgroundStatusBanner />);
    await vi.waitFor(() => expect(calls.length).toBeGreaterThan(0));
    await act(async () => {});
    expect(screen.queryByTestId("background-stopped")).toBeNull();
  });

  it("asks again every minute: the banner goes when the workers are back", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    setTokens({ access: "a", refresh: "r" });
    let state: BackgroundStatus["state"] = "stopped";
    fakeFetch(() => ({ body: { background: background(state, state === "stopped" ? STOPPED : undefined) } }));
    render(<BackgroundStatusBanner />);
    await screen.findByTestId("background-stopped");

    state = "running";
    await act(async () => {
      await vi.advanceTimersByTimeAsync(BACKGROUND_STATUS_POLL_MS);
    });

    await vi.waitFor(() => expect(screen.queryByTestId("background-stopped")).toBeNull());
  });
});
