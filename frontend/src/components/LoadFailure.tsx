import { ApiError, errorMessage } from "../api/client";
import { Link } from "react-router-dom";

/** What to say about a failed read: the server's sentence, or for a failure that is not the
 * user's (no answer, a 5xx) what happened and that trying again may help. */
export function failureSentence(failure: unknown): string {
  if (failure instanceof ApiError && failure.status === 0) return "Cannot reach the MigrateIQ server: it may be restarting, or the connection dropped.";
  return errorMessage(failure);
}

/** Whether reading again may work: no answer, a throttled call, a server failure (not a refusal). */
export function worthRetrying(failure: unknown): boolean {
  if (!(failure instanceof ApiError)) return true;
  return failure.status === 0 || failure.status === 429 || failure.status >= 500;
}

/**
 * One banner for the failed reads of a page (several reads failing the same way say it once), with
 * **Try again** where reading again may help and, for a server failure, the request id its log
 * lines carry.
 */
export function LoadFailureBanner({ failures, onRetry, busy = false }: { failures: readonly unknown[]; onRetry: () => void; busy?: boolean }) {
  const failed = failures.filter((failure) => failure !== null && failure !== undefined);
  if (failed.length === 0) return null;
  const sentences = [...new Set(failed.map(failureSentence))];
  // the id of a server failure: its log lines say why (a refusal says why itself)
  const requestIds = [
    ...new Set(failed.map((failure) => (failure instanceof ApiError && failure.status >= 500 ? failure.requestId : null)).filter((id): id is string => !!id)),
  ];
  return (
    <div className="banner banner-error load-failure" role="alert" data-testid="load-failure">
      {sentences.length === 1 ? (
        <p>{sentences[0]}</p>
      ) : (
        <ul>
          {sentences.map((sentence) => (
            <li key={sentence}>{sentence}</li>
          ))}
        </ul>
      )}
      {requestIds.length > 0 ? (
        <p className="small">
          The server&apos;s log says why: look for {requestIds.length === 1 ? "request id " : "request ids "}
          {requestIds.map((id, index) => (
            <span key={id}>
              {index > 0 ? ", " : ""}
              <code>{id}</code>
            </span>
          ))}
          .
        </p>
      ) : null}
      {failed.some(worthRetrying) ? (
        <button type="button" className="btn btn-small" onClick={() => !busy && onRetry()} aria-busy={busy}>
          {busy ? "Trying again…" : "Try again"}
        </button>
      ) : null}
    </div>
  );
}

/** Whether a failed read says the thing asked for is not there (a 404: another tenant's, deleted,
 * or never there). */
export function isMissing(failure: unknown): boolean {
  return failure instanceof ApiError && failure.status === 404;
}

/**
 * What a page says when what its address names is not there: which one is missing (not the
 * server's bare "Not found."), and the list to go back to.
 */
export function MissingNotice({ what, back, backLabel }: { what: string; back: string; backLabel: string }) {
  return (
    <div className="banner banner-error" role="alert" data-testid="missing">
      <p>{what} does not exist in this tenant, or was deleted.</p>
      <p>
        <Link to={back}>{backLabel}</Link>
      </p>
    </div>
  );
}
