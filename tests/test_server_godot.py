"""The real Godot 3.2.3 engine's WebSocketClient joining godot_ws's WebSocketServer."""

from __future__ import annotations

from typing import Any

import pytest

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


def test_godot_and_python_clients_share_a_python_hosted_game(godot_process_factory: Any) -> None:
    from godot_peer import GODOT_VALUES, godot_equal

    from godot_ws import CONNECTION_CONNECTED, WebSocketClient

    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    joined: list[int] = []
    left: list[int] = []
    server.peer_connected.connect(joined.append)
    server.peer_disconnected.connect(left.append)
    url = f"ws://127.0.0.1:{server.get_local_port()}/"
    godot = godot_process_factory("client.gd", f"url={url}", "mp=1")
    poll_until(server, lambda: len(joined) == 1, what="Godot to join")
    godot_id = joined[0]

    py = WebSocketClient()
    seen: list[int] = []
    gone: list[int] = []
    py.peer_connected.connect(seen.append)
    py.peer_disconnected.connect(gone.append)
    assert py.connect_to_url(url, gd_mp_api=True) == OK

    class Both:
        def poll(self) -> None:
            server.poll()
            py.poll()

    both = Both()
    poll_until(both, lambda: py.get_connection_status() == CONNECTION_CONNECTED
               and godot_id in seen, what="the Python client to see Godot")
    py_id = py.get_unique_id()
    poll_until(both, lambda: f"PEER_CONNECTED {py_id}" in godot.lines(),
               what="Godot to see the Python client")

    # Every Variant type goes Python -> our relay -> Godot, which sends it back the same way.
    py.set_target_peer(godot_id)
    for name, value in GODOT_VALUES.items():
        assert py.put_var(["say", value, py_id]) == OK, name
    answers: list[Any] = []

    def collect() -> bool:
        while py.get_available_packet_count():
            assert py.get_packet_peer() == godot_id
            answers.append(py.get_var())
        return len(answers) == len(GODOT_VALUES)

    poll_until(both, collect, timeout=15, what="Godot's answers")
    for (name, value), answer in zip(GODOT_VALUES.items(), answers, strict=True):
        assert answer[0] == "said" and godot_equal(answer[1], value), (name, answer)

    # Broadcast from the server reaches Godot; Godot quitting reaches everyone.
    server.set_target_peer(0)
    assert server.put_var(["quit"]) == OK
    poll_until(both, lambda: left == [godot_id], what="Godot to leave")
    poll_until(both, lambda: gone == [godot_id], what="the Python client to see Godot leave")
    server.stop()


_GODOT_SIGNALS = {"CLOSE_REQUEST": "server_close_request", "CONNECTION_FAILED": "connection_failed",
                  "SERVER_DISCONNECTED": "server_disconnected",
                  "PEER_DISCONNECTED": "peer_disconnected"}


def _godot_tail(lines: list[str]) -> list[tuple[Any, ...]]:
    """Godot client.gd's signal lines after it joined, as Recorder-style tuples."""
    out: list[tuple[Any, ...]] = []
    for line in lines[[i for i, x in enumerate(lines) if x.startswith("ID ")][0] + 1:]:
        word, _, rest = line.partition(" ")
        if word == "CLOSE_REQUEST":
            code, reason = rest.split(" ", 1)
            out.append(("server_close_request", int(code), reason.strip('"')))
        elif word in _GODOT_SIGNALS:
            out.append((_GODOT_SIGNALS[word],))
    return out


@pytest.mark.parametrize("who_ends_it", ["host stops", "client leaves"])
def test_connection_end_signals_match_godot_3_2_3(godot_process_factory: Any,
                                                   who_ends_it: str) -> None:
    """DESIGN's fidelity rule: the signals a joined multiplayer client sees when the
    connection ends are the ones Godot 3.2.3's own WebSocketClient emits, in its order
    (``connection_failed``, never ``server_disconnected``)."""
    from godot_ws import CONNECTION_DISCONNECTED, WebSocketClient

    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    assert server.listen(0, gd_mp_api=True) == OK
    url = f"ws://127.0.0.1:{server.get_local_port()}/"
    leave = ["leave=1"] if who_ends_it == "client leaves" else []
    godot = godot_process_factory("client.gd", f"url={url}", "mp=1", *leave)
    py = WebSocketClient()
    calls: list[tuple[Any, ...]] = []
    for name in ("server_close_request", "connection_closed", "connection_error",
                 "connection_succeeded", "connection_failed", "server_disconnected",
                 "peer_connected", "peer_disconnected"):
        getattr(py, name).connect(lambda *args, name=name: calls.append((name, *args)))
    if leave:
        py.connection_succeeded.connect(lambda: py.disconnect_from_host(1000, "leaving"))
    assert py.connect_to_url(url, gd_mp_api=True) == OK

    class Both:
        def poll(self) -> None:
            server.poll()
            py.poll()

    if not leave:
        poll_until(Both(), lambda: ("connection_succeeded",) in calls
                   and any(line.startswith("ID ") for line in godot.lines()), timeout=15,
                   what="both clients to join")
        server.stop()
    poll_until(Both(), lambda: py.get_connection_status() == CONNECTION_DISCONNECTED
               and ("CONNECTION_FAILED" in godot.lines()
                    or "SERVER_DISCONNECTED" in godot.lines()), timeout=15,
               what="both clients to see the end")
    ours = [c for c in calls[calls.index(("connection_succeeded",)) + 1:]
            if c[0] != "peer_connected"]
    assert ours == _godot_tail(godot.lines()), godot.output()
    assert ours[-1] == ("connection_failed",)
    server.stop()
