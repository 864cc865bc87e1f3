// The colour theme: the system's (prefers-color-scheme, the default), or light or dark as the user
// picked, remembered in localStorage. The choice is the data-theme attribute of <html> ("light" or
// "dark"; none for the system's), which the style sheet's dark variables follow.

import { useEffect, useState } from "react";

export type ThemeChoice = "system" | "light" | "dark";
export const THEME_CHOICES: { value: ThemeChoice; label: string }[] = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];
export const THEME_STORAGE_KEY = "migrateiq.theme";

const listeners = new Set<(choice: ThemeChoice) => void>();

export function storedTheme(): ThemeChoice {
  try {
    const value = window.localStorage.getItem(THEME_STORAGE_KEY);
    if (value === "light" || value === "dark") return value;
  } catch {
    // storage unavailable: the system's theme
  }
  return "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", choice);
}

/** Remember and apply a choice; every picker on the page follows. */
export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === "system") window.localStorage.removeItem(THEME_STORAGE_KEY);
    else window.localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // storage unavailable: applied for this page only
  }
  applyTheme(choice);
  for (const listener of listeners) listener(choice);
}

/** The current choice, following this tab's pickers and another tab's change. */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  useEffect(() => {
    listeners.add(setChoice);
    const onStorage = (event: StorageEvent) => {
      if (event.key !== THEME_STORAGE_KEY && event.key !== null) return;
      const next = storedTheme();
      applyTheme(next);
      setChoice(next);
    };
    window.addEventListener("storage", onStorage);
    return () => {
      listeners.delete(setChoice);
      window.removeEventListener("storage", onStorage);
    };
  }, []);
  return [choice, chooseTheme];
}

/** System / Light / Dark as a radio group (arrow keys move between them, as radios do). */
export function ThemePicker({ idPrefix = "theme" }: { idPrefix?: string }) {
  const [choice, choose] = useTheme();
  return (
    <fieldset className="theme-picker">
      <legend>Theme</legend>
      <div className="theme-options">
        {THEME_CHOICES.map((option) => (
          <label key={option.value} className="theme-option" htmlFor={`${idPrefix}-${option.value}`}>
            <input
              type="radio"
              id={`${idPrefix}-${option.value}`}
              name={`${idPrefix}-choice`}
              value={option.value}
              checked={choice === option.value}
              onChange={() => choose(option.value)}
            />
            {option.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
