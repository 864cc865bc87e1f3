from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy.services import ensure_tenant


class Command(BaseCommand):
    help = "Create a tenant (or update its name). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="lowercase letters, digits and hyphens, e.g. acme")
        parser.add_argument("--name", help="display name (default: the slug)")

    def handle(self, *args, slug, name=None, **options):
        try:
            tenant, created = ensure_tenant(slug, name)
        except ValidationError as exc:
            raise CommandError(f"Invalid tenant: {'; '.join(exc.messages)}") from exc
        verb = "Created" if created else "Tenant already exists:"
        self.stdout.write(self.style.SUCCESS(f"{verb} tenant '{tenant.slug}' ({tenant.name})"))
