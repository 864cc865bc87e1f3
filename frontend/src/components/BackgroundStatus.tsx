import { useEffect, useState } from "react";

import { getInstallationStatus } from "../api/api";
import type { BackgroundStatus } from "../api/types";

/** How often every page asks whether the background work runs. */
export const BACKGROUND_STATUS_POLL_MS = 60_000;

/** On every page, while the installation's background work has stopped (no worker has run the
 * beat's tick for a while, GET /api/status/): queued and scheduled syncs, loads and webhook
 * deliveries wait, and a run that stays "Pending" says nothing about why. Nothing otherwise; a failed
 * status request shows nothing either (the page's own requests report their errors). */
export function BackgroundStatusBanner() {
  const [status, setStatus] = useState<BackgroundStatus | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      getInstallationStatus()
        .then((answer) => live && setStatus(answer?.background ?? null))
        .catch(() => live && setStatus(null));
    void load();
    const timer = setInterval(load, BACKGROUND_STATUS_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  if (status?.state !== "stopped") return null;
  return (
    <div className="banner banner-warning background-status" role="status" data-testid="background-stopped">
      <strong>Background work has stopped.</strong> {status.message}
    </div>
  );
}
