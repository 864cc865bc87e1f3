"""A destination's password is bound to the server it is sent to.

The password (or the DSN, which may hold one) is encrypted at rest and never returned. Changing
where it goes while one is stored (the host, port, database or user name it signs in with, or a
weaker ``sslmode``) needs the admin role and the password again in the same request
(``tenancy.permissions.require_admin_to_move_secrets``, the rule a connector's credentials follow):
otherwise a member who may edit the destination could point it at a server they control and have
MigrateIQ sign in there with the stored password.
"""

from dataclasses import dataclass

from destinations.services.postgres import connection_settings

#: ``sslmode`` from the least protected to the most: moving down the list is a change of target.
SSLMODE_STRENGTH = {"disable": 0, "allow": 1, "prefer": 2, "require": 3, "verify-ca": 4, "verify-full": 5}
TARGET_FIELDS = ("host", "port", "database", "username")


@dataclass(frozen=True)
class PasswordTarget:
    """Where and how a destination's password is sent, and which field holds it."""

    carrier: str  # "dsn" or "password"
    password: str
    host: str
    port: int | str
    database: str
    username: str
    sslmode: str


def password_target(destination) -> PasswordTarget:
    """Where ``destination`` sends its password (a DSN, when set, decides it all; its ``sslmode``
    when it names none)."""
    params = connection_settings(destination)
    return PasswordTarget(
        carrier="dsn" if destination.dsn else "password",
        password=str(params.get("password") or ""),
        host=str(params.get("host") or "").lower(),
        port=params.get("port") or 5432,
        database=str(params.get("dbname") or ""),
        username=str(params.get("user") or ""),
        sslmode=str(params.get("sslmode") or ""),
    )


def stored_password(destination, carrier: str) -> str:
    """The password ``destination`` stores in ``carrier`` (the password field, or inside its DSN)."""
    if carrier == "dsn":
        return password_target(destination).password if destination.dsn else ""
    return destination.password or ""


def password_moves(current, changed, sent) -> tuple[list[str], str | None]:
    """The fields of a request (``sent``: their names) that would send ``current``'s stored password
    to another server or less protected once the destination becomes ``changed``, and the field that
    holds the password then (None when no stored password would go: nothing to bind)."""
    before, after = password_target(current), password_target(changed)
    if not stored_password(current, after.carrier):
        return [], None

    def named(field: str) -> str:
        # a DSN decides every part of the target; a cleared one lets the separate fields decide
        if after.carrier == "dsn":
            return "dsn" if "dsn" in sent else field
        return field if field in sent or "dsn" not in sent else "dsn"

    moved = [named(field) for field in TARGET_FIELDS if getattr(after, field) != getattr(before, field)]
    if SSLMODE_STRENGTH.get(after.sslmode, 0) < SSLMODE_STRENGTH.get(before.sslmode, 0):
        moved.append(named("sslmode"))
    if after.password != before.password and after.carrier not in sent:
        # the same server, but another stored password: a cleared DSN brings out the password field
        moved.append("dsn")
    return list(dict.fromkeys(moved)), after.carrier
