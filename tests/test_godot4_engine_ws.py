"""Godot 4.6's own WebSocketPeer (the web build: Chromium's WebSocket under Godot's API) as the
client of our servers: the 3.x ``WebSocketServer`` in plain mode and the 4.x ``TCPServer`` +
``WebSocketPeer.accept_stream``, over ws and wss (a certificate from a trustme CA, trusted by the
browser profile through its key pin). Text, binary, ``put_var``, an empty text message, a close asked
of the server with a code and reason, and a close from Godot's side (tests/godot4/ws_client.gd).
One engine runs the script against both servers; each test checks one part of its output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from engine4 import Engine4, trust_flag

import godot_ws
from godot_ws import godot4

SCRIPT = (Path(__file__).parent / "godot4" / "ws_client.gd").read_text()
SENT_VAR = {"a": godot4.Vector2(1, 2), "n": 3}


@dataclass
class Seen:
    """What a server saw: packets in order (bytes, was_string) and the client's close."""

    packets: list[tuple[bytes, bool]] = field(default_factory=list)
    client_close: list[tuple[int, str]] = field(default_factory=list)


def _command(packet: bytes, is_text: bool) -> tuple[int, str] | None:
    if is_text and packet.startswith(b"close "):
        _, code, reason = packet.decode().split(" ", 2)
        return int(code), reason
    return None


class Server3:
    """Our Godot 3 ``WebSocketServer`` in plain mode: echoes in the mode it received, closes a
    client on "close CODE REASON"."""

    def __init__(self, compression: bool = False, leaf: trustme.LeafCert | None = None) -> None:
        self.seen = Seen()
        self.server = godot_ws.WebSocketServer()
        self.server.bind_ip = "127.0.0.1"
        self.server.compression_enabled = compression
        if leaf is not None:
            key, cert = godot_ws.CryptoKey(), godot_ws.X509Certificate()
            assert key.load_from_string(leaf.private_key_pem.bytes().decode()) == godot_ws.OK
            assert cert.load_from_string(leaf.cert_chain_pems[0].bytes().decode()) == godot_ws.OK
            self.server.private_key, self.server.ssl_certificate = key, cert
        assert self.server.listen(0) == godot_ws.OK
        scheme = "wss" if leaf else "ws"
        self.url = f"{scheme}://127.0.0.1:{self.server.get_local_port()}/"  # type: ignore[attr-defined]
        self.server.data_received.connect(self._echo)
        self.server.client_close_request.connect(lambda pid, code, reason: self.seen.client_close.append((code, reason)))

    def _echo(self, peer_id: int) -> None:
        peer = self.server.get_peer(peer_id)
        assert peer is not None
        packet = peer.get_packet()
        is_text = peer.was_string_packet()
        self.seen.packets.append((packet, is_text))
        close = _command(packet, is_text)
        if close:
            peer.close(*close)
            return
        peer.set_write_mode(peer.WRITE_MODE_TEXT if is_text else peer.WRITE_MODE_BINARY)
        peer.put_packet(packet)

    def poll(self) -> None:
        self.server.poll()

    def stop(self) -> None:
        self.server.stop()


class Server4:
    """Our Godot 4 ``TCPServer`` + ``WebSocketPeer.accept_stream``, as a Godot 4 server script."""

    def __init__(self, compression: bool = False, leaf: trustme.LeafCert | None = None) -> None:
        self.seen = Seen()
        self.compression = compression
        self.tls: godot4.TLSOptions | None = None
        if leaf is not None:
            key, cert = godot4.CryptoKey(), godot4.X509Certificate()
            assert key.load_from_string(leaf.private_key_pem.bytes().decode()) == godot4.OK
            assert cert.load_from_string(leaf.cert_chain_pems[0].bytes().decode()) == godot4.OK
            self.tls = godot4.TLSOptions.server(key, cert)
        self.tcp = godot4.TCPServer()
        assert self.tcp.listen(0, "127.0.0.1") == godot4.OK
        self.url = f"{'wss' if leaf else 'ws'}://127.0.0.1:{self.tcp.get_local_port()}/"
        self.peers: list[godot4.WebSocketPeer] = []
        self.closing: list[godot4.WebSocketPeer] = []  # the peers we asked to close (kept alive)

    def poll(self) -> None:
        while self.tcp.is_connection_available():
            ws = godot4.WebSocketPeer()
            ws.compression_enabled = self.compression
            stream: godot4.StreamPeer | None = self.tcp.take_connection()
            if self.tls is not None:
                tls = godot4.StreamPeerTLS()
                assert tls.accept_stream(stream, self.tls) == godot4.OK
                stream = tls
            assert ws.accept_stream(stream) == godot4.OK
            self.peers.append(ws)
        for ws in list(self.peers):
            ws.poll()
            while ws.get_available_packet_count():
                packet = ws.get_packet()
                is_text = ws.was_string_packet()
                self.seen.packets.append((packet, is_text))
                close = _command(packet, is_text)
                if close:
                    self.closing.append(ws)
                    ws.close(*close)
                elif is_text:
                    ws.send_text(packet.decode())
                else:
                    ws.put_packet(packet)
            if ws.get_ready_state() == godot4.WebSocketPeer.STATE_CLOSED:
                if not any(ws is closed for closed in self.closing):
                    self.seen.client_close.append((ws.get_close_code(), ws.get_close_reason()))
                self.peers.remove(ws)

    def stop(self) -> None:
        for ws in self.peers:
            ws.close(-1)
        self.tcp.stop()


@dataclass
class Run:
    engine: Engine4
    servers: dict[str, Server3 | Server4]

    def output(self, tag: str) -> list[str]:
        return [line[len(tag) + 1:] for line in self.engine.lines if line.startswith(tag + " ")]


@pytest.fixture(scope="module")
def leaf() -> trustme.LeafCert:
    """A server certificate from a test CA; Chromium trusts it by its key (engine4.trust_flag)."""
    return trustme.CA().issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def run(godot4_module_engine: Callable[..., Engine4], leaf: trustme.LeafCert) -> Iterator[Run]:
    servers: dict[str, Server3 | Server4] = {"s3": Server3(), "s4": Server4(), "w3": Server3(leaf=leaf),
                                             "w4": Server4(leaf=leaf)}

    def poll() -> None:
        for server in servers.values():
            server.poll()

    engine = godot4_module_engine({"main.gd": SCRIPT}, [f"{tag}={s.url}" for tag, s in servers.items()],
                                  name="ws_client", flags=[trust_flag(leaf.cert_chain_pems[0].bytes())])
    engine.wait_line("ALL DONE", timeout=60, poll=poll)
    # 30 s, as the other waits on the engine: 5 s was missed once at load 10-15
    engine.wait_for(lambda: all(s.seen.client_close for s in servers.values()), "the servers see Godot's close",
                    timeout=30, poll=poll)
    yield Run(engine, servers)
    for server in servers.values():
        server.stop()


SERVERS = ["s3", "s4", "w3", "w4"]  # w: wss, a certificate from the test CA


@pytest.mark.parametrize("tag", SERVERS)
def test_connects_and_opens(run: Run, tag: str) -> None:
    assert run.output(tag)[:2] == ["connect 0", "open protocol="]


@pytest.mark.parametrize("tag", SERVERS)
def test_packets_arrive_with_their_mode(run: Run, tag: str) -> None:
    packets = run.servers[tag].seen.packets
    assert packets[0] == ("héllo wörld".encode(), True)
    assert packets[1] == (bytes([0, 1, 2, 255]), False)
    assert packets[2][1] is False and godot4.bytes_to_var(packets[2][0]) == SENT_VAR
    assert packets[2][0] == godot4.var_to_bytes(SENT_VAR)  # byte identity with Godot's put_var
    assert packets[3] == (b"", True)


@pytest.mark.parametrize("tag", SERVERS)
def test_echoes_come_back_in_their_mode(run: Run, tag: str) -> None:
    echoes = [line for line in run.output(tag) if line.startswith("echo ")]
    assert echoes == [
        "echo text " + "héllo wörld".encode().hex(),
        "echo binary 000102ff",
        "echo binary " + godot4.var_to_bytes(SENT_VAR).hex(),
        "echo text ",
    ]


@pytest.mark.parametrize("tag", SERVERS)
def test_server_close_code_and_reason_reach_godot(run: Run, tag: str) -> None:
    assert "closed by server code=4001 reason=server bye é" in run.output(tag)


@pytest.mark.parametrize("tag", SERVERS)
def test_godot_close_code_and_reason_reach_us(run: Run, tag: str) -> None:
    assert run.servers[tag].seen.client_close == [(4002, "client bye")]
    assert "closed by client code=4002 reason=client bye" in run.output(tag)
