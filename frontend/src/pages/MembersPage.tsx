import { useRef, useState, type FormEvent } from "react";

import { changeMemberRole, inviteMember, listMembers, removeMember } from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import type { Membership, Role } from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { useAuth } from "../auth";
import { ErrorBanner, Loading, TableWrap } from "../components/common";
import { formatDateTime } from "../format";
import { useLoad } from "../hooks";

const ROLES: Role[] = ["viewer", "editor", "admin"];
export const LAST_ADMIN_RULE = "A tenant must keep at least one admin: the last admin can be neither demoted nor removed.";

/** The tenant's members (admins only): add, change role, remove. The last admin's controls are
 * disabled with the rule said next to them, and the API's refusal is shown if it comes anyway. */
export function MembersPage() {
  usePageTitle("Members");
  const { me } = useAuth();
  if (me?.role !== "admin") {
    return (
      <div className="page">
        <h1>Members</h1>
        <p>Only the tenant's admins manage its members.</p>
      </div>
    );
  }
  return <MembersManager email={me.user.email} />;
}

function MembersManager({ email: myEmail }: { email: string }) {
  const announce = useAnnounce();
  const members = useLoad(() => listMembers({ page_size: 500 }), []);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [addErrors, setAddErrors] = useState<Record<string, string[]>>({});
  const [adding, setAdding] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const rows = members.data?.results ?? [];
  const admins = rows.filter((member) => member.role === "admin").length;
  const isLastAdmin = (member: Membership) => member.role === "admin" && admins <= 1;

  async function change(member: Membership, next: Role) {
    setBusyId(member.id);
    setError(null);
    try {
      await changeMemberRole(member.id, next);
      announce(`${member.email} is now ${next}.`);
      members.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  }

  async function remove(member: Membership) {
    if (!window.confirm(`Remove ${member.email} from the tenant?`)) return;
    setBusyId(member.id);
    setError(null);
    try {
      await removeMember(member.id);
      announce(`${member.email} was removed.`);
      members.reload();
      headingRef.current?.focus(); // the row and its button are gone: focus the list's heading
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    setAdding(true);
    setAddErrors({});
    setError(null);
    try {
      const added = await inviteMember(email.trim(), role);
      announce(`${added.email} was added as ${added.role}.`);
      setEmail("");
      members.reload();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fieldErrors).length > 0) setAddErrors(err.fieldErrors);
      else setError(errorMessage(err));
      emailRef.current?.focus();
    } finally {
      setAdding(false);
    }
  }

  const emailError = addErrors.email?.join(" ") ?? addErrors.password?.join(" ");

  return (
    <div className="page">
      <div className="page-header">
        <h1>Members</h1>
      </div>
      <p className="muted" id="last-admin-rule">
        {LAST_ADMIN_RULE}
      </p>
      <ErrorBanner message={error} />
      <form className="card add-member" aria-labelledby="add-member-heading" onSubmit={add} noValidate>
        <h2 id="add-member-heading">Add a member</h2>
        <p className="muted small">The person needs a MigrateIQ account already; they sign in with its password.</p>
        <div className="filter-grid">
          <div className={`field${emailError ? " field-invalid" : ""}`}>
            <label htmlFor="member-email">Email</label>
            <input
              id="member-email"
              ref={emailRef}
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={emailError ? true : undefined}
              aria-describedby={emailError ? "member-email-error" : undefined}
            />
            {emailError ? (
              <p className="field-error" id="member-email-error">
                {emailError}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="member-role">Role</label>
            <select id="member-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={adding}>
            {adding ? "Adding…" : "Add member"}
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading" ref={headingRef} tabIndex={-1}>
          {rows.length} member{rows.length === 1 ? "" : "s"}
        </h2>
        <ErrorBanner message={members.error} />
        {members.loading && !members.data ? <Loading /> : null}
        {rows.length > 0 ? (
          <TableWrap>
            <table className="table" aria-label="Members">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Member since</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((member) => {
                  const last = isLastAdmin(member);
                  const you = member.email === myEmail;
                  return (
                    <tr key={member.id} data-testid={`member-${member.email}`}>
                      <td>
                        {member.email}
                        {you ? <span className="muted small"> (you)</span> : null}
                      </td>
                      <td>
                        <label className="visually-hidden" htmlFor={`role-${member.id}`}>
                          Role of {member.email}
                        </label>
                        <select
                          id={`role-${member.id}`}
                          value={member.role}
                          disabled={busyId === member.id}
                          aria-describedby={last ? "last-admin-rule" : undefined}
                          onChange={(e) => void change(member, e.target.value as Role)}
                        >
                          {ROLES.map((value) => (
                            <option key={value} value={value} disabled={last && value !== "admin"}>
                              {value}
                            </option>
                          ))}
                        </select>
                        {last ? <span className="badge badge-none last-admin">last admin</span> : null}
                      </td>
                      <td className="small">{formatDateTime(member.created_at)}</td>
                      <td>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          disabled={last || busyId === member.id}
                          aria-describedby={last ? "last-admin-rule" : undefined}
                          onClick={() => void remove(member)}
                        >
                          Remove<span className="visually-hidden"> {member.email}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
    </div>
  );
}
