import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { SyncLogEvent } from "../api/types";
import { EventLog } from "./EventLog";

const LINES: SyncLogEvent[] = Array.from({ length: 30 }, (_, index) => ({
  id: index + 1,
  at: "2026-12-05T10:00:00Z",
  level: "info",
  message: index === 29 ? "Sync succeeded in 4.2 s: 500 processed." : `Page ${index + 1} committed.`,
}));

describe("a run's log", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("opens a finished run's log at its last line, the summary", () => {
    vi.spyOn(HTMLElement.prototype, "scrollHeight", "get").mockReturnValue(900);
    render(<EventLog events={LINES} follow={false} label="Log of sync #5" />);
    const list = screen.getByRole("list", { name: "Log of sync #5" });
    expect(list.scrollTop).toBe(900);
  });

  it("leaves a finished run's log where the reader scrolled when lines are filtered", () => {
    vi.spyOn(HTMLElement.prototype, "scrollHeight", "get").mockReturnValue(900);
    const { rerender } = render(<EventLog events={LINES} follow={false} label="Log of sync #5" />);
    const list = screen.getByRole("list", { name: "Log of sync #5" });
    list.scrollTop = 100;
    rerender(<EventLog events={[...LINES, { ...LINES[0]!, id: 99 }]} follow={false} label="Log of sync #5" />);
    expect(list.scrollTop).toBe(100);
  });
});
