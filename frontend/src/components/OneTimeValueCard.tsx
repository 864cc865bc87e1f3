// A value the API shows this once (an invitation's accept link, a webhook endpoint's signing secret):
// a card with the value in a read-only field, "Copy" (without a clipboard, an insecure origin or a
// refused permission, the value is selected for Ctrl+C instead) and "Done".

import { useRef, useState, type ReactNode, type RefObject } from "react";

import { useAnnounce } from "../announce";

export function OneTimeValueCard({
  id,
  className,
  testId,
  heading,
  headingRef,
  note,
  details,
  label,
  value,
  noun,
  onDone,
}: {
  /** The prefix of the heading's and the field's ids. */
  id: string;
  className: string;
  testId: string;
  heading: ReactNode;
  headingRef: RefObject<HTMLHeadingElement | null>;
  /** Why it is shown once, in bold. */
  note: string;
  details?: ReactNode;
  label: string;
  value: string;
  /** What the value is, in the buttons and messages ("secret", "link"). */
  noun: string;
  onDone: () => void;
}) {
  const announce = useAnnounce();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const unavailable = `Copying is not available here: the ${noun} is selected, press Ctrl+C.`;

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
      announce(`${noun[0]!.toUpperCase()}${noun.slice(1)} copied.`);
    } catch {
      inputRef.current?.select();
      inputRef.current?.focus();
      setCopied("no");
      announce(unavailable);
    }
  }

  return (
    <section className={`card ${className}`} aria-labelledby={`${id}-heading`} data-testid={testId}>
      <h2 id={`${id}-heading`} ref={headingRef} tabIndex={-1}>
        {heading}
      </h2>
      <p>
        <strong>{note}</strong>
      </p>
      {details}
      <div className="field">
        <label htmlFor={`${id}-value`}>{label}</label>
        <input id={`${id}-value`} ref={inputRef} readOnly value={value} onFocus={(e) => e.target.select()} className="mono" />
      </div>
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => void copy()}>
          Copy {noun}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Done
        </button>
        {copied === "yes" ? <span className="small">Copied.</span> : null}
        {copied === "no" ? <span className="small">{unavailable}</span> : null}
      </div>
    </section>
  );
}
