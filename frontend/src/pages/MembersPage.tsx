import { useLayoutEffect, useRef, useState, type FormEvent, type RefObject } from "react";

import {
  changeMemberRole,
  invitationLink,
  inviteMember,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from "../api/api";
import { ApiError, errorMessage } from "../api/client";
import type { Invitation, InvitationCreated, Membership, Role } from "../api/types";
import { useAnnounce, usePageTitle } from "../announce";
import { useAuth } from "../auth";
import { Badge, DateTimeCell, ErrorBanner, Loading, TableWrap } from "../components/common";
import { OneTimeValueCard } from "../components/OneTimeValueCard";
import { useConfirm } from "../components/ConfirmDialog";
import { formatCount, formatDateTime } from "../format";
import { useLoad } from "../hooks";

const ROLES: Role[] = ["viewer", "editor", "admin"];
export const LAST_ADMIN_RULE = "A tenant must keep at least one admin: the last admin can be neither demoted nor removed.";

export const ONE_TIME_NOTE =
  "This link is shown only once: copy it now and send it to the person yourself. MigrateIQ sends no email, and the link cannot be shown again (invite again for a new one).";

/** The tenant's members (admins only): invite, revoke an invitation, change role, remove. The last
 * admin's controls are disabled with the rule said next to them, and the API's refusal is shown if
 * it comes anyway. */
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
  const invitations = useLoad(() => listInvitations({ page_size: 500 }), []);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const { confirm, dialog } = useConfirm();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [inviteErrors, setInviteErrors] = useState<Record<string, string[]>>({});
  const [inviting, setInviting] = useState(false);
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const roleRef = useRef<HTMLSelectElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const pendingHeadingRef = useRef<HTMLHeadingElement>(null);
  const linkHeadingRef = useRef<HTMLHeadingElement>(null);

  const rows = members.data?.results ?? [];
  const pending = invitations.data?.results ?? [];
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
    const question = {
      title: `Remove ${member.email}?`,
      body: `${member.email} loses access to this tenant's connectors, records and settings at once. Their account stays, and an admin can invite them again.`,
      confirmLabel: "Remove the member",
    };
    if (!(await confirm(question))) return;
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

  async function invite(event: FormEvent) {
    event.preventDefault();
    setInviting(true);
    setInviteErrors({});
    setError(null);
    setCreated(null);
    try {
      const answer = await inviteMember(email.trim(), role);
      setCreated(answer);
      setEmail("");
      invitations.reload();
      announce(`Invitation for ${answer.email} as ${answer.role} created. Copy its link now: it is shown once.`);
    } catch (err) {
      const fields = err instanceof ApiError ? err.fieldErrors : {};
      if (Object.keys(fields).length > 0) setInviteErrors(fields);
      else setError(errorMessage(err));
      // the button was disabled while sending: focus the field to fix (the email unless only the role is wrong)
      if (fields.role && !fields.email) roleRef.current?.focus();
      else emailRef.current?.focus();
    } finally {
      setInviting(false);
    }
  }

  async function revoke(invitation: Invitation) {
    const question = {
      title: `Revoke the invitation of ${invitation.email}?`,
      body: "Its link stops working. You can invite the same address again later.",
      confirmLabel: "Revoke the invitation",
    };
    if (!(await confirm(question))) return;
    setBusyId(-invitation.id);
    setError(null);
    try {
      await revokeInvitation(invitation.id);
      if (created?.id === invitation.id) setCreated(null);
      announce(`The invitation of ${invitation.email} was revoked.`);
      invitations.reload();
      pendingHeadingRef.current?.focus();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  }

  // The one-time link appears after the answer: focus its heading so it is read out and in view.
  useLayoutEffect(() => {
    if (created) linkHeadingRef.current?.focus();
  }, [created]);

  // Errors the API gives for fields the form does not have go to the banner, not lost.
  const emailError = inviteErrors.email?.join(" ");
  const roleError = inviteErrors.role?.join(" ");
  const otherErrors = Object.entries(inviteErrors)
    .filter(([field]) => field !== "email" && field !== "role")
    .flatMap(([, messages]) => messages)
    .join(" ");

  return (
    <div className="page">
      {dialog}
      <div className="page-header">
        <h1>Members</h1>
      </div>
      <p className="muted" id="last-admin-rule">
        {LAST_ADMIN_RULE}
      </p>
      <ErrorBanner message={error || otherErrors || null} />
      <form className="card add-member" aria-labelledby="invite-heading" onSubmit={invite} noValidate>
        <h2 id="invite-heading">Invite someone</h2>
        <p className="muted small">
          You get a link to send them. They open it, choose a password (or give their existing account's password)
          and join this tenant with the role you pick.
        </p>
        <div className="filter-grid">
          <div className={`field${emailError ? " field-invalid" : ""}`}>
            <label htmlFor="member-email">Email</label>
            <input
              id="member-email"
              ref={emailRef}
              type="email"
              autoComplete="off"
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
          <div className={`field${roleError ? " field-invalid" : ""}`}>
            <label htmlFor="member-role">Role</label>
            <select
              id="member-role"
              ref={roleRef}
              value={role}
              onChange={(e) => setRole(e.target.value as Role)}
              aria-invalid={roleError ? true : undefined}
              aria-describedby={roleError ? "member-role-error" : undefined}
            >
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
            {roleError ? (
              <p className="field-error" id="member-role-error">
                {roleError}
              </p>
            ) : null}
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={inviting}>
            {inviting ? "Inviting…" : "Invite"}
          </button>
        </div>
      </form>
      {created ? (
        <InvitationLinkCard
          invitation={created}
          headingRef={linkHeadingRef}
          onDone={() => {
            setCreated(null);
            pendingHeadingRef.current?.focus(); // the card and its button are gone
          }}
        />
      ) : null}
      <section className="card" aria-labelledby="pending-heading">
        <h2 id="pending-heading" ref={pendingHeadingRef} tabIndex={-1}>
          {formatCount(pending.length, "pending invitation")}
        </h2>
        <ErrorBanner message={invitations.error} />
        {invitations.loading && !invitations.data ? <Loading /> : null}
        {pending.length > 0 ? (
          <TableWrap>
            <table className="table table-stack" aria-label="Pending invitations">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {pending.map((invitation) => (
                  <tr key={invitation.id} data-testid={`invitation-${invitation.email}`}>
                    <td className="stack-title">{invitation.email}</td>
                    <td data-label="Role">{invitation.role}</td>
                    <DateTimeCell value={invitation.expires_at} label="Expires" />
                    <td data-label="Actions">
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        disabled={busyId === -invitation.id}
                        onClick={() => void revoke(invitation)}
                      >
                        Revoke<span className="visually-hidden"> the invitation of {invitation.email}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        ) : null}
      </section>
      <section className="card" aria-labelledby="members-heading">
        <h2 id="members-heading" ref={headingRef} tabIndex={-1}>
          {formatCount(rows.length, "member")}
        </h2>
        <ErrorBanner message={members.error} />
        {members.loading && !members.data ? <Loading /> : null}
        {rows.length > 0 ? (
          <TableWrap>
            <table className="table table-stack" aria-label="Members">
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
                      <td className="stack-title">
                        {member.email}
                        {you ? <span className="muted small"> (you)</span> : null}
                      </td>
                      <td data-label="Role">
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
                        {last ? <Badge className="last-admin">last admin</Badge> : null}
                      </td>
                      <DateTimeCell value={member.created_at} label="Member since" />
                      <td data-label="Actions">
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

/** The answer's token as the accept page's link, shown once (the API keeps only its hash). */
function InvitationLinkCard({
  invitation,
  headingRef,
  onDone,
}: {
  invitation: InvitationCreated;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDone: () => void;
}) {
  return (
    <OneTimeValueCard
      id="invitation-link"
      className="invitation-link"
      testId="invitation-link"
      heading={<>Invitation link for {invitation.email}</>}
      headingRef={headingRef}
      note={ONE_TIME_NOTE}
      details={
        <p className="muted small">
          Role: {invitation.role}. Valid until {formatDateTime(invitation.expires_at)}; it works once.
        </p>
      }
      label="Accept link"
      value={invitationLink(invitation.token)}
      noun="link"
      onDone={onDone}
    />
  );
}
