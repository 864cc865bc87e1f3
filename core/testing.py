"""Test helpers for the web UI's hand-written API types (``frontend/src/api/types.ts``): each
module's tests check that the types its pages read say what the OpenAPI schema says, so a field
added, renamed or made write-only in the API without the UI following fails a test."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

FRONTEND = Path(settings.BASE_DIR) / "frontend" / "src"


def _types() -> str:
    return (FRONTEND / "api" / "types.ts").read_text()


def api_schemas() -> dict:
    """The OpenAPI schema's component schemas, as the API serves them (needs the database)."""
    from django.test import Client

    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


def ui_interface(name: str) -> set[str]:
    """The property names of ``export interface <name> { ... }`` in types.ts (its own lines only)."""
    match = re.search(rf"^export interface {name}(?: extends \w+)? \{{\n(.*?)^\}}", _types(), re.S | re.M)
    assert match, f"interface {name} not found in types.ts"
    return set(re.findall(r"^  (\w+)\??:", match.group(1), re.M))


def ui_union(name: str) -> set[str]:
    """The string members of ``export type <name> = "a" | "b";`` in types.ts."""
    match = re.search(rf"^export type {name} = ([^;]+);", _types(), re.M)
    assert match, f"type {name} not found in types.ts"
    return set(re.findall(r'"(\w+)"', match.group(1)))
