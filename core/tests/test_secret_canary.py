"""No stored secret comes back out: the secret canary, over every encrypted field of every app.

Every concrete model of every installed app with an ``EncryptedTextField`` (the platform's, the
connectors module's, any extension's: found through ``apps.get_models()``, none named here) gets a
unique canary in each such field of the tenant's seeded object (``tenancy/tests/seed.py`` and the
modules' ``platform_test_fixtures``). Then every GET route of the URL configuration is called as an
admin of that tenant (list and detail routes of the API, the admin's pages of those models as a
superuser) and the canary must appear in no response body, no log line (captured at DEBUG, with
its extra fields) and not in ``/metrics``. A secret's last-four hint is allowed: what must not
appear is the canary without its last four characters.
"""

import logging
import uuid

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from conftest import token_for
from core.encryption import EncryptedTextField
from tenancy.models import Tenant
from tenancy.tests import seed
from tenancy.tests.routes import api_routes

METRICS_TOKEN = "metrics-token-for-the-canary-test"


def encrypted_fields() -> dict:
    """{model: [field names]} of every concrete model with an encrypted field."""
    found = {}
    for model in apps.get_models():
        if model._meta.abstract or model._meta.proxy:
            continue
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found[model] = names
    return found


def seeded_object(graph, model):
    """The tenant's seeded object of ``model`` (by name in the graph, else by its tenant rows)."""
    try:
        return graph.object_for(model)
    except LookupError:
        pass
    rows = seed.TENANT_ROWS.get(model)
    obj = model.objects.filter(rows(graph.tenant)).first() if rows else None
    assert obj is not None, (
        f"{model._meta.label} has encrypted fields but no seeded object: seed one in its app's "
        "platform_test_fixtures (see tenancy/tests/seed.py)"
    )
    return obj


def plant_canaries(graph) -> dict[str, str]:
    """A unique canary in every encrypted field of every model; returns {where: canary}."""
    canaries = {}
    for model, names in encrypted_fields().items():
        obj = seeded_object(graph, model)
        values = {name: f"canary{uuid.uuid4().hex}{name}" for name in names}
        # .update(): no save() side effects (hints, hooks); the field encrypts on the way in.
        model._base_manager.filter(pk=obj.pk).update(**values)
        for name, value in values.items():
            canaries[f"{model._meta.label}.{name}"] = value
    return canaries


def leaks(text: str, canaries: dict[str, str]) -> list[str]:
    # The last four characters may be shown as a hint; nothing before them may.
    return [where for where, canary in canaries.items() if canary[:-4] in text]


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def log_text(records) -> str:
    """Every captured record's message and every attribute (extras included)."""
    return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in records)


@pytest.fixture
def graph(db):
    return seed.seed_tenant(Tenant.objects.create(slug="canary", name="Canary"), "canarymark")


def get_routes():
    return [route for route in api_routes() if "GET" in route.methods]


def test_every_model_with_an_encrypted_field_is_found():
    labels = {model._meta.label for model in encrypted_fields()}
    # The platform's own (destinations) at least; the modules' are found the same way.
    assert "destinations.Destination" in labels
    assert all(names for names in encrypted_fields().values())


def test_no_stored_secret_appears_in_any_response_log_line_or_metric(graph, caplog, settings):
    settings.MIGRATEIQ_METRICS_TOKEN = METRICS_TOKEN
    canaries = plant_canaries(graph)
    assert canaries
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(graph.admin, graph.tenant)}")
    called = []
    caplog.set_level(logging.DEBUG)

    for route in get_routes():
        url = route.url(**seed.ids_for(route, graph))
        response = api.get(url)
        assert response.status_code < 500, f"GET {url}: {response.status_code}"
        assert not leaks(body_of(response), canaries), f"GET {url} shows {leaks(body_of(response), canaries)}"
        called.append((url, response.status_code))

    superuser = graph.admin
    superuser.is_staff = superuser.is_superuser = True
    superuser.save(update_fields=["is_staff", "is_superuser"])
    browser = Client()
    browser.force_login(superuser)
    for model in encrypted_fields():
        if not admin.site.is_registered(model):
            continue
        obj = seeded_object(graph, model)
        info = (model._meta.app_label, model._meta.model_name)
        for url in _admin_urls(info, obj.pk):
            response = browser.get(url)
            assert response.status_code == 200, f"GET {url}: {response.status_code}"
            assert not leaks(body_of(response), canaries), (
                f"GET {url} shows {leaks(body_of(response), canaries)}"
            )
            called.append((url, response.status_code))

    metrics = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert metrics.status_code == 200
    assert not leaks(metrics.content.decode(), canaries), (
        f"/metrics shows {leaks(metrics.content.decode(), canaries)}"
    )
    assert not leaks(log_text(caplog.records), canaries), (
        f"log lines show {leaks(log_text(caplog.records), canaries)}"
    )

    # The walk reached the objects holding the canaries (not only 404s and 400s).
    succeeded = [url for url, status in called if status == 200]
    for model in encrypted_fields():
        obj = seeded_object(graph, model)
        assert any(f"/{obj.pk}/" in url for url in succeeded), f"no GET showed the {model._meta.label}"
    assert len(caplog.records) > 0  # the access log at least: the capture works


def _admin_urls(info, pk) -> list[str]:
    urls = []
    for name, args in (("changelist", []), ("change", [pk])):
        try:
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_{name}", args=args))
        except NoReverseMatch:
            continue
    return urls


def test_the_canary_check_finds_a_secret_that_leaks(graph):
    """The check itself: a body holding a stored secret in clear is caught (hint excepted)."""
    canaries = plant_canaries(graph)
    where, canary = next(iter(canaries.items()))
    assert leaks(f'{{"key": "{canary}"}}', canaries) == [where]
    assert leaks(f'{{"hint": "…{canary[-4:]}"}}', canaries) == []
