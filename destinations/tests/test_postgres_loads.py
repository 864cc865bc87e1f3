"""Loads into a real PostgreSQL destination (a throwaway database): types, evolution, upserts,
tombstones, hostile names, the egress guard, one load at a time, loads after a sync."""

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from demo_extension.services.sync import DataSyncService
from destinations.models import ColumnNames, DeletedRows, Destination, DestinationLoad, LoadStatus
from destinations.services import attachments, loads
from destinations.services.naming import MAX_BYTES
from destinations.services.registry import driver_for
from destinations.tests.conftest import query, store
from destinations.tests.pg_wire import PasswordAskingServer
from sync_engine.models import SyncedRecord

pytestmark = pytest.mark.django_db


def run_load(attachment, **options) -> DestinationLoad:
    load = loads.start_load(attachment, queue=False, **options)
    return loads.execute_load(load.pk)


def column_types(database, schema, table) -> dict:
    return dict(
        query(
            database,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            [schema, table],
        )
    )


def rows(database, statement) -> list[tuple]:
    return query(database, statement)


def test_columns_get_types_from_the_inferred_schema(attached, pg_database):
    destination, connector, attachment = attached
    store(
        connector,
        [
            {
                "id": 1,
                "score": 1.5,
                "active": True,
                "created_at": "2024-01-02T03:04:05Z",
                "birthday": "1990-05-06",
                "name": "Ann",
                "address": {"city": "Oslo", "geo": {"lat": 59.9}},
                "tags": ["a", "b"],
                "amount": 10,
                "huge": 2**70,
            },
            {
                "id": 2,
                "score": 2.5,
                "active": False,
                "created_at": "2024-02-02T00:00:00+01:00",
                "birthday": "1991-01-01",
                "name": "Bo",
                "address": {"city": "Rome", "geo": {"lat": 41.9}},
                "tags": [],
                "amount": 2.25,
                "huge": 1,
            },
        ],
    )

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert (load.rows_upserted, load.batches) == (2, 1)
    types = column_types(pg_database, "analytics", "users")
    assert types == {
        "_migrateiq_record_id": "text",
        "_migrateiq_change_seq": "bigint",
        "_migrateiq_synced_at": "timestamp with time zone",
        "_deleted_at": "timestamp with time zone",
        "id": "bigint",
        "score": "double precision",
        "active": "boolean",
        "created_at": "timestamp with time zone",
        "birthday": "date",
        "name": "text",
        "address__city": "text",
        "address__geo__lat": "double precision",
        "tags": "jsonb",
        "amount": "numeric",
        "huge": "numeric",
    }
    assert rows(
        pg_database,
        "SELECT id, address__city, tags, huge::text, created_at = '2024-02-01T23:00:00Z' "
        "FROM analytics.users ORDER BY id",
    ) == [(1, "Oslo", ["a", "b"], str(2**70), False), (2, "Rome", [], "1", True)]


def test_a_new_field_adds_a_column_and_a_type_change_widens_without_losing_values(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "n": 5, "when": "2024-01-01"}])
    assert run_load(attachment).status == LoadStatus.SUCCESS

    store(connector, [{"id": 2, "n": 7.5, "when": "2024-01-02T10:00:00Z", "extra": "new"}])
    second = run_load(attachment)
    assert second.status == LoadStatus.SUCCESS
    assert column_types(pg_database, "analytics", "users")["n"] == "numeric"
    assert column_types(pg_database, "analytics", "users")["when"] == "timestamp with time zone"
    assert column_types(pg_database, "analytics", "users")["extra"] == "text"
    messages = " ".join(event["message"] for event in second.events)
    assert "Added column extra (text)" in messages and "Widened column n from bigint to numeric" in messages

    store(connector, [{"id": 3, "n": "not a number"}])
    third = run_load(attachment)
    assert third.status == LoadStatus.SUCCESS and third.columns_widened == 1
    assert rows(pg_database, "SELECT id, n FROM analytics.users ORDER BY id") == [
        (1, "5"),
        (2, "7.5"),
        (3, "not a number"),
    ]


def test_timestamps_timestamptz_would_round_or_refuse_make_their_column_text(attached, pg_database):
    # before: .123456789 was loaded as .123457 (and 23:59:59.9999995 on 31 December as the next
    # year) without a word, and a +16:00 offset failed every load of the table
    destination, connector, attachment = attached
    nanos = ["2024-03-10T10:00:00.123456789Z", "9999-12-31T23:59:59.9999995Z"]
    far = ["2024-03-10T10:00:00+16:00", "2024-03-10T10:00:00Z"]
    exact = ["2024-03-10T10:00:00.123456000+15:59", "2024-03-10T10:00:00.5Z"]
    store(connector, [{"id": i, "nanos": nanos[i], "far": far[i], "exact": exact[i]} for i in range(2)])

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    types = column_types(pg_database, "analytics", "users")
    assert (types["nanos"], types["far"], types["exact"]) == ("text", "text", "timestamp with time zone")
    messages = [event["message"] for event in load.events]
    assert "Widened column nanos from timestamptz to text: a value did not fit." in messages
    assert rows(pg_database, "SELECT nanos, far, exact::text FROM analytics.users ORDER BY id") == [
        (nanos[0], far[0], "2024-03-09 18:01:00.123456+00"),
        (nanos[1], far[1], "2024-03-10 10:00:00.5+00"),
    ]


def test_floats_in_jsonb_columns_stay_floats(attached, pg_database):
    # before: [1e16] was loaded as the jsonb [10000000000000000], an integer to every reader
    destination, connector, attachment = attached
    store(
        connector,
        [{"id": 1, "list": [1e16, -2.5e20, 0.5, "1e+16"], "mixed": {"a": 1e300}}, {"id": 2, "mixed": 5}],
    )

    assert run_load(attachment).status == LoadStatus.SUCCESS

    ((values, text),) = rows(pg_database, "SELECT list, list::text FROM analytics.users WHERE id = 1")
    assert values == [1e16, -2.5e20, 0.5, "1e+16"]
    assert [type(value) for value in values[:3]] == [float, float, float]
    assert text == '[10000000000000000.0, -250000000000000000000.0, 0.5, "1e+16"]'


def test_a_changed_record_is_updated_not_duplicated(attached, pg_database):
    destination, connector, attachment = attached
    store(connector, [{"id": 1, "name": "old"}, {"id": 2, "name": "two"}])
    run_load(attachment)
    store(connector, [{"id": 1, "name": "new"}])

    load = run_load(attachment)

    assert load.rows_upserted == 1  # only the change since the checkpoint
    assert rows(pg_database, "SELECT id, name FROM analytics.users ORDER BY id") == [(1, "new"), (2, "two")]


@pytest.mark.parametrize("mode", [DeletedRows.DELETE, DeletedRows.SOFT])
def test_tombstones_delete_the_row_or_set_deleted_at(attached, pg_database, mode):
    destination, connector, attachment = attached
    destination.deleted_rows = mode
    destination.save()
    store(connector, [{"id": 1}, {"id": 2}])
    run_load(attachment)
    record = SyncedRecord.objects.get(connector=connector, external_id="2")
    # what a complete full refresh does to a record the upstream no longer returns
    SyncedRecord.objects.filter(pk=record.pk).update(deleted_at=timezone.now(), change_seq=10_000)

    load = run_load(attachment)

    assert load.rows_deleted == 1
    found = rows(pg_database, "SELECT id, _deleted_at IS NOT NULL FROM analytics.users ORDER BY id")
    assert found == ([(1, False)] if mode == DeletedRows.DELETE else [(1, False), (2, True)])


def test_hostile_field_names_are_quoted_shortened_uniquely_and_kept_apart_by_case(attached, pg_database):
    destination, connector, attachment = attached
    attachment = attachments.set_column_names(attachment, ColumnNames.AS_IS)  # the keys as they are
    query(pg_database, "CREATE TABLE public.x (keep int)")
    long_a, long_b = "a" * 199 + "1", "a" * 199 + "2"
    store(
        connector,
        [
            {
                "id": 1,
                '"; DROP TABLE x; --': "boom",
                long_a: "A",
                long_b: "B",
                "Name": "upper",
                "name": "lower",
            }
        ],
    )

    load = run_load(attachment)

    assert load.status == LoadStatus.SUCCESS, load.error_message
    assert rows(pg_database, "SELECT count(*) FROM public.x") == [(0,)]  # still there
    names = set(column_types(pg_database, "analytics", "users"))
    assert '"; DROP TABLE x; --' in names and {"Name", "name"} <= names
    shortened = sorted(name for name in names if name.startswith("aaaa"))
    assert len(shortened) == 2 and all(len(name.encode()) <= MAX_BYTES for name in shortened)
    columns = attachment.__class__.objects.get(pk=attachment.pk).columns
    got = rows(
        pg_database,
        f'SELECT "{columns[long_a]}", "{columns[long_b]}", "Name", name, """; DROP TABLE x; --" '  # noqa: S608
        "FROM analytics.users",
    )
    assert got == [("A", "B", "upper", "lower", "boom")]


def test_a_hostile_table_name_is_one_quoted_identifier(
    pg_allowed, make_destination, make_connector, pg_database
):
    destination = make_destination()
    connector = make_connector()
    attachment = attachments.attach(destination, connector.pk, 'users"; DROP SCHEMA public CASCADE; --')
    store(connector, [{"id": 1}])

    assert run_load(attachment).status == LoadStatus.SUCCESS

    assert rows(pg_database, "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == [(1,)]
    assert rows(pg_database, 'SELECT id FROM analytics."users""; DROP SCHEMA public CASCADE; --"') == [(1,)]


def test_the_egress_guard_refuses_a_loopback_destination_unless_allowed(make_destination, make_connector):
    destination = make_destination()
    connector = make_connector()
    attachment = attachments.attach(destination, connector.pk)
    store(connector, [{"id": 1}])

    check = driver_for("postgresql").check_connection(destination)
    load = run_load(attachment)

    assert not check.connected and "not allowed" in check.message
    assert load.status == LoadStatus.FAILED and "not allowed" in load.error_message


def test_a_dsn_cannot_read_local_files_or_name_another_address(make_destination):
    for dsn in (
        "postgresql://postgres@127.0.0.1/db?passfile=/etc/passwd",
        "postgresql://postgres@127.0.0.1/db?hostaddr=10.0.0.1",
        "host=/var/run/postgresql dbname=db",
        "postgresql://postgres@a,b/db",
    ):
        check = driver_for("postgresql").check_connection(make_destination(dsn=dsn))
        assert not check.connected, dsn


def test_one_load_at_a_time_per_destination_and_connector(attached):
    destination, connector, attachment = attached
    loads.start_load(attachment, queue=False)
    with pytest.raises(loads.LoadAlreadyRunning):
        loads.start_load(attachment, queue=False)


def test_the_password_never_appears_in_a_failed_load(pg_allowed, make_destination, make_connector):
    destination = make_destination(username="nobody_here", password="s3cret-pw-XYZ")
    connector = make_connector()
    attachment = attachments.attach(destination, connector.pk)
    store(connector, [{"id": 1}])

    load = run_load(attachment)

    assert load.status == LoadStatus.FAILED
    assert "s3cret-pw-XYZ" not in load.error_message
    assert "s3cret-pw-XYZ" not in str(load.events)


def test_a_sync_that_stores_data_loads_it_into_the_attached_destinations(
    attached, pg_database, sample_upstream, settings, tenant_ctx, django_capture_on_commit_callbacks
):
    settings.MIGRATEIQ_SYNC_RUNNER = "inline"
    destination, connector, attachment = attached
    upstream = sample_upstream(records=30, page_size=10, incremental_param=None)
    connector.api_endpoint = upstream.url
    connector.auth_type = "none"
    connector.save()

    with django_capture_on_commit_callbacks(execute=True):
        log = DataSyncService(connector).sync_data()

    assert log.status == "SUCCESS"
    load = DestinationLoad.objects.get(destination=destination)
    assert load.triggered_by == "sync" and load.status == LoadStatus.SUCCESS, load.error_message
    assert rows(pg_database, "SELECT count(*), count(DISTINCT address__city) > 0 FROM analytics.users") == [
        (30, True)
    ]


def test_finished_loads_and_their_rows_are_counted_per_destination_in_metrics(attached, settings):
    settings.MIGRATEIQ_METRICS_TOKEN = "metrics-token-for-tests-1a2b"
    destination, connector, attachment = attached

    def scrape() -> dict:
        response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests-1a2b")
        values = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for s in family.samples:
                if s.labels.get("destination") == str(destination.pk):
                    values[(s.name, s.labels.get("status"))] = s.value
        return values

    before = scrape()
    store(connector, [{"id": 1}, {"id": 2}, {"id": 3}])
    run_load(attachment)
    after = scrape()

    def delta(key):
        return after.get(key, 0) - before.get(key, 0)

    assert delta(("migrateiq_destination_loads_total", "success")) == 1
    assert delta(("migrateiq_destination_rows_loaded_total", None)) == 3


def test_a_destination_never_signs_in_with_the_servers_own_pgpass(tmp_path, monkeypatch, settings, tenant_a):
    # libpq fills a missing password from ~/.pgpass (or PGPASSFILE): the MigrateIQ host's own secrets
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("*:*:*:*:operators-own-pgpass-secret\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    server = PasswordAskingServer("md5")  # (a cleartext request is refused before any password is looked up)
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [f"127.0.0.1:{server.port}"]
    destination = Destination.objects.create(
        tenant=tenant_a,
        name="tenant's server",
        host="127.0.0.1",
        port=server.port,
        database="db",
        username="postgres",
        sslmode="disable",
    )
    try:
        check = driver_for("postgresql").check_connection(destination)
    finally:
        server.close()

    assert not check.connected
    assert not server.received("operators-own-pgpass-secret")
