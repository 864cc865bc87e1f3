"""The web UI's hand-written types of the audit API (frontend/src/api/types.ts) say what the
OpenAPI schema says: a field added, renamed or made write-only without the Audit page following
fails here."""

from core.testing import api_schemas, ui_interface


def test_the_ui_type_has_exactly_the_fields_of_an_audit_event(db):
    assert ui_interface("AuditEvent") == set(api_schemas()["AuditEvent"]["properties"])


def test_the_ui_type_of_an_object_an_event_names_has_exactly_the_schemas_fields(db):
    assert ui_interface("AuditObjectReference") == set(api_schemas()["ObjectReference"]["properties"])


def test_the_ui_knows_that_me_names_the_installed_modules(db):
    assert ui_interface("Me") == set(api_schemas()["Me"]["properties"])


def test_the_ui_type_of_the_filters_values_has_exactly_the_schemas_fields(db):
    assert ui_interface("AuditValues") == set(api_schemas()["AuditValues"]["properties"])
