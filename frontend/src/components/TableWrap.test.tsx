import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { TableWrap } from "./common";

// jsdom lays nothing out: the table's width, the box's and the scroll position are set here.
const size = { scrollWidth: 400, clientWidth: 400, scrollLeft: 0 };
const saved = new Map<string, PropertyDescriptor | undefined>();

beforeEach(() => {
  size.scrollWidth = 400;
  size.clientWidth = 400;
  size.scrollLeft = 0;
  for (const key of ["scrollWidth", "clientWidth", "scrollLeft"] as const) {
    saved.set(key, Object.getOwnPropertyDescriptor(HTMLElement.prototype, key));
    Object.defineProperty(HTMLElement.prototype, key, {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains("table-wrap") ? size[key] : 0;
      },
      set() {},
    });
  }
});

afterEach(() => {
  for (const [key, descriptor] of saved) {
    if (descriptor) Object.defineProperty(HTMLElement.prototype, key, descriptor);
    else delete (HTMLElement.prototype as unknown as Record<string, unknown>)[key];
  }
});

const table = (
  <table aria-label="Webhook deliveries">
    <tbody>
      <tr>
        <td>1</td>
      </tr>
    </tbody>
  </table>
);

describe("a table that may scroll sideways", () => {
  it("is a plain box, out of the tab order, while the table fits", () => {
    const { container } = render(<TableWrap>{table}</TableWrap>);
    const box = container.querySelector(".table-wrap")!;
    expect(box.getAttribute("tabindex")).toBeNull();
    expect(box.getAttribute("role")).toBeNull();
    expect(screen.queryByTestId("scroll-cue")).toBeNull();
  });

  it("says it scrolls, shades the edge hiding columns and takes the focus as a named region once wider than its box", () => {
    size.scrollWidth = 900;
    size.clientWidth = 360;
    const { container } = render(<TableWrap>{table}</TableWrap>);
    const region = screen.getByRole("region", { name: "Webhook deliveries, scrolling sideways" });
    expect(region.getAttribute("tabindex")).toBe("0");
    expect(screen.getByTestId("scroll-cue").textContent).toBe("More columns to the right: scroll sideways →");
    const frame = container.querySelector(".table-frame")!;
    expect(frame.classList.contains("more-after")).toBe(true);
    expect(frame.classList.contains("more-before")).toBe(false);
    // scrolled to the end: the left edge hides columns now, the right one none
    size.scrollLeft = 540;
    fireEvent.scroll(region);
    expect(frame.classList.contains("more-before")).toBe(true);
    expect(frame.classList.contains("more-after")).toBe(false);
    expect(screen.getByTestId("scroll-cue").textContent).toBe("← More columns to the left: scroll back");
    // a wider window: it fits again
    size.clientWidth = 900;
    size.scrollLeft = 0;
    act(() => {
      window.dispatchEvent(new Event("resize"));
    });
    expect(screen.queryByRole("region")).toBeNull();
    expect(screen.queryByTestId("scroll-cue")).toBeNull();
  });

  it("keeps a labelled box a focusable region whatever its width", () => {
    render(<TableWrap label="Records, scrolling sideways">{table}</TableWrap>);
    expect(screen.getByRole("region", { name: "Records, scrolling sideways" }).getAttribute("tabindex")).toBe("0");
  });
});
