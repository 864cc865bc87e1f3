import { Navigate, useNavigate } from "react-router-dom";

import { createConnector, previewConnector } from "../api/api";
import type { ConnectorInput } from "../api/types";
import { usePageTitle } from "../announce";
import { canWrite, useAuth } from "../auth";
import { ConnectorWizard } from "../components/ConnectorWizard";

export function NewConnectorPage() {
  usePageTitle("New connector");
  const { me } = useAuth();
  const navigate = useNavigate();
  if (!canWrite(me?.role)) return <Navigate to="/connectors" replace />;

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
