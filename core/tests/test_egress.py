"""The egress guard: deny ranges, allowlist semantics, and the SSRF corpus against a canary.

The canary listens on 127.0.0.1 and must receive zero connections, whatever the URL, resolver answer
or proxy environment; an allowlisted local upstream stays reachable throughout. Denials must happen
before any socket is opened (``connect_spy`` records every connect the guard makes).
"""

import ipaddress
import logging
import socket
import threading
import time

import pytest

from core import egress
from core.egress import (
    DENIED_NETWORKS,
    METADATA_ADDRESSES,
    address_forms,
    check_url,
    current_policy,
    parse_allowlist_entry,
)
from core.http_errors import EgressDenied, UpstreamError

pytestmark = pytest.mark.usefixtures("resolver")

PUBLIC = "93.184.216.34"

# -- address policy ---------------------------------------------------------------------------------

DENIED_ADDRESSES = [
    "127.0.0.1",
    "127.0.0.2",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "169.254.1.1",
    "100.100.100.200",
    "192.0.0.192",
    "192.0.0.8",
    "192.0.2.1",
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "fd12:3456::1",
    "ff02::1",
    "fec0::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:a9fe:a9fe",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "::10.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "64:ff9b::a00:1",
    "64:ff9b:1::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
    "2002:a00:1::",
    "2001:db8::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "100::1",
    "::2:3:4:5",
    "4000::1",
]

PUBLIC_ADDRESSES = [
    PUBLIC,
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "192.0.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 form of 8.8.8.8
    "2002:808:808::1",  # 6to4 form of 8.8.8.8
]


@pytest.mark.parametrize("address", DENIED_ADDRESSES)
def test_non_public_addresses_are_denied_by_default(address, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = False
    assert current_policy().denies(ipaddress.ip_address(address), 443)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_allowed(address, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    assert not current_policy().denies(ipaddress.ip_address(address), 443)


@pytest.mark.parametrize(
    ("wrapped", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:a9fe:a9fe", "169.254.169.254"),
        ("::127.0.0.1", "127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("2002:7f00:1::", "127.0.0.1"),
    ],
)
def test_wrapped_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(wrapped, inner):
    assert ipaddress.ip_address(inner) in address_forms(ipaddress.ip_address(wrapped))


def test_metadata_addresses_are_also_covered_by_the_deny_ranges():
    # Belt and braces: even without the metadata list they would be denied.
    for address in METADATA_ADDRESSES:
        networks = [n for n in DENIED_NETWORKS if n.version == address.version]
        private = ipaddress.ip_network("100.64.0.0/10" if address.version == 4 else "fc00::/7")
        assert any(address in n for n in networks) or address in private


# -- allowlist --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "network", "hostname", "port"),
    [
        ("10.0.0.5", "10.0.0.5/32", None, None),
        ("10.0.0.5:8443", "10.0.0.5/32", None, 8443),
        ("10.1.0.0/16", "10.1.0.0/16", None, None),
        ("10.1.0.0/16:443", "10.1.0.0/16", None, 443),
        ("[::1]:8080", "::1/128", None, 8080),
        ("::1", "::1/128", None, None),
        ("fd00::/64", "fd00::/64", None, None),
        ("[fd00::/64]:443", "fd00::/64", None, 443),
        ("API.Example.com", None, "api.example.com", None),
        ("api.example.com:8443", None, "api.example.com", 8443),
    ],
)
def test_allowlist_entries_parse_ips_cidrs_hosts_and_ports(entry, network, hostname, port):
    parsed = parse_allowlist_entry(entry)
    assert parsed.network == (ipaddress.ip_network(network) if network else None)
    assert parsed.hostname == hostname
    assert parsed.port == port


@pytest.mark.parametrize("entry", ["10.0.0.5:0", "10.0.0.5:70000", "[::1", "[::1]x", "bad host!", ":80"])
def test_malformed_allowlist_entries_are_rejected(entry):
    with pytest.raises(ValueError):
        parse_allowlist_entry(entry)


def test_a_malformed_allowlist_entry_allows_nothing_and_is_logged(settings, caplog):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5:99999"]
    with caplog.at_level(logging.WARNING, logger="core.egress"):
        with pytest.raises(EgressDenied):
            check_url("http://10.0.0.5:8080/")
    assert "Ignoring MIGRATEIQ_EGRESS_ALLOWLIST entry" in caplog.text


def test_allowlisting_one_private_ip_does_not_allow_its_neighbour(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5"]
    check_url("http://10.0.0.5/")
    check_url("http://10.0.0.5:8080/api")
    with pytest.raises(EgressDenied):
        check_url("http://10.0.0.6/")


def test_a_denied_loopback_address_says_how_an_operator_allows_it(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5:8001"]
    settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(EgressDenied) as denied:
        check_url("http://127.0.0.1:9/users")
    assert "loopback" in str(denied.value)
    assert "MIGRATEIQ_EGRESS_ALLOWLIST" in str(denied.value)


def test_an_allowlisted_host_on_another_port_names_the_ports_it_is_allowed_on(settings, resolver):
    # A mistyped port: saying "private, loopback or reserved" sent users looking at the host.
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["127.0.0.1:8871", "127.0.0.0/8:8873", "erp.corp.example:8443"]
    settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = False
    resolver.answers["erp.corp.example"] = ["10.0.0.9"]
    with pytest.raises(EgressDenied) as denied:
        check_url("http://127.0.0.1:8872/users")
    assert str(denied.value) == (
        "Requests to http://127.0.0.1:8872/users are not allowed: MIGRATEIQ_EGRESS_ALLOWLIST allows it on "
        "ports 8871, 8873 "
        "only, not on port 8872."
    )
    with pytest.raises(EgressDenied) as denied:
        check_url("http://erp.corp.example/")
    assert "MIGRATEIQ_EGRESS_ALLOWLIST allows it on port 8443 only, not on port 80" in str(denied.value)


def test_an_allowlist_entry_with_a_port_allows_only_that_port(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5:8443", "[fd00::5]:8080"]
    check_url("https://10.0.0.5:8443/")
    check_url("http://[fd00::5]:8080/")
    for url in ("https://10.0.0.5/", "http://10.0.0.5:8444/", "http://[fd00::5]/"):
        with pytest.raises(EgressDenied):
            check_url(url)


def test_allowlisting_a_hostname_allows_that_host_only(settings, resolver):
    resolver.answers["erp.corp.example"] = ["10.0.0.9"]
    resolver.answers["api.erp.corp.example"] = ["10.0.0.10"]
    resolver.answers["evil.example"] = ["10.0.0.9"]
    resolver.answers["sneaky.erp.corp.example.evil.example"] = ["10.0.0.9"]
    with pytest.raises(EgressDenied):
        check_url("http://erp.corp.example/")
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["erp.corp.example", "*.erp.corp.example:8443"]
    check_url("http://erp.corp.example/")
    check_url("https://api.erp.corp.example:8443/")
    # the wildcard entry names a port; another port is not covered
    with pytest.raises(EgressDenied):
        check_url("https://api.erp.corp.example/")
    # GitLab #293733: allowlisting one host must not switch the check off for other hosts,
    # even when they resolve to the same address.
    for url in ("http://evil.example/", "http://sneaky.erp.corp.example.evil.example/"):
        with pytest.raises(EgressDenied):
            check_url(url)


def test_an_allowlisted_hostname_that_resolves_to_cloud_metadata_is_still_denied(settings, resolver):
    resolver.answers["erp.corp.example"] = ["169.254.169.254"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["erp.corp.example"]
    with pytest.raises(EgressDenied):
        check_url("http://erp.corp.example/")


def test_an_allowlisted_ip_is_denied_when_a_name_rebinds_away_from_it(settings, resolver):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5"]
    resolver.rotate("rebind.example", ["10.0.0.5"], ["10.0.0.6"])
    check_url("http://rebind.example/")
    with pytest.raises(EgressDenied):
        check_url("http://rebind.example/")


@pytest.mark.parametrize(
    "entry",
    [
        "169.254.169.254",
        "169.254.0.0/16",
        "0.0.0.0/0",
        "::/0",
        "fd00:ec2::254",
        "100.100.100.200:80",
        "192.0.0.0/24",
    ],
)
def test_cloud_metadata_cannot_be_allowlisted(entry, settings, resolver):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [entry, "metadata.google.internal"]
    settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = True
    resolver.answers["metadata.google.internal"] = ["93.184.216.34"]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://100.100.100.200/",
        "http://192.0.0.192/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./",
    ):
        with pytest.raises(EgressDenied):
            check_url(url)
    # The metadata host name is refused before any DNS lookup.
    assert "metadata.google.internal" not in [c.lower().rstrip(".") for c in resolver.calls]


def test_allow_private_networks_opens_private_ranges_but_never_metadata_or_loopback(settings):
    settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = True
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    for url in ("http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.0.10/", "http://100.64.0.1/"):
        check_url(url)
    check_url("http://[fd12::1]/")
    for url in (
        "http://169.254.169.254/",
        "http://100.100.100.200/",
        "http://[fd00:ec2::254]/",
        "http://192.0.0.192/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.10.10/",
    ):
        with pytest.raises(EgressDenied):
            check_url(url)


def test_allow_private_networks_is_off_by_default(settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = []
    del settings.MIGRATEIQ_ALLOW_PRIVATE_NETWORKS
    with pytest.raises(EgressDenied):
        check_url("http://10.1.2.3/")


# -- check_url (connector create/update) ------------------------------------------------------------


def test_check_url_accepts_a_public_https_url(resolver):
    resolver.answers["api.example.com"] = [PUBLIC]
    check_url("https://api.example.com/v1/users?page=1")


def test_check_url_checks_every_resolved_address(resolver):
    resolver.answers["mixed.example"] = [PUBLIC, "127.0.0.1"]
    resolver.answers["mixed6.example"] = ["2606:4700:4700::1111", "::1"]
    for url in ("https://mixed.example/", "https://mixed6.example/"):
        with pytest.raises(EgressDenied):
            check_url(url)


def test_check_url_denies_a_host_that_does_not_resolve(resolver):
    resolver.answers["nxdomain.example"] = []
    with pytest.raises(EgressDenied) as denied:
        check_url("https://nxdomain.example/")
    # a failed lookup, not a policy refusal
    assert (
        str(denied.value)
        == "The host name of https://nxdomain.example/ could not be resolved: check the address."
    )


def test_a_metadata_address_is_never_said_to_be_allowable(resolver, settings):
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = "169.254.169.254"
    resolver.answers["imds.example"] = ["169.254.169.254"]
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://imds.example/",
        "http://metadata.google.internal/",
    ):
        with pytest.raises(EgressDenied) as denied:
            check_url(url)
        assert "cloud-metadata address, which MigrateIQ never calls (no setting allows it)" in str(
            denied.value
        )
        assert "MIGRATEIQ_EGRESS_ALLOWLIST" not in str(denied.value)
    resolver.answers["private.example"] = ["10.0.0.5"]
    with pytest.raises(
        EgressDenied, match="an operator can allow such a host with MIGRATEIQ_EGRESS_ALLOWLIST"
    ):
        check_url("http://private.example/")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "dict://127.0.0.1:11211/stat",
        "ftp://example.com/",
        "ws://example.com/",
        "javascript:alert(1)",
        "//example.com/",
        "example.com",
        "http:///nohost",
        "http://example.com:65536/",
        "http://example.com:0/",
        "http://example.com:-1/",
        "http://user:pw@example.com/",
        "http://example.com:80\\@127.0.0.1/",
        "http://127.0.0.1:80\\@example.com/",
        "",
    ],
)
def test_check_url_rejects_bad_schemes_ports_userinfo_and_garbage(url, resolver):
    resolver.answers["example.com"] = [PUBLIC]
    with pytest.raises(EgressDenied) as denied:
        check_url(url)
    assert "pw" not in str(denied.value)


def test_check_url_never_connects(resolver, connect_spy, settings):
    resolver.answers["api.example.com"] = [PUBLIC]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["10.0.0.5"]
    check_url("https://api.example.com/")
    check_url("http://10.0.0.5/")
    assert connect_spy.connected == []


# -- the SSRF corpus against a canary ---------------------------------------------------------------

LITERALS = [
    "http://127.0.0.1:{port}/",
    "http://127.0.0.2:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::]:{port}/",
    "http://[::1]:{port}/",
    "http://localhost:{port}/",
    "http://LOCALHOST.:{port}/",
    "http://10.0.0.1:{port}/",
    "http://172.16.0.1:{port}/",
    "http://192.168.0.1:{port}/",
    "http://100.64.0.1:{port}/",
    "http://169.254.169.254:{port}/latest/meta-data/",
    "http://[fe80::1]:{port}/",
    "http://[fc00::1]:{port}/",
    "http://[fd00:ec2::254]:{port}/",
    "http://100.100.100.200:{port}/",
    "http://192.0.0.192:{port}/",
    "http://224.0.0.1:{port}/",
    "http://255.255.255.255:{port}/",
    "https://127.0.0.1:{port}/",
]
ENCODINGS = [
    "http://0177.1:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://2130706433:{port}/",
    "http://017700000001:{port}/",
    "http://127.000.000.001:{port}/",
    "http://127.1:{port}/",
    "http://0:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[::ffff:a9fe:a9fe]:{port}/",
    "http://[64:ff9b::a9fe:a9fe]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",
    "http://[2002:a9fe:a9fe::]:{port}/",
]
DNS_TRICKS = [
    "http://mixed.example:{port}/",  # [public, 127.0.0.1]: one bad apple
    "http://mixed-order.example:{port}/",  # [127.0.0.1, public]
    "http://private.example:{port}/",
    "http://v6mixed.example:{port}/",
    "http://metadata.google.internal:{port}/computeMetadata/v1/",
    "http://metadata:{port}/",
]
USERINFO_SCHEMES_PORTS = [
    "http://allowed@127.0.0.1:{port}/",
    "http://user:pw@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}\\@example.com/",
    "http://example.com\\@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}#@example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_GET%20/",
    "dict://127.0.0.1:{port}/info",
    "ftp://127.0.0.1:{port}/",
    "http://127.0.0.1:65536/",
    "http://127.0.0.1:0/",
    "http://127.0.0.1:6379/",
]
CORPUS = LITERALS + ENCODINGS + DNS_TRICKS + USERINFO_SCHEMES_PORTS


@pytest.fixture
def ssrf_resolver(resolver):
    resolver.answers.update(
        {
            "mixed.example": [PUBLIC, "127.0.0.1"],
            "mixed-order.example": ["127.0.0.1", PUBLIC],
            "private.example": ["10.0.0.7"],
            "v6mixed.example": ["2606:4700:4700::1111", "::1"],
            "metadata.google.internal": [PUBLIC],
            "metadata": [PUBLIC],
            "example.com": [PUBLIC],
        }
    )
    return resolver


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.mark.parametrize("proxy_env", [False, True], ids=["no-proxy-env", "proxy-env-points-at-canary"])
def test_ssrf_corpus_never_reaches_the_canary_while_the_allowlisted_upstream_works(
    proxy_env, canary, upstream, ssrf_resolver, connect_spy, make_client, monkeypatch
):
    if proxy_env:
        for name in PROXY_VARIABLES:
            monkeypatch.setenv(name, canary.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
    upstream.expect_request("/ok").respond_with_json({"ok": True})
    client = make_client(max_attempts=2)
    outcomes = {}
    for template in CORPUS:
        url = template.format(port=canary.port)
        with pytest.raises(EgressDenied):
            check_url(url)
        try:
            client.get(url)
        except EgressDenied as exc:
            outcomes[url] = ("denied", str(exc))
        else:
            outcomes[url] = ("ALLOWED", "")
    assert {url: o for url, o in outcomes.items() if o[0] != "denied"} == {}
    assert connect_spy.connected == [], "a denied destination was connected to"
    assert canary.connections == 0
    # The allowlisted upstream is still reachable, directly (not through the proxy variables).
    assert client.get(f"http://127.0.0.1:{upstream.port}/ok").json() == {"ok": True}
    assert connect_spy.connected == [("127.0.0.1", upstream.port)]
    assert canary.connections == 0


def test_a_host_name_that_does_not_exist_is_said_so_and_not_asked_again(
    ssrf_resolver, connect_spy, make_client
):
    # finding 8: it said "Could not connect to ..." and a sync asked 5 times over 6 s (NXDOMAIN,
    # EAI_NONAME: another lookup gives the same answer)
    ssrf_resolver.answers["nxdomain.example"] = []
    client = make_client(max_attempts=5)
    with pytest.raises(UpstreamError) as failure:
        client.get("http://nxdomain.example/users")
    assert (
        str(failure.value)
        == "The host name of http://nxdomain.example/users could not be resolved after 1 attempt"
    )
    assert failure.value.attempts == 1
    assert client.waits == []
    assert ssrf_resolver.calls.count("nxdomain.example") == 1
    assert connect_spy.connected == []


def test_a_temporary_failure_of_the_name_lookup_is_retried(ssrf_resolver, connect_spy, make_client):
    ssrf_resolver.failures["flaky-dns.example"] = socket.EAI_AGAIN
    client = make_client(max_attempts=3)
    with pytest.raises(UpstreamError) as failure:
        client.get("http://flaky-dns.example/users")
    assert str(failure.value) == (
        "The host name of http://flaky-dns.example/users could not be resolved (a temporary failure of "
        "the name lookup) after 3 attempts"
    )
    assert failure.value.attempts == 3 and len(client.waits) == 2
    assert connect_spy.connected == []


@pytest.fixture
def hanging_resolver(resolver, monkeypatch):
    """``hang.example`` never resolves until the test ends (a resolver that does not answer)."""
    release = threading.Event()

    def lookup(host, port, *args, **kwargs):
        if str(host).startswith("hang."):
            release.wait(10)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return resolver(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield release
    release.set()


def test_a_resolver_that_does_not_answer_fails_the_request_within_the_connect_timeout(
    hanging_resolver, connect_spy, make_client
):
    client = make_client(max_attempts=1, connect_timeout=0.3)
    started = time.monotonic()

    with pytest.raises(UpstreamError, match=r"Timed out after 0.3 s connecting to http://hang.example/"):
        client.get("http://hang.example/")

    assert time.monotonic() - started < 2
    assert connect_spy.connected == []


def test_check_url_gives_up_on_a_host_that_does_not_resolve_in_time(hanging_resolver, settings):
    settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT = 0.2
    started = time.monotonic()

    with pytest.raises(EgressDenied, match="did not resolve in time"):
        check_url("https://hang.example/")

    assert time.monotonic() - started < 2


def test_lookups_that_never_end_hold_a_bounded_number_of_threads(hanging_resolver, resolver):
    resolver.answers["api.example.com"] = [PUBLIC]
    threads_before = threading.active_count()
    for _ in range(egress.MAX_CONCURRENT_LOOKUPS + 4):
        with pytest.raises(egress.ResolveTimeout):
            egress._getaddrinfo("hang.example", 443, 0.05)

    assert threading.active_count() - threads_before <= egress.MAX_CONCURRENT_LOOKUPS
    with pytest.raises(egress.ResolveTimeout, match="resolver busy"):
        egress._getaddrinfo("api.example.com", 443, 0.05)

    hanging_resolver.set()  # the resolver answers (with an error): the slots come back
    deadline = time.monotonic() + 5
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert egress._getaddrinfo("api.example.com", 443, 1.0)[0][4] == (PUBLIC, 443)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_denial_message_is_identical_for_open_and_closed_internal_ports(canary, make_client, connect_spy):
    closed = _closed_port()
    client = make_client(max_attempts=1)
    messages = []
    for port in (canary.port, closed):
        with pytest.raises(EgressDenied) as at_create:
            check_url(f"http://127.0.0.1:{port}/admin")
        with pytest.raises(EgressDenied) as at_sync:
            client.get(f"http://127.0.0.1:{port}/admin")
        messages.append((str(at_create.value).replace(str(port), "PORT"), str(at_sync.value)))
    assert messages[0] == messages[1]
    assert connect_spy.connected == []
    assert canary.connections == 0


# -- host-name entries never open loopback, link-local or reserved addresses -----------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "169.254.1.1", "fe80::1", "0.0.0.0", "198.18.0.1"])
def test_a_hostname_entry_never_opens_loopback_link_local_or_reserved_addresses(settings, resolver, address):
    resolver.answers["api.partner.test"] = [address]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["*.partner.test", "api.partner.test"]

    with pytest.raises(EgressDenied):
        check_url("http://api.partner.test:6379/")


def test_a_wildcard_entry_resolving_to_loopback_reaches_no_local_port_and_sends_no_key(
    settings, resolver, canary, upstream, connect_spy, make_client
):
    """Finding 6: with ``*.partner.test`` allowlisted and the name resolving to 127.0.0.1, a request
    to a port that no entry allows went through, key included."""
    resolver.answers["api.partner.test"] = ["127.0.0.1"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*settings.MIGRATEIQ_EGRESS_ALLOWLIST, "*.partner.test"]
    client = make_client(max_attempts=1)

    with pytest.raises(EgressDenied):
        client.get(f"http://api.partner.test:{canary.port}/", headers={"X-API-Key": "secret-key-1"})

    assert canary.connections == 0
    assert connect_spy.connected == []


def test_an_ip_entry_opens_loopback_to_a_name_for_its_port_only(
    settings, resolver, upstream, canary, make_client
):
    """The demo and the tests allowlist ``127.0.0.1:<port>`` by IP: a name that resolves there may
    reach that port (the IP entry allows it), and no other local port."""
    resolver.answers["api.partner.test"] = ["127.0.0.1"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = [*settings.MIGRATEIQ_EGRESS_ALLOWLIST, "*.partner.test"]
    upstream.expect_request("/ok").respond_with_json({"ok": True})
    client = make_client(max_attempts=1)

    assert client.get(f"http://api.partner.test:{upstream.port}/ok").json() == {"ok": True}
    with pytest.raises(EgressDenied):
        client.get(f"http://api.partner.test:{canary.port}/")
    assert canary.connections == 0


def test_a_hostname_entry_still_opens_the_private_network_address_of_that_name(settings, resolver):
    resolver.answers["erp.corp.example"] = ["10.0.0.9"]
    resolver.answers["other.corp.example"] = ["10.0.0.9"]
    settings.MIGRATEIQ_EGRESS_ALLOWLIST = ["erp.corp.example"]

    check_url("http://erp.corp.example/")
    with pytest.raises(EgressDenied):
        check_url("http://other.corp.example/")
