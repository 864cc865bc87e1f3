// A modal confirmation (role="alertdialog"): the rest of the page is inert while it is open, focus
// starts on the safe choice and stays inside, Escape is the safe choice, and focus goes back to
// where it was when the dialog closes (when that element is still on the page).

import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  const bodyId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const host = dialogRef.current?.closest<HTMLElement>(".dialog-layer");
    // Everything else on the page is out of reach (mouse, keyboard, screen readers) until it closes.
    const made: HTMLElement[] = [];
    for (const element of Array.from(document.body.children)) {
      if (element === host || !(element instanceof HTMLElement) || element.hasAttribute("inert")) continue;
      element.setAttribute("inert", "");
      made.push(element);
    }
    cancelRef.current?.focus();
    return () => {
      for (const element of made) element.removeAttribute("inert");
      if (before?.isConnected) before.focus();
    };
  }, []);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    // The dialog is rendered in a portal: its keys must not reach the form it was opened from.
    event.stopPropagation();
    if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = Array.from(dialogRef.current?.querySelectorAll<HTMLElement>("button:not(:disabled)") ?? []);
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div className="dialog-layer">
      <div className="dialog-backdrop" aria-hidden="true" />
      <div
        ref={dialogRef}
        className="dialog card"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        onKeyDown={onKeyDown}
        data-testid="confirm-dialog"
      >
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId}>{children}</div>
        <div className="actions">
          <button type="button" className="btn" ref={cancelRef} onClick={onCancel}>
            {cancelLabel}
          </button>
          <button type="button" className="btn btn-danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}

export interface ConfirmRequest {
  title: string;
  /** What happens, in words: what is deleted and what stays. */
  body: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
}

/**
 * Ask before a destructive action in the app's dialog (never the browser's `window.confirm`):
 * `if (!(await confirm({ title, body, confirmLabel }))) return;`, with `dialog` rendered by the
 * caller. The promise settles true on the confirm button, false on Cancel or Escape.
 */
export function useConfirm(): { confirm: (request: ConfirmRequest) => Promise<boolean>; dialog: ReactNode } {
  const [pending, setPending] = useState<{ request: ConfirmRequest; resolve: (answer: boolean) => void } | null>(null);
  const confirm = useCallback(
    (request: ConfirmRequest) =>
      new Promise<boolean>((resolve) => {
        setPending({ request, resolve });
      }),
    [],
  );
  const answer = (value: boolean) => {
    pending?.resolve(value);
    setPending(null);
  };
  const dialog = pending ? (
    <ConfirmDialog
      title={pending.request.title}
      confirmLabel={pending.request.confirmLabel}
      cancelLabel={pending.request.cancelLabel ?? "Cancel"}
      onConfirm={() => answer(true)}
      onCancel={() => answer(false)}
    >
      {typeof pending.request.body === "string" ? <p>{pending.request.body}</p> : pending.request.body}
    </ConfirmDialog>
  ) : null;
  return { confirm, dialog };
}
