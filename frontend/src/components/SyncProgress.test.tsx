import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { fakeFetch, syncLog } from "../test/helpers";
import { cancelSyncQuestion, SyncProgress } from "./SyncProgress";

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("following a sync", () => {
  it("shows while the connector waits for the API's rate limit, and drops it when the pause is over", async () => {
    const answers = [
      syncLog({ status: "RUNNING", requests_paused_for: 1.6 }),
      syncLog({ status: "RUNNING", requests_paused_for: 0.4 }),
      syncLog({ status: "RUNNING", requests_paused_for: 0 }),
    ];
    const calls = fakeFetch(() => ({ body: answers[Math.min(calls.length - 1, answers.length - 1)] }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );

    await advance(0);
    expect(screen.getByTestId("rate-limit-pause").textContent).toContain("paused for another 2\u00a0s"); // the number and its unit never split across lines
    await advance(1000);
    expect(screen.getByTestId("rate-limit-pause").textContent).toContain("paused for another 1\u00a0s"); // the number and its unit never split across lines
    await advance(1000);
    expect(screen.queryByTestId("rate-limit-pause")).toBeNull();
  });

  it("polls the sync log every second and shows its counters until it finishes", async () => {
    const answers = [
      syncLog({ status: "PENDING" }),
      syncLog({ status: "RUNNING", records_processed: 50, pages_fetched: 1 }),
      syncLog({ status: "RUNNING", records_processed: 100, pages_fetched: 2 }),
      syncLog({ status: "SUCCESS", records_processed: 120, records_created: 120, pages_fetched: 3, duration_seconds: 2.5 }),
    ];
    const calls = fakeFetch(() => ({ body: answers[Math.min(calls.length - 1, answers.length - 1)] }));
    const finished = vi.fn();
    render(
      <MemoryRouter>
        <SyncProgress logId={5} onFinished={finished} />
      </MemoryRouter>,
    );

    await advance(0);
    expect(screen.getByText("PENDING")).toBeTruthy();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe("/api/demo-extension/sync-logs/5/");

    await advance(999);
    expect(calls).toHaveLength(1); // not before a second has passed
    await advance(1);
    expect(screen.getByText("RUNNING")).toBeTruthy();
    expect(screen.getByTestId("records-processed").textContent).toBe("50");
    expect(screen.getByTestId("pages-fetched").textContent).toBe("1");

    await advance(1000);
    expect(screen.getByTestId("records-processed").textContent).toBe("100");
    expect(screen.getByTestId("pages-fetched").textContent).toBe("2");
    expect(finished).not.toHaveBeenCalled();

    await advance(1000);
    expect(screen.getByText("SUCCESS")).toBeTruthy();
    expect(screen.getByTestId("records-processed").textContent).toBe("120");
    expect(finished).toHaveBeenCalledOnce();
    expect(finished.mock.calls[0]?.[0]).toMatchObject({ status: "SUCCESS" });

    await advance(5000);
    expect(calls).toHaveLength(4); // a finished sync is not polled again
    expect(screen.getByRole("link", { name: "run #5" }).getAttribute("href")).toBe("/sync-logs/5");
  });

  it("shows a failed sync's error message", async () => {
    fakeFetch(() => ({ body: syncLog({ status: "FAILED", error_message: "Upstream answered 500 on page 3." }) }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByText("FAILED")).toBeTruthy();
    expect(screen.getByText("Upstream answered 500 on page 3.")).toBeTruthy();
  });

  it("says what to do under a failed sync's error when the API refused the key", async () => {
    fakeFetch(() => ({ body: syncLog({ status: "FAILED", error_message: "Fetching page 1 failed: HTTP 401 from https://api.example.com/x after 1 attempt" }) }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByText("Check the API key and the authentication type.")).toBeTruthy();
  });

  it("keeps following through a passing server error, and says so", async () => {
    let n = 0;
    fakeFetch(() => {
      n += 1;
      if (n === 2) return { status: 503, body: { detail: "The service is restarting." } };
      return { body: syncLog({ status: n >= 3 ? "SUCCESS" : "RUNNING", records_processed: n * 10 }) };
    });
    render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    await advance(1000);
    expect(screen.getByRole("alert").textContent).toBe("The service is restarting.");
    await advance(3000);
    expect(screen.getByText("SUCCESS")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says in words that a run deleted while followed is gone, and stops polling it", async () => {
    let n = 0;
    const calls = fakeFetch(() => {
      n += 1;
      return n === 1 ? { body: syncLog({ status: "RUNNING", records_processed: 300 }) } : { status: 404, body: { detail: "Not found." } };
    });
    const gone = vi.fn();
    const finished = vi.fn();
    render(
      <MemoryRouter>
        <SyncProgress logId={5} canCancel onGone={gone} onFinished={finished} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByText("RUNNING")).toBeTruthy();
    await advance(1000);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("Run #5 is gone: it no longer exists in this tenant, most likely because its connector was deleted");
    expect(alert.textContent).toContain("It is no longer followed.");
    expect(alert.textContent).toContain("Last seen running, 300 records read.");
    expect(alert.textContent).not.toContain("Not found.");
    // nothing says it still runs: no status badge, no spinner, no cancel, not busy
    expect(screen.queryByText("RUNNING")).toBeNull();
    expect(screen.queryByRole("button", { name: "Cancel sync" })).toBeNull();
    expect(screen.getByTestId("sync-progress").getAttribute("aria-busy")).toBe("false");
    expect(gone).toHaveBeenCalledExactlyOnceWith(5);
    expect(finished).not.toHaveBeenCalled();
    await advance(10_000);
    expect(calls).toHaveLength(2);
    expect(gone).toHaveBeenCalledOnce();
  });

  it("says a run that was never seen is gone instead of waiting for it", async () => {
    fakeFetch(() => ({ status: 404, body: { detail: "Not found." } }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByRole("alert").textContent).toContain("Run #5 is gone");
    expect(screen.queryByText("Waiting for the sync…")).toBeNull();
  });

  it("shows a progress bar that fills as the sync runs when the upstream announced a total, and none without one", async () => {
    const answers = [
      syncLog({ status: "RUNNING", records_processed: 25, pages_fetched: 1, records_total: 100 }),
      syncLog({ status: "RUNNING", records_processed: 75, pages_fetched: 3, records_total: 100 }),
      syncLog({ status: "SUCCESS", records_processed: 100, pages_fetched: 4, records_total: 100, duration_seconds: 3 }),
    ];
    const calls = fakeFetch(() => ({ body: answers[Math.min(calls.length - 1, answers.length - 1)] }));
    const { unmount } = render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    const bar = () => screen.getByRole("progressbar", { name: "Records synced of the announced total" });
    expect(bar().getAttribute("aria-valuenow")).toBe("25");
    expect(bar().getAttribute("aria-valuemax")).toBe("100");
    await advance(1000);
    expect(bar().getAttribute("aria-valuenow")).toBe("75");
    await advance(1000);
    expect(bar().getAttribute("aria-valuetext")).toBe("100 of 100 records (100 %)");
    unmount();

    fakeFetch(() => ({ body: syncLog({ status: "RUNNING", records_processed: 25, records_total: null }) }));
    render(
      <MemoryRouter>
        <SyncProgress logId={6} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByTestId("records-processed").textContent).toBe("25");
    expect(screen.queryByRole("progressbar")).toBeNull();
  });
});

describe("cancelling a sync where it is followed", () => {
  /** Follow run #5 as a user who may cancel it, and press Cancel sync from the keyboard: its question opens. */
  async function followAndAsk() {
    render(
      <MemoryRouter>
        <SyncProgress logId={5} canCancel />
      </MemoryRouter>,
    );
    await advance(0);
    const button = screen.getByRole("button", { name: "Cancel sync" });
    button.focus();
    fireEvent.click(button);
    await advance(0);
  }

  /** ... and confirm it. */
  async function followAndCancel() {
    await followAndAsk();
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Cancel the sync" }));
    await advance(0);
  }

  it("asks first, in an accessible dialog that says the records already committed stay, and keeps the run on No", async () => {
    const calls = fakeFetch(() => ({ body: syncLog({ status: "RUNNING", records_processed: 150, pages_fetched: 3, connector_name: "Customer API" }) }));
    await followAndAsk();
    const dialog = screen.getByRole("alertdialog", { name: "Cancel run #5 of Customer API?" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const said = document.getElementById(dialog.getAttribute("aria-describedby")!)!.textContent ?? "";
    expect(said).toContain("Records already committed stay stored");
    expect(said).toContain("so far 150 records read from 3 pages");
    expect(said).toContain("Resume from the checkpoint");
    // the safe choice has the focus; it (or Escape) sends nothing
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Keep it running" }));
    fireEvent.keyDown(dialog, { key: "Escape" });
    await advance(0);
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls.filter((call) => call.method === "POST")).toEqual([]);
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Cancel sync" }));
  });

  it("says a pending run has stored nothing yet", () => {
    const question = cancelSyncQuestion(5, syncLog({ status: "PENDING" }));
    expect(question.body).toBe("It has not started: nothing has been fetched or stored yet. It ends CANCELLED at once and stays in the history.");
  });

  it("cancels the running sync through the API and drops the button once the run has stopped", async () => {
    let cancelled = false;
    const calls = fakeFetch((call) => {
      if (call.method === "POST") {
        cancelled = true;
        return { status: 202, body: syncLog({ status: "RUNNING" }) };
      }
      return { body: syncLog({ status: cancelled ? "CANCELLED" : "RUNNING", records_processed: 100 }) };
    });
    await followAndCancel();
    expect(calls.filter((call) => call.method === "POST").map((call) => call.url)).toEqual(["/api/demo-extension/sync-logs/5/cancel/"]);
    expect((screen.getByRole("button", { name: "Cancelling…" }) as HTMLButtonElement).disabled).toBe(true);
    await advance(1000);
    expect(screen.getByText("CANCELLED")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Cancel/ })).toBeNull();
  });

  it("gives the run's title the focus when a keyboard user presses Cancel sync, which is disabled, then gone", async () => {
    let cancelled = false;
    fakeFetch((call) => {
      if (call.method === "POST") {
        cancelled = true;
        return { status: 202, body: syncLog({ status: "RUNNING" }) };
      }
      return { body: syncLog({ status: cancelled ? "CANCELLED" : "RUNNING" }) };
    });
    await followAndCancel();
    const title = screen.getByRole("heading", { name: "Sync, run #5" }).parentElement;
    expect(document.activeElement).toBe(title); // not left on the disabled "Cancelling…"
    await advance(1000);
    expect(screen.queryByRole("button", { name: /Cancel/ })).toBeNull();
    expect(document.activeElement).toBe(title);
  });

  it("gives the run's title the focus when the run ends by itself under a keyboard user's Cancel sync", async () => {
    let status: "RUNNING" | "SUCCESS" = "RUNNING";
    fakeFetch(() => ({ body: syncLog({ status }) }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} canCancel />
      </MemoryRouter>,
    );
    await advance(0);
    screen.getByRole("button", { name: "Cancel sync" }).focus();
    status = "SUCCESS";
    await advance(1000);
    expect(screen.queryByRole("button", { name: "Cancel sync" })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Sync, run #5" }).parentElement);
  });

  it("says why a cancel was refused and lets the user try again", async () => {
    fakeFetch((call) =>
      call.method === "POST" ? { status: 403, body: { detail: "You do not have permission to perform this action." } } : { body: syncLog({ status: "RUNNING" }) },
    );
    await followAndCancel();
    expect(screen.getByRole("alert").textContent).toContain("You do not have permission");
    expect((screen.getByRole("button", { name: "Cancel sync" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("offers no cancel without the right to cancel, nor for a finished run", async () => {
    fakeFetch(() => ({ body: syncLog({ status: "RUNNING" }) }));
    const { unmount } = render(
      <MemoryRouter>
        <SyncProgress logId={5} />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByText("RUNNING")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Cancel sync" })).toBeNull();
    unmount();

    fakeFetch(() => ({ body: syncLog({ status: "SUCCESS" }) }));
    render(
      <MemoryRouter>
        <SyncProgress logId={5} canCancel />
      </MemoryRouter>,
    );
    await advance(0);
    expect(screen.getByText("SUCCESS")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Cancel sync" })).toBeNull();
  });
});
