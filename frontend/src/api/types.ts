// Shapes of the MigrateIQ REST API (see /api/schema/).

import type { ExactNumber } from "./exactJson";

export type Role = "viewer" | "editor" | "admin";
export type SyncStatus = "PENDING" | "RUNNING" | "SUCCESS" | "PARTIAL" | "FAILED" | "CANCELLED";
export type SyncFrequency = "MANUAL" | "HOURLY" | "DAILY" | "WEEKLY";
export type AuthType = "bearer" | "header" | "query" | "basic" | "basic_key" | "oauth2" | "none";
export type OAuthClientAuth = "client_secret_basic" | "client_secret_post";
export type RequestMethod = "GET" | "POST";
export type SyncTrigger = "manual" | "schedule" | "api" | "ui";
export const SYNC_STATUSES: SyncStatus[] = ["PENDING", "RUNNING", "SUCCESS", "PARTIAL", "FAILED", "CANCELLED"];
export const SYNC_TRIGGERS: SyncTrigger[] = ["ui", "api", "schedule", "manual"];
export type PaginationType = "auto" | "none" | "page" | "offset" | "cursor" | "next_url" | "link_header";
/** A bigint: an integer beyond the safe range in record data, kept exact; an ExactNumber: a decimal
 * a double cannot hold, kept as the API wrote it (see exactJson.ts). */
export type JsonValue = null | boolean | number | bigint | ExactNumber | string | JsonValue[] | { [key: string]: JsonValue };

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface Me {
  user: { id: number; email: string; full_name: string };
  tenant: { id: number; slug: string; name: string };
  role: Role;
  /** The installed modules by package name ("audit", "webhooks", ...): their pages are linked. */
  modules: string[];
}

/** GET /api/status/: whether the installation's background work (workers, beat, broker) runs. */
export type BackgroundState = "running" | "starting" | "stopped";
export interface BackgroundStatus {
  state: BackgroundState;
  last_tick_at: string | null;
  seconds_since_last_tick: number | null;
  stale_after_seconds: number;
  message: string;
}

export interface InstallationStatus {
  background: BackgroundStatus;
}

export interface Paginated<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Where a connector's further credentials go, by name. In an update, null keeps the stored value. */
export interface SecretParams {
  headers?: { [name: string]: string | null };
  query?: { [name: string]: string | null };
  /** values of the endpoint path's {secret:NAME} placeholders */
  path?: { [name: string]: string | null };
}

export interface SecretParamNames {
  headers?: string[];
  query?: string[];
  path?: string[];
}

export interface Connector {
  id: number;
  name: string;
  /** Which registered source reads it: "rest" (the fields below) or another module's kind. */
  source_type: string;
  api_endpoint: string;
  has_api_key: boolean;
  api_key_last4: string;
  sync_frequency: SyncFrequency;
  /** The schedule's time of day in UTC, "HH:MM" (HOURLY: only its minutes count); null: one interval after the last save or run. */
  sync_time: string | null;
  /** The day of a WEEKLY schedule, 0 (Monday) to 6 (Sunday); null otherwise. */
  sync_weekday: number | null;
  is_active: boolean;
  auth_type: AuthType;
  auth_header_name: string;
  auth_param_name: string;
  /** Write-only credentials: the responses only say whether one is stored. */
  has_auth_username: boolean;
  has_auth_password: boolean;
  has_oauth_client_secret: boolean;
  /** The names of the stored secret headers and query parameters (their values are never shown). */
  secret_param_names: SecretParamNames;
  oauth_token_url: string;
  oauth_client_id: string;
  oauth_scopes: string;
  oauth_audience: string;
  oauth_client_auth: OAuthClientAuth;
  request_headers: JsonValue;
  query_params: JsonValue;
  /** GET, or POST with request_body as JSON (the pagination parameters go into the body). */
  request_method: RequestMethod;
  request_body: JsonValue;
  records_path: string | null;
  primary_key: string;
  pagination: JsonValue;
  incremental: JsonValue;
  transformation_rules: JsonValue;
  max_pages: number | null;
  max_sync_seconds: number | null;
  max_requests_per_second: number | null;
  max_concurrent_requests: number;
  max_requests_per_sync: number | null;
  error_detection: JsonValue;
  schema_policy: SchemaPolicy;
  records_count: number;
  last_sync_at: string | null;
  last_sync_status: SyncStatus | "" | null;
  next_sync_at: string | null;
  /** Statuses of the latest 10 runs, newest first ([] for a connector never synced). */
  recent_statuses?: SyncStatus[] | null;
  /** The connector's PENDING or RUNNING sync log, null when none is (lists and details). */
  running_sync_id?: number | null;
  /** What a create or update noticed without refusing it (a host name the server could not resolve),
   * then the latest finished run's warnings ("The last sync (#id, STATUS) warned: ..."). */
  warnings?: string[];
  /** The latest finished run (null: never synced) and its warnings alone ([] when it had none). */
  last_sync_log_id?: number | null;
  last_sync_warnings?: string[];
  /** That run's error message: why a FAILED run stopped, what a PARTIAL one missed ("" without one). */
  last_sync_error?: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** What create / update send: the writable fields. The credentials (api_key, auth_username,
 * auth_password, oauth_client_secret) are write-only: omitted, the stored value stays; "" removes it. */
export interface ConnectorInput {
  name?: string;
  api_endpoint?: string;
  api_key?: string;
  sync_frequency?: SyncFrequency;
  sync_time?: string | null;
  sync_weekday?: number | null;
  is_active?: boolean;
  auth_type?: AuthType;
  auth_header_name?: string;
  auth_param_name?: string;
  auth_username?: string;
  auth_password?: string;
  oauth_token_url?: string;
  oauth_client_id?: string;
  oauth_client_secret?: string;
  oauth_scopes?: string;
  oauth_audience?: string;
  oauth_client_auth?: OAuthClientAuth;
  /** Write-only further credentials: omitted, the stored ones stay; a new object replaces them; {} removes them. */
  secret_params?: SecretParams;
  records_path?: string | null;
  primary_key?: string;
  pagination?: JsonValue;
  transformation_rules?: JsonValue;
  request_headers?: JsonValue;
  query_params?: JsonValue;
  request_method?: RequestMethod;
  request_body?: JsonValue;
  incremental?: JsonValue;
  max_pages?: number | null;
  max_sync_seconds?: number | null;
  max_requests_per_second?: number | null;
  max_concurrent_requests?: number;
  max_requests_per_sync?: number | null;
  error_detection?: JsonValue;
  schema_policy?: SchemaPolicy;
}

/** What a sync does with a page that would change the connector's inferred schema. */
export type SchemaPolicy = "evolve" | "freeze";

export interface ConnectorStats {
  total_connectors: number;
  active_connectors: number;
  total_records_synced: number;
  last_24h_syncs: number;
  success_rate: number;
  avg_sync_duration: number;
  /** Percent of completed runs that ended PARTIAL (success_rate counts SUCCESS only). Optional: an older API has none. */
  partial_rate?: number;
  /** Completed runs (SUCCESS, PARTIAL, FAILED) the rates are of; 0: no rate yet. Optional: an older API has none. */
  completed_syncs?: number;
  total_loads: number;
  rows_loaded: number;
  failed_loads: number;
}

export interface ConnectionResult {
  connected: boolean;
  response_time_ms: number | null;
  message: string;
  endpoint: string;
  status_code: number | null;
  /** False when nothing was sent (the connector's requests are paused by a 429); optional: an older
   * API without it always tested. */
  tested?: boolean;
  /** Seconds until the connector's requests go out again after the API asked to slow down (a 429,
   * Retry-After); null when they are not paused. Optional: an older API does not say. */
  retry_after?: number | null;
}

export interface SyncLog {
  id: number;
  connector: number;
  connector_name: string;
  status: SyncStatus;
  triggered_by: SyncTrigger;
  records_processed: number;
  records_created: number;
  records_updated: number;
  records_unchanged: number;
  records_failed: number;
  /** Records a complete full refresh marked deleted (0 for other runs). Optional: an older API has none. */
  records_deleted?: number;
  pages_fetched: number;
  /** Seconds spent running; a resumed run adds up its attempts. */
  duration_seconds: number | null;
  /** When the run first started (a resume keeps it). */
  started_at: string | null;
  /** When its latest attempt went on from the checkpoint; null for a run that ran in one go. */
  resumed_at: string | null;
  finished_at: string | null;
  error_message: string;
  detected_pagination: string;
  full_refresh: boolean;
  /** A full refresh started with allow_empty: getting no record marks every stored one deleted
   * instead of failing. Optional: an older API has none. */
  allow_empty?: boolean;
  attempts: number;
  created_at: string;
  /** Whether resume would be accepted (failed or cancelled, with a checkpoint, nothing newer). */
  can_resume: boolean;
  /** A full refresh that read every page, got no record while records are stored, and failed instead
   * of marking them all deleted (allow_empty would let it). Optional: an older API has none. */
  refused_as_empty?: boolean;
  /** The number of records the upstream announced for this run, when it did (null otherwise);
   * optional: an API without the field is read as "no total". */
  records_total?: number | null;
  /** What the run warned about (a primary key no record has, a mapping that matched nothing, ...),
   * not its closing line nor its retries; [] until it ends. Optional: an older API has none. */
  warnings?: string[];
  warnings_count?: number;
  /** How many requests the run retried: not warnings (a FAILED run's retries led to its error);
   * their lines are in the run's log, counted as they are written. Optional: an older API has none. */
  retries?: number;
  /** Seconds the run's requests waited for the API's rate limit (429, Retry-After); 0 until it
   * ends. Optional: an older API has none. */
  rate_limit_wait_seconds?: number;
  /** Pages a run of its connector fetches at most as its settings stand (max_pages within the
   * server's limit): a run may stop there well before records_total. Optional: an older API has none. */
  page_cap?: number;
  /** How the pages it committed changed the connector's inferred schema; [] until it ends, and for
   * a connector's first sync. Optional: an older API has none. */
  schema_changes?: SchemaChange[];
  /** While the run is active: seconds left of the pause a 429 / Retry-After put on every request of
   * its connector (0: not paused); null once it ended. */
  requests_paused_for?: number | null;
}

export interface SchemaChange {
  /** The field's path, nested keys joined by dots. */
  path: string;
  change: "added" | "removed" | "types" | "formats";
  /** Its JSON types (its formats for a formats change) before and after. */
  before: string[];
  after: string[];
}

export interface SyncLogEvent {
  id: number;
  at: string;
  level: "debug" | "info" | "warning" | "error";
  message: string;
}

export interface SyncLogDetail extends SyncLog {
  events: SyncLogEvent[];
  /** Why resume would be refused ("" when it would be accepted, and while the run is active);
   * optional: an older API without the field gets the generic sentence. */
  cannot_resume_reason?: string;
  /** While the run is pending and the installation's background work has stopped: why no worker
   * takes it (GET /api/status/'s message); null otherwise. */
  background_stopped?: string | null;
}

export interface SyncRecordError {
  id: number;
  sync_log: number;
  connector: number;
  external_id: string;
  raw_payload: JsonValue;
  error: string;
  page: number | null;
  created_at: string;
}

export interface SyncedRecord {
  id: number;
  external_id: string;
  data: JsonValue;
  checksum: string;
  first_synced_at: string;
  last_synced_at: string;
  last_sync_log: number | null;
  /** When a full refresh marked the record deleted (listed only with include_deleted); null when live. */
  deleted_at?: string | null;
}

/** One change of a connector's change feed: a record's latest state, or its deletion. */
export interface RecordChange {
  /** The record's change sequence: the feed's order. */
  seq: number;
  op: "upsert" | "delete";
  /** The stored record's id. */
  id: number;
  external_id: string;
  /** The record; null for a delete. */
  data: JsonValue;
  last_synced_at: string;
  deleted_at: string | null;
}

/** A page of the change feed (`connectors/{id}/changes/?after=&limit=`). */
export interface ChangeFeedPage {
  changes: RecordChange[];
  /** Pass as `after` to continue. */
  next_after: number;
  has_more: boolean;
}

export function isActiveStatus(status: string | null | undefined): boolean {
  return status === "PENDING" || status === "RUNNING";
}

export interface SyncActivityDay {
  /** A UTC day, YYYY-MM-DD. */
  date: string;
  syncs: Record<SyncStatus, number>;
  records_processed: number;
}

export interface Membership {
  id: number;
  email: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

/** The answer of connectors/preview/ and connectors/{id}/preview/ (nothing is stored). */
export interface PreviewPagination {
  type: Exclude<PaginationType, "auto">;
  /** The pagination object a sync would use: pin it into the connector's `pagination`. */
  config: { [key: string]: JsonValue };
  detected: boolean;
  description: string;
  reason: string;
  has_more: boolean;
}

export interface PreviewField {
  path: string;
  types: ("string" | "integer" | "number" | "boolean" | "null" | "array" | "object")[];
  present_in: number;
  samples: JsonValue[];
}

export interface PreviewKeyCandidate {
  path: string;
  unique_in_sample: boolean;
  present_in: number;
}

export interface PreviewCursorCandidate {
  path: string;
  kind: "timestamp" | "number";
  min: JsonValue;
  max: JsonValue;
  increasing: boolean;
}

/** What a sync would do with a sampled record against the stored records (a saved connector's preview). */
export type PreviewChange = "new" | "changed" | "unchanged" | "restored";

export interface PreviewRecord {
  raw: JsonValue;
  transformed: JsonValue;
  error: string | null;
  /** Null for an unsaved connector's preview, or a record a sync would quarantine. */
  change: PreviewChange | null;
  /** For "changed": the fields (dotted paths) whose stored value differs, at most 10. */
  changed_fields: string[];
  more_changed_fields: number;
}

/** A saved connector's preview: the sampled records against the records stored now. */
export interface PreviewChanges {
  compared: number;
  new: number;
  changed: number;
  unchanged: number;
  restored: number;
}

export interface Preview {
  ok: boolean;
  error: string | null;
  status_code: number | null;
  /** Seconds until the API may be asked again when it asked to slow down (a 429, Retry-After; this
   * preview's or an earlier one that paused the connector); null otherwise. Optional: an older API
   * does not say. */
  retry_after?: number | null;
  response_time_ms: number | null;
  pages_fetched: number;
  records_path: string | null;
  records_path_detected: boolean;
  pagination: PreviewPagination | null;
  records_in_pages: number;
  primary_key: string;
  primary_key_candidates: PreviewKeyCandidate[];
  cursor_candidates: PreviewCursorCandidate[];
  fields: PreviewField[];
  records: PreviewRecord[];
  warnings: string[];
  /** Null for an unsaved connector. */
  changes: PreviewChanges | null;
}

/** A pending invitation to the tenant (the token is never listed). */
export interface Invitation {
  id: number;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
}

/** The answer to creating an invitation: the only time its token is shown. */
export interface InvitationCreated extends Invitation {
  token: string;
  /** The API address that accepts it (the UI's own page is /invitations/accept?token=…). */
  accept_path: string;
  /** The UI's accept page with the token, relative: /invitations/accept?token=… */
  accept_link: string;
}


// --- data out: export, inferred schema and its profile, destinations ---------------------------------------

export interface SchemaField {
  path: string;
  parts: string[];
  types: string[];
  formats: string[];
  /** Whether the field is a column of the CSV export. */
  column: boolean;
  /** The order in which the records first showed the field (the upstream's own order; stored
   * records have their keys sorted). */
  position: number;
}

export interface ConnectorSchema {
  connector: number;
  fields: SchemaField[];
  truncated: boolean;
  /** When the schema last changed (a sync learnt a field, a type or a format). */
  updated_at: string | null;
  /** When a sync that read the records to the end last confirmed it (also one that changed nothing);
   * absent from a server older than the field. */
  checked_at?: string | null;
}

/** A field of the schema over the sampled records: counts, and shares of the sampled records (0 to 1). */
export interface FieldProfile {
  path: string;
  parts: string[];
  present: number;
  present_share: number;
  null: number;
  null_share: number;
  /** Records whose value is ""; null when the field never held a string. */
  empty: number | null;
  empty_share: number | null;
  /** Distinct non-null values; null for a field that held objects or arrays. */
  distinct: number | null;
  /** More than `distinct_cap` distinct values (`distinct` is then the cap). */
  distinct_over_cap: boolean;
}

/** GET /connectors/{id}/schema/profile/: the connector's `sampled` most recently changed live records of `total`. */
export interface SchemaProfile {
  connector: number;
  sample: number;
  sampled: number;
  total: number;
  distinct_cap: number;
  truncated: boolean;
  schema_updated_at: string | null;
  fields: FieldProfile[];
}

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";
export type DeletedRowsMode = "delete" | "soft";
export type LoadStatus = "PENDING" | "RUNNING" | "SUCCESS" | "FAILED";
/** How an attachment names its columns; given once, at its first load, and kept. */
export type ColumnNames = "snake_case" | "as_is";

/** The latest load of an attached connector, whatever its status (a failed one included). */
export interface DestinationLastLoad {
  id: number;
  status: LoadStatus;
  started_at: string | null;
  finished_at: string | null;
  error_message: string;
  created_at: string;
}

export interface DestinationAttachment {
  id: number;
  connector: number;
  table_name: string;
  /** snake_case: company.catchPhrase → company__catch_phrase; as_is: company__catchPhrase. */
  column_names: ColumnNames;
  high_water: number;
  /** When the destination was last brought up to date: a successful load's end (then last_load.finished_at), or a batch committed since. */
  last_load_at: string | null;
  /** null before the first load. */
  last_load: DestinationLastLoad | null;
  /** A reload (full, or after a table or column was dropped outside) has not finished: the next load goes on with it. */
  reload_pending?: boolean;
  /** Which field went to which column (names given at the loads that met the fields); empty before the first load. */
  columns: DestinationColumn[];
  created_at: string;
}

export interface DestinationColumn {
  /** The field's path, keys joined by "." (company.catchPhrase). */
  field: string;
  column: string;
}

export interface Destination {
  id: number;
  name: string;
  type: "postgresql";
  host: string;
  port: number;
  database: string;
  username: string;
  has_password: boolean;
  has_dsn: boolean;
  sslmode: SslMode;
  target_schema: string;
  deleted_rows: DeletedRowsMode;
  is_active: boolean;
  attachments: DestinationAttachment[];
  /** What a create or update noticed without refusing it (a host name the server could not resolve); empty on reads. */
  warnings?: string[];
  created_at: string;
  updated_at: string;
}

/** Write shape: password and dsn are write-only (left out = unchanged). */
export interface DestinationInput {
  name?: string;
  host?: string;
  port?: number;
  database?: string;
  username?: string;
  password?: string;
  dsn?: string;
  sslmode?: SslMode;
  target_schema?: string;
  deleted_rows?: DeletedRowsMode;
  is_active?: boolean;
}

export interface DestinationLoad {
  id: number;
  destination: number;
  connector: number;
  status: LoadStatus;
  triggered_by: string;
  /** Every record loaded again from the start ("Reload everything"). */
  full_reload: boolean;
  from_seq: number;
  to_seq: number;
  rows_upserted: number;
  rows_deleted: number;
  batches: number;
  columns_added: number;
  columns_widened: number;
  duration_seconds: number | null;
  started_at: string | null;
  finished_at: string | null;
  error_message: string;
  events: { at: string; level: string; message: string }[];
  created_at: string;
}

export interface DestinationCheck {
  connected: boolean;
  message: string;
  response_time_ms: number;
}

// --- the audit module (/api/audit/): who did what in the tenant, for its admins.

export interface AuditEvent {
  id: number;
  at: string;
  /** null: the system (a schedule, the engine, an operator command); `anonymous`: a request nobody
   * had signed in to (a refused sign-in; the email it tried is `detail.email`). */
  actor: { id: number | null; email: string; anonymous: boolean } | null;
  action: string;
  target_type: string;
  target_id: string;
  /** Names of the fields set or changed (never their values). */
  fields: string[];
  detail: { [key: string]: JsonValue };
  ip: string | null;
  request_id: string;
  /** The objects the event names (its target, and detail's `<type>_id` values) and whether each
   * still exists: a link to it, or the word that it was deleted. */
  objects: AuditObjectReference[];
}

export interface AuditObjectReference {
  /** "target" (target_type / target_id) or the detail key that names it ("connector_id"). */
  where: string;
  type: string;
  id: string;
  exists: boolean;
  /** The object's name now (a connector's, a destination's); null once deleted or for a kind without one. */
  name: string | null;
}

/** GET /api/audit/events/values/: what the tenant's trail holds, each once, sorted. */
export interface AuditValues {
  actions: string[];
  target_types: string[];
}

// --- the webhooks module (/api/webhooks/): signed deliveries of sync and load events, for admins.

export type WebhookEvent = "sync.succeeded" | "sync.partial" | "sync.failed" | "sync.cancelled" | "load.finished" | "load.failed";
export const WEBHOOK_EVENTS: WebhookEvent[] = ["sync.succeeded", "sync.partial", "sync.failed", "sync.cancelled", "load.finished", "load.failed"];
export type WebhookPayloadFormat = "json" | "slack";
export type DeliveryStatus = "pending" | "success" | "failed";
export const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "success", "failed"];

export interface WebhookEndpoint {
  id: number;
  name: string;
  url: string;
  /** The signing secret is write-only: only whether one is stored and its last four characters. */
  has_secret: boolean;
  secret_hint: string;
  /** Event names, or ["*"] for every event. */
  /** "sync.*" / "load.*": every event of that kind (set through the API). */
  events: (WebhookEvent | "sync.*" | "load.*" | "*")[];
  payload_format: WebhookPayloadFormat;
  is_active: boolean;
  /** What a create or update noticed without refusing it (a host name the server could not resolve); empty on reads. */
  warnings?: string[];
  created_at: string;
  updated_at: string;
}

/** The answer to a creation: the only time the signing secret is shown. */
export interface WebhookEndpointCreated extends WebhookEndpoint {
  signing_secret: string;
}

export interface WebhookEndpointInput {
  name?: string;
  url?: string;
  /** Write-only: at least 16 characters; omitted on a creation, one is generated. */
  secret?: string;
  events?: (WebhookEvent | "*")[];
  payload_format?: WebhookPayloadFormat;
  is_active?: boolean;
}

export interface WebhookDelivery {
  id: number;
  delivery_id: string;
  endpoint: number;
  endpoint_name: string;
  /** An event name, or "ping" for a test. */
  event: string;
  payload: JsonValue;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  response_status_code: number | null;
  error: string;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}
