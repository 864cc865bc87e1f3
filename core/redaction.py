"""Remove credentials from text that leaves the process (logs, error messages, sync logs).

Two layers: known secret values registered at run time (the decrypted credentials a sync uses, in
every encoding they can travel in: raw, percent-encoded, form-encoded, and a Basic header's
``base64(user:password)``), and patterns for common credential shapes (Authorization headers,
``api_key=`` parameters, URL userinfo).
"""

import base64
import functools
import json
import re
import threading
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
_SENSITIVE_PARAM = re.compile(
    r"(?i)(api[_-]?key|apikey|token|secret|password|passwd|access[_-]?key|auth|signature|sig|key)"
)
_PATTERNS = [
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|basic|token)?\s*[^\s,;'\"]+"), r"\1\2 " + REDACTED),
    (
        # Not a ``{secret:NAME}`` placeholder (a key in an endpoint's path, demo_extension's
        # path_secrets): it names a secret, and masking it hid the rest of the path
        # (``…/bot{secret:[REDACTED]``).
        re.compile(
            r"(?i)((?!(?<=\{)secret:[a-z0-9_.-]{1,64}\})(?:api[_-]?key|apikey|access[_-]?token|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s&,;'\"]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
]

_known_secrets: set[str] = set()
_longest_secret = 0  # characters of the longest registered form, for redacted_excerpt's window
_lock = threading.Lock()


def secret_encodings(value: str) -> set[str]:
    """``value`` and the forms it takes in a URL or a form body (percent- and form-encoded)."""
    forms = {
        value,
        quote(value, safe=""),
        quote(value, safe="/"),
        quote_plus(value),
        quote_plus(value, safe="/"),
    }
    # Percent-encoding is case-insensitive: %2f and %2F are the same key.
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in list(forms)}
    return forms


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` removes it wherever it appears, in any of
    its URL or form encodings."""
    if value and len(value) >= 4:
        _remember(secret_encodings(value))


#: A user name (or OAuth2 client id) is redacted on its own only from this length: short ones are
#: usually plain words ("admin", "sync") that redacting everywhere would garble.
MIN_USERNAME_SECRET_LENGTH = 8


def register_basic_credentials(username: str, password: str) -> None:
    """Remember a Basic header's credentials: the password, the user name when it is long enough to
    be a key, and the ``base64(user:password)`` value the header carries."""
    if len(username or "") >= MIN_USERNAME_SECRET_LENGTH:
        register_secret(username)
    register_secret(password)
    if username or password:
        _remember({base64.b64encode(f"{username}:{password}".encode()).decode()})


def _remember(forms: set[str]) -> None:
    global _longest_secret
    with _lock:
        _known_secrets.update(forms)
        _longest_secret = max(_longest_secret, *map(len, forms))


def forget_secrets() -> None:
    """Forget every registered secret (between tests: one test's keys must not redact another's
    text)."""
    global _longest_secret
    with _lock:
        _known_secrets.clear()
        _longest_secret = 0


#: A secret at least this long is masked wherever it appears, inside a longer word too: text that
#: holds it is an echo of it. A shorter one is masked only where it stands as a whole value: no
#: letter or digit right before or after it (a percent escape before it counts as a boundary, as in
#: ``key%3Dvalue``). Masking a short value inside words garbles messages (the password ``x`` made
#: "does not e***ist") and shows, by what it masks, which characters the secret holds.
MIN_SUBSTRING_SECRET_LENGTH = 8


@functools.lru_cache(maxsize=512)
def _whole_value(secret: str) -> re.Pattern:
    before = r"(?:(?<![^\W_])|(?<=%[0-9A-Fa-f]{2}))" if secret[0].isalnum() else ""
    after = r"(?![^\W_])" if secret[-1].isalnum() else ""
    return re.compile(before + re.escape(secret) + after)


def mask_secret(text: str, secret: str, replacement: str = REDACTED) -> str:
    """``text`` with the occurrences of ``secret`` that stand as a value replaced: every one for a
    secret of at least :data:`MIN_SUBSTRING_SECRET_LENGTH` characters, whole values only for a
    shorter one."""
    if not text or not secret or secret not in text:
        return text
    if len(secret) >= MIN_SUBSTRING_SECRET_LENGTH:
        return text.replace(secret, replacement)
    return _whole_value(secret).sub(replacement, text)


def redact_secrets(text: str) -> str:
    """``text`` with every registered secret value replaced (no pattern matching: safe for data
    such as an upstream's records, where a field named ``token`` may be legitimate); see
    :func:`mask_secret` for short ones."""
    if not text or not _known_secrets:
        return text
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        text = mask_secret(text, secret)
    return text


def redact(text: str) -> str:
    if not text:
        return text
    text = redact_secrets(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redacted_excerpt(text: str, limit: int, *, truncated: bool = False) -> str:
    """At most ``limit`` characters of ``text``, redacted; an ellipsis marks a cut.

    Redaction runs before the cut: cutting first can split a registered secret, and its first
    part, no longer equal to the secret, would be shown (an upstream that echoes the key at the end
    of a long error message). A long text is reduced to a window first (redaction costs one scan per
    registered secret) that holds every secret starting in its first ``4 * limit`` characters; a
    window that ends with the start of a registered secret loses that end.
    ``truncated``: ``text`` is itself only the start of a longer text (a body read up to a size).
    """
    window = text[: 4 * limit + _longest_secret]
    cut = truncated or len(window) < len(text)
    if cut:
        window = window[: len(window) - _secret_start_at_end(window)]
    shown = redact(window).strip()
    if len(shown) > limit:
        return shown[: limit - 1].rstrip() + "…"
    return shown + "…" if cut and shown else shown


#: The shortest start of a secret that :func:`redacted_excerpt` recognises at a cut.
MIN_SECRET_START = 4


def _secret_start_at_end(text: str) -> int:
    """The length of the longest end of ``text`` that is the start of a registered secret."""
    with _lock:
        secrets = list(_known_secrets)
    found = 0
    for secret in secrets:
        head = secret[:MIN_SECRET_START]
        at = text.find(head, max(len(text) - len(secret) + 1, 0))
        while at != -1 and len(text) - at > found:
            if secret.startswith(text[at:]):
                found = len(text) - at
                break
            at = text.find(head, at + 1)
    return found


def safe_url(url: str, secret_params=()) -> str:
    """The URL without userinfo and with sensitive query parameters masked, for messages.

    ``secret_params`` names parameters that carry credentials whatever their name looks like.
    """
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:  # unparseable, or a port out of range
        return "<invalid url>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    query = urlencode(
        [
            (k, REDACTED if k in secret_params or _SENSITIVE_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="[]",
    )
    return redact(urlunsplit((parts.scheme, host, parts.path, query, "")))


#: A credential is removed from stored data (records an upstream echoed it into) only from this
#: length: shorter values are likely to be ordinary words of the data, which replacing would corrupt.
MIN_STORED_SECRET_LENGTH = 8


def stored_secret_forms(values) -> tuple[str, ...]:
    """The forms of ``values`` (a connector's credentials) to remove from records: each value raw,
    percent- and form-encoded; longest first (a form inside a longer one goes with it)."""
    forms: set[str] = set()
    for value in values:
        if value and len(value) >= MIN_STORED_SECRET_LENGTH:
            forms |= secret_encodings(value)
    kept = (form for form in forms if len(form) >= MIN_STORED_SECRET_LENGTH)
    return tuple(sorted(kept, key=len, reverse=True))


def _json_escaped(form: str) -> set[bytes]:
    """How ``form`` may appear in a JSON body: raw UTF-8, escaped by ``json.dumps`` (ASCII or not),
    with its slashes escaped as some encoders do."""
    found = {form.encode()}
    found |= {json.dumps(form, ensure_ascii=ascii)[1:-1].encode() for ascii in (True, False)}
    return found | {text.replace(b"/", b"\\/") for text in found}


@functools.lru_cache(maxsize=8)
def _looked_for(forms: tuple[str, ...]) -> tuple[bytes, ...]:
    """The bytes to look for in a page: every JSON form of ``forms``, but those holding another
    (found only where that one is)."""
    texts = {raw for form in forms for raw in _json_escaped(form)}
    return tuple(text for text in texts if not any(other in text for other in texts if other != text))


def scrub_stored_secrets(records: list, body: bytes, forms: tuple[str, ...]) -> int:
    """Replace every form of a credential in ``records`` (in place; keys and string values at any
    depth) with ``[REDACTED]``; return how many records held one. ``body`` (the page as received)
    is searched first: a page that holds none costs a few byte searches."""
    if not forms or not body or not any(text in body for text in _looked_for(forms)):
        return 0
    held = 0
    for index, record in enumerate(records):
        scrubbed, changed = _scrub(record, forms)
        if changed:
            records[index] = scrubbed
            held += 1
    return held


def _scrub(value, forms: tuple[str, ...]):
    cls = type(value)
    if cls is str:
        text = value
        for form in forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text, text is not value
    if cls is dict:
        changed = False
        out = {}
        for key, item in value.items():
            new_key, key_changed = _scrub(key, forms) if type(key) is str else (key, False)
            new_item, item_changed = _scrub(item, forms)
            out[new_key] = new_item
            changed = changed or key_changed or item_changed
        return (out, True) if changed else (value, False)
    if cls is list:
        results = [_scrub(item, forms) for item in value]
        if any(changed for _item, changed in results):
            return [item for item, _changed in results], True
        return value, False
    return value, False
