// How long a request to an upstream has been waiting, for the actions whose answer can take the
// server's whole upstream timeout (a preview, a connection test): "Waiting for the API: N s so far".

import { useEffect, useState } from "react";

/** Whole seconds since the component appeared, counted every second: a slow upstream (or one a
 * connector's request budget slows down) shows the action is still working. */
function useSecondsSinceMount(): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  return seconds;
}

/** Shown while the request waits (render it only then: it counts from 0 each time it appears).
 * Not a live region: a screen reader would otherwise read the count out every second; the
 * caller announces the outcome once it comes. */
export function WaitingForApi({ testId }: { testId?: string }) {
  const waited = useSecondsSinceMount();
  return (
    <p className="muted small" data-testid={testId}>
      Waiting for the API: {waited} s so far.
    </p>
  );
}
