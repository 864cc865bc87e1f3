"""Migration 0004: attachments take their latest successful load's end as ``last_load_at`` (a load
that found nothing new used to leave it null or older)."""

from datetime import UTC, datetime

import pytest

BEFORE = [("destinations", "0003_attachment_column_names")]
AFTER = [("destinations", "0004_load_full_reload")]


@pytest.mark.django_db(transaction=True)
def test_last_load_at_is_the_latest_successful_loads_end(make_connector, tenant_a, migrate_to):
    names = ("never", "nothing_new", "older", "newer")
    connectors = {name: make_connector(name=name) for name in names}
    old = migrate_to(BEFORE)
    Destination = old.get_model("destinations", "Destination")
    Attachment = old.get_model("destinations", "DestinationAttachment")
    Load = old.get_model("destinations", "DestinationLoad")
    destination = Destination.objects.create(tenant_id=tenant_a.pk, name="Warehouse", host="h", database="d")
    at = {hour: datetime(2026, 12, 1, hour, tzinfo=UTC) for hour in range(24)}
    attachments = {}
    for name, last_load_at in zip(names, (None, None, at[1], at[9]), strict=True):
        attachments[name] = Attachment.objects.create(
            tenant_id=tenant_a.pk,
            destination=destination,
            connector_id=connectors[name].pk,
            table_name=name,
            last_load_at=last_load_at,
        )
    for name, status, finished_at in (
        ("nothing_new", "SUCCESS", at[3]),
        ("nothing_new", "FAILED", at[5]),
        ("older", "SUCCESS", at[2]),
        ("older", "SUCCESS", at[4]),
        ("newer", "SUCCESS", at[8]),
    ):
        Load.objects.create(
            tenant_id=tenant_a.pk,
            destination=destination,
            connector_id=attachments[name].connector_id,
            status=status,
            finished_at=finished_at,
        )

    new = migrate_to(AFTER)

    found = dict(
        new.get_model("destinations", "DestinationAttachment").objects.values_list(
            "table_name", "last_load_at"
        )
    )
    assert found == {"never": None, "nothing_new": at[3], "older": at[4], "newer": at[9]}
