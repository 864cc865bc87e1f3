"""Where a run's records come from: the ``Source`` protocol and its registry.

The engine (``sync_engine.engine``) knows no API, database or file format: it asks the connector's
source for pages and does the rest (transform, quarantine, upsert, checkpoint, finish). A module adds
a kind of source by registering a class (the shape of NetBox's ``@register_data_backend``)::

    from sync_engine.sources import Page, register_source

    @register_source("rest")
    class RestSource:
        def __init__(self, connector): ...
        def check(self): ...                    # -> object with .connected (bool) and .message
        def prepare(self) -> SourcePlan: ...    # validate the configuration (raise SyncProblem)
        def refuse_checkpoint(self, source_state: dict) -> str: ...   # "" when resumable
        def pages(self, run: RunContext, resume: dict | None) -> Generator[Page, None, None]: ...

The connector's ``source_type`` names its source. ``pages`` is a generator in the style of dlt's
``RESTClient.paginate()``: it yields :class:`Page` objects in order, each with the JSON-safe position
to resume *after* it (``Page.position``); its last page says ``more=False`` (a generator that just
ends was stopped early: a full refresh then deletes nothing). The engine
may stop iterating early (max pages, time budget, cancel): it then closes the generator, which must
release what it holds in a ``finally``. A source raises :class:`~sync_engine.errors.SyncProblem` for
what a user can fix and ``core.http_errors.OutboundError`` for upstream failures.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

_registry: dict[str, type] = {}


@dataclass
class Page:
    """One page of records, in the order the source read them."""

    records: list
    # Where to resume after this page (JSON-safe); stored in the checkpoint with the page's commit.
    position: dict
    # The records came from a plain JSON parse (the engine may then keep source checksums).
    plain: bool = False
    # Bytes that identify the page when its records give nothing to compare (e.g. the raw body).
    content: bytes = b""
    # How to name the page in a message (a URL with secrets removed, a file name).
    label: str = ""
    # Why the source cannot know it got every record after this last page (the upstream says there
    # is more): the run then never ends SUCCESS.
    incomplete: str | None = None
    # The source knows more pages follow (False on the last page, or when it cannot tell).
    more: bool = False
    # Extra run fields to store with this page's commit (e.g. the detected pagination style).
    run_fields: dict = field(default_factory=dict)
    # Raised by the engine after this page is committed (a loop detected by the source).
    error: Exception | None = None
    # What to check when this page holds the same records as an earlier one (how the source asked
    # for it: the parameter an upstream may not take), added to the run's error; asked only then.
    repeat_hint: Callable[[], str] | None = None
    # The page was asked for by its position in the list (a page number, an offset, a link holding
    # one): a record that moves while the run reads shifts the pages after it, so one may be skipped.
    positional: bool = False


@dataclass
class SourcePlan:
    """What the engine needs to know of a source's configuration before the first page."""

    # The record field whose highest value is the incremental cursor (None: not incremental).
    cursor_field: str | None = None
    # The cursor to start from when the connector has none stored yet.
    initial_cursor: Any = None
    # How the run's first log line says what it asks the source for (e.g. "sending since=...").
    since_text: Callable[[Any], str] | None = None


@dataclass
class RunContext:
    """What the engine tells a source about the run it serves."""

    run_id: int
    since: Any  # the incremental cursor to read from (None: everything)
    max_pages: int  # pages this run may still take
    ends_at: float  # time.monotonic() deadline of the run's time budget
    budget_seconds: float
    emit: Callable[..., None]  # emit(message, level="info"): a line in the run's log
    # A retried request (the engine logs a few): ``on_retry(message, at=None)``, ``at`` when it
    # happened if it is reported later (a page fetched ahead reports its retries when it is taken).
    on_retry: Callable[..., None]
    pages_done: Callable[[], int]  # pages handed to the committer so far (resumed runs included)
    records_done: Callable[[], int]  # records in those pages
    # ``on_rate_limit_wait(seconds)``: the run's requests wait that many more seconds for the API's
    # rate limit (added up into the run's ``rate_limit_wait_seconds``); a source that never waits
    # for one leaves it alone.
    on_rate_limit_wait: Callable[[float], None] = lambda seconds: None
    abandoning: bool = False  # set before closing the generator on a cancel: do not wait
    # Pages the connector's last finished run read (None: none yet, or this run resumes one): a
    # hint for how many requests a source may send before the first answer says more.
    pages_last_run: int | None = None


class Source(Protocol):
    def __init__(self, connector) -> None: ...

    def check(self) -> Any: ...

    def prepare(self) -> SourcePlan: ...

    def refuse_checkpoint(self, source_state: dict) -> str: ...

    def pages(self, run: RunContext, resume: dict | None) -> Generator[Page, None, None]: ...


def register_source(kind: str) -> Callable[[type], type]:
    """Class decorator: ``kind`` (a connector's ``source_type``) is read by this class."""

    def decorate(cls: type) -> type:
        existing = _registry.get(kind)
        if existing is not None and existing is not cls:
            raise ValueError(f"Source type {kind!r} is already registered by {existing.__qualname__}.")
        _registry[kind] = cls
        return cls

    return decorate


def unregister_source(kind: str) -> None:
    _registry.pop(kind, None)


def source_types() -> list[str]:
    return sorted(_registry)


def source_for(connector) -> Source:
    """The source that reads ``connector`` (by its ``source_type``)."""
    kind = getattr(connector, "source_type", "") or ""
    try:
        cls = _registry[kind]
    except KeyError:
        raise LookupError(
            f"No source is registered for source_type {kind!r} "
            f"(registered: {', '.join(source_types()) or 'none'})."
        ) from None
    return cls(connector)
