import type { SyncLog } from "../api/types";
import { isActiveStatus } from "../api/types";

/** While a run is active and its connector's requests are paused by a 429 / Retry-After: for how
 * long (the detail's `requests_paused_for`, polled every second). Nothing otherwise. */
export function RateLimitPause({ log }: { log: SyncLog }) {
  const seconds = log.requests_paused_for;
  if (!isActiveStatus(log.status) || !seconds) return null;
  return (
    <div className="banner banner-warning" role="status" data-testid="rate-limit-pause">
      <strong>Waiting for the API’s rate limit:</strong> it answered HTTP 429 (or asked to wait with Retry-After), so every request of this connector is paused for
      another {`${Math.max(1, Math.ceil(seconds))}\u00a0s`}. The sync continues by itself.
    </div>
  );
}

/** The same, as one line under a run's status in a list (the list's `requests_paused_for`): a run that
 * waits for the API is not stuck. */
export function RateLimitPauseLine({ log }: { log: SyncLog }) {
  const seconds = log.requests_paused_for;
  if (!isActiveStatus(log.status) || !seconds || seconds <= 0) return null;
  return (
    <div className="warning-text small" data-testid="row-sync-paused">
      Waiting for the API’s rate limit: {`${Math.max(1, Math.ceil(seconds))}\u00a0s`} more
    </div>
  );
}
