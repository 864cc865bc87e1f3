// Which connectors the web UI can edit. Its form (ConnectorForm) holds the REST source's settings:
// a connector another module's source reads (its source_type) is edited through that module's API,
// unless the module ships a form here.

/** The source types with an edit form in the web UI. */
export const SOURCES_WITH_FORM: ReadonlySet<string> = new Set(["rest"]);

export function hasSourceForm(sourceType: string): boolean {
  return SOURCES_WITH_FORM.has(sourceType);
}
