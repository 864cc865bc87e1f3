import { getConnectorSchema } from "../api/api";
import { formatDateTime } from "../format";
import { useLoad } from "../hooks";
import { ErrorBanner, Loading, TableWrap } from "./common";

/** The fields inferred from a connector's stored records (updated by every sync). */
export function SchemaTable({ connectorId, refreshKey = 0 }: { connectorId: number; refreshKey?: number }) {
  const schema = useLoad(() => getConnectorSchema(connectorId), [connectorId, refreshKey]);
  return (
    <section className="card" aria-labelledby="schema-heading">
      <h2 id="schema-heading">Schema</h2>
      <ErrorBanner message={schema.error} />
      {schema.loading && !schema.data ? <Loading /> : null}
      {schema.data ? (
        <>
          <p className="muted small" data-testid="schema-updated">
            {schema.data.updated_at ? `Inferred from the stored records, last updated ${formatDateTime(schema.data.updated_at)}.` : "Not inferred yet: sync the connector."}
          </p>
          {schema.data.truncated ? (
            <p className="banner" data-testid="schema-truncated">
              Some fields are not listed: the schema keeps at most 1000 fields and 8 levels of nesting.
            </p>
          ) : null}
          {schema.data.fields.length === 0 ? (
            <p className="muted">No fields yet.</p>
          ) : (
            <TableWrap label="Inferred fields, scrolling sideways">
              <table className="table" aria-label="Inferred fields">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Types</th>
                    <th scope="col">Formats</th>
                    <th scope="col">CSV column</th>
                  </tr>
                </thead>
                <tbody>
                  {schema.data.fields.map((field) => (
                    <tr key={field.path}>
                      <td className="mono">{field.path}</td>
                      <td>{field.types.join(", ")}</td>
                      <td>{field.formats.length > 0 ? field.formats.join(", ") : <span className="muted">—</span>}</td>
                      <td>{field.column ? "yes" : "no"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      ) : null}
    </section>
  );
}
