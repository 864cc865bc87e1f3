import { useEffect, useRef, useState } from "react";

import { getConnectorSchema, getSchemaProfile } from "../api/api";
import { errorMessage } from "../api/client";
import type { ConnectorSchema, FieldProfile, SchemaProfile } from "../api/types";
import { formatCount, formatDateTime, formatNumber, formatPercent } from "../format";
import { useLoad } from "../hooks";
import { ErrorBanner, Loading, TableWrap } from "./common";
import { STRING_KINDS, stringKind, typesText } from "./schemaWords";
import { inFirstSeenOrder } from "./fieldOrder";

interface ProfileState {
  profile: SchemaProfile | null;
  loading: boolean;
  error: string | null;
}

const NO_PROFILE: ProfileState = { profile: null, loading: false, error: null };

/** A share of the sampled records as a percentage beside a small bar; the text says it for screen readers. */
function Share({ count, share, sampled, what }: { count: number; share: number; sampled: number; what: string }) {
  const percent = formatPercent(share * 100);
  return (
    <span className="share" title={`${what} in ${formatNumber(count)} of ${formatCount(sampled, "sampled record")}`}>
      <span className="share-bar" aria-hidden="true">
        <span className="share-fill" style={{ width: `${Math.min(100, Math.max(0, share * 100))}%` }} />
      </span>
      <span className="share-text">{percent}</span>
    </span>
  );
}

function distinctText(field: FieldProfile): string {
  if (field.distinct === null) return "—";
  return field.distinct_over_cap ? `> ${formatNumber(field.distinct)}` : formatNumber(field.distinct);
}

/** When the schema was last confirmed by a sync that read the records to the end, and when it last
 * changed: a sync that learns nothing moves the first only, so "last updated" alone read as if no
 * sync had looked since the first. */
export function inferredWhen(schema: Pick<ConnectorSchema, "updated_at" | "checked_at">): string {
  const changed = formatDateTime(schema.updated_at);
  if (!schema.checked_at) return `Inferred from the stored records; last changed ${changed}.`;
  const checked = formatDateTime(schema.checked_at);
  if (checked === changed) return `Inferred from the stored records; last checked and changed ${changed}.`;
  return `Inferred from the stored records; last checked ${checked} (no change since), last changed ${changed}.`;
}

/** The fields inferred from a connector's stored records (updated by every sync), and on demand how
 * often each is present, null or empty in its most recent records. */
export function SchemaTable({ connectorId, refreshKey = 0, syncing = false }: { connectorId: number; refreshKey?: number; syncing?: boolean }) {
  const schema = useLoad(() => getConnectorSchema(connectorId), [connectorId, refreshKey]);
  const [profileState, setProfileState] = useState<ProfileState>(NO_PROFILE);
  // Which request may still answer: a sync (refreshKey) or another connector makes a profile, and
  // an answer on its way, stale; the profile is then asked for again.
  const request = useRef(0);
  useEffect(() => {
    request.current += 1;
    setProfileState(NO_PROFILE);
  }, [connectorId, refreshKey]);

  async function loadProfile() {
    const mine = (request.current += 1);
    setProfileState((state) => ({ ...state, loading: true, error: null }));
    try {
      const loaded = await getSchemaProfile(connectorId);
      if (request.current === mine) setProfileState({ profile: loaded, loading: false, error: null });
    } catch (err: unknown) {
      if (request.current === mine) setProfileState((state) => ({ ...state, loading: false, error: errorMessage(err) }));
    }
  }

  const profile = profileState.profile;
  const byPath = new Map((profile?.fields ?? []).map((field) => [field.path, field]));
  return (
    <section className="card" aria-labelledby="schema-heading">
      <h2 id="schema-heading">Schema</h2>
      <ErrorBanner message={schema.error} />
      {schema.loading && !schema.data ? <Loading /> : null}
      {schema.data ? (
        <>
          <p className="muted small" data-testid="schema-updated">
            {schema.data.updated_at ? inferredWhen(schema.data) : syncing ? "Not inferred yet: the sync under way infers it from the records it stores." : "Not inferred yet: sync the connector."}
          </p>
          {schema.data.truncated ? (
            <p className="banner" data-testid="schema-truncated">
              Some fields are not listed: the schema keeps at most 1000 fields and 8 levels of nesting.
            </p>
          ) : null}
          {schema.data.fields.length === 0 ? (
            <p className="muted">No fields yet.</p>
          ) : (
            <>
            <div className="schema-profile-bar">
              <button type="button" className="btn btn-small" onClick={() => void loadProfile()} disabled={profileState.loading}>
                {profile ? "Profile again" : "Profile fields"}
              </button>
              {profileState.loading ? <Loading label="Profiling the records…" /> : null}
              <p className="muted small" data-testid="schema-profile-summary">
                {profile
                  ? profile.sampled < profile.total
                    ? `Presence and nulls in the ${formatNumber(profile.sampled)} most recently changed of ${formatCount(profile.total, "record")}.`
                    : `Presence and nulls in all ${formatCount(profile.total, "record")}.`
                  : "How often each field is present, null or empty in the stored records."}
              </p>
            </div>
            {profileState.error ? <ErrorBanner message={`The profile could not be loaded: ${profileState.error}`} /> : null}
            {/* a card per field on a phone (each value under its column's name), a table wider up */}
            <TableWrap>
              <table className="table table-stack schema-fields" aria-label="Inferred fields">
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Types</th>
                    <th scope="col">CSV column</th>
                    {profile ? (
                      <>
                        <th scope="col">Present</th>
                        <th scope="col">Null</th>
                        <th scope="col">Empty</th>
                        <th scope="col">Distinct</th>
                      </>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {inFirstSeenOrder(schema.data.fields).map((field) => (
                    <tr key={field.path}>
                      <td className="mono stack-title">{field.path}</td>
                      <td data-label="Types">{typesText(field.types, field.formats)}</td>
                      <td data-label="CSV column">{field.column ? "yes" : "no"}</td>
                      {profile ? <ProfileCells field={byPath.get(field.path)} sampled={profile.sampled} /> : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            <StringKindsLegend fields={schema.data.fields} />
            </>
          )}
        </>
      ) : null}
    </section>
  );
}

function ProfileCells({ field, sampled }: { field: FieldProfile | undefined; sampled: number }) {
  if (!field) {
    // a field a sync added after the profile was read
    return (
      <td colSpan={4} className="muted" data-label="Profile">
        not profiled
      </td>
    );
  }
  return (
    <>
      <td data-label="Present">
        <Share count={field.present} share={field.present_share} sampled={sampled} what="Present" />
      </td>
      <td data-label="Null">
        <Share count={field.null} share={field.null_share} sampled={sampled} what="Null" />
      </td>
      <td data-label="Empty">
        {field.empty === null || field.empty_share === null ? <span className="muted">—</span> : <Share count={field.empty} share={field.empty_share} sampled={sampled} what="Empty" />}
      </td>
      <td data-label="Distinct">{distinctText(field)}</td>
    </>
  );
}

/** What each kind of string the table names means, for the kinds it names. */
function StringKindsLegend({ fields }: { fields: { types: string[]; formats: string[] }[] }) {
  const shown = new Set(fields.filter((field) => field.types.includes("string")).map((field) => stringKind(field.formats)?.format));
  const kinds = STRING_KINDS.filter((kind) => shown.has(kind.format));
  if (kinds.length === 0) return null;
  return (
    <dl className="string-kinds small muted" aria-label="Kinds of string" data-testid="string-kinds">
      {kinds.map((kind) => (
        <div key={kind.format}>
          <dt>string ({kind.label})</dt>
          <dd>{kind.meaning}</dd>
        </div>
      ))}
    </dl>
  );
}
