// Unsaved edits are not dropped without asking: a navigation to another page (a link, the
// browser's Back or Forward button, a redirect in code) is held by the router's blocker and a
// dialog asks; a reload or closing the tab gets the browser's own prompt (beforeunload); and a form
// can ask the same question before it closes itself (Cancel, Escape).

import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { useBlocker } from "react-router-dom";

import { ConfirmDialog } from "./components/ConfirmDialog";

export interface UnsavedChangesGuard {
  /** Run `action` now when nothing is unsaved, else after the user agrees to discard the edits. */
  confirmDiscard: (action: () => void) => void;
  /** Let the next navigations through without asking (after a save that navigates away). */
  allowLeaving: (allowed: boolean) => void;
  /** The dialog to render (null when closed). */
  dialog: ReactNode;
}

/**
 * Guard a form's unsaved edits. `dirty` says whether there are any; `what` names them in the
 * question ("your changes to this connector"). Only a change of page is held: a change of the
 * address's query on the same page (a table's sort, a tab) keeps the form and its edits.
 */
export function useUnsavedChanges(dirty: boolean, what: string): UnsavedChangesGuard {
  const allowed = useRef(false);
  const blocker = useBlocker(
    useCallback(
      ({ currentLocation, nextLocation }) => dirty && !allowed.current && currentLocation.pathname !== nextLocation.pathname,
      [dirty],
    ),
  );
  const [pending, setPending] = useState<(() => void) | null>(null);

  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      if (allowed.current) return;
      event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const confirmDiscard = useCallback(
    (action: () => void) => {
      if (!dirty) action();
      else setPending(() => action);
    },
    [dirty],
  );
  const allowLeaving = useCallback((value: boolean) => {
    allowed.current = value;
  }, []);

  let dialog: ReactNode = null;
  if (blocker.state === "blocked") {
    dialog = (
      <ConfirmDialog
        title="Leave with unsaved changes?"
        confirmLabel="Discard and leave"
        cancelLabel="Stay on this page"
        onConfirm={() => blocker.proceed()}
        onCancel={() => blocker.reset()}
      >
        <p>You have not saved {what}. Leaving this page discards them.</p>
      </ConfirmDialog>
    );
  } else if (pending) {
    dialog = (
      <ConfirmDialog
        title="Discard unsaved changes?"
        confirmLabel="Discard changes"
        cancelLabel="Keep editing"
        onConfirm={() => {
          setPending(null);
          pending();
        }}
        onCancel={() => setPending(null)}
      >
        <p>You have not saved {what}.</p>
      </ConfirmDialog>
    );
  }
  return { confirmDiscard, allowLeaving, dialog };
}
