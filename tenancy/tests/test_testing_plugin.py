"""``tenancy.testing``'s check of the test paths asked for: a module that is not enabled is named."""

from tenancy.testing import module_not_enabled


def make_package(folder, apps_text=None):
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    if apps_text is not None:
        (folder / "apps.py").write_text(apps_text)
    return folder


MODULE_APPS = (
    "from core import extensions\n\nclass InventoryConfig(extensions.ModuleConfig):\n    name = 'inventory'\n"
)


def test_a_test_path_of_a_module_left_out_of_the_installed_apps_names_the_module(tmp_path):
    module = make_package(tmp_path / "inventory", MODULE_APPS)
    tests = make_package(module / "tests")
    (tests / "test_api.py").write_text("")

    assert module_not_enabled(tests, ["core", "demo_extension"]) == "inventory"
    assert module_not_enabled(tests / "test_api.py", ["core"]) == "inventory"
    assert module_not_enabled(module, ["core"]) == "inventory"


def test_an_installed_module_a_platform_app_and_a_folder_outside_any_app_pass(tmp_path):
    module = make_package(tmp_path / "inventory", MODULE_APPS)
    platform_app = make_package(tmp_path / "plat", "from django.apps import AppConfig\n")
    make_package(platform_app / "tests")

    assert module_not_enabled(module / "tests", ["core", "inventory"]) is None
    assert module_not_enabled(module, ["inventory.apps.InventoryConfig"]) is None
    assert module_not_enabled(platform_app / "tests", ["core"]) is None
    assert module_not_enabled(tmp_path, ["core"]) is None
