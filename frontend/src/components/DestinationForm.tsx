import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "react";

import { ApiError } from "../api/client";
import type { DeletedRowsMode, Destination, DestinationInput, SslMode } from "../api/types";
import { Field } from "./fields";
import { SaveErrorBanner } from "./common";
import { saveErrorSummary } from "./formErrors";

const SSL_MODES: SslMode[] = ["disable", "prefer", "require", "verify-ca", "verify-full"];
/** What happens to a record deleted upstream, in the words of the form, the list and the destination page. */
export const DELETED_ROWS_LABELS: Record<DeletedRowsMode, string> = {
  delete: "Delete the row",
  soft: "Keep the row, set _deleted_at",
};

const FIELD_ORDER = ["name", "dsn", "host", "port", "database", "username", "password", "sslmode", "target_schema", "deleted_rows"];

/**
 * A PostgreSQL destination's settings: host / port / database / username / password, or one DSN
 * instead. The password and the DSN are write-only: the form says whether one is stored, and a
 * blank field leaves the stored one as it is.
 */
export function DestinationForm({
  destination,
  onSave,
  onCancel,
}: {
  destination?: Destination;
  onSave: (input: DestinationInput) => Promise<void>;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(destination?.name ?? "");
  const [useDsn, setUseDsn] = useState(destination?.has_dsn ?? false);
  const [dsn, setDsn] = useState("");
  const [host, setHost] = useState(destination?.host ?? "");
  const [port, setPort] = useState(String(destination?.port ?? 5432));
  const [database, setDatabase] = useState(destination?.database ?? "");
  const [username, setUsername] = useState(destination?.username ?? "");
  const [password, setPassword] = useState("");
  const [sslmode, setSslmode] = useState<SslMode>(destination?.sslmode ?? "prefer");
  const [targetSchema, setTargetSchema] = useState(destination?.target_schema ?? "public");
  const [deletedRows, setDeletedRows] = useState<DeletedRowsMode>(destination?.deleted_rows ?? "delete");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [other, setOther] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Opened: the focus goes to its heading (the button that opened it is gone or disabled: the focus
  // would be left on nothing, and a keyboard user back at the top of the page).
  useLayoutEffect(() => headingRef.current?.focus(), []);

  // After a refusal, focus goes to the first invalid field.
  useEffect(() => {
    const first = FIELD_ORDER.find((field) => errors[field]);
    if (first) formRef.current?.querySelector<HTMLElement>(`#destination-${first}`)?.focus();
  }, [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input: DestinationInput = { name: name.trim(), sslmode, target_schema: targetSchema, deleted_rows: deletedRows };
    if (useDsn) {
      if (dsn) input.dsn = dsn;
    } else {
      Object.assign(input, { host: host.trim(), port: Number(port), database: database.trim(), username: username.trim() });
      if (destination?.has_dsn) input.dsn = "";
      if (password) input.password = password;
    }
    // Checked before sending, as the connector forms do (the server would say "This field may not be blank.").
    const localErrors: Record<string, string[]> = {};
    if (!input.name) localErrors.name = ["Give the destination a name."];
    const portNumber = Number(port);
    if (!useDsn && (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535)) {
      localErrors.port = ["A port is a whole number from 1 to 65535."];
    }
    const count = Object.keys(localErrors).length;
    if (count > 0) {
      setErrors(localErrors);
      setSummary(count === 1 ? "Not saved: one field needs attention." : `Not saved: ${count} fields need attention.`);
      setOther([]);
      return;
    }
    setSaving(true);
    setSummary(null);
    setOther([]);
    try {
      await onSave(input);
      setErrors({});
    } catch (err) {
      const shown = new Set(FIELD_ORDER);
      const result = saveErrorSummary(err, shown);
      setSummary(result.summary);
      setOther(result.other);
      setErrors(err instanceof ApiError ? err.fieldErrors : {});
    } finally {
      setSaving(false);
    }
  }

  // "Not set." under a password being typed into a new destination read as if it had been refused.
  const secretHint = (stored: boolean | undefined) =>
    !destination ? "Stored encrypted; never shown again." : stored ? "Stored (never shown). Leave blank to keep it." : "None stored yet.";

  return (
    <form ref={formRef} className="card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="destination-form-heading">
      <h2 id="destination-form-heading" ref={headingRef} tabIndex={-1}>{destination ? `Edit ${destination.name}` : "New PostgreSQL destination"}</h2>
      <SaveErrorBanner summary={summary} other={other} />
      <div className="form-grid">
        <Field label="Name" htmlFor="destination-name" errors={errors.name}>
          <input id="destination-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <div className="field">
          <label className="checkbox">
            <input type="checkbox" checked={useDsn} onChange={(e) => setUseDsn(e.target.checked)} />
            Connect with a DSN instead of separate fields
          </label>
        </div>
      </div>
      {useDsn ? (
        <div className="form-grid">
          <Field label="DSN" htmlFor="destination-dsn" errors={errors.dsn} hint={`postgresql://user:password@host:5432/db?sslmode=… ${secretHint(destination?.has_dsn)}`} wide>
            <input id="destination-dsn" type="password" autoComplete="off" value={dsn} onChange={(e) => setDsn(e.target.value)} />
          </Field>
        </div>
      ) : (
        <div className="form-grid">
          <Field label="Host" htmlFor="destination-host" errors={errors.host}>
            <input id="destination-host" value={host} onChange={(e) => setHost(e.target.value)} />
          </Field>
          <Field label="Port" htmlFor="destination-port" errors={errors.port}>
            <input id="destination-port" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />
          </Field>
          <Field label="Database" htmlFor="destination-database" errors={errors.database}>
            <input id="destination-database" value={database} onChange={(e) => setDatabase(e.target.value)} />
          </Field>
          <Field label="Username" htmlFor="destination-username" errors={errors.username}>
            <input id="destination-username" autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          <Field label="Password" htmlFor="destination-password" errors={errors.password} hint={secretHint(destination?.has_password)}>
            <input id="destination-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
        </div>
      )}
      <div className="form-grid">
        <Field label="SSL mode" htmlFor="destination-sslmode" errors={errors.sslmode}>
          <select id="destination-sslmode" value={sslmode} onChange={(e) => setSslmode(e.target.value as SslMode)}>
            {SSL_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {mode}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Target schema" htmlFor="destination-target_schema" errors={errors.target_schema}>
          <input id="destination-target_schema" value={targetSchema} onChange={(e) => setTargetSchema(e.target.value)} />
        </Field>
        <Field label="Deleted records" htmlFor="destination-deleted_rows" errors={errors.deleted_rows}>
          <select id="destination-deleted_rows" value={deletedRows} onChange={(e) => setDeletedRows(e.target.value as DeletedRowsMode)}>
            {(Object.keys(DELETED_ROWS_LABELS) as DeletedRowsMode[]).map((mode) => (
              <option key={mode} value={mode}>
                {DELETED_ROWS_LABELS[mode]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : destination ? "Save" : "Create destination"}
        </button>
        {onCancel ? (
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
