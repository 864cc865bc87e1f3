import { Link, useLocation } from "react-router-dom";

import { usePageTitle } from "../announce";

/** The app's own "page not found" (Django answers unknown addresses with the app and a 404). */
export function NotFoundPage() {
  usePageTitle("Page not found");
  const location = useLocation();
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        There is no page at <code className="mono">{location.pathname}</code>.
      </p>
      <ul className="link-list">
        <li>
          <Link to="/">Dashboard</Link>
        </li>
        <li>
          <Link to="/connectors">Connectors</Link>
        </li>
        <li>
          <Link to="/syncs">Syncs</Link>
        </li>
      </ul>
    </div>
  );
}
