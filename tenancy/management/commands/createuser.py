from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Membership, Role, Tenant
from tenancy.services import ExistingAccountError, ensure_member


class Command(BaseCommand):
    help = (
        "Create a user with a role in a tenant, or change the role of a member; safe to run again. "
        "An existing account is added to a tenant it is not a member of only with its own password "
        "(--password) or --existing-account-is-theirs: anyone who can invite an email to their "
        "tenant can create that email's account."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--password",
            help=(
                "a new user's password; for an existing member, its new password; for an existing "
                "account that is not a member of the tenant, its current password (the proof that it "
                "is theirs; left unchanged)"
            ),
        )
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--existing-account-is-theirs",
            action="store_true",
            help=(
                "add an existing account to the tenant without its password: you checked with the "
                "person that the account with this email, and its other tenants, are theirs (an "
                "account can have been created by whoever held an invitation to the email). With "
                "--password, its password is replaced"
            ),
        )
        parser.add_argument(
            "--skip-password-validation",
            action="store_true",
            help="accept a password that fails the password validators (demo data)",
        )

    def handle(
        self,
        *args,
        tenant,
        email,
        password=None,
        role,
        existing_account_is_theirs=False,
        skip_password_validation=False,
        **options,
    ):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(
                f"No tenant '{tenant}'. Create it first: python manage.py createtenant {tenant}"
            )
        try:
            membership, user_created, membership_created = ensure_member(
                tenant_obj,
                email,
                role,
                password,
                validate=not skip_password_validation,
                existing_account_is_theirs=existing_account_is_theirs,
            )
        except ExistingAccountError as exc:
            refusal = _existing_account_refusal(exc.user, tenant_obj, password_given=bool(password))
            raise CommandError(refusal) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        parts = ["Created user" if user_created else "User exists:", membership.user.email]
        parts.append(
            f"- added to '{tenant_obj.slug}' as {role}"
            if membership_created
            else f"- role in '{tenant_obj.slug}': {role}"
        )
        self.stdout.write(self.style.SUCCESS(" ".join(parts)))


def _existing_account_refusal(user, tenant: Tenant, *, password_given: bool) -> str:
    slugs = list(Membership.objects.filter(user=user).values_list("tenant__slug", flat=True))
    where = f"a member of {', '.join(repr(slug) for slug in slugs)}" if slugs else "a member of no tenant"
    return (
        f"Not added: {user.email} already has an account ({where}), and "
        + ("--password is not its password. " if password_given else "no --password proves it is theirs. ")
        + "Anyone who can invite an email to their own tenant can create that email's account with a "
        "password of their choosing, so the email alone does not show whose the account is. Invite the "
        f"person to '{tenant.slug}' instead (they accept with their own password), give the account's "
        "password with --password, or, once you have checked with them that the account is theirs, "
        "run again with --existing-account-is-theirs."
    )
