import { ApiError, errorMessage } from "../api/client";

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
