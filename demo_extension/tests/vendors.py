"""Fake list endpoints of well-known vendors, each a small threaded HTTP server on 127.0.0.1.

Every fake follows its vendor's public documentation (URL in its docstring): the record envelope,
the pagination parameters it reads, the auth header it requires (401 otherwise), the default page
size and what its last page looks like. Record counts are odd, so the last page is partial. Each
server logs the requests it answered (``requests``), so a test can prove no request was made past
the last page, and, where the vendor takes a page size, the size each request asked for and the one
it was served (its default when it asked for none).

    vendor = Stripe(records=23).start()
    connector = make_connector(**vendor.connector_fields())   # pagination left on auto
    ...
    vendor.stop()

``VENDORS`` lists every fake class; the ``vendor_server`` fixture of ``test_sync_vendors`` starts
one and allows it through the egress guard.
"""

from __future__ import annotations

import base64
import email.utils
import gzip
import io
import json
import re
import threading
import time
import zipfile
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit


def _token(position: int, salt: str) -> str:
    return base64.urlsafe_b64encode(f"{salt}:{position}".encode()).decode().rstrip("=")


def _position(token: str, salt: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == salt and number.isdigit() else None


def documented_pagination(kind: str, **config) -> staticmethod:
    """A fake's ``pagination(page_size)``: the configuration its vendor documents, ``{"type": kind,
    **config}``, with the page size a test asks for sent as ``limit`` (offsets) or as ``page_size``
    beside a ``size_param`` (an API that takes no page size gets none)."""

    def pagination(page_size: int) -> dict:
        if kind == "offset":
            return {"type": kind, **config, "limit": page_size}
        if "size_param" in config:
            return {"type": kind, **config, "page_size": page_size}
        return {"type": kind, **config}

    return staticmethod(pagination)


class VendorServer:
    """Base of the fakes: a threaded server, a request log, auth checking and record slicing."""

    name = "vendor"
    doc_url = ""
    path = "/items"
    records = 13  # odd: the last page is partial
    page_size = 5  # the vendor's default page size (small here, so a test makes several pages)
    max_page_size = 100
    api_key = "vendor-secret-key"
    # Offsets whose end only a "more" flag on the last page tells: the requests a sync sends ahead
    # (README, "Overlapping page fetches") may go past the last page, at most concurrency - 1 (on a
    # first sync, or past the pages of the last run).
    requests_past_the_end = 0

    def __init__(self, records: int | None = None):
        if records is not None:
            self.records = records
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._answering = threading.local()  # the request a server thread is answering (``size``)
        self._server: ThreadingHTTPServer | None = None

    # -- what a vendor defines ------------------------------------------------------------------

    def record(self, number: int) -> dict:
        return {"id": str(number), "name": f"{self.name} record {number}"}

    def authorized(self, headers) -> bool:
        return headers.get("Authorization") == f"Bearer {self.api_key}"

    def connector_fields(self) -> dict:
        """The connector a user would create: endpoint, credentials, what the API needs; pagination
        and records path left to detection."""
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "bearer"}

    def respond(self, path: str, query: dict, headers) -> tuple[int, dict, object]:
        raise NotImplementedError

    def respond_post(self, path: str, body: dict, headers) -> tuple[int, dict, object]:
        return 405, {}, {"message": "Method not allowed."}

    def unauthorized(self) -> tuple[int, dict, object]:
        """The vendor's answer to a request without valid credentials."""
        return 401, {}, {"error": "unauthorized"}

    # -- helpers --------------------------------------------------------------------------------

    def all_records(self) -> list[dict]:
        return [self.record(number) for number in range(1, self.records + 1)]

    def size(self, query: dict, name: str, default: int | None = None) -> int:
        """The page size a request asks for as ``name`` (capped at ``max_page_size``), or the vendor's
        default when it asks for none, as the vendor serves it. The request log notes both
        (``size_asked``: the value sent, ``None`` if none; ``page_size``: the size served), so a test
        of a configured page size sees the request carried it (see ``serves``)."""
        value = query.get(name)
        if value is None or not str(value).isdigit() or int(value) < 1:
            return self.serves(default or self.page_size, value)
        return self.serves(min(int(value), self.max_page_size), value)

    def serves(self, size: int, asked=None) -> int:
        """``size``, noted in the request log as the page size this answer serves, beside ``asked``,
        the value the request asked for a size with (``None``: it asked for none). A fake that reads
        its size parameter itself (from a body, with the vendor's own checks) calls it."""
        self._answering.sizes = {"size_asked": None if asked is None else str(asked), "page_size": size}
        return size

    def _answer(self, respond, *args) -> tuple[tuple[int, dict, object], dict]:
        """``respond(*args)`` and the page size it served (``size``), for the request log."""
        self._answering.sizes = {}
        answer = respond(*args)
        return answer, self._answering.sizes

    def numbered_page(self, query: dict, size_name: str) -> tuple[int, int, int, int]:
        """``(page number, page size, first record's index, last page number)`` of a request for
        ``?page=N`` with its size under ``size_name``."""
        size = self.size(query, size_name)
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        return number, size, (number - 1) * size, max(1, -(-self.records // size))

    def refused_once(self, start: int, size: int, times: int = 1) -> bool:
        """Whether the request for the page from ``start`` (pages of ``size``) is one of the first
        ``times`` for the page ``rate_limited_on_page`` (1-based), which a fake answers with its rate
        limit (``refused`` counts the refusals)."""
        page = getattr(self, "rate_limited_on_page", None)
        if page is None or start != (page - 1) * size:
            return False
        with self._lock:
            refuse = getattr(self, "refused", 0) < times
            self.refused = getattr(self, "refused", 0) + refuse
        return refuse

    def window_closed(self, start: int, size: int, *, whole_seconds: bool = True) -> bool:
        """Whether a request is refused with the fake's rate limit: the first request for the page
        ``rate_limited_on_page`` (1-based; pages of ``size``, this one from ``start``) closes the
        window for ``window_seconds`` (until a whole second after that, when the vendor names the
        reset as epoch seconds or a date), and every request until then is refused (``closed_until``
        is when it opens)."""
        now = time.time()
        page = getattr(self, "rate_limited_on_page", None)
        if page is not None and start == (page - 1) * size:
            with self._lock:
                if not getattr(self, "closed_until", 0.0):
                    until = now + self.window_seconds
                    self.closed_until = float(int(until) + 1) if whole_seconds else until
        return now < getattr(self, "closed_until", 0.0)

    def list_requests(self) -> list[dict]:
        return [request for request in self.requests if request["status"] == 200]

    def expected_pages(self, page_size: int | None = None) -> int:
        size = page_size or self.page_size
        return max(1, -(-self.records // size))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + self.path

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    # -- the server -----------------------------------------------------------------------------

    def start(self) -> VendorServer:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                sizes: dict = {}
                if not vendor.authorized(self.headers):
                    status, headers, body = vendor.unauthorized()
                else:
                    answer, sizes = vendor._answer(vendor.respond, parts.path, query, self.headers)
                    status, headers, body = answer
                with vendor._lock:
                    vendor.requests.append({"path": parts.path, "query": query, "status": status, **sizes})
                content = body if isinstance(body, bytes) else json.dumps(body).encode()
                headers = dict(headers)
                self.send_response(status)
                self.send_header(
                    "Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8")
                )
                self.send_header("Content-Length", str(len(content)))
                for name, value in headers.items():
                    # A list is one header line a value (Okta sends ``Link`` twice: self and next).
                    for line in value if isinstance(value, list) else [value]:
                        self.send_header(name, line)
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self):  # noqa: N802 - the http.server API
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = None
                sizes: dict = {}
                if not vendor.authorized(self.headers):
                    status, headers, answer = vendor.unauthorized()
                elif not isinstance(body, dict):
                    status, headers, answer = 400, {}, {"message": "The body is not a JSON object."}
                else:
                    answered, sizes = vendor._answer(vendor.respond_post, parts.path, body, self.headers)
                    status, headers, answer = answered
                with vendor._lock:
                    vendor.requests.append(
                        {
                            "path": parts.path,
                            "query": dict(parse_qsl(parts.query)),
                            "body": body,
                            "status": status,
                            **sizes,
                        }
                    )
                # Text is sent as it is (Dropbox answers a bad request body in plain text).
                if isinstance(answer, str):
                    content = answer.encode()
                else:
                    content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                headers = dict(headers)
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(content)))
                for name, value in headers.items():
                    for line in value if isinstance(value, list) else [value]:
                        self.send_header(name, line)
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vendor-{self.name}",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class BasicAuthVendor(VendorServer):
    """A vendor that takes HTTP Basic auth: ``user`` and the API key (or token) as the password."""

    user = "user"

    def authorized(self, headers):
        expected = base64.b64encode(f"{self.user}:{self.api_key}".encode()).decode()
        return headers.get("Authorization") == f"Basic {expected}"

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic",
            "auth_username": self.user,
        }


class KeyAsUserVendor(VendorServer):
    """A vendor that takes HTTP Basic auth with the API key as the user name and no password
    (Chargebee, Ashby, Close, Recurly)."""

    def authorized(self, headers):
        expected = base64.b64encode(f"{self.api_key}:".encode()).decode()
        return headers.get("Authorization") == f"Basic {expected}"


class QueryKeyVendor(VendorServer):
    """A vendor that takes its API key as a query parameter, ``key`` (YouTube, Google Sheets,
    Trello) unless ``auth_param`` names another; ``respond`` checks it, answering as the vendor does
    without it."""

    auth_param = "key"

    def authorized(self, headers):
        return True  # checked in respond

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "query",
            "auth_param_name": self.auth_param,
        }


class Stripe(VendorServer):
    """Stripe list API (``GET /v1/customers``): ``{"object": "list", "url", "has_more", "data"}``;
    ``limit`` (default 10) and ``starting_after=<id of the last object>``; the last page has
    ``has_more: false``. https://docs.stripe.com/api/pagination"""

    name = "stripe"
    path = "/v1/customers"
    records = 23
    page_size = 10
    api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

    # The explicit configuration of Stripe's lists: the last object's id as starting_after
    # while has_more.
    pagination = documented_pagination(
        "cursor",
        cursor_from="last_record",
        cursor_field="id",
        cursor_param="starting_after",
        has_more_path="has_more",
        size_param="limit",
    )

    def record(self, number):
        return {"id": f"cus_{number:08d}", "object": "customer", "email": f"c{number}@example.com"}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = 0
        if "starting_after" in query:
            ids = [r["id"] for r in records]
            if query["starting_after"] not in ids:
                return 400, {}, {"error": {"type": "invalid_request_error", "message": "No such object"}}
            start = ids.index(query["starting_after"]) + 1
        page = records[start : start + limit]
        return (
            200,
            {},
            {"object": "list", "url": self.path, "has_more": start + limit < len(records), "data": page},
        )


class HubSpot(VendorServer):
    """HubSpot CRM v3 objects (``GET /crm/v3/objects/contacts``): ``{"results", "paging": {"next":
    {"after", "link"}}}``; ``limit`` (default 10) and ``after``; no ``paging`` on the last page.
    https://developers.hubspot.com/docs/api/crm/understanding-the-crm (Paging)"""

    name = "hubspot"
    path = "/crm/v3/objects/contacts"
    records = 17
    page_size = 10
    api_key = "pat-na1-11111111-2222-3333-4444-555555555555"

    def record(self, number):
        return {
            "id": str(1000 + number),
            "properties": {"email": f"c{number}@example.com", "firstname": f"C{number}"},
            "createdAt": "2024-01-01T00:00:00Z",
            "archived": False,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["after"], "hs") if "after" in query else 0
        if start is None:
            return 400, {}, {"status": "error", "message": "Invalid after"}
        body = {"results": records[start : start + limit]}
        if start + limit < len(records):
            after = _token(start + limit, "hs")
            # The link carries only ``after``: following it would drop the request's own parameters.
            body["paging"] = {"next": {"after": after, "link": f"{self.url}?after={after}"}}
        return 200, {}, body


class Slack(VendorServer):
    """Slack ``conversations.list``: ``{"ok": true, "channels", "response_metadata": {"next_cursor"}}``;
    ``limit`` and ``cursor``; the last page has ``next_cursor: ""``. Errors are HTTP 200 with
    ``{"ok": false, "error": ...}``. https://api.slack.com/methods/conversations.list and
    https://api.slack.com/docs/pagination"""

    name = "slack"
    path = "/api/conversations.list"
    records = 11
    page_size = 4
    api_key = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"

    def record(self, number):
        return {"id": f"C{number:08d}", "name": f"channel-{number}", "is_channel": True}

    def authorized(self, headers):
        return True  # Slack answers a bad token with HTTP 200 and {"ok": false, "error": "invalid_auth"}

    def respond(self, path, query, headers):
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["cursor"], "slack") if query.get("cursor") else 0
        if start is None:
            return 200, {}, {"ok": False, "error": "invalid_cursor"}
        next_cursor = _token(start + limit, "slack") if start + limit < len(records) else ""
        return (
            200,
            {},
            {
                "ok": True,
                "channels": records[start : start + limit],
                "response_metadata": {"next_cursor": next_cursor},
            },
        )


class XApiV2(VendorServer):
    """X (Twitter) API v2 followers (``GET /2/users/:id/followers``): ``{"data", "meta":
    {"result_count", "next_token"}}``; ``max_results`` and ``pagination_token``; ``next_token`` is
    omitted on the last page. https://docs.x.com/x-api/fundamentals/pagination"""

    name = "x"
    path = "/2/users/2244994945/followers"
    records = 19
    page_size = 6

    def record(self, number):
        return {"id": str(1_400_000_000_000 + number), "name": f"F{number}", "username": f"f{number}"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "max_results")
        start = _position(query["pagination_token"], "x") if "pagination_token" in query else 0
        if start is None:
            return 400, {}, {"errors": [{"message": "invalid pagination_token"}]}
        page = records[start : start + size]
        meta = {"result_count": len(page)}
        if start + size < len(records):
            meta["next_token"] = _token(start + size, "x")
        if start:
            meta["previous_token"] = _token(max(0, start - size), "x")
        return 200, {}, {"data": page, "meta": meta}


class Airtable(VendorServer):
    """Airtable list records (``GET /v0/{baseId}/{table}``): ``{"records": [{"id", "createdTime",
    "fields"}], "offset"}``; ``pageSize`` (default 100) and ``offset`` (an opaque token); no
    ``offset`` on the last page. https://airtable.com/developers/web/api/list-records"""

    name = "airtable"
    path = "/v0/appABC123/Tasks"
    records = 15
    page_size = 4
    api_key = "patAbC123.0123456789abcdef"

    def record(self, number):
        return {
            "id": f"rec{number:014d}",
            "createdTime": "2024-01-01T00:00:00.000Z",
            "fields": {"Name": f"T{number}"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "pageSize")
        start = 0
        if "offset" in query:
            token = query["offset"]
            start = _position(token.split("/")[0], "at") if "/" in token else None
            if start is None:
                return 422, {}, {"error": {"type": "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"}}
        body = {"records": records[start : start + size]}
        if start + size < len(records):
            body["offset"] = f"{_token(start + size, 'at')}/{records[start + size]['id']}"
        return 200, {}, body


class GoogleDrive(VendorServer):
    """Google Drive ``files.list`` (``GET /drive/v3/files``), the Google APIs convention:
    ``{"kind", "nextPageToken", "incompleteSearch", "files"}``; ``pageSize`` and ``pageToken``; no
    ``nextPageToken`` on the last page. https://developers.google.com/drive/api/reference/rest/v3/files/list"""

    name = "google"
    path = "/drive/v3/files"
    records = 21
    page_size = 8
    api_key = "ya29.a0AfH6SMBx-fake-access-token"

    def record(self, number):
        return {
            "kind": "drive#file",
            "id": f"1AbC{number:06d}",
            "name": f"file {number}",
            "mimeType": "text/plain",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "pageSize")
        start = _position(query["pageToken"], "g") if "pageToken" in query else 0
        if start is None:
            return 400, {}, {"error": {"code": 400, "message": "Invalid Value", "status": "INVALID_ARGUMENT"}}
        body = {"kind": "drive#fileList", "incompleteSearch": False, "files": records[start : start + size]}
        if start + size < len(records):
            body["nextPageToken"] = _token(start + size, "g")
        return 200, {}, body


class Salesforce(VendorServer):
    """Salesforce REST query (``GET /services/data/v62.0/query?q=SOQL``): ``{"totalSize", "done",
    "nextRecordsUrl", "records"}`` where ``nextRecordsUrl`` is a path relative to the instance
    (``/services/data/v62.0/query/<locator>-<n>``); the last batch has ``done: true`` and no
    ``nextRecordsUrl``. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm"""

    name = "salesforce"
    path = "/services/data/v62.0/query"
    records = 25
    page_size = 10  # the batch size (2,000 by default; Sforce-Query-Options: batchSize=...)
    api_key = "00D5g000004fake!AQ0AQFakeSessionToken"
    locator = "01gRO0000016PIAYA2"

    def record(self, number):
        record_id = f"001RO00000{number:08d}"
        return {
            "attributes": {"type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{record_id}"},
            "Id": record_id,
            "Name": f"Account {number}",
        }

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"q": "SELECT Id, Name FROM Account"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        if path == self.path:
            if not query.get("q"):
                return 400, {}, [{"message": "q is required", "errorCode": "MALFORMED_QUERY"}]
            start = 0
        elif path.startswith(f"{self.path}/{self.locator}-") and path.rsplit("-", 1)[1].isdigit():
            start = int(path.rsplit("-", 1)[1])
        else:
            return 404, {}, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        end = start + self.page_size
        body = {"totalSize": len(records), "done": end >= len(records), "records": records[start:end]}
        if end < len(records):
            body["nextRecordsUrl"] = f"{self.path}/{self.locator}-{end}"
        return 200, {}, body


class MicrosoftGraph(VendorServer):
    """Microsoft Graph (OData v4) ``GET /v1.0/users``: ``{"@odata.context", "value",
    "@odata.nextLink"}``; ``$top`` and an opaque ``$skiptoken`` inside the next link; no
    ``@odata.nextLink`` on the last page. https://learn.microsoft.com/en-us/graph/paging"""

    name = "graph"
    path = "/v1.0/users"
    records = 27
    page_size = 10
    api_key = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UifQ.fake.graph"

    def record(self, number):
        return {
            "id": f"87d349ed-44d7-43e1-9a83-{number:012d}",
            "displayName": f"User {number}",
            "@odata.etag": f'W/"{number}"',
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "$top")
        start = _position(query["$skiptoken"], "ms") if "$skiptoken" in query else 0
        if start is None:
            return 400, {}, {"error": {"code": "BadRequest", "message": "Invalid skip token"}}
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": records[start : start + size],
        }
        if start + size < len(records):
            body["@odata.nextLink"] = f"{self.url}?" + urlencode(
                {"$top": size, "$skiptoken": _token(start + size, "ms")}
            )
        return 200, {}, body


class MicrosoftGraphDelta(MicrosoftGraph):
    """Microsoft Graph delta query (``GET /v1.0/users/delta``): pages of ``value`` linked by
    ``@odata.nextLink``, the last one carrying ``@odata.deltaLink`` instead. A page may be empty
    while a next link follows it ("even if the current response contains an empty result"):
    https://learn.microsoft.com/en-us/graph/delta-query-overview. ``layout``: records per page."""

    name = "graph-delta"
    path = "/v1.0/users/delta"
    layout = (3, 0, 3, 2)

    def __init__(self, records=None, layout=None):
        if layout is not None:
            self.layout = tuple(layout)
        super().__init__(records=sum(self.layout))

    def expected_pages(self, page_size=None):
        return len(self.layout)

    def respond(self, path, query, headers):
        records = self.all_records()
        index = _position(query["$skiptoken"], "delta") if "$skiptoken" in query else 0
        if index is None or index >= len(self.layout):
            return 400, {}, {"error": {"code": "BadRequest", "message": "Invalid skip token"}}
        start = sum(self.layout[:index])
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "value": records[start : start + self.layout[index]],
        }
        if index + 1 < len(self.layout):
            body["@odata.nextLink"] = f"{self.url}?" + urlencode({"$skiptoken": _token(index + 1, "delta")})
        else:
            body["@odata.deltaLink"] = f"{self.url}?" + urlencode({"$deltatoken": _token(0, "done")})
        return 200, {}, body


class NotionDatabaseQuery(VendorServer):
    """Notion ``POST /v1/databases/{id}/query``: a JSON body with ``filter``, ``sorts``, ``page_size``
    (a number, at most 100) and ``start_cursor``; ``{"object": "list", "results", "next_cursor",
    "has_more", "type"}``. A body key it does not take is a 400 validation_error, as is a GET.
    https://developers.notion.com/reference/post-database-query,
    https://developers.notion.com/reference/intro#pagination"""

    name = "notion"
    path = "/v1/databases/8e2c2b76-3d33-4a8f-9a27-1b8c3b1a4c11/query"
    records = 23
    page_size = 10
    api_key = "secret_notion_integration_token_0123"
    body_keys = frozenset({"filter", "sorts", "start_cursor", "page_size", "filter_properties"})

    def record(self, number):
        return {
            "object": "page",
            "id": f"59833787-2cf9-4fdf-8782-{number:012d}",
            "last_edited_time": f"2026-01-{number:02d}T08:00:00.000Z",
            "properties": {"n": number},
        }

    def respond(self, path, query, headers):
        return (
            400,
            {},
            {
                "object": "error",
                "status": 400,
                "code": "invalid_request_url",
                "message": "Invalid request URL.",
            },
        )

    def respond_post(self, path, body, headers):
        unknown = sorted(set(body) - self.body_keys)
        if unknown:
            message = f"body failed validation: body.{unknown[0]} should be not present."
            return 400, {}, {"object": "error", "status": 400, "code": "validation_error", "message": message}
        size = body.get("page_size", self.page_size)
        if not isinstance(size, int) or not 1 <= size <= 100:
            return (
                400,
                {},
                {
                    "object": "error",
                    "status": 400,
                    "code": "validation_error",
                    "message": "body failed validation: body.page_size should be a number.",
                },
            )
        records = [r for r in self.all_records() if _matches(r, body.get("filter"))]
        start = _position(body["start_cursor"], "notion") if "start_cursor" in body else 0
        if start is None:
            return (
                400,
                {},
                {
                    "object": "error",
                    "status": 400,
                    "code": "validation_error",
                    "message": "Invalid start_cursor.",
                },
            )
        more = start + size < len(records)
        return (
            200,
            {},
            {
                "object": "list",
                "results": records[start : start + size],
                "next_cursor": _token(start + size, "notion") if more else None,
                "has_more": more,
                "type": "page_or_database",
                "page_or_database": {},
            },
        )


def _matches(record, condition) -> bool:
    """A tiny Notion-style filter: {"property": "n", "number": {"less_than_or_equal_to": k}}, or
    {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": iso}}."""
    if not condition:
        return True
    if condition.get("timestamp") == "last_edited_time":
        return record["last_edited_time"] >= condition["last_edited_time"]["on_or_after"]
    limit = condition.get("number", {}).get("less_than_or_equal_to")
    return limit is None or record["properties"][condition["property"]] <= limit


class HubSpotSearch(VendorServer):
    """HubSpot CRM search ``POST /crm/v3/objects/contacts/search``: a body with ``filterGroups``,
    ``sorts``, ``properties``, ``limit`` (a number, at most 200) and ``after``; ``{"total", "results",
    "paging": {"next": {"after"}}}``, no ``paging`` on the last page.
    https://developers.hubspot.com/docs/api/crm/search"""

    name = "hubspot-search"
    path = "/crm/v3/objects/contacts/search"
    records = 25
    page_size = 10
    api_key = "pat-na1-search-0123"

    def record(self, number):
        return {"id": str(600 + number), "properties": {"email": f"c{number}@example.com"}, "archived": False}

    def respond(self, path, query, headers):
        return (
            405,
            {},
            {"status": "error", "message": "Method GET not allowed", "category": "METHOD_NOT_ALLOWED"},
        )

    def respond_post(self, path, body, headers):
        limit = body.get("limit", self.page_size)
        if not isinstance(limit, int) or not 1 <= limit <= 200:
            return (
                400,
                {},
                {
                    "status": "error",
                    "message": "limit must be a number up to 200",
                    "category": "VALIDATION_ERROR",
                },
            )
        records = self.all_records()
        after = str(body.get("after", "0"))
        start = int(after) if after.isdigit() else 0
        answer = {"total": len(records), "results": records[start : start + limit]}
        if start + limit < len(records):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return 200, {}, answer


class Jira(BasicAuthVendor):
    """Jira Cloud issue search (``GET /rest/api/3/search?jql=...``): ``{"expand", "startAt",
    "maxResults", "total", "issues"}``; ``startAt`` / ``maxResults`` (default 50, capped);
    Basic auth with the account e-mail and an API token.
    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/"""

    name = "jira"
    path = "/rest/api/3/search"
    records = 29
    page_size = 10
    api_key = "ATATT3xFfGF0-fake-jira-token"
    user = "ada@example.com"  # the account e-mail

    def record(self, number):
        return {"id": str(10000 + number), "key": f"PRJ-{number}", "fields": {"summary": f"Issue {number}"}}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"jql": "project = PRJ ORDER BY key"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "maxResults")
        start = int(query.get("startAt", "0") or 0)
        return (
            200,
            {},
            {
                "expand": "names,schema",
                "startAt": start,
                "maxResults": size,
                "total": len(records),
                "issues": records[start : start + size],
            },
        )


class WordPress(BasicAuthVendor):
    """WordPress REST API (``GET /wp-json/wp/v2/posts``): a JSON list; ``page`` / ``per_page``
    (default 10); ``X-WP-Total`` and ``X-WP-TotalPages`` headers and a ``Link`` header with
    ``rel="next"``; a page past the last one answers 400 ``rest_post_invalid_page_number``.
    https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/"""

    name = "wordpress"
    path = "/wp-json/wp/v2/posts"
    records = 13
    page_size = 5
    api_key = "abcd EFGH 1234 ijkl MNOP 6789"  # an application password
    user = "editor"
    send_link = True

    def record(self, number):
        return {"id": number, "slug": f"post-{number}", "title": {"rendered": f"Post {number}"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        page = int(query.get("page", "1") or 1)
        pages = max(1, -(-len(records) // size))
        if page > pages:
            return (
                400,
                {},
                {
                    "code": "rest_post_invalid_page_number",
                    "message": "The page number requested is larger than the number of pages available.",
                    "data": {"status": 400},
                },
            )
        out = {"X-WP-Total": str(len(records)), "X-WP-TotalPages": str(pages)}
        if self.send_link and page < pages:
            out["Link"] = f'<{self.url}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        start = (page - 1) * size
        return 200, out, records[start : start + size]


class GitHub(VendorServer):
    """GitHub REST (``GET /repos/{owner}/{repo}/issues``): a JSON list; ``per_page`` (default 30)
    and ``page``; a ``Link`` header with ``next``, ``last``, ``first``, ``prev``; no ``next`` on the
    last page. https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api"""

    name = "github"
    path = "/repos/octocat/hello-world/issues"
    records = 31
    page_size = 10
    api_key = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"

    def record(self, number):
        return {"id": 1_000_000 + number, "number": number, "title": f"Issue {number}", "state": "open"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        page = int(query.get("page", "1") or 1)
        pages = max(1, -(-len(records) // size))

        def link(number):
            return f"{self.url}?{urlencode({**query, 'page': number})}"

        links = []
        if page < pages:
            links += [f'<{link(page + 1)}>; rel="next"', f'<{link(pages)}>; rel="last"']
        if page > 1:
            links += [f'<{link(1)}>; rel="first"', f'<{link(page - 1)}>; rel="prev"']
        start = (page - 1) * size
        return 200, {"Link": ", ".join(links)} if links else {}, records[start : start + size]


class Shopify(VendorServer):
    """Shopify Admin REST (``GET /admin/api/2024-01/products.json``): ``{"products"}``; ``limit``
    (default 50) and cursor-based ``page_info`` in the ``Link`` header; a request with ``page_info``
    may carry no other parameter than ``limit`` and ``fields`` (400 otherwise); auth header
    ``X-Shopify-Access-Token``. https://shopify.dev/docs/api/admin-rest/usage/pagination"""

    name = "shopify"
    path = "/admin/api/2024-01/products.json"
    records = 9
    page_size = 4
    api_key = "shpat_0123456789abcdef0123456789abcdef"

    def authorized(self, headers):
        return headers.get("X-Shopify-Access-Token") == self.api_key

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Shopify-Access-Token",
            "query_params": {"status": "active"},
        }

    def record(self, number):
        return {"id": 632910392 + number, "title": f"Product {number}", "status": "active"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "limit")
        start = 0
        if "page_info" in query:
            if set(query) - {"page_info", "limit", "fields"}:
                return 400, {}, {"errors": {"page_info": ["Invalid value."]}}
            start = _position(query["page_info"], "shop")
            if start is None:
                return 400, {}, {"errors": {"page_info": ["Invalid value."]}}
        links = []
        if start + size < len(records):
            links.append(f'<{self.url}?limit={size}&page_info={_token(start + size, "shop")}>; rel="next"')
        if start:
            links.append(
                f'<{self.url}?limit={size}&page_info={_token(max(0, start - size), "shop")}>; rel="previous"'
            )
        return 200, {"Link": ", ".join(links)} if links else {}, {"products": records[start : start + size]}


class Zendesk(VendorServer):
    """Zendesk Support (``GET /api/v2/users.json``). Without ``page[size]``: offset pagination,
    ``{"users", "next_page": <absolute URL or null>, "previous_page", "count"}``, ``per_page``
    (default 100). With ``page[size]``: cursor pagination, ``{"users", "meta": {"has_more",
    "after_cursor", "before_cursor"}, "links": {"next", "prev"}}``; on the last page ``has_more`` is
    false (the next link is still there). https://developer.zendesk.com/api-reference/introduction/pagination/"""

    name = "zendesk"
    path = "/api/v2/users.json"
    records = 23
    page_size = 10
    api_key = "zd-oauth-token-0123456789"

    def record(self, number):
        return {"id": 35436 + number, "name": f"User {number}", "role": "end-user"}

    def respond(self, path, query, headers):
        records = self.all_records()
        if "page[size]" in query:
            size = self.size(query, "page[size]")
            start = _position(query["page[after]"], "zd") if query.get("page[after]") else 0
            if start is None:
                return 400, {}, {"error": "InvalidPaginationParameter"}
            end = min(start + size, len(records))
            after = _token(end, "zd")
            return (
                200,
                {},
                {
                    "users": records[start:end],
                    "meta": {
                        "has_more": end < len(records),
                        "after_cursor": after,
                        "before_cursor": _token(start, "zd"),
                    },
                    "links": {
                        "next": f"{self.url}?{urlencode({'page[size]': size, 'page[after]': after})}",
                        "prev": f"{self.url}?"
                        + urlencode({"page[size]": size, "page[before]": _token(start, "zd")}),
                    },
                },
            )
        size = self.size(query, "per_page")
        page = int(query.get("page", "1") or 1)
        start = (page - 1) * size
        pages = max(1, -(-len(records) // size))
        return (
            200,
            {},
            {
                "users": records[start : start + size],
                "next_page": f"{self.url}?{urlencode({**query, 'page': page + 1})}" if page < pages else None,
                "previous_page": f"{self.url}?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
                "count": len(records),
            },
        )


class JsonApi(VendorServer):
    """A JSON:API server (``GET /articles``): ``{"data": [{"type", "id", "attributes"}], "links":
    {"self", "first", "prev", "next", "last"}, "meta"}`` with ``page[number]`` / ``page[size]``;
    ``links.next`` is null on the last page. https://jsonapi.org/format/#fetching-pagination"""

    name = "jsonapi"
    path = "/articles"
    records = 11
    page_size = 3

    def record(self, number):
        return {"type": "articles", "id": str(number), "attributes": {"title": f"Article {number}"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page[size]")
        number = int(query.get("page[number]", "1") or 1)
        pages = max(1, -(-len(records) // size))

        def link(page_number):
            return f"{self.url}?{urlencode({'page[number]': page_number, 'page[size]': size})}"

        start = (number - 1) * size
        return (
            200,
            {"Content-Type": "application/vnd.api+json"},
            {
                "data": records[start : start + size],
                "links": {
                    "self": link(number),
                    "first": link(1),
                    "prev": link(number - 1) if number > 1 else None,
                    "next": link(number + 1) if number < pages else None,
                    "last": link(pages),
                },
                "meta": {"totalPages": pages},
            },
        )


class JsonApiOmittedNext(JsonApi):
    """A JSON:API server that omits the links it does not have rather than answering null (``prev``
    on the first page, ``next`` on the last: "Keys MUST either be omitted or have a null value to
    indicate that a particular link is unavailable", https://jsonapi.org/format/#fetching-pagination),
    75 articles, 25 a page, counted in ``meta.total`` (``announce_total = False``: no ``meta``)."""

    name = "jsonapi-omitted-next"
    records = 75
    page_size = 25
    announce_total = True

    def respond(self, path, query, headers):
        status, response_headers, body = super().respond(path, query, headers)
        body["links"] = {key: value for key, value in body["links"].items() if value is not None}
        if self.announce_total:
            body["meta"] = {"total": self.records}
        else:
            del body["meta"]
        return status, response_headers, body


VENDORS = (
    Stripe,
    HubSpot,
    Slack,
    XApiV2,
    Airtable,
    GoogleDrive,
    Salesforce,
    MicrosoftGraph,
    Jira,
    WordPress,
    GitHub,
    Shopify,
    Zendesk,
    JsonApi,
)


# -- a second round of vendors -------------------------------------------------------------------


class Sentry(VendorServer):
    """Sentry (``GET /api/0/organizations/{org}/issues/``): a JSON list; a ``cursor`` parameter
    (``<id>:<row offset>:<is_prev>``) and a ``Link`` header that ALWAYS names a ``previous`` and a
    ``next`` page, each with ``results="true"`` or ``results="false"``: the last page's next link
    says ``results="false"``, and following it answers an empty list whose next link says the same.
    https://docs.sentry.io/api/pagination/"""

    name = "sentry"
    path = "/api/0/organizations/acme/issues/"
    records = 23
    page_size = 10  # 100 on sentry.io
    api_key = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_fakeAuthToken"

    def record(self, number):
        return {"id": str(4_500_000_000 + number), "shortId": f"ACME-{number}", "title": f"Error {number}"}

    def respond(self, path, query, headers):
        records = self.all_records()
        start = 0
        if "cursor" in query:
            parts = query["cursor"].split(":")
            if len(parts) != 3 or not all(part.lstrip("-").isdigit() for part in parts):
                return 400, {}, {"detail": "Invalid cursor parameter."}
            start = max(0, int(parts[1]))
        size = self.page_size
        end = start + size

        def link(offset, is_prev, rel, results):
            cursor = f"0:{offset}:{is_prev}"
            return f'<{self.url}?&cursor={cursor}>; rel="{rel}"; results="{results}"; cursor="{cursor}"'

        previous = link(max(0, start - size), 1, "previous", "true" if start else "false")
        following = link(end, 0, "next", "true" if end < len(records) else "false")
        return 200, {"Link": f"{previous}, {following}"}, records[start:end]


class Pipedrive(VendorServer):
    """Pipedrive API v1 list endpoints (``GET /api/v1/deals``): ``{"success": true, "data": [...],
    "additional_data": {"pagination": {"start", "limit", "more_items_in_collection", "next_start"}}}``;
    ``start`` / ``limit`` (default 100, at most 500). An empty list answers ``"data": null``.
    https://pipedrive.readme.io/docs/core-api-concepts-pagination,
    https://pipedrive.readme.io/docs/core-api-concepts-responses"""

    name = "pipedrive"
    path = "/api/v1/deals"
    records = 17
    page_size = 5
    requests_past_the_end = 3
    errors_with_http_200 = False
    api_key = "pipedrive-oauth-access-token-0123"

    def record(self, number):
        return {"id": number, "title": f"Deal {number}", "value": 100 * number, "currency": "EUR"}

    def respond(self, path, query, headers):
        if self.errors_with_http_200:
            return (
                200,
                {},
                {
                    "success": False,
                    "error": "Scope and URL mismatch",
                    "error_info": "Please check developers.pipedrive.com for more information.",
                    "data": None,
                    "additional_data": None,
                },
            )
        records = self.all_records()
        limit = self.size(query, "limit")
        start = int(query.get("start", "0") or 0) if str(query.get("start", "0")).isdigit() else 0
        page = records[start : start + limit]
        more = start + limit < len(records)
        pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return (
            200,
            {},
            {"success": True, "data": page or None, "additional_data": {"pagination": pagination}},
        )


class PipedriveV2(VendorServer):
    """Pipedrive API v2 list endpoints (``GET /api/v2/deals``): ``{"success": true, "data": [...],
    "additional_data": {"next_cursor": "..." | null}}``; ``cursor`` / ``limit`` (default 100, at most
    500). https://pipedrive.readme.io/docs/core-api-concepts-pagination (Cursor pagination)"""

    name = "pipedrive-v2"
    path = "/api/v2/deals"
    records = 13
    page_size = 5
    api_key = "pipedrive-oauth-access-token-v2"

    def record(self, number):
        return {"id": number, "title": f"Deal {number}", "value": 100 * number}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["cursor"], "pd") if query.get("cursor") else 0
        if start is None:
            return (
                400,
                {},
                {"success": False, "error": "Invalid cursor", "code": "ERR_SCHEMA_VALIDATION_FAILED"},
            )
        more = start + limit < len(records)
        return (
            200,
            {},
            {
                "success": True,
                "data": records[start : start + limit],
                "additional_data": {"next_cursor": _token(start + limit, "pd") if more else None},
            },
        )


class Asana(VendorServer):
    """Asana (``GET /api/1.0/tasks?project=...&limit=...``): ``{"data": [...], "next_page": {"offset",
    "path", "uri"} | null}``; ``path`` is relative to ``/api/1.0``, ``uri`` is absolute. Paginated
    only when ``limit`` is given (1 to 100). https://developers.asana.com/docs/pagination"""

    name = "asana"
    path = "/api/1.0/tasks"
    records = 17
    page_size = 5
    max_page_size = 100
    api_key = "2/1200000000000000/1200000000000001:fakeasanapat"

    def record(self, number):
        return {"gid": str(1_200_000_000 + number), "name": f"Task {number}", "resource_type": "task"}

    def connector_fields(self):
        # The docs' request: the project, and the page size that turns pagination on.
        return {
            **super().connector_fields(),
            "query_params": {"project": "1200", "limit": str(self.page_size)},
            "primary_key": "gid",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        if "limit" not in query:
            return 200, {}, {"data": records}  # a "grandfathered" endpoint: everything, unpaginated
        limit = self.size(query, "limit")
        start = _position(query["offset"], "asana") if "offset" in query else 0
        if start is None:
            return 400, {}, {"errors": [{"message": "offset: Your pagination token is invalid."}]}
        next_page = None
        if start + limit < len(records):
            offset = _token(start + limit, "asana")
            rest = urlencode({**{k: v for k, v in query.items() if k != "offset"}, "offset": offset})
            next_page = {"offset": offset, "path": f"/tasks?{rest}", "uri": f"{self.url}?{rest}"}
        return 200, {}, {"data": records[start : start + limit], "next_page": next_page}


class Twilio(BasicAuthVendor):
    """Twilio 2010 API list resources (``GET /2010-04-01/Accounts/{Sid}/Messages.json``): the list
    is named after the resource (``messages``) beside ``end``, ``first_page_uri``, ``next_page_uri``
    (a path with ``Page``, ``PageSize`` and ``PageToken``; null on the last page), ``page``,
    ``page_size``, ``previous_page_uri``, ``start``, ``uri``; a page past the first needs the
    ``PageToken`` of the ``next_page_uri`` (error 21481 otherwise). Basic auth: the Account SID and
    the auth token. https://www.twilio.com/docs/usage/twilios-response,
    https://www.twilio.com/docs/api/errors/21481"""

    name = "twilio"
    user = "AC0123456789abcdef0123456789abcdef"
    path = f"/2010-04-01/Accounts/{user}/Messages.json"
    records = 23
    page_size = 10  # PageSize, default 50
    api_key = "twilio-auth-token-0123456789abcdef"

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "sid"}

    def record(self, number):
        sid = f"SM{number:032x}"
        return {
            "sid": sid,
            "body": f"Message {number}",
            "status": "delivered",
            "uri": f"/Messages/{sid}.json",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "PageSize")
        page = int(query.get("Page", "0") or 0) if str(query.get("Page", "0")).isdigit() else 0
        if page and _position(query.get("PageToken", ""), "PA") != page * size:
            return (
                400,
                {},
                {
                    "code": 21481,
                    "message": "Invalid PageToken",
                    "more_info": "https://www.twilio.com/docs/errors/21481",
                    "status": 400,
                },
            )
        start = page * size

        def uri(number, token=True):
            params = {"PageSize": size, "Page": number}
            if token and number:
                params["PageToken"] = _token(number * size, "PA")
            return f"{self.path}?{urlencode(params)}"

        page_records = records[start : start + size]
        return (
            200,
            {},
            {
                "end": start + max(len(page_records), 1) - 1,
                "first_page_uri": uri(0),
                "messages": page_records,
                "next_page_uri": uri(page + 1) if start + size < len(records) else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": start,
                "uri": uri(page),
            },
        )


class Mailchimp(BasicAuthVendor):
    """Mailchimp Marketing API (``GET /3.0/lists/{list_id}/members``): ``{"members": [...], "list_id",
    "total_items", "_links": [{"rel", "href", "method", "targetSchema", "schema"}, ...]}``: the list
    is named after the resource, and ``_links`` is a list of objects too; ``offset`` / ``count``
    (default 10, at most 1000). Basic auth with any user name and the API key.
    https://mailchimp.com/developer/marketing/docs/methods-parameters/ (Pagination)"""

    name = "mailchimp"
    path = "/3.0/lists/57afe96172/members"
    records = 23
    page_size = 10
    max_page_size = 1000
    api_key = "0123456789abcdef0123456789abcdef-us6"
    user = "anystring"

    def record(self, number):
        return {"id": f"{number:032x}", "email_address": f"m{number}@example.com", "status": "subscribed"}

    def respond(self, path, query, headers):
        records = self.all_records()
        count = self.size(query, "count")
        offset = int(query.get("offset", "0")) if str(query.get("offset", "0")).isdigit() else 0
        links = [
            {
                "rel": "self",
                "href": f"{self.url}",
                "method": "GET",
                "targetSchema": "https://us6.api.mailchimp.com/schema/3.0/Definitions/Lists/Members/CollectionResponse.json",
                "schema": "https://us6.api.mailchimp.com/schema/3.0/Paths/Lists/Members/Collection.json",
            },
            {
                "rel": "parent",
                "href": self.url.rsplit("/members", 1)[0],
                "method": "GET",
                "targetSchema": "https://us6.api.mailchimp.com/schema/3.0/Definitions/Lists/Response.json",
            },
        ]
        return (
            200,
            {},
            {
                "members": records[offset : offset + count],
                "list_id": "57afe96172",
                "total_items": len(records),
                "_links": links,
            },
        )


class Intercom(VendorServer):
    """Intercom list contacts (``GET /contacts``): ``{"type": "list", "data": [...], "total_count",
    "pages": {"type": "pages", "next": {"page", "starting_after"}, "page", "per_page",
    "total_pages"}}``; ``per_page`` (default 50, at most 150) and ``starting_after``; no ``next`` on
    the last page; pages cannot be reached by number (``page`` / ``offset`` are not cursors).
    https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination-cursor"""

    name = "intercom"
    path = "/contacts"
    records = 23
    page_size = 10
    max_page_size = 150
    api_key = "dG9rOmZha2VfaW50ZXJjb21fdG9rZW4="

    def record(self, number):
        return {"type": "contact", "id": f"6{number:023x}", "email": f"c{number}@example.com", "role": "user"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        start = _position(query["starting_after"], "ic") if query.get("starting_after") else 0
        if start is None:
            return (
                400,
                {},
                {"type": "error.list", "errors": [{"code": "parameter_invalid", "message": "bad cursor"}]},
            )
        pages = {
            "type": "pages",
            "page": start // size + 1,
            "per_page": size,
            "total_pages": max(1, -(-len(records) // size)),
        }
        if start + size < len(records):
            pages["next"] = {"page": start // size + 2, "starting_after": _token(start + size, "ic")}
        return (
            200,
            {},
            {
                "type": "list",
                "data": records[start : start + size],
                "total_count": len(records),
                "pages": pages,
            },
        )


class IntercomSearch(Intercom):
    """Intercom's contact search (``POST /contacts/search``): a body ``{"query": {...}, "pagination":
    {"per_page", "starting_after"}}``; the answer as the list's (``pages.next.starting_after``).
    A ``starting_after`` anywhere else (the query string, the top of the body) is not read: page 1
    comes again. A body without ``query`` is a 400.
    https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination-sorting-search"""

    name = "intercom-search"
    path = "/contacts/search"

    def respond(self, path, query, headers):
        return (
            404,
            {},
            {"type": "error.list", "errors": [{"code": "not_found", "message": "Resource Not Found"}]},
        )

    def respond_post(self, path, body, headers):
        if not isinstance(body.get("query"), dict):
            return (
                400,
                {},
                {
                    "type": "error.list",
                    "errors": [{"code": "parameter_invalid", "message": "query required"}],
                },
            )
        paging = body.get("pagination") or {}
        size = paging.get("per_page", self.page_size)
        if not isinstance(size, int) or not 1 <= size <= self.max_page_size:
            return (
                400,
                {},
                {"type": "error.list", "errors": [{"code": "parameter_invalid", "message": "per_page"}]},
            )
        query = {"per_page": str(size)}
        if paging.get("starting_after"):
            query["starting_after"] = paging["starting_after"]
        return super().respond(path, query, headers)


class Zoom(VendorServer):
    """Zoom list users (``GET /v2/users``): ``{"page_count", "page_number", "page_size",
    "total_records", "next_page_token", "users"}``; ``page_size`` (default 30, at most 300) and
    ``next_page_token`` (sent back under that name); ``next_page_token`` is ``""`` on the last page.
    https://developers.zoom.us/docs/api/pagination/"""

    name = "zoom"
    path = "/v2/users"
    records = 23
    page_size = 10
    max_page_size = 300
    api_key = "eyJzdiI6IjAwMDAwMSJ9.fake.zoom"

    def record(self, number):
        return {
            "id": f"KDcuGIm{number:015d}",
            "email": f"u{number}@example.com",
            "type": 1,
            "status": "active",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page_size")
        start = _position(query["next_page_token"], "zm") if query.get("next_page_token") else 0
        if start is None:
            return 400, {}, {"code": 300, "message": "Invalid next_page_token."}
        more = start + size < len(records)
        return (
            200,
            {},
            {
                "page_count": max(1, -(-len(records) // size)),
                "page_number": start // size + 1,
                "page_size": size,
                "total_records": len(records),
                "next_page_token": _token(start + size, "zm") if more else "",
                "users": records[start : start + size],
            },
        )


class ConfluenceV1(BasicAuthVendor):
    """Confluence Cloud REST v1 (``GET /wiki/rest/api/content?spaceKey=DS``): ``{"results", "start",
    "limit", "size", "_links": {"base", "context", "next", "self"}}`` where ``_links.next`` is
    relative to ``_links.base`` (the site with its ``/wiki`` context path), not to the host; no
    ``next`` on the last page; ``start`` / ``limit`` (default 25).
    https://developer.atlassian.com/server/confluence/pagination-in-the-rest-api/"""

    name = "confluence-v1"
    context = "/wiki"
    path = "/wiki/rest/api/content"
    records = 13
    page_size = 5
    api_key = "ATATT3xFfGF0-fake-confluence-token"
    user = "ada@example.com"

    def record(self, number):
        return {"id": str(98300 + number), "type": "page", "status": "current", "title": f"Page {number}"}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"spaceKey": "DS"}}

    def respond(self, path, query, headers):
        if path != self.path:
            return 404, {}, {"statusCode": 404, "message": "null for uri: " + path}
        records = self.all_records()
        limit = self.size(query, "limit")
        start = int(query.get("start", "0")) if str(query.get("start", "0")).isdigit() else 0
        page = records[start : start + limit]
        links = {
            "base": self.base + self.context,
            "context": self.context,
            "self": self.url,
        }
        if start + limit < len(records):
            rest = urlencode({**query, "limit": limit, "start": start + limit})
            links["next"] = f"{self.path[len(self.context) :]}?{rest}"
        return 200, {}, {"results": page, "start": start, "limit": limit, "size": len(page), "_links": links}


class ConfluenceV2(BasicAuthVendor):
    """Confluence Cloud REST v2 (``GET /wiki/api/v2/pages``): ``{"results", "_links": {"next",
    "base"}}`` and a ``Link: </wiki/api/v2/pages?cursor=...>; rel="next"`` header, both relative
    to the host; ``cursor`` / ``limit`` (default 25).
    https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#about (Pagination)"""

    name = "confluence-v2"
    path = "/wiki/api/v2/pages"
    records = 13
    page_size = 5
    api_key = "ATATT3xFfGF0-fake-confluence-token"
    user = "ada@example.com"

    def record(self, number):
        return {"id": str(98300 + number), "status": "current", "title": f"Page {number}", "spaceId": "1"}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["cursor"], "cf") if query.get("cursor") else 0
        if start is None:
            return (
                400,
                {},
                {"errors": [{"status": 400, "code": "INVALID_REQUEST_PARAMETER", "title": "cursor"}]},
            )
        body = {"results": records[start : start + limit], "_links": {"base": self.base + "/wiki"}}
        out = {}
        if start + limit < len(records):
            following = f"{self.path}?{urlencode({'limit': limit, 'cursor': _token(start + limit, 'cf')})}"
            body["_links"]["next"] = following
            out["Link"] = f'<{following}>; rel="next"'
        return 200, out, body


class PagerDuty(VendorServer):
    """PagerDuty REST v2 classic pagination (``GET /users``): ``{"users", "limit", "offset", "more",
    "total": null}`` (``total`` only with ``total=true``); ``offset`` / ``limit`` (default 25, at
    most 100); auth header ``Authorization: Token token=<key>``.
    https://developer.pagerduty.com/docs/pagination"""

    name = "pagerduty"
    path = "/users"
    records = 23
    page_size = 10
    requests_past_the_end = 3
    api_key = "y_NbAkKc66ryYTWUXYEu"

    def authorized(self, headers):
        return headers.get("Authorization") == f"Token token={self.api_key}"

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"Token token={self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "request_headers": {"Accept": "application/vnd.pagerduty+json;version=2"},
        }

    def record(self, number):
        return {
            "id": f"P{number:06d}",
            "type": "user",
            "name": f"User {number}",
            "email": f"u{number}@example.com",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        offset = int(query.get("offset", "0")) if str(query.get("offset", "0")).isdigit() else 0
        total = len(records) if query.get("total") == "true" else None
        return (
            200,
            {},
            {
                "users": records[offset : offset + limit],
                "limit": limit,
                "offset": offset,
                "more": offset + limit < len(records),
                "total": total,
            },
        )


class Contentful(VendorServer):
    """Contentful Content Delivery API (``GET /spaces/{id}/environments/master/entries``):
    ``{"sys": {"type": "Array"}, "total", "skip", "limit", "items"}``; ``skip`` / ``limit``
    (default 100, at most 1000). https://www.contentful.com/developers/docs/references/content-delivery-api/#/introduction/collection-resources-and-pagination"""

    name = "contentful"
    path = "/spaces/cfexampleapi/environments/master/entries"
    records = 23
    page_size = 10
    max_page_size = 1000
    api_key = "b4c0n73n7fu1"

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "sys.id"}

    def record(self, number):
        return {"sys": {"id": f"entry{number}", "type": "Entry"}, "fields": {"title": f"Entry {number}"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        skip = int(query.get("skip", "0")) if str(query.get("skip", "0")).isdigit() else 0
        return (
            200,
            {},
            {
                "sys": {"type": "Array"},
                "total": len(records),
                "skip": skip,
                "limit": limit,
                "items": records[skip : skip + limit],
            },
        )


MORE_VENDORS = (
    Sentry,
    Pipedrive,
    PipedriveV2,
    Asana,
    Twilio,
    Mailchimp,
    Intercom,
    Zoom,
    ConfluenceV1,
    ConfluenceV2,
    PagerDuty,
    Contentful,
)


# -- a third round of vendors --------------------------------------------------------------------


class GitHubGraphQL(VendorServer):
    """GitHub GraphQL API (``POST /graphql`` with ``{"query", "variables"}``): a connection's records
    at ``data.repository.issues.nodes`` beside ``pageInfo {endCursor hasNextPage}``; ``first`` (1 to
    100, required) and ``after`` are arguments of the connection, usually passed as variables
    (``issues(first: $first, after: $cursor)``). Errors are answered with HTTP 200: ``{"errors":
    [...]}`` (``data`` null or absent), ``{"data": {"repository": null}, "errors": [{"type":
    "NOT_FOUND", ...}]}`` for a repository that does not resolve, and partial answers carry
    ``errors`` beside ``data`` (a field that could not be resolved is null). A bad token is a 401
    ``{"message": "Bad credentials"}``. An exhausted rate limit answers ``{"errors": [{"type":
    "RATE_LIMITED", "message": "API rate limit exceeded ..."}]}`` with ``X-RateLimit-Remaining: 0``
    and ``X-RateLimit-Reset`` (epoch seconds), with HTTP 200 or 403 (``rate_limited_on_page``).
    https://docs.github.com/en/graphql/guides/using-pagination-in-the-graphql-api,
    https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api"""

    name = "github-graphql"
    path = "/graphql"
    records = 23
    page_size = 10
    api_key = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
    query = (
        "query($owner: String!, $name: String!, $cursor: String) { repository(owner: $owner, name: $name) "
        "{ issues(first: 10, after: $cursor) { totalCount nodes { id number title author { login } } "
        "pageInfo { endCursor hasNextPage } } } }"
    )
    not_found = False  # the repository does not resolve: data.repository is null, with an error
    partial_on_page = None  # this page (1-based) answers with an error beside its data
    rate_limited_on_page = None  # this page (1-based) is refused as rate limited ...
    rate_limited_times = 1  # ... this many times
    rate_limit_status = 200  # GitHub answers it with 200 or 403
    rate_limit_reset_in = 1  # X-RateLimit-Reset: now + this many seconds
    refused = 0  # rate-limit answers given

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"query": self.query, "variables": {"owner": "octocat", "name": "hello-world"}},
        }

    def rate_limited(self, start: int, first: int):
        """The rate-limit answer for the page at ``start``, while it is still refused; else None."""
        if not self.refused_once(start, first, self.rate_limited_times):
            return None
        reset = int(time.time()) + self.rate_limit_reset_in
        return (
            self.rate_limit_status,
            {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
            {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 583231."}]},
        )

    def record(self, number):
        return {
            "id": _token(number, "I_kwDO"),
            "number": number,
            "title": f"Issue {number}",
            "author": {"login": f"user{number}"},
        }

    def unauthorized(self):
        return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"}

    def respond(self, path, query, headers):
        return 404, {}, {"message": "Not Found"}

    @staticmethod
    def _argument(query: str, name: str, variables: dict):
        match = re.search(rf"\b{name}\s*:\s*(\$\w+|\d+|null|\"[^\"]*\")", query)
        if match is None:
            return None
        value = match.group(1)
        if value.startswith("$"):
            return variables.get(value[1:])
        if value == "null":
            return None
        return int(value) if value.isdigit() else value.strip('"')

    def respond_post(self, path, body, headers):
        text, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(text, str) or not isinstance(variables, dict):
            return (
                200,
                {},
                {"errors": [{"message": "A query attribute must be specified and must be a string."}]},
            )
        if self.not_found:
            return (
                200,
                {},
                {
                    "data": {"repository": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["repository"],
                            "locations": [{"line": 1, "column": 58}],
                            "message": "Could not resolve to a Repository with the name "
                            "'octocat/hello-world'.",
                        }
                    ],
                },
            )
        first = self._argument(text, "first", variables)
        if not isinstance(first, int) or not 1 <= first <= 100:
            return (
                200,
                {},
                {
                    "data": None,
                    "errors": [
                        {
                            "type": "MISSING_PAGINATION_BOUNDARIES",
                            "path": ["repository", "issues"],
                            "message": "You must provide a `first` or `last` value to properly paginate the "
                            "`issues` connection.",
                        }
                    ],
                },
            )
        after = self._argument(text, "after", variables)
        start = 0
        if after is not None:
            start = _position(str(after), "ghgql")
            if start is None:
                return (
                    200,
                    {},
                    {
                        "data": None,
                        "errors": [{"message": f"`{after}` does not appear to be a valid cursor."}],
                    },
                )
        limited = self.rate_limited(start, first)
        if limited is not None:
            return limited
        records = self.all_records()
        nodes = records[start : start + first]
        end = start + len(nodes)
        answer = {
            "data": {
                "repository": {
                    "issues": {
                        "totalCount": len(records),
                        "nodes": nodes,
                        "pageInfo": {
                            "endCursor": _token(end, "ghgql") if nodes else None,
                            "hasNextPage": end < len(records),
                        },
                    }
                }
            }
        }
        if self.partial_on_page is not None and start == (self.partial_on_page - 1) * first and nodes:
            nodes[0] = {**nodes[0], "author": None}
            answer["errors"] = [
                {
                    "type": "FORBIDDEN",
                    "path": ["repository", "issues", "nodes", 0, "author"],
                    "message": "Resource not accessible by integration",
                }
            ]
        return 200, {}, answer


class ShopifyAdminGraphQL(VendorServer):
    """Shopify Admin GraphQL API (``POST /admin/api/2024-10/graphql.json``, header
    ``X-Shopify-Access-Token``): ``products(first: <= 250, after: $cursor) { nodes pageInfo {
    hasNextPage endCursor } }``; every answer carries ``extensions.cost`` (``requestedQueryCost``,
    ``actualQueryCost``, ``throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}``). A
    query that costs more than the bucket holds is answered with HTTP 200 ``{"errors": [{"message":
    "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": {"cost": ...}}`` and no data
    (``throttled_on_page``; ``restore_rate`` points come back each second).
    https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits,
    https://shopify.dev/docs/api/usage/pagination-graphql"""

    name = "shopify-graphql"
    path = "/admin/api/2024-10/graphql.json"
    records = 23
    page_size = 10
    api_key = "shpat_0123456789abcdef0123456789abcdef"
    query = (
        "query($cursor: String) { products(first: 10, after: $cursor) { nodes { id title status } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    query_cost = 12
    maximum = 2000.0
    restore_rate = 100.0
    throttled_on_page = None  # this page (1-based) is throttled ...
    throttled_times = 1  # ... this many times
    available_when_throttled = 10.0  # the bucket then (the query costs query_cost)
    throttled = 0  # throttled answers given

    def authorized(self, headers):
        return headers.get("X-Shopify-Access-Token") == self.api_key

    def unauthorized(self):
        message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
        return 401, {}, {"errors": message}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Shopify-Access-Token",
            "request_method": "POST",
            "request_body": {"query": self.query, "variables": {}},
        }

    def record(self, number):
        gid = f"gid://shopify/Product/{632910392 + number}"
        return {"id": gid, "title": f"Product {number}", "status": "ACTIVE"}

    def respond(self, path, query, headers):
        return 404, {}, {"errors": "Not Found"}

    def cost(self, *, throttled: bool) -> dict:
        available = self.available_when_throttled if throttled else self.maximum - self.query_cost
        return {
            "requestedQueryCost": self.query_cost,
            "actualQueryCost": None if throttled else self.query_cost,
            "throttleStatus": {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": available,
                "restoreRate": self.restore_rate,
            },
        }

    def respond_post(self, path, body, headers):
        text, variables = body.get("query"), body.get("variables") or {}
        first = GitHubGraphQL._argument(text or "", "first", variables)
        if not isinstance(first, int) or not 1 <= first <= 250:
            return 200, {}, {"errors": [{"message": "first: must be between 1 and 250."}]}
        after = GitHubGraphQL._argument(text, "after", variables)
        start = 0 if after is None else _position(str(after), "shopgql")
        if start is None:
            return 200, {}, {"errors": [{"message": "Invalid cursor for current pagination sort."}]}
        if self.throttled_on_page is not None and start == (self.throttled_on_page - 1) * first:
            with self._lock:
                throttle = self.throttled < self.throttled_times
                self.throttled += throttle
            if throttle:
                answer = {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": {"cost": self.cost(throttled=True)},
                }
                return 200, {}, answer
        records = self.all_records()
        nodes = records[start : start + first]
        end = start + len(nodes)
        return (
            200,
            {},
            {
                "data": {
                    "products": {
                        "nodes": nodes,
                        "pageInfo": {
                            "hasNextPage": end < len(records),
                            "endCursor": _token(end, "shopgql") if nodes else None,
                        },
                    }
                },
                "extensions": {"cost": self.cost(throttled=False)},
            },
        )


class Typeform(VendorServer):
    """Typeform Responses API (``GET /forms/{form_id}/responses``): ``{"total_items", "page_count",
    "items": [...]}``, newest first; ``page_size`` (default 25, at most 1000) and ``before`` / ``after``
    (a response's ``token``: the responses submitted before / after it); ``total_items`` and
    ``page_count`` count what the request matches, so they shrink as ``before`` moves on; no ``page``
    parameter. Auth header ``Authorization: Bearer <personal access token>``.
    https://www.typeform.com/developers/responses/reference/retrieve-responses/"""

    name = "typeform"
    path = "/forms/u6nXL7/responses"
    records = 23
    page_size = 10
    max_page_size = 1000
    api_key = "tfp_0123456789abcdefghijklmnopqrstuvwxyz"

    def record(self, number):
        token = f"a{number:04d}kfs9x0tmk2x9a{number:04d}"
        return {
            "landing_id": token,
            "token": token,
            "submitted_at": f"2024-01-01T00:{number // 60:02d}:{number % 60:02d}Z",
            "answers": [
                {"type": "text", "text": f"answer {number}", "field": {"id": "q1", "type": "short_text"}}
            ],
        }

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "token"}

    def respond(self, path, query, headers):
        newest_first = list(reversed(self.all_records()))
        if "before" in query:
            tokens = [item["token"] for item in newest_first]
            if query["before"] not in tokens:
                return 400, {}, {"code": "VALIDATION_ERROR", "description": "invalid token in before"}
            newest_first = newest_first[tokens.index(query["before"]) + 1 :]
        size = self.size(query, "page_size", default=25)
        return (
            200,
            {},
            {
                "total_items": len(newest_first),
                "page_count": max(1, -(-len(newest_first) // size)),
                "items": newest_first[:size],
            },
        )


class GitLab(VendorServer):
    """GitLab REST v4 (``GET /api/v4/projects/:id/issues``): a JSON list; ``page`` / ``per_page``
    (default 20, at most 100); the ``Link`` header (``prev``, ``next``, ``first``, ``last``) and the
    ``X-Page``, ``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``, ``X-Total-Pages``
    headers (``X-Next-Page`` empty on the last page). Past 10,000 records GitLab.com leaves out
    ``X-Total``, ``X-Total-Pages`` and ``rel="last"`` (``counted = False``). With
    ``pagination=keyset`` (and ``order_by=id``): only a ``Link`` ``rel="next"`` carrying
    ``id_after``, absent on the last page. Auth header ``PRIVATE-TOKEN``; 401 ``{"message": "401
    Unauthorized"}``. https://docs.gitlab.com/api/rest/#pagination"""

    name = "gitlab"
    path = "/api/v4/projects/8/issues"
    records = 23
    page_size = 5
    counted = True
    api_key = "glpat-0123456789abcdefghij"

    def authorized(self, headers):
        return headers.get("PRIVATE-TOKEN") == self.api_key

    def unauthorized(self):
        return 401, {}, {"message": "401 Unauthorized"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "PRIVATE-TOKEN",
        }

    def record(self, number):
        # ids are not contiguous: keyset links move by uneven steps
        return {"id": 76_000 + number * number, "iid": number, "title": f"Issue {number}", "state": "opened"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        if query.get("pagination") == "keyset":
            after = int(query["id_after"]) if str(query.get("id_after", "")).isdigit() else None
            remaining = [r for r in records if after is None or r["id"] > after]
            page = remaining[:size]
            out = {}
            if len(remaining) > size:
                link = f"{self.url}?{urlencode({**query, 'id_after': page[-1]['id']})}"
                out["Link"] = f'<{link}>; rel="next"'
            return 200, out, page
        number = int(query.get("page", "1") or 1)
        pages = max(1, -(-len(records) // size))
        if number > pages:
            return 200, {"X-Page": str(number), "X-Per-Page": str(size), "X-Next-Page": ""}, []

        def link(page_number):
            return f"{self.url}?{urlencode({**query, 'page': page_number, 'per_page': size})}"

        links, out = [], {"X-Page": str(number), "X-Per-Page": str(size)}
        out["X-Next-Page"] = str(number + 1) if number < pages else ""
        out["X-Prev-Page"] = str(number - 1) if number > 1 else ""
        if number > 1:
            links.append(f'<{link(number - 1)}>; rel="prev"')
        if number < pages:
            links.append(f'<{link(number + 1)}>; rel="next"')
        links.append(f'<{link(1)}>; rel="first"')
        if self.counted:
            links.append(f'<{link(pages)}>; rel="last"')
            out.update({"X-Total": str(len(records)), "X-Total-Pages": str(pages)})
        out["Link"] = ", ".join(links)
        start = (number - 1) * size
        return 200, out, records[start : start + size]


class Square(VendorServer):
    """Square ``SearchCustomers`` (``POST /v2/customers/search``): the body's ``limit`` (1 to 100)
    and ``cursor``; ``{"customers": [...], "cursor": "..."}``, no ``cursor`` on the last page, and
    an empty object ``{}`` when nothing matches. Errors: ``{"errors": [{"category", "code",
    "detail"}]}`` (401 ``UNAUTHORIZED``). https://developer.squareup.com/docs/build-basics/common-api-patterns/pagination,
    https://developer.squareup.com/reference/square/customers-api/search-customers"""

    name = "square"
    path = "/v2/customers/search"
    records = 23
    page_size = 10
    api_key = "EAAAEOuLQPXmW9vzOMkzmYcUBsbqb4cRmNtkWbUxXMzUpBlRrNMeSkmY"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_headers": {"Square-Version": "2024-01-18"},
            "request_body": {
                "limit": self.page_size,
                "query": {"sort": {"field": "CREATED_AT", "order": "ASC"}},
            },
        }

    def unauthorized(self):
        return (
            401,
            {},
            {
                "errors": [
                    {
                        "category": "AUTHENTICATION_ERROR",
                        "code": "UNAUTHORIZED",
                        "detail": "This request could not be authorized.",
                    }
                ]
            },
        )

    def record(self, number):
        return {
            "id": f"JDKYHBWT1D4F8MFH63DBMEN{number:03d}",
            "given_name": f"Given{number}",
            "email_address": f"c{number}@example.com",
            "created_at": f"2024-01-{number:02d}T00:00:00Z",
        }

    def respond(self, path, query, headers):
        return 404, {}, {"errors": [{"category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND"}]}

    def respond_post(self, path, body, headers):
        limit = body.get("limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            return (
                400,
                {},
                {
                    "errors": [
                        {"category": "INVALID_REQUEST_ERROR", "code": "INVALID_VALUE", "field": "limit"}
                    ]
                },
            )
        start = 0
        if body.get("cursor") is not None:
            start = _position(str(body["cursor"]), "sq")
            if start is None:
                return (
                    400,
                    {},
                    {
                        "errors": [
                            {
                                "category": "INVALID_REQUEST_ERROR",
                                "code": "INVALID_CURSOR",
                                "detail": "Invalid cursor",
                            }
                        ]
                    },
                )
        records = self.all_records()
        page = records[start : start + limit]
        if not page:
            return 200, {}, {}
        answer = {"customers": page}
        if start + limit < len(records):
            answer["cursor"] = _token(start + limit, "sq")
        return 200, {}, answer


class Chargebee(KeyAsUserVendor):
    """Chargebee API v2 list operations (``GET /api/v2/customers``): ``{"list": [{"customer":
    {...}}, ...], "next_offset": "..."}``, each entry wrapping the resource under its type (with
    related resources beside it); ``limit`` (1 to 100, default 10) and ``offset`` (the last answer's
    ``next_offset``, an opaque string); no ``next_offset`` on the last page. HTTP Basic with the API
    key as the user name. Errors: ``{"message", "type", "api_error_code", "http_status_code"}``.
    https://apidocs.chargebee.com/docs/api/list-ops, https://apidocs.chargebee.com/docs/api/error-handling"""

    name = "chargebee"
    path = "/api/v2/customers"
    records = 23
    page_size = 10
    api_key = "test_cdbcuKLd8ewQcuUcbGyfHQaXZG3Q0xqc"

    def unauthorized(self):
        return (
            401,
            {},
            {
                "message": "Sorry, authentication failed. Invalid api key",
                "type": "invalid_request",
                "api_error_code": "api_authentication_failed",
                "http_status_code": 401,
            },
        )

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic_key",
            "primary_key": "customer.id",
        }

    def record(self, number):
        return {
            "customer": {
                "id": f"cbdemo_{number:03d}",
                "email": f"c{number}@example.com",
                "object": "customer",
            },
            "card": {"customer_id": f"cbdemo_{number:03d}", "last4": f"{number:04d}", "object": "card"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = 0
        if query.get("offset"):
            try:
                sort_key, record_id = json.loads(query["offset"])
                start = int(record_id) - 35_000_000_000
            except (ValueError, TypeError):
                return (
                    400,
                    {},
                    {
                        "message": "offset : invalid value",
                        "type": "invalid_request",
                        "api_error_code": "invalid_request",
                        "param": "offset",
                        "http_status_code": 400,
                    },
                )
        answer = {"list": records[start : start + limit]}
        if start + limit < len(records):
            answer["next_offset"] = json.dumps(["1517505744000", str(35_000_000_000 + start + limit)])
        return 200, {}, answer


class Front(VendorServer):
    """Front Core API list endpoints (``GET /contacts``): ``{"_pagination": {"next": <URL> | null},
    "_links": {"self"}, "_results": [...]}``; ``limit`` (at most 100) and a ``page_token`` carried
    by the next URL; ``next`` is null on the last page. Errors: ``{"_error": {"status", "title",
    "message"}}``. https://dev.frontapp.com/docs/pagination"""

    name = "front"
    path = "/contacts"
    records = 23
    page_size = 10
    api_key = "eyJhbGciOiJIUzI1NiJ9.front-api-token"

    def unauthorized(self):
        return 401, {}, {"_error": {"status": 401, "title": "Unauthorized", "message": "Invalid token"}}

    def record(self, number):
        return {
            "_links": {"self": f"{self.base}/contacts/crd_{number}"},
            "id": f"crd_{number}",
            "name": f"C{number}",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = 0
        if "page_token" in query:
            start = _position(query["page_token"], "front")
            if start is None:
                return (
                    400,
                    {},
                    {"_error": {"status": 400, "title": "Bad request", "message": "Invalid page_token"}},
                )
        following = None
        if start + limit < len(records):
            following = (
                f"{self.url}?{urlencode({'limit': limit, 'page_token': _token(start + limit, 'front')})}"
            )
        return (
            200,
            {},
            {
                "_pagination": {"next": following},
                "_links": {"self": f"{self.url}?{urlencode(query)}" if query else self.url},
                "_results": records[start : start + limit],
            },
        )


class PaddleBilling(VendorServer):
    """Paddle Billing list endpoints (``GET /customers``): ``{"data": [...], "meta": {"request_id",
    "pagination": {"per_page", "next", "has_more", "estimated_total"}}}``; ``per_page`` (default 50,
    at most 200) and ``after`` (the last entity's Paddle ID), which ``meta.pagination.next`` carries
    together with the request's own parameters; on the last page ``has_more`` is false while
    ``next`` is still a URL. Errors: ``{"error": {"type", "code", "detail", "documentation_url"},
    "meta": {"request_id"}}``. https://developer.paddle.com/api-reference/about/pagination"""

    name = "paddle"
    path = "/customers"
    records = 23
    page_size = 10
    max_page_size = 200
    api_key = "pdl_live_apikey_01gtgztp8f4kek3yd4g1wrksa3"

    def unauthorized(self):
        return (
            403,
            {},
            {
                "error": {
                    "type": "request_error",
                    "code": "forbidden",
                    "detail": "You aren't permitted to perform this request.",
                    "documentation_url": "https://developer.paddle.com/v1/errors/shared/forbidden",
                },
                "meta": {"request_id": "a1b2c3"},
            },
        )

    def record(self, number):
        return {"id": f"ctm_01h{number:023d}", "email": f"c{number}@example.com", "status": "active"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        start = 0
        if query.get("after"):
            ids = [r["id"] for r in records]
            if query["after"] not in ids:
                return (
                    400,
                    {},
                    {"error": {"type": "request_error", "code": "bad_request", "detail": "Invalid after"}},
                )
            start = ids.index(query["after"]) + 1
        page = records[start : start + size]
        after = page[-1]["id"] if page else query.get("after", "")
        return (
            200,
            {},
            {
                "data": page,
                "meta": {
                    "request_id": f"req-{start}",
                    "pagination": {
                        "per_page": size,
                        "next": f"{self.url}?{urlencode({**query, 'after': after})}",
                        "has_more": start + size < len(records),
                        "estimated_total": len(records),
                    },
                },
            },
        )


class ClickUp(VendorServer):
    """ClickUp API v2 Get Tasks (``GET /api/v2/list/{list_id}/task``): ``{"tasks": [...],
    "last_page": <bool>}``; ``page`` starts at 0 (the default), 100 tasks a page, no page size
    parameter. Auth header ``Authorization: <personal token>`` (no scheme). Errors: ``{"err",
    "ECODE"}``. https://developer.clickup.com/reference/gettasks"""

    name = "clickup"
    path = "/api/v2/list/901234567/task"
    records = 23
    page_size = 10  # 100 on clickup.com
    api_key = "pk_12345678_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

    def authorized(self, headers):
        return headers.get("Authorization") == self.api_key

    def unauthorized(self):
        return 401, {}, {"err": "Token invalid", "ECODE": "OAUTH_025"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
        }

    def record(self, number):
        return {"id": f"86a{number:04d}", "name": f"Task {number}", "status": {"status": "to do"}}

    def expected_pages(self, page_size=None):
        return max(1, -(-self.records // self.page_size))

    def respond(self, path, query, headers):
        records = self.all_records()
        page = int(query.get("page", "0")) if str(query.get("page", "0")).isdigit() else 0
        start = page * self.page_size
        return (
            200,
            {},
            {
                "tasks": records[start : start + self.page_size],
                "last_page": start + self.page_size >= len(records),
            },
        )


class Xero(VendorServer):
    """Xero Accounting API (``GET /api.xro/2.0/Invoices``): ``{"Id", "Status": "OK", "ProviderName",
    "DateTimeUTC", "Invoices": [...]}``. Without ``page`` every invoice comes back in one answer, in
    summary (no line items); with ``page`` (from 1) up to ``pageSize`` (default 100, at most 1000)
    invoices with their line items, and ``pagination {page, pageSize, pageCount, itemCount}``
    (``paged_metadata = False``: the older answers without it, where only an empty page past the
    last one tells the end). Header ``xero-tenant-id``. Errors: ``{"Type", "Title", "Status",
    "Detail"}`` (401) or ``{"ErrorNumber", "Type", "Message"}`` (400).
    https://developer.xero.com/documentation/api/accounting/invoices"""

    name = "xero"
    path = "/api.xro/2.0/Invoices"
    records = 23
    page_size = 10
    max_page_size = 1000
    paged_metadata = True
    api_key = "xero-oauth2-access-token"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "primary_key": "InvoiceID",
            "request_headers": {"xero-tenant-id": "45e4708e-d862-4111-ab3a-dd8cd03913e1"},
        }

    def unauthorized(self):
        return (
            401,
            {},
            {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"},
        )

    def record(self, number, *, summary=False):
        invoice = {
            "InvoiceID": f"d4956132-ed94-4dd7-9eaa-{number:012d}",
            "InvoiceNumber": f"INV-{number:04d}",
            "Total": 40.0,
        }
        if not summary:
            invoice["LineItems"] = [{"Description": f"Line of {number}", "LineAmount": 40.0}]
        return invoice

    def respond(self, path, query, headers):
        envelope = {
            "Id": "900c500b-e83c-4ce2-902a-b8ba04751748",
            "Status": "OK",
            "ProviderName": "MigrateIQ",
            "DateTimeUTC": "/Date(1552326816230)/",
        }
        if "page" not in query:
            return (
                200,
                {},
                {**envelope, "Invoices": [self.record(n, summary=True) for n in range(1, self.records + 1)]},
            )
        if not str(query["page"]).isdigit() or int(query["page"]) < 1:
            return (
                400,
                {},
                {
                    "ErrorNumber": 10,
                    "Type": "ValidationException",
                    "Message": "A validation exception occurred",
                },
            )
        page = int(query["page"])
        size = self.size(query, "pageSize")
        records = self.all_records()
        answer = {**envelope}
        if self.paged_metadata:
            answer["pagination"] = {
                "page": page,
                "pageSize": size,
                "pageCount": max(1, -(-len(records) // size)),
                "itemCount": len(records),
            }
        answer["Invoices"] = records[(page - 1) * size : page * size]
        return 200, {}, answer


class Calendly(VendorServer):
    """Calendly API v2 list endpoints (``GET /scheduled_events``): ``{"collection": [...],
    "pagination": {"count", "next_page": <URL> | null, "previous_page", "next_page_token",
    "previous_page_token"}}``; ``count`` (at most 100) and ``page_token``. Errors: ``{"title",
    "message"}``. https://developer.calendly.com/api-docs (Pagination)"""

    name = "calendly"
    path = "/scheduled_events"
    records = 23
    page_size = 10
    api_key = "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "primary_key": "uri",
            "query_params": {"user": "https://api.calendly.com/users/AAAA"},
        }

    def unauthorized(self):
        return 401, {}, {"title": "Unauthenticated", "message": "The access token is invalid"}

    def record(self, number):
        return {
            "uri": f"https://api.calendly.com/scheduled_events/EV{number:04d}",
            "name": f"Meeting {number}",
            "status": "active",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        count = self.size(query, "count")
        start = 0
        if query.get("page_token"):
            start = _position(query["page_token"], "cal")
            if start is None:
                return (
                    400,
                    {},
                    {"title": "Invalid Argument", "message": "The supplied parameters are invalid."},
                )
        page = records[start : start + count]
        token = _token(start + count, "cal") if start + count < len(records) else None
        back = _token(max(0, start - count), "cal") if start else None
        return (
            200,
            {},
            {
                "collection": page,
                "pagination": {
                    "count": len(page),
                    "next_page": f"{self.url}?{urlencode({**query, 'count': count, 'page_token': token})}"
                    if token
                    else None,
                    "previous_page": f"{self.url}?{urlencode({**query, 'count': count, 'page_token': back})}"
                    if back
                    else None,
                    "next_page_token": token,
                    "previous_page_token": back,
                },
            },
        )


class Harvest(VendorServer):
    """Harvest API v2 (``GET /v2/clients``): ``{"clients": [...], "per_page", "total_pages",
    "total_entries", "next_page", "previous_page", "page", "links": {"first", "next", "previous",
    "last"}}``; ``per_page`` (default and maximum 2000); ``links.next`` is a cursor URL
    (``cursor=...&ref=next_cursor``) and ``page`` / ``next_page`` are null between the first and the
    last page; ``links.next`` is null on the last page. Headers ``Harvest-Account-Id`` and
    ``User-Agent``. https://help.getharvest.com/api-v2/introduction/overview/pagination/"""

    name = "harvest"
    path = "/v2/clients"
    records = 23
    page_size = 10
    max_page_size = 2000
    api_key = "1234567.pt.harvest-token"

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"Harvest-Account-Id": "123456"}}

    def unauthorized(self):
        return (
            401,
            {},
            {
                "error": "invalid_token",
                "error_description": "The access token provided is expired, revoked, malformed or invalid "
                "for other reasons.",
            },
        )

    def record(self, number):
        return {"id": 5735774 + number, "name": f"Client {number}", "is_active": True, "currency": "EUR"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        pages = max(1, -(-len(records) // size))
        start = _position(query["cursor"], "hv") if query.get("cursor") else 0
        if start is None:
            return 422, {}, {"message": "Invalid cursor"}
        number = start // size + 1
        last = number == pages
        first = number == 1

        def page_link(n, ref):
            return f"{self.url}?{urlencode({'page': n, 'per_page': size, 'ref': ref})}"

        def cursor_link(offset, ref):
            return f"{self.url}?{urlencode({'cursor': _token(offset, 'hv'), 'per_page': size, 'ref': ref})}"

        return (
            200,
            {},
            {
                "clients": records[start : start + size],
                "per_page": size,
                "total_pages": pages,
                "total_entries": len(records),
                "next_page": 2 if first and not last else None,
                "previous_page": pages - 1 if last and not first else None,
                "page": 1 if first else pages if last else None,
                "links": {
                    "first": page_link(1, "first"),
                    "next": None if last else cursor_link(start + size, "next_cursor"),
                    "previous": None if first else cursor_link(max(0, start - size), "previous_cursor"),
                    "last": page_link(pages, "last"),
                },
            },
        )


class Klaviyo(VendorServer):
    """Klaviyo API (``GET /api/profiles/``), JSON:API: ``{"data": [{"type", "id", "attributes"}],
    "links": {"self", "next", "prev"}}``; ``page[size]`` (default 20, at most 100) and
    ``page[cursor]``, carried by ``links.next`` (null on the last page). Headers ``Authorization:
    Klaviyo-API-Key <key>`` and ``revision``. Errors: ``{"errors": [{"id", "status", "code",
    "title", "detail", "source"}]}``. https://developers.klaviyo.com/en/docs/api_overview (Pagination)"""

    name = "klaviyo"
    path = "/api/profiles/"
    records = 23
    page_size = 10
    api_key = "pk_0123456789abcdef0123456789abcdef01"

    def authorized(self, headers):
        return headers.get("Authorization") == f"Klaviyo-API-Key {self.api_key}" and bool(
            headers.get("revision")
        )

    def unauthorized(self):
        return (
            401,
            {},
            {
                "errors": [
                    {
                        "id": "1b6f3c3a",
                        "status": 401,
                        "code": "not_authenticated",
                        "title": "Authentication credentials were not provided.",
                        "detail": "Missing or invalid private key.",
                        "source": {"pointer": "/data/"},
                    }
                ]
            },
        )

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"Klaviyo-API-Key {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "request_headers": {"revision": "2024-10-15", "Accept": "application/vnd.api+json"},
        }

    def record(self, number):
        return {
            "type": "profile",
            "id": f"01GDDKASAP8TKDDA2GRZDSVP{number:02d}",
            "attributes": {"email": f"p{number}@example.com"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page[size]")
        start = _position(query["page[cursor]"], "kl") if query.get("page[cursor]") else 0
        if start is None:
            return (
                400,
                {},
                {
                    "errors": [
                        {
                            "status": 400,
                            "code": "invalid",
                            "title": "Invalid input.",
                            "detail": "Invalid page cursor",
                        }
                    ]
                },
            )
        following = None
        if start + size < len(records):
            following = f"{self.url}?{urlencode({**query, 'page[cursor]': _token(start + size, 'kl')})}"
        return (
            200,
            {"Content-Type": "application/vnd.api+json"},
            {
                "data": records[start : start + size],
                "links": {"self": self.url, "next": following, "prev": None},
            },
        )


class Gorgias(BasicAuthVendor):
    """Gorgias REST API (``GET /api/tickets``): ``{"data": [...], "meta": {"prev_cursor",
    "next_cursor"}, "object": "list", "uri"}``; ``limit`` (at most 100) and ``cursor``;
    ``next_cursor`` is null on the last page. HTTP Basic (email and API key).
    https://developers.gorgias.com/reference/pagination"""

    name = "gorgias"
    path = "/api/tickets"
    records = 23
    page_size = 10
    user = "agent@example.com"
    api_key = "gorgias-api-key-0123"

    def record(self, number):
        return {"id": 9000 + number, "subject": f"Ticket {number}", "status": "open"}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["cursor"], "gg") if query.get("cursor") else 0
        if start is None:
            return 400, {}, {"error": {"msg": "Invalid cursor"}}
        return (
            200,
            {},
            {
                "data": records[start : start + limit],
                "meta": {
                    "prev_cursor": _token(max(0, start - limit), "gg") if start else None,
                    "next_cursor": _token(start + limit, "gg") if start + limit < len(records) else None,
                },
                "object": "list",
                "uri": f"{self.path}?{urlencode(query)}",
            },
        )


class Bitbucket(BasicAuthVendor):
    """Bitbucket Cloud REST 2.0 (``GET /2.0/repositories/{workspace}``): ``{"size", "page",
    "pagelen", "next", "previous", "values"}``; ``pagelen`` (default 10, at most 100 on most
    endpoints); ``next`` is absent on the last page. Errors: ``{"type": "error", "error":
    {"message"}}``. https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination"""

    name = "bitbucket"
    path = "/2.0/repositories/acme"
    records = 23
    page_size = 10
    user = "acme-bot"
    api_key = "ATBB0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"type": "error", "error": {"message": "Invalid credentials"}}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "uuid"}

    def record(self, number):
        return {
            "uuid": f"{{{number:08d}-0000-0000-0000-000000000000}}",
            "full_name": f"acme/repo-{number}",
            "type": "repository",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "pagelen")
        page = int(query.get("page", "1")) if str(query.get("page", "1")).isdigit() else 1
        start = (page - 1) * size
        body = {"size": len(records), "page": page, "pagelen": size, "values": records[start : start + size]}
        if start + size < len(records):
            body["next"] = f"{self.url}?{urlencode({**query, 'page': page + 1})}"
        if page > 1:
            body["previous"] = f"{self.url}?{urlencode({**query, 'page': page - 1})}"
        return 200, {}, body


class Freshdesk(VendorServer):
    """Freshdesk API v2 (``GET /api/v2/tickets``): a JSON list; ``page`` and ``per_page`` (default
    30, at most 100); a ``Link: <...page=N+1>; rel="next"`` header while more pages exist. HTTP
    Basic with the API key as the user name and ``X`` as the password; rate-limit headers
    ``X-RateLimit-Total`` / ``X-RateLimit-Remaining``, and ``Retry-After`` on 429. Errors:
    ``{"code", "message"}`` or ``{"description", "errors": [{"field", "message", "code"}]}``.
    https://developers.freshdesk.com/api/#pagination"""

    name = "freshdesk"
    path = "/api/v2/tickets"
    records = 23
    page_size = 10
    requests_past_the_end = 3  # only the missing Link header tells the end
    api_key = "sFreshdeskKey01234"

    def authorized(self, headers):
        expected = base64.b64encode(f"{self.api_key}:X".encode()).decode()
        return headers.get("Authorization") == f"Basic {expected}"

    def unauthorized(self):
        return (
            401,
            {},
            {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."},
        )

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic_key",
            "auth_password": "X",
        }

    def record(self, number):
        return {"id": number, "subject": f"Ticket {number}", "status": 2}

    def respond(self, path, query, headers):
        records = self.all_records()
        if "per_page" in query and (not query["per_page"].isdigit() or int(query["per_page"]) > 100):
            return (
                400,
                {},
                {
                    "description": "Validation failed",
                    "errors": [
                        {
                            "field": "per_page",
                            "message": "Has to be less than or equal to 100",
                            "code": "invalid_value",
                        }
                    ],
                },
            )
        size = self.size(query, "per_page")
        page = int(query.get("page", "1")) if str(query.get("page", "1")).isdigit() else 1
        start = (page - 1) * size
        out = {
            "X-RateLimit-Total": "200",
            "X-RateLimit-Remaining": "180",
            "X-RateLimit-Used-CurrentRequest": "1",
        }
        if start + size < len(records):
            out["Link"] = f'<{self.url}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        return 200, out, records[start : start + size]


THIRD_VENDORS_ON_AUTO = (
    GitLab,
    Front,
    PaddleBilling,
    Chargebee,
    Calendly,
    Harvest,
    Klaviyo,
    Gorgias,
    Bitbucket,
    Freshdesk,
)


class Okta(VendorServer):
    """Okta Users API (``GET /api/v1/users``): a bare JSON list; ``limit`` (default and maximum 200)
    and an opaque ``after`` cursor, which the client never builds: it follows the ``Link`` headers,
    sent as two header lines, ``rel="self"`` and, while more users exist, ``rel="next"`` (``...?after=
    <cursor>&limit=<n>``); no next link on the last page. Auth header ``Authorization: SSWS <API
    token>``. Every answer carries ``X-Rate-Limit-Limit`` / ``-Remaining`` / ``-Reset`` (UTC epoch
    seconds); past the limit, a 429 with ``{"errorCode": "E0000047", "errorSummary", "errorLink",
    "errorId", "errorCauses"}`` and ``X-Rate-Limit-Remaining: 0`` (``rate_limited_on_page``). Errors
    are ``{"errorCode", "errorSummary", ...}`` (E0000011 for a bad token).
    https://developer.okta.com/docs/api/#pagination,
    https://developer.okta.com/docs/reference/rl-best-practices/,
    https://developer.okta.com/docs/reference/error-codes/"""

    name = "okta"
    path = "/api/v1/users"
    records = 23
    page_size = 10  # 200 at Okta
    max_page_size = 200
    api_key = "00QCjAl4MlV-WPXM-ABCDEFGhijklmnop-qrstuvw"
    rate_limited_on_page = None  # this page (1-based) is answered 429 once
    rate_limit_reset_in = 1  # X-Rate-Limit-Reset: now + this many seconds
    refused = 0

    def authorized(self, headers):
        return headers.get("Authorization") == f"SSWS {self.api_key}"

    def unauthorized(self):
        return 401, {}, self.error("E0000011", "Invalid token provided")

    @staticmethod
    def error(code: str, summary: str) -> dict:
        return {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": "oaeXvPAhKTvQ7Wd2z1o2Yw8zA",
            "errorCauses": [],
        }

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"SSWS {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
        }

    def record(self, number):
        return {
            "id": f"00u{number:017d}",
            "status": "ACTIVE",
            "profile": {"login": f"user{number}@example.com", "email": f"user{number}@example.com"},
            "_links": {"self": {"href": f"{self.base}/api/v1/users/00u{number:017d}"}},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "limit")
        start = 0
        if "after" in query:
            ids = [record["id"] for record in records]
            if query["after"] not in ids:
                return 400, {}, self.error("E0000031", "Invalid search criteria.")
            start = ids.index(query["after"]) + 1
        reset = str(int(time.time()) + self.rate_limit_reset_in)
        limits = {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "599", "X-Rate-Limit-Reset": reset}
        if self.refused_once(start, size):
            summary = "API call exceeded rate limit due to too many requests."
            return 429, {**limits, "X-Rate-Limit-Remaining": "0"}, self.error("E0000047", summary)
        page = records[start : start + size]
        links = [f'<{self.url}?{urlencode(query)}>; rel="self"']
        if start + size < len(records):
            links.append(f'<{self.url}?{urlencode({"after": page[-1]["id"], "limit": size})}>; rel="next"')
        return 200, {**limits, "Link": links}, page


class ServiceNow(BasicAuthVendor):
    """ServiceNow Table API (``GET /api/now/table/incident``): ``{"result": [...]}``;
    ``sysparm_limit`` (default 10000) and ``sysparm_offset``; an ``X-Total-Count`` header and one
    ``Link`` header with ``rel="first"``, ``"prev"``, ``"next"`` (while more records exist) and
    ``"last"``, written without spaces (``<...>;rel="next",<...>;rel="last"``; a first page's
    ``prev`` has a negative offset, as a captured answer shows), and no ``Link`` header when one page
    holds the whole list. Basic auth. Errors are ``{"error": {"message", "detail"}, "status":
    "failure"}``: 401 without valid credentials, 400 for a table that does not exist.
    https://docs.servicenow.com/bundle/geneva-servicenow-platform/page/integrate/inbound_rest/reference/r_TableAPI-GET.html,
    a captured answer with its Link and X-Total-Count headers:
    https://gist.github.com/bryanbarnard/ee1d952604a11e0f0342"""

    name = "servicenow"
    path = "/api/now/table/incident"
    records = 23
    page_size = 10  # 10000 at ServiceNow
    max_page_size = 10000
    api_key = "Sn0w-p4ssw0rd"
    user = "integration.user"

    @staticmethod
    def error(message: str, detail: str) -> dict:
        return {"error": {"message": message, "detail": detail}, "status": "failure"}

    def unauthorized(self):
        return 401, {}, self.error("User Not Authenticated", "Required to provide Auth information")

    def record(self, number):
        return {
            "sys_id": f"{number:032x}",
            "number": f"INC{number:07d}",
            "short_description": f"Incident {number}",
            "state": "1",
        }

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "sys_id"}

    def respond(self, path, query, headers):
        if path != self.path:
            return 400, {}, self.error("Invalid table", f"Invalid table {path.rsplit('/', 1)[-1]}")
        records = self.all_records()
        limit = self.size(query, "sysparm_limit")
        offset = int(query.get("sysparm_offset", "0") or 0)

        def link(at):
            return f"{self.url}?{urlencode({**query, 'sysparm_limit': limit, 'sysparm_offset': at})}"

        last = max(0, (len(records) - 1) // limit * limit)
        links = [f'<{link(0)}>;rel="first"', f'<{link(offset - limit)}>;rel="prev"']
        if offset + limit < len(records):
            links.append(f'<{link(offset + limit)}>;rel="next"')
        links.append(f'<{link(last)}>;rel="last"')
        out = {"X-Total-Count": str(len(records))}
        if len(records) > limit:
            out["Link"] = ",".join(links)
        return 200, out, {"result": records[offset : offset + limit]}


class MondayItemsPage(VendorServer):
    """monday.com platform API (``POST /v2``, GraphQL; header ``Authorization: <API token>``): a
    board's items through ``boards(ids: ...) { items_page(limit: <= 500, cursor: ...) { cursor items
    { id name } } }`` (default limit 25); the ``cursor`` is null once no item is left, else it goes
    back as ``items_page``'s ``cursor`` argument or to the root ``next_items_page(cursor:, limit:)``.
    ``boards`` is a list (one board per id). Application errors are answered with HTTP 200 and an
    ``errors`` list; the complexity budget's exhaustion is ``{"errors": [{"message": "Complexity
    budget exhausted", "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds":
    N}}]}`` (``exhausted_on_page``; HTTP 200 or 429, with ``Retry-After`` when ``send_retry_after``).
    https://developer.monday.com/api-reference/docs/querying-board-items,
    https://developer.monday.com/api-reference/changelog/new-next_items_page-object-for-cursor-based-pagination,
    https://developer.monday.com/api-reference/docs/errors,
    https://developer.monday.com/api-reference/changelog/breaking-change-updated-complexity-budget-exhausted-error"""

    name = "monday"
    path = "/v2"
    records = 23
    page_size = 10
    max_page_size = 500
    api_key = "eyJhbGciOiJIUzI1NiJ9.fake-monday-token"
    board_id = 1234567890
    query = (
        "query($cursor: String) { boards(ids: [1234567890]) { items_page(limit: 10, cursor: $cursor) "
        "{ cursor items { id name } } } }"
    )
    boards = 1  # boards the query's ids name: each answers its own items page (ids 1_000 apart)
    exhausted_on_page = None  # this page (1-based) is refused: complexity budget exhausted ...
    exhausted_times = 1  # ... this many times
    exhausted_status = 200
    retry_in_seconds = 1
    send_retry_after = False
    refused = 0

    def authorized(self, headers):
        return headers.get("Authorization") in (self.api_key, f"Bearer {self.api_key}")

    def unauthorized(self):
        return 401, {}, {"errors": [{"message": "Not Authenticated", "extensions": {"code": "Unauthorized"}}]}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "request_method": "POST",
            "request_body": {"query": self.query, "variables": {}},
        }

    def record(self, number):
        return {"id": str(9_000_000_000 + number), "name": f"Item {number}"}

    def respond(self, path, query, headers):
        return 404, {}, {"errors": [{"message": "Not Found"}]}

    def _exhausted(self, start: int, limit: int):
        if self.exhausted_on_page is None or start != (self.exhausted_on_page - 1) * limit:
            return None
        with self._lock:
            if self.refused >= self.exhausted_times:
                return None
            self.refused += 1
        error = {
            "message": "Complexity budget exhausted",
            "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": self.retry_in_seconds},
        }
        out = {"Retry-After": str(self.retry_in_seconds)} if self.send_retry_after else {}
        return self.exhausted_status, out, {"errors": [error], "account_id": 98765}

    def respond_post(self, path, body, headers):
        text, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(text, str):
            return 200, {}, {"errors": [{"message": "No query string was present"}]}
        root = "next_items_page" if re.search(r"\bnext_items_page\b", text) else "items_page"
        limit = GitHubGraphQL._argument(text, "limit", variables) or 25
        cursor = GitHubGraphQL._argument(text, "cursor", variables)
        if not isinstance(limit, int) or not 1 <= limit <= self.max_page_size:
            return 200, {}, {"errors": [{"message": "limit must be between 1 and 500"}], "account_id": 98765}
        if root == "next_items_page" and cursor is None:
            return 200, {}, {"errors": [{"message": "cursor is required"}], "account_id": 98765}
        start = 0
        if cursor is not None:
            start = _position(str(cursor), "monday")
            if start is None:
                error = {"message": "Cursor is invalid or expired", "extensions": {"code": "CursorException"}}
                return 200, {}, {"errors": [error], "account_id": 98765}
        exhausted = self._exhausted(start, limit)
        if exhausted is not None:
            return exhausted
        records = self.all_records()
        items = records[start : start + limit]
        end = start + len(items)
        page = {"cursor": _token(end, "monday") if end < len(records) else None, "items": items}
        boards = [
            {
                "items_page": {
                    **page,
                    "items": [{**item, "id": str(int(item["id"]) + 1_000 * board)} for item in items],
                }
            }
            for board in range(self.boards)
        ]
        data = {"next_items_page": page} if root == "next_items_page" else {"boards": boards}
        return 200, {}, {"data": data, "account_id": 98765}


class LinearGraphQL(VendorServer):
    """Linear GraphQL API (``POST /graphql``; ``Authorization: <personal API key>`` or ``Bearer
    <OAuth token>``): Relay connections, ``issues(first: <= 250, after: $cursor) { nodes { ... }
    pageInfo { hasNextPage endCursor } }`` (50 by default). Every answer carries its windows'
    headers: ``X-RateLimit-Requests-Limit`` / ``-Remaining`` / ``-Reset`` and
    ``X-RateLimit-Complexity-*`` (resets in UTC epoch milliseconds) and ``X-Complexity``. A request
    past a limit is answered with HTTP 400 and ``{"errors": [{"message", "extensions": {"code":
    "RATELIMITED"}}]}`` (``rate_limited_on_page``; ``rate_limited_window``: which window is
    exhausted). https://linear.app/developers/pagination, https://linear.app/developers/rate-limiting
    (its status and code, also read by Linear's own SDK, github.com/linear/linear
    packages/sdk/src/error.ts: ``RatelimitedLinearError`` reads the same headers)"""

    name = "linear"
    path = "/graphql"
    records = 23
    page_size = 10
    api_key = "lin_api_0123456789abcdefghijklmnopqrstuvwxyzABCD"
    query = (
        "query($cursor: String) { issues(first: 10, after: $cursor) { nodes { id identifier title } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    rate_limited_on_page = None  # this page (1-based) is refused ...
    rate_limited_times = 1  # ... this many times
    rate_limited_window = "Requests"  # or "Complexity"
    reset_in = 1.0  # seconds until the exhausted window resets
    refused = 0

    def authorized(self, headers):
        return headers.get("Authorization") in (self.api_key, f"Bearer {self.api_key}")

    def unauthorized(self):
        error = {
            "message": "Authentication required, not authenticated",
            "extensions": {"code": "AUTHENTICATION_ERROR", "type": "authentication error"},
        }
        return 400, {}, {"errors": [error]}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "request_method": "POST",
            "request_body": {"query": self.query, "variables": {}},
        }

    def record(self, number):
        return {
            "id": f"9cfb482a-81e3-4154-b5b9-{number:012d}",
            "identifier": f"ENG-{number}",
            "title": f"Issue {number}",
        }

    def respond(self, path, query, headers):
        return 404, {}, {"errors": [{"message": "Not found"}]}

    def windows(self, exhausted: str | None = None) -> dict:
        reset = str(int((time.time() + self.reset_in) * 1000))
        out = {"X-Complexity": "12"}
        for window, limit in (("Requests", "2500"), ("Complexity", "3000000")):
            out[f"X-RateLimit-{window}-Limit"] = limit
            out[f"X-RateLimit-{window}-Remaining"] = "0" if window == exhausted else str(int(limit) - 1)
            out[f"X-RateLimit-{window}-Reset"] = reset
        return out

    def respond_post(self, path, body, headers):
        text, variables = body.get("query"), body.get("variables") or {}
        first = GitHubGraphQL._argument(text or "", "first", variables) or 50
        if not isinstance(first, int) or not 1 <= first <= 250:
            return 400, {}, {"errors": [{"message": "first must be between 1 and 250"}]}
        after = GitHubGraphQL._argument(text, "after", variables)
        start = 0 if after is None else _position(str(after), "linear")
        if start is None:
            return (
                400,
                {},
                {"errors": [{"message": "Invalid cursor", "extensions": {"code": "INVALID_INPUT"}}]},
            )
        if self.refused_once(start, first, self.rate_limited_times):
            error = {
                "message": "Rate limit exceeded. Only 2500 requests are allowed per 1 hour.",
                "extensions": {"code": "RATELIMITED", "type": "ratelimited"},
            }
            return 400, self.windows(self.rate_limited_window), {"errors": [error]}
        records = self.all_records()
        nodes = records[start : start + first]
        end = start + len(nodes)
        page_info = {"hasNextPage": end < len(records), "endCursor": _token(end, "linear") if nodes else None}
        return 200, self.windows(), {"data": {"issues": {"nodes": nodes, "pageInfo": page_info}}}


FOURTH_VENDORS_ON_AUTO = (Okta, ServiceNow)


# -- a fifth round: Marketo, Ashby, Dropbox, Eventbrite, NetSuite, Webflow -----------------------


class Marketo(VendorServer):
    """Marketo REST API, Get Lead Activities (``GET /rest/v1/activities.json?nextPageToken=
    <token>&activityTypeIds=1,6``; ``Authorization: Bearer <access token>``): ``{"requestId",
    "success": true, "nextPageToken", "moreResult", "result": [...]}``; ``batchSize`` (default and
    most 300). The first token is a date-based one from Get Paging Token; every answer names the
    next, the last one too (kept to read what happens later), and ``moreResult: false`` says no more
    is there now. An error is HTTP 200 with ``{"requestId", "success": false, "errors": [{"code",
    "message"}]}``, codes quoted: 601 access token invalid, 602 expired, 606 "Max rate limit '%s'
    exceeded with in '%s' secs" (100 calls in 20 s), 615 "Concurrent access limit reached" (10 at
    once). https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/paging-tokens
    (developers.marketo.com/rest-api/paging-tokens/),
    https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes"""

    name = "marketo"
    path = "/rest/v1/activities.json"
    records = 23
    page_size = 10
    max_page_size = 300
    api_key = "cdf01657-110d-4155-99a7-f986b2ff13a0:int"
    since_token = _token(0, "mkto")  # what Get Paging Token answered for the sync's start
    rate_limited_on_page = None  # this page (1-based) is answered with ``rate_limit_code`` ...
    rate_limited_times = 1  # ... this many times
    rate_limit_code = "606"
    window_seconds = 20  # the window 606 names ("with in '20' secs")
    refused = 0
    more_result_when_empty = False  # an answer without "result" says moreResult: true

    def authorized(self, headers):
        return True  # Marketo answers a bad token with HTTP 200, success: false and code 601

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"nextPageToken": self.since_token, "activityTypeIds": "1,6"},
        }

    def record(self, number):
        return {
            "id": 5000 + number,
            "marketoGUID": f"{5000 + number}",
            "leadId": 100 + number,
            "activityDate": f"2024-01-01T00:{number:02d}:00Z",
            "activityTypeId": 1,
            "primaryAttributeValue": f"page-{number}.html",
        }

    def failure(self, code: str, message: str) -> dict:
        return {"requestId": f"e42b#{code}", "success": False, "errors": [{"code": code, "message": message}]}

    def respond(self, path, query, headers):
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            return 200, {}, self.failure("601", "Access token invalid")
        start = _position(query.get("nextPageToken", ""), "mkto")
        if start is None or "activityTypeIds" not in query:
            return 200, {}, self.failure("1003", "Invalid value for nextPageToken or activityTypeIds")
        size = self.size(query, "batchSize")
        if self.refused_once(start, size, self.rate_limited_times):
            message = {
                "606": f"Max rate limit '100' exceeded with in '{self.window_seconds}' secs",
                "615": "Concurrent access limit reached",
            }[self.rate_limit_code]
            return 200, {}, self.failure(self.rate_limit_code, message)
        records = self.all_records()
        page = records[start : start + size]
        end = start + len(page)
        body = {
            "requestId": f"a9ae#{start}",
            "success": True,
            "nextPageToken": _token(end, "mkto"),
            "moreResult": end < len(records) or (not page and self.more_result_when_empty),
        }
        if page:
            body["result"] = page  # Marketo leaves "result" out when there is nothing new
        return 200, {}, body


class Ashby(KeyAsUserVendor):
    """Ashby API list endpoints (``POST /candidate.list`` with a JSON body; HTTP Basic with the API
    key as the user name and an empty password): ``{"success": true, "results": [...],
    "moreDataAvailable", "nextCursor"}``; the body's ``cursor`` and ``limit`` (at most 100, capped
    by the API otherwise). What would be a 4xx is HTTP 200 with ``{"success": false, "errorInfo":
    {"code", "message", "requestId"}}``. https://developers.ashbyhq.com/docs/pagination,
    https://developers.ashbyhq.com/docs/pagination-and-incremental-sync,
    https://developers.ashbyhq.com/docs/responses"""

    name = "ashby"
    path = "/candidate.list"
    records = 23
    page_size = 10
    api_key = "ashby-api-key-4c1f0e4b2a"
    error_with_http_200 = False

    def unauthorized(self):
        return 401, {}, {"success": False, "errorInfo": {"code": "unauthorized", "message": "Unauthorized"}}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic_key",
            "request_method": "POST",
            "request_body": {},
        }

    def record(self, number):
        return {
            "id": f"5b6fa0e5-6f2d-4ae4-8d2c-{number:012d}",
            "name": f"Candidate {number}",
            "primaryEmailAddress": {"value": f"c{number}@example.com", "type": "Work", "isPrimary": True},
        }

    def respond(self, path, query, headers):
        return 405, {}, {"success": False, "errorInfo": {"code": "method_not_allowed", "message": "POST"}}

    def respond_post(self, path, body, headers):
        if self.error_with_http_200:
            error = {
                "code": "missing_endpoint_permission",
                "message": "The API key is missing the candidatesRead permission for candidate.list",
                "requestId": "01JSJ8FEK5ZN4XQBZP7DBKK7ZC",
            }
            return 200, {}, {"success": False, "errorInfo": error}
        cursor = body.get("cursor")
        start = 0 if cursor is None else _position(str(cursor), "ashby")
        if start is None:
            return (
                200,
                {},
                {"success": False, "errorInfo": {"code": "invalid_cursor", "message": "Invalid cursor"}},
            )
        limit = body.get("limit") if isinstance(body.get("limit"), int) else self.page_size
        limit = max(1, min(limit, 100))
        records = self.all_records()
        end = min(start + limit, len(records))
        return (
            200,
            {},
            {
                "success": True,
                "results": records[start:end],
                "moreDataAvailable": end < len(records),
                "nextCursor": _token(end, "ashby"),
            },
        )


class Dropbox(VendorServer):
    """Dropbox API v2 ``POST /2/files/list_folder`` (``{"path": "", "recursive": false, "limit":
    ...}``): ``{"entries": [...], "cursor", "has_more"}``; more entries are read by POSTing only
    ``{"cursor"}`` to ``/2/files/list_folder/continue``, until ``has_more`` is false (the last
    answer keeps a cursor too: it reads later changes). A body field an endpoint does not take is a
    400 in plain text: ``Error in call to API function "files/list_folder": request body: unknown
    field 'cursor'``. https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder
    (and #files-list_folder-continue; the SDK's reference says the same of ``has_more``: "Pass the
    cursor to list_folder/continue to retrieve the rest", https://dropbox.github.io/dropbox-sdk-java/
    api-docs/v7.1.1/com/dropbox/core/v2/files/ListFolderResult.html; the plain-text 400 as Dropbox
    answers it: github.com/fl4p/DropPHP/issues/27)"""

    name = "dropbox"
    path = "/2/files/list_folder"
    records = 23
    page_size = 10
    api_key = "sl.u.AFakeDropboxShortLivedAccessToken0123456789"
    continue_path = "/2/files/list_folder/continue"

    def record(self, number):
        return {
            ".tag": "file",
            "name": f"report-{number}.pdf",
            "id": f"id:a4ayc_80_OEAAAAAAAA{number:03d}",
            "path_lower": f"/reports/report-{number}.pdf",
            "path_display": f"/Reports/report-{number}.pdf",
            "rev": f"a1c10ce0dd{number:02d}",
            "size": 1000 + number,
        }

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"path": "/Reports", "recursive": False},
        }

    def respond(self, path, query, headers):
        return 400, {"Content-Type": "text/plain; charset=utf-8"}, b"Error in call to API function: use POST"

    def refuse(self, function: str, field: str):
        text = f"Error in call to API function \"{function}\": request body: unknown field '{field}'"
        return 400, {"Content-Type": "text/plain; charset=utf-8"}, text

    def respond_post(self, path, body, headers):
        records = self.all_records()
        if path == self.path:
            unknown = sorted(set(body) - {"path", "recursive", "limit", "include_deleted"})
            if unknown:
                return self.refuse("files/list_folder", unknown[0])
            start, limit = 0, body.get("limit") if isinstance(body.get("limit"), int) else self.page_size
        elif path == self.continue_path:
            unknown = sorted(set(body) - {"cursor"})
            if unknown:
                return self.refuse("files/list_folder/continue", unknown[0])
            start = _position(str(body.get("cursor", "")), "dbx")
            if start is None:
                return 409, {}, {"error_summary": "reset/...", "error": {".tag": "reset"}}
            limit = self.page_size  # the cursor carries the listing's arguments
        else:
            return 400, {"Content-Type": "text/plain"}, f"Unknown API function: {path}"
        end = min(start + limit, len(records))
        return (
            200,
            {},
            {"entries": records[start:end], "cursor": _token(end, "dbx"), "has_more": end < len(records)},
        )

    def refused_bodies(self) -> list[dict]:
        return [request["body"] for request in self.requests if request["status"] != 200]


class Eventbrite(VendorServer):
    """Eventbrite API v3 lists (``GET /v3/organizations/{id}/events/``; ``Authorization: Bearer
    <private token>``): the objects under a key named after them (``events``) beside
    ``pagination: {object_count, page_number, page_size, page_count, continuation,
    has_more_items}``; the ``continuation`` token is sent back as ``continuation`` (``page`` works
    too). The docs' own example is the last page of two, and it still carries a continuation: only
    ``has_more_items: false`` (and page N of N) tells the end. Page sizes are fixed (about 50).
    Errors: ``{"status_code", "error", "error_description"}`` with a 4xx (``BAD_PAGE`` past the
    last page). https://www.eventbrite.com/developer/v3/api_overview/pagination/ (the keys, the
    continuation on the last page of the example, BAD_PAGE), and ``has_more_items`` as the current
    reference shows it: https://www.eventbrite.com/platform/api#/introduction/paginated-responses"""

    name = "eventbrite"
    path = "/v3/organizations/464741062423/events/"
    records = 23
    page_size = 10
    api_key = "PERSONALOAUTHTOKEN2W3X4Y5Z6A7B8C9D0"
    has_more_items = True  # the answers carry has_more_items (False: only the v3 page's keys)

    def __init__(self, records: int | None = None, *, has_more_items: bool = True):
        super().__init__(records)
        self.has_more_items = has_more_items

    def unauthorized(self):
        return (
            401,
            {},
            {
                "status_code": 401,
                "error": "INVALID_AUTH",
                "error_description": "The OAuth token you provided was invalid.",
            },
        )

    def record(self, number):
        return {
            "id": str(700_000_000_000 + number),
            "name": {"text": f"Event {number}", "html": f"Event {number}"},
            "status": "live",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        pages = self.expected_pages()
        if query.get("continuation"):
            start = _position(query["continuation"], "eb")
            if start is None:
                return (
                    400,
                    {},
                    {
                        "status_code": 400,
                        "error": "ARGUMENTS_ERROR",
                        "error_description": "continuation is invalid",
                    },
                )
            number = start // self.page_size + 1
        else:
            number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
            start = (number - 1) * self.page_size
        if number > pages or number < 1:
            return (
                400,
                {},
                {
                    "status_code": 400,
                    "error": "BAD_PAGE",
                    "error_description": "The page number you provided is not valid.",
                },
            )
        end = min(start + self.page_size, len(records))
        pagination = {
            "object_count": len(records),
            "page_number": number,
            "page_size": self.page_size,
            "page_count": pages,
            "continuation": _token(end, "eb"),  # on the last page too, as the docs' example
        }
        if self.has_more_items:
            pagination["has_more_items"] = end < len(records)
        return 200, {}, {"pagination": pagination, "events": records[start:end]}


class NetSuite(VendorServer):
    """NetSuite SuiteTalk REST record service collections (``GET /services/rest/record/v1/customer``;
    OAuth 2.0 ``Authorization: Bearer``): ``{"links": [{"rel": "next" | "last" | "self", "href"}],
    "count", "hasMore", "items": [{"links", "id"}], "offset", "totalResults"}``; ``limit`` (default
    and most 1000) and ``offset``, which has to be a multiple of ``limit``. Errors are RFC 9457
    problems: ``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}``.
    https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156414087576.html
    (Collection Paging)"""

    name = "netsuite"
    path = "/services/rest/record/v1/customer"
    records = 23
    page_size = 10
    max_page_size = 1000
    api_key = "eyJraWQiOiJjLlRTVERSVjEyMzQ1Ni4yMDI0LTAxLTAxXzAwLTAwLTAwIn0.fake"

    def unauthorized(self):
        return 401, {}, self.problem(401, "Unauthorized", "Invalid login attempt.", "INVALID_LOGIN")

    @staticmethod
    def problem(status: int, title: str, detail: str, code: str) -> dict:
        return {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": title,
            "status": status,
            "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
        }

    def record(self, number):
        return {"links": [{"rel": "self", "href": f"{self.url}/{100 + number}"}], "id": str(100 + number)}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if offset % limit:
            detail = "Invalid 'offset' parameter: it must be a multiple of the 'limit' parameter."
            return 400, {}, self.problem(400, "Bad Request", detail, "INVALID_PARAMETER")
        page = records[offset : offset + limit]

        def link(rel, at):
            return {"rel": rel, "href": f"{self.url}?{urlencode({'limit': limit, 'offset': at})}"}

        last = max(0, (len(records) - 1) // limit * limit)
        links = []
        if offset + limit < len(records):
            links.append(link("next", offset + limit))
        links += [link("last", last), link("self", offset)]
        return (
            200,
            {},
            {
                "links": links,
                "count": len(page),
                "hasMore": offset + limit < len(records),
                "items": page,
                "offset": offset,
                "totalResults": len(records),
            },
        )


class WebflowV2(VendorServer):
    """Webflow Data API v2 List Collection Items (``GET /v2/collections/{collection_id}/items``;
    ``Authorization: Bearer``): ``{"items": [...], "pagination": {"limit", "offset", "total"}}``;
    ``limit`` (default and most 100) and ``offset``. A 429 names its wait in ``Retry-After``.
    https://developers.webflow.com/data/v2.0.0/llms.txt (the v2 reference's index; v2 moved v1's
    top-level ``limit``, ``offset`` and ``total`` into ``pagination``),
    https://developers.webflow.com/data/v1.0.0/reference/cms/items/list-items (``limit`` at most 100,
    ``offset``, ``total``)"""

    name = "webflow"
    path = "/v2/collections/580e63fc8c9a982ac9b8b745/items"
    records = 23
    page_size = 10
    api_key = "f1b9c0de0123456789abcdef0123456789abcdef0123456789abcdef01234567"
    rate_limited_on_page = None
    refused = 0

    def unauthorized(self):
        return 401, {}, {"code": "not_authorized", "message": "Request not authorized"}

    def record(self, number):
        return {
            "id": f"62b720ef280c7a7a3be8c{number:03d}",
            "isArchived": False,
            "isDraft": False,
            "fieldData": {"name": f"Post {number}", "slug": f"post-{number}"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(offset, limit):
            return 429, {"Retry-After": "1"}, {"code": "too_many_requests", "message": "Too many requests"}
        page = records[offset : offset + limit]
        return (
            200,
            {},
            {"items": page, "pagination": {"limit": limit, "offset": offset, "total": len(records)}},
        )


FIFTH_VENDORS_ON_AUTO = (Marketo, Ashby, Eventbrite, NetSuite, WebflowV2)  # Dropbox: not on auto


# -- a sixth round: OData v2, Help Scout, Mailgun, Stack Exchange, Cloudflare, Zoho CRM, Spotify,
# Facebook Graph, Close, Recurly ------------------------------------------------------------------


class ODataV2(BasicAuthVendor):
    """OData v2 JSON (SAP SuccessFactors, SAP Gateway), ``GET /odata/v2/User?$format=json``: the
    entity set's records in ``{"d": {"results": [...], "__next": "<URL with $skiptoken>"}}``; the
    server pages by itself (SuccessFactors: 1000 a page) and the last page has no ``__next``. With
    ``$inlinecount=allpages`` the count of the whole set is ``d.__count``, a string. An error is a 4xx
    with ``{"error": {"code", "message": {"lang", "value"}}}``.
    https://www.odata.org/documentation/odata-version-2-0/json-format/ (6: "results", "__count",
    "__next"), https://help.sap.com/docs/successfactors-platform/sap-successfactors-api-reference-guide-odata-v2/server-side-pagination
    (``$skiptoken`` in ``__next``)"""

    name = "odata-v2"
    path = "/odata/v2/User"
    records = 23
    page_size = 5
    user = "apiadmin@SFCPART000001"
    api_key = "successfactors-password-1"

    def unauthorized(self):
        error = {"lang": "en-US", "value": "[LGN0011]Invalid username or password."}
        return 401, {}, {"error": {"code": "COE_GENERAL_FORBIDDEN", "message": error}}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"$format": "json", "$inlinecount": "allpages"}}

    def record(self, number):
        return {
            "__metadata": {"uri": f"{self.url}('u{number}')", "type": "SFOData.User"},
            "userId": f"u{number}",
            "username": f"user{number}",
            "status": "t",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["$skiptoken"], "sf") if "$skiptoken" in query else 0
        if start is None:
            error = {"lang": "en-US", "value": "Invalid $skiptoken."}
            return 400, {}, {"error": {"code": "COE_BAD_REQUEST", "message": error}}
        end = min(start + self.page_size, len(records))
        d: dict = {"results": records[start:end]}
        if query.get("$inlinecount") == "allpages":
            d["__count"] = str(len(records))
        if end < len(records):
            kept = {k: v for k, v in query.items() if k in ("$format", "$inlinecount")}
            d["__next"] = f"{self.url}?{urlencode({**kept, '$skiptoken': _token(end, 'sf')})}"
        return 200, {}, {"d": d}


class HelpScout(VendorServer):
    """Help Scout Mailbox API 2.0 lists (``GET /v2/conversations``; ``Authorization: Bearer``), HAL
    (``application/hal+json``): ``{"_embedded": {"conversations": [...]}, "_links": {"self", "first",
    "last", "next", "previous", "page": {"href", "templated"}}, "page": {"size", "totalElements",
    "totalPages", "number"}}``; ``page`` from 1; 50 a page (conversations: 25); no ``next`` link on the
    last page. https://developer.helpscout.com/mailbox-api/overview/pagination,
    https://developer.helpscout.com/mailbox-api/endpoints/mailboxes/list/"""

    name = "helpscout"
    path = "/v2/conversations"
    records = 23
    page_size = 5
    api_key = "helpscout-oauth-access-token-0a1b2c"

    def unauthorized(self):
        return 401, {}, {"error": "invalid_token", "error_description": "Invalid access token"}

    def record(self, number):
        return {
            "id": 10_000 + number,
            "number": number,
            "subject": f"Conversation {number}",
            "status": "active",
            "_links": {"self": {"href": f"{self.url}/{10_000 + number}"}},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        pages = -(-len(records) // self.page_size)
        start = (number - 1) * self.page_size
        links = {
            "self": {"href": f"{self.url}?page={number}"},
            "first": {"href": f"{self.url}?page=1"},
            "last": {"href": f"{self.url}?page={max(pages, 1)}"},
            "page": {"href": f"{self.url}{{?page}}", "templated": True},
        }
        if number < pages:
            links["next"] = {"href": f"{self.url}?page={number + 1}"}
        if number > 1:
            links["previous"] = {"href": f"{self.url}?page={number - 1}"}
        return (
            200,
            {"Content-Type": "application/hal+json"},
            {
                "_embedded": {"conversations": records[start : start + self.page_size]},
                "_links": links,
                "page": {
                    "size": self.page_size,
                    "totalElements": len(records),
                    "totalPages": pages,
                    "number": number,
                },
            },
        )


class Mailgun(BasicAuthVendor):
    """Mailgun Events API (``GET /v3/{domain}/events``; HTTP Basic, user ``api``): ``{"items": [...],
    "paging": {"first", "last", "next", "previous"}}``; ``limit`` (at most 300). ``paging.next`` is
    there on every page, the last one too (it reads what happens later); the list has ended when a
    page's ``items`` is empty (the official SDKs iterate "until items.empty?"). The next URL holds a
    token of the position after the page, so an empty page's next URL is itself.
    https://documentation.mailgun.com/docs/mailgun/user-manual/events/event-polling/,
    https://www.rubydoc.info/gems/mailgun-ruby/Mailgun/Events (``each``)"""

    name = "mailgun"
    path = "/v3/mg.example.com/events"
    records = 23
    page_size = 5
    max_page_size = 300
    user = "api"
    api_key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

    def record(self, number):
        return {
            "id": f"czsjqFATSlC3QtAK-C80nw{number:03d}",
            "event": "delivered",
            "timestamp": 1_700_000_000 + number,
            "recipient": f"r{number}@example.com",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        if path == self.path:
            start = 0
        else:
            start = _position(path.rsplit("/", 1)[-1], "mg")
            if start is None:
                return 400, {}, {"message": "Invalid page token"}
        end = min(start + limit, len(records))

        def page_url(at: int) -> str:
            return f"{self.url}/{_token(at, 'mg')}?{urlencode({'limit': limit})}"

        return (
            200,
            {},
            {
                "items": records[start:end],
                "paging": {
                    "first": page_url(0),
                    "last": page_url(max(len(records) - limit, 0)),
                    "next": page_url(end),  # on the last page too: itself once nothing is left
                    "previous": page_url(max(start - limit, 0)),
                },
            },
        )

    def expected_pages(self, page_size=None):
        return super().expected_pages(page_size) + 1  # the empty page that ends the list


class StackExchange(VendorServer):
    """Stack Exchange API 2.3 (``GET /2.3/questions?site=stackoverflow``; the app's ``key`` in the
    query): the common wrapper ``{"items": [...], "has_more", "quota_max", "quota_remaining"}`` and,
    when the API is under load, ``backoff``: the seconds an application must wait before it calls the
    same method again (a call before then is a throttle violation). ``page`` from 1, ``pagesize``
    (default 30, at most 100); ``page``, ``page_size`` and ``total`` are not in the default filter.
    Errors: ``{"error_id", "error_name", "error_message"}`` with HTTP 400 (502 throttle_violation).
    https://api.stackexchange.com/docs/wrapper, https://api.stackexchange.com/docs/throttle,
    https://api.stackexchange.com/docs/paging, https://api.stackexchange.com/docs/error-handling"""

    name = "stackexchange"
    path = "/2.3/questions"
    records = 23
    page_size = 5
    api_key = "U4DMV*8nvpm3EOpvf69Rxw(("
    backoff_on_page: int | None = None  # this page (1-based) answers with ``backoff_seconds``
    backoff_seconds = 1
    throttled_on_page: int | None = None  # this page (1-based) is a throttle violation ...
    throttled_times = 1  # ... this many times, "more requests available in <throttle_seconds> seconds"
    throttle_seconds = 1

    def __init__(self, records=None):
        super().__init__(records)
        self._not_before = 0.0
        self.throttled = 0

    def authorized(self, headers):
        return True  # the key is a query parameter

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "query",
            "auth_param_name": "key",
            "query_params": {"site": "stackoverflow", "order": "desc", "sort": "creation"},
        }

    @staticmethod
    def error(error_id: int, name: str, message: str):
        return 400, {}, {"error_id": error_id, "error_name": name, "error_message": message}

    def throttle_violation(self, seconds: int):
        said = f"too many requests from this IP, more requests available in {seconds} seconds"
        return self.error(502, "throttle_violation", said)

    def record(self, number):
        return {
            "question_id": 78_000_000 + number,
            "title": f"Question {number}",
            "score": number % 7,
            "tags": ["python"],
            "is_answered": bool(number % 2),
        }

    def respond(self, path, query, headers):
        if query.get("key") != self.api_key:
            return self.error(403, "access_denied", "`key` is not valid for passed `access_token`")
        if query.get("site") != "stackoverflow":
            return self.error(400, "bad_parameter", "site is required")
        now = time.monotonic()
        with self._lock:
            early = now < self._not_before
        if early:
            return self.throttle_violation(int(self._not_before - now) + 1)
        records = self.all_records()
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        if number == self.throttled_on_page:
            with self._lock:
                throttle = self.throttled < self.throttled_times
                self.throttled += 1
            if throttle:
                return self.throttle_violation(self.throttle_seconds)
        size = self.size(query, "pagesize")
        start = (number - 1) * size
        body = {
            "items": records[start : start + size],
            "has_more": start + size < len(records),
            "quota_max": 10000,
            "quota_remaining": 9990 - number,
        }
        if number == self.backoff_on_page:
            body["backoff"] = self.backoff_seconds
            with self._lock:
                self._not_before = time.monotonic() + self.backoff_seconds
        return 200, {}, body


class Cloudflare(VendorServer):
    """Cloudflare API v4 lists (``GET /client/v4/zones/{zone_id}/dns_records``; ``Authorization:
    Bearer``): ``{"success", "errors", "messages", "result": [...], "result_info": {"page", "per_page",
    "count", "total_count", "total_pages"}}``; ``page`` from 1 and ``per_page``. ``count`` is the
    page's own. An error is ``{"success": false, "errors": [{"code", "message"}], "messages": [],
    "result": null}`` (a 4xx; ``error_with_http_200``: the same with HTTP 200).
    https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/ (the envelope),
    https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/"""

    name = "cloudflare"
    path = "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records"
    records = 23
    page_size = 5
    api_key = "YQSn-xWAQiiEh9qM58wZNnyQS7FUdoqGIUAbrh7T"
    error_with_http_200 = False

    def failure(self, code: int, message: str) -> dict:
        return {
            "success": False,
            "errors": [{"code": code, "message": message}],
            "messages": [],
            "result": None,
        }

    def unauthorized(self):
        return 403, {}, self.failure(10000, "Authentication error")

    def record(self, number):
        return {
            "id": f"372e67954025e0ba6aaa6d586b9e0{number:03d}",
            "type": "A",
            "name": f"host{number}.example.com",
            "content": f"198.51.100.{number}",
            "proxied": False,
            "ttl": 3600,
        }

    def respond(self, path, query, headers):
        if self.error_with_http_200:
            return 200, {}, self.failure(9109, "Unauthorized to access requested resource")
        records = self.all_records()
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        size = self.size(query, "per_page")
        start = (number - 1) * size
        page = records[start : start + size]
        info = {
            "page": number,
            "per_page": size,
            "count": len(page),
            "total_count": len(records),
            "total_pages": -(-len(records) // size),
        }
        body = {"success": True, "errors": [], "messages": [], "result": page, "result_info": info}
        return 200, {}, body


class CloudflareKV(Cloudflare):
    """Cloudflare Workers KV List a Namespace's Keys (``GET /client/v4/accounts/{account_id}/storage/kv/
    namespaces/{namespace_id}/keys``), a cursor list: ``result_info: {"count", "cursor"}``, the cursor
    sent back as ``cursor`` and ``limit`` (default 1000); the last page's cursor is "".
    https://developers.cloudflare.com/api/resources/kv/subresources/namespaces/subresources/keys/methods/list/"""

    name = "cloudflare-kv"
    path = "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/storage/kv/namespaces/0f2ac74b498b/keys"

    cursor_refused = False  # the cursor of page 1 is refused (an expired cursor)

    def record(self, number):
        return {"name": f"key-{number:03d}", "expiration": 1_800_000_000 + number}

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["cursor"], "kv") if query.get("cursor") else 0
        if start is None or (start and self.cursor_refused):
            return 400, {}, self.failure(10001, "Invalid cursor")
        end = min(start + self.size(query, "limit"), len(records))
        cursor = _token(end, "kv") if end < len(records) else ""
        info = {"count": end - start, "cursor": cursor}
        body = {
            "success": True,
            "errors": [],
            "messages": [],
            "result": records[start:end],
            "result_info": info,
        }
        return 200, {}, body


class ZohoCrm(VendorServer):
    """Zoho CRM API v3 Get Records (``GET /crm/v3/Leads?fields=...``; ``Authorization:
    Zoho-oauthtoken <token>``): ``{"data": [...], "info": {"per_page", "count", "page", "sort_by",
    "sort_order", "more_records", "next_page_token", "previous_page_token", "page_token_expiry"}}``;
    ``per_page`` (default and most 200), ``page`` or ``page_token`` (past 2,000 records, only the
    token); ``info.count`` is the page's own. ``fields`` is required. A module without records is
    HTTP 204 with no body. An error is ``{"code", "details", "message", "status": "error"}`` (a 4xx).
    https://www.zoho.com/crm/developer/docs/api/v3/get-records.html"""

    name = "zoho-crm"
    path = "/crm/v3/Leads"
    records = 23
    page_size = 5
    api_key = "Zoho-oauthtoken 1000.8cb99dxxxxxxxxxxxxx9be93.9b8xxxxxxxxxxxxxxxf"
    with_tokens = True  # v3+: next_page_token (v2: page numbers only)

    def authorized(self, headers):
        return headers.get("Authorization") == self.api_key

    def unauthorized(self):
        return (
            401,
            {},
            {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"},
        )

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "query_params": {"fields": "Last_Name,Email"},
        }

    def record(self, number):
        return {
            "id": str(4_150_868_000_000_000 + number),
            "Last_Name": f"Lead {number}",
            "Email": f"l{number}@x.com",
        }

    def respond(self, path, query, headers):
        if "fields" not in query:
            return (
                400,
                {},
                {
                    "code": "REQUIRED_PARAM_MISSING",
                    "details": {"param": "fields"},
                    "message": "One of the expected parameter is missing",
                    "status": "error",
                },
            )
        records = self.all_records()
        if not records:
            return 204, {"Content-Type": "text/plain"}, b""
        size = self.size(query, "per_page")
        if query.get("page_token"):
            start = _position(query["page_token"], "zoho")
            if start is None:
                return (
                    400,
                    {},
                    {
                        "code": "INVALID_DATA",
                        "details": {},
                        "message": "invalid page token",
                        "status": "error",
                    },
                )
            number = start // size + 1
        else:
            number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
            start = (number - 1) * size
        page = records[start : start + size]
        more = start + size < len(records)
        info = {
            "per_page": size,
            "count": len(page),
            "page": number,
            "sort_by": "id",
            "sort_order": "desc",
            "more_records": more,
        }
        if self.with_tokens:
            info["next_page_token"] = _token(start + size, "zoho") if more else None
            info["previous_page_token"] = None
            info["page_token_expiry"] = "2026-12-07T03:00:00+05:30" if more else None
        return 200, {}, {"data": page, "info": info}


class ZohoCrmV2(ZohoCrm):
    """Zoho CRM API v2 Get Records (``GET /crm/v2/Leads``): ``info {per_page, count, page,
    more_records}``, page numbers only. https://www.zoho.com/crm/developer/docs/api/v2/get-records.html"""

    name = "zoho-crm-v2"
    path = "/crm/v2/Leads"
    with_tokens = False
    requests_past_the_end = 3  # only more_records: false on the last page tells the end


class Spotify(VendorServer):
    """Spotify Web API paging object (``GET /v1/me/playlists``; ``Authorization: Bearer``):
    ``{"href", "items": [...], "limit", "next": <URL> | null, "offset", "previous", "total"}``;
    ``limit`` (default 20, at most 50) and ``offset``. A 429 names its wait in ``Retry-After``.
    https://developer.spotify.com/documentation/web-api/reference/get-a-list-of-current-users-playlists,
    https://developer.spotify.com/documentation/web-api/concepts/rate-limits"""

    name = "spotify"
    path = "/v1/me/playlists"
    records = 23
    page_size = 5
    max_page_size = 50
    api_key = "BQDhH3a6a5tTyTzm1wV8-spotify-access-token"
    rate_limited_on_page = None
    refused = 0

    def unauthorized(self):
        return 401, {}, {"error": {"status": 401, "message": "Invalid access token"}}

    def record(self, number):
        return {
            "id": f"37i9dQZF1DX{number:011d}",
            "name": f"Playlist {number}",
            "public": True,
            "type": "playlist",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(offset, limit):
            return 429, {"Retry-After": "1"}, {"error": {"status": 429, "message": "API rate limit exceeded"}}

        def at(where):
            return f"{self.url}?{urlencode({'offset': where, 'limit': limit})}"

        end = offset + limit
        return (
            200,
            {},
            {
                "href": at(offset),
                "items": records[offset:end],
                "limit": limit,
                "next": at(end) if end < len(records) else None,
                "offset": offset,
                "previous": at(max(offset - limit, 0)) if offset else None,
                "total": len(records),
            },
        )


class FacebookGraph(VendorServer):
    """Meta Graph API edges (``GET /v19.0/{page-id}/posts``; the access token as a bearer or the
    ``access_token`` parameter): ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next",
    "previous"}}``; ``limit`` (default 25) and ``after``; the last page has no ``next``. Errors:
    ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``, mostly HTTP 400.
    https://developers.facebook.com/docs/graph-api/results (cursor-based pagination),
    https://developers.facebook.com/docs/graph-api/guides/error-handling"""

    name = "facebook"
    path = "/v19.0/104445678901234/posts"
    records = 23
    page_size = 5
    api_key = "EAAGm0PX4ZCpsBAFakeGraphAccessToken0123456789"
    # this page (1-based) is refused once with a rate limit: {"error": {"code": ...}} and this status
    # (https://developers.facebook.com/docs/graph-api/overview/rate-limiting)
    rate_limited_on_page = None
    rate_limit_code = 17
    rate_limit_status = 400
    rate_limit_headers: dict = {}
    _RATE_LIMIT_MESSAGES = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
        80004: "There have been too many calls to this ad-account. Wait a bit and try again.",
    }

    def unauthorized(self):
        error = {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "AWmTQ2oEwPqTJkFGw-E2XcU",
        }
        return 400, {}, {"error": error}

    def authorized(self, headers):
        return True  # the token may come as a parameter too: checked in respond

    def record(self, number):
        return {
            "id": f"104445678901234_{900 + number}",
            "message": f"Post {number}",
            "created_time": "2024-01-01T00:00:00+0000",
        }

    def respond(self, path, query, headers):
        token = query.get("access_token")
        if token is None and headers.get("Authorization") == f"Bearer {self.api_key}":
            token = self.api_key
        if token != self.api_key:
            return self.unauthorized()
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["after"], "fb") if query.get("after") else 0
        if start is None:
            return 400, {}, {"error": {"message": "Invalid cursor", "type": "OAuthException", "code": 100}}
        if self.refused_once(start, limit):
            error = {
                "message": self._RATE_LIMIT_MESSAGES.get(self.rate_limit_code, "Rate limited"),
                "type": "OAuthException",
                "is_transient": True,
                "code": self.rate_limit_code,
                "fbtrace_id": "AhVq3JkT0pZ5sRfKe2Lx9Qa",
            }
            return self.rate_limit_status, dict(self.rate_limit_headers), {"error": error}
        end = min(start + limit, len(records))
        paging = {"cursors": {"before": _token(start, "fb"), "after": _token(end, "fb")}}
        # Graph writes the access_token parameter a request carried into its paging links.
        echoed = {"access_token": query["access_token"]} if "access_token" in query else {}
        if end < len(records):
            paging["next"] = f"{self.url}?{urlencode({**echoed, 'limit': limit, 'after': _token(end, 'fb')})}"
        if start:
            before = {**echoed, "limit": limit, "before": _token(start, "fb")}
            paging["previous"] = f"{self.url}?{urlencode(before)}"
        return 200, {}, {"data": records[start:end], "paging": paging}


class Close(KeyAsUserVendor):
    """Close CRM API lists (``GET /api/v1/lead/``; HTTP Basic with the API key as the user name and an
    empty password): ``{"has_more", "data": [...]}``; ``_skip`` and ``_limit`` (default and most 100);
    a parameter it does not know (``starting_after``) is ignored: page 1 again.
    https://developer.close.com/topics/pagination/ (``_skip``, ``_limit``, ``has_more``)"""

    name = "close"
    path = "/api/v1/lead/"
    records = 23
    page_size = 5
    api_key = "api_2nXZ2fakeCloseKey0123456789"

    def unauthorized(self):
        return 401, {}, {"error": "The API key is invalid."}

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def record(self, number):
        return {"id": f"lead_{number:020d}", "display_name": f"Lead {number}", "status_label": "Potential"}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "_limit")
        skip = int(query["_skip"]) if str(query.get("_skip", "")).isdigit() else 0
        return 200, {}, {"has_more": skip + limit < len(records), "data": records[skip : skip + limit]}


class Recurly(KeyAsUserVendor, BasicAuthVendor):
    """Recurly API v3 lists (``GET /accounts``; HTTP Basic with the API key as the user name):
    ``{"object": "list", "has_more", "next": "/accounts?cursor=...&limit=...", "data": [...]}``;
    ``limit`` (default 20, at most 200); the last page has ``has_more: false`` and ``next: null``.
    https://recurly.com/developers/api/v2021-02-25/index.html#section/Getting-Started/Pagination"""

    name = "recurly"
    path = "/accounts"
    records = 23
    page_size = 5
    max_page_size = 200
    api_key = "e5fake0recurly0private0api0key0"

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def unauthorized(self):
        return 401, {}, {"error": {"type": "unauthorized", "message": "Invalid API key"}}

    def record(self, number):
        return {"id": f"o1abc{number:07d}", "object": "account", "code": f"acct-{number}", "state": "active"}

    def respond(self, path, query, headers):
        records = self.all_records()
        limit = self.size(query, "limit")
        start = _position(query["cursor"], "rc") if query.get("cursor") else 0
        if start is None:
            return 400, {}, {"error": {"type": "invalid_cursor", "message": "Invalid cursor"}}
        end = min(start + limit, len(records))
        more = end < len(records)
        nxt = f"{self.path}?{urlencode({'cursor': _token(end, 'rc'), 'limit': limit})}" if more else None
        return 200, {}, {"object": "list", "has_more": more, "next": nxt, "data": records[start:end]}


SIXTH_VENDORS_ON_AUTO = (
    ODataV2,
    HelpScout,
    Cloudflare,
    CloudflareKV,
    ZohoCrm,
    ZohoCrmV2,
    Spotify,
    FacebookGraph,
    Recurly,
)


# -- a seventh round: Greenhouse Harvest, Lever, Gong, YouTube, QuickBooks Online, Twitch, Todoist,
# Trello --------------------------------------------------------------------------------------------


class GreenhouseHarvest(KeyAsUserVendor):
    """Greenhouse Harvest API v1 (``GET /v1/candidates``; HTTP Basic with the API token as the user name
    and an empty password): a bare JSON list; ``per_page`` (1 to 500, default 100) and ``page`` from 1;
    a ``Link`` header with ``next``, ``prev`` and ``last`` (``skip_count=true`` leaves ``last`` out);
    no ``next`` on the last page. A 429 names its wait in ``Retry-After``; every answer carries
    ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``. Errors: ``{"message": ...}``.
    https://developers.greenhouse.io/harvest.html#authentication, #pagination, #throttling"""

    name = "greenhouse"
    path = "/v1/candidates"
    records = 23
    page_size = 5
    max_page_size = 500
    api_key = "a7183e1b7e9ab09b8a5cfa87d1934c3c"
    rate_limited_on_page = None
    refused = 0

    def unauthorized(self):
        return 401, {}, {"message": "Invalid Basic Auth credentials"}

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def record(self, number):
        return {"id": 4_000_000 + number, "first_name": f"Candidate {number}", "last_name": "Lee"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page")
        page = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        limits = {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49"}
        if self.refused_once((page - 1) * size, size):
            return (
                429,
                {"Retry-After": "1", "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0"},
                {"message": "Too many requests"},
            )
        pages = max(1, -(-len(records) // size))

        def link(number):
            return f"{self.url}?{urlencode({**query, 'page': number, 'per_page': size})}"

        links = []
        if page < pages:
            links.append(f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            links.append(f'<{link(page - 1)}>; rel="prev"')
        if query.get("skip_count") != "true":
            links.append(f'<{link(pages)}>; rel="last"')
        start = (page - 1) * size
        return 200, {**limits, "Link": ", ".join(links)}, records[start : start + size]


class GreenhouseHarvestV3(VendorServer):
    """Greenhouse Harvest API v3 (``GET /v3/jobs``; ``Authorization: Bearer``): a bare JSON list, cursor
    pagination by the ``Link`` header only: ``<.../v3/jobs?cursor=...>; rel="next"`` while there is
    another page, no header on the last one, no ``prev`` or ``last``. Filters and ``per_page`` go on the
    first request only: "When you pass a cursor, it must be the only query parameter" (a request with a
    cursor and another parameter fails).
    https://harvestdocs.greenhouse.io/docs/pagination"""

    name = "greenhouse-v3"
    path = "/v3/jobs"
    records = 23
    page_size = 5
    max_page_size = 500
    api_key = "harvest-v3-oauth-access-token-7f3a"

    def record(self, number):
        return {"id": 90_000 + number, "name": f"Job {number}", "status": "open"}

    def respond(self, path, query, headers):
        records = self.all_records()
        if "cursor" in query:
            if len(query) > 1:
                others = ", ".join(sorted(name for name in query if name != "cursor"))
                return 400, {}, {"error": f"cursor must be the only query parameter (also given: {others})"}
            position = _position(query["cursor"], "gh3")
            if position is None:
                return 400, {}, {"error": "Invalid cursor"}
            start, size = divmod(position, 1000)
        else:
            start, size = 0, self.size(query, "per_page")
        end = min(start + size, len(records))
        headers_out = {}
        if end < len(records):
            headers_out["Link"] = f'<{self.url}?cursor={_token(end * 1000 + size, "gh3")}>; rel="next"'
        return 200, headers_out, records[start:end]


class Lever(KeyAsUserVendor):
    """Lever Data API lists (``GET /v1/opportunities``; HTTP Basic with the API key as the user name and an
    empty password): ``{"data": [...], "hasNext": true, "next": "<token>"}``; ``limit`` (1 to 100,
    default 100) and ``offset``, which takes the ``next`` token of the previous answer (an opaque token,
    not a URL); the last page has ``hasNext: false`` and no ``next``. Errors: ``{"code", "message"}``;
    too many requests: HTTP 429. https://hire.lever.co/developer/documentation#pagination,
    #rate-limits, #errors"""

    name = "lever"
    path = "/v1/opportunities"
    records = 23
    page_size = 5
    api_key = "mQ3FakeLeverKey0123456789abcdefgh"
    rate_limited_on_page = None
    refused = 0

    def unauthorized(self):
        return 401, {}, {"code": "UnauthorizedError", "message": "Invalid API key"}

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def record(self, number):
        return {
            "id": f"{number:08d}-5d6f-4c2a-9b1e-0a1b2c3d4e5f",
            "name": f"Candidate {number}",
            "stage": "lead-new",
            "createdAt": 1_700_000_000_000 + number,
        }

    def respond(self, path, query, headers):
        if path != self.path:  # a token taken for a path: GET /v1/<token>
            return 404, {}, {"code": "ResourceNotFound", "message": f"Resource not found: {path}"}
        records = self.all_records()
        limit = self.size(query, "limit")
        start = 0
        if "offset" in query:
            start = _position(query["offset"].rsplit(".", 1)[-1], "lv")
            if start is None:
                return 400, {}, {"code": "BadRequestError", "message": "Invalid offset token"}
        if self.refused_once(start, limit):
            return 429, {}, {"code": "TooManyRequests", "message": "Too many requests"}
        end = min(start + limit, len(records))
        body: dict = {"data": records[start:end], "hasNext": end < len(records)}
        if end < len(records):
            body["next"] = f"0.{1_414_895_548_650 + end}.{_token(end, 'lv')}"  # as Lever's look
        return 200, {}, body


class Gong(BasicAuthVendor):
    """Gong API v2 ``GET /v2/users`` (HTTP Basic with the access key and its secret): ``{"requestId",
    "records": {"totalRecords", "currentPageSize", "currentPageNumber", "cursor"}, "users": [...]}``;
    100 a page; ``records.cursor`` only while more records follow, sent back as ``cursor``. The list is
    named after the resource (``users``, ``calls``) and ``records`` is the paging object. Errors:
    ``{"requestId", "errors": [...]}`` (a 4xx); a 429 names its wait in ``Retry-After``.
    https://help.gong.io/apidocs/list-all-users-v2users, https://help.gong.io/apidocs/introduction
    (authentication, limits), https://visioneers.gong.io/developers-79/gong-api-pagination-limit-1036"""

    name = "gong"
    path = "/v2/users"
    records = 23
    page_size = 5
    user = "UQ4ZNFAKEACCESSKEY"
    api_key = "eyJhbGciOiJIUzI1NiJ9.fake-gong-access-key-secret"
    rate_limited_on_page = None
    refused = 0
    cursor_lost_on_page: int | None = None  # this page (1-based) leaves out records.cursor

    def unauthorized(self):
        return 401, {}, {"requestId": "4al018gzaztcr8nbukw", "errors": ["Unauthorized"]}

    def record(self, number):
        return {
            "id": str(2_345_678_901_234_567_000 + number),
            "emailAddress": f"rep{number}@example.com",
            "active": True,
            "firstName": f"Rep {number}",
        }

    def respond(self, path, query, headers):
        return self.page(query.get("cursor"), "users")

    def respond_post(self, path, body, headers):
        """``POST /v2/calls/extensive``: ``{"filter": {...}, "contentSelector": {...}}``, the cursor
        at the body's top level ("provide the same JSON body as before and append the cursor")."""
        if path != "/v2/calls/extensive" or not isinstance(body.get("filter"), dict):
            return 400, {}, {"requestId": "4ubcyx5e25wtaxytgv7", "errors": ["filter is required"]}
        return self.page(body.get("cursor"), "calls")

    def page(self, cursor, resource):
        records = self.all_records()
        start = 0
        if cursor is not None:
            start = _position(cursor, "gong")
            if start is None:
                return 400, {}, {"requestId": "4ubcyx5e25wtaxytgv7", "errors": ["Malformed request"]}
        if self.refused_once(start, self.page_size):
            body = {"requestId": "5kqf0z9xyz", "errors": ["Too many requests"]}
            return 429, {"Retry-After": "1"}, body
        end = min(start + self.page_size, len(records))
        meta = {
            "totalRecords": len(records),
            "currentPageSize": end - start,
            "currentPageNumber": start // self.page_size,
        }
        if end < len(records) and start != ((self.cursor_lost_on_page or 0) - 1) * self.page_size:
            meta["cursor"] = _token(end, "gong")
        return 200, {}, {"requestId": "4ubcyx5e25wtaxytgv7", "records": meta, resource: records[start:end]}


class YouTube(QueryKeyVendor):
    """YouTube Data API v3 ``playlistItems.list`` (``GET /youtube/v3/playlistItems?part=snippet&
    playlistId=...``; the API key as ``key``): ``{"kind", "etag", "nextPageToken", "prevPageToken",
    "pageInfo": {"totalResults", "resultsPerPage"}, "items": [...]}``; ``maxResults`` (0 to 50, default
    5) and ``pageToken``; no ``nextPageToken`` on the last page. ``search.list`` answers the same
    envelope, but its ``pageInfo.totalResults`` "is an approximation and may not represent an exact
    value ... You should not use this value to create pagination links" (``approximate_total``). A spent
    daily quota is HTTP 403 ``{"error": {"code": 403, "message", "errors": [{"domain": "youtube.quota",
    "reason": "quotaExceeded"}]}}``.
    https://developers.google.com/youtube/v3/docs/playlistItems/list,
    https://developers.google.com/youtube/v3/docs/search/list (pageInfo.totalResults),
    https://developers.google.com/youtube/v3/guides/implementation/pagination,
    https://developers.google.com/youtube/v3/docs/errors"""

    name = "youtube"
    path = "/youtube/v3/playlistItems"
    records = 23
    page_size = 5
    max_page_size = 50
    api_key = "AIzaSyFakeYouTubeDataApiKey0123456789"
    approximate_total: int | None = None  # search.list: the total it announces instead of the true one
    quota_spent_on_page: int | None = None  # this page (1-based) answers quotaExceeded

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"part": "snippet", "playlistId": "PLBCF2DAC6FFB574DE"},
        }

    @staticmethod
    def error(status: int, reason: str, domain: str, message: str):
        detail = {"message": message, "domain": domain, "reason": reason}
        return status, {}, {"error": {"code": status, "message": message, "errors": [detail]}}

    def record(self, number):
        return {
            "kind": "youtube#playlistItem",
            "etag": f"etag-{number}",
            "id": f"UExCQ0YyREFDNkZGQjU3NERFLj{number:05d}",
            "snippet": {"title": f"Video {number}", "position": number - 1},
        }

    def respond(self, path, query, headers):
        if query.get("key") != self.api_key:
            return self.error(
                400, "keyInvalid", "usageLimits", "API key not valid. Please pass a valid API key."
            )
        records = self.all_records()
        size = self.size(query, "maxResults")
        start = _position(query["pageToken"], "yt") if query.get("pageToken") else 0
        if start is None:
            return self.error(
                400, "invalidPageToken", "youtube.parameter", "The request specifies an invalid page token."
            )
        if self.quota_spent_on_page is not None and start == (self.quota_spent_on_page - 1) * size:
            said = "The request cannot be completed because you have exceeded your quota."
            return self.error(403, "quotaExceeded", "youtube.quota", said)
        end = min(start + size, len(records))
        body: dict = {"kind": "youtube#playlistItemListResponse", "etag": "tag"}
        if end < len(records):
            body["nextPageToken"] = _token(end, "yt")
        if start:
            body["prevPageToken"] = _token(max(start - size, 0), "yt")
        total = len(records) if self.approximate_total is None else self.approximate_total
        body["pageInfo"] = {"totalResults": total, "resultsPerPage": size}
        body["items"] = records[start:end]
        return 200, {}, body


class QuickBooksOnline(VendorServer):
    """QuickBooks Online Accounting API query (``GET /v3/company/{realmId}/query?query=select * from
    Customer STARTPOSITION 1 MAXRESULTS 100``; ``Authorization: Bearer``): ``{"QueryResponse":
    {"Customer": [...], "startPosition", "maxResults"}, "time"}``. Pagination is in the query statement
    itself (``STARTPOSITION`` from 1, ``MAXRESULTS`` up to 1000, 100 when not given); the response's
    ``maxResults`` is the count it holds, and it names no total (only ``select count(*)`` does:
    ``totalCount``). Past the end, ``QueryResponse`` is ``{}``. Errors: ``{"Fault": {"Error":
    [{"Message", "Detail", "code"}], "type"}, "time"}``.
    https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    (pagination), https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes"""

    name = "quickbooks"
    path = "/v3/company/9130354789012345/query"
    records = 23
    page_size = 100
    api_key = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.fake-qbo-access-token"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"query": "select * from Customer", "minorversion": "75"},
        }

    def record(self, number):
        return {"Id": str(number), "DisplayName": f"Customer {number}", "Active": True, "SyncToken": "0"}

    def respond(self, path, query, headers):
        statement = query.get("query", "")
        match = re.fullmatch(
            r"\s*select \* from (\w+)(?: STARTPOSITION (\d+))?(?: MAXRESULTS (\d+))?\s*",
            statement,
            re.IGNORECASE,
        )
        if not match:
            fault = {
                "Error": [{"Message": "Error parsing query", "Detail": statement, "code": "4000"}],
                "type": "ValidationFault",
            }
            return 400, {}, {"Fault": fault, "time": "2026-12-06T02:00:00.000-08:00"}
        entity, position, most = match.group(1), int(match.group(2) or 1), int(match.group(3) or 100)
        records = self.all_records()[position - 1 : position - 1 + min(most, 1000)]
        answer = {entity: records, "startPosition": position, "maxResults": len(records)} if records else {}
        return 200, {}, {"QueryResponse": answer, "time": "2026-12-06T02:00:00.000-08:00"}


class Twitch(VendorServer):
    """Twitch Helix (``GET /helix/channels/followers?broadcaster_id=...``; ``Authorization: Bearer`` and
    ``Client-Id``): ``{"total", "data": [...], "pagination": {"cursor"}}``; ``first`` (default 20, at
    most 100) and ``after``; the last page's ``pagination`` is ``{}``. Every answer carries
    ``Ratelimit-Limit``, ``Ratelimit-Remaining`` and ``Ratelimit-Reset`` (epoch seconds); an empty bucket
    is HTTP 429 ``{"error": "Too Many Requests", "status": 429, "message"}`` until the reset.
    https://dev.twitch.tv/docs/api/guide/#pagination, https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits,
    https://dev.twitch.tv/docs/api/reference/#get-channel-followers"""

    name = "twitch"
    path = "/helix/channels/followers"
    records = 23
    page_size = 5
    api_key = "cfabdegwdoklmawdzdo98xt2fo512y"
    client_id = "uo6dggojyb8d6soh92zknwmi5ej1q2"
    rate_limited_on_page = None
    refused = 0

    def authorized(self, headers):
        return super().authorized(headers) and headers.get("Client-Id") == self.client_id

    def unauthorized(self):
        return 401, {}, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_headers": {"Client-Id": self.client_id},
            "query_params": {"broadcaster_id": "123456"},
            "primary_key": "user_id",  # a follower has no "id"
        }

    def record(self, number):
        return {
            "user_id": str(11_111 + number),
            "user_login": f"viewer{number}",
            "followed_at": "2026-01-01T00:00:00Z",
        }

    def respond(self, path, query, headers):
        if "broadcaster_id" not in query:
            return (
                400,
                {},
                {
                    "error": "Bad Request",
                    "status": 400,
                    "message": 'Missing required parameter "broadcaster_id"',
                },
            )
        records = self.all_records()
        size = self.size(query, "first")
        start = _position(query["after"], "tw") if query.get("after") else 0
        if start is None:
            return 400, {}, {"error": "Bad Request", "status": 400, "message": "Invalid cursor"}
        reset = str(int(time.time()) + 1)
        if self.refused_once(start, size):
            limits = {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "0", "Ratelimit-Reset": reset}
            return (
                429,
                limits,
                {"error": "Too Many Requests", "status": 429, "message": "Rate limit exceeded"},
            )
        end = min(start + size, len(records))
        pagination = {"cursor": _token(end, "tw")} if end < len(records) else {}
        limits = {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "799", "Ratelimit-Reset": reset}
        return 200, limits, {"total": len(records), "data": records[start:end], "pagination": pagination}


class Todoist(VendorServer):
    """Todoist API v1 (``GET /api/v1/tasks``; ``Authorization: Bearer``): ``{"results": [...],
    "next_cursor": "<cursor>" | null}``; ``limit`` (default 50, at most 200) and ``cursor``. Errors:
    ``{"error", "error_code", "error_extra", "error_tag", "http_code"}``.
    https://developer.todoist.com/api/v1/#tag/Tasks/operation/get_tasks_api_v1_tasks_get,
    https://developer.todoist.com/api/v1/#tag/Pagination"""

    name = "todoist"
    path = "/api/v1/tasks"
    records = 23
    page_size = 5
    max_page_size = 200
    api_key = "0123456789abcdef0123456789abcdef01234567"

    def unauthorized(self):
        body = {
            "error": "Unauthorized",
            "error_code": 401,
            "error_extra": {},
            "error_tag": "AUTH_INVALID_TOKEN",
            "http_code": 401,
        }
        return 401, {}, body

    def record(self, number):
        return {"id": f"6X7rM8997g{number:03d}", "content": f"Task {number}", "checked": False, "priority": 1}

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["cursor"], "td") if query.get("cursor") else 0
        if start is None:
            body = {
                "error": "Invalid argument value",
                "error_code": 20,
                "error_extra": {"argument": "cursor"},
                "error_tag": "INVALID_ARGUMENT_VALUE",
                "http_code": 400,
            }
            return 400, {}, body
        end = min(start + self.size(query, "limit"), len(records))
        return (
            200,
            {},
            {"results": records[start:end], "next_cursor": _token(end, "td") if end < len(records) else None},
        )


class Trello(QueryKeyVendor):
    """Trello REST API ``GET /1/boards/{id}/cards`` (``key`` and ``token`` query parameters): a bare JSON
    list, no page envelope; ``limit`` (at most 1000) and ``before`` / ``since`` (a card id: the list is
    newest first, ``before=<oldest id seen>`` asks for the older ones). Errors are plain text ("invalid
    key", "invalid token", HTTP 401); a rate limit is HTTP 429 ``{"error": "API_TOKEN_LIMIT_EXCEEDED",
    "message"}``. https://developer.atlassian.com/cloud/trello/rest/api-group-boards/#api-boards-id-cards-get,
    https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/,
    https://developer.atlassian.com/cloud/trello/guides/rest-api/api-introduction/ (paging)"""

    name = "trello"
    path = "/1/boards/5abbe4b7ddc1b351ef961414/cards"
    records = 23
    page_size = 5
    max_page_size = 1000
    api_key = "0471642aefef5fa1fa76530ce1ba4c85"
    token = "ATTA9eb09f8fake0trello0token0a1b2c3d4e5f6a7b8c9d0e1f"

    def connector_fields(self):
        return {**super().connector_fields(), "secret_params": json.dumps({"query": {"token": self.token}})}

    def record(self, number):
        # newest first: card ids are hex timestamps, larger is newer
        return {"id": f"5abbe4b7ddc1b351ef96{number:04x}", "name": f"Card {number}", "closed": False}

    def all_records(self):
        return [self.record(number) for number in range(self.records, 0, -1)]

    def respond(self, path, query, headers):
        if query.get("key") != self.api_key:
            return 401, {"Content-Type": "text/plain; charset=utf-8"}, b"invalid key"
        if query.get("token") != self.token:
            return 401, {"Content-Type": "text/plain; charset=utf-8"}, b"invalid token"
        records = self.all_records()
        if query.get("before"):
            records = [record for record in records if record["id"] < query["before"]]
        return 200, {}, records[: self.size(query, "limit", default=1000)]


# QuickBooks Online and Trello answer one list (no page to follow): tested on their own.
SEVENTH_VENDORS_ON_AUTO = (GreenhouseHarvest, GreenhouseHarvestV3, Lever, Gong, YouTube, Twitch, Todoist)


class GoogleSheetsValues(QueryKeyVendor):
    """Google Sheets API ``spreadsheets.values.get`` (``GET /v4/spreadsheets/{id}/values/{range}``; the
    API key as ``key`` for a public sheet): a ValueRange ``{"range", "majorDimension": "ROWS",
    "values": [["Item", "Cost"], ["Wheel", "20.5"], ...]}``: rows are lists of cells (the first row is
    the sheet's header when it has one); empty trailing rows and cells are left out, and a range
    without any value has no ``values`` at all. No pagination: one answer holds the range.
    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/get,
    https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values#ValueRange,
    https://developers.google.com/sheets/api/samples/reading"""

    name = "google-sheets"
    path = "/v4/spreadsheets/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/values/Sheet1!A1:D100"
    records = 23
    page_size = 1000
    api_key = "AIzaSyFakeSheetsApiKey0123456789abcdef"

    def record(self, number):
        return {"Item": f"Item {number}", "Cost": f"{number}.5", "Stocked": str(number % 4)}

    def respond(self, path, query, headers):
        if query.get("key") != self.api_key:
            error = {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
            }
            return 400, {}, {"error": error}
        body = {"range": "Sheet1!A1:D100", "majorDimension": "ROWS"}
        rows = [list(record.values()) for record in self.all_records()]
        if rows:
            body["values"] = [["Item", "Cost", "Stocked"], *rows]
        return 200, {}, body


class Elasticsearch(BasicAuthVendor):
    """Elasticsearch / OpenSearch ``_search`` (``GET /{index}/_search?from=&size=`` or POST with a JSON
    body; HTTP Basic): ``{"took", "timed_out", "_shards", "hits": {"total": {"value", "relation"},
    "max_score", "hits": [{"_index", "_id", "_score", "_source", "sort"?}]}}``; ``size`` defaults to 10.
    ``hits.total`` is exact (``"relation": "eq"``) up to ``track_total_hits`` (10,000 by default), past it
    a lower bound (``{"value": 10000, "relation": "gte"}``); ``track_total_hits=true`` counts exactly.
    ``from + size`` beyond ``index.max_result_window`` (10,000) is HTTP 400 ``search_phase_execution_
    exception`` / ``illegal_argument_exception`` "Result window is too large"; an unknown URL parameter
    is HTTP 400 "contains unrecognized parameter". Deeper lists are read with ``search_after`` (the last
    hit's ``sort`` values, in a POSTed body with a ``sort``; without one HTTP 400, and beside a ``from``
    other than 0 HTTP 400 "[from] parameter must be set to 0 when [search_after] is used"). The fake
    sorts by the product number whatever the body's ``sort`` names: a hit's sort values are ``[n]``.
    https://www.elastic.co/guide/en/elasticsearch/reference/current/search-search.html,
    https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html,
    https://www.elastic.co/guide/en/elasticsearch/reference/current/search-your-data.html#track-total-hits,
    https://www.elastic.co/guide/en/elasticsearch/reference/current/index-modules.html (max_result_window)"""

    name = "elasticsearch"
    path = "/products/_search"
    user = "elastic"
    records = 23
    page_size = 10
    max_page_size = 10_000
    api_key = "elastic-password-0a1b2c3d"
    track_total_hits = 10_000  # the default: an exact count up to this many hits
    max_result_window = 10_000  # index.max_result_window
    hit_without_sort: int | None = None  # the number of a hit answered without its sort values
    refused_after: list | None = None  # search_after values answered with HTTP 503 (a node down)
    ignores_search_after = False  # a proxy that drops search_after: every page is the first
    # a sort that is not unique per document: hit n's sort values are [sort_of(n)] (a date, say)
    sort_of = staticmethod(lambda number: number)

    def unauthorized(self):
        reason = "missing authentication credentials for REST request [/products/_search]"
        return 401, {}, self.error(401, "security_exception", reason)

    @staticmethod
    def error(status, kind, reason, top=None):
        cause = {"type": kind, "reason": reason}
        error = {"root_cause": [cause], **(top or cause)}
        return {"error": error, "status": status}

    def record(self, number):
        return {
            "_index": "products",
            "_id": f"p{number:04d}",
            "_score": None,
            "_source": {"sku": f"SKU-{number:04d}", "name": f"Product {number}"},
            "sort": [self.sort_of(number)],
        }

    def respond(self, path, query, headers):
        known = {"from", "size", "track_total_hits", "q", "sort"}
        unknown = sorted(set(query) - known)
        if unknown:
            reason = f"request [{self.path}] contains unrecognized parameter: [{unknown[0]}]"
            return 400, {}, self.error(400, "illegal_argument_exception", reason)
        start = int(query["from"]) if str(query.get("from", "")).isdigit() else 0
        size = int(query["size"]) if str(query.get("size", "")).isdigit() else self.page_size
        return self.search(start, size, query.get("track_total_hits") == "true", None)

    def respond_post(self, path, body, headers):
        start, size = body.get("from", 0), body.get("size", self.page_size)
        after = None if self.ignores_search_after else body.get("search_after")
        if after is not None and not (isinstance(after, list) and body.get("sort")):
            reason = "Sort must contain at least one field when search_after is used"
            return 400, {}, self.error(400, "illegal_argument_exception", reason)
        if after is not None and start > 0:
            reason = "Validation Failed: 1: [from] parameter must be set to 0 when [search_after] is used;"
            return 400, {}, self.error(400, "action_request_validation_exception", reason)
        if after is not None and after == self.refused_after:
            reason = "all shards failed"
            return 503, {}, self.error(503, "search_phase_execution_exception", reason)
        return self.search(start, size, body.get("track_total_hits") is True, after)

    def search(self, start, size, exact, after):
        if start + size > self.max_result_window:
            reason = (
                f"Result window is too large, from + size must be less than or equal to: "
                f"[{self.max_result_window}] but was [{start + size}]. See the scroll api for a more "
                "efficient way to request large data sets. This limit can be set by changing the "
                "[index.max_result_window] index level setting."
            )
            top = {"type": "search_phase_execution_exception", "reason": "all shards failed"}
            return 400, {}, self.error(400, "illegal_argument_exception", reason, top)
        hits = self.all_records()
        if after is not None:
            hits = [hit for hit in hits if hit["sort"] > after]
        if self.hit_without_sort is not None:
            hits = [
                {key: value for key, value in hit.items() if key != "sort"}
                if hit["sort"] == [self.hit_without_sort]
                else hit
                for hit in hits
            ]
        total = len(self.all_records())
        relation = "eq"
        if not exact and total > self.track_total_hits:
            total, relation = self.track_total_hits, "gte"
        return (
            200,
            {},
            {
                "took": 3,
                "timed_out": False,
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {
                    "total": {"value": total, "relation": relation},
                    "max_score": None,
                    "hits": hits[start : start + size],
                },
            },
        )


class PostgREST(VendorServer):
    """PostgREST / Supabase's REST API (``GET /rest/v1/{table}``; Supabase: ``apikey`` and
    ``Authorization: Bearer``): a bare JSON array; ``limit`` / ``offset`` query parameters or a
    ``Range: 0-24`` header; every answer says its range in ``Content-Range: 0-24/*``, with the total
    instead of ``*`` when asked for with ``Prefer: count=exact`` (then HTTP 206 when the answer is not
    the whole table). The server's ``db-max-rows`` (Supabase's "Max rows", 1000 by default) caps every
    answer silently. Errors: ``{"code": "PGRST...", "details", "hint", "message"}``.
    https://docs.postgrest.org/en/stable/references/api/pagination_count.html,
    https://docs.postgrest.org/en/stable/references/configuration.html#db-max-rows,
    https://supabase.com/docs/guides/api/using-custom-schemas (apikey), https://docs.postgrest.org/en/stable/references/errors.html"""

    name = "postgrest"
    path = "/rest/v1/countries"
    records = 23
    page_size = 10  # db-max-rows (small here)
    api_key = "eyJhbGciOiJIUzI1NiJ9.fake-supabase-anon-key.signature"

    def authorized(self, headers):
        return super().authorized(headers) and headers.get("apikey") == self.api_key

    def unauthorized(self):
        return (
            401,
            {},
            {
                "message": "No API key found in request",
                "hint": "No `apikey` request header or url param was found.",
            },
        )

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"apikey": self.api_key}}

    def record(self, number):
        return {"id": number, "name": f"Country {number}", "iso2": f"C{number:02d}"}

    def respond(self, path, query, headers):
        records = self.all_records()
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        limit = int(query["limit"]) if str(query.get("limit", "")).isdigit() else None
        ranged = re.fullmatch(r"(\d+)-(\d*)", headers.get("Range", "") or "")
        if ranged:
            start = int(ranged.group(1))
            if ranged.group(2):
                limit = int(ranged.group(2)) - start + 1
        size = self.page_size if limit is None else min(limit, self.page_size)
        rows = records[start : start + size]
        counted = "count=exact" in (headers.get("Prefer") or "")
        total = str(len(records)) if counted else "*"
        where = f"{start}-{start + len(rows) - 1}" if rows else "*"
        status = 206 if counted and len(rows) < len(records) else 200
        return status, {"Content-Range": f"{where}/{total}", "Range-Unit": "items"}, rows


class AzureDevOps(BasicAuthVendor):
    """Azure DevOps Services REST API lists that page with a continuation token, such as Projects - List
    (``GET /{organization}/_apis/projects?api-version=7.1&$top=...``; HTTP Basic with an empty user
    name and a personal access token): ``{"count": <records on this page>, "value": [...]}``; when more
    exist the answer carries the response header ``x-ms-continuationtoken``, sent back as the query
    parameter ``continuationToken``; no header on the last page.
    https://learn.microsoft.com/en-us/rest/api/azure/devops/core/projects/list?view=azure-devops-rest-7.1,
    https://learn.microsoft.com/en-us/rest/api/azure/devops/ (continuation tokens)"""

    name = "azure-devops"
    path = "/fabrikam/_apis/projects"
    user = ""
    records = 23
    page_size = 5
    api_key = "azdo-personal-access-token-0123456789abcdef"

    def unauthorized(self):
        return (
            401,
            {},
            {"$id": "1", "message": "TF400813: The user '' is not authorized to access this resource."},
        )

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"api-version": "7.1"}}

    def record(self, number):
        return {
            "id": f"eb6e4656-77fc-42a1-9181-4c6d8e9d{number:04d}",
            "name": f"Project {number}",
            "state": "wellFormed",
            "revision": number,
            "visibility": "private",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["continuationToken"], "azdo") if query.get("continuationToken") else 0
        if start is None:
            return 400, {}, {"$id": "1", "message": "The continuation token is not valid."}
        end = min(start + self.size(query, "$top"), len(records))
        page = records[start:end]
        extra = {"x-ms-continuationtoken": _token(end, "azdo")} if end < len(records) else {}
        return 200, extra, {"count": len(page), "value": page}


class Reddit(VendorServer):
    """Reddit listings (``GET https://oauth.reddit.com/r/{subreddit}/new``; ``Authorization: Bearer``):
    ``{"kind": "Listing", "data": {"after": "t3_x" | null, "dist", "modhash", "geo_filter", "children":
    [{"kind": "t3", "data": {...}}], "before"}}``; ``limit`` (default 25, at most 100), ``after`` (the
    fullname of the last thing seen) and ``count``. Errors: ``{"message": "Unauthorized", "error": 401}``.
    https://www.reddit.com/dev/api/#listings, https://www.reddit.com/dev/api/#GET_new"""

    name = "reddit"
    path = "/r/python/new"
    records = 23
    page_size = 5
    api_key = "eyJhbGciOiJSUzI1NiIsImtpZCI6.fake-reddit-token"

    def unauthorized(self):
        return 401, {}, {"message": "Unauthorized", "error": 401}

    def record(self, number):
        post_id = f"1a{number:04x}"
        return {
            "kind": "t3",
            "data": {
                "id": post_id,
                "name": f"t3_{post_id}",
                "title": f"Post {number}",
                "subreddit": "python",
            },
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = 0
        if query.get("after"):
            names = [record["data"]["name"] for record in records]
            start = names.index(query["after"]) + 1 if query["after"] in names else len(records)
        end = min(start + self.size(query, "limit"), len(records))
        children = records[start:end]
        after = children[-1]["data"]["name"] if end < len(records) and children else None
        before = children[0]["data"]["name"] if start and children else None
        data = {
            "after": after,
            "dist": len(children),
            "modhash": "",
            "geo_filter": None,
            "children": children,
            "before": before,
        }
        return 200, {}, {"kind": "Listing", "data": data}


class Ticketmaster(QueryKeyVendor):
    """Ticketmaster Discovery API v2 event search (``GET /discovery/v2/events.json?apikey=...``):
    HAL, ``{"_embedded": {"events": [...]}, "_links": {"first", "self", "next", "last": {"href"}},
    "page": {"size", "totalElements", "totalPages", "number"}}``; ``page`` from 0, ``size`` default 20;
    the links are paths. Deep paging is limited: "we only support retrieving the 1000th item. i.e.
    (size * page < 1000)"; past it HTTP 400 ``{"errors": [{"code": "DIS1035", "detail": "API Limits
    Exceeded: Max paging depth exceeded. (page * size) must be less than 1,000", "status": "400"}]}``.
    A wrong key: HTTP 401 ``{"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode"}}}``.
    https://developer.ticketmaster.com/products-and-docs/apis/discovery-api/v2/"""

    name = "ticketmaster"
    path = "/discovery/v2/events.json"
    records = 23
    page_size = 5
    max_page_size = 200
    max_depth = 1000
    api_key = "GkB8Z6m6fmIfacdQAd6cwPLXj2Oh"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "auth_param_name": "apikey",
            "query_params": {"countryCode": "US"},
        }

    def record(self, number):
        return {"id": f"vvG1zZ9{number:05d}", "name": f"Concert {number}", "type": "event", "locale": "en-us"}

    def respond(self, path, query, headers):
        if query.get("apikey") != self.api_key:
            fault = {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}
            return 401, {}, {"fault": fault}
        records = self.all_records()
        size = self.size(query, "size")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 0
        if size * number >= self.max_depth:
            detail = "API Limits Exceeded: Max paging depth exceeded. (page * size) must be less than 1,000"
            error = {"code": "DIS1035", "detail": detail, "status": "400"}
            return 400, {}, {"errors": [error]}
        pages = -(-len(records) // size)
        own = {key: value for key, value in query.items() if key not in ("apikey", "page", "size")}

        def link(page):
            return {"href": f"{self.path}?{urlencode({**own, 'page': page, 'size': size})}"}

        links = {"first": link(0), "self": link(number), "last": link(max(pages - 1, 0))}
        if number + 1 < pages:
            links["next"] = link(number + 1)
        if number:
            links["prev"] = link(number - 1)
        body: dict = {
            "_links": links,
            "page": {"size": size, "totalElements": len(records), "totalPages": pages, "number": number},
        }
        events = records[number * size : (number + 1) * size]
        if events:
            body = {"_embedded": {"events": events}, **body}
        return 200, {}, body


class Mollie(VendorServer):
    """Mollie API v2 lists (``GET /v2/payments``; ``Authorization: Bearer test_...``), HAL: ``{"count":
    <objects on this page>, "_embedded": {"payments": [...]}, "_links": {"self", "previous", "next":
    {"href", "type"} | null, "documentation"}}``; ``limit`` (default 50, at most 250) and ``from`` (the id
    the page starts at). Errors: ``{"status", "title", "detail", "_links": {"documentation"}}``.
    https://docs.mollie.com/overview/pagination, https://docs.mollie.com/reference/list-payments,
    https://docs.mollie.com/overview/handling-errors"""

    name = "mollie"
    path = "/v2/payments"
    records = 23
    page_size = 5
    max_page_size = 250
    api_key = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
    refused_from_on_page: int | None = None  # this page (1-based) answers its "from" with HTTP 400

    def unauthorized(self):
        body = {
            "status": 401,
            "title": "Unauthorized Request",
            "detail": "Missing authentication, or failed to authenticate",
            "_links": {
                "documentation": {
                    "href": "https://docs.mollie.com/overview/authentication",
                    "type": "text/html",
                }
            },
        }
        return 401, {"Content-Type": "application/hal+json"}, body

    def record(self, number):
        return {"resource": "payment", "id": f"tr_{number:05d}WvQ", "mode": "test", "status": "paid"}

    def respond(self, path, query, headers):
        records = self.all_records()
        ids = [record["id"] for record in records]
        start = 0
        if query.get("from"):
            if query["from"] not in ids:
                return 400, {}, {"status": 400, "title": "Bad Request", "detail": "Invalid 'from' parameter"}
            start = ids.index(query["from"])
        size = self.size(query, "limit")
        if self.refused_from_on_page is not None and start == (self.refused_from_on_page - 1) * size:
            detail = f"The payment '{query.get('from')}' does not exist"
            return 400, {}, {"status": 400, "title": "Bad Request", "detail": detail, "field": "from"}
        page = records[start : start + size]

        def link(at):
            return {
                "href": f"{self.url}?{urlencode({'from': ids[at], 'limit': size})}",
                "type": "application/hal+json",
            }

        links = {
            "self": link(start) if page else {"href": self.url, "type": "application/hal+json"},
            "previous": link(max(start - size, 0)) if start else None,
            "next": link(start + size) if start + size < len(records) else None,
            "documentation": {"href": "https://docs.mollie.com/reference/list-payments", "type": "text/html"},
        }
        return (
            200,
            {"Content-Type": "application/hal+json"},
            {"count": len(page), "_embedded": {"payments": page}, "_links": links},
        )


class PayPal(VendorServer):
    """PayPal REST list endpoints such as List plans (``GET /v1/billing/plans``; ``Authorization: Bearer``):
    ``{"plans": [...], "total_items", "total_pages", "links": [{"href", "rel": "self" | "next" | "prev" |
    "last" ..., "method": "GET"}]}`` (HATEOAS links); ``page`` from 1, ``page_size`` (default 10, at most
    20); ``total_items`` and ``total_pages`` only with ``total_required=true``. Errors: ``{"name",
    "message", "debug_id", "details": [{"field", "issue", "description"}]}``.
    https://developer.paypal.com/docs/api/subscriptions/v1/#plans_list,
    https://developer.paypal.com/api/rest/responses/#link-hateoaslinks, https://developer.paypal.com/api/rest/reference/orders/v2/errors/"""

    name = "paypal"
    path = "/v1/billing/plans"
    records = 23
    page_size = 5
    max_page_size = 20
    api_key = "A21AAFake-PayPal-Access-Token-0123456789"

    def unauthorized(self):
        return 401, {}, {"error": "invalid_token", "error_description": "Token signature verification failed"}

    def record(self, number):
        return {"id": f"P-{number:04d}ABCDEFGHIJKLMN", "name": f"Plan {number}", "status": "ACTIVE"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page_size")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        pages = max(-(-len(records) // size), 1)
        start = (number - 1) * size

        def link(page, rel):
            return {
                "href": f"{self.url}?{urlencode({'page_size': size, 'page': page})}",
                "rel": rel,
                "method": "GET",
            }

        links = [link(number, "self")]
        if number > 1:
            links.append(link(number - 1, "prev"))
        if number < pages:
            links.append(link(number + 1, "next"))
        links.append(link(pages, "last"))
        body: dict = {"plans": records[start : start + size]}
        if query.get("total_required") == "true":
            body.update(total_items=len(records), total_pages=pages)
        body["links"] = links
        return 200, {}, body


class Box(VendorServer):
    """Box API folder items (``GET /2.0/folders/{id}/items``; ``Authorization: Bearer``): offset paging
    ``{"total_count", "entries": [...], "offset", "limit", "order": [{"by", "direction"}]}`` (``limit``
    default 100, at most 1000; an offset past 9,999 is refused, HTTP 400), or marker paging with
    ``usemarker=true``: ``{"entries", "limit", "next_marker"}`` (``marker`` sent back; no
    ``next_marker`` on the last page). Errors: ``{"type": "error", "status", "code", "message",
    "request_id"}``. https://developer.box.com/reference/get-folders-id-items/,
    https://developer.box.com/guides/api-calls/pagination/offset-based/,
    https://developer.box.com/guides/api-calls/pagination/marker-based/"""

    name = "box"
    path = "/2.0/folders/0/items"
    records = 23
    page_size = 5
    max_page_size = 1000
    max_offset = 9999
    api_key = "box-developer-token-0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"type": "error", "status": 401, "code": "unauthorized", "message": "Unauthorized"}

    def record(self, number):
        return {"type": "file", "id": str(12_345_000 + number), "etag": "1", "name": f"Contract {number}.pdf"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "limit")
        if query.get("usemarker") == "true":
            start = _position(query["marker"], "box") if query.get("marker") else 0
            if start is None:
                return (
                    400,
                    {},
                    {"type": "error", "status": 400, "code": "bad_request", "message": "Invalid marker"},
                )
            end = min(start + size, len(records))
            body = {"entries": records[start:end], "limit": size}
            if end < len(records):
                body["next_marker"] = _token(end, "box")
            return 200, {}, body
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if start > self.max_offset:
            message = (
                f"Invalid value '{start}'. 'offset' value must be less than or equal to {self.max_offset}"
            )
            body = {
                "type": "error",
                "status": 400,
                "code": "bad_request",
                "message": message,
                "request_id": "abc",
            }
            return 400, {}, body
        order = [{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}]
        body = {
            "total_count": len(records),
            "entries": records[start : start + size],
            "offset": start,
            "limit": size,
            "order": order,
        }
        return 200, {}, body


class Strapi(VendorServer):
    """Strapi v4 REST API (``GET /api/{plural}``; ``Authorization: Bearer <API token>``): ``{"data":
    [{"id", "attributes"}], "meta": {"pagination": {"page", "pageSize", "pageCount", "total"}}}``;
    ``pagination[page]`` and ``pagination[pageSize]`` (default 25, at most ``api.rest.maxLimit``, 100),
    or ``pagination[start]`` / ``pagination[limit]``; any other parameter name is ignored. v5 answers
    the same envelope with flat records. Errors: ``{"data": null, "error": {"status", "name",
    "message", "details"}}``. https://docs.strapi.io/dev-docs/api/rest/sort-pagination,
    https://docs.strapi.io/dev-docs/error-handling"""

    name = "strapi"
    path = "/api/articles"
    records = 23
    page_size = 5
    max_page_size = 100
    api_key = "strapi-full-access-token-0123456789abcdef"

    def unauthorized(self):
        error = {
            "status": 401,
            "name": "UnauthorizedError",
            "message": "Missing or invalid credentials",
            "details": {},
        }
        return 401, {}, {"data": None, "error": error}

    def record(self, number):
        return {"id": number, "attributes": {"title": f"Article {number}", "slug": f"article-{number}"}}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "pagination[pageSize]")
        number = int(query["pagination[page]"]) if str(query.get("pagination[page]", "")).isdigit() else 1
        start = (number - 1) * size
        pagination = {
            "page": number,
            "pageSize": size,
            "pageCount": -(-len(records) // size),
            "total": len(records),
        }
        return 200, {}, {"data": records[start : start + size], "meta": {"pagination": pagination}}


class Magento(VendorServer):
    """Magento 2 / Adobe Commerce REST search (``GET /rest/V1/products?searchCriteria[pageSize]=20&
    searchCriteria[currentPage]=1``; ``Authorization: Bearer``): ``{"items": [...], "search_criteria":
    {"filter_groups": [], "page_size", "current_page"}, "total_count"}``; without a page size every item
    comes in one answer; a page past the last answers the last page again (not an empty one). Errors:
    ``{"message": "...%1...", "parameters": [...]}``.
    https://developer.adobe.com/commerce/webapi/rest/use-rest/performing-searches/,
    https://developer.adobe.com/commerce/webapi/rest/use-rest/search-criteria/,
    https://github.com/magento/magento2/issues/25619 (the last page again),
    https://github.com/magento/magento2/issues/17295 (a total_count larger than the items it serves)"""

    name = "magento"
    path = "/rest/V1/products"
    records = 23
    page_size = 5
    total_count_extra = 0  # items total_count counts but no page serves
    api_key = "magento-integration-access-token-0123456789"

    def unauthorized(self):
        return (
            401,
            {},
            {
                "message": "The consumer isn't authorized to access %resources.",
                "parameters": {"resources": "Magento_Catalog::products"},
            },
        )

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "sku"}

    def record(self, number):
        return {"id": number, "sku": f"MS-{number:04d}", "name": f"Shirt {number}", "type_id": "simple"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = query.get("searchCriteria[pageSize]", "")
        criteria: dict = {"filter_groups": []}
        if not size.isdigit() or int(size) < 1:
            return 200, {}, {"items": records, "search_criteria": criteria, "total_count": len(records)}
        size = int(size)
        last = max(-(-len(records) // size), 1)
        number = int(query.get("searchCriteria[currentPage]", "1") or 1)
        shown = min(max(number, 1), last)  # a page past the last is the last one again
        criteria.update(page_size=size, current_page=number)
        items = records[(shown - 1) * size : shown * size]
        total = len(records) + self.total_count_extra
        return 200, {}, {"items": items, "search_criteria": criteria, "total_count": total}


EIGHTH_VENDORS = (
    Elasticsearch,
    PostgREST,
    AzureDevOps,
    Reddit,
    Ticketmaster,
    Mollie,
    PayPal,
    Box,
    Strapi,
    Magento,
)


class JiraSearchJql(BasicAuthVendor):
    """Jira Cloud's enhanced JQL search (``GET /rest/api/3/search/jql?jql=...``), which replaced
    ``/rest/api/3/search`` in 2025: ``{"issues": [...], "nextPageToken": "...", "isLast": false}``;
    ``maxResults`` (default 50) and ``nextPageToken``; no total, no ``startAt`` (it is ignored: the first
    page again); the last page has ``isLast: true`` and no ``nextPageToken`` key at all (JRACLOUD-92184).
    Errors: ``{"errorMessages": [...], "errors": {}}``.
    https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get,
    https://jira.atlassian.com/browse/JRACLOUD-92184"""

    name = "jira-search-jql"
    path = "/rest/api/3/search/jql"
    records = 23
    page_size = 5
    api_key = "ATATT3xFfGF0-fake-jira-token"
    user = "ada@example.com"

    def unauthorized(self):
        return 401, {}, {"errorMessages": ["You are not authenticated."], "errors": {}}

    def record(self, number):
        return {"id": str(10000 + number), "key": f"KAN-{number}", "fields": {"summary": f"Issue {number}"}}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"jql": "project = KAN ORDER BY key", "fields": "*all"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["nextPageToken"], "jql") if query.get("nextPageToken") else 0
        if start is None:
            return (
                400,
                {},
                {"errorMessages": ["The provided next page token is invalid or expired."], "errors": {}},
            )
        end = min(start + self.size(query, "maxResults"), len(records))
        body: dict = {"issues": records[start:end]}
        if end < len(records):
            body["nextPageToken"] = _token(end, "jql")
        body["isLast"] = end >= len(records)
        return 200, {}, body


class Auth0Users(VendorServer):
    """Auth0 Management API v2 List or Search Users (``GET /api/v2/users``; ``Authorization: Bearer``):
    a bare JSON array, or with ``include_totals=true`` ``{"start", "limit", "length", "users", "total"}``;
    ``page`` is zero-based, ``per_page`` at most 100; without ``page`` at most 50 users come back
    "regardless of how many records exist". Auth0 serves the first 1000 users of a query and no more:
    a page past them (``page * per_page + per_page > 1000``) is HTTP 400. Errors: ``{"statusCode",
    "error", "message"}``.
    https://auth0.com/docs/manage-users/user-search/view-search-results-by-page,
    https://auth0.com/docs/api/management/v2/users/get-users,
    https://community.auth0.com/t/how-to-use-paging-on-management-api-v2-requests/66669"""

    name = "auth0"
    path = "/api/v2/users"
    records = 123
    page_size = 50  # without per_page
    max_page_size = 100
    max_depth = 1000
    api_key = "eyJhbGciOiJSUzI1NiJ9.fake-auth0-management-token"

    def unauthorized(self):
        return 401, {}, {"statusCode": 401, "error": "Unauthorized", "message": "Invalid token"}

    def record(self, number):
        return {"user_id": f"auth0|{number:08d}", "email": f"u{number}@example.com", "name": f"User {number}"}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "user_id"}

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "per_page", 50)
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else None
        if number is None:
            start, size = 0, min(size, 50)
        else:
            start = number * size
            if start + size > self.max_depth:
                message = (
                    "You can only page through the first 1000 records. See "
                    "https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation"
                )
                return 400, {}, {"statusCode": 400, "error": "Bad Request", "message": message}
        users = records[start : start + size]
        if query.get("include_totals") == "true":
            return (
                200,
                {},
                {"start": start, "limit": size, "length": len(users), "users": users, "total": len(records)},
            )
        return 200, {}, users


class YelpBusinessSearch(VendorServer):
    """Yelp Fusion Business Search (``GET /v3/businesses/search?location=...``; ``Authorization: Bearer``):
    ``{"businesses": [...], "total", "region": {"center"}}``; ``limit`` (default 20, at most 50) and
    ``offset``; ``total`` counts every match, but ``offset + limit`` past 1000 is refused with HTTP 400
    ``{"error": {"code": "VALIDATION_ERROR", "description": ...}}``.
    https://docs.developer.yelp.com/reference/v3_business_search,
    https://docs.developer.yelp.com/docs/fusion-faq (results are limited to 1000)"""

    name = "yelp"
    path = "/v3/businesses/search"
    records = 23
    page_size = 5  # 20 at Yelp
    max_page_size = 50
    max_depth = 1000
    api_key = "yelp-fusion-api-key-0123456789abcdef"

    def unauthorized(self):
        error = {"code": "TOKEN_INVALID", "description": "Invalid access token or authorization header."}
        return 401, {}, {"error": error}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"location": "Lisbon"}}

    def record(self, number):
        return {
            "id": f"biz-{number:05d}",
            "alias": f"cafe-{number}-lisboa",
            "name": f"Cafe {number}",
            "rating": 4.5,
        }

    def respond(self, path, query, headers):
        if not query.get("location"):
            error = {
                "code": "VALIDATION_ERROR",
                "description": "Please specify a location or a latitude and longitude",
            }
            return 400, {}, {"error": error}
        records = self.all_records()
        size = self.size(query, "limit")
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if start + size > self.max_depth:
            error = {
                "code": "VALIDATION_ERROR",
                "description": "Too many results requested, limit+offset must be <= 1000.",
            }
            return 400, {}, {"error": error}
        region = {"center": {"longitude": -9.1393, "latitude": 38.7223}}
        return 200, {}, {"businesses": records[start : start + size], "total": len(records), "region": region}


class DocuSignEnvelopes(VendorServer):
    """DocuSign eSignature REST API v2.1 Envelopes: listStatusChanges (``GET
    /restapi/v2.1/accounts/{accountId}/envelopes?from_date=...``; ``Authorization: Bearer``):
    ``{"resultSetSize", "startPosition", "endPosition", "totalSetSize", "nextUri", "previousUri",
    "envelopes": [...]}``, every count a string; ``start_position`` and ``count``; ``nextUri`` is the
    request again with the next ``start_position``, a path relative to the API's base
    (``/restapi/v2.1``), empty on the last page. No ``from_date`` (nor other filter): HTTP 400.
    Errors: ``{"errorCode", "message"}``.
    https://www.docusign.com/blog/developers/the-trenches-api-pagination,
    https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/"""

    name = "docusign"
    base_path = "/restapi/v2.1"
    account = "7b3c9a1e-0d4f-4e8a-9c2b-5f6a7b8c9d0e"
    path = f"/restapi/v2.1/accounts/{account}/envelopes"
    records = 23
    page_size = 5  # 1000 at DocuSign
    max_page_size = 1000
    api_key = "eyJ0eXAiOiJNVCIsImFsZyI6IlJTMjU2In0.fake-docusign-token"

    def unauthorized(self):
        return (
            401,
            {},
            {
                "errorCode": "USER_AUTHENTICATION_FAILED",
                "message": "One or both of Username and Password are invalid.",
            },
        )

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "primary_key": "envelopeId",
            "query_params": {"from_date": "2025-01-01"},
        }

    def record(self, number):
        return {
            "envelopeId": f"e1c2d3f4-0000-4000-8000-{number:012d}",
            "status": "completed",
            "emailSubject": f"Contract {number}",
        }

    def respond(self, path, query, headers):
        if path != self.path:  # nextUri resolved against the host instead of the API's base path
            return (
                404,
                {"Content-Type": "text/html"},
                b"<html><body>404 - File or directory not found.</body></html>",
            )
        if not any(
            query.get(name) for name in ("from_date", "envelope_ids", "folder_ids", "transaction_ids")
        ):
            message = (
                "The request contained at least one invalid parameter. A value for 'from_date' must be set."
            )
            return 400, {}, {"errorCode": "INVALID_REQUEST_PARAMETER", "message": message}
        records = self.all_records()
        size = self.size(query, "count")
        start = int(query["start_position"]) if str(query.get("start_position", "")).isdigit() else 0
        page = records[start : start + size]
        own = {key: value for key, value in query.items() if key not in ("start_position", "count")}

        def uri(at):
            relative = self.path.removeprefix(self.base_path)
            return f"{relative}?{urlencode({**own, 'start_position': at, 'count': size})}"

        body: dict = {
            "resultSetSize": str(len(page)),
            "startPosition": str(start),
            "endPosition": str(start + len(page) - 1),
            "totalSetSize": str(len(records)),
            "nextUri": uri(start + size) if start + size < len(records) else "",
            "previousUri": uri(max(start - size, 0)) if start else "",
        }
        if page:
            body["envelopes"] = page  # DocuSign leaves the key out when nothing matched
        return 200, {}, body


class BigCommerce(VendorServer):
    """BigCommerce REST Management API v3 collections such as Get All Products (``GET
    /stores/{store_hash}/v3/catalog/products``; ``X-Auth-Token``): ``{"data": [...], "meta":
    {"pagination": {"total", "count", "per_page", "current_page", "total_pages", "links": {"previous",
    "current", "next"}}}}``; ``page`` and ``limit`` (default 50, at most 250); the links are query
    strings (``"?page=2&limit=50"``) "appended to the resource", without the request's filters; no
    ``next`` on the last page. Errors: ``{"status", "title", "type", "errors"}``.
    https://developer.bigcommerce.com/docs/start/about/pagination,
    https://developer.bigcommerce.com/docs/rest-catalog/products#get-all-products"""

    name = "bigcommerce"
    path = "/stores/abc123/v3/catalog/products"
    records = 23
    page_size = 5  # 50 at BigCommerce
    max_page_size = 250
    api_key = "bigcommerce-store-api-token-0123456789"

    def authorized(self, headers):
        return headers.get("X-Auth-Token") == self.api_key

    def unauthorized(self):
        body = {
            "status": 401,
            "title": "Unauthorized",
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            "errors": {},
        }
        return 401, {}, body

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Auth-Token",
        }

    def record(self, number):
        return {
            "id": 100 + number,
            "name": f"Product {number}",
            "sku": f"SKU-{number:03d}",
            "is_visible": number % 3 != 0,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        if "is_visible" in query:
            records = [
                record for record in records if record["is_visible"] == (query["is_visible"] == "true")
            ]
        size = self.size(query, "limit")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        pages = max(-(-len(records) // size), 1)
        links = {"current": f"?page={number}&limit={size}"}
        if number > 1:
            links["previous"] = f"?page={number - 1}&limit={size}"
        if number < pages:
            links["next"] = f"?page={number + 1}&limit={size}"
        page = records[(number - 1) * size : number * size]
        pagination = {
            "total": len(records),
            "count": len(page),
            "per_page": size,
            "current_page": number,
            "total_pages": pages,
            "links": links,
        }
        return 200, {}, {"data": page, "meta": {"pagination": pagination}}


class SendGridLists(VendorServer):
    """Twilio SendGrid Marketing Campaigns lists (``GET /v3/marketing/lists``; ``Authorization: Bearer``):
    ``{"result": [...], "_metadata": {"self", "next", "prev", "count"}}``; ``page_size`` (default 100, at
    most 1000) and ``page_token``; ``_metadata.next`` is the full URL of the next page, absent on the last;
    ``count`` is "the number of items in the entire list". Errors: ``{"errors": [{"field", "message"}]}``.
    https://www.twilio.com/docs/sendgrid/api-reference/lists/get-all-lists,
    https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/responses#pagination"""

    name = "sendgrid"
    path = "/v3/marketing/lists"
    records = 23
    page_size = 5  # 100 at SendGrid
    max_page_size = 1000
    api_key = "SG.fake-sendgrid-key.0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"errors": [{"field": None, "message": "authorization required"}]}

    def record(self, number):
        return {
            "id": f"ca7a3796-e8a8-4029-9ccb-df8937{number:06d}",
            "name": f"List {number}",
            "contact_count": number,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page_size")
        start = _position(query["page_token"], "sg") if query.get("page_token") else 0
        if start is None:
            return 400, {}, {"errors": [{"field": "page_token", "message": "invalid page token"}]}
        end = min(start + size, len(records))
        metadata = {"self": f"{self.url}?{urlencode({'page_size': size, 'page_token': _token(start, 'sg')})}"}
        if end < len(records):
            metadata["next"] = f"{self.url}?{urlencode({'page_size': size, 'page_token': _token(end, 'sg')})}"
        metadata["count"] = len(records)
        return 200, {}, {"result": records[start:end], "_metadata": metadata}


class DropboxSign(KeyAsUserVendor):
    """Dropbox Sign (HelloSign) API v3 List Signature Requests (``GET /v3/signature_request/list``; HTTP
    Basic with the API key as the user name): ``{"signature_requests": [...], "list_info": {"num_pages",
    "num_results", "page", "page_size"}, "warnings": [...]}``; ``page`` from 1 and ``page_size`` (default
    20, at most 100). Errors: ``{"error": {"error_msg", "error_name"}}``.
    https://developers.hellosign.com/api/reference/operation/signatureRequestList/,
    https://help.dropbox.com/integrations/how-to-retrieve-information-from-all-signature-requests-or-all-templates"""

    name = "dropbox-sign"
    path = "/v3/signature_request/list"
    records = 23
    page_size = 5  # 20 at Dropbox Sign
    api_key = "fake-dropbox-sign-api-key-0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"error": {"error_msg": "Unauthorized api key", "error_name": "unauthorized"}}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic_key",
            "primary_key": "signature_request_id",
        }

    def record(self, number):
        return {
            "signature_request_id": f"fa5c8a0b0f492d768749333ad6fcc214c1{number:06d}",
            "title": f"NDA {number}",
            "is_complete": True,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "page_size")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        info = {
            "num_pages": max(-(-len(records) // size), 1),
            "num_results": len(records),
            "page": number,
            "page_size": size,
        }
        page = records[(number - 1) * size : number * size]
        return 200, {}, {"signature_requests": page, "list_info": info, "warnings": []}


class Cloudinary(BasicAuthVendor):
    """Cloudinary Admin API Get resources (``GET /v1_1/{cloud_name}/resources/image``; HTTP Basic with the
    API key and secret): ``{"resources": [...], "next_cursor": "..."}``; ``max_results`` (default 10, at
    most 500) and ``next_cursor`` sent back under that same name; no ``next_cursor`` on the last page;
    unknown parameters are ignored (a cursor sent as ``cursor`` gets the first page again). Errors:
    ``{"error": {"message"}}``.
    https://cloudinary.com/documentation/admin_api#get_resources,
    https://cloudinary.com/documentation/admin_api#pagination"""

    name = "cloudinary"
    path = "/v1_1/demo/resources/image"
    records = 23
    page_size = 5  # 10 at Cloudinary
    max_page_size = 500
    user = "614335564976464"  # the API key; the secret is the password
    api_key = "fake-cloudinary-api-secret-0123456789"

    def unauthorized(self):
        return 401, {}, {"error": {"message": "Invalid api_key 614335564976464"}}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "asset_id"}

    def record(self, number):
        return {
            "asset_id": f"0c8d2a5e9f1b4c7d8e0f{number:012d}",
            "public_id": f"samples/photo-{number}",
            "format": "jpg",
            "resource_type": "image",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["next_cursor"], "cld") if query.get("next_cursor") else 0
        if start is None:
            return 400, {}, {"error": {"message": "Invalid next_cursor"}}
        end = min(start + self.size(query, "max_results"), len(records))
        body: dict = {"resources": records[start:end]}
        if end < len(records):
            body["next_cursor"] = _token(end, "cld")
        return 200, {}, body


class DiscordMessages(VendorServer):
    """Discord API v10 Get Channel Messages (``GET /api/v10/channels/{channel.id}/messages``;
    ``Authorization: Bot <token>``): a bare JSON array of messages, newest first; ``limit`` (1-100,
    default 50) and ``before`` / ``after`` / ``around`` a message id; no total, no next link, no flag:
    a page shorter than ``limit`` is the end. Errors: ``{"message", "code"}``.
    https://discord.com/developers/docs/resources/message#get-channel-messages,
    https://discord.com/developers/docs/reference#snowflakes"""

    name = "discord"
    path = "/api/v10/channels/1100000000000000001/messages"
    records = 123
    page_size = 50
    api_key = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.discord-bot-token"

    def authorized(self, headers):
        return headers.get("Authorization") == f"Bot {self.api_key}"

    def unauthorized(self):
        return 401, {}, {"message": "401: Unauthorized", "code": 0}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"Bot {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
        }

    def record(self, number):
        # Snowflakes grow with time; the newest message comes first.
        return {
            "id": str(1_200_000_000_000_000_000 + number),
            "channel_id": "1100000000000000001",
            "content": f"Message {number}",
        }

    def all_records(self):
        return [self.record(number) for number in range(self.records, 0, -1)]

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "limit")
        if query.get("before"):
            records = [record for record in records if int(record["id"]) < int(query["before"])]
        return 200, {}, records[:size]


# Auth0 and Discord: not on auto (a first page without a paging signal ends PARTIAL, see the tests)
NINTH_VENDORS_ON_AUTO = (
    JiraSearchJql,
    YelpBusinessSearch,
    DocuSignEnvelopes,
    BigCommerce,
    SendGridLists,
    DropboxSign,
    Cloudinary,
)


class SmartsheetWorkspaces(VendorServer):
    """Smartsheet API 2.0 List Workspaces (``GET /2.0/workspaces``; ``Authorization: Bearer``). Token
    pages with ``paginationType=token``: ``maxItems`` (at most that many, "not guaranteed" to be that
    many: a short page is no end) and ``lastKey``, answered ``{"data": [...], "lastKey": "..."}``, no
    ``lastKey`` on the last page. Without it the older offset pages: ``page`` and ``pageSize`` (default
    100), answered ``{"pageNumber", "pageSize", "totalPages", "totalCount", "data"}``. Errors:
    ``{"errorCode", "message", "refId"}``.
    https://developers.smartsheet.com/api/smartsheet/guides/basics/pagination,
    https://developers.smartsheet.com/api/smartsheet/guides/basics/pagination-sdk-examples"""

    name = "smartsheet"
    path = "/2.0/workspaces"
    records = 23
    page_size = 5  # 100 at Smartsheet
    api_key = "smartsheet-api-access-token-0123456789"

    def unauthorized(self):
        return 401, {}, {"errorCode": 1002, "message": "Your Access Token is invalid.", "refId": "1a2b3c"}

    def record(self, number):
        return {"id": 7_000_000_000_000_000 + number, "name": f"Workspace {number}", "accessLevel": "OWNER"}

    def respond(self, path, query, headers):
        records = self.all_records()
        if query.get("paginationType") == "token":
            start = _position(query["lastKey"], "ss") if query.get("lastKey") else 0
            if start is None:
                return (
                    400,
                    {},
                    {"errorCode": 1018, "message": "The value for lastKey is not valid.", "refId": "x"},
                )
            # Never more than maxItems, and here one fewer on the second page ("not guaranteed").
            end = min(start + self.size(query, "maxItems") - (1 if start else 0), len(records))
            body: dict = {"data": records[start:end]}
            if end < len(records):
                body["lastKey"] = _token(end, "ss")
            return 200, {}, body
        size = self.size(query, "pageSize")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        return (
            200,
            {},
            {
                "pageNumber": number,
                "pageSize": size,
                "totalPages": max(-(-len(records) // size), 1),
                "totalCount": len(records),
                "data": records[(number - 1) * size : number * size],
            },
        )


class PlaidTransactionsSync(VendorServer):
    """Plaid ``POST /transactions/sync`` (``PLAID-CLIENT-ID`` and ``PLAID-SECRET`` headers; the body
    ``{"access_token", "cursor", "count"}``, ``count`` default 100, at most 500): ``{"accounts": [...],
    "added": [...], "modified": [...], "removed": [{"transaction_id"}], "next_cursor", "has_more",
    "request_id"}``; the first request without ``cursor`` gets the whole history in ``added``; the
    last page has ``has_more: false`` and a ``next_cursor`` for later updates. Errors (HTTP 400):
    ``{"error_type", "error_code", "error_message", "display_message", "request_id"}``.
    https://plaid.com/docs/api/products/transactions/#transactionssync,
    https://docs.rs/plaid/latest/plaid/model/struct.TransactionsSyncResponse.html"""

    name = "plaid"
    path = "/transactions/sync"
    records = 23
    page_size = 5  # 100 at Plaid
    max_page_size = 500
    client_id = "5f8c9e0a1b2c3d4e5f6a7b8c"
    api_key = "fake-plaid-sandbox-secret-0123456789"
    access_token = "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
    mutation_on_page: int | None = None  # this page (1-based) answers that the data changed meanwhile

    def authorized(self, headers):
        return (
            headers.get("PLAID-CLIENT-ID") == self.client_id and headers.get("PLAID-SECRET") == self.api_key
        )

    def error(self, error_type, code, message):
        return {
            "error_type": error_type,
            "error_code": code,
            "error_message": message,
            "display_message": None,
            "request_id": "m8MDnv9okwxFNBV",
        }

    def unauthorized(self):
        return (
            400,
            {},
            self.error("INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided"),
        )

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "PLAID-SECRET",
            "request_headers": {"PLAID-CLIENT-ID": self.client_id},
            "request_method": "POST",
            "request_body": {"access_token": self.access_token},
            "primary_key": "transaction_id",
        }

    def record(self, number):
        return {
            "transaction_id": f"lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqD{number:03d}",
            "account_id": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp",
            "amount": number + 0.25,
            "date": f"2025-01-{1 + number % 28:02d}",
            "name": f"Purchase {number}",
        }

    def respond(self, path, query, headers):
        return 405, {}, self.error("INVALID_REQUEST", "INVALID_HTTP_METHOD", "only POST is supported")

    def respond_post(self, path, body, headers):
        if body.get("access_token") != self.access_token:
            return (
                400,
                {},
                self.error("INVALID_INPUT", "INVALID_ACCESS_TOKEN", "provided access token is invalid"),
            )
        records = self.all_records()
        start = _position(body["cursor"], "plaid") if body.get("cursor") else 0
        if start is None:
            return 400, {}, self.error("INVALID_INPUT", "INVALID_FIELD", "cursor is not a valid cursor")
        count = body.get("count", self.page_size)
        if (
            self.mutation_on_page is not None
            and body.get("cursor")
            and start == (self.mutation_on_page - 1) * count
        ):
            message = (
                "Underlying transaction data changed since last page was fetched. Please restart "
                "pagination from last update."
            )
            return (
                400,
                {},
                self.error("TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", message),
            )
        if not isinstance(count, int) or not 1 <= count <= self.max_page_size:
            return 400, {}, self.error("INVALID_REQUEST", "INVALID_FIELD", "count must be from 1 to 500")
        end = min(start + count, len(records))
        accounts = [{"account_id": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp", "name": "Plaid Checking"}]
        return (
            200,
            {},
            {
                "accounts": accounts,
                "added": records[start:end],
                "modified": [],
                "removed": [],
                "next_cursor": _token(end, "plaid"),
                "has_more": end < len(records),
                "request_id": "45QSn",
            },
        )


class Vultr(VendorServer):
    """Vultr API v2 lists (``GET /v2/instances``; ``Authorization: Bearer``): the list named after the
    resource beside ``meta: {"total", "links": {"next", "prev"}}``, where ``links.next`` is a cursor
    (no URL) sent back as ``cursor``, "" on the last page; ``per_page`` (default 100, at most 500).
    Errors: ``{"error", "status"}``. https://www.vultr.com/api/#section/Introduction/Meta-and-Pagination,
    https://www.vultr.com/api/#tag/instances/operation/list-instances,
    https://docs.rs/crate/vultr-api/latest/source/src/dto/meta_dto.rs ("Cursor value for the next page")"""

    name = "vultr"
    path = "/v2/instances"
    records = 23
    page_size = 5  # 100 at Vultr
    max_page_size = 500
    api_key = "EXAMPLEQ4MWX7AI3OOZDZD63MRSIXFK6WEN2A"
    next_missing_on_page: int | None = None  # this page (1-based) names no next cursor, meta.total more

    def unauthorized(self):
        return 401, {}, {"error": "Invalid API token.", "status": 401}

    def record(self, number):
        return {
            "id": f"cb676a46-66fd-4dfb-b839-443f2e6c{number:04d}",
            "label": f"web-{number}",
            "region": "ewr",
            "plan": "vc2-1c-1gb",
            "status": "active",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["cursor"], "vultr") if query.get("cursor") else 0
        if start is None:
            return 400, {}, {"error": "Invalid cursor.", "status": 400}
        size = self.size(query, "per_page")
        end = min(start + size, len(records))
        cut = self.next_missing_on_page is not None and start == (self.next_missing_on_page - 1) * size
        links = {
            "next": _token(end, "vultr") if end < len(records) and not cut else "",
            "prev": _token(start, "vultr-prev") if start else "",
        }
        return 200, {}, {"instances": records[start:end], "meta": {"total": len(records), "links": links}}


class HetznerCloud(VendorServer):
    """Hetzner Cloud API (``GET /v1/servers``; ``Authorization: Bearer``): the list named after the
    resource beside ``meta: {"pagination": {"page", "per_page", "previous_page", "next_page",
    "last_page", "total_entries"}}`` (page *numbers*, null past the ends) and a ``Link`` header with
    ``prev``, ``next`` and ``last``; ``page`` and ``per_page`` (default 25, at most 50). Errors:
    ``{"error": {"code", "message", "details"}}``; past its hourly budget (3600 requests) HTTP 429
    ``rate_limit_exceeded`` with ``RateLimit-Limit``, ``RateLimit-Remaining: 0`` and ``RateLimit-Reset``
    (a UNIX timestamp). https://docs.hetzner.cloud/#pagination, https://docs.hetzner.cloud/#rate-limiting,
    https://docs.hetzner.cloud/#errors,
    https://docs.rs/crate/hcloud/latest/source/src/models/pagination.rs"""

    name = "hetzner-cloud"
    path = "/v1/servers"
    records = 23
    page_size = 5  # 25 at Hetzner
    max_page_size = 50
    api_key = "jEheVytlAoFl7F8MqUQ7jAo2hOXASztX"
    rate_limited_on_page = None
    refused = 0

    def error(self, code, message):
        return {"error": {"code": code, "message": message, "details": {}}}

    def unauthorized(self):
        return 401, {}, self.error("unauthorized", "unable to authenticate")

    def record(self, number):
        return {
            "id": 42_000 + number,
            "name": f"server-{number}",
            "status": "running",
            "server_type": {"name": "cx22"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "per_page")
        reset = str(int(time.time()) + 1)
        if self.refused_once(start, size):
            limits = {"RateLimit-Limit": "3600", "RateLimit-Remaining": "0", "RateLimit-Reset": reset}
            return 429, limits, self.error("rate_limit_exceeded", "limit of 3600 requests per hour reached")
        pagination = {
            "page": number,
            "per_page": size,
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if number < last else None,
            "last_page": last,
            "total_entries": len(records),
        }

        def link(page, rel):
            return f'<{self.url}?{urlencode({"page": page, "per_page": size})}>; rel="{rel}"'

        links = [link(number - 1, "prev")] if number > 1 else []
        links += [link(number + 1, "next")] if number < last else []
        out = {"RateLimit-Limit": "3600", "RateLimit-Remaining": "3599", "RateLimit-Reset": reset}
        if links or last > 1:
            out["Link"] = ", ".join([*links, link(last, "last")])
        body = {"servers": records[start : start + size], "meta": {"pagination": pagination}}
        return 200, out, body


class DigitalOcean(VendorServer):
    """DigitalOcean API v2 (``GET /v2/droplets``; ``Authorization: Bearer``): the list named after the
    resource beside ``links: {"pages": {"first", "prev", "next", "last"}}`` (absolute URLs; the last
    page has no ``next`` or ``last``) and ``meta: {"total"}``; ``page`` and ``per_page`` (default 20,
    at most 200). Errors: ``{"id", "message", "request_id"}``; past 250 requests a minute or 5000 an
    hour HTTP 429 ``too_many_requests`` with ``ratelimit-limit``, ``ratelimit-remaining: 0`` and
    ``ratelimit-reset`` (epoch seconds). https://docs.digitalocean.com/reference/api/intro/#links--pagination,
    https://docs.digitalocean.com/reference/api/intro/#rate-limit,
    https://docs.rs/crate/rsdo/latest/source/spec/specification/shared/pages.yml"""

    name = "digitalocean"
    path = "/v2/droplets"
    records = 23
    page_size = 5  # 20 at DigitalOcean
    max_page_size = 200
    api_key = "dop_v1_b7d03a6947b217efb6f3ec3bd3504582b7d03a6947b217efb6f3ec3bd3504582"
    rate_limited_on_page = None
    next_missing_on_page: int | None = None  # this page (1-based) names no next link, meta.total more
    refused = 0

    def unauthorized(self):
        return 401, {}, {"id": "Unauthorized", "message": "Unable to authenticate you"}

    def record(self, number):
        return {
            "id": 3_164_444 + number,
            "name": f"droplet-{number}",
            "status": "active",
            "region": {"slug": "nyc3"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "per_page")
        reset = str(int(time.time()) + 1)
        if self.refused_once(start, size):
            limits = {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": reset}
            return 429, limits, {"id": "too_many_requests", "message": "API Rate limit exceeded."}

        def url(page):
            return f"{self.url}?{urlencode({'page': page, 'per_page': size})}"

        pages = {"first": url(1), "prev": url(number - 1)} if number > 1 else {}
        pages |= {"last": url(last), "next": url(number + 1)} if number < last else {}
        if number == self.next_missing_on_page:
            pages.pop("next", None)
        limits = {"ratelimit-limit": "5000", "ratelimit-remaining": "4816", "ratelimit-reset": reset}
        body = {
            "droplets": records[start : start + size],
            "links": {"pages": pages},
            "meta": {"total": len(records)},
        }
        return 200, limits, body


class GoCardless(VendorServer):
    """GoCardless API (``GET /customers``; ``Authorization: Bearer`` and ``GoCardless-Version:
    2015-07-06``): ``{"customers": [...], "meta": {"cursors": {"before", "after"}, "limit"}}``;
    ``limit`` (default 50, at most 500) and ``after`` (an ID), ``cursors.after`` null on the last page.
    Errors: ``{"error": {"message", "documentation_url", "type", "request_id", "code", "errors":
    [{"reason", "message"}]}}``; past 1000 requests a minute HTTP 429 ``rate_limit_exceeded`` with
    ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``, the time the window resets as
    an HTTP date (``Thu, 01 May 2014 16:00:00 GMT``), and no ``Retry-After``; until then every request
    is refused. https://developer.gocardless.com/api-reference/#api-usage-cursor-pagination,
    https://developer.gocardless.com/api-reference/#api-usage-rate-limiting,
    https://developer.gocardless.com/api-reference/#api-usage-errors"""

    name = "gocardless"
    path = "/customers"
    records = 23
    page_size = 5  # 50 at GoCardless
    max_page_size = 500
    api_key = "sandbox_0kq3dHEgUuQQo9ZXgNsHHmXSaUEyC7AXqRY5eVKW"
    version = "2015-07-06"
    rate_limited_on_page = None
    window_seconds = 2  # how long the window stays closed after the refusal (whole seconds: a date)
    closed_until = 0.0

    def error(self, code, error_type, reason, message):
        return {
            "error": {
                "message": message,
                "documentation_url": f"https://developer.gocardless.com/api-reference#{reason}",
                "type": error_type,
                "request_id": "0AA0T9PTKWK3B0A4GMZ0",
                "code": code,
                "errors": [{"reason": reason, "message": message}],
            }
        }

    def unauthorized(self):
        return 401, {}, self.error(401, "invalid_api_usage", "unauthorized", "Authentication failed")

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"GoCardless-Version": self.version}}

    def record(self, number):
        return {
            "id": f"CU{number:012d}",
            "email": f"customer{number}@example.com",
            "given_name": f"Customer {number}",
            "created_at": "2025-01-01T12:00:00.000Z",
        }

    def respond(self, path, query, headers):
        if headers.get("GoCardless-Version") != self.version:
            message = "GoCardless-Version header missing or invalid"
            return 400, {}, self.error(400, "invalid_api_usage", "missing_version_header", message)
        records = self.all_records()
        size = self.size(query, "limit")
        ids = [record["id"] for record in records]
        if query.get("after") and query["after"] not in ids:
            return 422, {}, self.error(422, "validation_failed", "invalid_cursor", "Cursor is invalid")
        start = ids.index(query["after"]) + 1 if query.get("after") else 0
        if self.window_closed(start, size):
            limits = {
                "RateLimit-Limit": "1000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": email.utils.formatdate(self.closed_until, usegmt=True),
            }
            return (
                429,
                limits,
                self.error(429, "invalid_api_usage", "rate_limit_exceeded", "Too many requests"),
            )
        end = min(start + size, len(records))
        cursors = {
            "before": ids[start] if start else None,
            "after": ids[end - 1] if end < len(records) else None,
        }
        return 200, {}, {"customers": records[start:end], "meta": {"cursors": cursors, "limit": size}}


class ZuoraObjectQuery(VendorServer):
    """Zuora Object Query (``GET /object-query/accounts``; ``Authorization: Bearer``): ``{"nextPage":
    "<cursor>", "data": [...]}``, ``nextPage`` a cursor (no URL) sent back as ``cursor`` and absent on
    the last page; ``pageSize`` from 1 to 99 (default 10; outside: HTTP 400). v1 errors: ``{"success":
    false, "processId", "reasons": [{"code", "message"}]}`` (an eight-digit code; 9xxxxxxx for
    authentication). https://developer.zuora.com/docs/guides/pagination,
    https://developer.zuora.com/v1-api-reference/api/operation/queryAccounts/,
    https://developer.zuora.com/docs/guides/error-codes"""

    name = "zuora-object-query"
    path = "/object-query/accounts"
    records = 23
    page_size = 5  # 10 at Zuora
    max_page_size = 99
    api_key = "3e7e3d1a9a3e4d9f8a2f1b0c7d6e5f4a"

    def failure(self, code, message):
        return {
            "success": False,
            "processId": "CBCFED6580B4E076",
            "reasons": [{"code": code, "message": message}],
        }

    def unauthorized(self):
        return 401, {}, self.failure(90000011, "Authentication error")

    def record(self, number):
        return {
            "id": f"8ad08eb292f6328c019318dcd438{number:04d}",
            "accountNumber": f"A{number:08d}",
            "name": f"Account {number}",
            "status": "Active",
            "currency": "USD",
        }

    def respond(self, path, query, headers):
        size = query.get("pageSize", str(self.page_size))
        if not size.isdigit() or not 1 <= int(size) <= self.max_page_size:
            message = "pageSize must be between 1 and 99"
            return 400, {}, self.failure(50000020, message)
        records = self.all_records()
        start = _position(query["cursor"], "zq") if query.get("cursor") else 0
        if start is None:
            return 400, {}, self.failure(50000020, "invalid cursor")
        end = min(start + int(size), len(records))
        body = {"data": records[start:end]}
        if end < len(records):
            body = {"nextPage": _token(end, "zq"), **body}
        return 200, {}, body


class ZuoraSubscriptionsByAccount(VendorServer):
    """Zuora v1 List subscriptions by account key (``GET /v1/subscriptions/accounts/{account-key}``;
    ``Authorization: Bearer``): ``{"subscriptions": [...], "nextPage": "<URL of the next page>",
    "success": true}``, ``nextPage`` absent on the last page; ``page`` and ``pageSize`` (default 20, at
    most 40). An error is answered with HTTP 200 too ("HTTP 200 doesn't mean your call succeeded"):
    ``{"success": false, "processId", "reasons": [{"code": 50000040, "message": "Cannot find entity
    by key: ..."}]}``. https://developer.zuora.com/v1-api-reference/api/operation/GET_SubscriptionsByAccount/,
    https://developer.zuora.com/docs/guides/error-handling, https://developer.zuora.com/docs/guides/error-codes"""

    name = "zuora-subscriptions"
    account = "A00002641"
    path = f"/v1/subscriptions/accounts/{account}"
    records = 23
    page_size = 5  # 20 at Zuora
    max_page_size = 40
    api_key = "3e7e3d1a9a3e4d9f8a2f1b0c7d6e5f4a"
    unknown_account = False  # answers every request as for an account key that does not exist
    failing_page: int | None = None  # this page (1-based) is answered with HTTP 200 and success: false

    def failure(self, code, message):
        return {
            "success": False,
            "processId": "CBCFED6580B4E076",
            "reasons": [{"code": code, "message": message}],
        }

    def unauthorized(self):
        return 401, {}, self.failure(90000011, "Authentication error")

    def record(self, number):
        return {
            "id": f"8a8082c45aa81b51015ad68743ec{number:04d}",
            "subscriptionNumber": f"A-S{number:08d}",
            "accountNumber": self.account,
            "status": "Active",
            "termType": "TERMED",
        }

    def respond(self, path, query, headers):
        if self.unknown_account:
            return 200, {}, self.failure(50000040, f"Cannot find entity by key: '{self.account}'.")
        records = self.all_records()
        size = self.size(query, "pageSize")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        if number == self.failing_page:
            return 200, {}, self.failure(50000060, "An unexpected error occurred. Please try again later.")
        start = (number - 1) * size
        body = {"subscriptions": records[start : start + size], "success": True}
        if start + size < len(records):
            body["nextPage"] = f"{self.url}?{urlencode({'page': number + 1, 'pageSize': size})}"
        return 200, {}, body


class WooCommerce(BasicAuthVendor):
    """WooCommerce REST API v3 (``GET /wp-json/wc/v3/orders``; Basic auth with the consumer key and
    secret): a JSON list; ``page`` and ``per_page`` (default 10, from 1 to 100: more is HTTP 400
    ``rest_invalid_param``); ``X-WP-Total`` and ``X-WP-TotalPages`` headers and a ``Link`` header
    with ``next`` / ``prev``. Errors: ``{"code", "message", "data": {"status"}}``.
    https://woocommerce.github.io/woocommerce-rest-api-docs/#pagination,
    https://woocommerce.github.io/woocommerce-rest-api-docs/#errors,
    https://developer.wordpress.org/rest-api/using-the-rest-api/pagination/"""

    name = "woocommerce"
    path = "/wp-json/wc/v3/orders"
    records = 23
    page_size = 5  # 10 at WooCommerce
    user = "ck_4ee1a8ab31ea3d7b1b9e5f0c9c2b2b0a1d6b6f2e"
    api_key = "cs_3a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"

    def unauthorized(self):
        message = "Sorry, you cannot list resources."
        return 401, {}, {"code": "woocommerce_rest_cannot_view", "message": message, "data": {"status": 401}}

    def record(self, number):
        return {
            "id": 700 + number,
            "number": str(700 + number),
            "status": "processing",
            "total": f"{number}.00",
        }

    def respond(self, path, query, headers):
        size = query.get("per_page", str(self.page_size))
        if not size.isdigit() or not 1 <= int(size) <= 100:
            said = "per_page must be between 1 (inclusive) and 100 (inclusive)"
            body = {
                "code": "rest_invalid_param",
                "message": "Invalid parameter(s): per_page",
                "data": {"status": 400, "params": {"per_page": said}},
            }
            return 400, {}, body
        records = self.all_records()
        size = int(size)
        page = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        pages = max(1, -(-len(records) // size))
        out = {"X-WP-Total": str(len(records)), "X-WP-TotalPages": str(pages)}
        links = [f'<{self.url}?{urlencode({**query, "page": page - 1})}>; rel="prev"'] if page > 1 else []
        links += (
            [f'<{self.url}?{urlencode({**query, "page": page + 1})}>; rel="next"'] if page < pages else []
        )
        if links:
            out["Link"] = ", ".join(links)
        start = (page - 1) * size
        return 200, out, records[start : start + size]


class Coda(VendorServer):
    """Coda API v1 List table rows (``GET /apis/v1/docs/{docId}/tables/{tableIdOrName}/rows``;
    ``Authorization: Bearer``): ``{"items": [...], "href", "nextPageToken", "nextPageLink"}`` (both
    absent on the last page, which carries ``nextSyncToken`` instead); ``limit`` and ``pageToken``.
    Errors: ``{"statusCode", "statusMessage", "message"}``; a rate limit is HTTP 429 in the same shape.
    https://coda.io/developers/apis/v1#section/Using-the-API/Pagination,
    https://coda.io/developers/apis/v1#tag/Rows/operation/listRows"""

    name = "coda"
    doc = "AbCDeFGH"
    path = f"/apis/v1/docs/{doc}/tables/grid-pqRst-U/rows"
    records = 23
    page_size = 5  # 25 at Coda
    max_page_size = 500
    api_key = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    short_pages = False  # pages of 2 rows, fewer than the limit asked for, each naming the next

    def unauthorized(self):
        return 401, {}, {"statusCode": 401, "statusMessage": "Unauthorized", "message": "Unauthorized"}

    def record(self, number):
        return {
            "id": f"i-tuVwxYz{number:03d}",
            "type": "row",
            "name": f"Row {number}",
            "index": number - 1,
            "values": {"c-tuVwxYz": f"value {number}"},
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        start = _position(query["pageToken"], "coda") if query.get("pageToken") else 0
        if start is None:
            return (
                400,
                {},
                {"statusCode": 400, "statusMessage": "Bad Request", "message": "Invalid pageToken"},
            )
        end = min(start + self.size(query, "limit"), len(records))
        if self.short_pages:
            end = min(end, start + 2)
        body = {"items": records[start:end], "href": self.url}
        if end < len(records):
            token = _token(end, "coda")
            body |= {"nextPageToken": token, "nextPageLink": f"{self.url}?{urlencode({'pageToken': token})}"}
        else:
            body["nextSyncToken"] = _token(end, "coda-sync")
        return 200, {}, body


TENTH_VENDORS_ON_AUTO = (
    Vultr,
    HetznerCloud,
    DigitalOcean,
    GoCardless,
    ZuoraObjectQuery,
    ZuoraSubscriptionsByAccount,
    WooCommerce,
    Coda,
)


# -- an eleventh round: Heroku, Clockify, Postmark, Aircall, Vercel, Zoho Books, Amazon SP-API, Datadog,
# RingCentral, Constant Contact: shapes none of the above has (a cursor that goes back as a request
# header, a last-page flag in a response header, a numeric "next" with a parameter of its own name,
# pagination metadata under "page_context" and "payload", a rate limit's reset under a vendor's own
# header prefix) -------------------------------------------------------------------------------------


class Heroku(VendorServer):
    """Heroku Platform API (``GET /apps``; ``Authorization: Bearer`` and ``Accept:
    application/vnd.heroku+json; version=3``): a JSON list ordered by ``id``, paged by the ``Range``
    *request* header (``id ..; max=N``, 200 by default, at most 1000). A truncated list is answered
    ``206 Partial Content`` with ``Next-Range``, which the next request sends back as its ``Range``;
    the last part is ``200 OK`` without it. Past its token bucket HTTP 429 with ``RateLimit-Remaining:
    0`` (tokens come back over time, no reset is named).
    https://devcenter.heroku.com/articles/platform-api-reference#ranges and #rate-limits (read as
    quoted by https://wiki.suikawiki.org/n/Next-Range: "If a list response has been truncated you will
    receive a 206 Partial Content status and the Next-Range header set. To retrieve the next range,
    repeat the request with the Range header set to the value of the previous request's Next-Range
    header ... The default page size is 200 and maximum page size is 1000"). From memory, not a stored
    page: the error body ``{"id", "message"}``, the 429's ``id`` ``rate_limit``, the exact Next-Range
    text (``]<last id>..; max=N``) and the refusal of a request without the version in ``Accept``."""

    name = "heroku"
    path = "/apps"
    records = 23
    page_size = 5  # 200 at Heroku
    max_page_size = 1000
    api_key = "HRKU-01234567-89ab-cdef-0123-456789abcdef"
    accept = "application/vnd.heroku+json; version=3"
    rate_limited_on_page = None
    refused = 0
    # A proxy in front of it that forwards only the headers it knows (Next-Range dropped): each part is
    # still a 206.
    drops_next_range = False
    _RANGE = re.compile(r"^\s*id\s+(\]?)([^.;\s]*)\.\.\s*(?:;\s*max=(\d+))?\s*;?\s*$")

    def __init__(self, records: int | None = None):
        super().__init__(records)
        self.ranges: list[str | None] = []  # the Range header of each request, in order

    def unauthorized(self):
        return 401, {}, {"id": "unauthorized", "message": "Invalid credentials provided."}

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"Accept": self.accept}}

    def record(self, number):
        return {
            "id": f"01234567-89ab-cdef-0123-{number:012d}",
            "name": f"app-{number:03d}",
            "region": {"name": "us"},
            "stack": {"name": "heroku-24"},
        }

    def respond(self, path, query, headers):
        if headers.get("Accept") != self.accept:
            return 400, {}, {"id": "bad_request", "message": "Please specify a version in the Accept header."}
        records = self.all_records()
        ids = [record["id"] for record in records]
        with self._lock:
            self.ranges.append(headers.get("Range"))
        match = self._RANGE.match(headers.get("Range") or f"id ..; max={self.page_size}")
        if match is None:
            return 400, {}, {"id": "bad_request", "message": "Invalid Range header."}
        exclusive, first, size = match.group(1), match.group(2), match.group(3)
        size = min(int(size), self.max_page_size) if size else self.page_size
        start = 0
        if first:
            if first not in ids:
                return 400, {}, {"id": "bad_request", "message": "Invalid Range header."}
            start = ids.index(first) + (1 if exclusive else 0)
        if self.refused_once(start, size):
            limits = {"RateLimit-Remaining": "0"}
            message = "Your account reached the API rate limit\nPlease wait a few minutes before making "
            message += "new requests"
            return 429, limits, {"id": "rate_limit", "message": message}
        page = records[start : start + size]
        out = {"Accept-Ranges": "id, name"}
        if page:
            out["Content-Range"] = f"id {page[0]['id']}..{page[-1]['id']}; max={size}"
        if start + size < len(records):
            if not self.drops_next_range:
                out["Next-Range"] = f"id ]{page[-1]['id']}..; max={size}"
            return 206, out, page
        return 200, out, page


class Clockify(VendorServer):
    """Clockify API v1 lists (``GET /api/v1/workspaces/{workspaceId}/projects``; ``X-Api-Key``): a
    JSON list; ``page`` (from 1) and ``page-size`` (50 by default); no total anywhere (the answer
    quoted at https://www.volcengine.com/article/4481022 from Stack Exchange: "the response body and
    headers return no total count or page count ... stop when a page holds fewer entries than the page
    size"), and a ``Last-Page`` response header, ``true`` on the last page and ``false`` before it.
    Errors: ``{"message", "code"}`` (``{"message": "Api key does not exist", "code": 4003}``,
    https://theredteam.tech/daffainfo/all-about-apikey/src/branch/main/clockify). From memory, not a
    stored page: the ``Last-Page`` header (docs.clockify.me) and the 429's body."""

    name = "clockify"
    workspace = "5e8a1f0c2b9e4a1b2c3d4e5f"
    path = f"/api/v1/workspaces/{workspace}/projects"
    records = 23
    page_size = 5  # 50 at Clockify
    max_page_size = 5000
    api_key = "YQ6wba4vACaht9CUK9k5N7QxV2ieRPJ396g94vkWSYauYmch"

    def authorized(self, headers):
        return headers.get("X-Api-Key") == self.api_key

    def unauthorized(self):
        return 401, {}, {"message": "Api key does not exist", "code": 4003}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Api-Key",
        }

    # The configuration of Clockify's lists: page numbers, the size sent as page-size.
    pagination = documented_pagination("page", size_param="page-size")

    def record(self, number):
        return {
            "id": f"5f1b2c3d4e5f6a7b8c9d{number:04d}",
            "name": f"Project {number}",
            "workspaceId": self.workspace,
            "billable": True,
            "archived": False,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "page-size")
        return 200, {"Last-Page": "true" if number >= last else "false"}, records[start : start + size]


class Postmark(VendorServer):
    """Postmark Messages API (``GET /messages/outbound``; ``X-Postmark-Server-Token``): ``{"TotalCount",
    "Messages": [...]}``, newest first; ``count`` (at most 500) and ``offset`` are *required*, and
    ``count + offset`` may not pass 10,000. Errors: HTTP 422 (or 401) ``{"ErrorCode", "Message"}``; 10
    "Bad or missing API token", 429 "Rate Limit Exceeded".
    https://postmarkapp.com/blog/announcing-the-postmark-messages-api ("You may retrieve up to 500
    messages per page before using the offset parameter to retrieve the next 500. Offset and count are
    required parameters."), https://postmarkapp.com/support/article/troubleshooting-422-unprocessable-entity-errors,
    https://postmarkapp.com/developer/api/overview#error-codes (as listed in
    https://gist.github.com/abhijit-hota/27f385c8bf90028adc893bdf91482547). From memory, not a stored
    page: the 10,000 cap of count + offset and the ErrorCode (0 here) and text of a refused query."""

    name = "postmark"
    path = "/messages/outbound"
    records = 23
    page_size = 5  # asked for with count, up to 500
    max_page_size = 500
    deepest = 10_000  # count + offset may not pass it
    api_key = "b5e3d1c2-9a8f-4e7d-b6c5-a4f3e2d1c0b9"

    def authorized(self, headers):
        return headers.get("X-Postmark-Server-Token") == self.api_key

    def unauthorized(self):
        message = (
            "No Account or Server API tokens were supplied in the HTTP headers. Please add a header for "
            "either X-Postmark-Server-Token or X-Postmark-Account-Token."
        )
        return 401, {}, {"ErrorCode": 10, "Message": message}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Postmark-Server-Token",
        }

    # The documented configuration: offset and count, up to TotalCount.
    pagination = documented_pagination("offset", limit_param="count", total_path="TotalCount")

    def record(self, number):
        return {
            "MessageID": f"0ac29aee-e1cd-480d-b08d-4f48548{number:05d}",
            "To": [{"Email": f"person{number}@example.com", "Name": None}],
            "Subject": f"Receipt {number}",
            "Status": "Sent",
            "Tag": "receipt",
            "MessageStream": "outbound",
        }

    def respond(self, path, query, headers):
        count, offset = query.get("count", ""), query.get("offset", "")
        if not count.isdigit() or not offset.isdigit():
            message = "The 'count' and 'offset' query parameters are required."
            return 422, {}, {"ErrorCode": 0, "Message": message}
        count, offset = int(count), int(offset)
        if not 1 <= count <= self.max_page_size or count + offset > self.deepest:
            message = f"Count must be between 1 and 500, and count + offset may not exceed {self.deepest}."
            return 422, {}, {"ErrorCode": 0, "Message": message}
        records = self.all_records()
        return 200, {}, {"TotalCount": len(records), "Messages": records[offset : offset + count]}


class Aircall(BasicAuthVendor):
    """Aircall Public API v1 (``GET /v1/calls``; Basic auth with the API ID and token): ``{"calls":
    [...], "meta": {"count", "total", "current_page", "per_page", "next_page_link",
    "previous_page_link"}}``; ``page`` and ``per_page`` (20 by default, at most 50); a list holds the
    first 10,000 records of a query at most ("Pages beyond this range are not accessible", narrow it
    with ``from`` / ``to``). https://support.aircall.io/en-gb/articles/34702023578397. From memory, not
    a stored page: the answer past the 10,000 (modelled as HTTP 400), the error body ``{"error",
    "troubleshoot"}`` and the rate limit (60 requests a minute, HTTP 429 with ``X-AircallApi-Limit``,
    ``X-AircallApi-Remaining`` and ``X-AircallApi-Reset``, the epoch second the window opens again;
    every request before then is refused)."""

    name = "aircall"
    path = "/v1/calls"
    records = 23
    page_size = 5  # 20 at Aircall
    max_page_size = 50
    deepest = 10_000
    user = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"  # the API ID
    api_key = "f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3"  # the API token
    rate_limited_on_page = None
    window_seconds = 2
    closed_until = 0.0

    def unauthorized(self):
        return 401, {}, {"error": "Unauthorized", "troubleshoot": "Check your API ID and API token."}

    def record(self, number):
        return {
            "id": 812_000 + number,
            "direct_link": f"https://api.aircall.io/v1/calls/{812_000 + number}",
            "direction": "inbound",
            "status": "done",
            "duration": 60 + number,
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "per_page")
        if self.window_closed(start, size):
            limits = {
                "X-AircallApi-Limit": "60",
                "X-AircallApi-Remaining": "0",
                "X-AircallApi-Reset": str(int(self.closed_until)),
            }
            return (
                429,
                limits,
                {"error": "Too many requests", "troubleshoot": "Wait for the rate limit reset."},
            )
        if start >= self.deepest:
            troubleshoot = "Lists are limited to 10000 items: narrow the query with from and to."
            return 400, {}, {"error": "Bad Request", "troubleshoot": troubleshoot}
        served = records[: self.deepest]

        def link(page):
            return f"{self.url}?{urlencode({'page': page, 'per_page': size})}"

        meta = {
            "count": len(served[start : start + size]),
            "total": len(records),
            "current_page": number,
            "per_page": size,
            "next_page_link": link(number + 1) if number < last else None,
            "previous_page_link": link(number - 1) if number > 1 else None,
        }
        limits = {
            "X-AircallApi-Limit": "60",
            "X-AircallApi-Remaining": "59",
            "X-AircallApi-Reset": str(int(time.time()) + 60),
        }
        return 200, limits, {"calls": served[start : start + size], "meta": meta}


class Vercel(VendorServer):
    """Vercel REST API lists (``GET /v6/deployments``; ``Authorization: Bearer``): ``{"deployments":
    [...], "pagination": {"count", "next", "prev"}}``, newest first; ``limit`` (at most 100), and the
    next page is asked for with ``until`` set to ``pagination.next``, a timestamp in milliseconds
    (``null`` on the last page). https://vercel.com/docs/rest-api/reference/welcome (Pagination: "count:
    Amount of items in the current page. next: Timestamp that must be used to request the next page"),
    https://vercel.com/docs/rest-api/reference/endpoints/deployments/list-deployments. From memory, not
    a stored page: the default page size (20), the error body ``{"error": {"code", "message"}}`` and
    the rate limit's 429 (``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` in
    epoch seconds; refused until then)."""

    name = "vercel"
    path = "/v6/deployments"
    records = 23
    page_size = 5  # 20 at Vercel
    max_page_size = 100
    api_key = "vca_4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c"
    newest = 1_700_000_000_000
    rate_limited_on_page = None
    window_seconds = 2
    closed_until = 0.0

    def unauthorized(self):
        return 403, {}, {"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": True}}

    # The documented configuration: pagination.next sent back as until.
    pagination = documented_pagination(
        "cursor", cursor_path="pagination.next", cursor_param="until", size_param="limit"
    )

    def record(self, number):
        return {
            "uid": f"dpl_2euZBFqxYdDMDG1jTrHFnNZ2{number:04d}",
            "name": "docs",
            "url": f"docs-{number}.vercel.app",
            "created": self.newest - number * 60_000,
            "state": "READY",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        size = self.size(query, "limit")
        until = query.get("until")
        if until is not None and not until.isdigit():
            return 400, {}, {"error": {"code": "bad_request", "message": "Invalid query parameter `until`."}}
        start = sum(1 for record in records if record["created"] >= int(until)) if until else 0
        if self.window_closed(start, size):
            limits = {
                "X-RateLimit-Limit": "100",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(self.closed_until)),
            }
            return 429, limits, {"error": {"code": "rate_limited", "message": "Rate limit exceeded"}}
        page = records[start : start + size]
        pagination = {
            "count": len(page),
            "next": page[-1]["created"] if start + size < len(records) else None,
            "prev": page[0]["created"] if page and start else None,
        }
        return 200, {}, {"pagination": pagination, "deployments": page}


class ZohoBooks(VendorServer):
    """Zoho Books API v3 lists (``GET /books/v3/invoices?organization_id=...``; ``Authorization:
    Zoho-oauthtoken <token>``): ``{"code": 0, "message": "success", "invoices": [...], "page_context":
    {"page", "per_page", "has_more_page", ...}}``; ``page`` and ``per_page`` (200 by default).
    https://www.zoho.com/books/api/v3/pagination/ ("The pagination information will be included in the
    list API response under the node name page_context"). From memory, not a stored page: the error
    body ``{"code": <not 0>, "message"}`` with the HTTP status of the error (401 and code 57 for a
    token without access; 6041 for an unknown organization) and the other page_context keys."""

    name = "zoho-books"
    organization = "10234695"
    path = "/books/v3/invoices"
    records = 23
    page_size = 5  # 200 at Zoho Books
    max_page_size = 200
    requests_past_the_end = 3  # only has_more_page: false on the last page tells the end
    api_key = "Zoho-oauthtoken 1000.41d9xxxxxxxxxxxxxxxxxxxxxxxxc2d1.8fccxxxxxxxxxxxxxxxxxxxxxxxx125f"

    def authorized(self, headers):
        return headers.get("Authorization") == self.api_key

    def unauthorized(self):
        return 401, {}, {"code": 57, "message": "You are not authorized to perform this operation"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "query_params": {"organization_id": self.organization},
        }

    def record(self, number):
        return {
            "invoice_id": f"98270000000{number:05d}",
            "invoice_number": f"INV-{number:06d}",
            "customer_name": f"Customer {number}",
            "status": "sent",
            "total": number * 10.0,
        }

    def respond(self, path, query, headers):
        if query.get("organization_id") != self.organization:
            return (
                400,
                {},
                {"code": 6041, "message": "This user is not associated with the CompanyID/CompanyName."},
            )
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "per_page")
        page_context = {
            "page": number,
            "per_page": size,
            "has_more_page": number < last,
            "report_name": "Invoices",
            "applied_filter": "Status.All",
            "sort_column": "created_time",
            "sort_order": "D",
        }
        body = {"code": 0, "message": "success", "invoices": records[start : start + size]}
        return 200, {}, {**body, "page_context": page_context}


class AmazonSellingPartnerOrders(VendorServer):
    """Amazon Selling Partner API, Orders v0 (``GET /orders/v0/orders?MarketplaceIds=...&CreatedAfter=
    ...``; ``x-amz-access-token``): ``{"payload": {"Orders": [...], "NextToken", "CreatedBefore"}}``,
    ``NextToken`` sent back as the ``NextToken`` parameter and absent on the last page;
    ``MaxResultsPerPage`` (100 at most). Errors: ``{"errors": [{"code", "message", "details"}]}``.
    The envelope: https://raw.githubusercontent.com/api-evangelist/amazon/refs/heads/main/json-schema/selling-partner-order-list-schema.json
    (the SP-API's OrderList model), https://docs.rs/crate/amazon-spapi/2.0.3/source/docs/vendor_orders/Pagination.md
    ("If NextToken is returned, pass the value of NextToken to the next request"). From memory, not a
    stored page: the query parameters' names, the 400 ``InvalidInput`` text and the rate limit (HTTP
    429 ``QuotaExceeded`` with ``x-amzn-RateLimit-Limit``, a rate per second, no reset)."""

    name = "amazon-sp-orders"
    path = "/orders/v0/orders"
    records = 23
    page_size = 5  # 100 at Amazon
    max_page_size = 100
    api_key = "Atza|IwEBIA-example-access-token-0123456789"
    marketplace = "ATVPDKIKX0DER"
    rate_limited_on_page = None
    refused = 0

    def authorized(self, headers):
        return headers.get("x-amz-access-token") == self.api_key

    def error(self, code, message):
        return {"errors": [{"code": code, "message": message, "details": ""}]}

    def unauthorized(self):
        return 403, {}, self.error("Unauthorized", "Access to requested resource is denied.")

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "x-amz-access-token",
            "query_params": {"MarketplaceIds": self.marketplace, "CreatedAfter": "2025-01-01T00:00:00Z"},
        }

    def record(self, number):
        return {
            "AmazonOrderId": f"902-3159896-{number:07d}",
            "PurchaseDate": "2025-01-02T08:00:00Z",
            "OrderStatus": "Shipped",
            "MarketplaceId": self.marketplace,
            "OrderTotal": {"CurrencyCode": "USD", "Amount": f"{number}.00"},
        }

    def respond(self, path, query, headers):
        if query.get("MarketplaceIds") != self.marketplace or not query.get("CreatedAfter"):
            message = "MarketplaceIds and one of CreatedAfter or LastUpdatedAfter must be specified"
            return 400, {}, self.error("InvalidInput", message)
        records = self.all_records()
        size = self.size(query, "MaxResultsPerPage")
        start = _position(query["NextToken"], "sp") if query.get("NextToken") else 0
        if start is None:
            return 400, {}, self.error("InvalidInput", "Invalid NextToken.")
        if self.refused_once(start, size):
            limits = {"x-amzn-RateLimit-Limit": "0.0167"}
            return (
                429,
                limits,
                self.error("QuotaExceeded", "You exceeded your quota for the requested resource."),
            )
        end = min(start + size, len(records))
        payload = {"Orders": records[start:end], "CreatedBefore": "2025-02-01T00:00:00Z"}
        if end < len(records):
            payload["NextToken"] = _token(end, "sp")
        return 200, {"x-amzn-RateLimit-Limit": "0.0167"}, {"payload": payload}


class DatadogLogs(VendorServer):
    """Datadog Logs API v2 (``GET /api/v2/logs/events``; ``DD-API-KEY`` and ``DD-APPLICATION-KEY``):
    ``{"data": [...], "meta": {"page": {"after"}, "status", "elapsed", "request_id"}, "links": {"next"}}``
    (the next page's URL, with the request's own parameters and ``page[cursor]``; neither on the last
    page); ``page[limit]`` (10 by default, at most 1000). A rate limit is HTTP 429 with
    ``X-RateLimit-Limit``, ``X-RateLimit-Period``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (the
    seconds until the window resets) and ``X-RateLimit-Name``. Errors: ``{"errors": ["..."]}``.
    https://docs.datadoghq.com/api/latest/rate-limits,
    https://rubydoc.info/gems/datadog_api_client/DatadogAPIClient/V2/LogsResponseMetadataPage ("after:
    The cursor to use to get the next results, if any"). From memory, not a stored page: the default
    page size and the ``links.next`` URL's exact form."""

    name = "datadog-logs"
    path = "/api/v2/logs/events"
    records = 23
    page_size = 5  # 10 at Datadog
    max_page_size = 1000
    api_key = "0123456789abcdef0123456789abcdef"
    app_key = "0123456789abcdef0123456789abcdef01234567"
    rate_limited_on_page = None
    window_seconds = 2
    closed_until = 0.0

    def authorized(self, headers):
        return headers.get("DD-API-KEY") == self.api_key and headers.get("DD-APPLICATION-KEY") == self.app_key

    def unauthorized(self):
        return 403, {}, {"errors": ["Forbidden"]}

    def connector_fields(self):
        from demo_extension.services.credentials import secret_params_fields

        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "DD-API-KEY",
            "query_params": {"filter[query]": "service:web", "filter[from]": "now-15m"},
            **secret_params_fields({"headers": {"DD-APPLICATION-KEY": self.app_key}}),
        }

    def record(self, number):
        return {
            "id": f"AQAAAZPHH0uoFT4NvwAAAAAAAAAYAAAAAEFaUEhIMHV1{number:04d}",
            "type": "log",
            "attributes": {"service": "web", "status": "info", "message": f"request {number}"},
        }

    def respond(self, path, query, headers):
        if query.get("filter[query]") != "service:web":
            return 400, {}, {"errors": ["The query was changed between pages."]}
        records = self.all_records()
        size = self.size(query, "page[limit]")
        start = _position(query["page[cursor]"], "dd") if query.get("page[cursor]") else 0
        if start is None:
            return 400, {}, {"errors": ["Invalid cursor"]}
        if self.window_closed(start, size, whole_seconds=False):
            left = self.closed_until - time.time()
            limits = {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Period": "3600",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(max(1, round(left + 0.5))),
                "X-RateLimit-Name": "logs_list",
            }
            return 429, limits, {"errors": ["Too many requests"]}
        end = min(start + size, len(records))
        meta = {"elapsed": 12, "request_id": "pddv1ChZ", "status": "done"}
        body = {"data": records[start:end], "meta": meta}
        if end < len(records):
            cursor = _token(end, "dd")
            meta["page"] = {"after": cursor}
            body["links"] = {"next": f"{self.url}?{urlencode({**query, 'page[cursor]': cursor})}"}
        return 200, {}, body


class RingCentralCallLog(VendorServer):
    """RingCentral call log (``GET /restapi/v1.0/account/~/extension/~/call-log``; ``Authorization:
    Bearer``): ``{"uri", "records": [...], "paging": {"page", "perPage", "pageStart", "pageEnd"},
    "navigation": {"firstPage", "nextPage", "previousPage": {"uri"}}}``; ``page`` and ``perPage`` (100
    by default). The call log's ``paging`` holds no ``totalPages`` or ``totalElements`` (the answer
    names the ``navigation`` object the way to page): https://community.ringcentral.com/developer-platform-apis-integrations-5/paging-with-call-log-6517,
    https://ringcentral.github.io/RingCentral.Net/html/classRingCentral_1_1CallLogResponse.html. From
    memory, not a stored page: the error body ``{"errorCode", "message", "errors"}`` and the 429 with
    ``Retry-After`` and ``X-Rate-Limit-Group`` / ``-Limit`` / ``-Remaining`` / ``-Window``."""

    name = "ringcentral-call-log"
    path = "/restapi/v1.0/account/~/extension/~/call-log"
    records = 23
    page_size = 5  # 100 at RingCentral
    max_page_size = 1000
    api_key = "U0pDMTFQMDFQQVMwMHxBQUF2NlhGVm5OQ2V4TUt4d0dZeEVnRHBURmdBTHhjQWxJ"
    rate_limited_on_page = None
    refused = 0

    def error(self, code, message):
        return {"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message}]}

    def unauthorized(self):
        return 401, {}, self.error("AGW-401", "Authorization header is not specified")

    def record(self, number):
        return {
            "id": f"Y3s1NDMyMTEzNDgwNzE{number:04d}",
            "sessionId": str(404_000_000 + number),
            "direction": "Inbound",
            "type": "Voice",
            "result": "Accepted",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        number, size, start, last = self.numbered_page(query, "perPage")
        if self.refused_once(start, size):
            limits = {
                "Retry-After": "1",
                "X-Rate-Limit-Group": "Heavy",
                "X-Rate-Limit-Limit": "10",
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Window": "60",
            }
            return 429, limits, self.error("CMN-301", "Request rate exceeded")
        page = records[start : start + size]

        def uri(page_number):
            return {"uri": f"{self.url}?{urlencode({'page': page_number, 'perPage': size})}"}

        paging = {"page": number, "perPage": size}
        if page:
            paging |= {"pageStart": start, "pageEnd": start + len(page) - 1}
        navigation = {"firstPage": uri(1)}
        if number < last:
            navigation["nextPage"] = uri(number + 1)
        if number > 1:
            navigation["previousPage"] = uri(number - 1)
        return (
            200,
            {},
            {"uri": uri(number)["uri"], "records": page, "paging": paging, "navigation": navigation},
        )


class ConstantContact(VendorServer):
    """Constant Contact API v3 (``GET /v3/contacts``; ``Authorization: Bearer``): ``{"contacts": [...],
    "_links": {"next": {"href": "/v3/contacts?cursor=..."}}}`` (a path on the API's host; no ``_links``
    on the last page); ``limit`` (50 by default, at most 500). Errors are a JSON *list*: ``[{"error_key",
    "error_message"}]``. From memory, not a stored page (the search tool found none of
    https://developer.constantcontact.com/api_guide/pagination.html): all of it."""

    name = "constant-contact"
    path = "/v3/contacts"
    records = 23
    page_size = 5  # 50 at Constant Contact
    max_page_size = 500
    api_key = "eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJjb25zdGFudC1jb250YWN0In0.c2lnbmF0dXJl"

    def unauthorized(self):
        return 401, {}, [{"error_key": "unauthorized", "error_message": "Unauthorized"}]

    def record(self, number):
        return {
            "contact_id": f"1618ae62-4752-11e9-9c8a-fa163e6b{number:04d}",
            "email_address": {"address": f"contact{number}@example.com", "permission_to_send": "implicit"},
            "first_name": f"Contact {number}",
            "update_source": "Contact",
        }

    def respond(self, path, query, headers):
        records = self.all_records()
        if query.get("cursor"):
            text = base64.urlsafe_b64decode(query["cursor"] + "=" * (-len(query["cursor"]) % 4)).decode()
            state = dict(parse_qsl(text))
            start, size = int(state["next"]), int(state["limit"])
        else:
            start, size = 0, self.size(query, "limit")
        body = {"contacts": records[start : start + size]}
        if start + size < len(records):
            cursor = base64.urlsafe_b64encode(
                urlencode({"limit": size, "next": start + size}).encode()
            ).decode()
            body["_links"] = {"next": {"href": f"{self.path}?cursor={cursor.rstrip('=')}"}}
        return 200, {}, body


ELEVENTH_VENDORS_ON_AUTO = (
    Heroku,
    Aircall,
    ZohoBooks,
    AmazonSellingPartnerOrders,
    DatadogLogs,
    RingCentralCallLog,
    ConstantContact,
)


# -- a twelfth round: Mixpanel, Snowflake, Copper, Salesloft, SmartRecruiters, Wrike, Personio, Opsgenie,
# Teamwork, Basecamp, Squarespace: shapes none of the above has (a body of JSON Lines, rows of values
# in numbered partitions, a POSTed page number with the total in a vendor header, paging under
# "metadata", a cursor under a name no other API uses, a total that is no total, a next cursor that
# may not be sent with the first request's filters) ------------------------------------------------


class MixpanelExport(KeyAsUserVendor):
    """Mixpanel Raw Event Export (``GET https://data.mixpanel.com/api/2.0/export?from_date=&to_date=``;
    HTTP Basic with the project's API secret as the user name): the events of the date range as JSON
    Lines, one event a line (``{"event", "properties": {"time", "distinct_id", "$insert_id", ...}}``),
    no pagination (the date range is the page); ``limit`` caps the events (100,000 at most). A rate
    limit (60 queries an hour, 3 a second) is HTTP 429.
    https://docs.mixpanel.com/docs/export-methods ("The events payload is returned as JSONL, where each
    line is a valid JSON object"), https://developer.mixpanel.com/reference/export (the rate limit).
    From memory, not a stored page: the error body ``{"request", "error"}`` (400 for a bad date, 401
    for a bad secret) and the ``text/plain`` content type."""

    name = "mixpanel-export"
    path = "/api/2.0/export"
    records = 23
    page_size = max_page_size = 100_000  # one answer: the date range is the page
    api_key = "c8a7e4b6f5d2c1b0a9e8d7c6b5a4f3e2"
    rate_limited = 0  # how many requests are answered 429 first
    broken_line = None  # a line cut short (a proxy that truncates the stream)

    def unauthorized(self):
        return 401, {}, {"request": self.path, "error": "Invalid API secret"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "basic_key",
            "query_params": {"from_date": "2025-01-01", "to_date": "2025-01-31"},
        }

    def record(self, number):
        properties = {"time": 1735689600 + number, "distinct_id": f"user-{number % 4}"}
        return {"event": "Signed up", "properties": properties | {"$insert_id": f"ins{number:06d}"}}

    def respond(self, path, query, headers):
        if not query.get("from_date") or not query.get("to_date"):
            return 400, {}, {"request": path, "error": "'from_date' is a required parameter"}
        with self._lock:
            self.rate_limited, refused = max(0, self.rate_limited - 1), self.rate_limited > 0
        if refused:
            return 429, {}, {"request": path, "error": "Query rate limit exceeded"}
        events = self.all_records()[: self.size(query, "limit", self.records)]
        lines = "".join(json.dumps(event) + "\n" for event in events)
        if self.broken_line:
            cut = lines.splitlines(keepends=True)
            cut[self.broken_line - 1] = cut[self.broken_line - 1][:20] + "\n"
            lines = "".join(cut)
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, lines.encode()


class SnowflakeStatement(VendorServer):
    """Snowflake SQL API, a statement's result (``GET /api/v2/statements/{statementHandle}``;
    ``Authorization: Bearer`` with ``X-Snowflake-Authorization-Token-Type``): ``{"resultSetMetaData":
    {"numRows", "format": "jsonv2", "rowType": [{"name", "type"}, ...], "partitionInfo": [{"rowCount",
    "uncompressedSize"}, ...]}, "data": [[...], ...], "code": "090001", "statementHandle", "message"}``:
    rows are lists of values (strings), in partitions; ``?partition=n`` (0 to the count - 1) asks for
    one. https://docs.snowflake.com/en/developer-guide/sql-api/handling-responses, the ``partition``
    parameter as https://developers.qodex.ai/brewing-postman-flows/get-started-with-snowflake-in-postman/quickstart-2/checks-the-status-of-the-execution-of-a-statement-1
    gives it. From memory, not a stored page: a later partition's answer holding ``data`` alone, and
    the error body ``{"code", "message", "sqlState", "statementHandle"}``."""

    name = "snowflake-statement"
    handle = "01b0a2c3-0000-1a2b-0000-00010203a4b5"
    path = f"/api/v2/statements/{handle}"
    records = 23
    page_size = 10  # rows a partition
    api_key = "ver:1-hint:1234-ETMsDgAAAYu-oauth-token"

    def record(self, number):
        return [str(number), f"customer {number}", "2025-01-01"]

    def respond(self, path, query, headers):
        rows = self.all_records()
        counts = [len(rows[start : start + self.page_size]) for start in range(0, len(rows), self.page_size)]
        number = int(query.get("partition", "0")) if query.get("partition", "0").isdigit() else -1
        if not 0 <= number < len(counts):
            message = f"Invalid partition number: {query.get('partition')}"
            return 422, {}, {"code": "391918", "message": message, "statementHandle": self.handle}
        data = rows[number * self.page_size : (number + 1) * self.page_size]
        if number:
            return 200, {}, {"data": data}
        meta = {
            "numRows": len(rows),
            "format": "jsonv2",
            "rowType": [{"name": name, "type": "TEXT"} for name in ("ID", "NAME", "CREATED")],
            "partitionInfo": [{"rowCount": count, "uncompressedSize": 100 * count} for count in counts],
        }
        return (
            200,
            {},
            {
                "resultSetMetaData": meta,
                "data": data,
                "code": "090001",
                "statementStatusUrl": f"{self.path}?requestId=1",
                "sqlState": "00000",
                "statementHandle": self.handle,
                "message": "Statement executed successfully.",
            },
        )


class CopperPeopleSearch(VendorServer):
    """Copper Developer API search (``POST /developer_api/v1/people/search``; headers
    ``X-PW-AccessToken``, ``X-PW-Application: developer_api``, ``X-PW-UserEmail``): the body's
    ``page_number`` (from 1) and ``page_size`` (20 by default, 200 at most); the answer is a JSON list,
    and the ``X-PW-TOTAL`` response header is "an upper bound of the total number of records". Past 180
    requests a minute, HTTP 429. https://developer.copper.com/introduction/requests.html,
    https://developer.copper.com/introduction/responses.html, the body parameters as
    https://glama.ai/mcp/connectors/io.usefulapi/copper/tools/copper_search_people lists them. From
    memory, not a stored page: the error body ``{"success": false, "status", "message"}``."""

    name = "copper-people"
    path = "/developer_api/v1/people/search"
    records = 23
    page_size = 5  # 20 at Copper
    max_page_size = 200
    api_key = "8f2e4c6a0b1d3f5e7a9c8b6d4f2e0a1c"
    email = "owner@example.com"

    def authorized(self, headers):
        return (
            headers.get("X-PW-AccessToken") == self.api_key
            and headers.get("X-PW-Application") == "developer_api"
            and headers.get("X-PW-UserEmail") == self.email
        )

    def unauthorized(self):
        return 401, {}, {"success": False, "status": 401, "message": "Invalid User or Token"}

    # Copper's documented paging: page_number and page_size in the POSTed body.
    pagination = documented_pagination("page", page_param="page_number", size_param="page_size")

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-PW-AccessToken",
            "request_headers": {"X-PW-Application": "developer_api", "X-PW-UserEmail": self.email},
            "request_method": "POST",
            "request_body": {"sort_by": "date_created"},
        }

    def record(self, number):
        return {"id": 27140000 + number, "name": f"Person {number}", "emails": [], "date_created": number}

    def respond(self, path, query, headers):
        return 405, {}, {"success": False, "status": 405, "message": "Method Not Allowed"}

    def respond_post(self, path, body, headers):
        size, number = body.get("page_size", self.page_size), body.get("page_number", 1)
        if not isinstance(size, int) or not 1 <= size <= self.max_page_size or not isinstance(number, int):
            return (
                422,
                {},
                {"success": False, "status": 422, "message": "page_size must be between 1 and 200"},
            )
        start = (number - 1) * size
        return 200, {"X-PW-TOTAL": str(self.records)}, self.all_records()[start : start + size]


class Salesloft(VendorServer):
    """Salesloft API v2 lists (``GET /v2/people``; ``Authorization: Bearer``): ``{"metadata":
    {"filtering", "paging": {"per_page", "current_page", "next_page", "prev_page"}, "sorting"}, "data":
    [...]}``; ``page`` and ``per_page`` (25 by default, 100 at most); ``next_page`` is null on the last
    page; ``total_pages`` and ``total_count`` only with ``include_paging_counts=true``. The envelope:
    https://raw.githubusercontent.com/jeremylongshore/claude-code-plugins-plus-skills/main/plugins/saas-packs/salesloft-pack/skills/salesloft-sdk-patterns/SKILL.md
    (``{data, metadata: {paging: {per_page, current_page, total_pages, total_count}}}``); the cost
    budget (600 a minute, HTTP 429): https://raw.githubusercontent.com/api-evangelist/salesloft/refs/heads/main/rate-limits/salesloft-rate-limits.yml.
    From memory, not a stored page: ``next_page`` / ``prev_page``, the counts left out by default and
    the error body ``{"error": "..."}``."""

    name = "salesloft"
    path = "/v2/people"
    records = 23
    page_size = 5  # 25 at Salesloft
    requests_past_the_end = 3  # only next_page: null on the last page tells the end
    api_key = "v2_ak_101_0123456789abcdef0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"error": "Not Authorized"}

    def record(self, number):
        return {"id": 1000 + number, "email_address": f"p{number}@example.com", "first_name": f"P{number}"}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")
        paging = {
            "per_page": size,
            "current_page": number,
            "next_page": number + 1 if number < last else None,
            "prev_page": number - 1 if number > 1 else None,
        }
        if query.get("include_paging_counts") == "true":
            paging |= {"total_pages": last, "total_count": self.records}
        metadata = {
            "filtering": {},
            "paging": paging,
            "sorting": {"sort_by": "updated_at", "sort_direction": "DESC"},
        }
        return 200, {}, {"metadata": metadata, "data": self.all_records()[start : start + size]}


class SmartRecruitersCandidates(VendorServer):
    """SmartRecruiters candidates (``GET /candidates``; ``X-SmartToken``): ``{"limit", "nextPageId",
    "totalFound", "content": [...]}``; ``limit`` (100 at most) and ``pageId`` (the last answer's
    ``nextPageId``), which has none on the last page. https://developers.smartrecruiters.com/docs/pagination
    ("this cursor is the nextPageId parameter"), https://raw.githubusercontent.com/api-evangelist/smartrecruiters/refs/heads/main/json-schema/smartrecruiters-candidatelistresult-schema.json.
    From memory, not a stored page: ``pageId`` as the parameter's name, the default limit and the error
    body ``{"errors": [{"code", "message"}]}``."""

    name = "smartrecruiters"
    path = "/candidates"
    records = 23
    page_size = 5  # 10 at SmartRecruiters
    api_key = "DCRA1-0123456789abcdef0123456789abcdef"

    def authorized(self, headers):
        return headers.get("X-SmartToken") == self.api_key

    def unauthorized(self):
        return 401, {}, {"errors": [{"code": "UNAUTHORIZED", "message": "Invalid or missing X-SmartToken"}]}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-SmartToken",
        }

    def record(self, number):
        return {"id": f"788dfc72-a6eb-441b-837f-{number:012d}", "firstName": f"C{number}", "lastName": "Doe"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["pageId"], "sr") if query.get("pageId") else 0
        if start is None:
            return 400, {}, {"errors": [{"code": "INVALID_PAGE_ID", "message": "Invalid pageId"}]}
        body = {
            "limit": size,
            "totalFound": self.records,
            "content": self.all_records()[start : start + size],
        }
        if start + size < self.records:
            body["nextPageId"] = _token(start + size, "sr")
        return 200, {}, body


class Wrike(VendorServer):
    """Wrike API v4 tasks (``GET /api/v4/tasks``; ``Authorization: bearer``): ``{"kind": "tasks",
    "data": [...]}``, at most 1000 tasks and no more when the request names no ``pageSize``; with
    ``pageSize`` the answer adds ``responseSize`` (all the tasks) and ``nextPageToken``, sent back as
    ``nextPageToken`` (with the first request's parameters) until an answer has none.
    https://help.wrike.com/hc/en-us/community/posts/211881385-API-Pagination-and-the-nextpage-Token.
    From memory, not a stored page: the error body ``{"errorDescription", "error"}`` and a token being
    refused without the first request's pageSize."""

    name = "wrike"
    path = "/api/v4/tasks"
    records = 23
    page_size = 5
    unpaged_cap = 15  # 1000 at Wrike
    api_key = "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.wrike"

    def unauthorized(self):
        return 401, {}, {"errorDescription": "Access token is unknown or invalid", "error": "not_authorized"}

    def connector_fields(self):
        # The page size Wrike's guide says to ask for; without it an answer holds 1000 tasks and no more.
        return {**super().connector_fields(), "query_params": {"pageSize": str(self.page_size)}}

    def record(self, number):
        return {"id": f"IEAAAAAAKQ{number:06d}", "title": f"Task {number}", "status": "Active"}

    def respond(self, path, query, headers):
        tasks = self.all_records()
        if "pageSize" not in query:
            return 200, {}, {"kind": "tasks", "data": tasks[: self.unpaged_cap]}
        size = self.size(query, "pageSize")
        start = _position(query["nextPageToken"], f"wrike{size}") if query.get("nextPageToken") else 0
        if start is None:
            return (
                400,
                {},
                {"errorDescription": "Parameter 'nextPageToken' is invalid", "error": "invalid_parameter"},
            )
        body = {"kind": "tasks", "responseSize": len(tasks), "data": tasks[start : start + size]}
        if start + size < len(tasks):
            body["nextPageToken"] = _token(start + size, f"wrike{size}")
        return 200, {}, body


class PersonioEmployees(VendorServer):
    """Personio API v1 employees (``GET /v1/company/employees``; ``Authorization: Bearer``): ``{"success":
    true, "metadata": {"total_elements", "current_page", "total_pages"}, "offset", "limit", "data":
    [{"type": "Employee", "attributes": {...}}]}``; ``offset`` (the starting position) and ``limit``
    (50 by default, 100 at most). A rate limit is HTTP 429.
    https://developer.personio.de/docs/pagination-adoption-guide-for-v1-get-employees-endpoint,
    https://developer.personio.de/changelog/rate-limits-on-get-employees-endpoint-may-6-2024. From memory,
    not a stored page: ``current_page`` counted from 0 (the changelog's example shows 0) and the error
    body ``{"success": false, "error": {"code", "message"}}``."""

    name = "personio"
    path = "/v1/company/employees"
    records = 23
    page_size = 5  # 50 at Personio
    api_key = "papi-0123456789abcdef0123456789abcdef"
    rate_limited_on_page = None
    refused = 0

    def unauthorized(self):
        return 401, {}, {"success": False, "error": {"code": 0, "message": "The access token is invalid"}}

    def record(self, number):
        attributes = {
            "id": {"label": "ID", "value": number},
            "email": {"label": "Email", "value": f"e{number}@ex.com"},
        }
        return {"type": "Employee", "attributes": attributes}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(start, size):
            return 429, {}, {"success": False, "error": {"code": 429, "message": "Too Many Requests"}}
        metadata = {
            "total_elements": self.records,
            "current_page": start // size,
            "total_pages": -(-self.records // size),
        }
        body = {"success": True, "metadata": metadata, "offset": start, "limit": size}
        return 200, {}, body | {"data": self.all_records()[start : start + size]}


class OpsgenieAlerts(VendorServer):
    """Opsgenie Alert API (``GET /v2/alerts``; ``Authorization: GenieKey <key>``): ``{"data": [...],
    "paging": {"first", "next", "last"}, "took", "requestId"}`` (URLs with ``offset`` and ``limit``, no
    ``next`` on the last page); ``limit`` (20 by default, 100 at most). Throttled: HTTP 429 with
    ``X-RateLimit-State: THROTTLED``, ``X-RateLimit-Reason`` and ``X-RateLimit-Period-In-Sec``.
    https://hexdocs.pm/ops_genie_restapi/OpsGenieRESTAPI.Model.ListAlertsResponse.html (the envelope),
    https://jira.atlassian.com/browse/OPSGENIE-549 (paging.last), the rate-limit headers in Opsgenie's
    OpenAPI document (https://app.unpkg.com/@itentialopensource/adapter-opsgenie@0.7.0/files/report/OpsGenie-swagger.json).
    From memory, not a stored page: the error body ``{"message", "took", "requestId"}``."""

    name = "opsgenie"
    path = "/v2/alerts"
    records = 23
    page_size = 5  # 20 at Opsgenie
    api_key = "eb243592-faa2-4ba2-a551q-1afdf565c889"
    rate_limited_on_page = None
    refused = 0

    def authorized(self, headers):
        return headers.get("Authorization") == f"GenieKey {self.api_key}"

    def unauthorized(self):
        return 422, {}, {"message": "Key format is not valid!", "took": 0.001, "requestId": "a1b2c3"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"GenieKey {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
        }

    def record(self, number):
        return {"id": f"70413a06-38d6-4c85-92b8-{number:012d}", "tinyId": str(number), "message": "disk full"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(start, size):
            limits = {
                "X-RateLimit-State": "THROTTLED",
                "X-RateLimit-Reason": "ACCOUNT",
                "X-RateLimit-Period-In-Sec": "1",
            }
            return (
                429,
                limits,
                {"message": "You are making too many requests!", "took": 0.0, "requestId": "r1"},
            )

        def link(offset):
            query = {"limit": size, "sort": "createdAt", "offset": offset, "order": "desc"}
            return f"{self.url}?{urlencode(query)}"

        paging = {"first": link(0), "last": link((self.records - 1) // size * size)}
        if start + size < self.records:
            paging["next"] = link(start + size)
        body = {"data": self.all_records()[start : start + size], "paging": paging}
        return 200, {}, body | {"took": 0.012, "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9"}


class TeamworkTasks(BasicAuthVendor):
    """Teamwork.com API v3 (``GET /projects/api/v3/tasks.json``; HTTP Basic with the API key as the
    user name): ``{"tasks": [...], "meta": {"page": {"pageOffset", "pageSize", "count", "hasMore"}}}``;
    ``page`` (from 1) and ``pageSize`` (50 by default, 500 at most). ``pageOffset`` is the page's
    number from 0, not a record offset, and ``count`` is no total while ``hasMore`` is true: "the
    count returned would be (page*pageSize)+1". https://apidocs.teamwork.com/guides/teamwork/how-does-paging-work.
    From memory, not a stored page: the error body ``{"errors": [{"title", "detail"}]}``."""

    name = "teamwork"
    path = "/projects/api/v3/tasks.json"
    records = 23
    page_size = 5  # 50 at Teamwork
    max_page_size = 500
    api_key = "twp_0123456789abcdefABCDEF0123456789"
    user = api_key

    def unauthorized(self):
        return 401, {}, {"errors": [{"title": "Unauthorized", "detail": "Invalid API key"}]}

    pagination = documented_pagination("page", size_param="pageSize", has_more_path="meta.page.hasMore")

    def record(self, number):
        return {"id": 26000000 + number, "name": f"Task {number}", "status": "new"}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "pageSize")
        more = number < last
        count = number * size + 1 if more else self.records
        page = {"pageOffset": number - 1, "pageSize": size, "count": count, "hasMore": more}
        return 200, {}, {"tasks": self.all_records()[start : start + size], "meta": {"page": page}}


class Basecamp(VendorServer):
    """Basecamp 4 (``GET /{account}/buckets/{project}/todolists/{id}/todos.json``; ``Authorization:
    Bearer`` and a ``User-Agent`` naming the app): a JSON list; the next page in a ``Link: <...>;
    rel="next"`` header and the whole count in ``X-Total-Count``. Pages are geared: the first ones are
    shorter than the later ones, so a short page is no end. HTTP 429 with ``Retry-After`` past 50
    requests in 10 seconds. From memory, not a stored page (the search tool found only a copy of
    https://github.com/basecamp/bc3-api): all of it."""

    name = "basecamp"
    path = "/999999999/buckets/2085958499/todolists/1069479424/todos.json"
    records = 23
    gears = (3, 5, 8)  # 15, 30, 50 at Basecamp
    page_size = 3
    requests_past_the_end = 3  # page numbers in the Link header are asked for ahead
    api_key = "BAhbB0kiAbB7ImNsaWVudF9pZCI6ImJhc2VjYW1w"
    rate_limited_on_page = None
    refused = 0

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_headers": {"User-Agent": "MigrateIQ (ops@example.com)"},
        }

    def expected_pages(self, page_size=None):
        start, pages = 0, 0
        while start < self.records:
            start += self.gears[min(pages, len(self.gears) - 1)]
            pages += 1
        return pages

    def respond(self, path, query, headers):
        if not headers.get("User-Agent", "").startswith("MigrateIQ"):
            return 400, {}, {"error": "A User-Agent header naming your app is required"}
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        sizes = [self.gears[min(index, len(self.gears) - 1)] for index in range(number)]
        start, size = sum(sizes[:-1]), sizes[-1]
        if number == (self.rate_limited_on_page or 0):
            with self._lock:
                self.refused, refuse = self.refused + 1, self.refused == 0
            if refuse:
                return 429, {"Retry-After": "1"}, {"error": "Too many requests"}
        out = {"X-Total-Count": str(self.records)}
        if start + size < self.records:
            out["Link"] = f'<{self.url}?page={number + 1}>; rel="next"'
        return 200, out, self.all_records()[start : start + size]

    def record(self, number):
        return {"id": 1069479500 + number, "content": f"To-do {number}", "completed": False, "type": "Todo"}


class SquarespaceOrders(VendorServer):
    """Squarespace Commerce Orders API (``GET /1.0/commerce/orders``; ``Authorization: Bearer`` and a
    ``User-Agent``): ``{"result": [...], "pagination": {"hasNextPage", "nextPageCursor",
    "nextPageUrl"}}`` (``null`` cursor and URL on the last page); ``cursor`` is the last answer's
    ``nextPageCursor``; up to 50 orders a page. The first request may filter by ``modifiedAfter`` and
    ``modifiedBefore``; a request with ``cursor`` may not carry them (HTTP 400): the cursor holds them.
    https://developers.squarespace.com/commerce-apis/retrieve-all-store-pages (the pagination object
    and ``cursor``), https://raw.githubusercontent.com/api-evangelist/squarespace/refs/heads/main/examples/squarespace-list-orders-example.json.
    From memory, not a stored page: the refusal of the filters beside ``cursor``, the error body
    ``{"type", "subtype", "message", "details", "contextId"}`` and a 429 with ``Retry-After``."""

    name = "squarespace-orders"
    path = "/1.0/commerce/orders"
    records = 23
    page_size = 5  # 50 at Squarespace
    api_key = "e2b6f8a0-1c3d-4e5f-a6b7-c8d9e0f1a2b3"

    def error(self, message):
        return {
            "type": "INVALID_REQUEST_ERROR",
            "subtype": None,
            "message": message,
            "details": None,
            "contextId": "IEBROFREGEHUY",
        }

    def unauthorized(self):
        return 401, {}, self.error("Unauthorized")

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_headers": {"User-Agent": "MigrateIQ"},
            "query_params": {
                "modifiedAfter": "2025-01-01T00:00:00Z",
                "modifiedBefore": "2025-02-01T00:00:00Z",
            },
        }

    def record(self, number):
        return {
            "id": f"585d498fdee9f31a60284a{number:02d}",
            "orderNumber": str(1000 + number),
            "fulfillmentStatus": "PENDING",
        }

    def respond(self, path, query, headers):
        if query.get("cursor"):
            if "modifiedAfter" in query or "modifiedBefore" in query:
                return 400, {}, self.error("Cannot combine cursor with other query parameters.")
            start = _position(query["cursor"], "sq")
            if start is None:
                return 400, {}, self.error("Invalid cursor.")
        elif not (query.get("modifiedAfter") and query.get("modifiedBefore")):
            return 400, {}, self.error("modifiedAfter and modifiedBefore must both be specified.")
        else:
            start = 0
        end = min(start + self.page_size, self.records)
        more = end < self.records
        cursor = _token(end, "sq") if more else None
        pagination = {
            "hasNextPage": more,
            "nextPageCursor": cursor,
            "nextPageUrl": f"{self.url}?{urlencode({'cursor': cursor})}" if more else None,
        }
        return 200, {}, {"result": self.all_records()[start:end], "pagination": pagination}


TWELFTH_VENDORS_ON_AUTO = (
    MixpanelExport,
    Salesloft,
    SmartRecruitersCandidates,
    Wrike,
    PersonioEmployees,
    OpsgenieAlerts,
    SquarespaceOrders,
)  # Snowflake, Copper and Teamwork: not on auto; Basecamp: its own test (geared pages)


# -- a thirteenth round: open-data and content APIs, payment and mailing-list APIs whose envelopes none
# of the above has: a top-level array [meta, records] (World Bank), features beside a transfer-limit
# flag (ArcGIS), a bare array paged by $offset (Socrata), a result object holding count and results
# (CKAN), a continue object (MediaWiki), next_href (SoundCloud), totals in response headers (Storyblok),
# a next_page_token sent back as page-token (CircleCI), a page count in meta.pagination (Ghost), a page
# size capped below the one asked for (NocoDB), a per-page count without a total (Razorpay), GraphQL-like
# pagination objects in REST (Kit), next_collection_link (AWeber), meta.pageCount (Paystack), a browse
# cursor beside page numbers (Algolia), next_href-style paths (Vimeo), Qualtrics' result.nextPage, and
# Bluesky's record lists.


class HeaderKeyVendor(VendorServer):
    """A vendor that takes its API key in a header of its own (``auth_header``)."""

    auth_header = "X-API-Key"

    def authorized(self, headers):
        return headers.get(self.auth_header) == self.api_key

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": self.auth_header,
        }


class PublicVendor(VendorServer):
    """An open-data API: no credentials."""

    def authorized(self, headers):
        return True

    def connector_fields(self):
        return {"api_endpoint": self.url, "auth_type": "none"}


class WorldBank(PublicVendor):
    """World Bank Indicators API v2 (``GET /v2/country?format=json``): a top-level JSON array of two
    elements, ``[{"page", "pages", "per_page", "total", "sourceid", "lastupdated"}, [records]]``
    (``per_page`` a string on some endpoints); ``page`` and ``per_page`` (default 50, up to 32,500).
    A page past the last answers ``[{meta}, null]``. Without ``format=json`` it answers XML. An invalid
    parameter is answered with HTTP 200 and ``[{"message": [{"id": "120", "key": "Invalid value",
    "value": "The provided parameter value is not valid"}]}]``.
    https://datahelpdesk.worldbank.org/knowledgebase/articles/898581 (API basic call structures),
    https://schemas.apis.io/schemas/worldbank/pagination/ (the first element)"""

    name = "world-bank"
    records_path = "1"  # the explicit configuration's
    path = "/v2/country"
    records = 23
    page_size = 5  # 50 at the World Bank
    invalid_parameter = False

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"format": "json"}}

    pagination = documented_pagination("page", size_param="per_page", total_pages_path="0.pages")

    def record(self, number):
        return {
            "id": f"C{number:02d}",
            "iso2Code": f"X{number}",
            "name": f"Country {number}",
            "capitalCity": "",
        }

    def respond(self, path, query, headers):
        if query.get("format") != "json":
            return 200, {"Content-Type": "application/xml"}, b'<?xml version="1.0"?><wb:countries/>'
        if self.invalid_parameter:
            message = {
                "id": "120",
                "key": "Invalid value",
                "value": "The provided parameter value is not valid",
            }
            return 200, {}, [{"message": [message]}]
        number, size, start, last = self.numbered_page(query, "per_page")
        meta = {
            "page": number,
            "pages": last,
            "per_page": str(size),
            "total": self.records,
            "sourceid": None,
            "lastupdated": "2026-01-28",
        }
        page = self.all_records()[start : start + size]
        return 200, {}, [meta, page or None]


class ArcGISFeatureQuery(QueryKeyVendor):
    """ArcGIS REST API, Query (Feature Service/Layer) (``GET .../FeatureServer/0/query?where=1=1
    &outFields=*&f=json``, token as ``?token=``): ``{"objectIdFieldName", "geometryType", "fields",
    "features": [{"attributes": {...}, "geometry": {...}}], "exceededTransferLimit": true}``; at most
    the layer's ``maxRecordCount`` features an answer (1000 or 2000 by default); ``resultOffset`` and
    ``resultRecordCount`` page; ``exceededTransferLimit`` is there (true) while more features match, and
    missing from the last page. Errors are answered with HTTP 200: ``{"error": {"code": 400, "message":
    "Unable to complete operation.", "details": [...]}}`` (498 for an invalid token).
    https://developers.arcgis.com/rest/services-reference/enterprise/query-feature-service-layer/,
    https://developers.arcgis.com/net/api-reference/ (IsTransferLimitExceeded)"""

    name = "arcgis-query"
    records_path = "features"  # the explicit configuration's
    path = "/arcgis/rest/services/Hosted/Parcels/FeatureServer/0/query"
    records = 23
    page_size = 5  # the layer's maxRecordCount (1000 / 2000 at ArcGIS)
    api_key = "AAPK3f9b2c1d0e8a4b7c9d6e5f4a3b2c1d0e"
    max_page_size = 5
    error_on_page = None
    auth_param = "token"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"where": "1=1", "outFields": "*", "f": "json"},
            "primary_key": "attributes.OBJECTID",
        }

    pagination = documented_pagination(
        "offset",
        offset_param="resultOffset",
        limit_param="resultRecordCount",
        has_more_path="exceededTransferLimit",
    )

    def record(self, number):
        return {
            "attributes": {"OBJECTID": number, "PARCEL_ID": f"P-{number:05d}", "ZONING": "R1"},
            "geometry": {"x": -117.19 + number / 1000, "y": 34.05},
        }

    def error(self, code, message, details=()):
        return 200, {}, {"error": {"code": code, "message": message, "details": list(details)}}

    def respond(self, path, query, headers):
        if query.get("token") != self.api_key:
            return self.error(498, "Invalid token.")
        if query.get("f") != "json" or "where" not in query:
            return self.error(400, "Unable to complete operation.", ["'where' parameter is invalid"])
        start = int(query.get("resultOffset") or 0)
        size = self.size(query, "resultRecordCount")
        if self.error_on_page is not None and start == (self.error_on_page - 1) * size:
            return self.error(500, "Error performing query operation", ["Timeout"])
        body = {
            "objectIdFieldName": "OBJECTID",
            "globalIdFieldName": "",
            "geometryType": "esriGeometryPoint",
            "spatialReference": {"wkid": 4326, "latestWkid": 4326},
            "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID"}],
            "features": self.all_records()[start : start + size],
        }
        if start + size < self.records:
            body["exceededTransferLimit"] = True
        return 200, {}, body


class SocrataSoda(HeaderKeyVendor):
    """Socrata SODA 2.x (``GET /resource/{4x4}.json``; an app token in ``X-App-Token``): a bare JSON
    array; ``$limit`` (default 1000) and ``$offset`` with a ``$order`` for stable pages; no total, no
    next link: a page shorter than ``$limit`` is the last. Errors: HTTP 400 ``{"code":
    "query.soql.invalid", "error": true, "message": ...}``; HTTP 429 past the throttle.
    https://dev.socrata.com/docs/paging.html, https://dev.socrata.com/docs/app-tokens.html"""

    name = "socrata"
    records_path = ""  # the explicit configuration's
    path = "/resource/wc8w-nujj.json"
    records = 23
    page_size = 1000
    max_page_size = 50000
    api_key = "app-token-9f8e7d6c5b4a"
    auth_header = "X-App-Token"

    def unauthorized(self):
        return 403, {}, {"code": "permission_denied", "error": True, "message": "Invalid app_token specified"}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"$order": ":id"}}

    pagination = documented_pagination("offset", offset_param="$offset", limit_param="$limit")

    def record(self, number):
        return {"id": str(number), "case_number": f"JH{number:06d}", "primary_type": "THEFT"}

    def respond(self, path, query, headers):
        offset = query.get("$offset", "0")
        if not offset.isdigit():
            return 400, {}, {"code": "query.soql.invalid", "error": True, "message": "Invalid $offset"}
        start, size = int(offset), self.size(query, "$limit")
        return (
            200,
            {"X-SODA2-Fields": '["id","case_number","primary_type"]'},
            self.all_records()[start : start + size],
        )


class CkanPackageSearch(HeaderKeyVendor):
    """CKAN Action API ``package_search`` (``GET /api/3/action/package_search``; an API token in the
    ``Authorization`` header, no scheme): ``{"help", "success": true, "result": {"count", "facets",
    "results": [...], "sort", "search_facets"}}``; ``rows`` (default 10, up to 1000) and ``start``;
    other names (``offset``, ``limit``) are ignored. An error: HTTP 409 ``{"help", "success": false,
    "error": {"__type": "Validation Error", ...}}``.
    https://docs.ckan.org/en/latest/api/index.html (ckan.logic.action.get.package_search)"""

    name = "ckan"
    records_path = "result.results"  # the explicit configuration's
    path = "/api/3/action/package_search"
    records = 23
    page_size = 10
    max_page_size = 1000
    api_key = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.ckan"
    auth_header = "Authorization"  # the token itself, no scheme

    def unauthorized(self):
        return (
            403,
            {},
            {
                "help": "",
                "success": False,
                "error": {"__type": "Authorization Error", "message": "Access denied"},
            },
        )

    pagination = documented_pagination(
        "offset", offset_param="start", limit_param="rows", total_path="result.count"
    )

    def record(self, number):
        return {
            "id": f"0b5c2f1e-0000-4000-8000-{number:012d}",
            "name": f"dataset-{number}",
            "state": "active",
        }

    def respond(self, path, query, headers):
        rows = query.get("rows", str(self.page_size))
        if not rows.isdigit() or int(rows) > self.max_page_size:
            error = {
                "__type": "Validation Error",
                "rows": [f"Must be less than or equal to {self.max_page_size}"],
            }
            return 409, {}, {"help": self.url, "success": False, "error": error}
        start, size = int(query.get("start") or 0), self.serves(int(rows), query.get("rows"))
        result = {
            "count": self.records,
            "facets": {},
            "results": self.all_records()[start : start + size],
            "sort": "score desc, metadata_modified desc",
            "search_facets": {},
        }
        return (
            200,
            {},
            {
                "help": self.base + "/api/3/action/help_show?name=package_search",
                "success": True,
                "result": result,
            },
        )


class MediaWikiAllPages(PublicVendor):
    """MediaWiki Action API, ``list=allpages`` (``GET /w/api.php?action=query&list=allpages&format=json
    &formatversion=2``): ``{"batchcomplete": true, "continue": {"apcontinue": ..., "continue": "-||"},
    "query": {"allpages": [...]}}``; ``aplimit`` (default 10, up to 500); the values of ``continue``
    are merged into the next request; no ``continue`` on the last answer. Errors are answered with
    HTTP 200, a ``MediaWiki-API-Error`` header and ``{"error": {"code", "info", "docref"}, "servedby"}``:
    ``badcontinue`` for a ``continue`` value it did not give. A request with ``maxlag`` while the
    replicas lag more (``lagged_answers`` times, from the page ``lagged_on_page``) is answered HTTP 200
    with ``Retry-After`` and ``X-Database-Lag`` headers and ``{"error": {"code": "maxlag", "info":
    "Waiting for <host>: <lag> seconds lagged", "host", "lag", "type": "db"}}``.
    https://www.mediawiki.org/wiki/API:Continue, https://www.mediawiki.org/wiki/API:Errors_and_warnings,
    https://www.mediawiki.org/wiki/Manual:Maxlag_parameter"""

    name = "mediawiki"
    records_path = "query.allpages"  # the explicit configuration's
    path = "/w/api.php"
    records = 23
    page_size = 10
    max_page_size = 500

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"action": "query", "list": "allpages", "format": "json", "formatversion": "2"},
            "primary_key": "pageid",
        }

    pagination = documented_pagination(
        "cursor", cursor_path="continue.apcontinue", cursor_param="apcontinue", size_param="aplimit"
    )

    def record(self, number):
        return {"pageid": 1000 + number, "ns": 0, "title": f"Page {number:03d}"}

    def error(self, code, info):
        body = {
            "error": {"code": code, "info": info, "docref": "See /w/api.php for API usage."},
            "servedby": "mw1",
        }
        return 200, {"MediaWiki-API-Error": code}, body

    lagged_on_page = 2
    lagged_answers = 0
    lag_seconds = 7

    def lagging(self, query) -> bool:
        """Whether this request is answered with ``maxlag`` (counted in ``lag_answered``)."""
        page = 1 if "apcontinue" not in query else 2  # the fake lags from its second answer on
        if "maxlag" not in query or page < self.lagged_on_page:
            return False
        with self._lock:
            answered = getattr(self, "lag_answered", 0)
            self.lag_answered = answered + (answered < self.lagged_answers)
        return answered < self.lagged_answers

    def respond(self, path, query, headers):
        with self._lock:
            self.answered_at = [*getattr(self, "answered_at", []), time.monotonic()]
        if query.get("action") != "query" or query.get("list") != "allpages":
            return self.error("badvalue", 'Unrecognized value for parameter "action".')
        if self.lagging(query):
            status, _headers, body = self.error(
                "maxlag", f"Waiting for db1001: {self.lag_seconds} seconds lagged"
            )
            body["error"].update({"host": "db1001", "lag": self.lag_seconds, "type": "db"})
            return status, {"MediaWiki-API-Error": "maxlag", "Retry-After": "1", "X-Database-Lag": "7"}, body
        if "continue" in query and query["continue"] != "-||":
            return self.error(
                "badcontinue",
                "Invalid continue param. You should pass the original value returned by the previous query.",
            )
        titles = [record["title"] for record in self.all_records()]
        start = 0
        if "apcontinue" in query:
            title = query["apcontinue"].replace("_", " ")
            if title not in titles:
                return 200, {}, {"batchcomplete": True, "query": {"allpages": []}}
            start = titles.index(title)
        size = self.size(query, "aplimit")
        body = {"batchcomplete": True, "query": {"allpages": self.all_records()[start : start + size]}}
        if start + size < self.records:
            body["continue"] = {"apcontinue": titles[start + size].replace(" ", "_"), "continue": "-||"}
        return 200, {}, body


class SoundCloudTracks(VendorServer):
    """SoundCloud API (``GET /me/tracks?linked_partitioning=true``; ``Authorization: OAuth <token>``):
    with ``linked_partitioning`` ``{"collection": [...], "next_href": <URL with a cursor>}``, no
    ``next_href`` (null) on the last page; ``limit`` (default 50, up to 200). Without
    ``linked_partitioning`` a bare array of the first page. A rate limit is HTTP 429 with ``{"code": 429,
    "message", "status": "429 - Too Many Requests", "errors": [...]}``.
    https://developers.soundcloud.com/docs/api/guide#pagination"""

    name = "soundcloud"
    records_path = "collection"  # the explicit configuration's
    path = "/me/tracks"
    records = 23
    page_size = 5  # 50 at SoundCloud
    max_page_size = 200
    api_key = "2-293028-11111111-ABCDEFGHIJKL"

    def authorized(self, headers):
        return headers.get("Authorization") in (f"OAuth {self.api_key}", f"Bearer {self.api_key}")

    def unauthorized(self):
        return (
            401,
            {},
            {"code": 401, "message": "", "status": "401 - Unauthorized", "errors": [], "error": None},
        )

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"linked_partitioning": "true"}}

    pagination = documented_pagination("next_url", next_url_path="next_href", size_param="limit")

    def record(self, number):
        return {
            "kind": "track",
            "id": 308946000 + number,
            "title": f"Track {number}",
            "urn": f"soundcloud:tracks:{number}",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = 0
        if query.get("cursor"):
            start = _position(query["cursor"], "sc")
            if start is None:
                return (
                    400,
                    {},
                    {"code": 400, "message": "invalid cursor", "status": "400 - Bad Request", "errors": []},
                )
        page = self.all_records()[start : start + size]
        if query.get("linked_partitioning") != "true":
            return 200, {}, page
        end = start + size
        following = None
        if end < self.records:
            query = {"linked_partitioning": "true", "limit": size, "cursor": _token(end, "sc")}
            following = f"{self.url}?{urlencode(query)}"
        return 200, {}, {"collection": page, "next_href": following}


class BlueskyListRecords(PublicVendor):
    """AT Protocol ``com.atproto.repo.listRecords`` on a PDS (``GET /xrpc/com.atproto.repo.listRecords
    ?repo=<did>&collection=app.bsky.feed.post``): ``{"records": [{"uri", "cid", "value"}], "cursor"}``;
    ``limit`` (default 50, 1-100); the last page has no ``cursor``. Errors: HTTP 400 ``{"error":
    "InvalidRequest", "message"}``; rate limits in ``ratelimit-limit``, ``ratelimit-remaining``,
    ``ratelimit-reset`` (epoch seconds) and ``ratelimit-policy``, HTTP 429 once spent.
    https://docs.bsky.app/docs/api/com-atproto-repo-list-records, https://docs.bsky.app/docs/advanced-guides/rate-limits"""

    name = "bluesky"
    records_path = "records"  # the explicit configuration's
    path = "/xrpc/com.atproto.repo.listRecords"
    records = 23
    page_size = 5  # 50 at Bluesky
    max_page_size = 100
    did = "did:plc:z72i7hdynmk6r22z27h6tvur"
    rate_limited_on_page = None
    window_seconds = 1.0

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"repo": self.did, "collection": "app.bsky.feed.post"},
            "primary_key": "uri",
        }

    pagination = documented_pagination(
        "cursor", cursor_path="cursor", cursor_param="cursor", size_param="limit"
    )

    def record(self, number):
        return {
            "uri": f"at://{self.did}/app.bsky.feed.post/3k{number:011d}",
            "cid": f"bafyreib{number:050d}",
            "value": {
                "$type": "app.bsky.feed.post",
                "text": f"Post {number}",
                "createdAt": "2025-01-01T00:00:00Z",
            },
        }

    def respond(self, path, query, headers):
        if query.get("repo") != self.did or not query.get("collection"):
            return (
                400,
                {},
                {"error": "InvalidRequest", "message": 'Error: Params must have the property "repo"'},
            )
        if query.get("limit") and not 1 <= int(query["limit"]) <= self.max_page_size:
            return 400, {}, {"error": "InvalidRequest", "message": "Error: limit can not be greater than 100"}
        size = self.size(query, "limit")
        start = _position(query["cursor"], "bsky") if query.get("cursor") else 0
        if start is None:
            return 400, {}, {"error": "InvalidRequest", "message": "Malformed cursor"}
        reset = int(time.time()) + 300
        limits = {"ratelimit-limit": "3000", "ratelimit-policy": "3000;w=300", "ratelimit-reset": str(reset)}
        if self.window_closed(start, size):
            return (
                429,
                {**limits, "ratelimit-remaining": "0", "ratelimit-reset": str(int(self.closed_until))},
                {
                    "error": "RateLimitExceeded",
                    "message": "Rate Limit Exceeded",
                },
            )
        body = {"records": self.all_records()[start : start + size]}
        if start + size < self.records:
            body["cursor"] = _token(start + size, "bsky")
        return 200, {**limits, "ratelimit-remaining": "2999"}, body


class QualtricsSurveys(HeaderKeyVendor):
    """Qualtrics API v3 list surveys (``GET /API/v3/surveys``; ``X-API-TOKEN``): ``{"result":
    {"elements": [...], "nextPage": <URL with offset> | null}, "meta": {"httpStatus": "200 - OK",
    "requestId"}}``; an error: ``{"meta": {"httpStatus": "401 - Unauthorized", "error": {"errorMessage",
    "errorCode"}, "requestId"}}`` with that HTTP status; HTTP 429 past the per-brand limit.
    https://api.qualtrics.com/ZG9jOjg3NzY3Mw-pagination (result.nextPage)"""

    name = "qualtrics"
    records_path = "result.elements"  # the explicit configuration's
    path = "/API/v3/surveys"
    records = 23
    page_size = 5  # 100 at Qualtrics
    auth_header = "X-API-TOKEN"
    api_key = "xQtR3yWz0abcdEFGhijkLMNOpqrstUVW12345678"

    def unauthorized(self):
        meta = {
            "httpStatus": "401 - Unauthorized",
            "error": {"errorMessage": "Invalid API token", "errorCode": "AUTH.1"},
            "requestId": "e1",
        }
        return 401, {}, {"meta": meta}

    pagination = documented_pagination("next_url", next_url_path="result.nextPage")

    def record(self, number):
        return {"id": f"SV_{number:015d}", "name": f"Survey {number}", "ownerId": "UR_1", "isActive": True}

    def respond(self, path, query, headers):
        start = int(query.get("offset") or 0)
        end = start + self.page_size
        following = f"{self.url}?offset={end}" if end < self.records else None
        meta = {"httpStatus": "200 - OK", "requestId": f"req-{start}"}
        return (
            200,
            {},
            {"result": {"elements": self.all_records()[start:end], "nextPage": following}, "meta": meta},
        )


class StoryblokStories(QueryKeyVendor):
    """Storyblok Content Delivery API v2 (``GET /v2/cdn/stories?token=...``): ``{"stories": [...], "cv",
    "rels": [], "links": []}``; ``page`` and ``per_page`` (default 25, up to 100); the count is only in
    the response headers ``Total`` and ``Per-Page``; a page past the last is an empty array. HTTP 429
    past its rate limit; 401 ``{"error": "Unauthorized"}`` without a valid token.
    https://www.storyblok.com/docs/api/content-delivery/v2/getting-started/pagination,
    https://www.storyblok.com/docs/api/management/getting-started/pagination (``total`` and ``per_page``
    response headers: divide to get the last page)"""

    name = "storyblok"
    records_path = "stories"  # the explicit configuration's
    path = "/v2/cdn/stories"
    records = 53
    page_size = 25
    api_key = "wANpEQEsMYGOwLxwXQ76Ggtt"
    auth_param = "token"

    pagination = documented_pagination("page", size_param="per_page")

    def record(self, number):
        return {
            "id": 400000 + number,
            "uuid": f"u-{number}",
            "name": f"Story {number}",
            "full_slug": f"blog/story-{number}",
        }

    def respond(self, path, query, headers):
        if query.get("token") != self.api_key:
            return 401, {}, {"error": "Unauthorized"}
        number, size, start, last = self.numbered_page(query, "per_page")
        body = {
            "stories": self.all_records()[start : start + size],
            "cv": 1700000000,
            "rels": [],
            "links": [],
        }
        return 200, {"Total": str(self.records), "Per-Page": str(size)}, body


class CircleCIPipelines(HeaderKeyVendor):
    """CircleCI API v2 (``GET /api/v2/project/{slug}/pipeline``; ``Circle-Token``): ``{"items": [...],
    "next_page_token": <token> | null}``; the token goes back as ``page-token`` (any other name is
    ignored: the first page again); 20 items a page. HTTP 429 with ``Retry-After``; errors ``{"message"}``.
    https://circleci.com/docs/api/v2/index.html (List pipelines for a project: page-token)"""

    name = "circleci"
    records_path = "items"  # the explicit configuration's
    path = "/api/v2/project/gh/acme/web/pipeline"
    records = 23
    page_size = 5  # 20 at CircleCI
    auth_header = "Circle-Token"
    api_key = "CCIPAT_4hQ1bX_0123456789abcdef0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"message": "You must log in first."}

    pagination = documented_pagination("cursor", cursor_path="next_page_token", cursor_param="page-token")

    def record(self, number):
        return {"id": f"5034460f-c7c4-4c43-9457-{number:012d}", "number": number, "state": "created"}

    def respond(self, path, query, headers):
        start = 0
        if query.get("page-token"):
            start = _position(query["page-token"], "cci")
            if start is None:
                return 400, {}, {"message": "Invalid page-token."}
        end = start + self.page_size
        token = _token(end, "cci") if end < self.records else None
        return 200, {}, {"items": self.all_records()[start:end], "next_page_token": token}


class GhostContentPosts(QueryKeyVendor):
    """Ghost Content API (``GET /ghost/api/content/posts/?key=...``): ``{"posts": [...], "meta":
    {"pagination": {"page", "limit", "pages", "total", "next", "prev"}}}`` (``next`` a page number, null
    on the last page); ``limit`` (default 15) and ``page``. Errors ``{"errors": [{"message", "context",
    "type"}]}``. https://ghost.org/docs/content-api/#pagination"""

    name = "ghost"
    records_path = "posts"  # the explicit configuration's
    path = "/ghost/api/content/posts/"
    records = 23
    page_size = 15
    api_key = "22444f78447824223cefc48062"
    auth_param = "key"

    pagination = documented_pagination("page", size_param="limit", total_pages_path="meta.pagination.pages")

    def record(self, number):
        return {
            "id": f"5ddc9141c35e7700383b2{number:03d}",
            "slug": f"post-{number}",
            "title": f"Post {number}",
        }

    def respond(self, path, query, headers):
        if query.get("key") != self.api_key:
            error = {
                "message": "Authorization failed",
                "context": "Unknown Content API Key",
                "type": "UnauthorizedError",
            }
            return 401, {}, {"errors": [error]}
        number, size, start, last = self.numbered_page(query, "limit")
        pagination = {
            "page": number,
            "limit": size,
            "pages": last,
            "total": self.records,
            "next": number + 1 if number < last else None,
            "prev": number - 1 if number > 1 else None,
        }
        return (
            200,
            {},
            {"posts": self.all_records()[start : start + size], "meta": {"pagination": pagination}},
        )


class NocoDBBases(HeaderKeyVendor):
    """NocoDB v3 Meta API, list bases (``GET /api/v3/meta/workspaces/{id}/bases``; ``xc-token``): every
    base without ``limit`` (``offset`` ignored then); with ``limit`` and ``offset`` ``{"list": [...],
    "pageInfo": {"totalRows", "pageSize"}}``, ``pageSize`` the size applied, smaller than ``limit`` when
    the deployment caps it (``NC_DB_QUERY_LIMIT_MAX``); an ``offset`` at or past ``totalRows`` is an
    error (HTTP 422), not an empty page. https://nocodb.com/docs/apis/pagination"""

    name = "nocodb"
    records_path = "list"  # the explicit configuration's
    path = "/api/v3/meta/workspaces/w7x8y9z0/bases"
    records = 23
    page_size = 5  # the deployment's cap
    max_page_size = 5
    auth_header = "xc-token"
    api_key = "nc_pat_0123456789abcdefghij"

    def unauthorized(self):
        return (
            401,
            {},
            {"error": "AUTHENTICATION_REQUIRED", "message": "Authentication required - Invalid token"},
        )

    pagination = documented_pagination("offset", total_path="pageInfo.totalRows")

    def record(self, number):
        return {"id": f"p{number:013d}", "title": f"Base {number}", "workspace_id": "w7x8y9z0"}

    def respond(self, path, query, headers):
        if "limit" not in query:
            self.serves(self.records)
            return (
                200,
                {},
                {
                    "list": self.all_records(),
                    "pageInfo": {"totalRows": self.records, "pageSize": self.records},
                },
            )
        start, size = int(query.get("offset") or 0), self.size(query, "limit")
        if start >= self.records:
            return 422, {}, {"error": "INVALID_OFFSET_VALUE", "message": f"Offset value '{start}' is invalid"}
        page_info = {"totalRows": self.records, "pageSize": size}
        return 200, {}, {"list": self.all_records()[start : start + size], "pageInfo": page_info}


class RazorpayPayments(BasicAuthVendor):
    """Razorpay (``GET /v1/payments``; HTTP Basic with key id and secret): ``{"entity": "collection",
    "count": <items on this page>, "items": [...]}``; ``count`` (default 10, up to 100) and ``skip``; no
    total, no more flag: a page shorter than ``count`` is the last. Errors: ``{"error": {"code":
    "BAD_REQUEST_ERROR", "description", "source", "step", "reason", "metadata", "field"}}``.
    https://razorpay.com/docs/api/payments/fetch-all-payments/"""

    name = "razorpay"
    records_path = "items"  # the explicit configuration's
    path = "/v1/payments"
    records = 23
    page_size = 10
    user = "rzp_test_1DP5mmOlF5G5ag"
    api_key = "thisisnotarealsecret123"

    def unauthorized(self):
        error = {
            "code": "BAD_REQUEST_ERROR",
            "description": "The api key provided is invalid",
            "source": "NA",
            "step": "NA",
            "reason": "NA",
            "metadata": {},
        }
        return 401, {}, {"error": error}

    pagination = documented_pagination("offset", offset_param="skip", limit_param="count")

    def record(self, number):
        return {"id": f"pay_{number:014d}", "entity": "payment", "amount": 100 * number, "currency": "INR"}

    def respond(self, path, query, headers):
        count = query.get("count", str(self.page_size))
        if not count.isdigit() or not 1 <= int(count) <= self.max_page_size:
            error = {
                "code": "BAD_REQUEST_ERROR",
                "description": "The count must be between 1 and 100.",
                "source": "business",
                "step": "payment_initiation",
                "reason": "input_validation_failed",
                "metadata": {},
                "field": "count",
            }
            return 400, {}, {"error": error}
        start = int(query.get("skip") or 0)
        items = self.all_records()[start : start + self.serves(int(count), query.get("count"))]
        return 200, {}, {"entity": "collection", "count": len(items), "items": items}


class KitSubscribers(HeaderKeyVendor):
    """Kit (ConvertKit) API v4 (``GET /v4/subscribers``; ``X-Kit-Api-Key``): ``{"subscribers": [...],
    "pagination": {"has_previous_page", "has_next_page", "start_cursor", "end_cursor", "per_page"}}``;
    ``after=<end_cursor>`` and ``per_page`` (default 500, up to 1000). Errors ``{"errors": [...]}``;
    HTTP 429 past 120 requests a minute. https://developers.kit.com/api-reference/pagination"""

    name = "kit"
    records_path = "subscribers"  # the explicit configuration's
    path = "/v4/subscribers"
    records = 23
    page_size = 5  # 500 at Kit
    auth_header = "X-Kit-Api-Key"
    api_key = "kit_0123456789abcdef0123456789ab"

    def unauthorized(self):
        return 401, {}, {"errors": ["The access token is invalid"]}

    pagination = documented_pagination(
        "cursor",
        cursor_path="pagination.end_cursor",
        cursor_param="after",
        has_more_path="pagination.has_next_page",
        size_param="per_page",
    )

    def record(self, number):
        return {
            "id": 142000 + number,
            "first_name": f"Ada {number}",
            "email_address": f"s{number}@example.com",
            "state": "active",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "per_page")
        start = 0
        if query.get("after"):
            start = _position(query["after"], "kit")
            if start is None:
                return 422, {}, {"errors": ["Invalid cursor"]}
        end = min(start + size, self.records)
        pagination = {
            "has_previous_page": start > 0,
            "has_next_page": end < self.records,
            "start_cursor": _token(start + 1, "kit-start"),
            "end_cursor": _token(end, "kit"),
            "per_page": size,
        }
        return 200, {}, {"subscribers": self.all_records()[start:end], "pagination": pagination}


class AWeberSubscribers(VendorServer):
    """AWeber API 1.0 collections (``GET /1.0/accounts/{id}/lists/{id}/subscribers``; OAuth 2 Bearer):
    ``{"entries": [...], "start", "total_size", "next_collection_link", "prev_collection_link",
    "resource_type_link"}``; ``ws.start`` and ``ws.size`` (default 100); no ``next_collection_link``
    on the last page. Errors ``{"error": {"status", "message", "type", "documentation_url"}}``.
    https://api.aweber.com/#tag/Subscribers, https://rubydoc.info/gems/aweber/AWeber/Collection"""

    name = "aweber"
    records_path = "entries"  # the explicit configuration's
    path = "/1.0/accounts/1234567/lists/7654321/subscribers"
    records = 23
    page_size = 5  # 100 at AWeber
    api_key = "aweber-oauth2-access-token-0123"

    def unauthorized(self):
        error = {
            "status": 401,
            "message": "Invalid token",
            "type": "UnauthorizedError",
            "documentation_url": "https://api.aweber.com/#tag/Troubleshooting",
        }
        return 401, {}, {"error": error}

    pagination = documented_pagination("next_url", next_url_path="next_collection_link", size_param="ws.size")

    def record(self, number):
        return {
            "id": 270000 + number,
            "email": f"s{number}@example.com",
            "status": "subscribed",
            "self_link": f"{self.path}/{270000 + number}",
        }

    def respond(self, path, query, headers):
        start, size = int(query.get("ws.start") or 0), self.size(query, "ws.size")
        body = {
            "entries": self.all_records()[start : start + size],
            "start": start,
            "total_size": self.records,
            "resource_type_link": "https://api.aweber.com/1.0/#subscriber-page-resource",
        }
        if start + size < self.records:
            body["next_collection_link"] = (
                f"{self.url}?{urlencode({'ws.size': size, 'ws.start': start + size})}"
            )
        if start:
            body["prev_collection_link"] = (
                f"{self.url}?{urlencode({'ws.size': size, 'ws.start': max(0, start - size)})}"
            )
        return 200, {}, body


class PaystackCustomers(VendorServer):
    """Paystack (``GET /customer``; Bearer secret key): ``{"status": true, "message": "Customers
    retrieved", "data": [...], "meta": {"total", "skipped", "perPage", "page", "pageCount"}}``;
    ``perPage`` (default 50) and ``page``. Errors ``{"status": false, "message"}`` with a 4xx.
    https://paystack.com/docs/api/pagination/, https://paystack.com/docs/api/customer/#list"""

    name = "paystack"
    records_path = "data"  # the explicit configuration's
    path = "/customer"
    records = 23
    page_size = 5  # 50 at Paystack
    api_key = "sk_test_0123456789abcdef0123456789abcdef01234567"

    def unauthorized(self):
        return 401, {}, {"status": False, "message": "Invalid key"}

    pagination = documented_pagination("page", size_param="perPage", total_pages_path="meta.pageCount")

    def record(self, number):
        return {
            "id": 1173000 + number,
            "customer_code": f"CUS_{number:010d}",
            "email": f"c{number}@example.com",
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "perPage")
        meta = {"total": self.records, "skipped": start, "perPage": size, "page": number, "pageCount": last}
        return (
            200,
            {},
            {
                "status": True,
                "message": "Customers retrieved",
                "data": self.all_records()[start : start + size],
                "meta": meta,
            },
        )


class AlgoliaBrowse(VendorServer):
    """Algolia Search API, browse (``GET /1/indexes/{index}/browse``; ``X-Algolia-Application-Id`` and
    ``X-Algolia-API-Key``): ``{"hits": [...], "cursor", "nbHits", "page", "nbPages", "hitsPerPage",
    "processingTimeMS", "query", "params"}``; the next request sends ``cursor`` alone (``page`` is
    ignored by browse); no ``cursor`` on the last page. Errors ``{"message", "status"}``.
    https://www.algolia.com/doc/rest-api/search/browse/"""

    name = "algolia-browse"
    records_path = "hits"  # the explicit configuration's
    path = "/1/indexes/products/browse"
    records = 23
    page_size = 5  # 1000 at Algolia
    api_key = "b1a2c3d4e5f60718293a4b5c6d7e8f90"
    application_id = "LATENCY"

    def authorized(self, headers):
        return (
            headers.get("X-Algolia-API-Key") == self.api_key
            and headers.get("X-Algolia-Application-Id") == self.application_id
        )

    def unauthorized(self):
        return 403, {}, {"message": "Invalid Application-ID or API key", "status": 403}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "X-Algolia-API-Key",
            "request_headers": {"X-Algolia-Application-Id": self.application_id},
            "primary_key": "objectID",
        }

    pagination = documented_pagination("cursor", cursor_path="cursor", cursor_param="cursor")

    def record(self, number):
        return {"objectID": f"sku-{number}", "name": f"Product {number}", "price": number}

    def respond(self, path, query, headers):
        start = 0
        if query.get("cursor"):
            start = _position(query["cursor"], "alg")
            if start is None:
                return 400, {}, {"message": "Invalid cursor", "status": 400}
        end = start + self.page_size
        pages = self.expected_pages()
        body = {
            "hits": self.all_records()[start:end],
            "nbHits": self.records,
            "page": start // self.page_size,
            "nbPages": pages,
            "hitsPerPage": self.page_size,
            "processingTimeMS": 1,
            "query": "",
            "params": "",
        }
        if end < self.records:
            body["cursor"] = _token(end, "alg")
        return 200, {}, body


class VimeoVideos(VendorServer):
    """Vimeo API (``GET /me/videos``; Bearer): ``{"total", "page", "per_page", "paging": {"next",
    "previous", "first", "last"}, "data": [...]}``; the links are paths (``/me/videos?page=2``), ``next``
    null on the last page; ``per_page`` (default 25, up to 100). Errors ``{"error", "developer_message",
    "error_code"}``. https://developer.vimeo.com/api/common-formats#using-the-pagination-parameter"""

    name = "vimeo"
    records_path = "data"  # the explicit configuration's
    path = "/me/videos"
    records = 23
    page_size = 5  # 25 at Vimeo
    api_key = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"

    def unauthorized(self):
        return 401, {}, {"error": "You must provide a valid authenticated access token.", "error_code": 8003}

    pagination = documented_pagination("next_url", next_url_path="paging.next", size_param="per_page")

    def record(self, number):
        return {"uri": f"/videos/{76979870 + number}", "name": f"Video {number}", "duration": 60 + number}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")

        def link(page):
            return f"{self.path}?{urlencode({'page': page, 'per_page': size})}"

        paging = {
            "next": link(number + 1) if number < last else None,
            "previous": link(number - 1) if number > 1 else None,
            "first": link(1),
            "last": link(last),
        }
        body = {
            "total": self.records,
            "page": number,
            "per_page": size,
            "paging": paging,
            "data": self.all_records()[start : start + size],
        }
        return 200, {}, body


# NocoDB answers every base without a limit (its own test); ArcGIS, Socrata, CircleCI and Razorpay
# cannot be followed on auto (their tests say how such a run ends)
THIRTEENTH_VENDORS_ON_AUTO = (
    WorldBank,
    CkanPackageSearch,
    MediaWikiAllPages,
    SoundCloudTracks,
    BlueskyListRecords,
    QualtricsSurveys,
    StoryblokStories,
    GhostContentPosts,
    KitSubscribers,
    AWeberSubscribers,
    PaystackCustomers,
    AlgoliaBrowse,
    VimeoVideos,
)
THIRTEENTH_VENDORS = (
    WorldBank,
    ArcGISFeatureQuery,
    SocrataSoda,
    CkanPackageSearch,
    MediaWikiAllPages,
    SoundCloudTracks,
    BlueskyListRecords,
    QualtricsSurveys,
    StoryblokStories,
    CircleCIPipelines,
    GhostContentPosts,
    NocoDBBases,
    RazorpayPayments,
    KitSubscribers,
    AWeberSubscribers,
    PaystackCustomers,
    AlgoliaBrowse,
    VimeoVideos,
)


# -- Round 14: CRM, analytics, ads, commerce, content and marketing APIs -----------------------------
# OData with a page size asked for in a Prefer header (Dataverse), offsets in a POSTed body with a row
# count (Google Analytics Data), a page token in a POSTed body at a fixed page size (Google Ads), a next
# path with its query (Shortcut), next_page URLs beside page counts (Prismic), a list that says nothing
# of its length unless asked (Directus), totals named count beside results (Etsy), named lists with
# total/next/offset (eBay), paging objects (Mercado Pago), page numbers in a POSTed body (Apollo.io),
# totals as strings beside a second list (ActiveCampaign), a count beside a named list (Brevo), meta
# page counts (Drip), offsets in a POSTed body without any total (Attio), a whole list at once
# (Greenhouse Job Board), next_uri paths (Coinbase), numFound/docs (Open Library) and cursors under
# dotted parameter names (Segment).


class DataverseAccounts(VendorServer):
    """Microsoft Dataverse Web API (``GET /api/data/v9.2/accounts``; OAuth 2 Bearer): ``{"@odata.context",
    "value": [...], "@odata.nextLink"}`` (``"@odata.count"`` too with ``$count=true``); the page size is
    asked for in the ``Prefer: odata.maxpagesize=N`` request header (5000 by default), the next link
    carries a ``$skiptoken`` and is absent on the last page. Errors ``{"error": {"code", "message"}}``;
    its service protection limits answer HTTP 429 with ``Retry-After`` (seconds) and the code
    ``0x80072322``. https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results,
    https://learn.microsoft.com/power-apps/developer/data-platform/api-limits"""

    name = "dataverse"
    records_path = "value"  # the explicit configuration's
    path = "/api/data/v9.2/accounts"
    records = 23
    page_size = 5  # 5000 at Dataverse
    api_key = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.dataverse"

    def unauthorized(self):
        return (
            401,
            {},
            {"error": {"code": "0x80072560", "message": "The user is not a member of the organization."}},
        )

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "primary_key": "accountid",
            "query_params": {"$select": "name,accountid", "$count": "true"},
        }

    pagination = documented_pagination("next_url", next_url_path="@odata\\.nextLink")

    def record(self, number):
        return {
            "@odata.etag": f'W/"{1000 + number}"',
            "accountid": f"7d577253-3ef0-4a0a-bb7f-{number:012d}",
            "name": f"Account {number}",
        }

    def respond(self, path, query, headers):
        size = self.page_size
        match = re.search(r"odata\.maxpagesize=(\d+)", headers.get("Prefer") or "")
        if match:
            size = min(int(match.group(1)), 5000)
        start = 0
        if "$skiptoken" in query:
            start = _position(query["$skiptoken"], "dv")
            if start is None:
                return 400, {}, {"error": {"code": "0x80060888", "message": "Invalid $skiptoken."}}
        if self.refused_once(start, size):
            message = "Number of requests exceeded the limit of 6000 over time window of 300 seconds."
            return 429, {"Retry-After": "1"}, {"error": {"code": "0x80072322", "message": message}}
        end = start + size
        body = {
            "@odata.context": f"{self.base}/api/data/v9.2/$metadata#accounts(name,accountid)",
            "value": self.all_records()[start:end],
        }
        if query.get("$count") == "true":
            body["@odata.count"] = self.records
        if end < self.records:
            link = {"$select": query.get("$select", ""), "$skiptoken": _token(end, "dv")}
            body["@odata.nextLink"] = f"{self.url}?{urlencode(link)}"
        answer_headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if match else {}
        return 200, answer_headers, body


class GoogleAnalyticsRunReport(VendorServer):
    """Google Analytics Data API v1beta, ``runReport`` (``POST /v1beta/properties/{id}:runReport``;
    OAuth 2 Bearer): ``{"dimensionHeaders", "metricHeaders", "rows": [{"dimensionValues": [{"value"}],
    "metricValues": [{"value"}]}], "rowCount", "metadata", "kind": "analyticsData#runReport"}``; ``offset``
    and ``limit`` in the POSTed body (10,000 rows by default, 250,000 at most); ``rowCount`` counts every
    row of the report; an answer past the last row has no ``rows`` key, and a report without rows no
    ``rowCount`` either. Errors ``{"error": {"code", "message", "status"}}``. https://developers.google.com/analytics/devguides/reporting/data/v1/basics
    (Pagination), .../rest/v1beta/properties/runReport"""

    name = "google-analytics-data"
    records_path = "rows"  # the explicit configuration's
    path = "/v1beta/properties/123456789:runReport"
    records = 23
    page_size = 5  # 10000 at Google
    api_key = "ya29.a0AfH6SMBanalytics"
    body = {
        "dateRanges": [{"startDate": "2026-01-01", "endDate": "2026-01-31"}],
        "dimensions": [{"name": "pagePath"}],
        "metrics": [{"name": "screenPageViews"}],
        "orderBys": [{"dimension": {"dimensionName": "pagePath"}}],
    }

    def unauthorized(self):
        error = {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
        return 401, {}, {"error": error}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": dict(self.body),
            "primary_key": "dimensionValues.0.value",
        }

    pagination = documented_pagination("offset", total_path="rowCount")

    def record(self, number):
        return {
            "dimensionValues": [{"value": f"/page-{number:02d}"}],
            "metricValues": [{"value": str(100 + number)}],
        }

    def respond(self, path, query, headers):
        return 404, {}, {"error": {"code": 404, "message": "Method not found.", "status": "NOT_FOUND"}}

    def respond_post(self, path, body, headers):
        try:
            start, size = int(body.get("offset") or 0), int(body.get("limit") or self.page_size)
        except (TypeError, ValueError):
            error = {"code": 400, "message": "Invalid value at 'limit'", "status": "INVALID_ARGUMENT"}
            return 400, {}, {"error": error}
        answer = {
            "dimensionHeaders": [{"name": "pagePath"}],
            "metricHeaders": [{"name": "screenPageViews", "type": "TYPE_INTEGER"}],
            "metadata": {"currencyCode": "USD", "timeZone": "Europe/Berlin"},
            "kind": "analyticsData#runReport",
        }
        # proto3's JSON mapping writes no empty list and no zero: a report without rows has neither
        rows = self.all_records()[start : start + self.serves(min(size, 250000), body.get("limit"))]
        if rows:
            answer["rows"] = rows
        if self.records:
            answer["rowCount"] = self.records
        return 200, {}, answer


class GoogleAdsSearch(VendorServer):
    """Google Ads API ``GoogleAdsService.Search`` (``POST /v19/customers/{id}/googleAds:search``; OAuth 2
    Bearer and a ``developer-token`` header): ``{"results": [...], "nextPageToken", "fieldMask",
    "queryResourceConsumption"}``; the POSTed ``{"query"}`` and ``pageToken``; a fixed page of 10,000 rows
    (a ``pageSize`` is refused since v17: HTTP 400 ``PAGE_SIZE_NOT_SUPPORTED``); no ``nextPageToken`` on
    the last page. https://developers.google.com/google-ads/api/docs/reporting/paging"""

    name = "google-ads"
    records_path = "results"  # the explicit configuration's
    path = "/v19/customers/1234567890/googleAds:search"
    records = 23
    page_size = 5  # 10000 at Google
    api_key = "ya29.a0AfH6SMBads"
    developer_token = "dev-token-0123456789"

    def authorized(self, headers):
        return super().authorized(headers) and headers.get("developer-token") == self.developer_token

    def unauthorized(self):
        error = {
            "code": 401,
            "message": "Request is missing required authentication credential.",
            "status": "UNAUTHENTICATED",
        }
        return 401, {}, {"error": error}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_headers": {"developer-token": self.developer_token},
            "request_method": "POST",
            "request_body": {"query": "SELECT campaign.id, campaign.name FROM campaign ORDER BY campaign.id"},
            "primary_key": "campaign.id",
        }

    pagination = documented_pagination("cursor", cursor_path="nextPageToken", cursor_param="pageToken")

    def record(self, number):
        return {
            "campaign": {
                "resourceName": f"customers/1234567890/campaigns/{9000 + number}",
                "id": str(9000 + number),
                "name": f"Campaign {number}",
            }
        }

    def respond(self, path, query, headers):
        return 404, {}, {"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}

    def respond_post(self, path, body, headers):
        if "pageSize" in body:
            failure = {
                "errorCode": {"requestError": "PAGE_SIZE_NOT_SUPPORTED"},
                "message": "Page size is not supported.",
            }
            error = {
                "code": 400,
                "message": "Request contains an invalid argument.",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.ads.googleads.v19.errors.GoogleAdsFailure",
                        "errors": [failure],
                    }
                ],
            }
            return 400, {}, {"error": error}
        start = 0
        if body.get("pageToken"):
            start = _position(body["pageToken"], "ads")
            if start is None:
                return (
                    400,
                    {},
                    {
                        "error": {
                            "code": 400,
                            "message": "Page token is invalid.",
                            "status": "INVALID_ARGUMENT",
                        }
                    },
                )
        end = start + self.page_size
        answer = {"results": self.all_records()[start:end], "fieldMask": "campaign.id,campaign.name"}
        if end < self.records:
            answer["nextPageToken"] = _token(end, "ads")
        return 200, {}, answer


class ShortcutStorySearch(HeaderKeyVendor):
    """Shortcut API v3 search (``GET /api/v3/search/stories?query=...``; ``Shortcut-Token`` header):
    ``{"data": [...], "next": "/api/v3/search/stories?query=...&page_size=25&next=<token>", "total"}``;
    ``page_size`` (25 by default and at most); ``next`` is a path with its query, null on the last page.
    https://developer.shortcut.com/api/rest/v3#Search-Stories"""

    name = "shortcut"
    records_path = "data"  # the explicit configuration's
    path = "/api/v3/search/stories"
    auth_header = "Shortcut-Token"
    records = 23
    page_size = 5  # 25 at Shortcut
    max_page_size = 25
    api_key = "4b6fcd2a-0f0b-4f1a-9a29-shortcut"

    def unauthorized(self):
        return 401, {}, {"message": "Unauthorized"}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"query": "type:feature"}}

    pagination = documented_pagination("next_url", next_url_path="next", size_param="page_size")

    def record(self, number):
        return {
            "id": 1000 + number,
            "entity_type": "story",
            "name": f"Story {number}",
            "story_type": "feature",
        }

    def respond(self, path, query, headers):
        if not query.get("query"):
            return 400, {}, {"message": "query is required"}
        size = self.size(query, "page_size")
        start = 0
        if query.get("next"):
            start = _position(query["next"], "sc")
            if start is None:
                return 400, {}, {"message": "Invalid next token"}
        end = start + size
        next_path = None
        if end < self.records:
            following = {"query": query["query"], "page_size": size, "next": _token(end, "sc")}
            next_path = f"{self.path}?{urlencode(following)}"
        return 200, {}, {"data": self.all_records()[start:end], "next": next_path, "total": self.records}


class PrismicDocuments(PublicVendor):
    """Prismic Document API v2 (``GET /api/v2/documents/search?ref=<master ref>``; public repository):
    ``{"page", "results_per_page", "results_size", "total_results_size", "total_pages", "next_page",
    "prev_page", "results": [...], "version", "license"}``; ``page`` and ``pageSize`` (20 by default, 100
    at most); ``next_page`` a full URL, null on the last page. Without ``ref`` it answers HTTP 400.
    https://prismic.io/docs/rest-api-technical-reference"""

    name = "prismic"
    records_path = "results"  # the explicit configuration's
    path = "/api/v2/documents/search"
    records = 23
    page_size = 5  # 20 at Prismic
    ref = "ZHq1YhEAACMAzm2v"

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"ref": self.ref}}

    pagination = documented_pagination("page", size_param="pageSize", total_pages_path="total_pages")

    def record(self, number):
        return {"id": f"ZHq1{number:04d}", "uid": f"post-{number}", "type": "blog_post", "lang": "en-us"}

    def respond(self, path, query, headers):
        if query.get("ref") != self.ref:
            return (
                400,
                {},
                {
                    "type": "api_notfound_error",
                    "message": "Ref not found. Ensure you have the correct ref and try again.",
                },
            )
        number, size, start, last = self.numbered_page(query, "pageSize")

        def link(page):
            return f"{self.url}?{urlencode({'ref': self.ref, 'page': page, 'pageSize': size})}"

        page = self.all_records()[start : start + size]
        return (
            200,
            {},
            {
                "page": number,
                "results_per_page": size,
                "results_size": len(page),
                "total_results_size": self.records,
                "total_pages": last,
                "next_page": link(number + 1) if number < last else None,
                "prev_page": link(number - 1) if number > 1 else None,
                "results": page,
                "version": "a1b2c3d",
                "license": "All Rights Reserved",
            },
        )


class DirectusItems(VendorServer):
    """Directus items (``GET /items/{collection}``; static token as Bearer): ``{"data": [...]}`` alone, and
    ``{"data", "meta": {"filter_count"}}`` (``total_count`` too) when ``meta=filter_count`` (or
    ``meta=*``) is asked for; ``limit`` (100 by default, ``-1`` for all), ``offset`` or ``page``. Errors
    ``{"errors": [{"message", "extensions": {"code"}}]}``.
    https://directus.io/docs/reference/query (limit, offset, page, meta)"""

    name = "directus"
    records_path = "data"  # the explicit configuration's
    path = "/items/articles"
    records = 23
    page_size = 100  # Directus' default, as documented
    max_page_size = 1000

    def unauthorized(self):
        error = {"message": "Invalid user credentials.", "extensions": {"code": "INVALID_CREDENTIALS"}}
        return 401, {}, {"errors": [error]}

    pagination = documented_pagination("offset", total_path="meta.filter_count")

    def explicit_fields(self):
        return {**self.connector_fields(), "query_params": {"meta": "filter_count"}}

    def record(self, number):
        return {"id": number, "title": f"Article {number}", "status": "published"}

    def respond(self, path, query, headers):
        if query.get("limit") == "-1":
            size = self.records
        else:
            size = self.size(query, "limit")
        start = int(query.get("offset") or 0)
        if str(query.get("page", "")).isdigit():
            start = (int(query["page"]) - 1) * size
        body = {"data": self.all_records()[start : start + size]}
        metas = set((query.get("meta") or "").split(","))
        if metas & {"filter_count", "*"}:
            body["meta"] = {"filter_count": self.records}
        if metas & {"total_count", "*"}:
            body.setdefault("meta", {})["total_count"] = self.records
        return 200, {}, body


class EtsyShopListings(HeaderKeyVendor):
    """Etsy Open API v3 (``GET /v3/application/shops/{shop_id}/listings/active``; ``x-api-key`` header):
    ``{"count": <every listing>, "results": [...]}``; ``limit`` (25 by default, 100 at most) and
    ``offset``; no next link. Errors ``{"error": "..."}`` with a 4xx.
    https://developers.etsy.com/documentation/reference#operation/findActiveListingsByShop"""

    name = "etsy"
    records_path = "results"  # the explicit configuration's
    path = "/v3/application/shops/5550123/listings/active"
    auth_header = "x-api-key"
    records = 53
    page_size = 25  # Etsy's default
    api_key = "1aa2bb33cc44dd55ee66ff77"

    def unauthorized(self):
        return 403, {}, {"error": "Invalid API key: should be in the format 'keystring:shared_secret'."}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "listing_id"}

    pagination = documented_pagination("offset", total_path="count")

    def record(self, number):
        return {"listing_id": 1500000000 + number, "title": f"Listing {number}", "state": "active"}

    def respond(self, path, query, headers):
        size, start = self.size(query, "limit"), int(query.get("offset") or 0)
        return 200, {}, {"count": self.records, "results": self.all_records()[start : start + size]}


class EbayFulfillmentOrders(VendorServer):
    """eBay Sell Fulfillment API ``getOrders`` (``GET /sell/fulfillment/v1/order``; OAuth 2 Bearer):
    ``{"href", "total", "limit", "offset", "next", "prev", "orders": [...], "warnings"}``; ``limit`` (50 by
    default, 200 at most) and ``offset``; ``next`` a full URL, absent on the last page. Errors
    ``{"errors": [{"errorId", "domain", "category", "message"}]}``.
    https://developer.ebay.com/api-docs/sell/fulfillment/resources/order/methods/getOrders"""

    name = "ebay"
    records_path = "orders"  # the explicit configuration's
    path = "/sell/fulfillment/v1/order"
    records = 23
    page_size = 5  # 50 at eBay
    api_key = "v^1.1#i^1#p^3#ebay-user-token"

    def unauthorized(self):
        error = {"errorId": 1001, "domain": "OAuth", "category": "REQUEST", "message": "Invalid access token"}
        return 401, {}, {"errors": [error]}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "orderId"}

    pagination = documented_pagination("next_url", next_url_path="next", size_param="limit")

    def record(self, number):
        return {
            "orderId": f"04-0{number:04d}-55555",
            "orderFulfillmentStatus": "FULFILLED",
            "buyer": {"username": f"b{number}"},
        }

    def respond(self, path, query, headers):
        size, start = self.size(query, "limit"), int(query.get("offset") or 0)

        def link(offset):
            return f"{self.url}?{urlencode({'limit': size, 'offset': offset})}"

        body = {
            "href": link(start),
            "total": self.records,
            "limit": size,
            "offset": start,
            "orders": self.all_records()[start : start + size],
            "warnings": [],
        }
        if start + size < self.records:
            body["next"] = link(start + size)
        if start:
            body["prev"] = link(max(0, start - size))
        return 200, {}, body


class MercadoPagoPaymentsSearch(VendorServer):
    """Mercado Pago ``GET /v1/payments/search`` (Bearer access token): ``{"paging": {"total", "limit",
    "offset"}, "results": [...]}``; ``limit`` (30 by default) and ``offset``; ``sort`` and ``criteria`` for a
    stable order. Errors ``{"message", "error", "status", "cause": [...]}``.
    https://www.mercadopago.com/developers/en/reference/payments/_payments_search/get"""

    name = "mercado-pago"
    records_path = "results"  # the explicit configuration's
    path = "/v1/payments/search"
    records = 23
    page_size = 5  # 30 at Mercado Pago
    api_key = "APP_USR-1234567890123456-010203-abcdef"

    def unauthorized(self):
        return (
            401,
            {},
            {"message": "invalid access token", "error": "unauthorized", "status": 401, "cause": []},
        )

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"sort": "date_created", "criteria": "asc"}}

    pagination = documented_pagination("offset", total_path="paging.total")

    def record(self, number):
        return {"id": 20359978 + number, "status": "approved", "transaction_amount": 10.0 + number}

    def respond(self, path, query, headers):
        size, start = self.size(query, "limit"), int(query.get("offset") or 0)
        paging = {"total": self.records, "limit": size, "offset": start}
        return 200, {}, {"paging": paging, "results": self.all_records()[start : start + size]}


class ApolloPeopleSearch(HeaderKeyVendor):
    """Apollo.io People Search (``POST /api/v1/mixed_people/search``; ``x-api-key`` header): ``{"breadcrumbs",
    "partial_results_only", "disable_eu_prospecting", "partial_results_limit", "pagination": {"page",
    "per_page", "total_entries", "total_pages"}, "contacts": [...], "people": [...]}``; ``page`` and
    ``per_page`` (10 by default, 100 at most) in the POSTed body; at most 500 pages. The people are under
    ``people``; ``contacts`` (people already in the user's CRM) is usually empty.
    https://docs.apollo.io/reference/people-api-search"""

    name = "apollo"
    records_path = "people"  # the explicit configuration's
    path = "/api/v1/mixed_people/search"
    records = 23
    page_size = 5  # 10 at Apollo.io
    api_key = "apollo-master-key-0123"

    def unauthorized(self):
        return 401, {}, {"error": "Invalid access credentials.", "error_code": "INVALID_API_KEY"}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"person_titles": ["engineer"]},
        }

    pagination = documented_pagination(
        "page", size_param="per_page", total_pages_path="pagination.total_pages"
    )

    def record(self, number):
        return {
            "id": f"5f2a{number:020d}",
            "first_name": "Ada",
            "last_name": f"Person {number}",
            "title": "Engineer",
        }

    def respond(self, path, query, headers):
        return 404, {}, {"error": "Not found"}

    def respond_post(self, path, body, headers):
        number = int(body.get("page") or 1)
        size = self.serves(min(int(body.get("per_page") or self.page_size), 100), body.get("per_page"))
        start, last = (number - 1) * size, max(1, -(-self.records // size))
        pagination = {"page": number, "per_page": size, "total_entries": self.records, "total_pages": last}
        return (
            200,
            {},
            {
                "breadcrumbs": [
                    {"label": "Titles", "signal_field_name": "person_titles", "value": "engineer"}
                ],
                "partial_results_only": False,
                "disable_eu_prospecting": False,
                "partial_results_limit": 10000,
                "pagination": pagination,
                "contacts": [],
                "people": self.all_records()[start : start + size],
                "model_ids": [],
                "num_fetch_result": None,
            },
        )


class ActiveCampaignContacts(HeaderKeyVendor):
    """ActiveCampaign API v3 (``GET /api/3/contacts``; ``Api-Token`` header): ``{"scoreValues": [],
    "contacts": [...], "meta": {"total": "23", "page_input": {"limit", "offset", ...}}}`` (``total`` a
    string); ``limit`` (20 by default, 100 at most) and ``offset``. Rate limit 5 requests a second, HTTP
    429. https://developers.activecampaign.com/reference/pagination,
    https://developers.activecampaign.com/reference/list-all-contacts"""

    name = "activecampaign"
    records_path = "contacts"  # the explicit configuration's
    path = "/api/3/contacts"
    auth_header = "Api-Token"
    records = 23
    page_size = 5  # 20 at ActiveCampaign
    api_key = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d"

    def unauthorized(self):
        return 403, {}, {"message": "No Result found for Subscriber with id 0"}

    pagination = documented_pagination("offset", total_path="meta.total")

    def record(self, number):
        return {"id": str(number), "email": f"c{number}@example.com", "cdate": "2026-01-02T03:04:05-06:00"}

    def respond(self, path, query, headers):
        size, start = self.size(query, "limit"), int(query.get("offset") or 0)
        page_input = {
            "segmentid": None,
            "formid": 0,
            "listid": 0,
            "tagid": 0,
            "limit": size,
            "offset": start,
            "search": None,
            "sort": None,
            "seriesid": 0,
            "waitid": 0,
            "status": -1,
            "forceQuery": 0,
            "cacheid": "c0ffee",
        }
        return (
            200,
            {},
            {
                "scoreValues": [],
                "contacts": self.all_records()[start : start + size],
                "meta": {"total": str(self.records), "page_input": page_input},
            },
        )


class BrevoContacts(HeaderKeyVendor):
    """Brevo API v3 (``GET /v3/contacts``; ``api-key`` header): ``{"contacts": [...], "count": <every
    contact>}``; ``limit`` (50 by default, 1000 at most) and ``offset``. Errors ``{"code", "message"}``
    (``"code": "unauthorized"``). https://developers.brevo.com/reference/get-contacts"""

    name = "brevo"
    records_path = "contacts"  # the explicit configuration's
    path = "/v3/contacts"
    auth_header = "api-key"
    records = 23
    page_size = 5  # 50 at Brevo
    api_key = "xkeysib-0123456789abcdef-brevo"

    def unauthorized(self):
        return 401, {}, {"code": "unauthorized", "message": "Key not found"}

    pagination = documented_pagination("offset", total_path="count")

    def record(self, number):
        return {"id": number, "email": f"c{number}@example.com", "emailBlacklisted": False, "listIds": [2]}

    def respond(self, path, query, headers):
        size, start = self.size(query, "limit"), int(query.get("offset") or 0)
        return 200, {}, {"contacts": self.all_records()[start : start + size], "count": self.records}


class DripSubscribers(KeyAsUserVendor):
    """Drip REST API v2 (``GET /v2/{account_id}/subscribers``; the API token as the Basic user, no
    password): ``{"links": {...}, "meta": {"page", "sort", "direction", "count", "total_pages",
    "total_count", "status"}, "subscribers": [...]}``; ``page`` and ``per_page`` (100 by default, 1000 at
    most). Errors ``{"errors": [{"code", "message"}]}``. https://developer.drip.com/#pagination,
    https://developer.drip.com/#list-all-subscribers"""

    name = "drip"
    records_path = "subscribers"  # the explicit configuration's
    path = "/v2/9999999/subscribers"
    records = 23
    page_size = 5  # 100 at Drip
    api_key = "drip-api-token-0123456789"

    def unauthorized(self):
        return 401, {}, {"errors": [{"code": "authentication_error", "message": "You must be authenticated"}]}

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    pagination = documented_pagination("page", size_param="per_page", total_pages_path="meta.total_pages")

    def record(self, number):
        return {
            "id": f"z1togz2hcjrkpp5treip{number:04d}",
            "email": f"s{number}@example.com",
            "status": "active",
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")
        page = self.all_records()[start : start + size]
        meta = {
            "page": number,
            "sort": "created_at",
            "direction": "asc",
            "count": len(page),
            "total_pages": last,
            "total_count": self.records,
            "status": "active",
        }
        return (
            200,
            {},
            {
                "links": {"subscribers.account": "https://api.getdrip.com/v2/accounts/{subscribers.account}"},
                "meta": meta,
                "subscribers": page,
            },
        )


class AttioRecordsQuery(VendorServer):
    """Attio REST API v2, list records (``POST /v2/objects/{object}/records/query``; Bearer):
    ``{"data": [...]}`` alone, no total nor next; ``limit`` (500 by default) and ``offset`` in the
    POSTed body; a record's ``id`` is an object ``{"workspace_id", "object_id", "record_id"}``. Errors
    ``{"status_code", "type", "code", "message"}``. https://docs.attio.com/rest-api/endpoint-reference/records/list-records"""

    name = "attio"
    records_path = "data"  # the explicit configuration's
    path = "/v2/objects/people/records/query"
    records = 23
    page_size = 500  # Attio's default, as documented
    api_key = "attio-access-token-0123"

    def unauthorized(self):
        return (
            401,
            {},
            {
                "status_code": 401,
                "type": "auth_error",
                "code": "unauthorized",
                "message": "Invalid access token.",
            },
        )

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"sorts": [{"attribute": "created_at", "direction": "asc"}]},
            "primary_key": "id.record_id",
        }

    pagination = documented_pagination("offset")

    def record(self, number):
        ids = {
            "workspace_id": "14beef7a-99f7-4534-a87e-70b564330a4c",
            "object_id": "97052eb9-e65e-443f-a297-f2d9a4a7f795",
            "record_id": f"bf071e1f-6035-429d-b874-{number:012d}",
        }
        return {
            "id": ids,
            "created_at": "2026-01-02T03:04:05.000000000Z",
            "values": {"name": [{"full_name": f"Person {number}"}]},
        }

    def respond(self, path, query, headers):
        return (
            405,
            {},
            {
                "status_code": 405,
                "type": "invalid_request_error",
                "code": "method_not_allowed",
                "message": "Use POST.",
            },
        )

    def respond_post(self, path, body, headers):
        start = int(body.get("offset") or 0)
        size = self.serves(int(body.get("limit") or self.page_size), body.get("limit"))
        return 200, {}, {"data": self.all_records()[start : start + size]}


class GreenhouseJobBoard(PublicVendor):
    """Greenhouse Job Board API (``GET /v1/boards/{board_token}/jobs``; public): ``{"jobs": [...], "meta":
    {"total": <every job>}}``: the whole board at once, no pagination parameters.
    https://developers.greenhouse.io/job-board.html#list-jobs"""

    name = "greenhouse-job-board"
    records_path = "jobs"  # the explicit configuration's
    path = "/v1/boards/acme/jobs"
    records = 23
    page_size = 100  # no page: the whole board at once

    pagination = documented_pagination("none")

    def record(self, number):
        return {
            "id": 4000000 + number,
            "title": f"Job {number}",
            "location": {"name": "Remote"},
            "updated_at": "2026-01-02T03:04:05-05:00",
        }

    def respond(self, path, query, headers):
        if path != self.path:
            return 404, {}, {"status": 404, "error": "Job board not found"}
        return 200, {}, {"jobs": self.all_records(), "meta": {"total": self.records}}


class CoinbaseAccounts(VendorServer):
    """Coinbase App API v2 (``GET /v2/accounts``; OAuth 2 Bearer): ``{"pagination": {"ending_before",
    "starting_after", "previous_ending_before", "next_starting_after", "limit", "order", "previous_uri",
    "next_uri"}, "data": [...]}``; ``limit`` (25 by default, 100 at most), ``starting_after``; ``next_uri`` a
    path with its query, null on the last page. Errors ``{"errors": [{"id", "message"}]}``.
    https://docs.cdp.coinbase.com/coinbase-app/api-reference/... (Pagination)"""

    name = "coinbase"
    records_path = "data"  # the explicit configuration's
    path = "/v2/accounts"
    records = 23
    page_size = 5  # 25 at Coinbase
    api_key = "coinbase-oauth-access-token"

    def unauthorized(self):
        return 401, {}, {"errors": [{"id": "authentication_error", "message": "invalid signature"}]}

    pagination = documented_pagination("next_url", next_url_path="pagination.next_uri", size_param="limit")

    def record(self, number):
        return {
            "id": f"58542935-67b5-56e1-a3f9-{number:012d}",
            "name": f"Wallet {number}",
            "currency": "BTC",
            "type": "wallet",
        }

    def respond(self, path, query, headers):
        records, size = self.all_records(), self.size(query, "limit")
        start = 0
        if query.get("starting_after"):
            ids = [record["id"] for record in records]
            if query["starting_after"] not in ids:
                return (
                    400,
                    {},
                    {"errors": [{"id": "invalid_request", "message": "starting_after is invalid"}]},
                )
            start = ids.index(query["starting_after"]) + 1
        page = records[start : start + size]
        more = start + size < self.records
        pagination = {
            "ending_before": None,
            "starting_after": query.get("starting_after"),
            "previous_ending_before": page[0]["id"] if start and page else None,
            "next_starting_after": page[-1]["id"] if more else None,
            "limit": size,
            "order": "desc",
            "previous_uri": None,
            # "/v2/accounts?&limit=25&starting_after=...", as documented
            "next_uri": f"{self.path}?&{urlencode({'limit': size, 'starting_after': page[-1]['id']})}"
            if more
            else None,
        }
        return 200, {}, {"pagination": pagination, "data": page}


class OpenLibrarySearch(PublicVendor):
    """Open Library Search API (``GET /search.json?q=...``; public): ``{"numFound", "start",
    "numFoundExact", "num_found", "q", "offset", "docs": [...]}``; ``page`` and ``limit`` (100 by default;
    ``offset`` too). https://openlibrary.org/dev/docs/api/search"""

    name = "open-library"
    records_path = "docs"  # the explicit configuration's
    path = "/search.json"
    records = 23
    page_size = 5  # 100 at Open Library

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"q": "lovelace", "sort": "new"},
            "primary_key": "key",
        }

    pagination = documented_pagination("page", size_param="limit", total_path="numFound")

    def record(self, number):
        return {
            "key": f"/works/OL{45000 + number}W",
            "title": f"Book {number}",
            "first_publish_year": 1900 + number,
        }

    def respond(self, path, query, headers):
        if not query.get("q"):
            return 422, {}, {"error": "query is required"}
        size = self.size(query, "limit")
        if str(query.get("page", "")).isdigit():
            start = (int(query["page"]) - 1) * size
        else:
            start = int(query.get("offset") or 0)
        return (
            200,
            {},
            {
                "numFound": self.records,
                "start": start,
                "numFoundExact": True,
                "num_found": self.records,
                "q": query["q"],
                "offset": query.get("offset"),
                "docs": self.all_records()[start : start + size],
            },
        )


class SegmentSources(VendorServer):
    """Segment Public API (``GET /sources``; Bearer token): ``{"data": {"sources": [...], "pagination":
    {"current", "next", "totalEntries"}}}``; the query parameters ``pagination.count`` (page size, up to
    200) and ``pagination.cursor``; ``next`` is null on the last page. Errors ``{"errors": [{"type",
    "message"}]}``. https://docs.segmentapis.com/tag/Pagination"""

    name = "segment"
    records_path = "data.sources"  # the explicit configuration's
    path = "/sources"
    records = 23
    page_size = 5
    max_page_size = 200
    api_key = "sgp_0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"errors": [{"type": "unauthorized", "message": "Unauthorized"}]}

    pagination = documented_pagination(
        "cursor",
        cursor_path="data.pagination.next",
        cursor_param="pagination.cursor",
        size_param="pagination.count",
    )

    def record(self, number):
        return {"id": f"qQEHquLrjRDN9j1ByrChy{number:02d}", "slug": f"source-{number}", "enabled": True}

    def respond(self, path, query, headers):
        size = self.size(query, "pagination.count")
        start = 0
        if query.get("pagination.cursor"):
            start = _position(query["pagination.cursor"], "seg")
            if start is None:
                return 400, {}, {"errors": [{"type": "bad-request", "message": "Invalid pagination cursor"}]}
        end = start + size
        pagination = {
            "current": _token(start, "seg"),
            "next": _token(end, "seg") if end < self.records else None,
            "totalEntries": self.records,
        }
        return 200, {}, {"data": {"sources": self.all_records()[start:end], "pagination": pagination}}


class BinanceAggTrades(PublicVendor):
    """Binance Spot API, compressed/aggregate trades (``GET /api/v3/aggTrades?symbol=BNBBTC``; public
    market data): a bare array of ``{"a", "p", "q", "f", "l", "T", "m", "M"}``, oldest first, no
    total nor cursor; ``limit`` (500 by default, 1000 at most) and ``fromId``, the aggregate trade id to
    start from, inclusive; without ``fromId`` (nor ``startTime`` / ``endTime``) the most recent trades.
    Errors ``{"code": -1121, "msg": "Invalid symbol."}`` with HTTP 400.
    https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints"""

    name = "binance"
    path = "/api/v3/aggTrades"
    records = 1001
    page_size = 500  # Binance's default, as documented
    max_page_size = 1000

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"symbol": "BNBBTC"}, "primary_key": "a"}

    pagination = documented_pagination(
        "cursor", cursor_from="last_record", cursor_field="a", cursor_param="fromId", size_param="limit"
    )

    def record(self, number):
        return {
            "a": 26128 + number,
            "p": "0.01633102",
            "q": "4.70443515",
            "f": 27780 + number,
            "l": 27780 + number,
            "T": 1498793709153 + number,
            "m": number % 2 == 0,
            "M": True,
        }

    def respond(self, path, query, headers):
        if query.get("symbol") != "BNBBTC":
            return 400, {}, {"code": -1121, "msg": "Invalid symbol."}
        size = self.size(query, "limit")
        start = max(0, self.records - size)  # the most recent trades
        if str(query.get("fromId", "")).isdigit():
            start = max(0, int(query["fromId"]) - 26129)  # inclusive
        return 200, {}, self.all_records()[start : start + size]


class WorkdayRaaS(BasicAuthVendor):
    """Workday Report-as-a-Service (``GET /ccx/service/customreport2/{tenant}/{owner}/{report}
    ?format=json``; Basic auth of an integration user): ``{"Report_Entry": [...]}``, the whole report at
    once, no pagination (a report's own prompts filter it).
    https://doc.workday.com (Reports as a Service); not confirmed beyond community descriptions"""

    name = "workday-raas"
    records_path = "Report_Entry"  # the explicit configuration's
    path = "/ccx/service/customreport2/acme/ISU_Reports/Worker_Export"
    user = "ISU_Reports"
    records = 23
    page_size = 100  # no page: the whole report at once

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"format": "json"},
            "primary_key": "Employee_ID",
        }

    pagination = documented_pagination("none")

    def record(self, number):
        return {"Employee_ID": f"2{number:05d}", "Worker": f"Worker {number}", "Hire_Date": "2020-01-01"}

    def respond(self, path, query, headers):
        if query.get("format") != "json":
            return 200, {"Content-Type": "application/xml"}, b'<?xml version="1.0"?><wd:Report_Data/>'
        return 200, {}, {"Report_Entry": self.all_records()}


# Apollo.io's answer holds breadcrumbs and contacts beside its people: on auto the run fails naming
# them (its test); Binance's trades have tests of their own; every other one of this round is followed
# on auto
FOURTEENTH_VENDORS_ON_AUTO = (
    DataverseAccounts,
    GoogleAnalyticsRunReport,
    GoogleAdsSearch,
    ShortcutStorySearch,
    PrismicDocuments,
    DirectusItems,
    EtsyShopListings,
    EbayFulfillmentOrders,
    MercadoPagoPaymentsSearch,
    ActiveCampaignContacts,
    BrevoContacts,
    DripSubscribers,
    AttioRecordsQuery,
    GreenhouseJobBoard,
    CoinbaseAccounts,
    OpenLibrarySearch,
    SegmentSources,
    WorkdayRaaS,
)
FOURTEENTH_VENDORS = (
    DataverseAccounts,
    GoogleAnalyticsRunReport,
    GoogleAdsSearch,
    ShortcutStorySearch,
    PrismicDocuments,
    DirectusItems,
    EtsyShopListings,
    EbayFulfillmentOrders,
    MercadoPagoPaymentsSearch,
    ApolloPeopleSearch,
    ActiveCampaignContacts,
    BrevoContacts,
    DripSubscribers,
    AttioRecordsQuery,
    GreenhouseJobBoard,
    CoinbaseAccounts,
    OpenLibrarySearch,
    SegmentSources,
    WorkdayRaaS,
)


# -- a fifteenth round: research, music, messaging, no-code and accounting APIs --------------------------


class CrossrefWorks(PublicVendor):
    """Crossref REST API works (``GET /works``; public, ``mailto`` for the polite pool): ``{"status":
    "ok", "message-type": "work-list", "message-version", "message": {"facets", "total-results", "items",
    "items-per-page", "query": {"start-index", "search-terms"}}}``; ``rows`` (20 by default, 1000 at
    most) and ``offset`` (up to 10,000), or ``cursor=*`` for deep paging: then ``message.next-cursor`` is
    in every answer, the last one's too, and the list has ended at a page without items.
    https://api.crossref.org/swagger-ui/index.html,
    https://github.com/CrossRef/rest-api-doc#deep-paging-with-cursors; the envelope's other keys from
    memory."""

    name = "crossref"
    records_path = "message.items"  # the explicit configuration's
    path = "/works"
    records = 23
    page_size = 5  # 20 at Crossref
    max_page_size = 1000

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"filter": "from-pub-date:2024-01-01", "mailto": "ops@example.com"},
            "primary_key": "DOI",
        }

    def explicit_fields(self):
        fields = self.connector_fields()
        fields["query_params"] = {**fields["query_params"], "cursor": "*"}
        return fields

    pagination = documented_pagination(
        "cursor", cursor_path="message.next-cursor", cursor_param="cursor", size_param="rows"
    )

    def record(self, number):
        return {
            "DOI": f"10.5555/{12344 + number}",
            "title": [f"Work {number}"],
            "type": "journal-article",
            "is-referenced-by-count": number,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "rows")
        start = 0
        if "cursor" in query:
            start = 0 if query["cursor"] == "*" else _position(query["cursor"], "crossref")
            if start is None:
                problem = [{"type": "cursor-invalid", "value": query["cursor"], "message": "Invalid cursor"}]
                return 400, {}, {"status": "failed", "message-type": "validation-failure", "message": problem}
        elif str(query.get("offset", "")).isdigit():
            start = int(query["offset"])
        items = self.all_records()[start : start + size]
        message = {
            "facets": {},
            "total-results": self.records,
            "items": items,
            "items-per-page": size,
            "query": {"start-index": start, "search-terms": None},
        }
        if "cursor" in query:
            message["next-cursor"] = _token(start + len(items), "crossref")
        body = {"status": "ok", "message-type": "work-list", "message-version": "1.0.0", "message": message}
        return 200, {}, body


class OpenAlexWorks(PublicVendor):
    """OpenAlex works (``GET /works``; public, ``mailto`` or an API key): ``{"meta": {"count",
    "db_response_time_ms", "page", "per_page", "groups_count"}, "results": [...], "group_by": []}``;
    ``page`` and ``per_page`` (25 by default, 200 at most; the first 10,000 results), or ``cursor=*``:
    ``meta.next_cursor``, null once ``results`` is empty.
    https://developers.openalex.org/guides/page-through-results"""

    name = "openalex"
    records_path = "results"  # the explicit configuration's
    path = "/works"
    records = 23
    page_size = 5  # 25 at OpenAlex
    max_page_size = 200

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"filter": "publication_year:2024", "mailto": "ops@example.com"},
        }

    def explicit_fields(self):
        fields = self.connector_fields()
        fields["query_params"] = {**fields["query_params"], "cursor": "*"}
        return fields

    pagination = documented_pagination(
        "cursor", cursor_path="meta.next_cursor", cursor_param="cursor", size_param="per_page"
    )

    def record(self, number):
        return {
            "id": f"https://openalex.org/W{2741809800 + number}",
            "title": f"Work {number}",
            "cited_by_count": 3,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "per_page")
        meta = {"count": self.records, "db_response_time_ms": 12, "per_page": size, "groups_count": None}
        if "cursor" in query:
            start = 0 if query["cursor"] == "*" else _position(query["cursor"], "openalex")
            if start is None:
                return 400, {}, {"error": "Invalid query parameters error.", "message": "cursor is invalid"}
            results = self.all_records()[start : start + size]
            meta["page"] = None
            meta["next_cursor"] = _token(start + size, "openalex") if results else None
        else:
            number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
            results = self.all_records()[(number - 1) * size : number * size]
            meta["page"] = number
        return 200, {}, {"meta": meta, "results": results, "group_by": []}


class GbifOccurrenceSearch(PublicVendor):
    """GBIF occurrence search (``GET /v1/occurrence/search``; public): ``{"offset", "limit",
    "endOfRecords", "count", "results", "facets"}``; ``offset`` and ``limit`` (20 by default, 300 at
    most; a bigger limit is answered with 300 and echoed as such).
    https://techdocs.gbif.org/en/openapi/v1/occurrence#/Searching%20occurrences"""

    name = "gbif"
    records_path = "results"  # the explicit configuration's
    path = "/v1/occurrence/search"
    records = 23
    page_size = 5  # 20 at GBIF
    max_page_size = 300

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"taxonKey": "2435099"}, "primary_key": "key"}

    pagination = documented_pagination("offset", total_path="count")

    def record(self, number):
        return {"key": 4011000000 + number, "scientificName": "Puma concolor (Linnaeus, 1771)", "year": 2020}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        return (
            200,
            {},
            {
                "offset": offset,
                "limit": size,
                "endOfRecords": offset + size >= self.records,
                "count": self.records,
                "results": self.all_records()[offset : offset + size],
                "facets": [],
            },
        )


class MusicBrainzBrowseReleases(PublicVendor):
    """MusicBrainz Web Service v2, a browse request (``GET /ws/2/release?artist=<MBID>&fmt=json``;
    public, one request a second): ``{"release-count", "release-offset", "releases": [...]}``; ``limit``
    (25 by default, 100 at most) and ``offset``. A page holds no more than 500 tracks, so it may hold
    fewer releases than ``limit``: the next offset moves by the releases served. Past its rate it
    answers HTTP 503. https://musicbrainz.org/doc/MusicBrainz_API (Browse, Paging),
    https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting"""

    name = "musicbrainz"
    records_path = "releases"  # the explicit configuration's
    path = "/ws/2/release"
    records = 23
    page_size = 5  # 25 at MusicBrainz
    track_cap = 60  # 500 at MusicBrainz, scaled to these small releases

    def connector_fields(self):
        artist = "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"
        return {**super().connector_fields(), "query_params": {"artist": artist, "fmt": "json"}}

    pagination = documented_pagination("offset", total_path="release-count")

    def record(self, number):
        return {
            "id": f"0b3b5e6c-0000-4000-8000-{number:012d}",
            "title": f"Release {number}",
            "status": "Official",
            "track-count": 10 * (1 + number % 3),
        }

    def respond(self, path, query, headers):
        if query.get("fmt") != "json":
            return 200, {"Content-Type": "application/xml"}, b'<?xml version="1.0"?><metadata/>'
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(offset, size):
            message = "Your requests are exceeding the allowable rate limit."
            return 503, {"Retry-After": "1"}, {"error": message}
        releases, tracks = [], 0
        for release in self.all_records()[offset : offset + size]:
            if releases and tracks + release["track-count"] > self.track_cap:
                break
            releases.append(release)
            tracks += release["track-count"]
        return 200, {}, {"release-count": self.records, "release-offset": offset, "releases": releases}

    def expected_pages(self, page_size=None):
        offset, pages = 0, 0
        while offset < self.records:
            _, _, body = self.respond(self.path, {"fmt": "json", "offset": str(offset)}, {})
            offset += len(body["releases"])
            pages += 1
        return pages


class DiscogsArtistReleases(QueryKeyVendor):
    """Discogs API v2 artist releases (``GET /artists/{id}/releases``; a personal access token as
    ``token`` in the query or ``Authorization: Discogs token=...``): ``{"pagination": {"page", "pages",
    "per_page", "items", "urls": {"first", "prev", "next", "last"}}, "releases": [...]}``; ``page`` and
    ``per_page`` (50 by default, 100 at most); the last page's ``urls`` has no ``next``. Rate limits
    in ``X-Discogs-Ratelimit``, ``-Used`` and ``-Remaining``.
    https://www.discogs.com/developers (Pagination, Rate Limiting)"""

    name = "discogs"
    records_path = "releases"  # the explicit configuration's
    path = "/artists/108713/releases"
    auth_param = "token"
    records = 23
    page_size = 5  # 50 at Discogs
    api_key = "discogs-personal-access-token"

    pagination = documented_pagination("page", size_param="per_page", total_pages_path="pagination.pages")

    def record(self, number):
        return {"id": 20_000 + number, "title": f"Release {number}", "type": "release", "year": 1990 + number}

    def respond(self, path, query, headers):
        if query.get("token") != self.api_key:
            return 401, {}, {"message": "You must authenticate to access this resource."}
        number, size, start, last = self.numbered_page(query, "per_page")

        def page_url(page):
            return f"{self.url}?{urlencode({'per_page': size, 'page': page})}"  # without the token

        urls = {"first": page_url(1), "last": page_url(last)} if number > 1 else {}
        if number > 1:
            urls["prev"] = page_url(number - 1)
        if number < last:
            urls.update(next=page_url(number + 1), last=page_url(last))
        pagination = {"page": number, "pages": last, "per_page": size, "items": self.records, "urls": urls}
        headers = {
            "X-Discogs-Ratelimit": "60",
            "X-Discogs-Ratelimit-Used": "1",
            "X-Discogs-Ratelimit-Remaining": "59",
        }
        return 200, headers, {"pagination": pagination, "releases": self.all_records()[start : start + size]}


class EtherscanTxList(QueryKeyVendor):
    """Etherscan API V2, an account's transactions (``GET /v2/api?chainid=1&module=account&action=
    txlist&address=...``; the key as ``apikey``): ``{"status": "1", "message": "OK", "result": [...]}``;
    ``page`` and ``offset`` (the page size; ``page`` × ``offset`` at most 10,000); without them up to
    10,000 transactions at once. Every error is HTTP 200 with ``"status": "0"`` and its cause in
    ``result``: ``{"status": "0", "message": "NOTOK", "result": "Max rate limit reached"}`` (5 calls a
    second), ``"Invalid API Key"``; no transactions is ``{"status": "0", "message": "No transactions
    found", "result": []}``. https://docs.etherscan.io/api-reference/endpoint/txlist,
    https://docs.etherscan.io/resources/common-error-messages"""

    name = "etherscan"
    records_path = "result"  # the explicit configuration's
    path = "/v2/api"
    auth_param = "apikey"
    records = 23
    page_size = 10_000  # everything at once without page and offset
    api_key = "ETHERSCANKEY1234567890ABCDEFGHIJ"

    def connector_fields(self):
        query = {
            "chainid": "1",
            "module": "account",
            "action": "txlist",
            "address": "0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae",
            "startblock": "0",
            "endblock": "99999999",
            "sort": "asc",
        }
        return {**super().connector_fields(), "query_params": query, "primary_key": "hash"}

    pagination = documented_pagination("page", size_param="offset")

    def record(self, number):
        return {
            "blockNumber": str(14_923_678 + number),
            "timeStamp": str(1_654_646_411 + number),
            "hash": f"0x{number:064x}",
            "from": "0x9aa99c23f67c81701c772b106b4f83f6e858dd2e",
            "to": "0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae",
            "value": "0",
            "isError": "0",
        }

    def respond(self, path, query, headers):
        if query.get("apikey") != self.api_key:
            return 200, {}, {"status": "0", "message": "NOTOK", "result": "Invalid API Key"}
        if getattr(self, "rate_limited", 0):
            self.rate_limited -= 1
            return 200, {}, {"status": "0", "message": "NOTOK", "result": "Max rate limit reached"}
        records = self.all_records()
        self.serves(10_000, query.get("offset"))
        if str(query.get("page", "")).isdigit() and str(query.get("offset", "")).isdigit():
            number, size = int(query["page"]), self.serves(int(query["offset"]), query["offset"])
            if number * size > 10_000:
                window = (
                    "Result window is too large, PageNo x Offset size must be less than or equal to 10000"
                )
                return 200, {}, {"status": "0", "message": "NOTOK", "result": window}
            records = records[(number - 1) * size : number * size]
        if not records:
            return 200, {}, {"status": "0", "message": "No transactions found", "result": []}
        return 200, {}, {"status": "1", "message": "OK", "result": records[:10_000]}


class MailjetContacts(BasicAuthVendor):
    """Mailjet Email API v3 (``GET /v3/REST/contact``; HTTP Basic, the API key and its secret):
    ``{"Count", "Data": [...], "Total"}``; ``Limit`` (10 by default, 1000 at most) and ``Offset``, with
    capitals as documented. https://dev.mailjet.com/email/guides/#pagination,
    https://dev.mailjet.com/email/reference/contacts/contact/; from memory, not a stored page (the
    fake takes the capitalised parameters only)."""

    name = "mailjet"
    records_path = "Data"  # the explicit configuration's
    path = "/v3/REST/contact"
    user = "b2f0b7a1d2c3e4f5a6b7c8d9e0f1a2b3"
    api_key = "mailjet-secret-key"
    records = 23
    page_size = 5  # 10 at Mailjet
    max_page_size = 1000

    def unauthorized(self):
        return (
            401,
            {},
            {
                "ErrorInfo": "",
                "ErrorMessage": "API key authentication/authorization failure",
                "StatusCode": 401,
            },
        )

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "ID"}

    pagination = documented_pagination(
        "offset", offset_param="Offset", limit_param="Limit", total_path="Total"
    )

    def record(self, number):
        return {"ID": 1_000 + number, "Email": f"c{number}@example.com", "IsExcludedFromCampaigns": False}

    def respond(self, path, query, headers):
        size = self.size(query, "Limit")
        offset = int(query["Offset"]) if str(query.get("Offset", "")).isdigit() else 0
        data = self.all_records()[offset : offset + size]
        return 200, {}, {"Count": len(data), "Data": data, "Total": self.records}


class CampaignMonitorActiveSubscribers(VendorServer):
    """Campaign Monitor API v3.3, a list's active subscribers (``GET /api/v3.3/lists/{listid}/
    active.json``; HTTP Basic, the API key as the user name and any password): ``{"Results": [...],
    "ResultsOrderedBy", "OrderDirection", "PageNumber", "PageSize", "RecordsOnThisPage",
    "TotalNumberOfRecords", "NumberOfPages"}``; ``page`` and ``pagesize`` (1000 by default, 10 to 1000).
    Errors ``{"Code", "Message"}``. https://www.campaignmonitor.com/api/v3-3/lists/#active-subscribers;
    from memory, not a stored page."""

    name = "campaign-monitor"
    records_path = "Results"  # the explicit configuration's
    path = "/api/v3.3/lists/a58ee1d3039b8bec838e6d1482a8a965/active.json"
    api_key = "campaign-monitor-api-key"
    records = 23
    page_size = 10  # 1000 at Campaign Monitor; 10 is its smallest
    min_page_size = 10
    max_page_size = 1000

    def authorized(self, headers):
        expected = base64.b64encode(f"{self.api_key}:x".encode()).decode()
        return headers.get("Authorization") == f"Basic {expected}"

    def unauthorized(self):
        return 401, {}, {"Code": 50, "Message": "Must supply a valid HTTP Basic Authorization header"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": "x",
            "auth_type": "basic",
            "auth_username": self.api_key,
            "primary_key": "EmailAddress",
        }

    @staticmethod
    def pagination(page_size):
        return {
            "type": "page",
            "size_param": "pagesize",
            "page_size": max(page_size, 10),
            "total_pages_path": "NumberOfPages",
        }

    def record(self, number):
        return {"EmailAddress": f"s{number}@example.com", "Name": f"Subscriber {number}", "State": "Active"}

    def respond(self, path, query, headers):
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        size = max(self.size(query, "pagesize"), 10)  # its smallest page
        start, last = (number - 1) * size, max(1, -(-self.records // size))
        results = self.all_records()[start : start + size]
        return (
            200,
            {},
            {
                "Results": results,
                "ResultsOrderedBy": "email",
                "OrderDirection": "asc",
                "PageNumber": number,
                "PageSize": size,
                "RecordsOnThisPage": len(results),
                "TotalNumberOfRecords": self.records,
                "NumberOfPages": last,
            },
        )


class PlivoMessages(BasicAuthVendor):
    """Plivo messages (``GET /v1/Account/{auth_id}/Message/``; HTTP Basic, the Auth ID and token):
    ``{"api_id", "meta": {"limit", "next", "offset", "previous", "total_count"}, "objects": [...]}``;
    ``limit`` (20 at most) and ``offset``; ``meta.next`` a path with its query, null on the last page.
    https://www.plivo.com/docs/messaging/api/message/list-all-messages; from memory, not a stored page."""

    name = "plivo"
    records_path = "objects"  # the explicit configuration's
    user = "MAXXXXXXXXXXXXXXXXXX"
    path = "/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/"
    api_key = "plivo-auth-token"
    records = 23
    page_size = 5  # 20 at Plivo
    max_page_size = 20

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "message_uuid"}

    pagination = documented_pagination("next_url", next_url_path="meta.next", size_param="limit")

    def record(self, number):
        return {"message_uuid": f"8f5e2c1a-0000-4000-8000-{number:012d}", "message_state": "delivered"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        end = offset + size
        meta = {
            "limit": size,
            "next": f"{self.path}?{urlencode({'limit': size, 'offset': end})}"
            if end < self.records
            else None,
            "offset": offset,
            "previous": f"{self.path}?{urlencode({'limit': size, 'offset': max(0, offset - size)})}"
            if offset
            else None,
            "total_count": self.records,
        }
        body = {
            "api_id": "c8a6f1a4-0000-4000-8000-000000000001",
            "meta": meta,
            "objects": self.all_records()[offset:end],
        }
        return 200, {}, body


class TelnyxPhoneNumbers(VendorServer):
    """Telnyx API v2 phone numbers (``GET /v2/phone_numbers``; Bearer API key): ``{"data": [...],
    "meta": {"page_number", "page_size", "total_pages", "total_results"}}``; ``page[number]`` (from 1)
    and ``page[size]`` (20 by default, 250 at most). Errors ``{"errors": [{"code", "title",
    "detail"}]}``. https://developers.telnyx.com/docs/development/api-fundamentals/pagination-filtering-sorting"""

    name = "telnyx"
    records_path = "data"  # the explicit configuration's
    path = "/v2/phone_numbers"
    api_key = "KEY0123456789ABCDEF_telnyx"
    records = 23
    page_size = 5  # 20 at Telnyx
    max_page_size = 250

    def unauthorized(self):
        error = {
            "code": "10009",
            "title": "Authentication failed",
            "detail": "Could not understand the provided credentials.",
        }
        return 401, {}, {"errors": [error]}

    pagination = documented_pagination(
        "page", page_param="page[number]", size_param="page[size]", total_pages_path="meta.total_pages"
    )

    def record(self, number):
        return {
            "id": str(1_293_384_261_075_731_400 + number),
            "record_type": "phone_number",
            "phone_number": f"+1312555{number:04d}",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "page[size]")
        number = int(query["page[number]"]) if str(query.get("page[number]", "")).isdigit() else 1
        last = max(1, -(-self.records // size))
        meta = {"page_number": number, "page_size": size, "total_pages": last, "total_results": self.records}
        return 200, {}, {"data": self.all_records()[(number - 1) * size : number * size], "meta": meta}


class PrintfulStoreProducts(VendorServer):
    """Printful API (v1) store products (``GET /store/products``; Bearer token): ``{"code": 200,
    "result": [...], "extra": [], "paging": {"total", "offset", "limit"}}``; ``offset`` and ``limit``
    (20 by default, 100 at most). Errors repeat the status in ``code`` with ``{"result": "<message>",
    "error": {"reason", "message"}}``. https://developers.printful.com/docs/#section/Pagination; from
    memory, not a stored page."""

    name = "printful"
    records_path = "result"  # the explicit configuration's
    path = "/store/products"
    api_key = "printful-private-token"
    records = 23
    page_size = 5  # 20 at Printful

    def unauthorized(self):
        message = "Malformed Authorization header."
        return (
            401,
            {},
            {"code": 401, "result": message, "error": {"reason": "Unauthorized", "message": message}},
        )

    pagination = documented_pagination("offset", total_path="paging.total")

    def record(self, number):
        return {
            "id": 100 + number,
            "external_id": f"ext-{number}",
            "name": f"Product {number}",
            "variants": 3,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        paging = {"total": self.records, "offset": offset, "limit": size}
        return (
            200,
            {},
            {
                "code": 200,
                "result": self.all_records()[offset : offset + size],
                "extra": [],
                "paging": paging,
            },
        )


class BubbleDataApi(VendorServer):
    """Bubble Data API (``GET /api/1.1/obj/{type}``; Bearer API token): ``{"response": {"cursor",
    "results": [...], "count", "remaining"}}``; ``cursor`` (the position of the first result) and
    ``limit`` (100 by default and at most); ``remaining`` counts the results after the page.
    https://manual.bubble.io/core-resources/api/the-bubble-api/the-data-api/data-api-requests"""

    name = "bubble"
    records_path = "response.results"  # the explicit configuration's
    path = "/api/1.1/obj/user"
    api_key = "bubble-api-token"
    records = 23
    page_size = 5  # 100 at Bubble

    def unauthorized(self):
        return (
            401,
            {},
            {
                "statusCode": 401,
                "body": {"status": "UNAUTHORIZED", "message": "Invalid or expired API token"},
            },
        )

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "_id"}

    pagination = documented_pagination("offset", offset_param="cursor")

    def record(self, number):
        return {
            "_id": f"1700000000000x{number:018d}",
            "Created Date": "2024-01-01T00:00:00.000Z",
            "name": f"User {number}",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        cursor = int(query["cursor"]) if str(query.get("cursor", "")).isdigit() else 0
        results = self.all_records()[cursor : cursor + size]
        remaining = max(0, self.records - cursor - len(results))
        return (
            200,
            {},
            {
                "response": {
                    "cursor": cursor,
                    "results": results,
                    "count": len(results),
                    "remaining": remaining,
                }
            },
        )


class KontentDeliveryItems(PublicVendor):
    """Kontent.ai Delivery API items (``GET /{environment_id}/items``; public unless secure access):
    ``{"items": [...], "modular_content": {}, "pagination": {"skip", "limit", "count", "next_page"}}``;
    ``skip`` and ``limit`` (every item without ``limit``); ``next_page`` is a URL, an empty string on
    the last page. https://kontent.ai/learn/docs/apis/openapi/delivery-api/ (Pagination); the
    pagination keys as its SDKs read them, the rest from memory."""

    name = "kontent"
    records_path = "items"  # the explicit configuration's
    path = "/975bf280-fd91-488c-994c-2f04416e5ee3/items"
    records = 23
    page_size = 100  # every item at once without limit

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "system.id"}

    pagination = documented_pagination("next_url", next_url_path="pagination.next_page", size_param="limit")

    def record(self, number):
        return {
            "system": {
                "id": f"f4b3fc05-e988-4dae-9ac1-{number:012d}",
                "codename": f"article_{number}",
                "type": "article",
            },
            "elements": {"title": {"type": "text", "name": "Title", "value": f"Article {number}"}},
        }

    def respond(self, path, query, headers):
        skip = int(query["skip"]) if str(query.get("skip", "")).isdigit() else 0
        limit = int(query["limit"]) if str(query.get("limit", "")).isdigit() else 0
        items = self.all_records()[skip : skip + limit] if limit else self.all_records()[skip:]
        self.serves(limit or self.records, query.get("limit"))
        more = bool(limit) and skip + limit < self.records
        next_page = f"{self.url}?{urlencode({'skip': skip + limit, 'limit': limit})}" if more else ""
        pagination = {"skip": skip, "limit": limit, "count": len(items), "next_page": next_page}
        return 200, {}, {"items": items, "modular_content": {}, "pagination": pagination}


class KubernetesPods(VendorServer):
    """Kubernetes API list (``GET /api/v1/pods``; Bearer service account token): ``{"kind": "PodList",
    "apiVersion": "v1", "metadata": {"resourceVersion", "continue", "remainingItemCount"}, "items":
    [...]}``; every item without ``limit``; with it, ``metadata.continue`` is the token for the next
    chunk (absent on the last); an expired token is HTTP 410 with a ``Status`` object (``"reason":
    "Expired"``). https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks"""

    name = "kubernetes"
    records_path = "items"  # the explicit configuration's
    path = "/api/v1/pods"
    api_key = "eyJhbGciOiJSUzI1NiIsImtpZCI6Imt1YmUifQ.service-account"
    records = 23
    page_size = 100  # every item at once without limit
    max_page_size = 500
    expire_after = None  # continue tokens stop working after this many chunks

    def unauthorized(self):
        return 401, {}, self.status(401, "Unauthorized", "Unauthorized")

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "metadata.uid"}

    @staticmethod
    def status(code, reason, message):
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }

    pagination = documented_pagination(
        "cursor", cursor_path="metadata.continue", cursor_param="continue", size_param="limit"
    )

    def record(self, number):
        return {
            "metadata": {"name": f"web-{number}", "namespace": "default", "uid": f"6b2c-{number:04d}"},
            "status": {"phase": "Running"},
        }

    def respond(self, path, query, headers):
        start = 0
        if query.get("continue"):
            start = _position(query["continue"], "k8s")
            served = len([request for request in self.requests if request["status"] == 200])
            if start is None or (self.expire_after is not None and served >= self.expire_after):
                message = (
                    "The provided continue parameter is too old to display a consistent list result. You "
                    "can start a new list without the continue parameter."
                )
                return 410, {}, self.status(410, "Expired", message)
        limit = int(query["limit"]) if str(query.get("limit", "")).isdigit() else 0
        end = min(start + limit, self.records) if limit else self.records
        self.serves(limit or self.records, query.get("limit"))
        metadata = {"resourceVersion": "3528401"}
        if end < self.records:
            metadata.update({"continue": _token(end, "k8s"), "remainingItemCount": self.records - end})
        return (
            200,
            {},
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": metadata,
                "items": self.all_records()[start:end],
            },
        )


class SemanticScholarPaperSearch(HeaderKeyVendor):
    """Semantic Scholar Academic Graph API paper search (``GET /graph/v1/paper/search?query=...``; an
    optional ``x-api-key``): ``{"total", "offset", "next", "data": [...]}``; ``offset`` and ``limit``
    (100 by default and at most; ``offset + limit`` under 1000); ``next`` is the next offset, absent on
    the last page. Unauthenticated callers share a pool: HTTP 429 without ``Retry-After``.
    https://api.semanticscholar.org/api-docs/graph#tag/Paper-Data/operation/get_graph_paper_relevance_search"""

    name = "semantic-scholar"
    records_path = "data"  # the explicit configuration's
    path = "/graph/v1/paper/search"
    auth_header = "x-api-key"
    api_key = "s2-api-key-0123456789"
    records = 23
    page_size = 5  # 100 at Semantic Scholar

    def unauthorized(self):
        return 403, {}, {"message": "Forbidden"}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"query": "covid vaccination", "fields": "title,year"},
            "primary_key": "paperId",
        }

    pagination = documented_pagination("offset", total_path="total")

    def record(self, number):
        return {"paperId": f"{number:040x}", "title": f"Paper {number}", "year": 2020 + number % 4}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if offset + size > 1000:
            return 400, {}, {"error": "Requested data for this limit and/or offset is not available"}
        if self.refused_once(offset, size):
            message = (
                "Too Many Requests. Please wait and try again or apply for a key for higher rate limits."
            )
            return 429, {}, {"message": message, "code": "429"}
        body = {"total": self.records, "offset": offset, "data": self.all_records()[offset : offset + size]}
        if offset + size < self.records:
            body["next"] = offset + size
        return 200, {}, body


class LastFmRecentTracks(QueryKeyVendor):
    """Last.fm ``user.getRecentTracks`` (``GET /2.0/?method=user.getrecenttracks&user=...&format=json``;
    the key as ``api_key``): ``{"recenttracks": {"track": [...], "@attr": {"user", "totalPages", "page",
    "perPage", "total"}}}``, the counts as strings; ``page`` and ``limit`` (50 by default, 200 at most).
    Errors ``{"error": <code>, "message", "links": []}`` (10: invalid key, 29: rate limit exceeded).
    https://www.last.fm/api/show/user.getRecentTracks, https://www.last.fm/api/errorcodes"""

    name = "lastfm"
    records_path = "recenttracks.track"  # the explicit configuration's
    path = "/2.0/"
    auth_param = "api_key"
    api_key = "lastfm-api-key-0123456789abcdef"
    records = 23
    page_size = 5  # 50 at Last.fm
    max_page_size = 200

    def connector_fields(self):
        query = {"method": "user.getrecenttracks", "user": "rj", "format": "json"}
        return {**super().connector_fields(), "query_params": query, "primary_key": "date.uts"}

    pagination = documented_pagination(
        "page", size_param="limit", total_pages_path="recenttracks.@attr.totalPages"
    )

    def record(self, number):
        return {
            "name": f"Track {number}",
            "artist": {"mbid": "", "#text": "Artist"},
            "date": {"uts": str(1_700_000_000 - 60 * number), "#text": "14 Nov 2023, 22:13"},
        }

    def respond(self, path, query, headers):
        if query.get("api_key") != self.api_key:
            return (
                403,
                {},
                {
                    "error": 10,
                    "message": "Invalid API key - You must be granted a valid key by last.fm",
                    "links": [],
                },
            )
        number, size, start, last = self.numbered_page(query, "limit")
        attr = {
            "user": "RJ",
            "totalPages": str(last),
            "page": str(number),
            "perPage": str(size),
            "total": str(self.records),
        }
        return 200, {}, {"recenttracks": {"track": self.all_records()[start : start + size], "@attr": attr}}


class ZendeskSellContacts(VendorServer):
    """Zendesk Sell Core API contacts (``GET /v2/contacts``; Bearer token): ``{"items": [{"data": {...},
    "meta": {"type": "contact"}}], "meta": {"type": "collection", "count", "links": {"self",
    "first_page", "prev_page", "next_page"}}}``, each record wrapped in ``data``; ``page`` and
    ``per_page`` (25 by default, 100 at most); no ``next_page`` on the last page.
    https://developer.zendesk.com/api-reference/sales-crm/requests/ (Pagination); from memory, not a
    stored page."""

    name = "zendesk-sell"
    records_path = "items"  # the explicit configuration's
    path = "/v2/contacts"
    api_key = "zendesk-sell-access-token"
    records = 23
    page_size = 5  # 25 at Zendesk Sell

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "data.id"}

    pagination = documented_pagination(
        "next_url", next_url_path="meta.links.next_page", size_param="per_page"
    )

    def all_records(self):
        return [{"data": record, "meta": {"type": "contact"}} for record in super().all_records()]

    def record(self, number):
        return {"id": 900 + number, "name": f"Contact {number}", "is_organization": False}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")
        items = self.all_records()[start : start + size]
        links = {
            "self": f"{self.url}?page={number}&per_page={size}",
            "first_page": f"{self.url}?page=1&per_page={size}",
        }
        if number > 1:
            links["prev_page"] = f"{self.url}?page={number - 1}&per_page={size}"
        if number < last:
            links["next_page"] = f"{self.url}?page={number + 1}&per_page={size}"
        return 200, {}, {"items": items, "meta": {"type": "collection", "count": len(items), "links": links}}


class SageAccountingContacts(VendorServer):
    """Sage Business Cloud Accounting API v3.1 contacts (``GET /accounting/v3.1/contacts``; Bearer):
    ``{"$total", "$page", "$next", "$back", "$itemsPerPage", "$items": [...]}``; ``page`` and
    ``items_per_page`` (20 by default, 200 at most); ``$next`` a path relative to the API's base
    (``/contacts?page=2&items_per_page=20``), null on the last page; a page past the last answers the
    last page again. https://developer.sage.com/accounting/guides/efficiencies/pagination"""

    name = "sage-accounting"
    records_path = "$items"  # the explicit configuration's
    path = "/accounting/v3.1/contacts"
    api_key = "sage-accounting-access-token"
    records = 23
    page_size = 5  # 20 at Sage
    max_page_size = 200

    def unauthorized(self):
        return (
            401,
            {},
            [
                {
                    "$severity": "error",
                    "$dataCode": "RECORD_INVALID",
                    "$message": "Unauthorized",
                    "$source": "",
                }
            ],
        )

    pagination = documented_pagination("page", size_param="items_per_page", total_path="$total")

    def record(self, number):
        identifier = f"{number:032x}"
        return {
            "id": identifier,
            "displayed_as": f"Contact {number} (C{number:03d})",
            "$path": f"/contacts/{identifier}",
        }

    def respond(self, path, query, headers):
        if path != self.path:  # $next is relative to the API's base, not to the host
            return 404, {}, [{"$severity": "error", "$dataCode": "RECORD_NOT_FOUND", "$message": "Not found"}]
        number, size, start, last = self.numbered_page(query, "items_per_page")
        number = min(number, last)  # a page past the last: the last page again
        start = (number - 1) * size

        def page_path(page):
            return f"/contacts?{urlencode({'page': page, 'items_per_page': size})}"

        return (
            200,
            {},
            {
                "$total": self.records,
                "$page": number,
                "$next": page_path(number + 1) if number < last else None,
                "$back": page_path(number - 1) if number > 1 else None,
                "$itemsPerPage": size,
                "$items": self.all_records()[start : start + size],
            },
        )


FIFTEENTH_VENDORS = (
    CrossrefWorks,
    OpenAlexWorks,
    GbifOccurrenceSearch,
    MusicBrainzBrowseReleases,
    DiscogsArtistReleases,
    EtherscanTxList,
    MailjetContacts,
    CampaignMonitorActiveSubscribers,
    PlivoMessages,
    TelnyxPhoneNumbers,
    PrintfulStoreProducts,
    BubbleDataApi,
    KontentDeliveryItems,
    KubernetesPods,
    SemanticScholarPaperSearch,
    LastFmRecentTracks,
    ZendeskSellContacts,
    SageAccountingContacts,
)
FIFTEENTH_VENDORS_ON_AUTO = FIFTEENTH_VENDORS


class FhirPatientSearch(VendorServer):
    """A FHIR R4 server's search (``GET /fhir/R4/Patient``, HAPI FHIR as the reference server; a
    SMART Bearer token): a ``Bundle`` of ``"type": "searchset"`` with ``total``, ``link`` (a list of
    ``{"relation", "url"}``: ``self``, ``next`` while more pages exist, ``previous``) and ``entry``
    (``{"fullUrl", "resource", "search": {"mode"}}``); ``_count`` (20 by default at HAPI). The next
    link is HAPI's paging request at the server's base (``?_getpages=<search id>&_getpagesoffset=N``),
    not at ``/Patient``; HAPI and Canvas also take ``_offset`` on the search itself. An error is an
    ``OperationOutcome``. https://build.fhir.org/search-set-bundle.html and
    https://docs.canvasmedical.com/api/pagination (through the search tool); HAPI's paging URL from
    memory."""

    name = "fhir"
    records_path = "entry"  # the explicit configuration's
    base_path = "/fhir/R4"
    path = "/fhir/R4/Patient"
    records = 23
    page_size = 5  # 20 at HAPI
    api_key = "smart-on-fhir-access-token"
    search_id = "5f3c2b1a-hapi-search"

    def unauthorized(self):
        issue = {"severity": "error", "code": "login", "diagnostics": "HTTP 401 Unauthorized"}
        return (
            401,
            {"Content-Type": "application/fhir+json"},
            {"resourceType": "OperationOutcome", "issue": [issue]},
        )

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "resource.id"}

    pagination = documented_pagination(
        "offset", offset_param="_offset", limit_param="_count", total_path="total"
    )

    def record(self, number):
        patient = {
            "resourceType": "Patient",
            "id": str(1_000 + number),
            "meta": {"versionId": "1", "lastUpdated": "2026-01-02T03:04:05.000+00:00"},
            "name": [{"family": f"Family{number}", "given": [f"Given{number}"]}],
            "gender": "unknown",
        }
        return {
            "fullUrl": f"http://hapi.example.org/fhir/R4/Patient/{1_000 + number}",
            "resource": patient,
            "search": {"mode": "match"},
        }

    def respond(self, path, query, headers):
        size = self.size(query, "_count")
        if path == self.base_path:
            if query.get("_getpages") != self.search_id:
                issue = {"severity": "error", "code": "processing", "diagnostics": "Search ID not found"}
                return 410, {}, {"resourceType": "OperationOutcome", "issue": [issue]}
            offset = int(query.get("_getpagesoffset") or 0)
        elif path == self.path:
            offset = int(query["_offset"]) if str(query.get("_offset", "")).isdigit() else 0
        else:
            return 404, {}, {"resourceType": "OperationOutcome", "issue": []}

        def page_url(start):
            paging = {"_getpages": self.search_id, "_getpagesoffset": start, "_count": size}
            return f"{self.base}{self.base_path}?{urlencode({**paging, '_bundletype': 'searchset'})}"

        links = [{"relation": "self", "url": page_url(offset)}]
        if offset + size < self.records:
            links.append({"relation": "next", "url": page_url(offset + size)})
        if offset:
            links.append({"relation": "previous", "url": page_url(max(0, offset - size))})
        body = {
            "resourceType": "Bundle",
            "id": "b6a3c1d2-0000-4000-8000-000000000001",
            "meta": {"lastUpdated": "2026-01-02T03:04:05.000+00:00"},
            "type": "searchset",
            "total": self.records,
            "link": links,
            "entry": self.all_records()[offset : offset + size],
        }
        return 200, {"Content-Type": "application/fhir+json;charset=utf-8"}, body


class BitbucketDataCenterRepos(VendorServer):
    """Bitbucket Data Center (Server) REST API 1.0, a project's repositories (``GET /rest/api/1.0/
    projects/{key}/repos``; an HTTP access token as Bearer): its paged APIs answer ``{"size", "limit",
    "isLastPage", "values": [...], "start", "nextPageStart"}``; ``start`` and ``limit`` (25 by
    default); ``nextPageStart`` is absent on the last page. Errors ``{"errors": [{"context", "message",
    "exceptionName"}]}``. https://docs.atlassian.com/bitbucket-server/rest/latest/bitbucket-rest.html
    (Paged APIs) and Backstage's ``BitbucketServerPagedResponse`` type, through the search tool."""

    name = "bitbucket-data-center"
    records_path = "values"  # the explicit configuration's
    path = "/rest/api/1.0/projects/DATA/repos"
    records = 23
    page_size = 5  # 25 at Bitbucket Data Center
    max_page_size = 1000
    api_key = "bitbucket-http-access-token"

    def unauthorized(self):
        error = {
            "context": None,
            "message": "Authentication failed. Please check your credentials and try again.",
            "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
        }
        return 401, {}, {"errors": [error]}

    pagination = documented_pagination(
        "cursor", cursor_path="nextPageStart", cursor_param="start", size_param="limit"
    )

    def record(self, number):
        return {
            "slug": f"repo-{number}",
            "id": number,
            "name": f"Repo {number}",
            "scmId": "git",
            "state": "AVAILABLE",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = int(query["start"]) if str(query.get("start", "")).isdigit() else 0
        values = self.all_records()[start : start + size]
        last = start + len(values) >= self.records
        body = {"size": len(values), "limit": size, "isLastPage": last, "values": values, "start": start}
        if not last:
            body["nextPageStart"] = start + len(values)
        return 200, {}, body


class SugarCrmContacts(HeaderKeyVendor):
    """SugarCRM REST API v11 list of a module (``GET /rest/v11_20/Contacts``; the OAuth token in
    ``OAuth-Token``): ``{"next_offset": N, "records": [...]}``; ``max_num`` (20 by default) and
    ``offset``; the last page's ``next_offset`` is ``-1``. The envelope through the search tool (a
    SugarCRM example gist, ``GET rest/v10/Contacts?max_num=2`` answering ``next_offset`` and
    ``records``); the ``-1`` of the last page from memory. A negative offset is not documented: the fake
    answers it as offset 0."""

    name = "sugarcrm"
    records_path = "records"  # the explicit configuration's
    path = "/rest/v11_20/Contacts"
    auth_header = "OAuth-Token"
    records = 23
    page_size = 5  # 20 at SugarCRM
    api_key = "sugar-oauth-token-0123456789"

    def unauthorized(self):
        return 401, {}, {"error": "invalid_grant", "error_message": "The access token provided is invalid."}

    pagination = documented_pagination("offset", limit_param="max_num")

    def record(self, number):
        return {
            "id": f"f2d4042e-6d9e-88af-3c00-{number:012d}",
            "name": f"Contact {number}",
            "date_modified": "2026-01-02T03:04:05+00:00",
            "_acl": {"fields": {}},
            "_module": "Contacts",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "max_num")
        offset = query.get("offset", "0")
        offset = int(offset) if offset.isdigit() else 0
        records = self.all_records()[offset : offset + size]
        end = offset + len(records)
        return 200, {}, {"next_offset": end if end < self.records else -1, "records": records}


class RedmineIssues(HeaderKeyVendor):
    """Redmine REST API issues (``GET /issues.json``; the key in ``X-Redmine-API-Key``): ``{"issues":
    [...], "total_count", "offset", "limit"}``; ``offset`` and ``limit`` (25 by default, 100 at most).
    https://www.redmine.org/projects/redmine/wiki/Rest_api (Collection resources and pagination); the
    search tool found the change that added ``offset`` / ``limit`` to the answer, the rest from
    memory."""

    name = "redmine"
    records_path = "issues"  # the explicit configuration's
    path = "/issues.json"
    auth_header = "X-Redmine-API-Key"
    records = 23
    page_size = 5  # 25 at Redmine
    api_key = "redmine-api-key-0123456789abcdef"

    def unauthorized(self):
        return 401, {"Content-Type": "text/html"}, b""

    pagination = documented_pagination("offset", total_path="total_count")

    def record(self, number):
        return {
            "id": number,
            "project": {"id": 1, "name": "Data"},
            "tracker": {"id": 1, "name": "Bug"},
            "subject": f"Issue {number}",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        issues = self.all_records()[offset : offset + size]
        return 200, {}, {"issues": issues, "total_count": self.records, "offset": offset, "limit": size}


class TravisCiBuilds(HeaderKeyVendor):
    """Travis CI API v3, a repository's builds (``GET /repo/{id}/builds``; ``Travis-API-Version: 3``
    and ``Authorization: token <token>``): ``{"@type": "builds", "@href", "@representation",
    "@pagination": {"limit", "offset", "count", "is_first", "is_last", "next": {"@href", "offset",
    "limit"} or null, "prev", "first", "last"}, "builds": [...]}``; ``limit`` (25 by default) and
    ``offset``. https://developer.travis-ci.com/ (the search tool found the overview, "deal with
    pagination", not the page itself); the ``@pagination`` object from memory."""

    name = "travis-ci"
    records_path = "builds"  # the explicit configuration's
    path = "/repo/891/builds"
    auth_header = "Authorization"  # "token <token>"
    records = 23
    page_size = 5  # 25 at Travis CI
    api_key = "token travis-api-token-0123"

    def authorized(self, headers):
        return super().authorized(headers) and headers.get("Travis-API-Version") == "3"

    def unauthorized(self):
        return 403, {}, {"@type": "error", "error_type": "login_required", "error_message": "login required"}

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"Travis-API-Version": "3"}}

    pagination = documented_pagination("next_url", next_url_path="@pagination.next.@href", size_param="limit")

    def record(self, number):
        return {
            "@type": "build",
            "@href": f"/build/{86_000_000 + number}",
            "@representation": "standard",
            "id": 86_000_000 + number,
            "number": str(number),
            "state": "passed",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        last_offset = (self.records - 1) // size * size

        def page(start):
            return {
                "@href": f"{self.path}?{urlencode({'limit': size, 'offset': start})}",
                "offset": start,
                "limit": size,
            }

        pagination = {
            "limit": size,
            "offset": offset,
            "count": self.records,
            "is_first": offset == 0,
            "is_last": offset + size >= self.records,
            "next": page(offset + size) if offset + size < self.records else None,
            "prev": page(max(0, offset - size)) if offset else None,
            "first": page(0),
            "last": page(last_offset),
        }
        body = {
            "@type": "builds",
            "@href": page(offset)["@href"],
            "@representation": "standard",
            "@pagination": pagination,
            "builds": self.all_records()[offset : offset + size],
        }
        return 200, {}, body


class CratesIoCrates(PublicVendor):
    """crates.io API v1 crate search (``GET /api/v1/crates``; public, a ``User-Agent`` required):
    ``{"crates": [...], "meta": {"total", "next_page", "prev_page"}}``; ``page`` and ``per_page`` (10
    by default, 100 at most); ``next_page`` is a query string alone (``?page=2&per_page=10&q=...``),
    null on the last page. The ``meta`` type through the search tool (a client's TypeScript
    interface); the query-string form of ``next_page`` from memory."""

    name = "crates-io"
    records_path = "crates"  # the explicit configuration's
    path = "/api/v1/crates"
    records = 23
    page_size = 5  # 10 at crates.io

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"q": "serde"}}

    pagination = documented_pagination("next_url", next_url_path="meta.next_page", size_param="per_page")

    def record(self, number):
        return {"id": f"serde-crate-{number}", "name": f"serde-crate-{number}", "downloads": 1000 * number}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")

        def page_query(page):
            return "?" + urlencode({"page": page, "per_page": size, "q": query.get("q", "")})

        meta = {
            "total": self.records,
            "next_page": page_query(number + 1) if number < last else None,
            "prev_page": page_query(number - 1) if number > 1 else None,
        }
        return 200, {}, {"crates": self.all_records()[start : start + size], "meta": meta}


class SonarQubeIssues(VendorServer):
    """SonarQube Web API issue search (``GET /api/issues/search``; a user token as Bearer): ``{"total",
    "p", "ps", "paging": {"pageIndex", "pageSize", "total"}, "effortTotal", "issues": [...],
    "components": [...], "facets": []}``; ``p`` (from 1) and ``ps`` (100 by default, 500 at most); no
    more than the first 10,000 results (past them HTTP 400 ``{"errors": [{"msg": "Can return only the
    first 10000 results. ..."}]}``). The conventions (p, ps, paging, the ``errors`` envelope, Bearer)
    and the 10,000 cap through the search tool; the other keys from memory."""

    name = "sonarqube"
    records_path = "issues"  # the explicit configuration's
    path = "/api/issues/search"
    records = 23
    page_size = 5  # 100 at SonarQube
    max_page_size = 500
    api_key = "squ_0123456789abcdef0123456789abcdef01234567"
    result_window = 10_000

    def unauthorized(self):
        return 401, {}, {"errors": [{"msg": "Authentication is required"}]}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"componentKeys": "data-platform"},
            "primary_key": "key",
        }

    pagination = documented_pagination("page", page_param="p", size_param="ps", total_path="paging.total")

    def record(self, number):
        return {
            "key": f"AYx{number:017d}",
            "rule": "python:S1481",
            "severity": "MINOR",
            "component": f"data-platform:src/module_{number % 4}.py",
            "line": number,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "ps")
        number = int(query["p"]) if str(query.get("p", "")).isdigit() else 1
        if number * size > self.result_window:
            asked = (number - 1) * size + 1
            message = f"Can return only the first {self.result_window} results. {asked}th result asked."
            return 400, {}, {"errors": [{"msg": message}]}
        issues = self.all_records()[(number - 1) * size : number * size]
        components = sorted({issue["component"] for issue in issues})
        body = {
            "total": self.records,
            "p": number,
            "ps": size,
            "paging": {"pageIndex": number, "pageSize": size, "total": self.records},
            "effortTotal": 5 * self.records,
            "issues": issues,
            "components": [{"key": key, "qualifier": "FIL", "enabled": True} for key in components],
            "facets": [],
        }
        return 200, {}, body


class OmdbSearch(QueryKeyVendor):
    """OMDb API title search (``GET /?s=<title>``; the key as ``apikey``): ``{"Search": [...],
    "totalResults": "<a number, as a string>", "Response": "True"}``, ten titles a page, ``page`` from 1
    (no page size). An error is ``{"Response": "False", "Error": "<message>"}``, with HTTP 200
    (``"Movie not found!"`` past the last page, ``"Too many results."`` for a broad search) or 401
    (``"Invalid API key!"``). The envelope, its string total and its error through the search tool
    (the OMDb search-result JSON schema); the statuses from memory."""

    name = "omdb"
    records_path = "Search"  # the explicit configuration's
    path = "/"
    auth_param = "apikey"
    records = 23
    page_size = 10  # fixed at OMDb
    api_key = "0a1b2c3d"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"s": "star", "type": "movie"},
            "primary_key": "imdbID",
        }

    @staticmethod
    def pagination(page_size):
        return {"type": "page", "page_size": 10, "total_path": "totalResults"}

    def record(self, number):
        return {
            "Title": f"Star Movie {number}",
            "Year": str(1970 + number),
            "imdbID": f"tt{7_654_320 + number:07d}",
            "Type": "movie",
            "Poster": "N/A",
        }

    def respond(self, path, query, headers):
        if query.get("apikey") != self.api_key:
            return 401, {}, {"Response": "False", "Error": "Invalid API key!"}
        if len(query.get("s", "")) < 3:
            return 200, {}, {"Response": "False", "Error": "Too many results."}
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        titles = self.all_records()[(number - 1) * 10 : number * 10]  # no page size to ask for
        if not titles:
            return 200, {}, {"Response": "False", "Error": "Movie not found!"}
        return 200, {}, {"Search": titles, "totalResults": str(self.records), "Response": "True"}


class OpenFdaDrugEvents(PublicVendor):
    """openFDA drug adverse events (``GET /drug/event.json``; an ``api_key`` optional):
    ``{"meta": {"disclaimer", "terms", "license", "last_updated", "results": {"skip", "limit",
    "total"}}, "results": [...]}``; ``limit`` (1 by default, 1,000 at most) and ``skip`` (25,000 at
    most); a ``Link: <...search_after=...>; rel="next"`` header continues past that cap. A search
    without matches (a skip past the last, too) is HTTP 404 ``{"error": {"code": "NOT_FOUND",
    "message": "No matches found!"}}``. https://open.fda.gov/apis/paging/ and /apis/query-parameters/
    through the search tool; the 404 body from memory."""

    name = "openfda"
    records_path = "results"  # the explicit configuration's
    path = "/drug/event.json"
    records = 23
    page_size = 1  # openFDA's default limit
    max_page_size = 1000

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"search": "receivedate:[20040101 TO 20081231]"},
            "primary_key": "safetyreportid",
        }

    pagination = documented_pagination("offset", offset_param="skip", total_path="meta.results.total")

    def record(self, number):
        return {"safetyreportid": str(5_801_206 + number), "receivedate": "20080707", "serious": "1"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        if "search_after" in query:
            skip = _position(query["search_after"], "openfda")
            if skip is None:
                return 400, {}, {"error": {"code": "BAD_REQUEST", "message": "Invalid search_after"}}
        else:
            skip = int(query["skip"]) if str(query.get("skip", "")).isdigit() else 0
        if skip > 25_000:
            return 400, {}, {"error": {"code": "BAD_REQUEST", "message": "Skip value must 25000 or less."}}
        results = self.all_records()[skip : skip + size]
        if not results:
            return 404, {}, {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
        headers_out = {}
        if skip + len(results) < self.records:
            after = {"search": query.get("search", ""), "limit": size, "skip": 0}
            after["search_after"] = _token(skip + len(results), "openfda")
            headers_out["Link"] = f'<{self.url}?{urlencode(after)}>; rel="next"'
        meta = {
            "disclaimer": "Do not rely on openFDA to make decisions regarding medical care.",
            "terms": "https://open.fda.gov/terms/",
            "license": "https://open.fda.gov/license/",
            "last_updated": "2026-11-26",
            "results": {"skip": skip, "limit": size, "total": self.records},
        }
        return 200, headers_out, {"meta": meta, "results": results}


class EuropePmcSearch(PublicVendor):
    """Europe PMC RESTful search (``GET /europepmc/webservices/rest/search?query=...&format=json``;
    public): ``{"version", "hitCount", "nextCursorMark", "request": {...}, "resultList": {"result":
    [...]}}``; ``pageSize`` (25 by default, 1,000 at most) and ``cursorMark`` (``*`` first); the list
    has ended where an answer echoes the ``cursorMark`` it was asked with instead of a new one (a
    page without results). Without ``format=json`` it answers XML. ``cursorMark`` and the echo through
    the search tool (the europepmc R package's news, a pagination script that notes the echo); the
    envelope from memory."""

    name = "europe-pmc"
    records_path = "resultList.result"  # the explicit configuration's
    path = "/europepmc/webservices/rest/search"
    records = 23
    page_size = 5  # 25 at Europe PMC
    max_page_size = 1000

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"query": "malaria", "format": "json"}}

    pagination = documented_pagination(
        "cursor", cursor_path="nextCursorMark", cursor_param="cursorMark", size_param="pageSize"
    )

    def record(self, number):
        return {
            "id": str(39_000_000 + number),
            "source": "MED",
            "pmid": str(39_000_000 + number),
            "title": f"Paper {number}",
        }

    def respond(self, path, query, headers):
        if query.get("format") != "json":
            return 200, {"Content-Type": "application/xml"}, b'<?xml version="1.0"?><responseWrapper/>'
        size = self.size(query, "pageSize")
        mark = query.get("cursorMark", "*")
        start = 0 if mark == "*" else _position(mark, "europepmc")
        if start is None:
            return 400, {}, {"errCode": 400, "errMsg": "Invalid cursorMark"}
        results = self.all_records()[start : start + size]
        body = {
            "version": "6.9",
            "hitCount": self.records,
            "nextCursorMark": _token(start + len(results), "europepmc") if results else mark,
            "request": {
                "queryString": query.get("query"),
                "resultType": "lite",
                "cursorMark": mark,
                "pageSize": size,
            },
            "resultList": {"result": results},
        }
        return 200, {}, body

    def expected_pages(self, page_size=None):
        return super().expected_pages(page_size) + 1  # the answer without results that echoes its mark


class LaunchDarklyMembers(HeaderKeyVendor):
    """LaunchDarkly REST API v2 account members (``GET /api/v2/members``; the access token itself in
    ``Authorization``, no scheme): ``{"items": [...], "totalCount", "_links": {"self", "first",
    "prev", "next", "last": {"href", "type"}}}``; ``limit`` (20 by default) and ``offset``; no ``next``
    on the last page. Past its rate HTTP 429 with ``Retry-After`` and ``X-Ratelimit-Reset`` (epoch
    milliseconds). https://launchdarkly.com/docs/api (Pagination, Rate limiting); from memory, not a
    stored page (the search tool found none)."""

    name = "launchdarkly"
    records_path = "items"  # the explicit configuration's
    path = "/api/v2/members"
    auth_header = "Authorization"
    records = 23
    page_size = 5  # 20 at LaunchDarkly
    api_key = "api-0123abcd-4567-89ef-0123-456789abcdef"

    def unauthorized(self):
        return 401, {}, {"code": "unauthorized", "message": "Invalid access token"}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "_id"}

    pagination = documented_pagination("offset", total_path="totalCount")

    def record(self, number):
        return {"_id": f"5f0c{number:020x}", "email": f"member{number}@example.com", "role": "reader"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.refused_once(offset, size):
            reset_ms = int((time.time() + 1) * 1000)
            headers_out = {"Retry-After": "1", "X-Ratelimit-Reset": str(reset_ms)}
            return (
                429,
                headers_out,
                {"code": "rate_limited", "message": "You've exceeded the API rate limit. Try again later."},
            )

        def link(start):
            return {
                "href": f"{self.path}?{urlencode({'limit': size, 'offset': start})}",
                "type": "application/json",
            }

        links = {"self": link(offset), "first": link(0), "last": link((self.records - 1) // size * size)}
        if offset:
            links["prev"] = link(max(0, offset - size))
        if offset + size < self.records:
            links["next"] = link(offset + size)
        return (
            200,
            {},
            {
                "items": self.all_records()[offset : offset + size],
                "totalCount": self.records,
                "_links": links,
            },
        )


class GuardianContentSearch(QueryKeyVendor):
    """The Guardian Open Platform content search (``GET /search``; the key as ``api-key``):
    ``{"response": {"status": "ok", "userTier", "total", "startIndex", "pageSize", "currentPage",
    "pages", "orderBy", "results": [...]}}``; ``page`` and ``page-size`` (10 by default, 200 at most);
    a page past the last is HTTP 400 ``{"response": {"status": "error", "message": "requested page is
    beyond the number of available pages"}}``. https://open-platform.theguardian.com/documentation/search;
    from memory, not a stored page (the search tool found none)."""

    name = "guardian"
    records_path = "response.results"  # the explicit configuration's
    path = "/search"
    auth_param = "api-key"
    records = 23
    page_size = 5  # 10 at the Guardian
    max_page_size = 200
    api_key = "guardian-api-key-0123"

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"q": "climate"}}

    pagination = documented_pagination("page", size_param="page-size", total_pages_path="response.pages")

    def record(self, number):
        return {
            "id": f"environment/2026/jan/{number:02d}/climate-story-{number}",
            "type": "article",
            "sectionId": "environment",
            "webTitle": f"Climate story {number}",
        }

    def respond(self, path, query, headers):
        if query.get("api-key") != self.api_key:
            return 401, {}, {"message": "Unauthorized"}
        number, size, start, last = self.numbered_page(query, "page-size")
        if number > last:
            message = "requested page is beyond the number of available pages"
            return 400, {}, {"response": {"status": "error", "message": message}}
        body = {
            "status": "ok",
            "userTier": "developer",
            "total": self.records,
            "startIndex": start + 1,
            "pageSize": size,
            "currentPage": number,
            "pages": last,
            "orderBy": "relevance",
            "results": self.all_records()[start : start + size],
        }
        return 200, {}, {"response": body}


class RickAndMortyCharacters(PublicVendor):
    """The Rick and Morty API characters (``GET /api/character``; public): ``{"info": {"count",
    "pages", "next", "prev"}, "results": [...]}``, 20 a page, ``page`` only (no size); ``next`` an
    absolute URL, null on the last page; a page past the last is HTTP 404 ``{"error": "There is
    nothing here"}``. https://rickandmortyapi.com/documentation/#info-and-pagination; from memory, not
    a stored page."""

    name = "rick-and-morty"
    records_path = "results"  # the explicit configuration's
    path = "/api/character"
    records = 23
    page_size = 20  # fixed

    pagination = documented_pagination("page", total_pages_path="info.pages")

    def record(self, number):
        return {"id": number, "name": f"Character {number}", "status": "Alive", "species": "Human"}

    def respond(self, path, query, headers):
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 1
        last = max(1, -(-self.records // 20))
        if number > last:
            return 404, {}, {"error": "There is nothing here"}
        info = {
            "count": self.records,
            "pages": last,
            "next": f"{self.url}?page={number + 1}" if number < last else None,
            "prev": f"{self.url}?page={number - 1}" if number > 1 else None,
        }
        return 200, {}, {"info": info, "results": self.all_records()[(number - 1) * 20 : number * 20]}


class SpaceXLaunchesQuery(PublicVendor):
    """SpaceX API v4 launch query (``POST /v4/launches/query``; public): the body ``{"query": {...},
    "options": {"page", "limit", "sort", ...}}``, answered by mongoose-paginate-v2: ``{"docs": [...],
    "totalDocs", "offset", "limit", "totalPages", "page", "pagingCounter", "hasPrevPage",
    "hasNextPage", "prevPage", "nextPage"}``; ``limit`` 10 by default. https://github.com/r-spacex/
    SpaceX-API/blob/master/docs/queries.md; from memory, not a stored page."""

    name = "spacex"
    records_path = "docs"  # the explicit configuration's
    path = "/v4/launches/query"
    records = 23
    page_size = 10  # mongoose-paginate-v2's default

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"query": {"upcoming": False}, "options": {"sort": {"flight_number": "asc"}}},
        }

    pagination = documented_pagination("page", page_param="options.page", size_param="options.limit")

    def record(self, number):
        return {
            "id": f"5eb87cd9ffd86e000604b3{number:02x}",
            "flight_number": number,
            "name": f"Flight {number}",
        }

    def respond(self, path, query, headers):
        return 404, {"Content-Type": "text/html"}, b"Not Found"

    def respond_post(self, path, body, headers):
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        size = self.serves(int(options.get("limit") or self.page_size), options.get("limit"))
        number = int(options.get("page") or 1)
        pages = max(1, -(-self.records // size))
        start = (number - 1) * size
        answer = {
            "docs": self.all_records()[start : start + size],
            "totalDocs": self.records,
            "offset": start,
            "limit": size,
            "totalPages": pages,
            "page": number,
            "pagingCounter": start + 1,
            "hasPrevPage": number > 1,
            "hasNextPage": number < pages,
            "prevPage": number - 1 if number > 1 else None,
            "nextPage": number + 1 if number < pages else None,
        }
        return 200, {}, answer


class ZenodoRecords(PublicVendor):
    """Zenodo REST API records search (``GET /api/records``; public, a token optional): ``{"hits":
    {"hits": [...], "total"}, "links": {"self", "next", "prev"}, "aggregations": {...}}``; ``page`` and
    ``size`` (10 by default); ``links.next`` an absolute URL, absent on the last page.
    https://developers.zenodo.org/#list36; from memory, not a stored page."""

    name = "zenodo"
    records_path = "hits.hits"  # the explicit configuration's
    path = "/api/records"
    records = 23
    page_size = 5  # 10 at Zenodo

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"q": "climate", "sort": "mostrecent"}}

    pagination = documented_pagination("next_url", next_url_path="links.next", size_param="size")

    def record(self, number):
        return {
            "id": 10_000_000 + number,
            "doi": f"10.5281/zenodo.{10_000_000 + number}",
            "metadata": {"title": f"Dataset {number}"},
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "size")

        def page_url(page):
            parameters = {"q": query.get("q", ""), "sort": query.get("sort", ""), "page": page, "size": size}
            return f"{self.url}?{urlencode(parameters)}"

        links = {"self": page_url(number)}
        if number < last:
            links["next"] = page_url(number + 1)
        if number > 1:
            links["prev"] = page_url(number - 1)
        hits = {"hits": self.all_records()[start : start + size], "total": self.records}
        return 200, {}, {"hits": hits, "links": links, "aggregations": {"access_status": {"buckets": []}}}


class VonageApplications(BasicAuthVendor):
    """Vonage Application API v2 (``GET /v2/applications``; HTTP Basic, the API key and secret): HAL,
    ``{"page_size", "page", "total_items", "total_pages", "_embedded": {"applications": [...]},
    "_links": {"self", "first", "last", "next": {"href"}}}``; ``page`` (from 1) and ``page_size`` (10
    by default, 100 at most). https://developer.vonage.com/en/api/application.v2; from memory, not a
    stored page."""

    name = "vonage"
    records_path = "_embedded.applications"  # the explicit configuration's
    path = "/v2/applications"
    user = "abcd1234"
    api_key = "vonage-api-secret"
    records = 23
    page_size = 5  # 10 at Vonage

    def unauthorized(self):
        return (
            401,
            {"Content-Type": "application/problem+json"},
            {
                "type": "https://developer.nexmo.com/api-errors#unauthorized",
                "title": "Unauthorized",
                "detail": "You did not provide correct credentials.",
                "instance": "797a8f199c45014ab7b08bfe9cc1c12c",
            },
        )

    pagination = documented_pagination("page", size_param="page_size", total_pages_path="total_pages")

    def record(self, number):
        return {
            "id": f"78d335fa-323d-0114-9c3d-{number:012d}",
            "name": f"Application {number}",
            "capabilities": {},
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "page_size")

        def link(page):
            return {"href": f"{self.path}?{urlencode({'page_size': size, 'page': page})}"}

        links = {"self": link(number), "first": link(1), "last": link(last)}
        if number < last:
            links["next"] = link(number + 1)
        if number > 1:
            links["prev"] = link(number - 1)
        body = {
            "page_size": size,
            "page": number,
            "total_items": self.records,
            "total_pages": last,
            "_embedded": {"applications": self.all_records()[start : start + size]},
            "_links": links,
        }
        return 200, {}, body


class CompaniesHouseSearch(KeyAsUserVendor):
    """Companies House Public Data API company search (``GET /search/companies?q=...``; HTTP Basic, the
    API key as the user name, no password): ``{"items": [...], "items_per_page", "kind":
    "search#companies", "start_index", "total_results", "page_number"}``; ``items_per_page`` (20 by
    default) and ``start_index`` (from 0). Past its rate (600 requests in 5 minutes) HTTP 429.
    https://developer-specs.company-information.service.gov.uk/companies-house-public-data-api/reference/search/search-companies;
    from memory, not a stored page."""

    name = "companies-house"
    records_path = "items"  # the explicit configuration's
    path = "/search/companies"
    records = 23
    page_size = 5  # 20 at Companies House
    api_key = "companies-house-api-key-0123"

    def unauthorized(self):
        return 401, {}, {"error": "Invalid Authorization", "type": "ch:service"}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "auth_type": "basic_key",
            "query_params": {"q": "data"},
            "primary_key": "company_number",
        }

    pagination = documented_pagination(
        "offset", offset_param="start_index", limit_param="items_per_page", total_path="total_results"
    )

    def record(self, number):
        return {
            "company_number": f"{12_345_000 + number:08d}",
            "title": f"DATA COMPANY {number} LTD",
            "company_status": "active",
            "kind": "searchresults#company",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "items_per_page")
        start = int(query["start_index"]) if str(query.get("start_index", "")).isdigit() else 0
        body = {
            "items": self.all_records()[start : start + size],
            "items_per_page": size,
            "kind": "search#companies",
            "start_index": start,
            "total_results": self.records,
            "page_number": start // size + 1,
        }
        return 200, {}, body


class SparkPostSuppressionList(HeaderKeyVendor):
    """SparkPost suppression list search (``GET /api/v1/suppression-list``; the API key itself in
    ``Authorization``): ``{"results": [...], "links": [{"href", "rel"}], "total_count"}``, ``links`` a
    list naming ``first``, ``next``, ``previous``, ``last``; ``per_page`` (1,000 by default) and
    ``cursor`` (``initial`` first). https://developers.sparkpost.com/api/suppression-list/; from memory,
    not a stored page."""

    name = "sparkpost"
    records_path = "results"  # the explicit configuration's
    path = "/api/v1/suppression-list"
    auth_header = "Authorization"
    records = 23
    page_size = 5  # 1000 at SparkPost
    api_key = "sparkpost-api-key-0123456789abcdef"

    def unauthorized(self):
        return 401, {}, {"errors": [{"message": "Unauthorized."}]}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "recipient"}

    pagination = documented_pagination("next_url", next_url_path="links", size_param="per_page")

    def record(self, number):
        return {
            "recipient": f"bounced{number}@example.com",
            "type": "non_transactional",
            "source": "Manually Added",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "per_page")
        cursor = query.get("cursor", "initial")
        start = 0 if cursor == "initial" else _position(cursor, "sparkpost")
        if start is None:
            return 400, {}, {"errors": [{"message": "invalid cursor"}]}
        results = self.all_records()[start : start + size]

        def link(rel, position):
            token = _token(position, "sparkpost") if position else "initial"
            return {
                "href": f"{self.path}?{urlencode({'cursor': token, 'per_page': size})}",
                "rel": rel,
            }

        links = [link("first", 0)]
        if start + size < self.records:
            links.append(link("next", start + size))
        if start:
            links.append(link("previous", max(0, start - size)))
        return 200, {}, {"results": results, "links": links, "total_count": self.records}


class GooglePlacesTextSearch(QueryKeyVendor):
    """Google Places API (legacy) Text Search (``GET /maps/api/place/textsearch/json?query=...``; the
    key as ``key``): ``{"html_attributions": [], "results": [...], "next_page_token", "status": "OK"}``,
    20 results a page and 60 at most, no page size; the next page is asked for with ``pagetoken``
    alone. A token is valid only a short while after it is issued (about two seconds; a fraction of
    that here): asked for sooner, HTTP 200 ``{"html_attributions": [], "results": [], "status":
    "INVALID_REQUEST"}``. Every error is HTTP 200 with its ``status`` (``REQUEST_DENIED`` with an
    ``error_message`` for a bad key, ``OVER_QUERY_LIMIT``); no match is ``ZERO_RESULTS``.
    https://developers.google.com/maps/documentation/places/web-service/legacy/search-text; from
    memory, not a stored page."""

    name = "google-places"
    records_path = "results"  # the explicit configuration's
    path = "/maps/api/place/textsearch/json"
    records = 23
    page_size = 20  # fixed at Google
    api_key = "AIzaSyA-google-places-key-0123456789"
    token_delay = 0.3  # seconds before a next_page_token is valid (about 2 at Google)

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"query": "museums in Lisbon"},
            "primary_key": "place_id",
        }

    def explicit_fields(self):
        # one request every 0.55 s at most: a token is used only once it is valid
        return {**self.connector_fields(), "max_requests_per_second": 2}

    pagination = documented_pagination("cursor", cursor_path="next_page_token", cursor_param="pagetoken")

    def record(self, number):
        return {
            "place_id": f"ChIJ{number:04d}placeLisbonMuseum",
            "name": f"Museum {number}",
            "formatted_address": f"Rua {number}, Lisboa, Portugal",
        }

    def respond(self, path, query, headers):
        empty = {"html_attributions": [], "results": []}
        if query.get("key") != self.api_key:
            return (
                200,
                {},
                {**empty, "error_message": "The provided API key is invalid.", "status": "REQUEST_DENIED"},
            )
        if "pagetoken" in query:
            start = _position(query["pagetoken"], "places")
            issued = getattr(self, "issued", {}).get(query["pagetoken"])
            if start is None or issued is None or time.time() - issued < self.token_delay:
                return 200, {}, {**empty, "status": "INVALID_REQUEST"}
        elif query.get("query"):
            start = 0
        else:
            return 200, {}, {**empty, "status": "INVALID_REQUEST"}
        results = self.all_records()[:60][start : start + 20]
        if not results:
            return 200, {}, {**empty, "status": "ZERO_RESULTS"}
        body = {"html_attributions": [], "results": results, "status": "OK"}
        if start + 20 < min(self.records, 60):
            token = _token(start + 20, "places")
            with self._lock:
                self.issued = {**getattr(self, "issued", {}), token: time.time()}
            body["next_page_token"] = token
        return 200, {}, body


class CustomerIoSegmentMembership(VendorServer):
    """Customer.io App API, the people in a segment (``GET /v1/segments/{segment_id}/membership``; an
    App API key as Bearer): ``{"identifiers": [{"email", "id", "cio_id"}], "ids": [...], "next":
    "<token>"}``; ``limit`` (30,000 at most) and ``start``, the previous answer's ``next`` (a token,
    not a URL); ``ids`` repeats the people's ``id`` values, a list of strings. The endpoint, ``start``,
    ``limit`` and ``next`` through the search tool (docs.customer.io's App API reference); the last
    page's empty ``next`` from memory."""

    name = "customer-io"
    records_path = "identifiers"  # the explicit configuration's
    path = "/v1/segments/42/membership"
    records = 23
    page_size = 5  # not stated by Customer.io
    max_page_size = 30_000
    api_key = "customerio-app-api-key-0123"

    def unauthorized(self):
        return 401, {}, {"meta": {"error": "Unauthorized request"}}

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "cio_id"}

    pagination = documented_pagination("cursor", cursor_path="next", cursor_param="start", size_param="limit")

    def record(self, number):
        return {"email": f"person{number}@example.com", "id": str(number), "cio_id": f"a3000{number:05d}"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["start"], "customerio") if query.get("start") else 0
        if start is None:
            return 400, {}, {"meta": {"error": "invalid start token"}}
        people = self.all_records()[start : start + size]
        end = start + len(people)
        following = _token(end, "customerio") if end < self.records else ""
        return 200, {}, {"identifiers": people, "ids": [person["id"] for person in people], "next": following}


SIXTEENTH_VENDORS = (
    FhirPatientSearch,
    BitbucketDataCenterRepos,
    SugarCrmContacts,
    RedmineIssues,
    TravisCiBuilds,
    CratesIoCrates,
    SonarQubeIssues,
    OmdbSearch,
    OpenFdaDrugEvents,
    EuropePmcSearch,
    LaunchDarklyMembers,
    GuardianContentSearch,
    RickAndMortyCharacters,
    SpaceXLaunchesQuery,
    ZenodoRecords,
    VonageApplications,
    CompaniesHouseSearch,
    SparkPostSuppressionList,
    GooglePlacesTextSearch,
    CustomerIoSegmentMembership,
)
# On auto these end FAILED (or PARTIAL) naming what to configure: OMDb's page numbers (its answer
# names none), SonarQube's two lists (issues and components), Google Places' next_page_token asked
# for before it is valid (without a request budget); Customer.io's next token (no URL, its parameter
# unnamed) ends PARTIAL.
SIXTEENTH_VENDORS_NOT_ON_AUTO = (
    OmdbSearch,
    SonarQubeIssues,
    GooglePlacesTextSearch,
    CustomerIoSegmentMembership,
)
SIXTEENTH_VENDORS_ON_AUTO = tuple(
    vendor for vendor in SIXTEENTH_VENDORS if vendor not in SIXTEENTH_VENDORS_NOT_ON_AUTO
)


class SurveyMonkeySurveys(VendorServer):
    """SurveyMonkey API v3, the surveys of the account (``GET /v3/surveys``; an OAuth token as
    Bearer): ``{"data": [...], "per_page", "page", "total", "links": {"self", "prev", "next",
    "last"}}``; ``page`` and ``per_page`` (50 by default, 1,000 at most); the last page has no ``next``
    link. Errors ``{"error": {"id", "name", "docs", "message", "http_status_code"}}``; a 429 when the
    per-minute or per-day limit is spent. https://api.surveymonkey.com/v3/docs (Pagination), from
    memory: the search tool did not hold it."""

    name = "surveymonkey"
    records_path = "data"  # the explicit configuration's
    path = "/v3/surveys"
    records = 23
    page_size = 5  # 50 at SurveyMonkey
    max_page_size = 1000
    api_key = "surveymonkey-oauth-access-token"

    def unauthorized(self):
        error = {
            "id": "1011",
            "name": "Authorization Error",
            "docs": "https://developer.surveymonkey.com/api/v3/#error-codes",
            "message": "The authorization token provided was invalid.",
            "http_status_code": 401,
        }
        return 401, {}, {"error": error}

    pagination = documented_pagination("page", size_param="per_page", total_path="total")

    def record(self, number):
        return {
            "id": str(400_000_000 + number),
            "title": f"Survey {number}",
            "nickname": "",
            "href": f"https://api.surveymonkey.com/v3/surveys/{400_000_000 + number}",
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")

        def link(page):
            return f"{self.url}?{urlencode({'page': page, 'per_page': size})}"

        links = {"self": link(number), "last": link(last)}
        if number > 1:
            links["prev"] = link(number - 1)
        if number < last:
            links["next"] = link(number + 1)
        body = {
            "data": self.all_records()[start : start + size],
            "per_page": size,
            "page": number,
            "total": self.records,
            "links": links,
        }
        return 200, {}, body


class PinterestPins(VendorServer):
    """Pinterest API v5, the user's pins (``GET /v5/pins``; an OAuth token as Bearer): ``{"items":
    [...], "bookmark": "<token>"}``; ``page_size`` (25 by default, 250 at most) and ``bookmark``, the
    previous answer's; the last page's ``bookmark`` is null. Errors ``{"code", "message"}``; a 429 with
    ``{"code": 8, "message": "..."}``. https://developers.pinterest.com/docs/getting-started/
    pagination/, from memory: the search tool did not hold it."""

    name = "pinterest"
    records_path = "items"  # the explicit configuration's
    path = "/v5/pins"
    records = 23
    page_size = 5  # 25 at Pinterest
    max_page_size = 250
    api_key = "pina_pinterest-oauth-token"

    def unauthorized(self):
        return 401, {}, {"code": 2, "message": "Authentication failed."}

    pagination = documented_pagination(
        "cursor", cursor_path="bookmark", cursor_param="bookmark", size_param="page_size"
    )

    def record(self, number):
        return {
            "id": str(813_000_000_000 + number),
            "title": f"Pin {number}",
            "board_id": "549755885175",
            "created_at": "2026-01-02T03:04:05",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "page_size")
        start = _position(query["bookmark"], "pinterest") if query.get("bookmark") else 0
        if start is None:
            return 400, {}, {"code": 1, "message": "Invalid bookmark."}
        items = self.all_records()[start : start + size]
        end = start + len(items)
        return 200, {}, {"items": items, "bookmark": _token(end, "pinterest") if end < self.records else None}


class OutreachProspects(VendorServer):
    """Outreach API v2, prospects (``GET /api/v2/prospects``; an OAuth token as Bearer), JSON:API:
    ``{"data": [{"type": "prospect", "id", "attributes", "relationships", "links"}], "links": {"first",
    "prev", "next"}, "meta": {"count", "count_truncated"}}``; ``page[size]`` (50 by default, 1,000 at
    most); the next link carries ``page[after]``, a cursor, and is absent on the last page (Outreach
    moved from ``page[offset]`` to these cursors). Errors ``{"errors": [{"id", "title", "detail"}]}``.
    https://developers.outreach.io/api/making-requests/ (Pagination), from memory."""

    name = "outreach"
    records_path = "data"  # the explicit configuration's
    path = "/api/v2/prospects"
    records = 23
    page_size = 5  # 50 at Outreach
    max_page_size = 1000
    api_key = "outreach-oauth-access-token"

    def unauthorized(self):
        error = {"id": "unauthorizedRequest", "title": "Unauthorized Request", "detail": "Invalid token."}
        return 401, {"Content-Type": "application/vnd.api+json"}, {"errors": [error]}

    pagination = documented_pagination("next_url", next_url_path="links.next", size_param="page[size]")

    def record(self, number):
        return {
            "type": "prospect",
            "id": number,
            "attributes": {"firstName": f"Prospect{number}", "emails": [f"p{number}@example.com"]},
            "links": {"self": f"https://api.outreach.io/api/v2/prospects/{number}"},
        }

    def respond(self, path, query, headers):
        size = self.size(query, "page[size]")
        start = _position(query["page[after]"], "outreach") if query.get("page[after]") else 0
        if start is None:
            error = {"id": "badRequest", "title": "Bad Request", "detail": "Invalid page[after]."}
            return 400, {}, {"errors": [error]}
        data = self.all_records()[start : start + size]
        end = start + len(data)
        links = {"first": f"{self.url}?{urlencode({'page[size]': size})}"}
        if end < self.records:
            links["next"] = (
                f"{self.url}?{urlencode({'page[after]': _token(end, 'outreach'), 'page[size]': size})}"
            )
        body = {"data": data, "links": links, "meta": {"count": self.records, "count_truncated": False}}
        return 200, {"Content-Type": "application/vnd.api+json"}, body


class WorkableCandidates(VendorServer):
    """Workable SPI v3, candidates (``GET /spi/v3/candidates``; an access token as Bearer):
    ``{"candidates": [...], "paging": {"next": "<URL with since_id>"}}``; ``limit`` (50 by default,
    100 at most) and ``since_id``; no ``paging`` on the last page. A 429 once the ten requests in ten
    seconds are spent, with ``X-Rate-Limit-Reset``. https://workable.readme.io/reference/candidates,
    from memory: the search tool did not hold it."""

    name = "workable"
    records_path = "candidates"  # the explicit configuration's
    path = "/spi/v3/candidates"
    records = 23
    page_size = 5  # 50 at Workable
    api_key = "workable-spi-access-token"

    def unauthorized(self):
        return 401, {}, {"error": "Not authorized"}

    pagination = documented_pagination("next_url", next_url_path="paging.next", size_param="limit")

    def record(self, number):
        return {"id": f"{0x1A0 + number:x}", "name": f"Candidate {number}", "stage": "Applied"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        start = 0
        if query.get("since_id"):
            ids = [record["id"] for record in records]
            start = ids.index(query["since_id"]) if query["since_id"] in ids else len(records)
        candidates = records[start : start + size]
        body = {"candidates": candidates}
        if start + size < self.records:
            body["paging"] = {
                "next": f"{self.url}?{urlencode({'limit': size, 'since_id': records[start + size]['id']})}"
            }
        return 200, {}, body


class NetlifySites(VendorServer):
    """Netlify API, the sites (``GET /api/v1/sites``; a personal access token as Bearer): a JSON list;
    ``page`` and ``per_page`` (100 by default); a ``Link`` header with ``next`` (absent on the last
    page), ``last`` and ``first``. https://docs.netlify.com/api/get-started/ (Pagination), from
    memory."""

    name = "netlify"
    records_path = ""  # a bare list
    path = "/api/v1/sites"
    records = 23
    page_size = 5  # 100 at Netlify
    api_key = "nfp_netlify-personal-access-token"

    def unauthorized(self):
        return 401, {}, {"code": 401, "message": "Access Denied: your token is invalid"}

    pagination = documented_pagination("link_header", size_param="per_page")

    def record(self, number):
        return {"id": f"3970e0fe-8564-4903-9a55-{number:012d}", "name": f"site-{number}", "state": "current"}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "per_page")

        def link(page):
            return f"{self.url}?{urlencode({'page': page, 'per_page': size})}"

        links = [f'<{link(1)}>; rel="first"', f'<{link(last)}>; rel="last"']
        if number < last:
            links.insert(0, f'<{link(number + 1)}>; rel="next"')
        return 200, {"Link": ", ".join(links)}, self.all_records()[start : start + size]


class LinodeInstances(VendorServer):
    """Linode (Akamai) API v4, instances (``GET /v4/linode/instances``; a personal access token as
    Bearer): ``{"data": [...], "page", "pages", "results"}``; ``page`` and ``page_size`` (100 by
    default, 25 to 500). Errors ``{"errors": [{"reason", "field"}]}``; a 429 when rate limited.
    https://techdocs.akamai.com/linode-api/reference/pagination, from memory."""

    name = "linode"
    records_path = "data"  # the explicit configuration's
    path = "/v4/linode/instances"
    records = 23
    page_size = 5  # 100 at Linode, 25 at least
    max_page_size = 500
    api_key = "linode-personal-access-token"

    def unauthorized(self):
        return 401, {}, {"errors": [{"reason": "Invalid Token"}]}

    pagination = documented_pagination("page", size_param="page_size", total_pages_path="pages")

    def record(self, number):
        return {
            "id": 12_000_000 + number,
            "label": f"linode{number}",
            "region": "eu-central",
            "status": "running",
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "page_size")
        if number > last:
            return 200, {}, {"data": [], "page": number, "pages": last, "results": self.records}
        body = {
            "data": self.all_records()[start : start + size],
            "page": number,
            "pages": last,
            "results": self.records,
        }
        return 200, {}, body


class RechargeCustomers(HeaderKeyVendor):
    """Recharge API 2021-11, customers (``GET /customers``; the token in ``X-Recharge-Access-Token``,
    the version in ``X-Recharge-Version``): ``{"next_cursor", "previous_cursor", "customers": [...]}``;
    ``limit`` (50 by default, 250 at most) and ``cursor``, the previous answer's ``next_cursor``; a
    request with a cursor may carry no other filter than ``limit``; the last page's ``next_cursor`` is
    null. A 429 when the bucket is empty. https://developer.rechargepayments.com/2021-11/cursor_pagination,
    from memory."""

    name = "recharge"
    records_path = "customers"  # the explicit configuration's
    path = "/customers"
    auth_header = "X-Recharge-Access-Token"
    records = 23
    page_size = 5  # 50 at Recharge
    max_page_size = 250
    api_key = "recharge-api-token-0123456789"

    def unauthorized(self):
        return 401, {}, {"errors": "Invalid API token"}

    pagination = documented_pagination(
        "cursor", cursor_path="next_cursor", cursor_param="cursor", size_param="limit"
    )

    def record(self, number):
        return {"id": 90_000 + number, "email": f"customer{number}@example.com", "first_name": f"C{number}"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        if query.get("cursor"):
            if set(query) - {"cursor", "limit"}:
                return 422, {}, {"errors": "Only limit may be sent with cursor"}
            start = _position(query["cursor"], "recharge")
            if start is None:
                return 422, {}, {"errors": "Invalid cursor"}
        else:
            start = 0
        customers = self.all_records()[start : start + size]
        end = start + len(customers)
        body = {
            "next_cursor": _token(end, "recharge") if end < self.records else None,
            "previous_cursor": _token(max(0, start - size), "recharge") if start else None,
            "customers": customers,
        }
        return 200, {}, body


class SnipeItHardware(VendorServer):
    """Snipe-IT API v1, assets (``GET /api/v1/hardware``; a personal API token as Bearer): ``{"total",
    "rows": [...]}``; ``offset`` and ``limit`` (50 by default, the instance's ``MAX_RESULTS``, 500, at
    most). Snipe-IT answers HTTP 200 whenever the request itself is sound ("Philosophy" in its API
    overview): an error is ``{"status": "error", "messages": ..., "payload": null}`` with HTTP 200 (a
    filter naming a thing that is not there, here ``status_id``). https://snipe-it.readme.io/docs/
    api-overview (through the search tool); the list answer from memory."""

    name = "snipe-it"
    records_path = "rows"  # the explicit configuration's
    path = "/api/v1/hardware"
    records = 23
    page_size = 5  # 50 at Snipe-IT
    max_page_size = 500
    api_key = "snipe-it-personal-api-token"

    def unauthorized(self):
        return 401, {}, {"status": "error", "messages": "Unauthorized.", "payload": None}

    pagination = documented_pagination("offset", total_path="total")

    def record(self, number):
        return {
            "id": number,
            "name": f"Laptop {number}",
            "asset_tag": f"A{number:05d}",
            "serial": f"SN{number}",
        }

    def respond(self, path, query, headers):
        if query.get("status_id", "1") != "1":
            return 200, {}, {"status": "error", "messages": "Status label not found", "payload": None}
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        return 200, {}, {"total": self.records, "rows": self.all_records()[offset : offset + size]}


class XenditTransactions(BasicAuthVendor):
    """Xendit Transactions API (``GET /transactions``; the secret key as the Basic user, no password):
    ``{"has_more", "data": [...], "links": [{"href", "method", "rel": "next"}]}``; ``limit`` (10 by
    default, 50 at most) and ``after_id`` (the last transaction's id); the next link's ``href`` is a
    path with its query, and there is none on the last page (``has_more: false``, ``links: []``). Errors
    ``{"error_code", "message"}``. https://developers.xendit.co/api-reference/#list-transactions, from
    memory: the search tool did not hold it."""

    name = "xendit"
    records_path = "data"  # the explicit configuration's
    path = "/transactions"
    user = "xnd_development_secret_key_0123"
    api_key = ""
    records = 23
    page_size = 5  # 10 at Xendit
    max_page_size = 50

    def unauthorized(self):
        return (
            401,
            {},
            {"error_code": "INVALID_API_KEY", "message": "API key is not authorized for this API service"},
        )

    def connector_fields(self):
        return {**super().connector_fields(), "api_key": ""}

    pagination = documented_pagination(
        "cursor",
        cursor_from="last_record",
        cursor_field="id",
        cursor_param="after_id",
        has_more_path="has_more",
        size_param="limit",
    )

    def record(self, number):
        return {"id": f"txn_{number:032d}", "type": "PAYMENT", "status": "SUCCESS", "amount": number * 1000}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        start = 0
        if query.get("after_id"):
            ids = [record["id"] for record in records]
            if query["after_id"] not in ids:
                return 400, {}, {"error_code": "API_VALIDATION_ERROR", "message": "after_id is invalid"}
            start = ids.index(query["after_id"]) + 1
        data = records[start : start + size]
        more = start + size < self.records
        links = []
        if more:
            following = urlencode({"limit": size, "after_id": data[-1]["id"]})
            links.append({"href": f"{self.path}?{following}", "method": "GET", "rel": "next"})
        return 200, {}, {"has_more": more, "data": data, "links": links}


class FreshserviceTickets(BasicAuthVendor):
    """Freshservice API v2, tickets (``GET /api/v2/tickets``; the API key as the Basic user, ``X`` as
    the password): ``{"tickets": [...]}`` and a ``Link: <...?page=N>; rel="next"`` header while more
    pages exist; ``page`` and ``per_page`` (30 by default, 100 at most). A 429 with ``Retry-After``
    once the per-minute limit is spent. https://api.freshservice.com/ (Pagination), from memory."""

    name = "freshservice"
    requests_past_the_end = 3  # page links without a last one: pages sent ahead end at a short page
    records_path = "tickets"  # the explicit configuration's
    path = "/api/v2/tickets"
    api_key = "X"
    user = "freshservice-api-key-0123"
    records = 23
    page_size = 5  # 30 at Freshservice

    def unauthorized(self):
        return (
            401,
            {},
            {"code": "invalid_credentials", "message": "You have to be logged in to perform this action."},
        )

    pagination = documented_pagination("link_header", size_param="per_page")

    def record(self, number):
        return {"id": number, "subject": f"Ticket {number}", "status": 2, "priority": 1}

    def respond(self, path, query, headers):
        if self.refused_once(
            (int(query.get("page", 1)) - 1) * self.size(query, "per_page"), self.size(query, "per_page")
        ):
            return (
                429,
                {"Retry-After": "1"},
                {"message": "You have exceeded the limit of requests per minute"},
            )
        number, size, start, last = self.numbered_page(query, "per_page")
        headers_out = {}
        if number < last:
            headers_out["Link"] = (
                f'<{self.url}?{urlencode({"page": number + 1, "per_page": size})}>; rel="next"'
            )
        return 200, headers_out, {"tickets": self.all_records()[start : start + size]}


class MattermostUsers(VendorServer):
    """Mattermost API v4, users (``GET /api/v4/users``; a personal access token as Bearer): a JSON list
    with no total and no link; ``page`` counted from 0 and ``per_page`` (60 by default, 200 at most);
    a page past the last is an empty list. Errors ``{"id", "message", "detailed_error", "request_id",
    "status_code"}``. https://api.mattermost.com/ (Pagination: "page ... 0-based"), from memory."""

    name = "mattermost"
    records_path = ""  # a bare list
    path = "/api/v4/users"
    records = 23
    page_size = 60  # Mattermost's own: a bare list of 60 is all a sync on auto sees
    max_page_size = 200
    api_key = "mattermost-personal-access-token"

    def unauthorized(self):
        error = {
            "id": "api.context.session_expired.app_error",
            "message": "Invalid or expired session, please login again.",
            "detailed_error": "",
            "request_id": "pq4xwb5bx7fpbcy1yf6wqqfw5h",
            "status_code": 401,
        }
        return 401, {}, error

    pagination = documented_pagination("page", start_page=0, size_param="per_page")

    def record(self, number):
        return {"id": f"{number:026d}", "username": f"user{number}", "email": f"user{number}@example.com"}

    def respond(self, path, query, headers):
        size = self.size(query, "per_page")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 0
        return 200, {}, self.all_records()[number * size : (number + 1) * size]


class RocketChatUsers(HeaderKeyVendor):
    """Rocket.Chat REST API, users (``GET /api/v1/users.list``; ``X-Auth-Token`` and ``X-User-Id``
    headers): ``{"users": [...], "count", "offset", "total", "success": true}``; ``offset`` and
    ``count``, the page size (50 by default); ``count`` in the answer is the page's. An error is HTTP
    400 or 401 with ``{"success": false, "error"}``; a 429 with ``X-RateLimit-Reset`` in epoch
    milliseconds. https://developer.rocket.chat/apidocs/get-users-list (Query Parameters: offset,
    count), from memory."""

    name = "rocket-chat"
    window_seconds = 1.5  # the rate limit's window, once rate_limited_on_page is set
    records_path = "users"  # the explicit configuration's
    path = "/api/v1/users.list"
    auth_header = "X-Auth-Token"
    user_id = "aobEdbYhXfu5hkeqG"
    records = 23
    page_size = 5  # 50 at Rocket.Chat
    api_key = "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq"

    def authorized(self, headers):
        return super().authorized(headers) and headers.get("X-User-Id") == self.user_id

    def unauthorized(self):
        return 401, {}, {"status": "error", "message": "You must be logged in to do this."}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_headers": {"X-User-Id": self.user_id},
            "primary_key": "_id",
        }

    pagination = documented_pagination("offset", limit_param="count", total_path="total")

    def record(self, number):
        return {"_id": f"user{number:013d}", "username": f"user{number}", "active": True}

    def respond(self, path, query, headers):
        size = self.size(query, "count")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        if self.window_closed(offset, size, whole_seconds=False):
            limits = {
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(int(self.closed_until * 1000)),
            }
            seconds = max(1, round(self.closed_until - time.time()))
            message = (
                "Error, too many requests. Please slow down. You must wait "
                f"{seconds} seconds before trying this endpoint again. [error-too-many-requests]"
            )
            return 429, limits, {"success": False, "error": message}
        users = self.all_records()[offset : offset + size]
        body = {"users": users, "count": len(users), "offset": offset, "total": self.records, "success": True}
        return 200, {}, body


class MatrixRoomMessages(VendorServer):
    """Matrix Client-Server API v3, a room's messages (``GET /_matrix/client/v3/rooms/{roomId}/
    messages?dir=f``; an access token as Bearer): ``{"chunk": [...], "start", "end", "state"}``;
    ``from`` (the previous answer's ``end``), ``dir`` (required: ``f`` forwards) and ``limit`` (10 by
    default); "If no further events are available (either because we have reached the start of the
    timeline, or because the user does not have permission to see any more events), this property is
    omitted from the response" (``end``). A rate limit is 429 ``{"errcode": "M_LIMIT_EXCEEDED",
    "error", "retry_after_ms"}``, the wait in the body alone (a ``Retry-After`` header beside it came with
    spec v1.10; older homeservers send none). https://spec.matrix.org/v1.11/client-server-api/#get_matrixclientv3roomsroomidmessages,
    from memory."""

    name = "matrix"
    window_seconds = 1.5  # the rate limit's window, once rate_limited_on_page is set
    records_path = "chunk"  # the explicit configuration's
    path = "/_matrix/client/v3/rooms/!636q39766251:example.com/messages"
    records = 23
    page_size = 5  # 10 at a Matrix homeserver
    api_key = "syt_matrix_access_token"

    def unauthorized(self):
        return 401, {}, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed."}

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"dir": "f"}, "primary_key": "event_id"}

    pagination = documented_pagination("cursor", cursor_path="end", cursor_param="from", size_param="limit")

    def record(self, number):
        return {
            "event_id": f"$143273582443PhrSn{number:04d}:example.org",
            "type": "m.room.message",
            "sender": "@example:example.org",
            "origin_server_ts": 1_432_735_824_653 + number,
            "content": {"body": f"message {number}", "msgtype": "m.text"},
        }

    def respond(self, path, query, headers):
        if query.get("dir") not in ("f", "b"):
            return 400, {}, {"errcode": "M_MISSING_PARAM", "error": "Missing dir parameter"}
        size = self.size(query, "limit")
        start = _position(query["from"], "matrix") if query.get("from") else 0
        if start is None:
            return 400, {}, {"errcode": "M_INVALID_PARAM", "error": "Invalid from token"}
        if self.window_closed(start, size, whole_seconds=False):
            wait_ms = max(1, int((self.closed_until - time.time()) * 1000))
            return (
                429,
                {},
                {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": wait_ms},
            )
        chunk = self.all_records()[start : start + size]
        end = start + len(chunk)
        body = {"chunk": chunk, "start": _token(start, "matrix"), "state": []}
        if end < self.records:
            body["end"] = _token(end, "matrix")
        return 200, {}, body


class MastodonAccountStatuses(VendorServer):
    """Mastodon API, an account's statuses (``GET /api/v1/accounts/:id/statuses``; an access token as
    Bearer): a JSON list, newest first; ``limit`` (20 by default, 40 at most), ``max_id`` / ``min_id``
    / ``since_id``; a ``Link`` header with ``next`` (``max_id`` of the last status) and ``prev``
    (``min_id`` of the first), the ``next`` only while the page is full. A 429 ``{"error": "Too many
    requests"}`` with ``X-RateLimit-Remaining: 0`` and ``X-RateLimit-Reset``, an ISO 8601 time
    (``2026-12-07T13:20:00.000Z``): "Timestamp when your rate limit will reset". https://docs.joinmastodon.org/api/guidelines/#pagination,
    from memory."""

    name = "mastodon"
    window_seconds = 1.5  # the rate limit's window, once rate_limited_on_page is set
    records_path = ""  # a bare list
    path = "/api/v1/accounts/109302436954721982/statuses"
    records = 23
    page_size = 5  # 20 at Mastodon
    max_page_size = 40
    api_key = "mastodon-access-token"

    def unauthorized(self):
        return 401, {}, {"error": "The access token is invalid"}

    pagination = documented_pagination("link_header", size_param="limit")

    def record(self, number):
        # newest first: record 1 has the highest id
        return {
            "id": str(110_000_000_000_000_000 - number),
            "content": f"<p>status {number}</p>",
            "visibility": "public",
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        start = 0
        if query.get("max_id"):
            start = sum(1 for record in records if int(record["id"]) >= int(query["max_id"]))
        if self.window_closed(start, size, whole_seconds=False):
            reset = datetime.fromtimestamp(self.closed_until, UTC).isoformat(timespec="milliseconds")
            limits = {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
            }
            return 429, limits, {"error": "Too many requests"}
        page = records[start : start + size]
        links = []
        if len(page) == size:
            links.append(f'<{self.url}?{urlencode({"limit": size, "max_id": page[-1]["id"]})}>; rel="next"')
        if page:
            links.append(f'<{self.url}?{urlencode({"limit": size, "min_id": page[0]["id"]})}>; rel="prev"')
        return 200, {"Link": ", ".join(links)} if links else {}, page


class GiteaRepoIssues(HeaderKeyVendor):
    """Gitea (and Forgejo) API v1, a repository's issues (``GET /api/v1/repos/{owner}/{repo}/issues``;
    ``Authorization: token <token>``): a JSON list; ``page`` and ``limit`` (the instance's
    ``DEFAULT_PAGING_NUM``, 30, and ``MAX_RESPONSE_ITEMS``, 50); ``X-Total-Count`` and a ``Link`` header
    with ``next`` and ``last`` (absent on the last page), ``first`` and ``prev``.
    https://docs.gitea.com/development/api-usage (Pagination), from memory."""

    name = "gitea"
    records_path = ""  # a bare list
    path = "/api/v1/repos/data/pipeline/issues"
    auth_header = "Authorization"
    records = 23
    page_size = 5  # 30 at Gitea
    max_page_size = 50
    api_key = "token 0123456789abcdef0123456789abcdef01234567"

    def unauthorized(self):
        return 401, {}, {"message": "token is required", "url": "https://gitea.example.com/api/swagger"}

    pagination = documented_pagination("link_header", size_param="limit")

    def record(self, number):
        return {"id": 5_000 + number, "number": number, "title": f"Issue {number}", "state": "open"}

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "limit")

        def link(page):
            return f"{self.url}?{urlencode({'limit': size, 'page': page})}"

        links = []
        if number < last:
            links += [f'<{link(number + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if number > 1:
            links += [f'<{link(1)}>; rel="first"', f'<{link(number - 1)}>; rel="prev"']
        out = {"X-Total-Count": str(self.records)}
        if links:
            out["Link"] = ",".join(links)
        return 200, out, self.all_records()[start : start + size]


class BitriseApps(VendorServer):
    """Bitrise API v0.1, the apps (``GET /v0.1/apps``; a personal access token in ``Authorization``,
    no scheme): ``{"data": [...], "paging": {"total_item_count", "page_item_limit", "next"}}``;
    ``limit`` (50 by default and at most) and ``next``, the previous answer's ``paging.next`` (the
    slug of the next page's first app), which is "only included if there's at least one more page".
    https://docs.bitrise.io/en/bitrise-ci/api/pagination-of-api-calls.html (through the search
    tool)."""

    name = "bitrise"
    records_path = "data"  # the explicit configuration's
    path = "/v0.1/apps"
    records = 23
    page_size = 5  # 50 at Bitrise
    max_page_size = 50
    api_key = "bitrise-personal-access-token"

    def authorized(self, headers):
        return headers.get("Authorization") == self.api_key

    def unauthorized(self):
        return 401, {}, {"message": "Unauthorized"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": self.api_key,
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "primary_key": "slug",
        }

    pagination = documented_pagination(
        "cursor", cursor_path="paging.next", cursor_param="next", size_param="limit"
    )

    def record(self, number):
        return {
            "slug": f"{number:016x}",
            "title": f"App {number}",
            "project_type": "ios",
            "is_disabled": False,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        start = 0
        if query.get("next"):
            slugs = [record["slug"] for record in records]
            if query["next"] not in slugs:
                return 400, {}, {"message": "Invalid next"}
            start = slugs.index(query["next"])
        data = records[start : start + size]
        paging = {"total_item_count": self.records, "page_item_limit": size}
        if start + size < self.records:
            paging["next"] = records[start + size]["slug"]
        return 200, {}, {"data": data, "paging": paging}


class MeilisearchSearch(VendorServer):
    """Meilisearch, an index's search (``POST /indexes/{uid}/search``; an API key as Bearer): with
    ``offset`` / ``limit`` (20 by default) in the body, ``{"hits": [...], "query", "processingTimeMs",
    "limit", "offset", "estimatedTotalHits"}``; with ``page`` / ``hitsPerPage`` instead, ``{"hits",
    "query", "processingTimeMs", "hitsPerPage", "page", "totalPages", "totalHits"}`` (exhaustive).
    Hits past ``pagination.maxTotalHits`` (1,000) are never returned. Errors ``{"message", "code",
    "type", "link"}``. https://www.meilisearch.com/docs/reference/api/search, from memory. Both counts
    are capped at the index's ``maxTotalHits`` too (Meilisearch's ``number_of_hits = min(candidates,
    max_total_hits)``), so a search past the cap looks complete: ``max_total_hits`` here, 1,000 as
    Meilisearch's default (https://www.meilisearch.com/docs/learn/front_end/pagination)."""

    name = "meilisearch"
    max_total_hits = 1000
    requests_past_the_end = 3  # estimatedTotalHits is an estimate, no end: offsets sent ahead go past it
    records_path = "hits"  # the explicit configuration's
    path = "/indexes/movies/search"
    records = 23
    page_size = 5  # 20 at Meilisearch
    max_page_size = 1000
    api_key = "meilisearch-search-api-key"

    def unauthorized(self):
        error = {
            "message": "The provided API key is invalid.",
            "code": "invalid_api_key",
            "type": "auth",
            "link": "https://docs.meilisearch.com/errors#invalid_api_key",
        }
        return 403, {}, error

    def connector_fields(self):
        return {**super().connector_fields(), "request_method": "POST", "request_body": {"q": ""}}

    pagination = documented_pagination(
        "page", page_param="page", size_param="hitsPerPage", total_pages_path="totalPages"
    )

    def record(self, number):
        return {"id": number, "title": f"Movie {number}", "genres": ["Drama"]}

    def respond(self, path, query, headers):
        return 405, {}, {"message": "Method not allowed."}

    def respond_post(self, path, body, headers):
        counted = min(self.records, self.max_total_hits)
        servable = self.all_records()[:counted]
        if "page" in body or "hitsPerPage" in body:
            size = self.serves(int(body.get("hitsPerPage") or 20), body.get("hitsPerPage"))
            number = int(body.get("page") or 1)
            pages = -(-counted // size)
            hits = servable[(number - 1) * size : number * size]
            answer = {
                "hits": hits,
                "query": body.get("q", ""),
                "processingTimeMs": 1,
                "hitsPerPage": size,
                "page": number,
                "totalPages": pages,
                "totalHits": counted,
            }
            return 200, {}, answer
        size = self.serves(int(body.get("limit") or self.page_size), body.get("limit"))
        offset = int(body.get("offset") or 0)
        answer = {
            "hits": servable[offset : offset + size],
            "query": body.get("q", ""),
            "processingTimeMs": 1,
            "limit": size,
            "offset": offset,
            "estimatedTotalHits": counted,
        }
        return 200, {}, answer


class MeilisearchDocuments(MeilisearchSearch):
    """Meilisearch, an index's documents (``GET /indexes/{uid}/documents?offset=&limit=``, 20 by default;
    an API key as Bearer): ``{"results": [...], "offset", "limit", "total"}``, ``total`` the index's
    exact count, never capped by ``maxTotalHits``; ``fields`` and ``filter`` may narrow it.
    https://www.meilisearch.com/docs/reference/api/documents, from memory."""

    name = "meilisearch-documents"
    requests_past_the_end = 0
    records_path = "results"
    path = "/indexes/movies/documents"

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "bearer"}

    pagination = documented_pagination("offset")

    def respond(self, path, query, headers):
        size = self.size(query, "limit")  # 20 at Meilisearch
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        answer = {
            "results": self.all_records()[offset : offset + size],
            "offset": offset,
            "limit": size,
            "total": self.records,
        }
        return 200, {}, answer

    def respond_post(self, path, body, headers):
        return 405, {}, {"message": "Method not allowed."}


class TypesenseSearch(HeaderKeyVendor):
    """Typesense, a collection's search (``GET /collections/{name}/documents/search?q=*&query_by=...``;
    the key in ``X-TYPESENSE-API-KEY``): ``{"facet_counts", "found", "out_of", "page",
    "request_params": {"collection_name", "per_page", "q"}, "search_time_ms", "hits": [{"document",
    "highlights", "text_match"}]}``; ``page`` and ``per_page`` (10 by default, 250 at most). Errors
    ``{"message"}``. https://typesense.org/docs/latest/api/search.html, from memory."""

    name = "typesense"
    records_path = "hits"  # the explicit configuration's
    path = "/collections/books/documents/search"
    auth_header = "X-TYPESENSE-API-KEY"
    records = 23
    page_size = 5  # 10 at Typesense
    max_page_size = 250
    api_key = "typesense-search-only-key"

    def unauthorized(self):
        return 401, {}, {"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"q": "*", "query_by": "title"},
            "primary_key": "document.id",
        }

    pagination = documented_pagination("page", size_param="per_page", total_path="found")

    def record(self, number):
        return {
            "document": {"id": str(number), "title": f"Book {number}", "publication_year": 1900 + number},
            "highlights": [],
            "text_match": 100,
        }

    def respond(self, path, query, headers):
        if not query.get("q") or not query.get("query_by"):
            return 400, {}, {"message": "Parameter `q` is required."}
        number, size, start, last = self.numbered_page(query, "per_page")
        body = {
            "facet_counts": [],
            "found": self.records,
            "out_of": self.records,
            "page": number,
            "request_params": {"collection_name": "books", "per_page": size, "q": query["q"]},
            "search_cutoff": False,
            "search_time_ms": 0,
            "hits": self.all_records()[start : start + size],
        }
        return 200, {}, body


class PocketBaseRecords(VendorServer):
    """PocketBase, a collection's records (``GET /api/collections/{collection}/records``; a
    superuser's or user's token in ``Authorization``): ``{"page", "perPage", "totalItems",
    "totalPages", "items": [...]}``; ``page`` and ``perPage`` (30 by default, 1,000 at most); with
    ``skipTotal=1`` the count is skipped and ``totalItems`` and ``totalPages`` are ``-1``. Errors
    ``{"status", "message", "data"}``. https://pocketbase.io/docs/api-records/ (List/Search records),
    from memory (the search tool found only the SDKs' ``totalItems`` / ``skipTotal``)."""

    name = "pocketbase"
    records_path = "items"  # the explicit configuration's
    path = "/api/collections/posts/records"
    records = 23
    page_size = 5  # 30 at PocketBase
    max_page_size = 1000
    api_key = "pocketbase-auth-token"

    def authorized(self, headers):
        return headers.get("Authorization") in (self.api_key, f"Bearer {self.api_key}")

    def unauthorized(self):
        return 403, {}, {"status": 403, "message": "Only superusers can perform this action.", "data": {}}

    pagination = documented_pagination("page", size_param="perPage", total_pages_path="totalPages")

    def record(self, number):
        return {
            "id": f"r{number:014d}",
            "collectionId": "pbc_1234567890",
            "collectionName": "posts",
            "title": f"Post {number}",
        }

    def respond(self, path, query, headers):
        number, size, start, last = self.numbered_page(query, "perPage")
        skip = query.get("skipTotal") in ("1", "true")
        body = {
            "page": number,
            "perPage": size,
            "totalItems": -1 if skip else self.records,
            "totalPages": -1 if skip else last,
            "items": self.all_records()[start : start + size],
        }
        return 200, {}, body


class KeapContacts(VendorServer):
    """Keap (Infusionsoft) REST API v1, contacts (``GET /crm/rest/v1/contacts``; an OAuth token as
    Bearer): ``{"contacts": [...], "count", "next", "previous"}``; ``limit`` (1,000 by default and at
    most) and ``offset``; ``next`` and ``previous`` are URLs with the following and preceding
    ``offset``, and ``next`` is there on the last page too (asked for, it answers no contacts and a
    ``next`` again); ``count`` is the whole list's. From memory: the search tool found only a workflow
    reading its ``contacts``."""

    name = "keap"
    records_path = "contacts"  # the explicit configuration's
    path = "/crm/rest/v1/contacts"
    records = 23
    page_size = 5  # 1,000 at Keap
    max_page_size = 1000
    api_key = "keap-oauth-access-token"

    def unauthorized(self):
        return 401, {}, {"message": "Invalid Access Token"}

    pagination = documented_pagination("offset", total_path="count")

    def record(self, number):
        return {
            "id": number,
            "given_name": f"Given{number}",
            "email_addresses": [{"email": f"c{number}@example.com"}],
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0

        def link(start):
            return f"{self.base}{self.path}/?{urlencode({'limit': size, 'offset': start})}"

        body = {
            "contacts": self.all_records()[offset : offset + size],
            "count": self.records,
            "next": link(offset + size),
            "previous": link(max(0, offset - size)),
        }
        return 200, {}, body


class ZulipMessages(BasicAuthVendor):
    """Zulip REST API, messages (``GET /api/v1/messages``; the bot's email and API key as HTTP Basic):
    ``{"result": "success", "msg": "", "anchor", "found_anchor", "found_oldest", "found_newest",
    "history_limited", "messages": [...]}``; ``anchor`` (a message id, or ``oldest`` / ``newest`` /
    ``first_unread``), ``num_before`` and ``num_after`` (required: the page, 5,000 at most) and
    ``include_anchor`` (true by default). Read forwards from ``oldest``: the next page's ``anchor`` is
    the last message's id with ``include_anchor=false``, until ``found_newest`` is true. Errors HTTP
    400 ``{"result": "error", "msg", "code"}``; a 429 ``{"result": "error", "msg": "API usage exceeded
    rate limit", "retry-after", "code": "RATE_LIMIT_HIT"}`` with ``Retry-After``.
    https://zulip.com/api/get-messages, from memory."""

    name = "zulip"
    records_path = "messages"  # the explicit configuration's
    path = "/api/v1/messages"
    user = "export-bot@example.zulipchat.com"
    api_key = "zulip-bot-api-key-0123"
    records = 23
    page_size = 5  # num_after: no default at Zulip

    def unauthorized(self):
        return 401, {}, {"result": "error", "msg": "Invalid API key", "code": "INVALID_API_KEY"}

    def connector_fields(self):
        query = {
            "anchor": "oldest",
            "num_before": "0",
            "num_after": str(self.page_size),
            "include_anchor": "false",
        }
        return {**super().connector_fields(), "query_params": query}

    pagination = documented_pagination(
        "cursor", cursor_from="last_record", cursor_field="id", cursor_param="anchor"
    )

    def record(self, number):
        return {"id": 100 + number, "sender_email": "iago@zulip.com", "content": f"<p>message {number}</p>"}

    def respond(self, path, query, headers):
        if not str(query.get("num_after", "")).isdigit() or not str(query.get("num_before", "")).isdigit():
            return (
                400,
                {},
                {
                    "result": "error",
                    "msg": "Missing 'num_after' argument",
                    "code": "REQUEST_VARIABLE_MISSING",
                },
            )
        records = self.all_records()
        ids = [record["id"] for record in records]
        anchor = query.get("anchor", "first_unread")
        include = query.get("include_anchor", "true") != "false"
        if anchor == "oldest":
            at, found = 0, False
        elif anchor == "newest":
            at, found = len(ids) - 1, True
        elif anchor.isdigit():
            at = sum(1 for record_id in ids if record_id < int(anchor))
            found = at < len(ids) and ids[at] == int(anchor)
        else:
            return 400, {}, {"result": "error", "msg": "Invalid anchor", "code": "BAD_REQUEST"}
        before, after = min(int(query["num_before"]), 5000), min(int(query["num_after"]), 5000)
        first = max(0, at - before)
        middle = [at] if found and include else []
        following = at + 1 if found else at
        indexes = list(range(first, at)) + middle + list(range(following, min(len(ids), following + after)))
        body = {
            "result": "success",
            "msg": "",
            "anchor": ids[at] if found else 0,
            "found_anchor": found,
            "found_oldest": first == 0,
            "found_newest": following + after >= len(ids),
            "history_limited": False,
            "messages": [records[index] for index in indexes],
        }
        return 200, {}, body


class PodioFilteredItems(VendorServer):
    """Podio, an app's items filtered (``POST /item/app/{app_id}/filter/``; an OAuth token as
    ``Authorization: OAuth2 <token>``): ``{"total", "filtered", "items": [...]}`` where ``total`` counts
    every item of the app and ``filtered`` those the filter matches; ``limit`` (30 by default, 500 at
    most) and ``offset`` in the body. https://developers.podio.com/doc/items/filter-items-4496747, from
    memory."""

    name = "podio"
    records_path = "items"  # the explicit configuration's
    path = "/item/app/2801/filter/"
    records = 23  # the items the filter matches
    app_items = 61  # every item of the app
    page_size = 5  # 30 at Podio
    max_page_size = 500
    api_key = "podio-oauth-token"

    def authorized(self, headers):
        return headers.get("Authorization") == f"OAuth2 {self.api_key}"

    def unauthorized(self):
        return 401, {}, {"error": "invalid_grant", "error_description": "expired_token", "error_detail": None}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"OAuth2 {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
            "request_method": "POST",
            "request_body": {"filters": {"status": ["open"]}},
            "primary_key": "item_id",
        }

    pagination = documented_pagination("offset", total_path="filtered")

    def record(self, number):
        return {"item_id": 900_000 + number, "app_item_id": number, "title": f"Item {number}"}

    def respond(self, path, query, headers):
        return 405, {}, {"error": "method_not_allowed"}

    def respond_post(self, path, body, headers):
        size = min(int(body.get("limit") or 30), self.max_page_size) if "limit" in body else self.page_size
        self.serves(size, body.get("limit"))
        offset = int(body.get("offset") or 0)
        items = self.all_records()[offset : offset + size]
        return 200, {}, {"total": self.app_items, "filtered": self.records, "items": items}


class BambooHrDirectory(BasicAuthVendor):
    """BambooHR, the employee directory (``GET /api/gateway.php/{company}/v1/employees/directory``; the
    API key as the Basic user, ``x`` as the password; ``Accept: application/json``): ``{"fields":
    [{"id", "type", "name"}], "employees": [...]}``, every employee at once, no pagination.
    https://documentation.bamboohr.com/reference/get-employees-directory-1, from memory."""

    name = "bamboohr"
    records_path = "employees"  # the explicit configuration's
    path = "/api/gateway.php/acme/v1/employees/directory"
    user = "bamboohr-api-key-0123"
    api_key = "x"
    records = 23
    page_size = 23  # the whole directory

    def unauthorized(self):
        return 401, {"Content-Type": "text/html"}, b""

    pagination = documented_pagination("none")

    def record(self, number):
        return {"id": str(number), "displayName": f"Employee {number}", "jobTitle": "Engineer"}

    def respond(self, path, query, headers):
        fields = [
            {"id": "displayName", "type": "text", "name": "Display name"},
            {"id": "jobTitle", "type": "list", "name": "Job title"},
        ]
        return 200, {}, {"fields": fields, "employees": self.all_records()}


class InsightlyContacts(BasicAuthVendor):
    """Insightly CRM API v3.1, contacts (``GET /v3.1/Contacts``; the API key as the Basic user, no
    password): a JSON list; ``skip`` and ``top`` (the page, 500 at most; 500 too when it is not
    asked for) and ``count_total=true``, which adds an ``X-Total-Count`` header. Other query parameters
    are ignored. https://api.insightly.com/v3.1/Help (Pagination), from memory."""

    name = "insightly"
    records_path = ""  # a bare list
    path = "/v3.1/Contacts"
    user = "insightly-api-key-0123"
    api_key = ""
    records = 23
    page_size = 5  # 500 at Insightly
    max_page_size = 500

    def unauthorized(self):
        return 401, {}, {"Message": "Authorization has been denied for this request."}

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "api_key": "",
            "query_params": {"count_total": "true"},
            "primary_key": "CONTACT_ID",
        }

    pagination = documented_pagination("offset", offset_param="skip", limit_param="top")

    def record(self, number):
        return {"CONTACT_ID": 70_000 + number, "FIRST_NAME": f"First{number}", "LAST_NAME": f"Last{number}"}

    def respond(self, path, query, headers):
        size = self.size(query, "top")
        skip = int(query["skip"]) if str(query.get("skip", "")).isdigit() else 0
        out = {"X-Total-Count": str(self.records)} if query.get("count_total") == "true" else {}
        return 200, out, self.all_records()[skip : skip + size]


class TelegramGetUpdates(PublicVendor):
    """Telegram Bot API, ``getUpdates`` (``GET /bot<token>/getUpdates``: the token in the path):
    ``{"ok": true, "result": [{"update_id", "message"}]}``; ``offset`` ("must be greater by one than the
    highest among the identifiers of previously received updates"; an update at or after it is
    returned, and those before it are confirmed), ``limit`` (1-100, 100 by default) and ``timeout`` (0:
    no long poll); an empty ``result`` when nothing is left. Errors ``{"ok": false, "error_code",
    "description"}`` with that status; a flood limit is 429 with ``"parameters": {"retry_after": N}``
    in the body and no ``Retry-After`` header. https://core.telegram.org/bots/api#getupdates and
    #responseparameters, from memory."""

    name = "telegram"
    records_path = "result"  # the explicit configuration's
    path_template = "/bot{token}/getUpdates"
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    records = 23
    page_size = 100  # Telegram's own: an answer of 100 is all a sync on auto sees
    window_seconds = 1.5  # the flood limit's window, once rate_limited_on_page is set

    @property
    def path(self):
        return self.path_template.format(token=self.token)

    def connector_fields(self):
        endpoint = self.base + self.path_template.format(token="{secret:token}")
        return {
            "api_endpoint": endpoint,
            "auth_type": "none",
            "secret_params": json.dumps(
                {"path": {"token": self.token}}
            ),  # the model's text, as the API saves it
            "query_params": {"timeout": "0"},
            "primary_key": "update_id",
        }

    pagination = documented_pagination(
        "cursor",
        cursor_from="last_record",
        cursor_field="update_id",
        cursor_param="offset",
        size_param="limit",
    )

    def record(self, number):
        return {
            "update_id": 846_000_000 + number,
            "message": {"message_id": number, "text": f"hello {number}"},
        }

    def respond(self, path, query, headers):
        if path != self.path:
            return 401, {}, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        size = min(self.size(query, "limit"), 100)
        records = self.all_records()
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        start = sum(1 for record in records if record["update_id"] < offset)
        if self.window_closed(start, size, whole_seconds=False):
            seconds = max(1, -int(-(self.closed_until - time.time()) // 1))  # whole seconds, rounded up
            error = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {seconds}",
                "parameters": {"retry_after": seconds},
            }
            return 429, {}, error
        return 200, {}, {"ok": True, "result": records[start : start + size]}


SEVENTEENTH_VENDORS = (
    SurveyMonkeySurveys,
    PinterestPins,
    OutreachProspects,
    WorkableCandidates,
    NetlifySites,
    LinodeInstances,
    RechargeCustomers,
    SnipeItHardware,
    XenditTransactions,
    FreshserviceTickets,
    MattermostUsers,
    RocketChatUsers,
    MatrixRoomMessages,
    MastodonAccountStatuses,
    GiteaRepoIssues,
    BitriseApps,
    MeilisearchSearch,
    TypesenseSearch,
    PocketBaseRecords,
    KeapContacts,
    ZulipMessages,
    PodioFilteredItems,
    BambooHrDirectory,
    InsightlyContacts,
    TelegramGetUpdates,
)
# Their end is told by a short page only (no total, no last link; Meilisearch's estimatedTotalHits is an
# estimate, not read as a total): offsets or pages sent ahead may go past it.
SEVENTEENTH_VENDORS_PAST_THE_END = (FreshserviceTickets, MeilisearchSearch)
# On auto these end FAILED or PARTIAL naming what to configure: Zulip's next anchor (the last message's
# id: found_newest false), BambooHR's directory (two lists of objects, fields and employees),
# Insightly's skip / top (offset sent as "offset", ignored: the second page repeats the first).
SEVENTEENTH_VENDORS_NOT_ON_AUTO = (ZulipMessages, BambooHrDirectory, InsightlyContacts)
SEVENTEENTH_VENDORS_ON_AUTO = tuple(
    vendor
    for vendor in SEVENTEENTH_VENDORS
    if vendor not in SEVENTEENTH_VENDORS_PAST_THE_END + SEVENTEENTH_VENDORS_NOT_ON_AUTO
)


class BuildkiteBuilds(VendorServer):
    """Buildkite REST API v2, an organization's builds (``GET /v2/organizations/{org}/builds``; an API
    access token as Bearer): a JSON list; ``page`` and ``per_page`` (30 by default, 100 at most) and a
    ``Link`` header with ``next``, ``prev``, ``first`` and ``last``, no ``next`` on the last page. Over
    200 requests a minute an organization gets 429 with ``RateLimit-Remaining: 0`` and
    ``RateLimit-Reset``, the seconds until its window starts again.
    https://buildkite.com/docs/apis/rest-api/limits (rate limits); the Link header from memory."""

    name = "buildkite"
    records_path = ""  # a bare list
    path = "/v2/organizations/acme/builds"
    records = 23
    page_size = 5  # 30 at Buildkite
    api_key = "bkua_0123456789abcdef0123456789abcdef01234567"
    window_seconds = 1.5

    pagination = documented_pagination("link_header", size_param="per_page")

    def record(self, number):
        return {"id": f"0190b3c4-{number:04d}-4f4e-9a33-7c1d2b3a4e5f", "number": number, "state": "passed"}

    def respond(self, path, query, headers):
        number, size, start, pages = self.numbered_page(query, "per_page")
        if self.window_closed(start, size, whole_seconds=False):
            reset = max(1, -int(-(self.closed_until - time.time()) // 1))  # whole seconds, rounded up
            limits = {"RateLimit-Remaining": "0", "RateLimit-Limit": "200", "RateLimit-Reset": str(reset)}
            return 429, limits, {"message": "You have exceeded your rate limit, please try again later."}

        def link(page):
            return f"{self.url}?{urlencode({**query, 'page': page})}"

        links = [f'<{link(1)}>; rel="first"', f'<{link(pages)}>; rel="last"']
        if number < pages:
            links.append(f'<{link(number + 1)}>; rel="next"')
        if number > 1:
            links.append(f'<{link(number - 1)}>; rel="prev"')
        return 200, {"Link": ", ".join(links)}, self.all_records()[start : start + size]


class GrafanaUserSearch(BasicAuthVendor):
    """Grafana HTTP API, users with paging (``GET /api/users/search?perpage=&page=&query=``; Basic auth
    of a server administrator): ``{"totalCount", "users": [...], "page", "perPage"}``; ``perpage`` (in
    lower case, 1000 by default) and ``page`` from 1; ``totalCount`` the whole list's.
    https://grafana.com/docs/grafana/latest/developers/http_api/user/ ("Search Users with Paging")."""

    name = "grafana"
    records_path = "users"
    path = "/api/users/search"
    records = 23
    page_size = 5  # 1000 at Grafana
    user = "admin"
    api_key = "grafana-admin-password"

    pagination = documented_pagination("page", size_param="perpage", total_path="totalCount")

    def record(self, number):
        return {
            "id": number,
            "login": f"user{number}",
            "email": f"user{number}@example.com",
            "isAdmin": False,
        }

    def unauthorized(self):
        return 401, {}, {"message": "Unauthorized"}

    def respond(self, path, query, headers):
        number, size, start, _ = self.numbered_page(query, "perpage")
        users = self.all_records()[start : start + size]
        return 200, {}, {"totalCount": self.records, "users": users, "page": number, "perPage": size}


class MiroBoards(VendorServer):
    """Miro REST API v2, boards (``GET /v2/boards?limit=&offset=``; an OAuth access token as Bearer):
    ``{"data": [...], "total", "size", "offset", "limit", "links": {"self", "next", "prev", "first",
    "last"}, "type": "list"}``, ``size`` the page's count, ``total`` the list's; ``limit`` 20 by default,
    50 at most; no ``next`` link on the last page. https://developers.miro.com/reference/get-boards,
    from memory (v1's offset collection: https://developers.miro.com/v1.0/reference/pagination)."""

    name = "miro"
    records_path = "data"
    path = "/v2/boards"
    records = 23
    page_size = 5  # 20 at Miro
    max_page_size = 50
    api_key = "eyJtaXJvLmFjY2Vzcy10b2tlbiI6ICJmYWtlIn0"

    pagination = documented_pagination("offset", total_path="total")

    def record(self, number):
        return {"id": f"uXjVO{number:05d}=", "type": "board", "name": f"Board {number}"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        boards = self.all_records()[offset : offset + size]

        def link(at):
            return f"{self.url}?{urlencode({**query, 'limit': size, 'offset': at})}"

        last = max(0, (self.records - 1) // size * size)
        links = {"self": link(offset), "first": link(0), "last": link(last)}
        if offset + size < self.records:
            links["next"] = link(offset + size)
        if offset:
            links["prev"] = link(max(0, offset - size))
        body = {
            "data": boards,
            "total": self.records,
            "size": len(boards),
            "offset": offset,
            "limit": size,
            "links": links,
            "type": "list",
        }
        return 200, {}, body


class MiroBoardItems(MiroBoards):
    """Miro REST API v2, a board's items (``GET /v2/boards/{board_id}/items?limit=&cursor=``):
    ``{"data": [...], "total", "size", "cursor", "limit", "links": {"self", "next"}, "type":
    "cursor-list"}``; the ``cursor`` of the answer goes back as ``cursor``, and there is none (nor a
    ``next`` link) on the last page; ``limit`` 10 by default, 50 at most.
    https://developers.miro.com/reference/get-items ("cursor-based approach"), from memory."""

    name = "miro-items"
    path = "/v2/boards/uXjVO00001=/items"

    pagination = documented_pagination(
        "cursor", cursor_path="cursor", cursor_param="cursor", size_param="limit"
    )

    def record(self, number):
        return {"id": f"3458764{number:012d}", "type": "sticky_note", "data": {"content": f"Note {number}"}}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["cursor"], "miro") if query.get("cursor") else 0
        if start is None:
            return (
                400,
                {},
                {"status": 400, "code": "invalidParameters", "message": "Invalid cursor", "type": "error"},
            )
        items = self.all_records()[start : start + size]
        body = {
            "data": items,
            "total": self.records,
            "size": len(items),
            "limit": size,
            "type": "cursor-list",
        }
        links = {"self": f"{self.url}?{urlencode(query)}"}
        if start + size < self.records:
            body["cursor"] = _token(start + size, "miro")
            links["next"] = f"{self.url}?{urlencode({**query, 'limit': size, 'cursor': body['cursor']})}"
        body["links"] = links
        return 200, {}, body


class StatuspageIncidents(VendorServer):
    """Atlassian Statuspage Manage API, a page's incidents (``GET /v1/pages/{page_id}/incidents``; the
    API key in ``Authorization: OAuth <key>``): a JSON list with no total, link or flag; ``limit`` (100
    by default and at most) and ``page``, from 1; a page past the last is an empty list.
    https://developer.statuspage.io/ ("Get a list of incidents": q, limit, page; as the
    statuspage-php-sdk's IncidentsApi documents it)."""

    name = "statuspage"
    records_path = ""  # a bare list
    path = "/v1/pages/kctbh9vrtdwd/incidents"
    records = 233
    page_size = 100  # Statuspage's own: a bare list of 100 is all a sync on auto sees
    api_key = "89a229ce-1b0f-4d3a-9a2e-8f1e3b7c6d5a"

    def authorized(self, headers):
        return headers.get("Authorization") == f"OAuth {self.api_key}"

    def unauthorized(self):
        return 401, {}, {"error": "Could not authenticate"}

    def connector_fields(self):
        return {
            "api_endpoint": self.url,
            "api_key": f"OAuth {self.api_key}",
            "auth_type": "header",
            "auth_header_name": "Authorization",
        }

    pagination = documented_pagination("page", size_param="limit")

    def record(self, number):
        return {"id": f"p31zjtct2j{number:04d}", "name": f"Incident {number}", "status": "resolved"}

    def respond(self, path, query, headers):
        _, size, start, _ = self.numbered_page(query, "limit")
        return 200, {}, self.all_records()[start : start + size]


class SanityQuery(VendorServer):
    """Sanity's Content Lake query API (``GET /v2025-02-19/data/query/{dataset}?query=<GROQ>`` with
    parameters as ``$name=<JSON value>``, or ``POST`` ``{"query", "params"}``; a token as Bearer):
    ``{"ms", "query", "result": [...]}``. No pagination outside the query: a GROQ slice ``[0...100]``
    (``...`` excludes its end, ``..`` includes it) cuts the result, and Sanity's guide pages with a
    filter on the last ``_id`` read, ``*[_type == "movie" && _id > $lastId] | order(_id) [0...100]``.
    https://www.sanity.io/docs/http-query, https://www.sanity.io/docs/developer-guides/paginating-with-groq.
    The fake reads only what those queries use: ``_id > $lastId`` and a final slice."""

    name = "sanity"
    records_path = "result"
    path = "/v2025-02-19/data/query/production"
    records = 23
    page_size = 10
    api_key = "skSanityReadToken0123456789abcdef"
    groq = '*[_type == "movie"] | order(_id) [0...10]'

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"query": self.groq}}

    # The explicit configuration's page size, the slice its query ends with.
    explicit_page_size = 4

    def explicit_fields(self):
        query = f'*[_type == "movie" && _id > $lastId] | order(_id) [0...{self.explicit_page_size}]'
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"query": query, "params": {"lastId": ""}},
        }

    @staticmethod
    def pagination(page_size):
        return {
            "type": "cursor",
            "cursor_from": "last_record",
            "cursor_field": "_id",
            "cursor_param": "params.lastId",
            "page_size": page_size,
        }

    def record(self, number):
        return {"_id": f"movie_{number:04d}", "_type": "movie", "title": f"Movie {number}"}

    def answer(self, groq: str, params: dict) -> tuple[int, dict, object]:
        records = self.all_records()
        if "_id > $lastId" in groq:
            if not isinstance(params.get("lastId"), str):
                error = {
                    "type": "queryParseError",
                    "description": "param $lastId referenced, but not provided",
                }
                return 400, {}, {"error": error}
            records = [record for record in records if record["_id"] > params["lastId"]]
        cut = re.search(r"\[\s*(\d+)\s*(\.\.\.?)\s*(\d+)\s*\]\s*$", groq)
        if cut:
            first, last = int(cut.group(1)), int(cut.group(3)) + (cut.group(2) == "..")
            records = records[first:last]
            self.serves(last - first, last - first)  # the slice is the page size
        return 200, {}, {"ms": 2, "query": groq, "result": records}

    def respond(self, path, query, headers):
        params = {}
        for name, value in query.items():
            if name.startswith("$"):
                try:
                    params[name[1:]] = json.loads(value)
                except ValueError:
                    return (
                        400,
                        {},
                        {"error": {"type": "httpBadRequest", "description": f"Invalid JSON in {name}"}},
                    )
        return self.answer(query.get("query", ""), params)

    def respond_post(self, path, body, headers):
        return self.answer(body.get("query", ""), body.get("params") or {})


class AmplitudeExport(BasicAuthVendor):
    """Amplitude's Export API (``GET /api/2/export?start=YYYYMMDDTHH&end=YYYYMMDDTHH``; Basic auth, the
    API key as user and the secret key as password): a ZIP archive of gzipped JSON-lines files, one per
    hour, never JSON; 400 over 4 GB, 404 when the range holds no data.
    https://amplitude.com/docs/apis/analytics/export"""

    name = "amplitude"
    path = "/api/2/export"
    user = "amplitude-api-key"
    api_key = "amplitude-secret-key"

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"start": "20261201T00", "end": "20261201T23"}}

    def respond(self, path, query, headers):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as files:
            lines = "\n".join(json.dumps({"event_type": "click", "event_id": n}) for n in range(1, 24))
            files.writestr("123456/123456_2026-12-01_0#0.json.gz", gzip.compress(lines.encode()))
        return 200, {"Content-Type": "application/zip"}, archive.getvalue()


class AmplitudeCohorts(BasicAuthVendor):
    """Amplitude's Behavioral Cohorts API, every cohort (``GET /api/3/cohorts``; Basic auth):
    ``{"cohorts": [...]}``, the whole list in one answer, no pagination.
    https://amplitude.com/docs/apis/analytics/behavioral-cohorts, from memory."""

    name = "amplitude-cohorts"
    records_path = "cohorts"
    path = "/api/3/cohorts"
    user = "amplitude-api-key"
    api_key = "amplitude-secret-key"
    records = 23
    page_size = 100  # one answer holds every cohort

    pagination = documented_pagination("none")

    def record(self, number):
        return {"id": f"coh{number:05d}", "name": f"Cohort {number}", "size": 100 + number, "archived": False}

    def respond(self, path, query, headers):
        return 200, {}, {"cohorts": self.all_records()}


class WeaviateObjects(VendorServer):
    """Weaviate's REST API, a collection's objects (``GET /v1/objects?class=<name>&limit=``; an API key
    as Bearer): ``{"objects": [...], "deprecations": null, "totalResults"}``, ``limit`` 25 by default;
    ``totalResults`` is the number of objects in this answer, not the collection's (its OpenAPI spec
    says otherwise: https://github.com/weaviate/weaviate/issues/13097, ``TotalResults:
    int64(len(list))``). Every object is reached with the cursor ``after``, the last object's ``id``
    (with ``class``; objects in id order), or ``offset`` up to ``QUERY_MAXIMUM_RESULTS``.
    https://weaviate.io/developers/weaviate/api/rest_legacy/objects ("Exhaustive listing using a cursor:
    after")."""

    name = "weaviate"
    records_path = "objects"
    path = "/v1/objects"
    records = 23
    page_size = 5  # 25 at Weaviate
    api_key = "weaviate-read-only-api-key"

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"class": "Article"}}

    pagination = documented_pagination(
        "cursor", cursor_from="last_record", cursor_field="id", cursor_param="after", size_param="limit"
    )

    def record(self, number):
        return {
            "class": "Article",
            "id": f"00000000-0000-4000-8000-{number:012d}",
            "properties": {"title": f"Article {number}"},
            "creationTimeUnix": 1765000000000 + number,
        }

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        if query.get("after") is not None:
            if "class" not in query:
                error = {"error": [{"message": "class is required when using the after cursor"}]}
                return 422, {}, error
            records = [record for record in records if record["id"] > query["after"]]
        else:
            offset = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
            records = records[offset:]
        objects = records[:size]
        return 200, {}, {"objects": objects, "deprecations": None, "totalResults": len(objects)}


class QdrantScroll(HeaderKeyVendor):
    """Qdrant, a collection's points (``POST /collections/{name}/points/scroll`` with ``{"limit",
    "offset", "with_payload"}``; the key in ``api-key``): ``{"result": {"points": [...],
    "next_page_offset"}, "status": "ok", "time"}``, ``limit`` 10 by default; ``offset`` is the id of
    the first point to return (points in id order), and ``next_page_offset`` the id of the next page's
    first point, null on the last page. https://api.qdrant.tech/api-reference/points/scroll-points
    ("To query the next page specify the last {id} in the offset field")."""

    name = "qdrant"
    records_path = "result.points"
    path = "/collections/articles/points/scroll"
    auth_header = "api-key"
    records = 23
    page_size = 5  # 10 at Qdrant
    api_key = "qdrant-read-only-api-key"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"with_payload": True},
        }

    pagination = documented_pagination(
        "cursor", cursor_path="result.next_page_offset", cursor_param="offset", size_param="limit"
    )

    def record(self, number):
        return {"id": 1000 + 7 * number, "version": 1, "payload": {"title": f"Article {number}"}}

    def respond(self, path, query, headers):
        return 405, {}, {"status": {"error": "Method not allowed"}, "time": 0.0}

    def respond_post(self, path, body, headers):
        size = (
            body.get("limit") if isinstance(body.get("limit"), int) and body["limit"] > 0 else self.page_size
        )
        self.serves(size, body.get("limit"))
        start = body.get("offset")
        records = self.all_records()
        if start is not None and (isinstance(start, bool) or not isinstance(start, int)):
            # an id is an unsigned integer or a UUID: "1035" is neither
            error = {"error": "Format error in JSON body: data did not match any variant of ExtendedPointId"}
            return 400, {}, {"status": error, "time": 0.0}
        if start is not None:
            records = [record for record in records if record["id"] >= start]
        points, rest = records[:size], records[size:]
        result = {"points": points, "next_page_offset": rest[0]["id"] if rest else None}
        return 200, {}, {"result": result, "status": "ok", "time": 0.0012}


class AdyenMerchants(HeaderKeyVendor):
    """Adyen's Management API, a company's merchant accounts (``GET /v3/companies/{id}/merchants?
    pageNumber=&pageSize=``; the key in ``X-API-Key``): ``{"_links": {"first", "last", "next", "prev",
    "self"}: {"href"}}, "itemsTotal", "pagesTotal", "data": [...]}``, ``pageSize`` 10 by default, 100 at
    most; no ``next`` on the last page. https://docs.adyen.com/api-explorer/Management/latest/get/
    companies/(companyId)/merchants, from memory."""

    name = "adyen"
    records_path = "data"
    path = "/v3/companies/YOUR_COMPANY_ACCOUNT/merchants"
    records = 23
    page_size = 5  # 10 at Adyen
    api_key = "AQEyhmfxK4_adyen_management_api_key"

    pagination = documented_pagination(
        "page", page_param="pageNumber", size_param="pageSize", total_pages_path="pagesTotal"
    )

    def record(self, number):
        return {"id": f"YOUR_MERCHANT_ACCOUNT_{number}", "name": f"Merchant {number}", "status": "Active"}

    def respond(self, path, query, headers):
        number, size, start, pages = self.numbered_page(
            {**query, "page": query.get("pageNumber", "1")}, "pageSize"
        )

        def link(page):
            return {"href": f"{self.url}?{urlencode({**query, 'pageNumber': page, 'pageSize': size})}"}

        links = {"first": link(1), "last": link(pages), "self": link(number)}
        if number < pages:
            links["next"] = link(number + 1)
        if number > 1:
            links["prev"] = link(number - 1)
        data = self.all_records()[start : start + size]
        return 200, {}, {"_links": links, "itemsTotal": self.records, "pagesTotal": pages, "data": data}


class DatoCmsItems(VendorServer):
    """DatoCMS Content Management API, records (``GET /items?page[offset]=&page[limit]=``; a token as
    Bearer and ``X-Api-Version: 3``): ``{"data": [...], "meta": {"total_count"}}``, ``page[limit]`` 30
    by default, 500 at most, ``page[offset]`` from 0; any other parameter is ignored.
    https://www.datocms.com/docs/content-management-api/pagination"""

    name = "datocms"
    records_path = "data"
    path = "/items"
    records = 23
    page_size = 5  # 30 at DatoCMS
    max_page_size = 500
    api_key = "datocms-read-only-api-token"

    def connector_fields(self):
        return {**super().connector_fields(), "request_headers": {"X-Api-Version": "3"}}

    pagination = documented_pagination("offset", offset_param="page[offset]", limit_param="page[limit]")

    def record(self, number):
        return {
            "id": f"hWl-mnkWRYmMCSTq4z_{number:03d}",
            "type": "item",
            "attributes": {"title": f"Post {number}"},
        }

    def respond(self, path, query, headers):
        size = self.size(query, "page[limit]")
        raw = query.get("page[offset]", "0")
        offset = int(raw) if str(raw).isdigit() else 0
        return (
            200,
            {},
            {"data": self.all_records()[offset : offset + size], "meta": {"total_count": self.records}},
        )


class ContentstackEntries(HeaderKeyVendor):
    """Contentstack Content Delivery API, a content type's entries (``GET /v3/content_types/{uid}/entries
    ?environment=&skip=&limit=&include_count=true``; ``api_key`` and ``access_token`` headers):
    ``{"entries": [...], "count"}`` (``count`` only with ``include_count=true``), ``limit`` 100 by
    default and at most, ``skip`` from 0. https://www.contentstack.com/docs/developers/apis/
    content-delivery-api (Pagination: skip and limit), from memory."""

    name = "contentstack"
    records_path = "entries"
    path = "/v3/content_types/blog_post/entries"
    auth_header = "access_token"
    records = 23
    page_size = 5  # 100 at Contentstack
    api_key = "cs-delivery-token-0123456789abcdef"

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "query_params": {"environment": "production", "include_count": "true"},
        }

    pagination = documented_pagination("offset", offset_param="skip", total_path="count")

    def record(self, number):
        return {"uid": f"blt{number:016x}", "title": f"Post {number}", "locale": "en-us"}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        skip = int(query["skip"]) if str(query.get("skip", "")).isdigit() else 0
        body = {"entries": self.all_records()[skip : skip + size]}
        if query.get("include_count") == "true":
            body["count"] = self.records
        return 200, {}, body


class HasuraGraphql(HeaderKeyVendor):
    """Hasura's GraphQL API (``POST /v1/graphql`` with ``{"query", "variables"}``; the admin secret in
    ``x-hasura-admin-secret``): ``{"data": {"<table>": [...]}}``, every row of the table unless the query
    sets ``limit`` (and ``offset``), as literals or variables; no cursor, count or next page in the answer
    (an ``<table>_aggregate { aggregate { count } }`` field counts the rows). Errors ``{"errors":
    [{"message", "extensions": {"path", "code"}}]}`` with HTTP 200.
    https://hasura.io/docs/2.0/queries/postgres/pagination/"""

    name = "hasura"
    records_path = "data.users"
    path = "/v1/graphql"
    auth_header = "x-hasura-admin-secret"
    records = 23
    page_size = 10
    api_key = "hasura-admin-secret-0123456789"
    query = (
        "query ($limit: Int, $offset: Int) "
        "{ users(order_by: {id: asc}, limit: $limit, offset: $offset) { id name } }"
    )

    def connector_fields(self):
        return {
            **super().connector_fields(),
            "request_method": "POST",
            "request_body": {"query": self.query, "variables": {"limit": 10, "offset": 0}},
        }

    pagination = documented_pagination(
        "offset", offset_param="variables.offset", limit_param="variables.limit"
    )

    def record(self, number):
        return {"id": number, "name": f"User {number}"}

    def respond(self, path, query, headers):
        return 405, {}, {"errors": [{"message": "only POST is allowed"}]}

    def respond_post(self, path, body, headers):
        text, variables = body.get("query", ""), body.get("variables") or {}

        def argument(name):
            found = re.search(rf"(?<![$\w]){name}:\s*(\$?\w+)", text)
            if not found:
                return None
            value = found.group(1)
            return variables.get(value[1:]) if value.startswith("$") else int(value)

        limit, offset = argument("limit"), argument("offset") or 0
        rows = self.all_records()[offset:]
        self.serves(self.records if limit is None else limit, limit)
        if limit is not None:
            rows = rows[:limit]
        return 200, {}, {"data": {"users": rows}}


EIGHTEENTH_VENDORS = (
    MeilisearchDocuments,
    BuildkiteBuilds,
    GrafanaUserSearch,
    MiroBoards,
    MiroBoardItems,
    StatuspageIncidents,
    SanityQuery,
    AmplitudeCohorts,
    WeaviateObjects,
    QdrantScroll,
    AdyenMerchants,
    DatoCmsItems,
    ContentstackEntries,
    HasuraGraphql,
)
# A bare list of a default page size, a GROQ slice, a GraphQL limit or Weaviate's count of its own page
# says nothing about a next page: on auto the run ends PARTIAL naming what to configure.
# Offsets under a name of the API's own, which nothing in the answer tells: on auto the run fails at the
# repeated page naming the parameter to set.
EIGHTEENTH_VENDORS_OWN_OFFSET_NAME = (DatoCmsItems, ContentstackEntries)
EIGHTEENTH_VENDORS_NOT_ON_AUTO = (
    StatuspageIncidents,
    SanityQuery,
    WeaviateObjects,
    HasuraGraphql,
    *EIGHTEENTH_VENDORS_OWN_OFFSET_NAME,
)
EIGHTEENTH_VENDORS_ON_AUTO = tuple(
    vendor for vendor in EIGHTEENTH_VENDORS if vendor not in EIGHTEENTH_VENDORS_NOT_ON_AUTO
)


class RenderServices(VendorServer):
    """Render's public API, the account's services (``GET /v1/services?limit=&cursor=``; an API key as
    Bearer): a JSON list of ``{"cursor", "service": {...}}``, each resource paired with its cursor (a
    sibling, not a member of it); ``limit`` 20 by default, 100 at most; the next page is asked for with the
    ``cursor`` of the last item, and answers the items after it. No total, link or flag: a page shorter
    than ``limit`` (or empty) is the end. https://api-docs.render.com/reference/pagination"""

    name = "render"
    records_path = ""  # a bare list
    path = "/v1/services"
    records = 23
    page_size = 20  # Render's own: a bare list of 20 on auto
    api_key = "rnd_0123456789abcdefABCDEF012345"
    pagination = documented_pagination(
        "cursor", cursor_from="last_record", cursor_field="cursor", cursor_param="cursor", size_param="limit"
    )

    def record(self, number):
        service = {"id": f"srv-c{number:019d}", "name": f"service-{number}", "type": "web_service"}
        return {"cursor": _token(number, "render"), "service": service}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["cursor"], "render") if "cursor" in query else 0
        if start is None:
            return 400, {}, {"id": "invalid-cursor", "message": "invalid cursor"}
        return 200, {}, self.all_records()[start : start + size]


class FivetranGroups(BasicAuthVendor):
    """Fivetran REST API, the account's groups (``GET /v1/groups?cursor=&limit=``; Basic auth, the API
    key as user and its secret as password): ``{"code": "Success", "data": {"items": [...],
    "next_cursor"}}``; ``limit`` 100 by default, 1 to 1000; ``next_cursor`` goes back as ``cursor``.
    https://fivetran.com/docs/rest-api/pagination. Its absence on the last page is from memory."""

    name = "fivetran"
    records_path = "data.items"
    path = "/v1/groups"
    records = 23
    page_size = 5  # 100 at Fivetran
    max_page_size = 1000
    user = "fivetran-api-key"
    api_key = "fivetran-api-secret"
    pagination = documented_pagination(
        "cursor", cursor_path="data.next_cursor", cursor_param="cursor", size_param="limit"
    )

    def record(self, number):
        return {
            "id": f"projected_sickle_{number}",
            "name": f"Group {number}",
            "created_at": "2026-12-01T11:59:35Z",
        }

    def unauthorized(self):
        return 401, {}, {"code": "AuthFailed", "message": "Missing or invalid Authorization header."}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["cursor"], "fivetran") if "cursor" in query else 0
        if start is None:
            return 400, {}, {"code": "InvalidInput", "message": "Invalid cursor"}
        data = {"items": self.all_records()[start : start + size]}
        if start + size < self.records:
            data["next_cursor"] = _token(start + size, "fivetran")
        return 200, {}, {"code": "Success", "data": data}


class EasyPostShipments(KeyAsUserVendor):
    """EasyPost, every shipment (``GET /v2/shipments?page_size=&before_id=``; Basic auth, the API key as
    user and no password): ``{"shipments": [...], "has_more"}``, most recent first; ``page_size`` 20 by
    default, 100 at most; the next page is asked for with ``before_id``, the id of the last shipment read,
    while ``has_more`` is true. https://docs.easypost.com/docs/pagination"""

    name = "easypost"
    records_path = "shipments"
    path = "/v2/shipments"
    records = 23
    page_size = 20  # EasyPost's own default
    api_key = "EZTK0123456789abcdef0123456789ab"
    pagination = documented_pagination(
        "cursor",
        cursor_from="last_record",
        cursor_field="id",
        cursor_param="before_id",
        has_more_path="has_more",
        size_param="page_size",
    )

    def record(self, number):
        # ids of a later shipment sort after an earlier one's; the list is served newest first
        return {"id": f"shp_{1000 - number:032d}", "object": "Shipment", "status": "delivered"}

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def unauthorized(self):
        return 401, {}, {"error": {"code": "APIKEY.REQUIRED", "message": "API key required.", "errors": []}}

    def respond(self, path, query, headers):
        size = self.size(query, "page_size")
        records = self.all_records()
        start = 0
        if "before_id" in query:
            ids = [record["id"] for record in records]
            if query["before_id"] not in ids:
                error = {
                    "code": "NOT_FOUND",
                    "message": "The requested resource could not be found.",
                    "errors": [],
                }
                return 404, {}, {"error": error}
            start = ids.index(query["before_id"]) + 1
        return 200, {}, {"shipments": records[start : start + size], "has_more": start + size < len(records)}


class ShipStationShipments(HeaderKeyVendor):
    """ShipStation API (formerly ShipEngine), shipments (``GET /v1/shipments?page=&page_size=``; the key
    in ``API-Key``): ``{"shipments": [...], "total", "page", "pages", "links": {"first", "last", "prev",
    "next"}}``, each link ``{"href"}``; ``page`` from 1, ``page_size`` 25 by default.
    https://docs.shipstation.com/apis/shipengine/docs/reference/pagination. The empty ``{}`` links (no
    ``next`` past the last page, no ``prev`` on the first) are from memory."""

    name = "shipstation"
    records_path = "shipments"
    path = "/v1/shipments"
    auth_header = "API-Key"
    records = 23
    page_size = 5  # 25 at ShipStation
    api_key = "TEST_shipengine_api_key_0123456789"
    pagination = documented_pagination("page", size_param="page_size", total_pages_path="pages")

    def record(self, number):
        return {"shipment_id": f"se-{28529000 + number}", "shipment_status": "label_purchased"}

    def unauthorized(self):
        error = {"error_source": "shipengine", "error_type": "security", "error_code": "unauthorized"}
        return (
            401,
            {},
            {"request_id": "aa3d8e8e", "errors": [{**error, "message": "The API key is invalid."}]},
        )

    def respond(self, path, query, headers):
        number, size, start, pages = self.numbered_page(query, "page_size")

        def link(page):
            return {"href": f"{self.url}?{urlencode({**query, 'page': page, 'page_size': size})}"}

        links = {"first": link(1), "last": link(pages), "prev": {}, "next": {}}
        if number > 1:
            links["prev"] = link(number - 1)
        if number < pages:
            links["next"] = link(number + 1)
        body = {
            "shipments": self.all_records()[start : start + size],
            "total": self.records,
            "page": number,
            "pages": pages,
            "links": links,
        }
        return 200, {}, body


class LobAddresses(KeyAsUserVendor):
    """Lob's address book (``GET /v1/addresses?limit=&before=``; Basic auth, the API key as user and no
    password): ``{"data": [...], "object": "list", "next_url", "previous_url", "count"}``, most recent
    first; ``count`` is the number of addresses in this answer ("number of resources in a set"), and
    ``total_count``, the list's, is there only with ``include[]=total_count``; ``limit`` 10 by default,
    100 at most; ``next_url`` (null on the last page) is pre-populated with ``before``.
    https://github.com/lob/lob-openapi (``list``: next_url, previous_url, count, total_count; the
    ``before`` / ``after`` parameters of ``GET /addresses``)."""

    name = "lob"
    records_path = "data"
    path = "/v1/addresses"
    records = 23
    page_size = 10  # Lob's own default
    api_key = "test_0dc8d51e0acffcb1880e0f19c79b2f5b0cc"
    pagination = documented_pagination("next_url", next_url_path="next_url", size_param="limit")

    def record(self, number):
        return {
            "id": f"adr_{0xE68217BD744D65C8 - number:016x}",
            "object": "address",
            "name": f"HARRY {number}",
        }

    def connector_fields(self):
        return {"api_endpoint": self.url, "api_key": self.api_key, "auth_type": "basic_key"}

    def unauthorized(self):
        return 401, {}, {"error": {"message": "Your API key is not valid.", "status_code": 401}}

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        start = _position(query["before"], "lob") if "before" in query else 0
        if start is None:
            return 422, {}, {"error": {"message": "before is invalid", "status_code": 422}}
        data = self.all_records()[start : start + size]
        end = start + len(data)

        def url(name, position):
            kept = {key: value for key, value in query.items() if key not in ("before", "after")}
            return f"{self.url}?{urlencode({**kept, 'limit': size, name: _token(position, 'lob')})}"

        body = {
            "data": data,
            "object": "list",
            "next_url": url("before", end) if end < self.records else None,
            "previous_url": url("after", start) if start else None,
            "count": len(data),
        }
        if query.get("include[]") == "total_count":
            body["total_count"] = self.records
        return 200, {}, body


class GustoEvents(VendorServer):
    """Gusto's events (``GET /v1/events?starting_after_uuid=&limit=``; an access token as Bearer): a JSON
    list with its cursor pagination told in the ``X-Has-Next-Page: true | false`` response header; the
    next page is asked for with the uuid of the last event read as ``starting_after_uuid``.
    https://docs.gusto.com/app-integrations/docs/pagination ("Cursor based pagination"). The default
    ``limit`` of 25 (the page-numbered endpoints' default ``per``) is from memory."""

    name = "gusto"
    records_path = ""  # a bare list
    path = "/v1/events"
    records = 63
    page_size = 25
    api_key = "gusto-system-access-token"
    pagination = documented_pagination(
        "cursor",
        cursor_from="last_record",
        cursor_field="uuid",
        cursor_param="starting_after_uuid",
        size_param="limit",
    )

    def record(self, number):
        return {
            "uuid": f"10ac74e7-d6f0-46c0-9697-{number:012d}",
            "event_type": "employee.updated",
            "resource_type": "Company",
            "timestamp": 1765000000 + number,
        }

    def unauthorized(self):
        return (
            401,
            {},
            {"errors": [{"error_key": "base", "category": "invalid_token", "message": "Unauthorized"}]},
        )

    def respond(self, path, query, headers):
        size = self.size(query, "limit")
        records = self.all_records()
        start = 0
        if "starting_after_uuid" in query:
            uuids = [record["uuid"] for record in records]
            if query["starting_after_uuid"] not in uuids:
                error = {"error_key": "starting_after_uuid", "category": "invalid_attribute_value"}
                return 422, {}, {"errors": [{**error, "message": "Event not found"}]}
            start = uuids.index(query["starting_after_uuid"]) + 1
        more = start + size < len(records)
        return 200, {"X-Has-Next-Page": "true" if more else "false"}, records[start : start + size]


NINETEENTH_VENDORS = (
    RenderServices,
    FivetranGroups,
    EasyPostShipments,
    ShipStationShipments,
    LobAddresses,
    GustoEvents,
)
# EasyPost's has_more beside shipments that go back by their last id as before_id, which nothing in the
# answer names: on auto the run ends PARTIAL naming the flag. Render's end is told by an empty answer
# only (no total, link or flag): the request after its last page is no request past the end.
NINETEENTH_VENDORS_NOT_ON_AUTO = (EasyPostShipments, RenderServices)
NINETEENTH_VENDORS_ON_AUTO = tuple(
    vendor for vendor in NINETEENTH_VENDORS if vendor not in NINETEENTH_VENDORS_NOT_ON_AUTO
)


class GerritChanges(BasicAuthVendor):
    """Gerrit Code Review's change query (``GET /a/changes/?q=status:open&n=&S=``; the ``/a/`` prefix
    for HTTP Basic with the account's HTTP password): a JSON array of ChangeInfo entities behind the
    ``)]}'`` line every JSON answer starts with against cross-site script inclusion; ``n`` caps the
    changes an answer holds (the site's query limit, 500 by default, when not given) and ``S`` (or
    ``start``) skips that many; when more changes match, the last change of the answer has
    ``"_more_changes": true``, and nothing else says so. Errors are plain text (401 ``Unauthorized``).
    https://gerrit-review.googlesource.com/Documentation/rest-api-changes.html#list-changes,
    https://gerrit-review.googlesource.com/Documentation/rest-api.html#output"""

    name = "gerrit"
    records_path = ""  # a bare list
    path = "/a/changes/"
    records = 23
    page_size = 10  # the site's query limit (500 by default)
    user = "jenkins"
    api_key = "gerrit-http-password-0123"
    pagination = documented_pagination("offset", offset_param="S", limit_param="n")

    def connector_fields(self):
        return {**super().connector_fields(), "query_params": {"q": "status:open"}}

    def record(self, number):
        change_id = f"I{number:040x}"
        return {
            "id": f"demo~master~{change_id}",
            "project": "demo",
            "branch": "master",
            "change_id": change_id,
            "subject": f"Change {number}",
            "status": "NEW",
            "_number": 4000 + number,
        }

    def unauthorized(self):
        return 401, {"Content-Type": "text/plain; charset=UTF-8"}, b"Unauthorized"

    def served(self, start: int, size: int) -> list[dict]:
        """The changes of an answer from ``start``, the last one flagged when more match."""
        changes = self.all_records()[start : start + size]
        if changes and start + size < self.records:
            changes[-1] = {**changes[-1], "_more_changes": True}
        return changes

    def respond(self, path, query, headers):
        if not query.get("q"):
            return 400, {"Content-Type": "text/plain; charset=UTF-8"}, b"missing query field"
        skip = query.get("S", query.get("start", "0"))
        if not skip.isdigit():
            return 400, {"Content-Type": "text/plain; charset=UTF-8"}, f'"{skip}" is not a number'.encode()
        body = json.dumps(self.served(int(skip), self.size(query, "n")), indent=2).encode()
        return 200, {}, b")]}'\n" + body


class KandjiDevices(VendorServer):
    """Kandji (Iru) device list (``GET /api/v1/devices?limit=&offset=``; an API token as Bearer): a bare
    JSON array of devices, nothing else; ``limit`` at most 300, which is also what an answer holds when
    no limit is given, and ``offset``. 10,000 requests an hour per customer, 429 past them.
    https://github.com/MScottBlake/kandji-python-sdk/blob/main/docs/DeviceInformationApi.md (list_devices:
    limit, offset); the 300 cap ("a hard upper limit is set at 300 device records returned per
    request") and the error bodies from memory."""

    name = "kandji"
    records_path = ""  # a bare list
    path = "/api/v1/devices"
    records = 23
    page_size = 300
    max_page_size = 300
    api_key = "kandji-api-token-0123456789abcdef"
    pagination = documented_pagination("offset")

    def record(self, number):
        return {
            "device_id": f"{number:08x}-6c2e-4a1b-9d3f-2f5e8c7b1a90",
            "device_name": f"Mac {number}",
            "platform": "Mac",
            "serial_number": f"C02{number:07d}",
        }

    def connector_fields(self):
        return {**super().connector_fields(), "primary_key": "device_id"}

    def unauthorized(self):
        return 401, {}, {"detail": "Incorrect authentication credentials."}

    def respond(self, path, query, headers):
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        return 200, {}, self.all_records()[start : start + self.size(query, "limit")]


class FreshBooksClients(VendorServer):
    """FreshBooks accounting API, an account's clients (``GET /accounting/account/{id}/users/clients?page=
    &per_page=``; OAuth 2 Bearer): every answer wrapped twice, ``{"response": {"result": {"clients":
    [...], "page", "pages", "per_page", "total"}}}``; ``page`` from 1 and ``per_page`` (100 at most).
    https://www.freshbooks.com/api/clients (the ``response.result`` wrapper, as the Postman collection's
    ``jsonData.response.result.credit_notes`` reads it); the paging keys and the error bodies from memory."""

    name = "freshbooks"
    records_path = "response.result.clients"
    path = "/accounting/account/xZNQ1X/users/clients"
    records = 23
    page_size = 5  # 15 at FreshBooks
    api_key = "freshbooks-oauth-access-token-01"
    pagination = documented_pagination(
        "page", size_param="per_page", total_pages_path="response.result.pages"
    )

    def record(self, number):
        return {
            "id": 238900 + number,
            "userid": 238900 + number,
            "organization": f"Company {number}",
            "email": f"c{number}@example.com",
            "vis_state": 0,
        }

    def unauthorized(self):
        return (
            401,
            {},
            {"error": "unauthenticated", "error_description": "This action requires authentication."},
        )

    def respond(self, path, query, headers):
        number, size, start, pages = self.numbered_page(query, "per_page")
        result = {
            "clients": self.all_records()[start : start + size],
            "page": number,
            "pages": pages,
            "per_page": size,
            "total": self.records,
        }
        return 200, {}, {"response": {"result": result}}


class JotformUserForms(QueryKeyVendor):
    """Jotform API, a user's forms (``GET /user/forms?offset=&limit=``; the key as ``apiKey``):
    ``{"responseCode": 200, "message": "success", "content": [...], "duration", "resultSet": {"offset",
    "limit", "orderby", "count"}}``, ``count`` the forms of this answer; ``limit`` 20 by default, 1000 at
    most; no total, link or flag. An error is ``{"responseCode": 401, "message", "content": ""}`` with
    its HTTP status. https://www.jotform.com/apidocs-v1/ (GET /user/forms: offset, limit); the
    ``resultSet`` object from memory."""

    name = "jotform"
    records_path = "content"
    path = "/user/forms"
    auth_param = "apiKey"
    records = 45
    page_size = 20  # Jotform's own default
    max_page_size = 1000
    api_key = "0123456789abcdef0123456789abcdef"
    # a sync may send offsets ahead past the last page: nothing but a short page ends the list
    requests_past_the_end = 3
    pagination = documented_pagination("offset")

    def record(self, number):
        return {"id": str(240000000000000 + number), "title": f"Form {number}", "status": "ENABLED"}

    def respond(self, path, query, headers):
        if query.get("apiKey") != self.api_key:
            message = "You're not authorized to use (/user-forms) "
            return 401, {}, {"responseCode": 401, "message": message, "content": "", "duration": "8ms"}
        start = int(query["offset"]) if str(query.get("offset", "")).isdigit() else 0
        forms = self.all_records()[start : start + self.size(query, "limit")]
        result_set = {
            "offset": start,
            "limit": self.size(query, "limit"),
            "orderby": "id",
            "count": len(forms),
        }
        return (
            200,
            {},
            {
                "responseCode": 200,
                "message": "success",
                "content": forms,
                "duration": "12ms",
                "resultSet": result_set,
            },
        )


class DiscourseLatestTopics(HeaderKeyVendor):
    """Discourse, a forum's latest topics (``GET /latest.json?page=``; ``Api-Key`` and ``Api-Username``
    headers): ``{"users": [...], "primary_groups": [], "flair_groups": [], "topic_list":
    {"can_create_topic", "more_topics_url": "/latest?no_definitions=true&page=1", "per_page", "top_tags":
    [], "topics": [...]}}``: the users the topics name are side-loaded beside them, ``page`` counts from
    0, ``more_topics_url`` (the HTML page's address) is left out on the last page, and a page past the
    last answers no topics. https://docs.discourse.org/#tag/Topics/operation/listLatestTopics; clients
    read ``response['topic_list']['topics']`` (the discourse_api gem's ``latest_topics``)."""

    name = "discourse"
    records_path = "topic_list.topics"
    path = "/latest.json"
    auth_header = "Api-Key"
    records = 45
    page_size = 30  # Discourse's own
    api_key = "discourse-api-key-0123456789abcdef0123456789abcd"
    pagination = documented_pagination("page", page_param="page", start_page=0, size_param="per_page")

    def record(self, number):
        return {
            "id": 9000 + number,
            "title": f"Topic {number}",
            "slug": f"topic-{number}",
            "posts_count": number % 7 + 1,
            "posters": [{"user_id": number % 2 + 1, "description": "Original Poster"}],
        }

    def unauthorized(self):
        return (
            403,
            {},
            {
                "errors": ["You are not permitted to view the requested resource."],
                "error_type": "invalid_access",
            },
        )

    def respond(self, path, query, headers):
        size = self.size(query, "per_page")
        number = int(query["page"]) if str(query.get("page", "")).isdigit() else 0
        topics = self.all_records()[number * size : (number + 1) * size]
        topic_list = {"can_create_topic": False, "per_page": size, "top_tags": [], "topics": topics}
        if (number + 1) * size < self.records:
            topic_list["more_topics_url"] = f"/latest?no_definitions=true&page={number + 1}"
        users = [
            {"id": 1, "username": "system", "name": "system", "avatar_template": "/images/avatar.png"},
            {
                "id": 2,
                "username": "alice",
                "name": "Alice",
                "avatar_template": "/user_avatar/alice/{size}.png",
            },
        ]
        return 200, {}, {"users": users, "primary_groups": [], "flair_groups": [], "topic_list": topic_list}


TWENTIETH_VENDORS = (GerritChanges, KandjiDevices, FreshBooksClients, JotformUserForms, DiscourseLatestTopics)
