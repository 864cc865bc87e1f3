"""Property tests of the egress guard: whatever the URL, resolver answer and settings, a connection is
only ever opened to an address from the checked answer, and never to a denied one.

The oracle below is written independently of ``core.egress`` (its own range list, taken from the
security issue, and its own bit-level unwrapping of IPv6 forms that carry an IPv4 address). Sockets
are intercepted at the guarded connect, so no generated address ever receives a packet.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from unittest import mock

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import core.egress
from core.egress import GuardedNetworkBackend
from core.http import OutboundClient
from core.http_errors import EgressDenied, UpstreamError

ip = ipaddress.ip_address
net = ipaddress.ip_network

# A few hundred examples keep the fast suite fast; a nightly/fuzz job raises this (e.g. 10000).
EXAMPLES = int(os.environ.get("MIGRATEIQ_EGRESS_PROPERTY_EXAMPLES", "200"))

ORACLE_METADATA = {ip(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")}
ORACLE_PRIVATE = [
    net(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]
ORACLE_INTERNAL = ORACLE_PRIVATE + [
    net(n)
    for n in (
        "127.0.0.0/8",
        "0.0.0.0/8",
        "169.254.0.0/16",
        "192.0.0.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::1/128",
        "::/128",
        "fe80::/10",
        "ff00::/8",
    )
]

INTERESTING_V4 = [net(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "169.254.169.0/24", "100.64.0.0/10")] + [
    net(n) for n in ("172.16.0.0/12", "192.168.0.0/16", "192.0.0.0/24", "0.0.0.0/8", "224.0.0.0/4")
]
PUBLIC_POOL = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


def oracle_forms(address):
    """The address and every IPv4 address an IPv6 form of it embeds (mapped, compatible, NAT64, 6to4)."""
    forms = [address]
    if address.version == 6:
        value = int(address)
        low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
        if value >> 32 == 0xFFFF or (value >> 32 == 0 and value > 1):  # ::ffff:a.b.c.d / ::a.b.c.d
            forms.append(low32)  # (:: and ::1 are the IPv6 unspecified and loopback addresses)
        if value >> 32 == 0x0064FF9B << 64:  # 64:ff9b::a.b.c.d
            forms.append(low32)
        if value >> 112 == 0x2002:  # 2002:AABB:CCDD::
            forms.append(ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF))
    return forms


def oracle_allows(answer, port, allowlist, allow_private):
    """Would a careful reviewer let MigrateIQ connect for this resolver answer?"""
    entries = [core_entry for core_entry in (_oracle_entry(e) for e in allowlist)]
    for address in answer:
        for form in oracle_forms(address):
            if form in ORACLE_METADATA:
                return False
            internal = [n for n in ORACLE_INTERNAL if n.version == form.version and form in n]
            if not internal:
                continue
            covered = any(n.version == form.version and form in n and p in (None, port) for n, p in entries)
            private = any(n.version == form.version and form in n for n in ORACLE_PRIVATE)
            if not (covered or (allow_private and private)):
                return False
    return True


def _oracle_entry(entry: str):
    if entry.startswith("["):
        host, _, port = entry[1:].partition("]:")
        return net(host.rstrip("]"), strict=False), int(port) if port else None
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return net(host, strict=False), int(port)
    return net(entry, strict=False), None


def v4_in(network):
    size = network.num_addresses
    return st.integers(0, size - 1).map(lambda offset: network.network_address + offset)


v4 = st.one_of(
    st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address),
    st.sampled_from(INTERESTING_V4).flatmap(v4_in),
    st.sampled_from(sorted(ORACLE_METADATA, key=str)).filter(lambda a: a.version == 4),
)
v6 = st.one_of(
    st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address),
    v4.map(lambda a: ipaddress.IPv6Address((0xFFFF << 32) | int(a))),  # mapped
    v4.map(lambda a: ipaddress.IPv6Address(int(a))),  # compatible
    v4.map(lambda a: ipaddress.IPv6Address((0x0064FF9B << 96) | int(a))),  # NAT64
    v4.map(lambda a: ipaddress.IPv6Address((0x2002 << 112) | (int(a) << 80))),  # 6to4
    st.sampled_from(["::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1"]).map(ip),
    st.sampled_from(PUBLIC_POOL[3:]).map(ip),
)
addresses = st.one_of(v4, v6, st.sampled_from(PUBLIC_POOL).map(ip))
answers = st.lists(addresses, min_size=1, max_size=4)
allowlists = st.lists(
    st.sampled_from(
        [
            "10.0.0.5",
            "10.0.0.0/8:443",
            "127.0.0.1:8080",
            "169.254.169.254",
            "169.254.0.0/16",
            "0.0.0.0/0:80",
            "[fd00::/8]:443",
            "::/0",
            "192.168.0.0/16",
        ]
    ),
    max_size=3,
)
ports = st.sampled_from([80, 443, 8080])


class _Refuse:
    """Stands in for the guarded connect: records the socket address and refuses (no packet sent)."""

    def __init__(self):
        self.connected = []

    def __call__(self, family, socktype, proto, sockaddr, timeout):
        self.connected.append(sockaddr)
        raise ConnectionRefusedError("refused by the test")


def _infos(answer, port):
    infos = []
    for address in answer:
        if address.version == 6:
            infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (str(address), port, 0, 0)))
        else:
            infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (str(address), port)))
    return infos


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=answers, port=ports, allowlist=allowlists, allow_private=st.booleans())
def test_a_connection_only_ever_goes_to_a_checked_allowed_address(answer, port, allowlist, allow_private):
    lookups = []

    def resolve(host, port_, *args, **kwargs):
        lookups.append(host)
        return _infos(answer, port_)

    refuse = _Refuse()
    backend = GuardedNetworkBackend()
    with (
        override_settings(
            MIGRATEIQ_EGRESS_ALLOWLIST=allowlist, MIGRATEIQ_ALLOW_PRIVATE_NETWORKS=allow_private
        ),
        mock.patch.object(socket, "getaddrinfo", resolve),
        mock.patch.object(core.egress, "_connect_socket", refuse),
    ):
        try:
            backend.connect_tcp("service.example", port, timeout=1)
        except EgressDenied:
            allowed = False
        except Exception as exc:  # the refused connect surfaces as httpcore.ConnectError
            assert type(exc).__name__ == "ConnectError"
            allowed = True
        else:
            raise AssertionError("the test refuses every connect")

    assert lookups == ["service.example"]  # one lookup per connection: no second resolution to race
    if not allowed:
        assert refuse.connected == []  # denied before any socket was opened
    else:
        checked = {(str(a), port) for a in answer}
        assert refuse.connected and {sockaddr[:2] for sockaddr in refuse.connected} <= checked
        assert oracle_allows(answer, port, allowlist, allow_private), (answer, port, allowlist, allow_private)


@settings(max_examples=max(EXAMPLES // 4, 25), deadline=None)
@given(answer=st.lists(st.sampled_from(PUBLIC_POOL).map(ip), min_size=1, max_size=3), port=ports)
def test_public_answers_are_allowed(answer, port):
    refuse = _Refuse()
    with (
        override_settings(MIGRATEIQ_EGRESS_ALLOWLIST=[], MIGRATEIQ_ALLOW_PRIVATE_NETWORKS=False),
        mock.patch.object(socket, "getaddrinfo", lambda host, port_, *a, **k: _infos(answer, port_)),
        mock.patch.object(core.egress, "_connect_socket", refuse),
    ):
        with pytest.raises(Exception) as refused:
            GuardedNetworkBackend().connect_tcp("api.example", port, timeout=1)
    assert type(refused.value).__name__ == "ConnectError"
    assert [sockaddr[0] for sockaddr in refuse.connected] == [str(a) for a in answer]


def _spellings(address: ipaddress.IPv4Address):
    """Ways to write an IPv4 address in a URL host that the system resolver accepts."""
    value = int(address)
    a, b, c, d = address.packed
    return st.sampled_from(
        [
            str(address),
            str(value),
            hex(value),
            "0" + oct(value)[2:],
            f"{a}.{(b << 16) | (c << 8) | d}",
            f"{a}.{b}.{(c << 8) | d}",
            f"0{a:o}.0{b:o}.0{c:o}.0{d:o}",
            f"{a:#x}.{b:#x}.{c:#x}.{d:#x}",
            f"[::ffff:{address}]",
            f"[64:ff9b::{address}]",
        ]
    )


_REAL_GETADDRINFO = socket.getaddrinfo


def _numeric_only(host, port, family=0, type=0, proto=0, flags=0):
    return _REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)


@pytest.fixture(scope="module")
def property_client():
    with OutboundClient(max_attempts=1, timeout=2) as client:
        yield client


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    host=st.one_of(v4, st.sampled_from(PUBLIC_POOL[:3]).map(ip)).flatmap(_spellings),
    port=ports,
    path=st.sampled_from(["/", "/users?page=2", "/@evil", "/..%2f"]),
)
def test_any_url_spelling_connects_only_to_an_allowed_address(property_client, host, port, path):
    url = f"http://{host}:{port}{path}"
    try:
        core.egress.validate_url(url)
    except EgressDenied:
        assume(False)  # httpx rejects the spelling outright: nothing to connect
    refuse = _Refuse()
    with (
        override_settings(MIGRATEIQ_EGRESS_ALLOWLIST=[], MIGRATEIQ_ALLOW_PRIVATE_NETWORKS=False),
        mock.patch.object(socket, "getaddrinfo", _numeric_only),
        mock.patch.object(core.egress, "_connect_socket", refuse),
    ):
        try:
            property_client.get(url)
        except EgressDenied:
            assert refuse.connected == []
            return
        except UpstreamError:
            pass
    assert refuse.connected, url
    for sockaddr in refuse.connected:
        assert oracle_allows([ip(sockaddr[0])], port, [], False), (url, sockaddr)
