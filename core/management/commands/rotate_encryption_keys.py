"""Re-encrypt every stored secret with the newest key of MIGRATEIQ_FIELD_ENCRYPTION_KEYS.

Rotation: put the new key first (``NEW,OLD``), deploy, run this command, then drop the old key.
Rows are processed in primary-key batches; each batch is one transaction and one UPDATE. Values
already encrypted with the newest key are left alone, so running the command again changes nothing.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Case, TextField, Value, When
from django.db.models.functions import Cast

from core.encryption import _PREFIX, DecryptionError, encrypted_fields, rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of MIGRATEIQ_FIELD_ENCRYPTION_KEYS. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        keys = settings.MIGRATEIQ_FIELD_ENCRYPTION_KEYS
        if not keys:
            raise CommandError("MIGRATEIQ_FIELD_ENCRYPTION_KEYS is empty.")
        newest = Fernet(keys[0].encode())
        totals = {"rotated": 0, "current": 0, "unreadable": 0}
        for model, field in encrypted_fields():
            counts = self._rotate_field(model, field, newest, batch_size)
            for name, count in counts.items():
                totals[name] += count
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {counts['rotated']} re-encrypted, "
                f"{counts['current']} already current, {counts['unreadable']} unreadable"
            )
        summary = (
            f"Total: {totals['rotated']} re-encrypted, {totals['current']} already current, "
            f"{totals['unreadable']} unreadable"
        )
        if totals["unreadable"]:
            raise CommandError(
                f"{summary}. Unreadable values cannot be decrypted with any configured key "
                "(was an old key removed too early?); they were left unchanged."
            )
        self.stdout.write(self.style.SUCCESS(summary))

    def _rotate_field(self, model, field, newest: Fernet, batch_size: int) -> dict[str, int]:
        counts = {"rotated": 0, "current": 0, "unreadable": 0}
        manager = model._base_manager
        # Cast: read the stored ciphertext, not the value the field would decrypt.
        raw = Cast(field.attname, output_field=TextField())
        last_pk = None
        while True:
            with transaction.atomic():
                rows = manager.exclude(**{f"{field.attname}__isnull": True}).annotate(_stored=raw)
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(
                    rows.select_for_update().order_by("pk").values_list("pk", "_stored")[:batch_size]
                )
                if not batch:
                    break
                last_pk = batch[-1][0]
                updates = {}
                for pk, stored in batch:
                    if not stored:
                        continue
                    if _is_current(stored, newest):
                        counts["current"] += 1
                        continue
                    try:
                        updates[pk] = rotate(stored)
                    except DecryptionError:
                        counts["unreadable"] += 1
                if updates:
                    manager.filter(pk__in=list(updates)).update(
                        **{
                            field.attname: Case(
                                *[When(pk=pk, then=Value(token)) for pk, token in updates.items()],
                                output_field=TextField(),
                            )
                        }
                    )
                    counts["rotated"] += len(updates)
        return counts


def _is_current(stored: str, newest: Fernet) -> bool:
    if not stored.startswith(_PREFIX):
        return False
    try:
        newest.decrypt(stored[len(_PREFIX) :].encode())
    except InvalidToken:
        return False
    return True
