import { getConnectorSchema } from "../api/api";
import type { ConnectorSchema, JsonValue } from "../api/types";
import { useLoad } from "../hooks";
import { rowsOfRules } from "./rules";

/** The connector's field mappings, source path → target field ([] for rules without any), read
 * as the rules editor reads them. */
export function fieldMappingsOf(rules: JsonValue): [string, string][] {
  const read = rowsOfRules(rules);
  if ("error" in read) return [];
  return read.rows.filter((row) => row.source).map((row): [string, string] => [row.source, row.target]);
}

/** The mappings whose target field no stored record has, by the inferred schema; none when the
 * schema is not there yet or is truncated (a missing field proves nothing then). */
export function unmatchedMappings(mappings: [string, string][], schema: ConnectorSchema | null): [string, string][] {
  if (!schema || !schema.updated_at || schema.truncated || !Array.isArray(schema.fields)) return [];
  const stored = new Set(schema.fields.flatMap((field) => (field.parts.length === 1 ? [field.path, field.parts[0]] : [field.path])));
  return mappings.filter(([, target]) => !stored.has(target));
}

/**
 * A warning under a synced connector's rules when a field mapping matched no record: its source
 * path is in no record (a typo, a path of another API), so no stored record has its target field.
 * A sync cannot tell (it stores the records without the field and ends SUCCESS), and the preview
 * that warns about it is behind Edit: this says it where the records are.
 */
export function UnmatchedMappings({ connectorId, rules, refreshKey }: { connectorId: number; rules: JsonValue; refreshKey: unknown }) {
  const mappings = fieldMappingsOf(rules);
  if (mappings.length === 0) return null;
  return <UnmatchedMappingsCheck connectorId={connectorId} mappings={mappings} refreshKey={refreshKey} />;
}

function UnmatchedMappingsCheck({ connectorId, mappings, refreshKey }: { connectorId: number; mappings: [string, string][]; refreshKey: unknown }) {
  const schema = useLoad(() => getConnectorSchema(connectorId), [connectorId, refreshKey]);
  const unmatched = unmatchedMappings(mappings, schema.data);
  if (unmatched.length === 0) return null;
  return (
    <div className="banner banner-warning" data-testid="unmatched-mappings">
      <p>
        {unmatched.length === 1 ? "A field mapping matched" : `${unmatched.length} field mappings matched`} no stored record, so no record has
        {unmatched.length === 1 ? " its target field" : " their target fields"}:
      </p>
      <ul>
        {unmatched.map(([source, target]) => (
          <li key={source}>
            <code>{source}</code> → <code>{target}</code>
          </li>
        ))}
      </ul>
      <p className="small">Check each source path against the Schema tab below, or edit the connector and preview it.</p>
    </div>
  );
}
