"""The demo data: after ``seed_demo`` a sync's records carry the mapped fields (the rules read
source -> target, as in the seed contract), and an old reversed demo rule set is repaired."""

import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from demo_extension.management.commands.seed_demo import DEMO_API_KEY, DEMO_RULES, REVERSED_DEMO_RULES
from demo_extension.models import CustomDataConnector, SyncStatus
from demo_extension.services.preview import preview_connector
from demo_extension.tests.sync_support import run_sync, stored_records


@pytest.fixture
def demo_upstream(db, sample_upstream, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return sample_upstream(records=12, page_size=5, style="page", api_key=DEMO_API_KEY)


def _seed(url):
    call_command("seed_demo", api_url=url, stdout=io.StringIO())
    return CustomDataConnector.objects.get(tenant__slug="demo", name="Demo Users API")


def test_after_seed_demo_a_sync_stores_the_mapped_fields(demo_upstream):
    connector = _seed(demo_upstream.url)

    log = run_sync(connector)

    assert log.status == SyncStatus.SUCCESS, log.error_message
    records = stored_records(connector)
    assert len(records) == 12
    raw = demo_upstream.record(1)
    first = records["1"]
    assert first["full_name"] == raw["name"]
    assert first["city"] == raw["address"]["city"]
    assert first["joined"].startswith(raw["created_at"][:10])
    assert "name" not in first  # renamed, not copied


def test_the_demo_rules_raise_no_mapping_warning_in_a_preview(demo_upstream):
    connector = _seed(demo_upstream.url)

    preview = preview_connector(connector)

    assert preview.ok, preview.error
    assert not [w for w in preview.warnings if "field_mappings" in w]
    assert preview.records[0]["transformed"]["full_name"] == preview.records[0]["raw"]["name"]


def test_the_reversed_rules_of_earlier_versions_are_caught_by_the_preview_and_repaired(demo_upstream):
    connector = _seed(demo_upstream.url)
    CustomDataConnector.objects.filter(pk=connector.pk).update(transformation_rules=REVERSED_DEMO_RULES)
    connector.refresh_from_db()

    warnings = preview_connector(connector).warnings
    repaired = _seed(demo_upstream.url)

    assert any("looks reversed" in warning for warning in warnings)
    assert repaired.transformation_rules == DEMO_RULES


def test_the_demo_connector_follows_the_demo_api_to_another_port(demo_upstream):
    parts = urlsplit(demo_upstream.url)
    first = _seed(parts._replace(netloc="127.0.0.1:9").geturl())  # an earlier run's DEMO_API_PORT

    moved = _seed(demo_upstream.url)

    assert moved.pk == first.pk and moved.api_endpoint == demo_upstream.url
    assert run_sync(moved).status == SyncStatus.SUCCESS


def test_a_demo_connector_pointed_at_another_api_is_left_alone(demo_upstream):
    connector = _seed(demo_upstream.url)
    CustomDataConnector.objects.filter(pk=connector.pk).update(api_endpoint="https://api.example.com/users")

    again = _seed(demo_upstream.url)

    assert again.api_endpoint == "https://api.example.com/users"


def test_the_readme_s_record_search_examples_find_records_of_the_demo_data():
    import re
    from pathlib import Path

    from demo_extension.sample_upstream import SampleUpstream

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    examples = re.findall(r"field=address\.city&value=(\w+)", readme)
    # make run's demo API: 500 records (not started: the records are computed)
    cities = {record["address"]["city"].lower() for record in SampleUpstream(records=500).all_records()}

    assert examples
    for value in examples:
        assert any(value.lower() in city for city in cities), f"?value={value} finds no demo record"


def test_the_printed_credentials_say_they_are_a_superusers_too(demo_upstream, django_user_model):
    out = io.StringIO()

    call_command("seed_demo", api_url=demo_upstream.url, stdout=out)

    printed = out.getvalue()
    assert "Password:" in printed
    assert "also a Django superuser" in printed and "/admin/ over every tenant" in printed
    assert django_user_model.objects.get(email="admin@demo.local").is_superuser


def test_the_printed_summary_says_how_to_get_records_until_the_demo_connector_has_some(demo_upstream):
    out = io.StringIO()
    call_command("seed_demo", api_url=demo_upstream.url, stdout=out)
    assert "No records yet: open it in the web UI and choose Sync now" in out.getvalue()

    connector = CustomDataConnector.objects.get(tenant__slug="demo", name="Demo Users API")
    assert run_sync(connector).status == SyncStatus.SUCCESS
    out = io.StringIO()
    call_command("seed_demo", api_url=demo_upstream.url, stdout=out)
    assert "Connector: #" in out.getvalue() and "No records yet" not in out.getvalue()
