"""heartbeat_interval (Godot 4.4's, on the 3.x client, server and multiplayer peers) against
real peers: a raw server that stops answering pings, websockets' automatic pong and its own
keepalive pings."""

from __future__ import annotations

import socket
import threading
import time

from support import (
    RawServer,
    Recorder,
    WebsocketsServer,
    frame,
    ok_response,
    poll_until,
    read_request,
    unmask_frames,
)
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection

from godot_ws import WebSocketClient, WebSocketServer


def test_heartbeat_is_off_by_default() -> None:
    assert WebSocketClient().heartbeat_interval == 0.0
    assert WebSocketServer().heartbeat_interval == 0.0


def test_client_drops_a_server_that_stops_answering_pings() -> None:
    """The raw server answers the first ping, then goes silent (TCP stays up): the client
    must notice within about two intervals and close abruptly (no close frame)."""
    answered = threading.Event()

    def script(conn: socket.socket, server: RawServer) -> None:
        _, headers = read_request(conn)
        conn.sendall(ok_response(headers))
        data = b""
        while not answered.is_set():
            data += conn.recv(4096)
            for opcode, payload in unmask_frames(data):
                if opcode == 0x9:
                    conn.sendall(frame(0xA, payload))
                    answered.set()
                    break
        server.received = data
        server.read_rest(conn, timeout=30.0)  # silent from now on (longer than any wait below)

    server = RawServer(script)
    client = WebSocketClient()
    # 0.3 s: a loaded machine can stall a poll loop for a few hundred ms; the bound below is
    # still far under the server's 30 s silence, so a client that never drops fails.
    client.heartbeat_interval = 0.3
    rec = Recorder(client)
    assert client.connect_to_url(server.url) == 0
    poll_until(client, answered.is_set, timeout=30, what="the first ping")
    silent_since = time.monotonic()
    poll_until(client, lambda: rec.has("connection_closed"), timeout=30,
               what="the heartbeat to drop it")
    took = time.monotonic() - silent_since
    server.close()
    assert rec.calls[-1] == ("connection_closed", False)
    assert took < 5.0, f"took {took:.2f} s for a 0.3 s heartbeat"
    sent = list(unmask_frames(server.received))
    pings = [payload for opcode, payload in sent if opcode == 0x9]
    assert pings and all(p == b"" for p in pings)  # Godot's pings are empty
    assert 0x8 not in [opcode for opcode, _ in sent]  # abrupt: no close frame


def test_client_heartbeat_keeps_a_live_connection() -> None:
    """websockets answers every ping; over several intervals the client stays connected."""
    pings = []

    def echo(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    server = WebsocketsServer(echo)
    client = WebSocketClient()
    # Each pong must come back within one interval from websockets' own thread: 0.5 s, so a
    # starved thread on a loaded machine still answers in time (0.05 s failed at load 7).
    client.heartbeat_interval = 0.5
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_established"), timeout=30)
    conn = client._conn
    assert conn is not None
    original = conn.protocol.ping
    conn.protocol.ping = lambda payload=b"": (pings.append(payload), original(payload))[1]
    # A ping goes out only after the previous one was answered: the 4th proves 3 round trips.
    poll_until(client, lambda: len(pings) >= 4 or rec.names() != ["connection_established"],
               timeout=30, what="4 heartbeat pings")
    assert rec.names() == ["connection_established"]
    assert len(pings) >= 4
    peer = client.get_peer(1)
    assert peer is not None and peer.put_packet(b"still here") == 0
    poll_until(client, lambda: peer.get_available_packet_count() > 0)
    assert peer.get_packet() == b"still here"
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    server.close()


def test_server_answers_websockets_keepalive_and_pings_it() -> None:
    """websockets' client pings us (ping_interval) and answers our heartbeat pings: both
    sides stay up over several intervals of each."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    # 0.4 s: websockets answers from its own thread, which a loaded machine may starve a while
    server.heartbeat_interval = 0.4
    closed: list[tuple[int, bool]] = []
    server.client_disconnected.connect(lambda pid, clean: closed.append((pid, clean)))
    assert server.listen(0) == 0
    result: dict[str, object] = {}

    def run_client() -> None:
        with connect(f"ws://127.0.0.1:{server.get_local_port()}", ping_interval=0.2,
                     ping_timeout=1.0) as ws:
            # An observation window, not ordering: the peer under test is polled meanwhile;
            # 2 s covers several pings each way, and a side that never answered would have
            # been dropped (ours after 0.8 s, websockets' after 1.2 s) before the send below.
            time.sleep(2.0)
            ws.send("after keepalive")
            result["echo"] = ws.recv(timeout=5)

    thread = threading.Thread(target=run_client)
    thread.start()
    ids: list[int] = []
    server.client_connected.connect(lambda pid, proto: ids.append(pid))

    def echo_all() -> bool:
        for pid in ids:
            peer = server.get_peer(pid)
            while peer is not None and peer.get_available_packet_count():
                peer.put_packet(peer.get_packet())
        return not thread.is_alive()

    poll_until(server, echo_all, timeout=30, what="the websockets client to finish")
    thread.join()
    assert result["echo"] == b"after keepalive"
    assert all(clean for _, clean in closed)
    server.stop()


def test_server_drops_a_client_that_never_answers_pings() -> None:
    """A raw client finishes the upgrade, then never reads: the server's heartbeat drops it
    (client_disconnected(id, False)) while another client that answers stays."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.heartbeat_interval = 0.3
    assert server.listen(0) == 0
    port = server.get_local_port()
    events: list[tuple[str, int, object]] = []
    server.client_connected.connect(lambda pid, proto: events.append(("connected", pid, proto)))
    server.client_disconnected.connect(lambda pid, clean: events.append(("gone", pid, clean)))
    raw = socket.create_connection(("127.0.0.1", port))
    raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    good = WebSocketClient()
    good.connect_to_url(f"ws://127.0.0.1:{port}")

    def both() -> None:
        server.poll()
        good.poll()

    class Both:
        poll = staticmethod(both)

    poll_until(Both, lambda: len([e for e in events if e[0] == "connected"]) == 2, timeout=30)
    poll_until(Both, lambda: any(e[0] == "gone" for e in events), timeout=30,
               what="the silent client drop")
    gone = [e for e in events if e[0] == "gone"]
    assert len(gone) == 1 and gone[0][2] is False
    assert good.get_connection_status() == good.CONNECTION_CONNECTED
    assert server.get_peer(gone[0][1]) is None
    raw.close()
    good.disconnect_from_host()
    server.stop()


def test_multiplayer_peers_heartbeat_each_other() -> None:
    """Multiplayer mode, both ends with a heartbeat: pings flow both ways and nobody drops."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.heartbeat_interval = 0.25
    assert server.listen(0, gd_mp_api=True) == 0
    client = WebSocketClient()
    client.heartbeat_interval = 0.25
    failed: list[str] = []
    client.connection_failed.connect(lambda: failed.append("failed"))
    server.peer_disconnected.connect(lambda pid: failed.append(f"peer {pid} gone"))
    client.connect_to_url(f"ws://127.0.0.1:{server.get_local_port()}", gd_mp_api=True)

    class Both:
        @staticmethod
        def poll() -> None:
            server.poll()
            client.poll()

    poll_until(Both, lambda: client.get_unique_id() != 0, timeout=30)
    end = time.monotonic() + 1.2  # several intervals: a side without pongs drops after 0.5 s
    poll_until(Both, lambda: time.monotonic() > end, what="1.2 s of polling")
    assert failed == []
    client.put_packet(b"hello")
    poll_until(Both, lambda: server.get_available_packet_count() > 0)
    assert server.get_packet() == b"hello"
    client.disconnect_from_host()
    server.stop()


def test_client_answers_websockets_keepalive() -> None:
    """websockets' server pings every 200 ms and closes (1011) if a pong is late by 1 s:
    the client, polled like a game, answers in time (no heartbeat of its own needed)."""
    # 1 s of slack for a loaded machine; the 2 s window still outlasts ping + timeout (1.2 s),
    # so a client that never answered would be closed inside it.
    server = WebsocketsServer(lambda ws: [ws.send(m) for m in ws], ping_interval=0.2,
                              ping_timeout=1.0)
    client = WebSocketClient()
    rec = Recorder(client)
    client.connect_to_url(server.url)
    poll_until(client, lambda: rec.has("connection_established"), timeout=30)
    end = time.monotonic() + 2.0
    poll_until(client, lambda: time.monotonic() > end, what="2 s of polling")
    assert rec.names() == ["connection_established"]
    client.disconnect_from_host()
    poll_until(client, lambda: rec.has("connection_closed"))
    assert rec.calls[-1] == ("connection_closed", True)
    server.close()
