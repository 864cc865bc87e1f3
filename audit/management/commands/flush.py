"""``manage.py flush`` empties every table, the audit trail included (as deleting every tenant
would): Django's command, run under a purge of every event, which the trail's triggers otherwise
refuse (test databases are flushed this way between transactional tests)."""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS

from audit.models import purge_permitted


class Command(flush.Command):
    def handle(self, **options):
        with purge_permitted(None, using=options.get("database") or DEFAULT_DB_ALIAS):
            return super().handle(**options)
