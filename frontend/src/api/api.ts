// Typed calls of the MigrateIQ API, one function per endpoint the UI uses.

import { apiRequest, revokeTokens, setTokens } from "./client";
import { plainJson } from "./exactJson";
import type {
  ChangeFeedPage,
  ConnectionResult,
  Connector,
  ConnectorInput,
  ConnectorStats,
  InstallationStatus,
  Me,
  Paginated,
  SyncLog,
  SyncLogDetail,
  SyncLogEvent,
  Membership,
  Invitation,
  InvitationCreated,
  Preview,
  Role,
  SyncActivityDay,
  SyncRecordError,
  SyncStatus,
  SyncTrigger,
  SyncedRecord,
  TokenPair,
} from "./types";
import { apiDownload, type DownloadedFile } from "./client";
import type { AuditEvent, AuditValues, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointCreated, WebhookEndpointInput } from "./types";
import type { ColumnNames, ConnectorSchema, Destination, DestinationAttachment, DestinationCheck, DestinationInput, DestinationLoad, SchemaProfile } from "./types";

const CONNECTORS = "/demo-extension/connectors";
const SYNC_LOGS = "/demo-extension/sync-logs";

export async function signIn(email: string, password: string, tenant: string): Promise<void> {
  const body: Record<string, string> = { email, password };
  if (tenant.trim()) body.tenant = tenant.trim();
  const { data } = await apiRequest<TokenPair>("/auth/token/", { method: "POST", body, auth: false });
  setTokens(data);
}

export function signOut(): void {
  revokeTokens();
}

export async function getMe(): Promise<Me> {
  return (await apiRequest<Me>("/auth/me/")).data;
}

export async function getInstallationStatus(): Promise<InstallationStatus> {
  return (await apiRequest<InstallationStatus>("/status/")).data;
}

export async function getStats(): Promise<ConnectorStats> {
  return (await apiRequest<ConnectorStats>(`${CONNECTORS}/stats/`)).data;
}

export interface ListParams {
  page?: number;
  page_size?: number;
  search?: string;
}

export async function listConnectors(params: ListParams = {}): Promise<Paginated<Connector>> {
  return (await apiRequest<Paginated<Connector>>(`${CONNECTORS}/`, { query: { ...params } })).data;
}

export async function getConnector(id: number): Promise<Connector> {
  return (await apiRequest<Connector>(`${CONNECTORS}/${id}/`)).data;
}

export async function createConnector(input: ConnectorInput): Promise<Connector> {
  return (await apiRequest<Connector>(`${CONNECTORS}/`, { method: "POST", body: input })).data;
}

export async function updateConnector(id: number, input: ConnectorInput): Promise<Connector> {
  return (await apiRequest<Connector>(`${CONNECTORS}/${id}/`, { method: "PATCH", body: input })).data;
}

export async function deleteConnector(id: number): Promise<void> {
  await apiRequest<null>(`${CONNECTORS}/${id}/`, { method: "DELETE" });
}

/** A preview's records and samples keep big integers and long decimals exact (for display); the pagination it
 * detected, which the form can pin and send back, is plain JSON. */
function withPlainPagination(preview: Preview): Preview {
  return preview.pagination ? { ...preview, pagination: plainJson(preview.pagination) } : preview;
}

/** Preview an unsaved configuration (the body of a create; the name is optional). */
export async function previewConnector(input: ConnectorInput): Promise<Preview> {
  return withPlainPagination((await apiRequest<Preview>(`${CONNECTORS}/preview/`, { method: "POST", body: input, exact: true })).data);
}

/** Preview a saved connector with the form's changes as overrides (validated as a PATCH, never saved). */
export async function previewSavedConnector(id: number, overrides: ConnectorInput = {}): Promise<Preview> {
  return withPlainPagination((await apiRequest<Preview>(`${CONNECTORS}/${id}/preview/`, { method: "POST", body: overrides, exact: true })).data);
}

export async function testConnection(id: number): Promise<ConnectionResult> {
  return (await apiRequest<ConnectionResult>(`${CONNECTORS}/${id}/test_connection/`, { method: "POST" })).data;
}

/** Start a sync and return at once (wait=0): the log is pending or running, or already finished.
 * The run is recorded as triggered by the web UI (trigger=ui). `allowEmpty` (with `fullRefresh`
 * only; the API refuses it otherwise): a refresh that gets no record marks every stored one deleted. */
export async function startSync(id: number, fullRefresh = false, allowEmpty = false): Promise<SyncLog> {
  const query = { wait: 0, trigger: "ui", full_refresh: fullRefresh ? "true" : undefined, allow_empty: allowEmpty ? "true" : undefined };
  return (await apiRequest<SyncLog>(`${CONNECTORS}/${id}/sync_data/`, { method: "POST", query })).data;
}

export async function listSyncHistory(id: number, params: ListParams = {}): Promise<Paginated<SyncLog>> {
  return (await apiRequest<Paginated<SyncLog>>(`${CONNECTORS}/${id}/sync_history/`, { query: { ...params } })).data;
}

/** external_id (numeric-aware), last_synced_at, or data.<field>: a top-level field of the record
 * (numbers, then text in any case, then booleans, then lists and objects; records without it last). */
export type RecordOrdering = "external_id" | "-external_id" | "last_synced_at" | "-last_synced_at" | `data.${string}` | `-data.${string}`;

export interface RecordParams extends ListParams {
  external_id?: string;
  ordering?: RecordOrdering;
  /** Search a field (dotted path) for a value (contains, any case); both or neither. */
  field?: string;
  value?: string;
  /** Also list the records a full refresh marked deleted (their deleted_at is set). */
  include_deleted?: boolean;
}

export async function listRecords(id: number, params: RecordParams = {}): Promise<Paginated<SyncedRecord>> {
  return (await apiRequest<Paginated<SyncedRecord>>(`${CONNECTORS}/${id}/records/`, { query: { ...params }, exact: true })).data;
}

/** The changes of a connector's records after the change sequence `after` (0: from the start), at
 * most `limit` (1-500), in sequence order; continue with `next_after` while `has_more`. */
export async function listChanges(id: number, after: number, limit: number): Promise<ChangeFeedPage> {
  return (await apiRequest<ChangeFeedPage>(`${CONNECTORS}/${id}/changes/`, { query: { after, limit }, exact: true })).data;
}

/** The tenant's latest sync runs, all connectors, newest first. */
export async function listRecentSyncs(pageSize = 10): Promise<Paginated<SyncLog>> {
  return (await apiRequest<Paginated<SyncLog>>(`${SYNC_LOGS}/`, { query: { page_size: pageSize, ordering: "-created_at" } })).data;
}

export async function getSyncLog(id: number): Promise<SyncLogDetail> {
  return (await apiRequest<SyncLogDetail>(`${SYNC_LOGS}/${id}/`)).data;
}

export async function listSyncEvents(id: number, params: ListParams = {}): Promise<Paginated<SyncLogEvent>> {
  return (await apiRequest<Paginated<SyncLogEvent>>(`${SYNC_LOGS}/${id}/events/`, { query: { ...params } })).data;
}

export async function listSyncErrors(id: number, params: ListParams = {}): Promise<Paginated<SyncRecordError>> {
  return (await apiRequest<Paginated<SyncRecordError>>(`${SYNC_LOGS}/${id}/errors/`, { query: { ...params }, exact: true })).data;
}

export async function cancelSync(id: number): Promise<SyncLog> {
  return (await apiRequest<SyncLog>(`${SYNC_LOGS}/${id}/cancel/`, { method: "POST" })).data;
}

export async function resumeSync(id: number): Promise<SyncLog> {
  return (await apiRequest<SyncLog>(`${SYNC_LOGS}/${id}/resume/`, { method: "POST", query: { wait: 0 } })).data;
}

/** The id of the sync in progress that a 409 names, if any. */
export function runningSyncIdOf(body: unknown): number | null {
  if (body && typeof body === "object" && "sync_log_id" in body) {
    const id = (body as { sync_log_id: unknown }).sync_log_id;
    if (typeof id === "number") return id;
  }
  return null;
}

/** The tenant's sync runs per UTC day (by status) and records processed, oldest day first. */
export async function getSyncActivity(days = 30): Promise<SyncActivityDay[]> {
  return (await apiRequest<{ days: SyncActivityDay[] }>(`${CONNECTORS}/stats/history/`, { query: { days } })).data.days;
}

export async function setConnectorActive(id: number, isActive: boolean): Promise<Connector> {
  return (await apiRequest<Connector>(`${CONNECTORS}/${id}/`, { method: "PATCH", body: { is_active: isActive } })).data;
}

export interface SyncLogFilters extends ListParams {
  status?: SyncStatus;
  triggered_by?: SyncTrigger;
  connector?: number;
  /** ISO date (YYYY-MM-DD) or date-time. */
  created_after?: string;
  created_before?: string;
}

/** Every sync of the tenant, newest first, filtered. */
export async function listSyncLogs(filters: SyncLogFilters = {}): Promise<Paginated<SyncLog>> {
  return (await apiRequest<Paginated<SyncLog>>(`${SYNC_LOGS}/`, { query: { ordering: "-created_at", ...filters } })).data;
}

const MEMBERS = "/tenancy/members";

export async function listMembers(params: ListParams = {}): Promise<Paginated<Membership>> {
  return (await apiRequest<Paginated<Membership>>(`${MEMBERS}/`, { query: { ...params } })).data;
}

export async function changeMemberRole(id: number, role: Role): Promise<Membership> {
  return (await apiRequest<Membership>(`${MEMBERS}/${id}/`, { method: "PATCH", body: { role } })).data;
}

export async function removeMember(id: number): Promise<void> {
  await apiRequest<null>(`${MEMBERS}/${id}/`, { method: "DELETE" });
}

// --- invitations: a new member is invited (the token is shown once) and accepts with a password.

const INVITATIONS = "/tenancy/invitations";

/** Invite `email` to the tenant with `role`; the answer carries the one-time token. */
export async function inviteMember(email: string, role: Role): Promise<InvitationCreated> {
  return (await apiRequest<InvitationCreated>(`${INVITATIONS}/`, { method: "POST", body: { email, role } })).data;
}

export async function listInvitations(params: ListParams = {}): Promise<Paginated<Invitation>> {
  return (await apiRequest<Paginated<Invitation>>(`${INVITATIONS}/`, { query: { ordering: "-created_at", ...params } })).data;
}

export async function revokeInvitation(id: number): Promise<void> {
  await apiRequest<null>(`${INVITATIONS}/${id}/`, { method: "DELETE" });
}

/** The UI address the invitee opens: the app's accept page (no sign-in needed) with the token. */
export function invitationLink(token: string, origin: string = window.location.origin): string {
  return `${origin}/invitations/accept?token=${encodeURIComponent(token)}`;
}

/** Accept an invitation (no sign-in needed) and keep the tenant's token pair, as sign-in does. */
export async function acceptInvitation(token: string, password: string, name?: string): Promise<void> {
  const body: Record<string, string> = { token, password };
  if (name?.trim()) body.name = name.trim();
  const { data } = await apiRequest<TokenPair>("/auth/invitations/accept/", { method: "POST", body, auth: false });
  setTokens(data);
}


// --- data out: export, inferred schema, destinations ---------------------------------------

export interface ExportOptions {
  format: "ndjson" | "csv";
  /** Dotted paths; none = every field. */
  fields?: string[];
  includeDeleted?: boolean;
  /** Only the records a search of the records list finds. */
  search?: RecordSearch;
  /** CSV: false writes every cell as stored, formulas included (for a database loader); by
   * default a text cell starting with = + - @ gets a leading apostrophe. */
  spreadsheetSafe?: boolean;
}

/** A search of the records by a field's value: records whose `field` contains `value`, any case. */
export interface RecordSearch {
  field: string;
  value: string;
}

/** Download a connector's records as a file (bearer token in the header, never in the URL). */
export async function exportRecords(id: number, options: ExportOptions, onProgress?: (bytes: number) => void): Promise<DownloadedFile> {
  const query = {
    format: options.format,
    fields: options.fields && options.fields.length > 0 ? options.fields.join(",") : undefined,
    include_deleted: options.includeDeleted ? "true" : undefined,
    field: options.search?.field,
    value: options.search?.value,
    spreadsheet_safe: options.format === "csv" && options.spreadsheetSafe === false ? "false" : undefined,
  };
  return apiDownload(`${CONNECTORS}/${id}/export/`, query, onProgress);
}

// Schema reads on their way, by connector: the connector page's records table and its field
// mapping check both need the schema as the page loads; the second gets the first's answer
// instead of sending the same request again. A read after the answer came asks anew.
const schemaReads = new Map<number, Promise<ConnectorSchema>>();

export function getConnectorSchema(id: number): Promise<ConnectorSchema> {
  let read = schemaReads.get(id);
  if (!read) {
    read = apiRequest<ConnectorSchema>(`${CONNECTORS}/${id}/schema/`)
      .then((answer) => answer.data)
      .finally(() => schemaReads.delete(id));
    schemaReads.set(id, read);
  }
  return read;
}

/** How often each field of the schema is present, null or "" in the connector's most recent records. */
export async function getSchemaProfile(id: number): Promise<SchemaProfile> {
  return (await apiRequest<SchemaProfile>(`${CONNECTORS}/${id}/schema/profile/`)).data;
}

const DESTINATIONS = "/destinations";

export async function listDestinations(params: ListParams = {}): Promise<Paginated<Destination>> {
  return (await apiRequest<Paginated<Destination>>(`${DESTINATIONS}/`, { query: { ...params } })).data;
}

export async function getDestination(id: number): Promise<Destination> {
  return (await apiRequest<Destination>(`${DESTINATIONS}/${id}/`)).data;
}

export async function createDestination(input: DestinationInput): Promise<Destination> {
  return (await apiRequest<Destination>(`${DESTINATIONS}/`, { method: "POST", body: input })).data;
}

export async function updateDestination(id: number, input: DestinationInput): Promise<Destination> {
  return (await apiRequest<Destination>(`${DESTINATIONS}/${id}/`, { method: "PATCH", body: input })).data;
}

export async function deleteDestination(id: number): Promise<void> {
  await apiRequest<null>(`${DESTINATIONS}/${id}/`, { method: "DELETE" });
}

export async function testDestination(id: number): Promise<DestinationCheck> {
  return (await apiRequest<DestinationCheck>(`${DESTINATIONS}/${id}/test_connection/`, { method: "POST" })).data;
}

export async function attachConnector(id: number, connector: number, tableName?: string, columnNames?: ColumnNames): Promise<DestinationAttachment> {
  const body: { connector: number; table_name?: string; column_names?: ColumnNames } = { connector };
  if (tableName && tableName.trim()) body.table_name = tableName.trim();
  if (columnNames) body.column_names = columnNames;
  return (await apiRequest<DestinationAttachment>(`${DESTINATIONS}/${id}/attach/`, { method: "POST", body })).data;
}

export async function detachConnector(id: number, connector: number): Promise<void> {
  await apiRequest<null>(`${DESTINATIONS}/${id}/detach/`, { method: "POST", body: { connector } });
}

/** Start loads: of one connector or every attached one; `fullReload`: every record again, from the
 * start. 409 while that connector's load runs. The loads are recorded as triggered by the web UI
 * (trigger=ui), as its syncs are. */
export async function startLoad(id: number, connector?: number, { fullReload = false }: { fullReload?: boolean } = {}): Promise<DestinationLoad[]> {
  const body = { ...(connector ? { connector } : {}), ...(fullReload ? { full_reload: true } : {}) };
  return (await apiRequest<{ loads: DestinationLoad[] }>(`${DESTINATIONS}/${id}/load/`, { method: "POST", body, query: { trigger: "ui" } })).data.loads;
}

export async function listLoads(id: number, params: ListParams = {}): Promise<Paginated<DestinationLoad>> {
  return (await apiRequest<Paginated<DestinationLoad>>(`${DESTINATIONS}/${id}/loads/`, { query: { ...params } })).data;
}

// --- the audit module: the tenant's audit trail (admins only) -------------------------------

export interface AuditFilters {
  page?: number;
  page_size?: number;
  action?: string;
  /** Who acted: a user id, `anonymous` (requests nobody had signed in to, e.g. refused sign-ins) or
   * `system` (schedules, the engine, operator commands); the API refuses anything else with a 400. */
  actor?: string;
  target_type?: string;
  target_id?: string;
  /** ISO 8601 date-times: at or after `since`, before `until`. */
  since?: string;
  until?: string;
}

/** The tenant's audit events, newest first, filtered. */
export async function listAuditEvents(filters: AuditFilters = {}): Promise<Paginated<AuditEvent>> {
  return (await apiRequest<Paginated<AuditEvent>>("/audit/events/", { query: { ordering: "-at", ...filters } })).data;
}

/** The actions and object types recorded in the tenant's trail: the filters' suggestions. */
export async function getAuditValues(): Promise<AuditValues> {
  return (await apiRequest<AuditValues>("/audit/events/values/")).data;
}

// --- the webhooks module: endpoints, the test ping, the delivery log (admins only) -----------

const WEBHOOK_ENDPOINTS = "/webhooks/endpoints";

export async function listWebhookEndpoints(params: ListParams = {}): Promise<Paginated<WebhookEndpoint>> {
  return (await apiRequest<Paginated<WebhookEndpoint>>(`${WEBHOOK_ENDPOINTS}/`, { query: { ...params } })).data;
}

/** Add an endpoint; the answer holds its signing secret, this once. */
export async function createWebhookEndpoint(input: WebhookEndpointInput): Promise<WebhookEndpointCreated> {
  return (await apiRequest<WebhookEndpointCreated>(`${WEBHOOK_ENDPOINTS}/`, { method: "POST", body: input })).data;
}

export async function updateWebhookEndpoint(id: number, input: WebhookEndpointInput): Promise<WebhookEndpoint> {
  return (await apiRequest<WebhookEndpoint>(`${WEBHOOK_ENDPOINTS}/${id}/`, { method: "PATCH", body: input })).data;
}

export async function deleteWebhookEndpoint(id: number): Promise<void> {
  await apiRequest<null>(`${WEBHOOK_ENDPOINTS}/${id}/`, { method: "DELETE" });
}

/** Send a signed ping now (one attempt) and get its delivery: success or failed, the code, the error. */
export async function pingWebhookEndpoint(id: number): Promise<WebhookDelivery> {
  return (await apiRequest<WebhookDelivery>(`${WEBHOOK_ENDPOINTS}/${id}/test/`, { method: "POST" })).data;
}

export interface DeliveryFilters {
  page?: number;
  page_size?: number;
  endpoint?: number;
  status?: DeliveryStatus;
  event?: string;
}

/** The delivery log, newest first. */
export async function listWebhookDeliveries(filters: DeliveryFilters = {}): Promise<Paginated<WebhookDelivery>> {
  return (await apiRequest<Paginated<WebhookDelivery>>("/webhooks/deliveries/", { query: { ...filters } })).data;
}
