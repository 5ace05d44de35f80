"""Hostile peers and the log (issue 25, findings 11, 12 and 14): a proxy password never reaches
a log line, text a peer sent is escaped and cut short, and a peer flooding junk costs a few
lines per window (with a count of the rest), then is closed for its protocol errors."""

from __future__ import annotations

import logging

import pytest

from godot_ws import WebSocketClient
from godot_ws.core.constants import Error
from godot_ws.godot4 import WebSocketPeer

SECRET = "s3cr3t-Pa55"


def _messages(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ finding 14: proxy password


@pytest.mark.parametrize("proxy", [
    f"http://player:{SECRET}@127.0.0.1:31x28",  # a typo'd port
    f"player:{SECRET}@127.0.0.1:99999",  # a port out of range, no scheme
    f"socks5://player:{SECRET}@127.0.0.1:1080",  # an unsupported scheme
    f"http://player:{SECRET}@:3128",  # no host
])
def test_proxy_password_never_logged(proxy: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    client = WebSocketClient()
    client.proxy = proxy
    assert client.connect_to_url("ws://127.0.0.1:9/") == Error.ERR_INVALID_PARAMETER
    peer = WebSocketPeer()
    peer.proxy = proxy
    assert peer.connect_to_url("ws://127.0.0.1:9/") != Error.OK
    text = _messages(caplog)
    assert len(caplog.records) == 2 and SECRET not in text, text


def test_proxy_password_from_the_environment_never_logged(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    monkeypatch.setenv("http_proxy", f"http://player:{SECRET}@127.0.0.1:31x28")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert WebSocketClient().connect_to_url("ws://example.invalid/") != Error.OK
    assert WebSocketPeer().connect_to_url("ws://example.invalid/") != Error.OK
    assert caplog.records and SECRET not in _messages(caplog)


def test_userinfo_of_a_bad_websocket_url_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="godot_ws")
    url = f"ws://player:{SECRET}@127.0.0.1:80x/"
    assert WebSocketClient().connect_to_url(url) == Error.ERR_INVALID_PARAMETER
    assert WebSocketPeer().connect_to_url(url) != Error.OK
    assert caplog.records and SECRET not in _messages(caplog)


def test_redact_url_and_shown() -> None:
    from godot_ws.core.logtext import redact_url, shown

    assert redact_url(f"http://a:{SECRET}@h:1") == "http://***@h:1"
    assert redact_url(f"a:{SECRET}@h:1") == "***@h:1"
    assert redact_url("ws://h/p@q") == "ws://h/p@q"
    assert shown("a\nCRITICAL b") == repr("a\nCRITICAL b")
    long = shown("x" * 10_000)
    assert len(long) < 200 and "9880 more characters" in long


# ------------------------------------------------------------------ finding 11: log flooding

JUNK = 2000  # 3-byte packets a hostile client sends (bounded)


def _godot_ws_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("godot_ws")]


def test_godot4_junk_flood_costs_a_few_lines_then_the_peer(
        caplog: pytest.LogCaptureFixture) -> None:
    from test_godot4_multiplayer import Net

    caplog.set_level(logging.DEBUG, logger="godot_ws")
    net = Net()
    try:
        server, _speer, port = net.host()
        client = net.join(port)
        cid = client.get_unique_id()
        net.until(lambda: server.get_peers() == [cid], "the client")
        left: list[int] = []
        server.peer_disconnected.connect(left.append)
        caplog.clear()
        peer = client.multiplayer_peer
        for _ in range(JUNK):
            while peer.put_packet(b"\x07\x09\x00") != Error.OK:  # SYS, too short
                net.poll()
        net.until(lambda: left == [cid], "the host to close the junk sender", timeout=30)
        lines = _godot_ws_lines(caplog)
        assert len(lines) <= 12, lines
        assert any("closing peer" in line for line in lines), lines
    finally:
        net.close()


def test_godot4_replication_junk_is_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    """DESPAWNs of net ids nobody spawned: each one is refused, a few are logged."""
    from test_godot4_multiplayer import Net

    from godot_ws.godot4._replication_wire import despawn_packet

    caplog.set_level(logging.DEBUG, logger="godot_ws")
    net = Net()
    try:
        server, _speer, port = net.host()
        client = net.join(port)
        cid = client.get_unique_id()
        net.until(lambda: server.get_peers() == [cid], "the client")
        caplog.clear()
        for net_id in range(200):
            client.multiplayer_peer.put_packet(despawn_packet(net_id))
        got: list[bytes] = []
        server.peer_packet.connect(lambda pid, data: got.append(data))
        client.send_bytes(b"done")
        net.until(lambda: got == [b"done"], "the DESPAWNs to be handled")
        lines = _godot_ws_lines(caplog)
        assert 1 <= len(lines) <= 6, lines
    finally:
        net.close()


def _flood_godot3_host(caplog: pytest.LogCaptureFixture, raw: bool, packet: bytes) -> list[str]:
    """A 3.x gd_mp_api host with its RPC layer and one client that sends ``packet`` JUNK
    times (``raw``: as the whole WebSocket message, header included; else as its payload to
    the host); returns the lines logged once the host has closed the client."""
    from rpc_support import Player, pump

    caplog.set_level(logging.DEBUG, logger="godot_ws")
    host = Player.host()
    p1 = Player.join(host.url)
    try:
        pump([host, p1], lambda: p1.tree.get_network_connected_peers() == [1])
        gone: list[int] = []
        host.tree.network_peer_disconnected.connect(gone.append)
        caplog.clear()
        p1.peer.set_target_peer(1)
        conn = p1.peer._conn
        assert conn is not None
        for _ in range(JUNK):
            while (conn.send(packet, False) if raw else p1.peer.put_packet(packet)) != Error.OK:
                host.tree.poll()
                p1.tree.poll()
        pump([host, p1], lambda: gone == [p1.id], timeout=30,
             what="the host to close the client")
        return _godot_ws_lines(caplog)
    finally:
        p1.close()
        host.close()


def test_godot3_junk_flood_costs_a_few_lines_then_the_peer(
        caplog: pytest.LogCaptureFixture) -> None:
    # A REMOTE_CALL too short to hold a target.
    lines = _flood_godot3_host(caplog, False, b"\x00\x01\x02")
    assert len(lines) <= 12, lines
    assert any("closing peer" in line for line in lines), lines


def test_godot3_relay_closes_a_spoofing_client(caplog: pytest.LogCaptureFixture) -> None:
    from godot_ws.godot3.multiplayer import encode_header

    spoof = encode_header(0, 12345, 1) + b"\x03hi"  # "from" someone else
    lines = _flood_godot3_host(caplog, True, spoof)
    assert len(lines) <= 12, lines
    assert any("closing client" in line for line in lines), lines


def test_peer_log_holds_back_and_counts() -> None:
    from godot_ws.common.netlog import PeerLog

    now = [0.0]
    records: list[str] = []

    class Sink(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("godot_ws.test_peer_log")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Sink())
    netlog = PeerLog(logger, clock=lambda: now[0])
    for i in range(100):
        netlog.error(7, "bad packet %d", i)
    netlog.error(8, "bad packet %d", 0)  # another peer has its own budget
    assert len(records) == PeerLog.BURST + 1
    assert "counted, not logged" in records[PeerLog.BURST - 1]
    now[0] += PeerLog.WINDOW
    netlog.error(7, "bad packet %d", 100)
    assert records[-1] == f"bad packet 100 [{100 - PeerLog.BURST} more such lines from peer 7 " \
                          "were not logged]"
    netlog.error(None, "the caller's own mistake")  # never held back
    strikes = [netlog.strike(9) for _ in range(PeerLog.STRIKES + 5)]
    assert strikes.count(True) == 1 and strikes[PeerLog.STRIKES - 1]
    netlog.error(7, "bad packet %d", 101)
    for _ in range(10):
        netlog.error(7, "bad packet %d", 102)
    netlog.forget(7)
    assert "were not logged (rate limit)" in records[-1]
