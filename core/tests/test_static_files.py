"""The web UI's files under /static/ui/ follow a rebuild of frontend/dist without a server restart."""

import os

import pytest


@pytest.fixture
def ui_build(tmp_path, settings):
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "assets" / "index-OLDHASH1.js").write_text("console.log('old build')")
    settings.UI_BUILD_DIR = build
    settings.WHITENOISE_AUTOREFRESH = False
    return build


def test_a_script_of_a_build_made_after_start_up_is_served(client, ui_build):
    assert client.get("/static/ui/assets/index-OLDHASH1.js").status_code == 200  # the server is up
    (ui_build / "assets" / "index-NEWHASH2.js").write_text("console.log('new build')")

    response = client.get("/static/ui/assets/index-NEWHASH2.js")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"console.log('new build')"


def test_a_script_the_new_build_removed_is_a_404_not_a_server_error(client, ui_build):
    assert client.get("/static/ui/assets/index-OLDHASH1.js").status_code == 200
    (ui_build / "assets" / "index-OLDHASH1.js").unlink()

    assert client.get("/static/ui/assets/index-OLDHASH1.js").status_code == 404


def test_a_file_rebuilt_under_the_same_name_is_served_as_it_is_now(client, ui_build):
    icon = ui_build / "favicon.svg"
    icon.write_text("<svg/>")
    assert b"".join(client.get("/static/ui/favicon.svg").streaming_content) == b"<svg/>"
    icon.write_text("<svg><title>new</title></svg>")
    os.utime(icon, ns=(1, 1))  # a rebuild within the same clock tick still differs in size

    response = client.get("/static/ui/favicon.svg")

    assert b"".join(response.streaming_content) == b"<svg><title>new</title></svg>"
    assert response["Content-Length"] == str(len(b"<svg><title>new</title></svg>"))


def test_the_first_build_made_while_the_server_runs_is_served(client, tmp_path, settings):
    build = tmp_path / "dist"
    settings.UI_BUILD_DIR = build
    settings.WHITENOISE_AUTOREFRESH = False
    assert client.get("/static/ui/assets/index-FIRST123.js").status_code == 404
    (build / "assets").mkdir(parents=True)
    (build / "assets" / "index-FIRST123.js").write_text("console.log('first')")

    assert client.get("/static/ui/assets/index-FIRST123.js").status_code == 200


def test_an_address_outside_the_build_folder_is_not_served(client, ui_build):
    (ui_build.parent / "secret.txt").write_text("not a static file")

    assert client.get("/static/ui/../secret.txt").status_code == 404
    assert client.get("/static/ui/assets/../../secret.txt").status_code == 404
