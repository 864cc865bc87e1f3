"""The one path syntax of a connector: ``records_path``, pagination paths, ``primary_key``, the
incremental ``cursor_field`` and the transformation rules' source paths all address JSON with it.

Two forms:

* **Dotted** (the usual one): ``data.items``, ``meta.next_token``, ``address.city``. A backslash
  escapes the next character, so a key that contains a dot is written ``@odata\\.nextLink`` and a
  literal backslash ``\\\\``. Brackets have no meaning: ``page[after]`` is the key ``page[after]``.
* **JSON Pointer** (RFC 6901), any path starting with ``/``: ``/@odata.nextLink``,
  ``/data/-1/id``; ``~1`` is a ``/`` and ``~0`` a ``~`` inside a key.

In both forms a part that is an integer indexes a list when the value there is a list, counting from
the end when negative (``data.-1.id`` is the ``id`` of the last element of ``data``); on an object it
is an ordinary key.
"""

from __future__ import annotations


def path_parts(path: str) -> tuple[str, ...]:
    """The keys of ``path``, unescaped. Empty dotted segments are skipped (``a..b`` is ``a.b``);
    :func:`validate_path` refuses them where a user writes a path."""
    if not path:
        return ()
    if path.startswith("/"):
        return tuple(part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/"))
    if "\\" not in path:
        return tuple(part for part in path.split(".") if part != "")
    parts: list[str] = []
    current: list[str] = []
    chars = iter(path)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(part for part in parts if part != "")


def validate_path(path: str, *, what: str) -> tuple[str, ...]:
    """The parts of a user-written ``path``; ``ValueError`` naming ``what`` when a dotted path has
    an empty segment (``a..b``, a leading or trailing dot), which is almost always a typo."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"{what} must be a non-empty path.")
    if not path.startswith("/"):
        unescaped = path.replace("\\\\", "").replace("\\.", "")
        if any(part == "" for part in unescaped.split(".")):
            raise ValueError(
                f"{what} {path!r} has an empty segment: write a field name or a dotted path such as "
                "'meta.updated', and a key that contains a dot as 'a\\.b' or as a JSON Pointer ('/a.b')."
            )
    return path_parts(path)


def format_path(parts) -> str:
    """The dotted form of ``parts``, escaping backslashes and dots (the inverse of :func:`path_parts`).

    Two keys the dotted form cannot write as they are: an empty key (``""``, which a dotted path
    skips: the path would name its parent, or the whole record) makes the path a JSON Pointer
    (``[""]`` → ``/``, ``["a", ""]`` → ``/a/``), and a first key that starts with ``/`` (which
    would make the path a JSON Pointer) has that slash escaped (``["/users"]`` → ``\\/users``).
    """
    if "" in parts:
        return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)
    text = ".".join(part.replace("\\", "\\\\").replace(".", "\\.") for part in parts)
    return "\\" + text if text.startswith("/") else text


def list_index(part: str) -> int | None:
    """``part`` as a list index (negative counts from the end), or None when it is not an integer."""
    text = part[1:] if part.startswith("-") else part
    return int(part) if text.isdigit() else None


def get_path(obj, parts: tuple[str, ...]):
    """The value at ``parts`` (see :func:`path_parts`), or None when any step is missing."""
    for part in parts:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list):
            index = list_index(part)
            if index is None or not -len(obj) <= index < len(obj):
                return None
            obj = obj[index]
        else:
            return None
        if obj is None:
            return None
    return obj


def has_path(obj, parts: tuple[str, ...]) -> bool:
    """Whether every key of ``parts`` exists (a ``null`` at the end counts as present: an API that
    writes ``"next_cursor": null`` says "no next page", one that leaves the key out may not)."""
    for part in parts:
        if isinstance(obj, dict):
            if part not in obj:
                return False
            obj = obj[part]
        elif isinstance(obj, list):
            index = list_index(part)
            if index is None or not -len(obj) <= index < len(obj):
                return False
            obj = obj[index]
        else:
            return False
    return True
