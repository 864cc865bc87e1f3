"""Remove credentials from text that leaves the process (logs, error messages, sync logs).

Two layers: known secret values registered at run time (the decrypted api keys a sync uses), and
patterns for common credential shapes (Authorization headers, ``api_key=`` parameters, URL userinfo).
"""

import re
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"
_SENSITIVE_PARAM = re.compile(
    r"(?i)(api[_-]?key|apikey|token|secret|password|passwd|access[_-]?key|auth|signature|sig|key)"
)
_PATTERNS = [
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|basic|token)?\s*[^\s,;'\"]+"), r"\1\2 " + REDACTED),
    (
        re.compile(
            r"(?i)((?:api[_-]?key|apikey|access[_-]?token|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s&,;'\"]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
]

_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` removes it wherever it appears."""
    if value and len(value) >= 4:
        with _lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    if not text:
        return text
    if _known_secrets:
        with _lock:
            secrets = sorted(_known_secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def safe_url(url: str) -> str:
    """The URL without userinfo and with sensitive query parameters masked, for messages."""
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
            (k, REDACTED if _SENSITIVE_PARAM.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="[]",
    )
    return redact(urlunsplit((parts.scheme, host, parts.path, query, "")))
