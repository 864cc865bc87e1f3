"""What follows a change to a webhook endpoint: the audit trail's record of it.

An endpoint sends the tenant's events out of MigrateIQ, signed with its secret: adding one, pointing
it elsewhere, replacing its secret, turning it on or off and deleting it are each an audit event.
The URL's host is named (where the data goes); never its path or query, which can be a credential
(Slack's incoming webhooks), nor the secret (its field's name only).
"""

from urllib.parse import urlsplit

from core import activity
from webhooks.models import WebhookEndpoint


def _detail(endpoint: WebhookEndpoint) -> dict:
    return {"name": endpoint.name, "host": urlsplit(endpoint.url).hostname or ""}


def endpoint_saved(endpoint: WebhookEndpoint, *, created: bool = False, fields=(), actor=None) -> None:
    """An endpoint was created or changed (``fields``: the names of the fields set or changed; a
    change of no field is not reported)."""
    activity.record_saved(
        "webhook", endpoint, created=created, fields=fields, actor=actor, detail=_detail(endpoint)
    )


def endpoint_deleted(endpoint: WebhookEndpoint, pk: int, *, actor=None) -> None:
    """An endpoint was deleted (``pk``: its id, which Django clears on delete)."""
    activity.record_deleted("webhook", endpoint, pk, actor=actor, detail=_detail(endpoint))
