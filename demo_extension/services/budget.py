"""A connector's request budget (:mod:`core.budget`): what its syncs and connection tests may send.

An API's limits are its account's (its key's), not a connector's: three connectors reading customers,
invoices and charges with one key are one caller to the API. So every connector of a tenant that
calls the same API with the same credentials (:func:`_account`) takes its slots from one budget key,
the account's (:func:`budget_key`): each request waits for the limits of its own connector
(``max_requests_per_second``, ``max_concurrent_requests``) counted over the requests of all of them,
across threads and worker processes, and a 429 any of them gets pauses them all. A connector whose
endpoint is not a URL keeps a key of its own. ``max_requests_per_sync`` counts the requests of one
run (a resumed run starts a new count, so a run stopped by it can be resumed, e.g. once the API's
daily quota has reset).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings

from core.budget import CALM_EXCHANGES, RequestBudget
from core.http_errors import OutboundError
from demo_extension.models import DEFAULT_CONCURRENT_REQUESTS, AuthType, CustomDataConnector
from demo_extension.services.credentials import secret_params_of


def budget_key(connector: CustomDataConnector) -> str:
    """The key of the budget ``connector``'s requests take their slots from: its API account's
    (:func:`_account`), the same for every connector of the tenant calling that API with the same
    credentials, never for another tenant's. The credentials enter it only through an HMAC (the keys
    are visible to whoever reads Redis). A connector without an account (its endpoint is not a URL)
    has its own key, with its creation time in it, so that a connector created later with a reused id
    (SQLite reuses the highest id after a delete) never inherits a pause or a lease."""
    account = _account(connector)
    if account is None or connector.tenant_id is None:
        created = connector.created_at
        return f"connector:{connector.pk}:{int(created.timestamp() * 1_000_000) if created else 0}"
    digest = hmac.new(settings.SECRET_KEY.encode(), repr(account).encode(), hashlib.sha256).hexdigest()
    return f"account:{connector.tenant_id}:{digest[:32]}"


def _account(connector: CustomDataConnector) -> tuple | None:
    """Who the upstream sees calling: the API's origin and the credentials sent to it (none for an
    API called without any), the further ones (``secret_params``) included. An API's rate limit is
    its account's (its key's, or the caller's address without one). None for an endpoint that is not
    a URL."""
    parts = urlsplit(connector.api_endpoint or "")
    if not parts.scheme or not parts.hostname:
        return None
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    auth = connector.auth_type
    if auth == AuthType.OAUTH2:
        credentials: tuple = (connector.oauth_token_url, connector.oauth_client_id)
    elif auth == AuthType.NONE:
        credentials = ()
    elif auth == AuthType.BASIC:
        credentials = (connector.auth_username, connector.api_key)
    else:  # the key alone, however it is sent (a header, the query, a Basic user name)
        credentials = (connector.api_key,)
    if auth != AuthType.NONE and not any(credentials):
        credentials = ()
    # The further credentials count too: two Telegram bots (a token in the path, no key) or two
    # Datadog application keys beside one API key are two callers.
    further = tuple(
        sorted(
            (place, name, value)
            for place, items in secret_params_of(connector).items()
            for name, value in items.items()
        )
    )
    return (parts.scheme.lower(), parts.hostname.lower(), port, credentials, further)


def same_account_connectors(connector: CustomDataConnector) -> int:
    """How many other connectors of the tenant share ``connector``'s budget (call the same API with
    the same credentials, :func:`_account`): one query."""
    account = _account(connector)
    if account is None or connector.tenant_id is None:
        return 0
    scheme, host = account[0], account[1]
    candidates = (
        CustomDataConnector.objects.for_tenant(connector.tenant_id)
        .filter(api_endpoint__istartswith=f"{scheme}://{host}")
        .exclude(pk=connector.pk)
    )
    return sum(1 for other in candidates if _account(other) == account)


class ConnectorBudget(RequestBudget):
    """A connector's :class:`~core.budget.RequestBudget`, knowing how many other connectors share its
    key (``others``), for what its run's lines say."""

    def __init__(self, key: str, *, others: int = 0, **limits):
        super().__init__(key, **limits)
        self.others = others


def _others(count: int) -> str:
    connectors = "connector" if count == 1 else "connectors"
    return f"the {count} other {connectors} calling the same API with the same credentials"


def request_budget(
    connector: CustomDataConnector, *, per_sync: bool, names_others: bool = True
) -> ConnectorBudget:
    """The budget of ``connector``'s requests; ``per_sync`` applies ``max_requests_per_sync`` to it.
    ``names_others``: its lines name the other connectors sharing it (one query; False where the
    budget only reads its pause)."""
    limit = connector.max_requests_per_sync if per_sync else None
    others = same_account_connectors(connector) if names_others else 0
    paused_note = "every request of this connector waits as long (its request budget is paused)"
    if others:
        paused_note += f", and every request of {_others(others)}"
    return ConnectorBudget(
        budget_key(connector),
        others=others,
        per_second=connector.max_requests_per_second,
        concurrent=connector.max_concurrent_requests or DEFAULT_CONCURRENT_REQUESTS,
        max_requests=limit,
        exhausted_message=(
            f"max_requests_per_sync ({limit}) reached: this run sent {limit} requests and stopped. "
            "Committed pages are kept; resume the sync to continue from its last committed page."
        ),
        paused_note=paused_note,
        reduced_note=(
            "this run now sends at most {current} {requests} at once "
            "(max_concurrent_requests: {configured}), "
            f"one more after every {CALM_EXCHANGES} answers without a 429"
        ),
    )


# A run's log says that its connector's budget paced it when its requests waited for the budget's own
# limits (a rate token, a concurrency slot; not a pause a 429 asked for, logged with its retry) more
# than this long in total and more than this share of the run's time.
PACED_NOTE_MIN_SECONDS = 1.0
PACED_NOTE_MIN_SHARE = 0.10


def paced_note(budget: ConnectorBudget, run_seconds: float) -> str:
    """The run's closing line when ``budget`` (a run's, ``per_sync=True``) paced it noticeably (see
    :data:`PACED_NOTE_MIN_SECONDS`), naming the limit the requests waited for; "" otherwise. The
    time counts while at least one request waited (requests waiting side by side count once)."""
    waited, requests = budget.paced_seconds, budget.paced_requests
    if waited <= PACED_NOTE_MIN_SECONDS or waited <= PACED_NOTE_MIN_SHARE * run_seconds:
        return ""
    limits, settings = [], []
    if budget.per_second is not None and budget.paced_by_slots < requests:
        rate = budget.per_second
        limits.append(f"{rate:g} request{'' if rate == 1 else 's'}/s")
        settings.append("max_requests_per_second")
    if budget.paced_by_slots:
        at_once = budget.configured_concurrent
        limits.append(f"{at_once} request{'' if at_once == 1 else 's'} at once")
        settings.append("max_concurrent_requests")
    shared = f", shared with {_others(budget.others)}," if budget.others else ""
    return (
        f"The connector's request budget ({', '.join(limits)}){shared} paced this run: {requests} "
        f"request{'' if requests == 1 else 's'} waited {waited:.1f} s in total (of the run's "
        f"{run_seconds:.1f} s); raise {' or '.join(settings)} if the API allows it."
    )


def paused_refusal(budget: RequestBudget, done: str) -> str:
    """Why nothing is sent now, when ``budget``'s connector is paused, for a person waiting on ``done``
    (e.g. "tested"); "" when it is not paused. The pause is shared by every process and does not keep
    its cause, so the message names the three that set one (see ``core.http``)."""
    seconds = budget.paused_for()
    if seconds <= 0:
        return ""
    return (
        f"Not {done}: the API asked to slow down (an HTTP 429, a Retry-After header or a rate limit "
        "reported in a response body, as GraphQL APIs answer one), so every request of this "
        f"connector is paused for another {max(1, math.ceil(seconds))} s. Try again after that."
    )


def waiting_for_pause(seconds: float, now: datetime) -> str:
    """A sync's log line when its requests wait out a pause of its connector (``seconds`` left at
    ``now``): what it waits for and until when (the pause does not keep its cause: the three that
    set one are named, as in :func:`paused_refusal`)."""
    until = now.astimezone(UTC) + timedelta(seconds=seconds)
    return (
        "Waiting for the API's rate limit: it asked to slow down (an HTTP 429, a Retry-After header or "
        "a rate limit reported in a response body), so every request of this connector is paused until "
        f"{until:%H:%M:%S} UTC ({max(1, math.ceil(seconds))} s). The sync goes on by itself then."
    )


def connector_paused_for(connector: CustomDataConnector) -> float | None:
    """Seconds left of the pause on every request of ``connector`` (0: not paused); None when the
    budget's store did not answer (unknown, not "not paused")."""
    try:
        return request_budget(connector, per_sync=False, names_others=False).paused_for()
    except OutboundError:
        return None
