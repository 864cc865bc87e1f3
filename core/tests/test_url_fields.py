"""A URL the API refuses says why: "Enter a valid URL." alone left a user who pasted the README's
Notion example (``<database id>`` still in it) guessing."""

import pytest

from core.url_fields import url_problem

CONNECTORS = "/api/demo-extension/connectors/"
WEBHOOKS = "/api/webhooks/endpoints/"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://api.notion.com/v1/databases/<database id>/query", "a space"),
        ("https://api.notion.com/v1/databases/<database_id>/query", "a placeholder's marks"),
        ("api.example.com/users", "no scheme"),
    ],
)
def test_a_refused_endpoint_says_what_is_wrong_with_it(admin_client, url, said):
    response = admin_client.post(CONNECTORS, {"name": "Notion", "api_endpoint": url}, format="json")

    assert response.status_code == 400, response.content
    message = response.json()["errors"]["api_endpoint"][0]
    assert message.startswith("Enter a valid URL: ") and said in message, message


def test_a_refused_webhook_url_says_what_is_wrong_with_it(admin_client):
    response = admin_client.post(
        WEBHOOKS, {"url": "hooks.example.com/in", "events": ["sync.finished"]}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "no scheme" in response.json()["errors"]["url"][0], response.content


def test_a_valid_url_has_no_problem_and_an_odd_one_keeps_the_plain_message():
    assert url_problem("https://api.example.com/v1/users?page=1") is None
    assert url_problem("https://exa mple.com/") == "it holds a space or a line break (write a space as %20)"
    assert url_problem("https://") == "it names no host"
    assert (
        url_problem("ftp://files.example.com/users.json")
        == "its scheme is 'ftp': only http and https are fetched"
    )
