"""Secrets in the endpoint URL's path: ``{secret:NAME}`` placeholders.

Some APIs put the key in the path (``https://api.telegram.org/bot<token>/getUpdates``). The
connector's ``api_endpoint`` then holds a placeholder
(``https://api.telegram.org/bot{secret:token}/getUpdates``) and the value lives encrypted in
``secret_params["path"]["token"]``. Only the outbound request gets
the value (:func:`fill`, called by ``services.auth.RequestAuth`` at the one place requests are sent);
everything else (the API's representation, messages, logs, checkpoints, the origin and same-host
checks) sees the placeholder, and the URLs an upstream answers with get it back (:func:`hide`). A
placeholder is allowed in the path only, never in the host, the query or the fragment.
"""

import re
from urllib.parse import quote, urlsplit

from core.redaction import secret_encodings

#: ``{secret:NAME}``; a name is what a secret_params.path entry may be called.
PLACEHOLDER = re.compile(r"\{secret:([A-Za-z0-9_.-]{1,64})\}")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
#: What a value may contain unencoded in a path segment (RFC 3986 ``pchar``); anything else, ``/``
#: included, is percent-encoded, so a value stays one segment.
_PCHAR = "-._~!$&'()*+,;=:@"


def names_in(url: str) -> list[str]:
    """The secret names the placeholders of ``url`` use, in order."""
    return PLACEHOLDER.findall(url or "")


def misplaced(url: str) -> str:
    """Why the placeholders of ``url`` cannot be used, or "": one outside the path, or a ``{secret``
    that is not a well-formed placeholder."""
    parts = urlsplit(url or "")
    for where, text in (("host", parts.netloc), ("query", parts.query), ("fragment", parts.fragment)):
        if "{secret" in text:
            return f"a {{secret:NAME}} placeholder may only be in the URL's path, not its {where}."
    if "{secret" in PLACEHOLDER.sub("", parts.path):
        return "write a secret in the path as {secret:NAME} (letters, digits, '_', '.', '-')."
    return ""


def fill(url: str, secrets: dict[str, str]) -> str:
    """``url`` with each placeholder replaced by its secret, percent-encoded as a path segment. A
    placeholder without a secret stays (the connector was saved with it: the upstream says 404)."""
    if not secrets or "{secret:" not in url:
        return url
    return PLACEHOLDER.sub(
        lambda m: quote(secrets[m.group(1)], safe=_PCHAR) if m.group(1) in secrets else m.group(0), url
    )


def hide(url: str, secrets: dict[str, str]) -> str:
    """``url`` with every secret, in any encoding it can take in a URL, back to its placeholder."""
    if not secrets or not url:
        return url
    forms = [
        (form, f"{{secret:{name}}}")
        for name, value in secrets.items()
        if value
        for form in secret_encodings(value) | {quote(value, safe=_PCHAR)}
    ]
    for form, placeholder in sorted(forms, key=lambda pair: len(pair[0]), reverse=True):
        url = url.replace(form, placeholder)
    return url
