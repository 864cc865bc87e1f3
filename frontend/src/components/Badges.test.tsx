import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ActiveBadge, Badge, StateBadge, StatusBadge } from "./common";

/** Before: a connector's state said "active" / "inactive" (and "paused" in the list), its never-run
 * sync "never synced", beside badges saying SUCCESS or FAILED. */
describe("badges", () => {
  it("all say their words in capitals, states as the status badges do", () => {
    const { container } = render(
      <>
        <StateBadge status="success" />
        <StatusBadge status={null} />
        <ActiveBadge active inactive="paused" />
        <ActiveBadge active={false} inactive="paused" />
        <ActiveBadge active={false} inactive="disabled" />
        <Badge>last admin</Badge>
      </>,
    );
    const words = [...container.querySelectorAll(".badge")].map((badge) => badge.textContent);
    expect(words).toEqual(["SUCCESS", "NEVER SYNCED", "ACTIVE", "PAUSED", "DISABLED", "LAST ADMIN"]);
  });

  it("say a connector is paused and a webhook endpoint disabled, as their buttons (Pause, Disable) call it", () => {
    const { container } = render(
      <>
        <ActiveBadge active={false} inactive="paused" />
        <ActiveBadge active={false} inactive="disabled" />
      </>,
    );
    expect([...container.querySelectorAll(".badge")].map((badge) => [badge.textContent, badge.className])).toEqual([
      ["PAUSED", "badge badge-none"],
      ["DISABLED", "badge badge-none"],
    ]);
  });
});
