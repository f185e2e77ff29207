"""Hosts of their own on one machine: network namespaces, veth pairs, and a forwarder.

Each host is a network namespace (`ip netns`) joined to this one by a veth pair on a /30 of
10.231.N.0/24, N chosen for the run among the octets no address here uses: the host has
10.231.N.4k+2, this side 10.231.N.4k+1 (its gateway). This namespace plays the database
host. PostgreSQL and Redis listen on loopback only, so a forwarder (this module run as a
script: `python -m tests.reliability.hosts forward LISTEN=TARGET ...`, asyncio, a process of
its own so the test's threads do not slow it) listens on each gateway address and passes the
bytes on to 127.0.0.1. A host reaches PostgreSQL at its gateway's port 5432, as an
application host reaches a database server's private address.

- `Network.block(host, port)`: an nftables table in the host's namespace drops that port
  both ways (or only outgoing), a network partition (no reset, no refusal: packets vanish);
  `Network.mend(host, port)` deletes the table.
- `Network.kill(host)`: SIGKILL every process in the host's namespace (`ip netns pids`), as
  if the host lost its power.
- `Network.close()`: kills every process left in the namespaces, deletes the namespaces (and
  with them their veth ends, addresses and nftables tables), any veth end left here, and stops
  the forwarder. It runs even when a step of the set-up failed half way.

Names carry a token per run (`isoc-<token>-web1`, veth `ic<token><n>a`), so two runs on one
machine never touch each other's hosts. Standard library only: the forwarder process imports
this module without Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SUBNETS = ipaddress.ip_network("10.231.0.0/16")
NFT_TABLE = "isocourse_block"
COMMAND_TIMEOUT = 20


def problem() -> str | None:
    """Why namespaced hosts cannot be made here (None: they can)."""
    if os.geteuid() != 0:
        return "making network namespaces needs root"
    for tool, package in (("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (apt-get install {package})"
    probe = f"isoc-probe-{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode:
        return f"`ip netns add` does not work here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done


@dataclass
class Host:
    name: str
    namespace: str
    veth_here: str
    address: str  # the host's own address
    gateway: str  # this namespace's end of the pair: PostgreSQL, Redis and SMTP are here

    def exec_args(self) -> list[str]:
        """Prefix for a command that runs on this host (`ip netns exec` execs it: same pid)."""
        return ["ip", "netns", "exec", self.namespace]


@dataclass
class Network:
    """The hosts of one test; `close()` removes all of them."""

    token: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: dict[str, Host] = field(default_factory=dict)
    forwarder: subprocess.Popen | None = None
    octet: int | None = None

    def _free_octet(self) -> int:
        used = set()
        for line in run("ip", "-4", "-o", "addr", "show").stdout.splitlines():
            address = ipaddress.ip_interface(line.split()[3]).ip
            if address in SUBNETS:
                used.add(address.packed[2])
        free = [n for n in range(1, 255) if n not in used]
        if not free:
            raise RuntimeError("no free 10.231.N.0/24 for the test's hosts")
        return random.choice(free)

    def add(self, name: str) -> Host:
        if name in self.hosts:
            raise ValueError(f"there is a host {name} already")
        if self.octet is None:
            self.octet = self._free_octet()
        index = len(self.hosts)
        base = 4 * index
        host = Host(
            name=name,
            namespace=f"isoc-{self.token}-{name}",
            veth_here=f"ic{self.token}{index}a",
            address=f"10.231.{self.octet}.{base + 2}",
            gateway=f"10.231.{self.octet}.{base + 1}",
        )
        self.hosts[name] = host  # recorded first: close() removes whatever was made
        there = f"ic{self.token}{index}b"
        run("ip", "netns", "add", host.namespace)
        run("ip", "link", "add", host.veth_here, "type", "veth", "peer", "name", there)
        run("ip", "link", "set", there, "netns", host.namespace)
        run("ip", "addr", "add", f"{host.gateway}/30", "dev", host.veth_here)
        run("ip", "link", "set", host.veth_here, "up")
        run("ip", "-n", host.namespace, "addr", "add", f"{host.address}/30", "dev", there)
        run("ip", "-n", host.namespace, "link", "set", there, "up")
        run("ip", "-n", host.namespace, "link", "set", "lo", "up")
        return host

    def forward(self, routes: list[tuple[str, int, int]], log_path: Path) -> None:
        """Start the forwarder: (address here, port, port on 127.0.0.1) for each route."""
        spec = [f"{address}:{port}=127.0.0.1:{target}" for address, port, target in routes]
        log = open(log_path, "w")  # noqa: SIM115 - the child holds it; closed with this process
        self.forwarder = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.hosts", "forward", *spec],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        line = self.forwarder.stdout.readline()  # "ready" once every listener is bound
        if line.strip() != "ready":
            raise RuntimeError(f"the forwarder did not start: {log_path.read_text()}")

    def block(self, host: Host, port: int, *, both_ways: bool = True) -> None:
        """Drop the packets `host` sends to `port` (and, both ways, those it receives from
        it): a partition, not a refusal. Undone by `mend(host, port)`."""
        chains = f" chain out {{ type filter hook output priority 0; tcp dport {port} drop; }}\n"
        if both_ways:
            chains += f" chain in {{ type filter hook input priority 0; tcp sport {port} drop; }}\n"
        done = subprocess.run(
            [*host.exec_args(), "nft", "-f", "-"],
            input=f"table inet {NFT_TABLE}_{port} {{\n{chains}}}\n",
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if done.returncode:
            raise RuntimeError(f"nft on {host.name}: {done.stderr.strip()}")

    def mend(self, host: Host, port: int) -> None:
        run(*host.exec_args(), "nft", "delete", "table", "inet", f"{NFT_TABLE}_{port}")

    @staticmethod
    def pids(host: Host) -> list[int]:
        done = run("ip", "netns", "pids", host.namespace, check=False)
        return [int(pid) for pid in done.stdout.split()]

    def kill(self, host: Host, timeout: float = 10.0) -> int:
        """SIGKILL every process on `host` until none is left; returns how many there were."""
        killed: set[int] = set()
        deadline = time.monotonic() + timeout
        while pids := self.pids(host):
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes on {host.name} outlived SIGKILL: {pids}")
            time.sleep(0.05)
        return len(killed)

    def close(self) -> None:
        """Remove everything this network made; each step runs even if another fails."""
        for host in self.hosts.values():
            with contextlib.suppress(Exception):
                self.kill(host)
            run("ip", "netns", "del", host.namespace, check=False)
            run("ip", "link", "del", host.veth_here, check=False)  # gone with the namespace
        if self.forwarder is not None:
            self.forwarder.kill()
            self.forwarder.wait(timeout=COMMAND_TIMEOUT)
            self.forwarder.stdout.close()

    def left_over(self) -> list[str]:
        """Namespaces and veth ends of this run still present (empty after close())."""
        names = run("ip", "netns", "list").stdout + run("ip", "-o", "link", "show").stdout
        return [
            name
            for host in self.hosts.values()
            for name in (host.namespace, host.veth_here)
            if name in names
        ]


# The forwarder process ------------------------------------------------------------------------


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # half-close: the other direction may still have bytes to pass
    except (ConnectionError, OSError):
        writer.close()


async def _connect(client_reader, client_writer, target: tuple[str, int]) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            _pump(client_reader, server_writer), _pump(server_reader, client_writer)
        )
    finally:
        for writer in (client_writer, server_writer):
            writer.close()


async def _forward(spec: list[str]) -> None:
    servers = []
    for route in spec:
        listen, target = route.split("=")
        address, port = listen.rsplit(":", 1)
        target_address, target_port = target.rsplit(":", 1)

        async def handle(reader, writer, target=(target_address, int(target_port))):
            await _connect(reader, writer, target)

        servers.append(await asyncio.start_server(handle, address, int(port), backlog=256))
    print("ready", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    if sys.argv[1:2] != ["forward"]:
        sys.exit("usage: python -m tests.reliability.hosts forward ADDRESS:PORT=ADDRESS:PORT ...")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_forward(sys.argv[2:]))
