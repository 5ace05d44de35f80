"""The real Godot 3.2.3 engine's WebSocketClient joining godot_ws's WebSocketServer."""

from __future__ import annotations

from typing import Any

from support import poll_until

from godot_ws import OK, WebSocketPeer, WebSocketServer


def test_godot_client_joins_our_server(godot_process_factory: Any) -> None:
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0) == OK
    events: list[Any] = []
    server.client_connected.connect(lambda i, p: events.append(("connected", p)))
    server.client_disconnected.connect(lambda i, clean: events.append(("disconnected", clean)))

    def on_data(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        assert peer is not None
        data = peer.get_packet()
        if data == b"close-me":
            server.disconnect_peer(peer_id, 4321, "bye godot")
            return
        peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT if peer.was_string_packet()
                            else WebSocketPeer.WRITE_MODE_BINARY)
        peer.put_packet(data)

    server.data_received.connect(on_data)
    godot = godot_process_factory("client.gd",
                                  f"url=ws://127.0.0.1:{server.get_local_port()}/")
    poll_until(server, lambda: any(line.startswith("CLOSED") for line in godot.lines()),
               timeout=15, what="Godot's client to finish")
    poll_until(server, lambda: ("disconnected", True) in events or
               ("disconnected", False) in events, timeout=5)
    lines = [line for line in godot.lines() if line.split(" ")[0] in
             ("ESTABLISHED", "RECV", "CLOSE_REQUEST", "CLOSED", "CONNECT")]
    assert lines == [
        "CONNECT 0",
        'ESTABLISHED ""',
        "RECV text " + b"hello".hex(),
        "RECV binary 010203",
        'CLOSE_REQUEST 4321 "bye godot"',
        "CLOSED true",
    ], godot.output()
    assert events == [("connected", ""), ("disconnected", True)]
    server.stop()
