"""The Python side of tests/godot4/tunnel_peer.gd: a Godot 4.6 SceneMultiplayer *host* in the
web engine (which cannot listen), reachable by real WebSocket clients.

:class:`Gateway` listens twice on 127.0.0.1: ``tunnel_url`` for the engine's TunnelPeer (one
WebSocket carrying every packet) and ``url`` for the game's clients (``godot_ws.godot4``
``WebSocketMultiplayerPeer.create_client`` or Godot clients). To the clients it is what Godot's
WebSocketMultiplayerPeer server is on the wire: the 4-byte id hello, then one binary message per
packet. Everything after the hello comes from Godot's own SceneMultiplayer: the gateway only moves
packets, and records them (``sent``: every packet to a client, ``received``: every packet from one).

Use (poll the gateway while the engine runs)::

    gateway = Gateway()
    engine = godot4_engine({"main.gd": HOST, **tunnel_files()}, [f"tunnel={gateway.tunnel_url}"])
    engine.wait_line("HOSTING", poll=gateway.poll)

with a main.gd such as::

    const TunnelPeer = preload("res://tunnel_peer.gd")
    func _ready():
        var url = OS.get_cmdline_user_args()[0].trim_prefix("tunnel=")
        var peer = TunnelPeer.new()
        if await peer.open(url) == OK:
            multiplayer.multiplayer_peer = peer
            print("HOSTING")
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from godot_ws.godot4 import OK, TCPServer, WebSocketPeer

TUNNEL_GD = Path(__file__).resolve().parent / "godot4" / "tunnel_peer.gd"
_BIG = 1 << 24


def tunnel_files() -> dict[str, str]:
    """The files a project needs to host through the tunnel (``res://tunnel_peer.gd``)."""
    return {"tunnel_peer.gd": TUNNEL_GD.read_text()}


def _listen() -> TCPServer:
    server = TCPServer()
    assert server.listen(0, "127.0.0.1") == OK
    return server


class Gateway:
    """The tunnel's far end and the clients' WebSocket server (see the module docstring)."""

    def __init__(self) -> None:
        self._tunnel_tcp = _listen()
        self._client_tcp = _listen()
        self.tunnel_url = f"ws://127.0.0.1:{self._tunnel_tcp.get_local_port()}/"
        self.url = f"ws://127.0.0.1:{self._client_tcp.get_local_port()}/"
        self.tunnel: WebSocketPeer | None = None
        self.clients: dict[int, WebSocketPeer] = {}
        self._pending: list[WebSocketPeer] = []
        self.refusing = False
        self.sent: list[tuple[int, bytes]] = []  # (client id, packet from Godot), in order
        self.received: list[tuple[int, bytes]] = []  # (client id, packet to Godot), in order
        self.kicked: list[tuple[int, bool]] = []  # disconnect_peer(id, force) calls from Godot

    def poll(self) -> None:
        """Accept, move packets both ways, notice closes; never blocks."""
        if self.tunnel is None and self._tunnel_tcp.is_connection_available():
            self.tunnel = self._accept(self._tunnel_tcp)
        if self.tunnel is not None:
            self.tunnel.poll()
            while self.tunnel.get_available_packet_count():
                self._from_godot(self.tunnel.get_packet())
        while self._client_tcp.is_connection_available():
            self._pending.append(self._accept(self._client_tcp))
        for ws in list(self._pending):
            ws.poll()
            state = ws.get_ready_state()
            if state == WebSocketPeer.STATE_OPEN:
                self._pending.remove(ws)
                self._admit(ws)
            elif state == WebSocketPeer.STATE_CLOSED:
                self._pending.remove(ws)
        for peer_id, ws in list(self.clients.items()):
            ws.poll()
            while ws.get_available_packet_count():
                packet = ws.get_packet()
                self.received.append((peer_id, packet))
                self._to_godot(b"D" + struct.pack("<iBB", peer_id, 0, 2) + packet)
            if ws.get_ready_state() == WebSocketPeer.STATE_CLOSED:
                del self.clients[peer_id]
                self._to_godot(b"X" + struct.pack("<i", peer_id))

    def _accept(self, tcp: TCPServer) -> WebSocketPeer:
        ws = WebSocketPeer()
        ws.inbound_buffer_size = ws.outbound_buffer_size = _BIG
        ws.max_queued_packets = 1 << 16
        stream = tcp.take_connection()
        assert stream is not None and ws.accept_stream(stream) == OK
        return ws

    def _admit(self, ws: WebSocketPeer) -> None:
        if self.refusing:  # as WebSocketMultiplayerPeer: dropped without the hello
            ws.close(-1)
            return
        peer_id = random.randrange(2, 1 << 31)
        ws.put_packet(struct.pack("<i", peer_id))
        self.clients[peer_id] = ws
        self._to_godot(b"C" + struct.pack("<i", peer_id))

    def _to_godot(self, message: bytes) -> None:
        if self.tunnel is not None:
            self.tunnel.put_packet(message)

    def _from_godot(self, message: bytes) -> None:
        kind = message[:1]
        if kind == b"D":
            peer_id = struct.unpack_from("<i", message, 1)[0]
            packet = message[7:]
            self.sent.append((peer_id, packet))
            if peer_id in self.clients:
                self.clients[peer_id].put_packet(packet)
        elif kind == b"K":
            peer_id, force = struct.unpack_from("<iB", message, 1)
            self.kicked.append((peer_id, bool(force)))
            ws = self.clients.pop(peer_id, None) if force else self.clients.get(peer_id)
            if ws is not None:
                ws.close(-1 if force else 1000)
        elif kind == b"R":
            self.refusing = bool(message[1])

    def close(self) -> None:
        """Close every connection and stop listening."""
        for ws in [*self.clients.values(), *self._pending, *([self.tunnel] if self.tunnel else [])]:
            ws.close(-1)
        self._tunnel_tcp.stop()
        self._client_tcp.stop()
