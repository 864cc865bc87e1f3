import { cleanup, configure, fireEvent, render, screen } from "@testing-library/react";
import { createElement } from "react";
import { afterEach, beforeAll } from "vitest";

import { setTokens } from "../api/client";

// findBy* and waitFor give up after asyncUtilTimeout, 1 s by default: a guess of how fast the UI
// gets there, which a loaded 2-core machine misses (an accepted invitation's navigation to the
// dashboard, a transition, took longer there; a slower host shared with other work took longer
// still). The test's own timeout (30 s, vite.config.ts) bounds a wait; this stays under it, so a
// state never reached still fails with the query and the DOM, not a bare timeout.
configure({ asyncUtilTimeout: 15_000 });

// Each test file runs in a fresh process (vite.config.ts: pool "forks"), whose first render and
// first role and label queries compile React's and the DOM's code paths: seconds on a loaded
// machine, once per file. Spent here, in a hook, it is not billed to whichever test runs first.
beforeAll(() => {
  render(
    createElement(
      "form",
      { "aria-label": "A form to warm up" },
      createElement("label", { htmlFor: "warm-up" }, "Warm-up"),
      createElement("input", { id: "warm-up" }),
      createElement("button", { type: "button" }, "Warm up"),
    ),
  );
  fireEvent.change(screen.getByLabelText("Warm-up"), { target: { value: "x" } });
  fireEvent.click(screen.getByRole("button", { name: "Warm up" }));
  cleanup();
});

afterEach(() => {
  cleanup();
  setTokens(null);
  window.sessionStorage.clear();
});
