"""Issue 25, findings 5 (connections per address), 10, 15 and 16: what connecting costs a host.

- 10: TLS ClientHellos are stepped at most HANDSHAKE_STEPS a poll, round robin (both faces).
- 15: a Godot 4 host's poll does not visit idle peers or stalled handshakes (a selector).
- 16: a Godot 4 host refusing new connections accepts and closes them at once, and turning
  refusal off does not let in what connected meanwhile.
- 5: ``max_connections_per_address`` closes connections over the limit at accept.
Loopback only; every test opens at most 40 connections and stops by itself.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme

from godot_ws import OK, CryptoKey, WebSocketServer, X509Certificate
from godot_ws.godot4 import TLSOptions, WebSocketMultiplayerPeer
from godot_ws.godot4.websocket_peer import WebSocketPeer
from godot_ws.net.limits import HANDSHAKE_STEPS
from godot_ws.net.transport import Transport
from tests.hostile_support import UPGRADE, close_all, open_attackers, unsent


def make_host(face: str, tls: tuple[CryptoKey, X509Certificate] | None = None,
              limit: int | None = None,
              ) -> tuple[WebSocketServer | WebSocketMultiplayerPeer, list[int]]:
    """A listening host of ``face`` ("3" or "4") and the list its joins are recorded in
    (a departure appends its id negated)."""
    joined: list[int] = []
    if face == "3":
        server = WebSocketServer()
        server.bind_ip = "127.0.0.1"
        if tls is not None:
            server.private_key, server.ssl_certificate = tls
        if limit is not None:
            server.max_connections_per_address = limit
            server.unlimited_addresses = []
        server.client_connected.connect(lambda peer_id, protocol: joined.append(peer_id))
        server.client_disconnected.connect(lambda peer_id, clean: joined.append(-peer_id))
        assert server.listen(0) == OK
        return server, joined
    mp = WebSocketMultiplayerPeer()
    if limit is not None:
        mp.max_connections_per_address = limit
        mp.unlimited_addresses = []
    mp.peer_connected.connect(joined.append)
    mp.peer_disconnected.connect(lambda peer_id: joined.append(-peer_id))
    options = TLSOptions.server(*tls) if tls is not None else None
    assert mp.create_server(0, "127.0.0.1", options) == OK
    return mp, joined


def stop(host: WebSocketServer | WebSocketMultiplayerPeer) -> None:
    if isinstance(host, WebSocketServer):
        host.stop()
    else:
        host.close()


def poll_until(host: Any, condition: Callable[[], bool], what: str, timeout: float = 5.0) -> int:
    """Poll ``host`` until ``condition()``; how many polls it took."""
    deadline = time.monotonic() + timeout
    polls = 0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        host.poll()
        polls += 1
        time.sleep(0.001)
    return polls


def closed_by_peer(sock: socket.socket) -> bool:
    """True once the host has closed ``sock`` (EOF or reset)."""
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    return data == b""


# ---------------------------------------------------------------- 10: TLS handshakes

@pytest.fixture(scope="module")
def tls_pair() -> tuple[CryptoKey, X509Certificate]:
    issued = trustme.CA().issue_cert("127.0.0.1")
    key = CryptoKey()
    assert key.load_from_string(issued.private_key_pem.bytes().decode()) == OK
    cert = X509Certificate()
    assert cert.load_from_string("".join(p.bytes().decode() for p in issued.cert_chain_pems)) == OK
    return key, cert


@pytest.mark.parametrize("face", ["3", "4"], ids=["godot3", "godot4"])
def test_tls_client_hellos_are_stepped_a_few_per_poll(
        face: str, tls_pair: tuple[CryptoKey, X509Certificate],
        monkeypatch: pytest.MonkeyPatch) -> None:
    host, _ = make_host(face, tls_pair)
    stepped: list[list[Transport]] = [[]]
    real_step = Transport._tls_step

    def counting_step(self: Transport) -> bool | None:
        stepped[-1].append(self)
        return real_step(self)

    monkeypatch.setattr(Transport, "_tls_step", counting_step)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    hellos = []
    try:
        for _ in range(40):
            raw = socket.create_connection(("127.0.0.1", host.get_local_port()))
            tls = context.wrap_socket(raw, do_handshake_on_connect=False)
            tls.setblocking(False)
            try:
                tls.do_handshake()  # the ClientHello goes out; then it waits forever
            except ssl.SSLWantReadError:
                pass
            hellos.append(tls)
        deadline = time.monotonic() + 5
        while any(unsent(s) for s in hellos):  # every ClientHello is in the host's kernel
            assert time.monotonic() < deadline, "the ClientHellos did not reach the host"
            time.sleep(0.001)
        per_poll = []
        for _ in range(6):
            stepped.append([])
            host.poll()
            per_poll.append(len(stepped[-1]))
        # Before issue 25 one poll stepped every handshake (3.x: every poll again).
        assert max(per_poll) <= HANDSHAKE_STEPS, per_poll
        # Round robin: each ClientHello was answered within ceil(40 / 16) = 3 polls... plus
        # the accept poll of the 4.x face, which steps nothing.
        assert len({id(t) for polls in stepped[:5] for t in polls}) == 40, per_poll
    finally:
        for s in hellos:
            s.close()
        stop(host)


# ---------------------------------------------------------------- 15: idle Godot 4 peers

def count_peer_polls(monkeypatch: pytest.MonkeyPatch) -> list[WebSocketPeer]:
    polled: list[WebSocketPeer] = []
    for name in ("poll", "_poll_share"):
        real = getattr(WebSocketPeer, name, None)
        if real is None:
            continue  # (before issue 25 the host called poll() only)

        def counting(self: WebSocketPeer, *args: Any, _real: Any = real) -> Any:
            polled.append(self)
            return _real(self, *args)

        monkeypatch.setattr(WebSocketPeer, name, counting)
    return polled


def test_a_godot4_host_does_not_visit_idle_peers_or_stalled_handshakes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    host, joined = make_host("4")
    assert isinstance(host, WebSocketMultiplayerPeer)
    peers = open_attackers(host.get_local_port(), 20, host.poll)
    slow = [socket.create_connection(("127.0.0.1", host.get_local_port())) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(UPGRADE.split(b"\r\n", 1)[0] + b"\r\n")  # slowloris: one line, then nothing
        poll_until(host, lambda: len(joined) == 20, "the 20 peers to join")
        for _ in range(10):
            host.poll()
        polled = count_peer_polls(monkeypatch)
        for _ in range(20):
            host.poll()
        # Before issue 25 every poll polled all 20 peers and 20 handshakes: 800 calls.
        assert polled == []
        peers[7].sendall(bytes((0x82, 0x81, 1, 2, 3, 4, ord("h") ^ 1)))
        poll_until(host, lambda: host.get_available_packet_count() > 0, "the message")
        assert host.get_packet() == b"h"
        assert len(set(polled)) == 1  # only the peer that sent something
    finally:
        close_all(peers + slow)
        stop(host)


# ---------------------------------------------------------------- 16: refuse_new_connections

def test_a_refusing_godot4_host_closes_new_connections_at_once() -> None:
    host, joined = make_host("4")
    assert isinstance(host, WebSocketMultiplayerPeer)
    host.refuse_new_connections = True
    socks = []
    try:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", host.get_local_port()))
            s.sendall(UPGRADE + b"\r\n")
            s.setblocking(False)
            socks.append(s)
        # Before issue 25 nobody accepted them: they waited for their own timeout.
        polls = poll_until(host, lambda: all(closed_by_peer(s) for s in socks),
                           "the refused connections to be closed", timeout=10)
        assert polls <= 5
        host.refuse_new_connections = False
        for _ in range(20):
            host.poll()
        # Before, the connections made while refusing joined now, all at once.
        assert joined == []
        late = open_attackers(host.get_local_port(), 1, host.poll)
        poll_until(host, lambda: len(joined) == 1, "a new connection to join")
        close_all(late)
    finally:
        close_all(socks)
        stop(host)


# ---------------------------------------------------------------- 5: per-address limit

@pytest.fixture(params=["3", "4"], ids=["godot3", "godot4"])
def face(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


def test_connections_over_the_per_address_limit_are_closed_at_accept(face: str) -> None:
    host, joined = make_host(face, limit=3)
    socks = []
    try:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", host.get_local_port()),
                                         source_address=("127.0.0.2", 0))
            s.sendall(UPGRADE + b"\r\n")
            s.setblocking(False)
            socks.append(s)
        poll_until(host, lambda: len(joined) == 3, "three connections to join")
        poll_until(host, lambda: sum(closed_by_peer(s) for s in socks[3:]) == 2,
                   "the two over the limit to be closed")
        # A connection that closes makes room for another.
        socks[0].close()
        poll_until(host, lambda: len(joined) == 4, "the host to see the departure")
        others = open_attackers(host.get_local_port(), 1, host.poll, source="127.0.0.2")
        poll_until(host, lambda: len(joined) == 5, "a connection in the freed place")
        socks += others
    finally:
        close_all(socks)
        stop(host)


def test_loopback_is_not_limited_by_default(face: str) -> None:
    host, joined = make_host(face)
    assert host.max_connections_per_address == 64
    assert host.unlimited_addresses == ["127.0.0.1", "::1"]
    host.max_connections_per_address = 2
    socks = open_attackers(host.get_local_port(), 4, host.poll)  # 127.0.0.1: a proxy's
    try:
        poll_until(host, lambda: len(joined) == 4, "four loopback connections to join")
    finally:
        close_all(socks)
        stop(host)
