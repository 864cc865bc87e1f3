"""Virtual hosts on one Linux machine, for the multi-host tests: network namespaces joined to a
bridge by veth pairs, and TCP forwarders that expose services listening on 127.0.0.1 only
(PostgreSQL, Redis) at the bridge's address. Everything is created by the test and removed after it.

    root namespace: bridge 10.x.y.1  <- forwarders to 127.0.0.1:5432 / :6379, the upstream APIs
        |-- veth --> namespace "host A": 10.x.y.2 (its own loopback; reaches only 10.x.y.1)
        |-- veth --> namespace "host B": 10.x.y.3
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import uuid
from dataclasses import dataclass, field

import pytest


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def require_network_namespaces() -> None:
    """Fail (never skip) with what is missing."""
    if os.geteuid() != 0:
        pytest.fail(
            "The multi-host test creates Linux network namespaces and needs root "
            "(run the suite as root, e.g. `sudo -E make test`, or in CI with sudo).",
            pytrace=False,
        )
    probe = f"miqprobe{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", probe)
        _ip("netns", "del", probe)
    except (RuntimeError, FileNotFoundError) as exc:
        pytest.fail(
            f"Network namespaces are not available here ({exc}); the multi-host test needs "
            "`ip netns` (iproute2) and a kernel that allows them (not a restricted container).",
            pytrace=False,
        )


@dataclass
class Host:
    name: str  # the namespace
    address: str

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def pids(self) -> list[int]:
        result = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=10
        )
        return [int(pid) for pid in result.stdout.split()]

    def kill_all(self) -> list[int]:
        """``kill -9`` of every process of this host: what a lost machine looks like."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids


class Forwarder:
    """Accepts on (address, port) and pipes each connection to a target (host, port)."""

    def __init__(self, listen_address: str, target: tuple[str, int]):
        self.target = target
        self._server = socket.create_server((listen_address, 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name=f"forwarder-{self.port}").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        self._server.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass


@dataclass
class VirtualNetwork:
    gateway: str
    hosts: list[Host]
    bridge: str
    forwarders: list[Forwarder] = field(default_factory=list)

    def forward(self, target: tuple[str, int]) -> int:
        """Expose ``target`` (e.g. 127.0.0.1:5432) at the gateway address; returns the port."""
        forwarder = Forwarder(self.gateway, target)
        self.forwarders.append(forwarder)
        return forwarder.port

    def teardown(self) -> None:
        for host in self.hosts:
            host.kill_all()
        for forwarder in self.forwarders:
            forwarder.close()
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=30)


def create_network(count: int) -> VirtualNetwork:
    require_network_namespaces()
    tag = uuid.uuid4().hex[:6]
    prefix = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"  # noqa: S311 - not security
    network = VirtualNetwork(gateway=f"{prefix}.1", hosts=[], bridge=f"mqbr{tag}")
    try:
        _ip("link", "add", network.bridge, "type", "bridge")
        _ip("addr", "add", f"{network.gateway}/24", "dev", network.bridge)
        _ip("link", "set", network.bridge, "up")
        for index in range(count):
            letter = "abcdefgh"[index]
            host = Host(name=f"miq{tag}{letter}", address=f"{prefix}.{index + 2}")
            outside, inside = f"mqr{tag}{letter}", f"mqn{tag}{letter}"
            _ip("netns", "add", host.name)
            network.hosts.append(host)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", host.name)
            _ip("link", "set", outside, "master", network.bridge)
            _ip("link", "set", outside, "up")
            _ip("-n", host.name, "addr", "add", f"{host.address}/24", "dev", inside)
            _ip("-n", host.name, "link", "set", inside, "up")
            _ip("-n", host.name, "link", "set", "lo", "up")
    except Exception:
        network.teardown()
        raise
    return network
