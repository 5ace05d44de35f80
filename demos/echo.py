"""Echo demo: a 60 FPS game loop talking to an echo server it hosts in the same loop.

Run: ``python demos/echo.py`` (or ``--url ws://host:port/`` for another echo server).
Each frame the loop calls ``poll()`` once, sends a message and reads what came back; at the end
it prints one line: frames, messages out/in, the median round trip and the worst poll time.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import struct
import sys
import time

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_DISCONNECTED,
    OK,
    WebSocketClient,
    WebSocketServer,
)


def start_echo_server() -> tuple[str, WebSocketServer]:
    """A godot_ws echo server on 127.0.0.1, polled by the same game loop."""
    server = WebSocketServer()
    server.bind_ip = "127.0.0.1"
    server.listen(0)

    def echo(peer_id: int) -> None:
        peer = server.get_peer(peer_id)
        if peer is not None and peer.is_connected_to_host():
            peer.put_packet(peer.get_packet())

    server.data_received.connect(echo)
    return f"ws://127.0.0.1:{server.get_local_port()}/", server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an echo server to use instead of the built-in one")
    parser.add_argument("--frames", type=int, default=180, help="frames to run (60 per second)")
    args = parser.parse_args()
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")  # godot_ws's reasons
    server = None
    url = args.url
    if url is None:
        url, server = start_echo_server()

    client = WebSocketClient()
    client.connection_established.connect(lambda protocol: print(f"connected to {url}"))
    client.connection_error.connect(lambda: print(f"could not connect to {url}"))
    if client.connect_to_url(url) != OK:
        print(f"invalid URL {url!r}")
        return 2

    sent = received = frames = 0
    round_trips: list[float] = []
    worst_poll = 0.0
    deadline = time.monotonic() + 10
    while frames < args.frames and time.monotonic() < deadline:
        frame_start = time.perf_counter()
        if server is not None:
            server.poll()
        client.poll()
        worst_poll = max(worst_poll, time.perf_counter() - frame_start)
        status = client.get_connection_status()
        if status == CONNECTION_DISCONNECTED:
            break
        if status == CONNECTION_CONNECTED:
            frames += 1
            peer = client.get_peer(1)
            assert peer is not None
            while peer.get_available_packet_count():
                (stamp,) = struct.unpack("<d", peer.get_packet())
                round_trips.append(time.perf_counter() - stamp)
                received += 1
            if peer.put_packet(struct.pack("<d", time.perf_counter())) == OK:
                sent += 1
        time.sleep(max(0.0, 1 / 60 - (time.perf_counter() - frame_start)))

    client.disconnect_from_host()
    for _ in range(100):  # let the close handshake finish
        if server is not None:
            server.poll()
        client.poll()
        if client.get_connection_status() == CONNECTION_DISCONNECTED:
            break
        time.sleep(0.01)
    if server is not None:
        server.stop()
    # A message queued in frame N is written by the poll of frame N+1 and its echo is read by a
    # later poll, so the round trip seen by the game is counted in whole frames.
    rtt = statistics.median(round_trips) * 1e3 if round_trips else float("nan")
    print(f"frames={frames} sent={sent} received={received} "
          f"median_round_trip_ms={rtt:.1f} (~{rtt * 60 / 1000:.0f} frames) "
          f"worst_poll_ms={worst_poll * 1e3:.2f}")
    return 0 if frames and received else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl+C: no traceback for a demo
        print("interrupted")
        sys.exit(130)
