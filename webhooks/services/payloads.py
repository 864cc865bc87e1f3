"""What an event says: the JSON envelope stored with each delivery, and the body sent for it.

The envelope (``payload`` of a delivery) is::

    {"id": "<delivery uuid>", "event": "sync.succeeded", "created_at": "<ISO 8601>",
     "tenant": {"id": 1, "slug": "acme"}, "data": {"sync": {...}} | {"load": {...}} | {}}

An endpoint in the ``json`` format receives it as is; a ``slack`` endpoint receives
``{"text": "<one line>"}``, which Slack's incoming webhooks (and Mattermost, Teams' Slack-compatible
connectors) post to a channel.
"""

import json

from webhooks.models import PING, PayloadFormat


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def sync_data(run) -> dict:
    connector = run.connector
    return {
        "sync": {
            "id": run.pk,
            "status": run.status,
            "connector": {"id": run.connector_id, "name": getattr(connector, "name", "")},
            "triggered_by": run.triggered_by,
            # A resumed run keeps its first start; resumed_at says when its latest attempt went on
            # from the checkpoint (null for a run that ran in one go), as the sync log answers.
            "started_at": _iso(run.started_at),
            "resumed_at": _iso(run.resumed_at),
            "finished_at": _iso(run.finished_at),
            "duration_seconds": run.duration_seconds,
            "records_processed": run.records_processed,
            "records_created": run.records_created,
            "records_updated": run.records_updated,
            "records_unchanged": run.records_unchanged,
            "records_failed": run.records_failed,
            "records_deleted": run.records_deleted,
            "error_message": run.error_message,
            # A SUCCESS with warnings (a primary key no record has, a mapping that matched
            # nothing, ...) stored what it fetched, but not as configured: the count says so.
            "warnings_count": len(run.warnings or []),
            "warnings": list(run.warnings or [])[:10],
            # How the run changed the connector's inferred schema (the sync log's schema_changes).
            "schema_changes": list(run.schema_changes or [])[:50],
        }
    }


def load_data(load) -> dict:
    destination = load.destination
    return {
        "load": {
            "id": load.pk,
            "status": load.status,
            "destination": {"id": load.destination_id, "name": destination.name},
            "connector": {"id": load.connector_id},
            "triggered_by": load.triggered_by,
            "full_reload": load.full_reload,
            "started_at": _iso(load.started_at),
            "finished_at": _iso(load.finished_at),
            "duration_seconds": load.duration_seconds,
            "rows_upserted": load.rows_upserted,
            "rows_deleted": load.rows_deleted,
            "error_message": load.error_message,
        }
    }


def envelope(delivery_id, event: str, tenant, created_at, data: dict) -> dict:
    return {
        "id": str(delivery_id),
        "event": event,
        "created_at": _iso(created_at),
        "tenant": {"id": tenant.pk, "slug": tenant.slug},
        "data": data,
    }


def body(payload: dict, payload_format: str) -> bytes:
    """The bytes POSTed for ``payload``: what is signed, sent as they are (``content=``), so the
    receiver verifies the very bytes it got; ``test_signature`` checks it end to end."""
    return json.dumps(wire_value(payload, payload_format), separators=(",", ":")).encode()


def wire_value(payload: dict, payload_format: str):
    """The JSON value sent for ``payload`` in ``payload_format``."""
    return {"text": slack_text(payload)} if payload_format == PayloadFormat.SLACK else payload


def slack_text(payload: dict) -> str:
    """One line that says what happened, for a chat channel. Every value from elsewhere (names, an
    upstream's error text, warnings) is escaped as Slack asks (``&``, ``<``, ``>``): otherwise an API
    a tenant syncs, or an editor naming a connector, writes ``<!channel>`` pings and links whose
    visible text hides their target into the channel, in MigrateIQ's voice."""
    event, data = payload["event"], payload.get("data") or {}
    tenant = _slack_escape(payload.get("tenant", {}).get("slug", ""))
    if event == PING:
        return f"MigrateIQ ({tenant}): test delivery from webhook endpoint. It works."
    if "sync" in data:
        sync = data["sync"]
        name = _slack_escape(sync["connector"]["name"] or f"connector {sync['connector']['id']}")
        outcome = {
            "SUCCESS": "succeeded",
            "PARTIAL": "ended partial (not every page fetched, or records quarantined)",
            "FAILED": "failed",
            "CANCELLED": "was cancelled",
        }.get(sync["status"], sync["status"].lower())
        text = (
            f"MigrateIQ ({tenant}): sync of {name} {outcome}: {sync['records_processed']} records "
            f"({sync['records_created']} created, {sync['records_updated']} updated, "
            f"{sync['records_failed']} failed)"
        )
        if sync.get("duration_seconds") is not None:
            text += f" in {sync['duration_seconds']:.1f} s"
        if sync.get("warnings_count"):
            count = sync["warnings_count"]
            text += f", with {count} warning{'s' if count != 1 else ''}: {_slack_escape(sync['warnings'][0])}"
        if sync.get("error_message") and sync["status"] != "SUCCESS":
            text += f". {_slack_escape(sync['error_message'])}"
        return text
    if "load" in data:
        load = data["load"]
        destination = _slack_escape(load["destination"]["name"])
        text = (
            f"MigrateIQ ({tenant}): load into {destination} {load['status'].lower()}: "
            f"{load['rows_upserted']} rows upserted, {load['rows_deleted']} deleted"
        )
        if load.get("error_message"):
            text += f". {_slack_escape(load['error_message'])}"
        return text
    return f"MigrateIQ ({tenant}): {_slack_escape(event)}"


def _slack_escape(value) -> str:
    """Text as Slack shows it literally: its three control characters escaped (Slack's "Escaping text")."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
