"""Rate limits read from an error body only inside the envelope the vendor documents."""

import json

import pytest

from core.upstream_errors import reported_rate_limit


def graph_error(**error) -> bytes:
    return json.dumps({"error": error}).encode()


@pytest.mark.parametrize("code", [4, 17, 32, 341, 613, 80000, 80001, 80014, "17"])
def test_meta_s_rate_limit_codes_in_its_error_object_are_rate_limits(code):
    body = graph_error(message="(#17) User request limit", type="OAuthException", code=code, fbtrace_id="A")

    reported = reported_rate_limit(body, {})

    assert reported is not None and reported.said.endswith(f"({code})") and reported.wait is None


@pytest.mark.parametrize(
    "body",
    [
        graph_error(message="Invalid parameter", type="OAuthException", code=100, fbtrace_id="A"),
        graph_error(message="Error validating access token", type="OAuthException", code=190, fbtrace_id="A"),
        graph_error(message="Not found", code=17),  # another API's code 17: no fbtrace_id, no Meta envelope
        graph_error(message="(#17) limit", code=True, fbtrace_id="A"),
        json.dumps({"errors": [{"code": 17, "fbtrace_id": "A", "message": "x"}]}).encode(),
    ],
    ids=["graph-100", "graph-190", "no-fbtrace-id", "boolean-code", "errors-list"],
)
def test_other_codes_and_other_envelopes_are_no_meta_rate_limit(body):
    assert reported_rate_limit(body, {}) is None


def test_meta_s_usage_headers_name_the_wait_and_retry_after_comes_first():
    body = graph_error(message="too many calls", type="OAuthException", code=80004, fbtrace_id="A")
    usage = {"1": [{"type": "ads_management", "estimated_time_to_regain_access": 2}], "2": "junk"}
    account = '{"reset_time_duration": 30}'
    headers = {"x-business-use-case-usage": json.dumps(usage), "x-ad-account-usage": account}

    assert reported_rate_limit(body, headers).wait == 120.0
    assert reported_rate_limit(body, {"x-ad-account-usage": account}).wait == 30.0
    assert reported_rate_limit(body, {"x-business-use-case-usage": "not json"}).wait is None
    assert reported_rate_limit(body, {**headers, "retry-after": "5"}).wait == 5.0


def test_mediawiki_s_maxlag_answer_is_a_rate_limit_waiting_its_retry_after_else_five_seconds():
    lag = {"code": "maxlag", "info": "Waiting for db1001: 7 seconds lagged", "host": "db1001", "lag": 7}
    body = json.dumps({"error": lag, "servedby": "mw1"}).encode()

    reported = reported_rate_limit(body, {"retry-after": "2", "x-database-lag": "7"})
    assert reported.wait == 2.0
    assert reported.said == "Waiting for db1001: 7 seconds lagged (maxlag)"
    assert reported_rate_limit(body, {}).wait == 5.0  # the manual: "at least 5 seconds"


@pytest.mark.parametrize(
    "error",
    [
        {"code": "badcontinue", "info": "Invalid continue param."},  # MediaWiki's other errors fail the run
        {"code": "maxlag", "message": "a record of another API"},  # not MediaWiki's error object
        {"code": 5, "info": "maxlag"},
    ],
    ids=["badcontinue", "no-info", "other-code"],
)
def test_other_mediawiki_errors_and_other_objects_naming_maxlag_are_no_rate_limit(error):
    assert reported_rate_limit(json.dumps({"error": error}).encode(), {"retry-after": "2"}) is None


def test_etherscan_s_max_rate_limit_reached_answered_with_http_200_waits_a_second():
    body = json.dumps({"status": "0", "message": "NOTOK", "result": "Max rate limit reached"}).encode()

    found = reported_rate_limit(body, {})

    assert found is not None and found.wait == 1.0 and "Max rate limit reached" in found.said
    assert reported_rate_limit(body, {"retry-after": "3"}).wait == 3.0  # the headers as the client reads them


@pytest.mark.parametrize(
    "body",
    [
        {"status": "0", "message": "NOTOK", "result": "Invalid API Key"},  # an error, no rate limit
        {"status": "0", "message": "NOTOK", "result": "Max rate limit reached", "extra": 1},
        {"status": "0", "message": "OK", "result": "Max rate limit reached"},
    ],
    ids=["other-cause", "other-envelope", "no-notok"],
)
def test_other_causes_and_envelopes_are_no_etherscan_rate_limit(body):
    assert reported_rate_limit(json.dumps(body).encode(), {}) is None
