from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Role, Tenant
from tenancy.services import ensure_member


class Command(BaseCommand):
    help = (
        "Create a user with a role in a tenant. If the user exists, add (or change) the membership; "
        "safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="required for a new user; changes an existing user's password")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--skip-password-validation",
            action="store_true",
            help="accept a password that fails the password validators (demo data)",
        )

    def handle(self, *args, tenant, email, password=None, role, skip_password_validation=False, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(
                f"No tenant '{tenant}'. Create it first: python manage.py createtenant {tenant}"
            )
        try:
            membership, user_created, membership_created = ensure_member(
                tenant_obj, email, role, password, validate=not skip_password_validation
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        parts = ["Created user" if user_created else "User exists:", membership.user.email]
        parts.append(
            f"- added to '{tenant_obj.slug}' as {role}"
            if membership_created
            else f"- role in '{tenant_obj.slug}': {role}"
        )
        self.stdout.write(self.style.SUCCESS(" ".join(parts)))
