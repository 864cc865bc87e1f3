"""Egress guard: which destinations MigrateIQ may call with tenant-supplied URLs (SSRF protection).

The check runs on the *resolved* addresses, at connect time, inside the network backend of the one
outbound HTTP client (:mod:`core.http`):

1. the host is resolved once (``socket.getaddrinfo``, within the connect timeout: a resolver that
   hangs fails the connection instead of holding the sync);
2. every resolved address is checked, and one bad address rejects the whole answer ("one bad
   apple": a name that resolves to a public *and* an internal address is denied);
3. the socket connects to one of those checked addresses, never to the name, so a second DNS lookup
   (DNS rebinding) cannot swap the address between the check and the connect. TLS still uses the
   host name for SNI and certificate checks.

Because the check sees resolved addresses, odd spellings (``0177.0.0.1``, ``0x7f.1``, ``2130706433``,
``127.1``, ``0``) are judged as the ``127.0.0.1`` / ``0.0.0.0`` they resolve to. Redirect hops go
through the same backend, so every hop is re-checked.

Address policy (explicit CIDR lists: ``ipaddress``'s ``is_private`` / ``is_global`` flags change
between Python versions). IPv4-mapped, IPv4-compatible, 6to4 and NAT64 addresses are unwrapped and
judged by the IPv4 address they carry.

* Cloud metadata endpoints: denied always; no setting can allow them.
* Private networks (RFC 1918, carrier-grade NAT 100.64.0.0/10, unique-local fc00::/7): denied unless
  ``MIGRATEIQ_ALLOW_PRIVATE_NETWORKS`` is true or an allowlist entry covers the address.
* Everything else that is not public (loopback, unspecified, link-local, multicast, broadcast,
  documentation, benchmarking, reserved, and IPv6 outside global unicast 2000::/3): denied unless an
  allowlist entry covers the address. ``MIGRATEIQ_ALLOW_PRIVATE_NETWORKS`` deliberately does not open
  loopback or link-local: the MigrateIQ host's own services are the juiciest SSRF target.

``MIGRATEIQ_EGRESS_ALLOWLIST`` entries: an IP (``10.0.0.5``), a CIDR (``10.1.0.0/16``) or a host name
(``erp.corp.example``, ``*.partner.example`` for its subdomains), each with an optional port
(``10.0.0.5:8443``, ``[fd00::1]:8080``, ``api.internal:8443``); an entry with a port allows that
port only. What an entry opens:

* an IP/CIDR entry: the addresses it covers (cloud metadata excepted), whatever name leads there;
* a host-name entry: the *private-network* addresses (RFC 1918, CGNAT, unique-local) that this name
  resolves to at connect time — an operator's internal API by name. It never opens loopback,
  link-local, the other reserved ranges or cloud metadata: a name (or a wildcard's subdomain whose
  DNS someone else controls) that resolves to ``127.0.0.1`` is denied unless an IP/CIDR entry also
  covers that address and port. It never vouches for other names that resolve to the same address
  (GitLab #293733).

The allowlist is global: one list for the whole deployment, shared by every tenant (an entry
lets every tenant's connectors reach that destination).

Settings are read at call time. Denial messages are identical for open and closed ports, and every
denial happens before any connection is attempted.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import socket
import threading
import time
import typing
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings
from httpcore._backends.sync import SyncStream

from core.http_errors import EgressDenied
from core.redaction import safe_url

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Instance metadata services: credentials live there. Never allowed, whatever the settings say.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity agent
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity agent over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_HOSTNAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)

# Allowed only with MIGRATEIQ_ALLOW_PRIVATE_NETWORKS (or a covering allowlist entry).
PRIVATE_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "fc00::/7",  # unique-local IPv6
    )
)

# Allowed only by a covering allowlist entry.
DENIED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network", includes the unspecified 0.0.0.0
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes the limited broadcast address
        "255.255.255.255/32",  # limited broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): network-specific, never public
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
        # Everything outside global unicast 2000::/3 (wrapped IPv4 forms are unwrapped first).
        "::/3",
        "4000::/2",
        "8000::/1",
    )
)

_IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_IPV6_UNSPECIFIED_AND_LOOPBACK = (ipaddress.ip_address("::"), ipaddress.ip_address("::1"))

DENIED_REASON = (
    "it resolves to a private, loopback, link-local or otherwise reserved address "
    "(an operator can allow such a host with MIGRATEIQ_EGRESS_ALLOWLIST)"
)
METADATA_REASON = "it is a cloud-metadata address, which MigrateIQ never calls (no setting allows it)"


@dataclass(frozen=True)
class AllowlistEntry:
    """One parsed ``MIGRATEIQ_EGRESS_ALLOWLIST`` entry: a network or a host name, and an optional port."""

    network: IPNetwork | None
    hostname: str | None
    port: int | None

    def covers(self, address: IPAddress, port: int) -> bool:
        if self.network is None or (self.port is not None and self.port != port):
            return False
        return address.version == self.network.version and address in self.network

    def covers_host(self, name: str, port: int) -> bool:
        """A host-name entry names exactly one host (``*.example.com``: its subdomains)."""
        if self.hostname is None or (self.port is not None and self.port != port):
            return False
        if self.hostname.startswith("*."):
            return name.endswith(self.hostname[1:]) and name != self.hostname[2:]
        return name == self.hostname


@dataclass(frozen=True)
class EgressPolicy:
    """The egress settings, parsed. Build one with :func:`current_policy` (reads settings now)."""

    allowlist: tuple[AllowlistEntry, ...] = ()
    allow_private_networks: bool = False

    def is_allowlisted(self, address: IPAddress, port: int) -> bool:
        return any(entry.covers(address, port) for entry in self.allowlist)

    def host_is_allowlisted(self, name: str, port: int) -> bool:
        return any(entry.covers_host(name, port) for entry in self.allowlist)

    def other_ports(self, name: str, address: IPAddress) -> list[int]:
        """The ports on which an allowlist entry that names this host or covers this address
        allows it (an entry without a port allows every port: none listed)."""
        ports = set()
        for entry in self.allowlist:
            if entry.port is None:
                continue
            if entry.covers_host(name, entry.port) or any(
                entry.covers(form, entry.port) for form in address_forms(address)
            ):
                ports.add(entry.port)
        return sorted(ports)

    def denies(self, address: IPAddress, port: int, *, host_allowlisted: bool = False) -> bool:
        """True when a connection to ``address:port`` is not allowed (``address`` as resolved).

        ``host_allowlisted``: the host name itself is on the allowlist (an operator's internal
        API), so the private-network addresses it resolves to *now* are allowed — never loopback,
        link-local, other reserved ranges or cloud metadata, which only an IP/CIDR entry opens. The
        connection still goes to the address checked here, so a later rebinding cannot move it.
        """
        return any(self._denies_form(form, port, host_allowlisted) for form in address_forms(address))

    def _denies_form(self, address: IPAddress, port: int, host_allowlisted: bool = False) -> bool:
        if address in METADATA_ADDRESSES:
            return True
        if self.is_allowlisted(address, port):
            return False
        if _in_any(address, PRIVATE_NETWORKS):
            return not (self.allow_private_networks or host_allowlisted)
        return _in_any(address, DENIED_NETWORKS)


def _is_metadata(address: IPAddress) -> bool:
    return any(form in METADATA_ADDRESSES for form in address_forms(address))


def _in_any(address: IPAddress, networks: typing.Iterable[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def address_forms(address: IPAddress) -> tuple[IPAddress, ...]:
    """The addresses to judge for ``address``: IPv6 forms that carry an IPv4 address are unwrapped.

    IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses
    reach the embedded IPv4 host, so they are judged by it alone; a 6to4 address (2002:AABB:CCDD::)
    is judged both as itself and as the IPv4 address it embeds.
    """
    if address.version == 4:
        return (address,)
    value = int(address)
    if address in _IPV4_MAPPED or address in _NAT64_WELL_KNOWN:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if address in _IPV4_COMPATIBLE and address not in _IPV6_UNSPECIFIED_AND_LOOPBACK:
        return (ipaddress.IPv4Address(value & 0xFFFFFFFF),)
    if address in _SIX_TO_FOUR:
        return (address, ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF))
    return (address,)


def parse_allowlist_entry(text: str) -> AllowlistEntry:
    """Parse ``host``, ``IP``, ``CIDR``, each with an optional ``:port`` (IPv6 in brackets)."""
    entry = text.strip().lower()
    port: int | None = None
    if entry.startswith("["):
        end = entry.find("]")
        if end < 0:
            raise ValueError(f"unclosed bracket in {text!r}")
        host, rest = entry[1:end], entry[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"unexpected text after ']' in {text!r}")
            port = _parse_port(rest[1:], text)
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
        port = _parse_port(port_text, text)
    else:
        host = entry
    host = host.rstrip(".")
    if not host:
        raise ValueError(f"no host in {text!r}")
    try:
        return AllowlistEntry(ipaddress.ip_network(host, strict=False), None, port)
    except ValueError:
        pass
    if not all(part and all(c.isalnum() or c in "-_*" for c in part) for part in host.split(".")):
        raise ValueError(f"not an IP address, CIDR or host name: {text!r}")
    return AllowlistEntry(None, host, port)


def _parse_port(port_text: str, entry: str) -> int:
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"invalid port in {entry!r}")
    return int(port_text)


@functools.lru_cache(maxsize=32)
def _build_policy(allowlist: tuple[str, ...], allow_private_networks: bool) -> EgressPolicy:
    entries = []
    for text in allowlist:
        try:
            entries.append(parse_allowlist_entry(text))
        except ValueError as exc:
            # Fail closed: an entry we cannot read allows nothing.
            logger.warning("Ignoring MIGRATEIQ_EGRESS_ALLOWLIST entry: %s", exc)
    return EgressPolicy(tuple(entries), allow_private_networks)


def current_policy() -> EgressPolicy:
    """The egress policy from the settings as they are now."""
    allowlist = getattr(settings, "MIGRATEIQ_EGRESS_ALLOWLIST", None) or ()
    if isinstance(allowlist, str):
        allowlist = [item for item in allowlist.split(",") if item.strip()]
    allow_private = bool(getattr(settings, "MIGRATEIQ_ALLOW_PRIVATE_NETWORKS", False))
    return _build_policy(tuple(str(item) for item in allowlist), allow_private)


def _denied(url_or_host: str, reason: str) -> EgressDenied:
    shown = safe_url(url_or_host) if "://" in url_or_host else url_or_host
    denied = EgressDenied(f"Requests to {shown} are not allowed: {reason}.", url=shown)
    denied.reason = reason
    return denied


def validate_url(url: str | httpx.URL) -> httpx.URL:
    """Check what can be checked without DNS: valid URL, http/https, a host, a valid port, no userinfo.

    Returns the parsed URL. Raises :class:`EgressDenied`.
    """
    text = str(url)
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise EgressDenied("This is not a valid URL.", url=safe_url(text)) from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise _denied(text, "only http and https URLs are allowed")
    if not parsed.host:
        raise _denied(text, "the URL has no host")
    if parsed.userinfo:
        # Also defeats parser-confusion tricks such as http://127.0.0.1:80\@example.com.
        raise _denied(text, "credentials in the URL are not allowed; use the connector's authentication")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise _denied(text, "the port is not valid")
    return parsed


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


# Name lookups running at once (each in a daemon thread). A lookup that outlives its caller's
# deadline keeps its slot until the resolver gives up, so hung resolvers cannot pile up threads.
MAX_CONCURRENT_LOOKUPS = 8
_lookup_slots = threading.BoundedSemaphore(MAX_CONCURRENT_LOOKUPS)


class ResolveTimeout(TimeoutError):
    """The name did not resolve within the deadline."""


def _getaddrinfo(host: str, port: int, timeout: float | None) -> list[tuple]:
    """``socket.getaddrinfo(host, port)`` for TCP, given up after ``timeout`` seconds (None: wait)."""
    if timeout is None:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ends_at = time.monotonic() + timeout
    if not _lookup_slots.acquire(timeout=max(timeout, 0.001)):
        raise ResolveTimeout(f"resolving {host} did not start within {timeout:g} s (resolver busy)")
    outcome: dict = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc
        finally:
            _lookup_slots.release()
            done.set()

    threading.Thread(target=lookup, name="egress-resolve", daemon=True).start()
    if not done.wait(max(ends_at - time.monotonic(), 0.001)):
        raise ResolveTimeout(f"resolving {host} took longer than {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["infos"]


def resolve_checked(
    host: str, port: int, policy: EgressPolicy | None = None, timeout: float | None = None
) -> list[tuple]:
    """Resolve ``host`` once and return its ``getaddrinfo`` entries if every address is allowed.

    Raises :class:`EgressDenied` when any address is denied, ``socket.gaierror`` when the name
    does not resolve and :class:`ResolveTimeout` when it takes longer than ``timeout`` seconds.
    Connect only to the returned entries (their sockaddr), never to ``host``.
    """
    policy = policy or current_policy()
    name = host.strip("[]").lower().rstrip(".")
    if name in METADATA_HOSTNAMES:
        raise _denied(host, METADATA_REASON)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise _denied(host, "the port is not valid")
    host_allowlisted = policy.host_is_allowlisted(name, port)
    infos = _getaddrinfo(host.strip("[]"), port, timeout)
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, "no addresses")
    for _family, _type, _proto, _canonname, sockaddr in infos:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            raise _denied(host, DENIED_REASON) from None
        if policy.denies(address, port, host_allowlisted=host_allowlisted):
            logger.info("Egress denied: %s:%s resolves to %s", name, port, address)
            if _is_metadata(address):
                raise _denied(host, METADATA_REASON)
            ports = policy.other_ports(name, address)
            if ports:  # allowed, on another port: a mistyped port reads as one
                shown = ", ".join(str(other) for other in ports)
                raise _denied(
                    host,
                    f"MIGRATEIQ_EGRESS_ALLOWLIST allows it on port{'s' if len(ports) > 1 else ''} {shown} "
                    f"only, not on port {port}",
                )
            raise _denied(host, DENIED_REASON)
    return infos


class UnresolvedHost(EgressDenied):
    """The host name did not resolve (or not in time) where it was checked: no policy refusal.

    A caller saving a URL may accept it with a warning: what protects is the connect-time check of
    every address a request actually connects to (``GuardedNetworkBackend``), which a name resolved
    later (by a worker with other DNS, or after the record appears) goes through like any other.
    """


def saved_unresolved_warning(unresolved: str, *, then: str) -> str:
    """What a save answers when it kept an address whose host name did not resolve here.

    ``unresolved`` says what did not resolve (an :class:`UnresolvedHost`'s message), ``then`` how the
    user learns whether the workers reach it. Such an address is saved rather than refused: the
    protection is the connect-time check of every connection, not this early one (docs/security.md,
    "A host that does not resolve at save time is saved, with a warning").
    """
    return (
        f"{unresolved.removesuffix(': check the address.')} from the web server. Saved anyway: every "
        "connection checks the addresses it connects to, and the workers may resolve names this server "
        f"does not; {then}."
    )


def check_url_to_save(url: str, *, then: str) -> str | None:
    """:func:`check_url` for a URL being saved (a connector's, a webhook's): ``None`` when it passes,
    the warning to answer when its host name does not resolve here (:func:`saved_unresolved_warning`);
    everything else :func:`check_url` refuses (scheme, port, a metadata name, an address the guard
    denies) still raises :class:`EgressDenied`."""
    try:
        check_url(url)
    except UnresolvedHost as exc:
        return saved_unresolved_warning(exc.args[0], then=then)
    return None


def check_url(url: str) -> None:
    """Raise EgressDenied when ``url`` may not be called (scheme, host, port, resolved addresses).

    Used when a connector is saved (a 400 for the client). The outbound client repeats the address
    check at connect time, so a URL that passes here can still be denied later (DNS changes). A
    name that does not resolve here raises :class:`UnresolvedHost` (an ``EgressDenied``); a
    metadata host name is refused before any lookup.
    """
    parsed = validate_url(url)
    try:
        resolve_checked(
            parsed.raw_host.decode("ascii"),
            _default_port(parsed),
            timeout=settings.MIGRATEIQ_HTTP_CONNECT_TIMEOUT,
        )
    except EgressDenied as exc:
        raise _denied(str(url), exc.reason or DENIED_REASON) from exc
    except ResolveTimeout:
        raise _unresolved(str(url), "did not resolve in time") from None
    except (OSError, UnicodeError):
        raise _unresolved(str(url), "could not be resolved") from None


def _unresolved(url: str, what: str) -> EgressDenied:
    """A name lookup that failed: not a refusal, but the request cannot be made either."""
    shown = safe_url(url)
    unresolved = UnresolvedHost(f"The host name of {shown} {what}: check the address.", url=shown)
    unresolved.reason = f"its host name {what}"
    return unresolved


#: ``getaddrinfo`` answers that mean the name has no address (NXDOMAIN, no record of the family):
#: asking again will not change it. Anything else (``EAI_AGAIN``: the resolver did not answer,
#: ``EAI_FAIL``, a system error) may pass, and is worth another attempt.
NAME_NOT_FOUND = frozenset(
    code
    for code in (
        socket.EAI_NONAME,
        getattr(socket, "EAI_NODATA", None),
        getattr(socket, "EAI_ADDRFAMILY", None),
    )
    if code is not None
)


class HostNotFound(httpcore.ConnectError):
    """The host name does not resolve (it does not exist, or has no address): not retried."""


class HostLookupFailed(httpcore.ConnectError):
    """The resolver could not answer for the host name now (``EAI_AGAIN`` …): retried."""


def _connect_socket(family: int, socktype: int, proto: int, sockaddr: tuple, timeout: float | None):
    """Open a TCP connection to an already-checked socket address (no name resolution here)."""
    sock = socket.socket(family, socktype, proto)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class GuardedNetworkBackend(httpcore.SyncBackend):
    """httpcore network backend that resolves, checks every address, and connects to a checked one."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        ends_at = None if timeout is None else time.monotonic() + timeout
        try:
            infos = resolve_checked(host, port, timeout=timeout)
        except ResolveTimeout:
            raise httpcore.ConnectTimeout(f"Timed out resolving {host}") from None
        except socket.gaierror as exc:
            if exc.errno in NAME_NOT_FOUND:
                raise HostNotFound(f"The host name {host} could not be resolved") from None
            raise HostLookupFailed(f"Resolving {host} failed for now: {exc.strerror}") from None
        except UnicodeError:  # a name IDNA cannot encode: no lookup can find it
            raise HostNotFound(f"The host name {host} could not be resolved") from None
        except OSError:
            raise HostLookupFailed(f"The host name {host} could not be resolved now") from None
        last_error: OSError | None = None
        for family, socktype, proto, _canonname, sockaddr in infos:
            remaining = None if ends_at is None else max(ends_at - time.monotonic(), 0.001)
            try:
                sock = _connect_socket(family, socktype, proto, sockaddr, remaining)
            except TimeoutError as exc:
                last_error = exc
                raise httpcore.ConnectTimeout(f"Timed out connecting to {host}") from None
            except OSError as exc:
                last_error = exc
                continue
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                sock.close()
                raise httpcore.ConnectError(f"Could not connect to {host}") from None
            return SyncStream(sock)
        raise httpcore.ConnectError(f"Could not connect to {host}") from last_error


@functools.lru_cache(maxsize=1)
def default_ssl_context():
    """One verifying TLS context for every client (loading the CA bundle costs tens of ms)."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool connects only through the egress guard.

    Proxies are never used (no ``trust_env``): a proxy would make the connect-time check meaningless.
    """

    def __init__(
        self,
        *,
        network_backend: httpcore.NetworkBackend | None = None,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
        verify: typing.Any = None,
    ) -> None:
        super().__init__(
            verify=default_ssl_context() if verify is None else verify, trust_env=False, limits=limits
        )
        ssl_context = self._pool._ssl_context
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=network_backend or GuardedNetworkBackend(),
        )
