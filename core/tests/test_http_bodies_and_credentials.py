"""The outbound client sends request bodies, and strips exactly the caller's credential names on a
redirect to another origin, whatever those names look like (issue 12, item 11)."""

import json

import pytest

from core.http_errors import UpstreamError

pytestmark = pytest.mark.usefixtures("resolver")


def _url(server, path="/"):
    return f"http://127.0.0.1:{server.port}{path}"


def test_a_json_body_is_sent_with_its_content_type(upstream, make_client):
    upstream.expect_request("/items", method="POST").respond_with_json({"created": True})

    response = make_client().post(_url(upstream, "/items"), json={"name": "x", "n": [1, 2]})

    assert response.json() == {"created": True}
    ((request, _),) = upstream.log
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == {"name": "x", "n": [1, 2]}


def test_form_data_is_sent_url_encoded(upstream, make_client):
    upstream.expect_request("/token", method="POST").respond_with_json({"ok": 1})

    make_client().post(_url(upstream, "/token"), data={"grant_type": "client_credentials", "scope": "a b/c"})

    ((request, _),) = upstream.log
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.to_dict() == {"grant_type": "client_credentials", "scope": "a b/c"}


@pytest.mark.parametrize(
    "bodies",
    [
        {"data": {"a": 1}, "json": {"b": 2}},
        {"json": {"b": 2}, "content": b"{}"},
        {"data": {"a": 1}, "content": b""},
    ],
)
def test_two_bodies_together_are_refused(make_client, bodies):
    with pytest.raises(ValueError, match="one of data, json or content"):
        make_client().post("http://127.0.0.1:9/", **bodies)


def test_a_303_continues_as_a_get_without_the_body(upstream, make_client):
    upstream.expect_request("/start", method="POST").respond_with_data(
        "", status=303, headers={"Location": "/done"}
    )
    upstream.expect_request("/done", method="GET").respond_with_json({"done": True})

    response = make_client().post(_url(upstream, "/start"), data={"secret": "body-value"})

    assert response.json() == {"done": True}
    second = upstream.log[1][0]
    assert second.method == "GET"
    assert second.get_data() == b""


def test_a_body_is_never_redirected_to_another_origin(upstream, second_upstream, make_client):
    upstream.expect_request("/token", method="POST").respond_with_data(
        "", status=307, headers={"Location": _url(second_upstream, "/steal")}
    )

    with pytest.raises(UpstreamError, match="with a body to another origin"):
        make_client().post(_url(upstream, "/token"), data={"client_secret": "abc123456"})

    assert second_upstream.log == []


def test_a_cross_origin_redirect_strips_credential_params_whatever_their_names(
    upstream, second_upstream, make_client
):
    # "appid" looks like no key: the redirecting host echoes it into the new location.
    upstream.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": f"{_url(second_upstream, '/landing')}?appid=k3y-value&page=2"}
    )
    second_upstream.expect_request("/landing").respond_with_json({"ok": True})

    make_client().get(
        _url(upstream, "/start"),
        params={"appid": "k3y-value"},
        headers={"Accept-Language": "k3y-in-a-harmless-looking-header"},
        credential_params=("appid",),
        credential_headers=("Accept-Language",),
    )

    ((request, _),) = second_upstream.log
    assert request.args.to_dict() == {"page": "2"}
    assert "Accept-Language" not in request.headers
    assert "k3y" not in request.url and "k3y" not in str(request.headers)


def test_credential_params_are_masked_in_error_messages(upstream, make_client):
    upstream.expect_request("/locked").respond_with_data("no", status=403)

    with pytest.raises(UpstreamError) as failure:
        make_client(max_attempts=1).get(
            _url(upstream, "/locked"),
            params={"appid": "visible-k3y", "page": "1"},
            credential_params=("appid",),
        )

    assert "visible-k3y" not in str(failure.value)
    assert "visible-k3y" not in failure.value.url
    assert "page=1" in str(failure.value)


@pytest.mark.parametrize("value", ["tok_SECRET\u00e9TAIL", "a\u2028b", "\U0001f600", " padded", "x\x01y"])
def test_a_header_http_cannot_carry_fails_naming_the_header_never_its_characters(
    upstream, make_client, value
):
    with pytest.raises(UpstreamError) as caught:
        make_client().get(_url(upstream, "/items"), headers={"X-Token": value})

    message = str(caught.value)
    assert message.startswith("The X-Token header cannot be sent")
    assert "nothing was sent" in message
    assert value.strip() not in message and "position" not in message and "codec" not in message
    assert upstream.log == []


def test_tabs_and_spaces_between_visible_characters_are_sent(upstream, make_client):
    upstream.expect_request("/items").respond_with_json({"ok": True})

    make_client().get(_url(upstream, "/items"), headers={"X-List": "a, b\tc"})

    ((request, _),) = upstream.log
    assert request.headers["X-List"] == "a, b\tc"


def test_basic_credentials_beyond_ascii_are_sent_as_utf8(upstream, make_client):
    upstream.expect_request("/items").respond_with_json({"ok": True})

    make_client().get(_url(upstream, "/items"), auth=("us\u00e9r", "p\u00e4ss\U0001f600"))

    ((request, _),) = upstream.log
    assert request.authorization.username == "us\u00e9r"
    assert request.authorization.password == "p\u00e4ss\U0001f600"
