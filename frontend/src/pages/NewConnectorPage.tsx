import { Link, useNavigate } from "react-router-dom";

import { createConnector, previewConnector } from "../api/api";
import type { ConnectorInput } from "../api/types";
import { usePageTitle } from "../announce";
import { canWrite, editorRoleNeeded, useAuth } from "../auth";
import { ConnectorWizard } from "../components/ConnectorWizard";

export function NewConnectorPage() {
  usePageTitle("New connector");
  const { me } = useAuth();
  const navigate = useNavigate();
  // Said, not a silent redirect to the list: a viewer who followed a link learns why nothing opens.
  if (!canWrite(me?.role)) {
    return (
      <div className="page">
        <h1>New connector</h1>
        <p data-testid="role-needed">{editorRoleNeeded("Creating connectors", me?.role)} An admin of the tenant can give you the editor role.</p>
        <p>
          <Link to="/connectors">Back to the connectors</Link>
        </p>
      </div>
    );
  }

  async function create(input: ConnectorInput) {
    const created = await createConnector(input);
    navigate(`/connectors/${created.id}`, { state: { created: true, warnings: created.warnings ?? [] } });
  }

  return (
    <div className="page">
      <h1>New connector</h1>
      <ConnectorWizard onSubmit={create} onCancel={() => navigate("/connectors")} onPreview={previewConnector} />
    </div>
  );
}
