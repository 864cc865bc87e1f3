"""``python manage.py version`` (or ``migrateiq_version``): the MigrateIQ version, as ``GET /api/version/``.

Django answers ``version`` itself, with its own number, before it looks for commands: ``manage.py``
routes ``version`` here instead.
"""

from django.core.management.base import BaseCommand

from migrateiq.version import __version__


class Command(BaseCommand):
    help = "Print the MigrateIQ version."

    def handle(self, *args, **options):
        self.stdout.write(__version__)
