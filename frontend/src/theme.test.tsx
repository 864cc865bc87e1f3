import { fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { applyTheme, storedTheme, THEME_STORAGE_KEY, ThemePicker } from "./theme";

afterEach(() => {
  window.localStorage.clear();
  document.documentElement.removeAttribute("data-theme");
});

describe("the colour theme", () => {
  it("follows the system until the user picks one", () => {
    expect(storedTheme()).toBe("system");
    render(<ThemePicker />);
    expect((screen.getByRole("radio", { name: "System" }) as HTMLInputElement).checked).toBe(true);
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
    expect(screen.getByRole("group", { name: "Theme" })).toBeTruthy();
  });

  it("applies and remembers light or dark, and system again forgets the choice", () => {
    render(<ThemePicker />);
    fireEvent.click(screen.getByRole("radio", { name: "Dark" }));
    expect(document.documentElement.getAttribute("data-theme")).toBe("dark");
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe("dark");
    fireEvent.click(screen.getByRole("radio", { name: "Light" }));
    expect(document.documentElement.getAttribute("data-theme")).toBe("light");
    expect(storedTheme()).toBe("light");
    fireEvent.click(screen.getByRole("radio", { name: "System" }));
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
  });

  it("starts with the remembered choice, and every picker on the page follows a change", () => {
    window.localStorage.setItem(THEME_STORAGE_KEY, "dark");
    applyTheme(storedTheme());
    expect(document.documentElement.getAttribute("data-theme")).toBe("dark");
    render(
      <>
        <ThemePicker idPrefix="a" />
        <ThemePicker idPrefix="b" />
      </>,
    );
    const [first, second] = screen.getAllByRole("radio", { name: "Dark" }) as HTMLInputElement[];
    expect(first!.checked && second!.checked).toBe(true);
    fireEvent.click(screen.getAllByRole("radio", { name: "Light" })[0]!);
    expect((screen.getAllByRole("radio", { name: "Light" })[1] as HTMLInputElement).checked).toBe(true);
  });

  it("ignores a stored value it does not know", () => {
    window.localStorage.setItem(THEME_STORAGE_KEY, "purple");
    expect(storedTheme()).toBe("system");
  });
});
