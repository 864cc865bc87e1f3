// The connector's authentication as form fields, shared by the wizard (create) and the edit form.
// Credentials are write-only in the API: a saved one is shown as "set" / "not set" and can be kept,
// replaced or cleared; only what the user changed is sent (omitted = kept, "" = removed).

import type { AuthType, Connector, ConnectorInput, OAuthClientAuth, SecretParams } from "../api/types";
import { Field } from "./fields";

export const AUTH_TYPES: { value: AuthType; label: string }[] = [
  { value: "bearer", label: "Bearer token" },
  { value: "header", label: "Custom header" },
  { value: "query", label: "Query parameter" },
  { value: "basic", label: "HTTP Basic (user name + key)" },
  { value: "basic_key", label: "HTTP Basic (key as user name)" },
  { value: "oauth2", label: "OAuth2 client credentials" },
  { value: "none", label: "No authentication" },
];

/** An authentication type in the form's words ("Bearer token"), for the connector's details. */
export function authTypeLabel(type: AuthType): string {
  return AUTH_TYPES.find((choice) => choice.value === type)?.label ?? type;
}

export const OAUTH_CLIENT_AUTHS: { value: OAuthClientAuth; label: string }[] = [
  { value: "client_secret_basic", label: "In an HTTP Basic header (client_secret_basic)" },
  { value: "client_secret_post", label: "In the form body (client_secret_post)" },
];

export type SecretName = "api_key" | "auth_username" | "auth_password" | "oauth_client_secret";

/** One write-only credential in the form: `value` typed by the user, `clear` to remove the stored one. */
export interface SecretValue {
  value: string;
  clear: boolean;
  replacing: boolean;
}

export interface AuthValues {
  auth_type: AuthType;
  auth_header_name: string;
  auth_param_name: string;
  oauth_token_url: string;
  oauth_client_id: string;
  oauth_scopes: string;
  oauth_audience: string;
  oauth_client_auth: OAuthClientAuth;
  secrets: Record<SecretName, SecretValue>;
  extra: ExtraSecrets;
}

/** One further credential as typed: a request header, a query parameter or a value of the endpoint
 * path's {secret:NAME} placeholder, its name and value; `kept`: a stored one whose value stays. */
export interface ExtraSecretRow {
  place: "headers" | "query" | "path";
  name: string;
  value: string;
  kept?: boolean;
}

const PLACES: { value: ExtraSecretRow["place"]; label: string }[] = [
  { value: "headers", label: "Header" },
  { value: "query", label: "Query parameter" },
  { value: "path", label: "In the URL's path" },
];

/** The further credentials (`secret_params`): kept as stored, replaced by `rows`, or cleared. */
export interface ExtraSecrets {
  mode: "keep" | "replace" | "clear";
  rows: ExtraSecretRow[];
}

const NO_EXTRA: ExtraSecrets = { mode: "keep", rows: [] };

/** The stored further credentials' names in words: "header DD-APPLICATION-KEY, query parameter token". */
export function storedExtraNames(connector: Connector | undefined): string {
  const names = connector?.secret_param_names ?? {};
  return [
    ...(names.headers ?? []).map((name) => `header ${name}`),
    ...(names.query ?? []).map((name) => `query parameter ${name}`),
    ...(names.path ?? []).map((name) => `path {secret:${name}}`),
  ].join(", ");
}

/** The stored further credentials as rows that keep their values: what "Replace" starts from, so a
 * value the form cannot show (a path's {secret:NAME} the endpoint needs) is not dropped unseen. */
export function storedExtraRows(connector: Connector | undefined): ExtraSecretRow[] {
  const names = connector?.secret_param_names ?? {};
  return (["headers", "query", "path"] as const).flatMap((place) => (names[place] ?? []).map((name) => ({ place, name, value: "", kept: true })));
}

/** The credentials each style sends (the others are neither shown nor sent). */
export const SECRETS_OF: Record<AuthType, SecretName[]> = {
  bearer: ["api_key"],
  header: ["api_key"],
  query: ["api_key"],
  basic: ["auth_username", "api_key"],
  basic_key: ["api_key", "auth_password"],
  oauth2: ["oauth_client_secret"],
  none: [],
};

const EMPTY_SECRET: SecretValue = { value: "", clear: false, replacing: false };

export function initialAuth(connector?: Connector, defaults: Partial<AuthValues> = {}): AuthValues {
  return {
    auth_type: connector?.auth_type ?? "bearer",
    auth_header_name: connector?.auth_header_name ?? "",
    auth_param_name: connector?.auth_param_name ?? "",
    oauth_token_url: connector?.oauth_token_url ?? "",
    oauth_client_id: connector?.oauth_client_id ?? "",
    oauth_scopes: connector?.oauth_scopes ?? "",
    oauth_audience: connector?.oauth_audience ?? "",
    oauth_client_auth: connector?.oauth_client_auth ?? "client_secret_basic",
    secrets: { api_key: EMPTY_SECRET, auth_username: EMPTY_SECRET, auth_password: EMPTY_SECRET, oauth_client_secret: EMPTY_SECRET },
    extra: NO_EXTRA,
    ...defaults,
  };
}

/** Whether the saved connector holds this credential (undefined: a new connector). */
export function storedSecret(connector: Connector | undefined, name: SecretName): boolean | undefined {
  if (!connector) return undefined;
  if (name === "api_key") return connector.has_api_key;
  if (name === "auth_username") return connector.has_auth_username;
  if (name === "auth_password") return connector.has_auth_password;
  return connector.has_oauth_client_secret;
}

/** The authentication part of a create / update body. A credential is sent only when typed or
 * cleared: an untouched one is omitted so the stored value stays (never `""` by accident). */
export function authInput(values: AuthValues): ConnectorInput {
  const out: ConnectorInput = { auth_type: values.auth_type };
  if (values.auth_type === "header") out.auth_header_name = values.auth_header_name;
  if (values.auth_type === "query") out.auth_param_name = values.auth_param_name;
  if (values.auth_type === "oauth2") {
    out.oauth_token_url = values.oauth_token_url.trim();
    out.oauth_client_id = values.oauth_client_id.trim();
    out.oauth_scopes = values.oauth_scopes.trim();
    out.oauth_audience = values.oauth_audience.trim();
    out.oauth_client_auth = values.oauth_client_auth;
  }
  for (const name of SECRETS_OF[values.auth_type]) {
    const secret = values.secrets[name];
    if (secret.clear) out[name] = "";
    else if (secret.value !== "") out[name] = secret.value;
  }
  const extra = extraSecretsInput(values.extra);
  if (extra) out.secret_params = extra;
  return out;
}

/** The `secret_params` to send: {} to clear, the typed rows (those with a name) to replace, a kept
 * row as null (the API keeps its stored value), or nothing (undefined) so that the stored ones stay. */
export function extraSecretsInput(extra: ExtraSecrets): SecretParams | undefined {
  if (extra.mode === "clear") return {};
  const rows = extra.rows.filter((row) => row.name.trim());
  if (rows.length === 0) return undefined;
  const out: SecretParams = {};
  for (const row of rows) out[row.place] = { ...(out[row.place] ?? {}), [row.name.trim()]: row.kept ? null : row.value };
  return out;
}

const SECRET_LABELS: Record<AuthType, Partial<Record<SecretName, string>>> = {
  bearer: { api_key: "API key" },
  header: { api_key: "API key" },
  query: { api_key: "API key" },
  basic: { auth_username: "User name", api_key: "Password (API key)" },
  basic_key: { api_key: "API key (sent as the user name)", auth_password: "Password (optional)" },
  oauth2: { oauth_client_secret: "Client secret" },
  none: {},
};

/** Each credential as the sentences name it ("enter the API key again"). */
const SECRET_NOUNS: Record<AuthType, Partial<Record<SecretName, string>>> = {
  ...SECRET_LABELS,
  basic: { auth_username: "user name", api_key: "password (API key)" },
  basic_key: { api_key: "API key", auth_password: "password" },
  oauth2: { oauth_client_secret: "client secret" },
};

// The API's refusal to send a stored credential somewhere new ("Changing api_endpoint sends the
// credentials elsewhere: send api_key again …"): its field names are not the form's.
const MOVED_CREDENTIAL = /^Changing (.+?) sends the credentials elsewhere: send \w+ again/;

const CHANGE_SENTENCES: [string, string][] = [
  ["api_endpoint", "The endpoint's host changed"],
  ["oauth_token_url", "The token URL's host changed"],
  ["auth_type", "The authentication changed"],
  ["auth_header_name", "The header name changed"],
  ["auth_param_name", "The query parameter name changed"],
];

/** A credential's field errors in the form's words: the API's demand to send it again after a
 * change of where or how it goes becomes a sentence naming the change and the field. */
export function secretErrorsInFormWords(errors: string[] | undefined, noun: string, plural = false): string[] | undefined {
  return errors?.map((message) => {
    const match = MOVED_CREDENTIAL.exec(message);
    if (!match) return message;
    const changed = match[1]!;
    const [field, sentence] = CHANGE_SENTENCES.find(([name]) => changed.includes(name)) ?? ["", "Where the credentials go changed"];
    const why = field === "api_endpoint" || field === "oauth_token_url" ? "is not sent to another host" : "is not sent another way";
    return plural
      ? `${sentence}: enter the ${noun} again (the stored ones are ${why.replace(/^is /, "")}), or choose Clear to remove them.`
      : `${sentence}: enter the ${noun} again (the stored one ${why}), or choose Clear to remove it.`;
  });
}

function SecretField({
  id,
  label,
  stored,
  last4,
  secret,
  onChange,
  errors,
  plain,
  hint,
}: {
  id: string;
  label: string;
  stored: boolean | undefined;
  last4?: string;
  secret: SecretValue;
  onChange: (secret: SecretValue) => void;
  errors?: string[];
  plain?: boolean;
  hint?: string;
}) {
  const stateText = stored === undefined ? null : stored ? `Set${last4 ? ` (…${last4})` : ""}` : "Not set";
  // A stored credential is kept unless the user chooses to replace or clear it; an API error on it
  // (e.g. "send it again") opens the input so it can be typed.
  const showInput = stored !== true || secret.replacing || Boolean(errors?.length);
  const status = (
    <span className="secret-status" id={`${id}-status`}>
      {secret.clear ? "Will be removed when you save." : stateText}
    </span>
  );
  if (!showInput || secret.clear) {
    return (
      <div className={`field${errors?.length ? " field-invalid" : ""}`}>
        <span className="label-like" id={`${id}-label`}>
          {label}
        </span>
        <div className="secret-row" role="group" aria-labelledby={`${id}-label ${id}-status`}>
          {status}
          {secret.clear ? (
            <button type="button" className="btn btn-small" onClick={() => onChange({ ...secret, clear: false })} aria-label={`Keep it: ${label}`}>
              Keep it
            </button>
          ) : (
            <>
              <button type="button" className="btn btn-small" onClick={() => onChange({ value: "", clear: false, replacing: true })} aria-label={`Replace ${label}`}>
                Replace
              </button>
              <button type="button" className="btn btn-small" onClick={() => onChange({ value: "", clear: true, replacing: false })} aria-label={`Clear ${label}`}>
                Clear
              </button>
            </>
          )}
        </div>
        {errors?.length ? <p className="field-error">{errors.join(" ")}</p> : null}
      </div>
    );
  }
  const defaultHint = stored === undefined ? "Stored encrypted; never shown again." : stored ? "Type the new value." : "Not set: type a value to store it (encrypted).";
  return (
    <Field
      label={label}
      htmlFor={id}
      errors={errors}
      hint={
        <>
          {stateText ? <span className="secret-status">{stateText}. </span> : null}
          {hint ?? defaultHint}
          {stored && secret.replacing ? (
            <>
              {" "}
              <button type="button" className="btn btn-small" onClick={() => onChange(EMPTY_SECRET)} aria-label={`Keep the stored one: ${label}`}>
                Keep the stored one
              </button>
            </>
          ) : null}
          {stored && errors?.length ? (
            <>
              {" "}
              <button type="button" className="btn btn-small" onClick={() => onChange({ value: "", clear: true, replacing: false })} aria-label={`Clear ${label}`}>
                Clear
              </button>
            </>
          ) : null}
        </>
      }
    >
      <input
        id={id}
        type={plain ? "text" : "password"}
        autoComplete={plain ? "off" : "new-password"}
        value={secret.value}
        onChange={(ev) => onChange({ ...secret, value: ev.target.value })}
      />
    </Field>
  );
}

/** Credentials an API wants besides the one above (Datadog's application key, Trello's token):
 * sent as request headers or query parameters, encrypted, never shown again (their names are). */
function ExtraSecretsFields({
  id,
  extra,
  onChange,
  errors,
  connector,
  noun,
}: {
  id: string;
  extra: ExtraSecrets;
  onChange: (extra: ExtraSecrets) => void;
  errors?: string[];
  connector?: Connector;
  noun: string;
}) {
  const stored = storedExtraNames(connector);
  const label = "Further credentials";
  const shownErrors = secretErrorsInFormWords(errors, noun, true);
  const editing = !stored || extra.mode === "replace" || (Boolean(errors?.length) && extra.mode !== "clear");
  const setRow = (index: number, change: Partial<ExtraSecretRow>) =>
    onChange({ mode: "replace", rows: extra.rows.map((row, i) => (i === index ? { ...row, ...change } : row)) });
  return (
    <fieldset className="kv-editor field-wide" aria-describedby={`${id}-hint${shownErrors?.length ? ` ${id}-error` : ""}`}>
      <legend>{label}</legend>
      <p className="hint" id={`${id}-hint`}>
        {stored ? `Stored: ${stored}. ` : ""}
        {extra.mode === "clear"
          ? "Will be removed when you save."
          : stored && !editing
            ? "Sent with every request to the endpoint's host; never shown again."
            : "A second key or token the API wants (e.g. Datadog's DD-APPLICATION-KEY header, Trello's token parameter), or a key in the URL's path (write {secret:NAME} in the endpoint URL, e.g. https://api.telegram.org/bot{secret:token}/getUpdates): encrypted, sent only to the endpoint's host, never shown again."}
        {stored && editing && extra.mode === "replace" ? " The rows below replace every stored one: a removed row is deleted, a kept one keeps its value." : ""}
      </p>
      {editing
        ? extra.rows.map((row, index) => (
            <div className="kv-row secret-param-row" key={index}>
              <select
                aria-label={`Sent as ${index + 1}`}
                value={row.place}
                disabled={row.kept}
                onChange={(ev) => setRow(index, { place: ev.target.value as ExtraSecretRow["place"] })}
              >
                {PLACES.map((place) => (
                  <option key={place.value} value={place.value}>
                    {place.label}
                  </option>
                ))}
              </select>
              <input
                aria-label={`Credential name ${index + 1}`}
                placeholder={row.place === "path" ? "NAME of {secret:NAME}" : "Name"}
                value={row.name}
                readOnly={row.kept}
                onChange={(ev) => setRow(index, { name: ev.target.value })}
              />
              {row.kept ? (
                <span className="secret-status">
                  Stored value kept.{" "}
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => setRow(index, { kept: false, value: "" })}
                    aria-label={`Type a new value for credential ${index + 1}`}
                  >
                    Type a new value
                  </button>
                </span>
              ) : (
                <input
                  aria-label={`Credential value ${index + 1}`}
                  placeholder="Value"
                  type="password"
                  autoComplete="new-password"
                  value={row.value}
                  onChange={(ev) => setRow(index, { value: ev.target.value })}
                />
              )}
              <button
                type="button"
                className="btn btn-small"
                onClick={() => onChange({ mode: "replace", rows: extra.rows.filter((_, i) => i !== index) })}
                aria-label={`Remove credential ${index + 1}`}
              >
                Remove
              </button>
            </div>
          ))
        : null}
      <div className="secret-row">
        {editing ? (
          <button type="button" className="btn btn-small" onClick={() => onChange({ mode: "replace", rows: [...extra.rows, { place: "headers", name: "", value: "" }] })}>
            Add a credential
          </button>
        ) : null}
        {stored && extra.mode === "keep" && !editing ? (
          <button type="button" className="btn btn-small" onClick={() => onChange({ mode: "replace", rows: storedExtraRows(connector) })} aria-label={`Replace ${label}`}>
            Replace
          </button>
        ) : null}
        {stored && extra.mode !== "keep" ? (
          <button type="button" className="btn btn-small" onClick={() => onChange(NO_EXTRA)} aria-label={`Keep the stored ones: ${label}`}>
            Keep the stored ones
          </button>
        ) : null}
        {stored && extra.mode !== "clear" ? (
          <button type="button" className="btn btn-small" onClick={() => onChange({ mode: "clear", rows: [] })} aria-label={`Clear ${label}`}>
            Clear
          </button>
        ) : null}
      </div>
      {shownErrors?.length ? (
        <p className="field-error" id={`${id}-error`}>
          {shownErrors.join(" ")}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The authentication fields of the chosen style. `connector` is the saved one (edit form). */
export function AuthFields({
  idPrefix,
  values,
  onChange,
  errors,
  connector,
}: {
  idPrefix: string;
  values: AuthValues;
  onChange: (values: AuthValues) => void;
  errors: Record<string, string[]>;
  connector?: Connector;
}) {
  const id = (name: string) => `${idPrefix}-${name}`;
  const set = <K extends keyof AuthValues>(key: K, value: AuthValues[K]) => onChange({ ...values, [key]: value });
  const setSecret = (name: SecretName, secret: SecretValue) => onChange({ ...values, secrets: { ...values.secrets, [name]: secret } });
  const type = values.auth_type;
  const text = (name: keyof AuthValues & string, label: string, hint?: string, inputType = "text") => (
    <Field label={label} htmlFor={id(name)} errors={errors[name]} hint={hint}>
      <input id={id(name)} type={inputType} value={values[name] as string} onChange={(ev) => set(name, ev.target.value as never)} />
    </Field>
  );
  return (
    <>
      <Field label="Authentication" htmlFor={id("auth_type")} errors={errors.auth_type}>
        <select id={id("auth_type")} value={type} onChange={(ev) => set("auth_type", ev.target.value as AuthType)}>
          {AUTH_TYPES.map((a) => (
            <option key={a.value} value={a.value}>
              {a.label}
            </option>
          ))}
        </select>
      </Field>
      {type === "header" ? text("auth_header_name", "Header name", "e.g. X-API-Key") : null}
      {type === "query" ? text("auth_param_name", "Query parameter name", "e.g. api_key") : null}
      {type === "oauth2" ? (
        <>
          {text("oauth_token_url", "Token URL", "e.g. https://login.example.com/oauth2/token", "url")}
          {text("oauth_client_id", "Client id")}
        </>
      ) : null}
      {SECRETS_OF[type].map((name) => (
        <SecretField
          key={name}
          id={id(name)}
          label={SECRET_LABELS[type][name] ?? name}
          stored={storedSecret(connector, name)}
          last4={name === "api_key" ? connector?.api_key_last4 : undefined}
          secret={values.secrets[name]}
          onChange={(secret) => setSecret(name, secret)}
          errors={secretErrorsInFormWords(errors[name], SECRET_NOUNS[type][name] ?? name)}
          plain={name === "auth_username"}
          hint={name === "auth_password" && storedSecret(connector, name) === undefined ? "Usually empty (Stripe, Chargebee); Freshdesk wants X." : undefined}
        />
      ))}
      {type === "oauth2" ? (
        <>
          {text("oauth_scopes", "Scopes", "Space-separated, e.g. crm.objects.contacts.read")}
          {text("oauth_audience", "Audience (optional)")}
          <Field label="Client authentication" htmlFor={id("oauth_client_auth")} errors={errors.oauth_client_auth}>
            <select id={id("oauth_client_auth")} value={values.oauth_client_auth} onChange={(ev) => set("oauth_client_auth", ev.target.value as OAuthClientAuth)}>
              {OAUTH_CLIENT_AUTHS.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </select>
          </Field>
        </>
      ) : null}
      <ExtraSecretsFields
        id={id("secret_params")}
        extra={values.extra}
        onChange={(extra) => set("extra", extra)}
        errors={errors.secret_params}
        connector={connector}
        noun="further credentials"
      />
    </>
  );
}

/** The API field names the authentication fields show (for the forms' error routing). */
export const AUTH_FIELDS = [
  "auth_type",
  "auth_header_name",
  "auth_param_name",
  "api_key",
  "auth_username",
  "auth_password",
  "oauth_token_url",
  "oauth_client_id",
  "oauth_client_secret",
  "oauth_scopes",
  "oauth_audience",
  "oauth_client_auth",
  "secret_params",
];
