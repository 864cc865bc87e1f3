// An error an upstream API answered, as a preview or a connection test reports it.

/** The status to add after `message`: none when there is none or the message already names it
 * ("HTTP 401 from https://… after 1 attempt"). */
export function statusSuffix(message: string, statusCode: number | null | undefined): string {
  if (!statusCode) return "";
  return new RegExp(`\\bHTTP ${statusCode}\\b`).test(message) ? "" : ` (HTTP ${statusCode})`;
}

/** Where to look after the API refused the credentials (401) or what they may do (403). */
export function authHint(statusCode: number | null | undefined): string | null {
  if (statusCode === 401) return "Check the API key and the authentication type.";
  if (statusCode === 403) return "Check the API key and the authentication type, and the key's permissions.";
  return null;
}

export function UpstreamError({ message, statusCode }: { message: string | null; statusCode: number | null | undefined }) {
  const text = message ?? "No detail.";
  const hint = authHint(statusCode);
  return (
    <>
      <p className="banner banner-error">
        {text}
        {statusSuffix(text, statusCode)}
      </p>
      {hint ? <p className="hint">{hint}</p> : null}
    </>
  );
}
