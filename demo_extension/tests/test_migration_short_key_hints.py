"""Migration 0013 (and webhooks 0002) drop the last-four hints of secrets under 16 characters."""

import pytest

BEFORE = [("demo_extension", "0012_engine_models_move_to_sync_engine"), ("webhooks", "0001_initial")]
AFTER = [("demo_extension", "0013_short_key_hints"), ("webhooks", "0002_short_secret_hints")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hints_of_short_secrets_are_dropped_and_long_ones_kept(migrate_to):
    old = migrate_to(BEFORE)
    tenant = old.get_model("tenancy", "Tenant").objects.create(slug="hints", name="Hints")
    Connector = old.get_model("demo_extension", "CustomDataConnector")
    short = Connector.objects.create(
        tenant=tenant,
        name="short",
        api_endpoint="https://a.example/x",
        api_key="demo-key",
        api_key_last4="-key",
    )
    long = Connector.objects.create(
        tenant=tenant,
        name="long",
        api_endpoint="https://a.example/x",
        api_key="sk_live_0123456789abcdef",
        api_key_last4="cdef",
    )
    Endpoint = old.get_model("webhooks", "WebhookEndpoint")
    hook = Endpoint.objects.create(
        tenant=tenant, name="hook", url="https://h.example/", secret="s3cret-12", secret_last4="t-12"
    )

    new = migrate_to(AFTER)
    hints = dict(
        new.get_model("demo_extension", "CustomDataConnector").objects.values_list("pk", "api_key_last4")
    )
    assert hints == {short.pk: "", long.pk: "cdef"}
    assert new.get_model("webhooks", "WebhookEndpoint").objects.get(pk=hook.pk).secret_last4 == ""
