"""``manage.py startextension``: a generated module works with no edit outside its folder.

The proof runs the platform's route-walk tests (isolation, role matrix, page caps, the published
schema, the layer check) and the new module's own tests in a fresh process, with the module enabled
only through ``MIGRATEIQ_EXTENSIONS`` and found on ``PYTHONPATH`` in a temporary directory.
"""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.management.commands.startextension import find_ruff

BASE_DIR = Path(settings.BASE_DIR).resolve()

#: The platform's tests that walk every route and model of the installed modules.
PLATFORM_TESTS = [
    "core/tests/test_layers.py",
    "core/tests/test_api_contract.py",
    "tenancy/tests/test_isolation.py",
    "tenancy/tests/test_role_matrix.py",
    "tenancy/tests/test_quotas.py::test_every_create_endpoint_of_the_url_configuration_has_a_limit",
    "core/tests/test_security_config.py::test_every_list_serves_500_rows_a_page_and_refuses_a_larger_page_size",
    "core/tests/test_security_config.py::test_every_api_route_is_in_the_published_schema_and_nothing_else",
    "core/tests/test_security_config.py::test_the_openapi_schema_is_served",
]

#: The checks that read what the module's routes answer (docs/extensions.md, step 6: "before calling
#: the module done"): no secret in any response, log or metric, and schemathesis against the
#: published schema, selected for the module with ``-k``.
ANSWER_CHECKS = ["core/tests/test_secret_canary.py", "core/tests/test_schema_fuzz.py"]


def module_env(directory: Path, modules: str) -> dict[str, str]:
    """The environment of a fresh process that has ``modules`` enabled, ``directory`` importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MIGRATEIQ_EXTENSIONS"))}
    env["PYTHONPATH"] = os.pathsep.join([str(directory), str(BASE_DIR)])
    env["MIGRATEIQ_EXTENSIONS"] = modules
    return env


def run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )


#: docs/extensions.md, "Walkthrough" steps 3 to 6: one field, one action, its role-table rows and
#: its test, as (file, text to find, replacement); "+" files are new.
WALKTHROUGH = [
    (
        "models.py",
        'secret = EncryptedTextField(blank=True, default="")\n',
        'secret = EncryptedTextField(blank=True, default="")\n'
        "    quantity = models.PositiveIntegerField(default=0)\n",
    ),
    (
        "serializers.py",
        'fields = ["id", "name", "secret", "has_secret", "created_at", "updated_at"]\n'
        '        read_only_fields = ["id", "created_at", "updated_at"]\n',
        'fields = ["id", "name", "quantity", "secret", "has_secret", "created_at", "updated_at"]\n'
        '        read_only_fields = ["id", "quantity", "created_at", "updated_at"]\n',
    ),
    (
        "serializers.py",
        None,  # appended
        "\n\nclass RestockSerializer(StrictTypesMixin, serializers.Serializer):\n"
        "    amount = serializers.IntegerField(min_value=1, max_value=1_000_000)\n",
    ),
    (
        "services.py",
        "from django.db import transaction\n",
        "from django.db import transaction\nfrom django.db.models import F\n"
        "from django.utils import timezone\n",
    ),
    (
        "services.py",
        None,
        """

@transaction.atomic
def restock(inventory_item: InventoryItem, amount: int) -> InventoryItem:
    InventoryItem.objects.filter(pk=inventory_item.pk).update(
        quantity=F("quantity") + amount, updated_at=timezone.now()
    )
    inventory_item.refresh_from_db(fields=["quantity", "updated_at"])
    return inventory_item
""",
    ),
    (
        "views.py",
        "from inventory.serializers import InventoryItemSerializer\n",
        "from inventory.serializers import InventoryItemSerializer, RestockSerializer\n"
        "from rest_framework.decorators import action\nfrom rest_framework.response import Response\n",
    ),
    (
        "views.py",
        None,
        """
    @extend_schema(
        summary="Add stock",
        request=RestockSerializer,
        responses={200: InventoryItemSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restock(self, request, pk=None):
        item = self.get_object()  # first: another tenant's id is a 404, whatever the body
        body = RestockSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.restock(item, body.validated_data["amount"])
        return Response(InventoryItemSerializer(item).data)
""",
    ),
    (
        "tests/platform_fixtures.py",
        '(ITEMS + "{pk}/", "DELETE"): Role.ADMIN,\n',
        '(ITEMS + "{pk}/", "DELETE"): Role.ADMIN,\n    (ITEMS + "{pk}/restock/", "POST"): Role.EDITOR,\n',
    ),
    (
        "tests/platform_fixtures.py",
        '(ITEMS + "{pk}/", "PATCH"): {"name": "renamed"},\n',
        '(ITEMS + "{pk}/", "PATCH"): {"name": "renamed"},\n'
        '    (ITEMS + "{pk}/restock/", "POST"): {"amount": 5},\n',
    ),
    (
        "+tests/test_restock.py",
        None,
        """from inventory.models import InventoryItem


def test_an_editor_restocks_an_item(editor_client, tenant_a):
    item = InventoryItem.objects.create(tenant=tenant_a, name="Bolts", quantity=3)
    before = item.updated_at

    response = editor_client.post(f"/api/inventory/items/{item.pk}/restock/", {"amount": 5}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == 8
    item.refresh_from_db()
    assert item.updated_at > before


def test_an_amount_sent_as_text_is_refused(editor_client, tenant_a):
    item = InventoryItem.objects.create(tenant=tenant_a, name="Bolts", quantity=3)

    response = editor_client.post(f"/api/inventory/items/{item.pk}/restock/", {"amount": "5"}, format="json")

    assert response.status_code == 400, response.content


def test_a_viewer_cannot_restock(viewer_client, tenant_a):
    item = InventoryItem.objects.create(tenant=tenant_a, name="Bolts", quantity=3)

    response = viewer_client.post(f"/api/inventory/items/{item.pk}/restock/", {"amount": 5}, format="json")

    assert response.status_code == 403
""",
    ),
]


def test_the_walkthrough_followed_here_is_the_code_docs_extensions_md_shows():
    """The code this module adds is the walkthrough's, line for line, so that what the suite proves
    (an action that moves ``updated_at``, a body read strictly) is what a reader copies."""
    doc_lines = {line.strip() for line in (BASE_DIR / "docs" / "extensions.md").read_text().splitlines()}
    for name, find, replacement in WALKTHROUGH:
        if find is not None:
            continue  # an edit of a generated line; the appended code and the new files are the doc's
        lines = [line.strip() for line in replacement.splitlines() if line.strip()]
        missing = [line for line in lines if line not in doc_lines]
        assert not missing, f"{name}: not in docs/extensions.md's walkthrough: {missing}"


def follow_the_walkthrough(module: Path) -> None:
    for name, find, replacement in WALKTHROUGH:
        path = module / name.removeprefix("+")
        text = "" if name.startswith("+") else path.read_text()
        if find is None:
            text += replacement
        else:
            assert text.count(find) == 1, f"{name}: {find!r} is not in the generated file once"
            text = text.replace(find, replacement)
        path.write_text(text)


#: The schema fuzz's cases are one node id each (schemathesis names the operation in the keyword):
#: ``-k`` keeps every other test of a run and the fuzz of these modules' operations only.
FUZZ_OF_THE_MODULES = "not test_the_api_honours_its_published_contract or inventory or memos"


@pytest.mark.slow
@pytest.mark.timeout(900)  # it runs pytest in a process of its own: minutes on a slow, busy host
def test_the_walkthrough_module_passes_the_platform_tests_and_its_own(tmp_path):
    """docs/extensions.md's walkthrough, with the module enabled only through the environment; beside
    it a module generated with a model name (``--model``). One run of pytest (minutes of a CI host)
    takes the platform's route walks of both modules, the checks of what their routes answer (the
    secret canary, the schema fuzz of each of their operations) and their own tests.

    The schema fuzz found a generated module's list taking any ``?ordering=`` in its schema but
    refusing all but its fields, and its create storing ``{"secret": 1234}``: the template names its
    ordering fields and reads bodies strictly; the walkthrough's action reads its body strictly too."""
    call_command("startextension", "inventory", "--source", directory=str(tmp_path))
    call_command("startextension", "memos", "--model", "Memo", "--source", directory=str(tmp_path))
    modules_dir = tmp_path
    env = module_env(modules_dir, "demo_extension,inventory,memos")
    generated = run(["manage.py", "makemigrations", "--check", "--dry-run", "inventory"], env, 240)
    assert generated.returncode == 0, generated.stdout + generated.stderr

    follow_the_walkthrough(modules_dir / "inventory")
    added = run(["manage.py", "makemigrations", "inventory"], env, 240)
    assert added.returncode == 0 and "+ Add field quantity to inventoryitem" in added.stdout, added.stderr
    # The platform's tests walk every installed route: the run takes the cases of these two modules
    # and every case that is not one route's (the main run has walked demo_extension's routes).
    collected = run(["-m", "pytest", "--collect-only", "-q", *PLATFORM_TESTS, str(modules_dir)], env, 240)
    assert "api/inventory/items/{pk}/restock/" in collected.stdout
    assert "api/memos/memos/{pk}/" in collected.stdout
    assert "test_a_sync_reads_the_tenants_inventory_items_and_nothing_else" in collected.stdout
    assert "test_an_editor_restocks_an_item" in collected.stdout
    assert "test_an_amount_sent_as_text_is_refused" in collected.stdout
    selected = platform_cases_of(collected.stdout, ("inventory", "memos"))
    assert len(selected) > 60, collected.stdout[-3000:]
    modules = [str(modules_dir / "inventory"), str(modules_dir / "memos")]
    report = tmp_path / "report.xml"
    tests = run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "-k", FUZZ_OF_THE_MODULES]
        + [*selected, *ANSWER_CHECKS, *modules],
        env,
        900,
    )

    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    # the run's own report, written by the pytest process this test started
    names = [case.get("name", "") for case in ElementTree.parse(report).getroot().iter("testcase")]  # noqa: S314
    assert len(names) > len(selected), summary  # and the modules' own tests, the canary's
    assert "test_no_stored_secret_appears_in_any_response_log_line_or_metric" in names, names
    # The fuzz's cases share one name in the report (the operation is in their keyword, which the
    # ``-k`` above matched): each module's list, create, read, replace, change and delete, and the
    # walkthrough's action: 6 + 7.
    fuzzed = [name for name in names if name == "test_the_api_honours_its_published_contract"]
    assert len(fuzzed) == 13, names


def platform_cases_of(collected: str, modules: tuple[str, ...]) -> list[str]:
    """The platform tests of a ``--collect-only -q`` listing that are the modules' cases (of their
    routes and models) or that are not parametrized by one route."""
    ids = [
        line
        for line in collected.splitlines()
        if line.startswith(tuple(t.split("::")[0] for t in PLATFORM_TESTS))
    ]
    return [i for i in ids if "[" not in i or any(module in i for module in modules)]


def test_a_model_name_names_the_model_its_route_and_its_texts(tmp_path):
    # A "notes" module holds notes: not NotesItem rows at /api/notes/items/, "List notes items".
    out = StringIO()
    call_command("startextension", "memos", "--model", "StockMemo", directory=str(tmp_path), stdout=out)
    module = tmp_path / "memos"
    code = {p.relative_to(module).as_posix(): p.read_text() for p in module.rglob("*.py")}

    assert "class StockMemo(TenantOwnedModel):" in code["models.py"]
    assert 'router.register("stock-memos", StockMemoViewSet' in code["urls.py"]
    assert 'STOCK_MEMOS = "api/memos/stock-memos/"' in code["tests/platform_fixtures.py"]
    assert 'summary="List stock memos"' in code["views.py"]
    assert 'name="StockMemo"' in code["migrations/0001_initial.py"]
    assert not [name for name, text in code.items() if "MemosItem" in text or "memos_item" in text]
    assert "API: /api/memos/stock-memos/" in out.getvalue()


def test_the_generated_name_refuses_what_would_make_one_row_pass_for_another(tmp_path):
    # A generated module's name took bidi overrides, terminal escapes and invisible characters, which
    # every other name people read refuses (core.display_names).
    call_command("startextension", "inventory", directory=str(tmp_path))
    module = tmp_path / "inventory"

    assert "validators=[validate_display_name]" in (module / "models.py").read_text()
    assert (
        "core.display_names.validate_display_name" in (module / "migrations" / "0001_initial.py").read_text()
    )


@pytest.mark.parametrize(
    ("model", "route", "summary"),
    [("Category", "categories", "List categories"), ("StatusBox", "status-boxes", "List status boxes")],
)
def test_the_route_and_the_texts_of_a_model_name_use_its_plural(tmp_path, model, route, summary):
    call_command("startextension", "memos", "--model", model, directory=str(tmp_path))

    assert f'router.register("{route}", {model}ViewSet' in (tmp_path / "memos" / "urls.py").read_text()
    assert f'summary="{summary}"' in (tmp_path / "memos" / "views.py").read_text()


@pytest.mark.parametrize(
    ("model", "why"),
    [
        ("note", "not a model class name"),
        ("Stock_Item", "not a model class name"),
        ("Role", "import already"),
    ],
)
def test_a_model_name_that_cannot_be_the_models_class_is_refused(tmp_path, model, why):
    with pytest.raises(CommandError, match=why):
        call_command("startextension", "memos", "--model", model, directory=str(tmp_path))
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_the_tests_of_a_module_that_is_not_enabled_say_how_to_enable_it(tmp_path):
    call_command("startextension", "inventory", directory=str(tmp_path))
    env = module_env(tmp_path, "demo_extension,audit,webhooks")  # inventory left out

    # The command docs/extensions.md gives for a module's tests (the plugin, as outside the repository).
    outside = ["-p", "tenancy.testing", "--ds", "migrateiq.settings"]
    tests = run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", *outside, str(tmp_path / "inventory" / "tests")],
        env,
        300,
    )

    assert tests.returncode != 0
    assert "doesn't declare an explicit app_label" not in tests.stdout + tests.stderr
    assert (
        "MIGRATEIQ_EXTENSIONS=demo_extension,audit,webhooks,inventory python -m pytest "
        f"{tmp_path / 'inventory' / 'tests'}"
    ) in tests.stderr, tests.stdout[-3000:] + tests.stderr[-3000:]


def test_the_module_has_every_layer_and_no_source_unless_asked(tmp_path):
    call_command("startextension", "shelf_stock", directory=str(tmp_path))
    files = {
        p.relative_to(tmp_path / "shelf_stock").as_posix() for p in (tmp_path / "shelf_stock").rglob("*.py")
    }

    assert files == {
        "__init__.py",
        "admin.py",
        "apps.py",
        "migrations/__init__.py",
        "migrations/0001_initial.py",
        "models.py",
        "selectors.py",
        "serializers.py",
        "services.py",
        "tasks.py",
        "urls.py",
        "views.py",
        "tests/__init__.py",
        "tests/conftest.py",
        "tests/platform_fixtures.py",
        "tests/test_api.py",
        "tests/test_tasks.py",
    }
    apps_py = (tmp_path / "shelf_stock" / "apps.py").read_text()
    assert (
        'api_prefix = "shelf-stock"' in apps_py
        and "class ShelfStockConfig(extensions.ModuleConfig)" in apps_py
    )
    assert "def ready" not in apps_py


def test_the_generated_code_passes_the_projects_lint(tmp_path):
    # A project of its own whose ruff settings are the repository's, the module's folder and the
    # platform's packages both first-party: as if it were generated in the repository.
    config = (BASE_DIR / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        config.replace("[tool.ruff]\n", f'[tool.ruff]\nsrc = [".", "{BASE_DIR}"]\n')
    )
    call_command("startextension", "inventory", "--source", directory=str(tmp_path))
    ruff = find_ruff()

    lint = subprocess.run([ruff, "check", "inventory"], cwd=tmp_path, capture_output=True, text=True)
    style = subprocess.run(
        [ruff, "format", "--check", "inventory"], cwd=tmp_path, capture_output=True, text=True
    )

    assert lint.returncode == 0, lint.stdout
    assert style.returncode == 0, style.stdout


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Inventory", "not a module name"),
        ("2fast", "not a module name"),
        ("class", "not a module name"),
        ("docs", "is the platform's"),
        ("core", "importable package"),
        ("json", "importable package"),
    ],
)
def test_a_name_that_cannot_be_a_module_is_refused(tmp_path, name, why):
    with pytest.raises(CommandError, match=why):
        call_command("startextension", name, directory=str(tmp_path))
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(tmp_path):
    (tmp_path / "inventory").mkdir()
    with pytest.raises(CommandError, match="exists already"):
        call_command("startextension", "inventory", directory=str(tmp_path))
    assert not any((tmp_path / "inventory").iterdir())


def test_the_enable_hint_keeps_the_modules_installed_now(tmp_path, settings):
    # MIGRATEIQ_EXTENSIONS replaces the default list: a hint naming only demo_extension would
    # uninstall audit and webhooks for whoever pastes it.
    settings.MIGRATEIQ_EXTENSIONS = ["demo_extension", "audit", "webhooks"]
    out = StringIO()

    call_command("startextension", "inventory", directory=str(tmp_path), stdout=out)

    assert "Enable it: MIGRATEIQ_EXTENSIONS=demo_extension,audit,webhooks,inventory;" in out.getvalue()
    # Every test run needs the variable too: the test command to paste carries it.
    assert (
        "Test it: MIGRATEIQ_EXTENSIONS=demo_extension,audit,webhooks,inventory "
        "python -m pytest inventory/tests" in out.getvalue()
    )
