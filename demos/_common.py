"""What the pygame demos share: their command line, logging, headless set-up, hosting and
shutdown."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from collections.abc import Iterable
from typing import Any

from godot_ws import OK, WebSocketClient, WebSocketServer


def parse_args(description: str, default_name: str, godot4: bool = False,
               rounds: bool = False) -> argparse.Namespace:
    """The demos' options; ``godot4`` adds ``--godot4`` (play over Godot 4's protocol),
    ``rounds`` adds ``--round SECONDS`` (a hosted round's length)."""
    parser = argparse.ArgumentParser(description=description)
    if godot4:
        parser.add_argument("--godot4", action="store_true",
                            help="play over Godot 4's multiplayer protocol (SceneMultiplayer "
                                 "RPCs) instead of Godot 3's")
    if rounds:
        parser.add_argument("--round", metavar="SECONDS", type=float, default=60.0,
                            help="when hosting: the length of a round (default 60)")
    parser.add_argument("--join", metavar="URL", help="join this host instead of hosting")
    parser.add_argument("--host", metavar="PORT", type=int,
                        help="host on every interface at PORT (default: 127.0.0.1, any port)")
    parser.add_argument("--bots", type=int, default=1, help="bots in this process")
    parser.add_argument("--name", default=default_name,
                        help="your name" + ("" if default_name else " (default: a random one)"))
    parser.add_argument("--headless", action="store_true",
                        help="no window (SDL dummy): plays --frames frames (default 600), your "
                             "player steered like a bot")
    parser.add_argument("--frames", type=int, default=0, help="stop after N frames")
    parser.add_argument("--screenshot", metavar="PATH", help="save the last frame")
    args = parser.parse_args()
    if not args.headless and sys.platform.startswith("linux") \
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("no display found: running headless (SDL dummy video driver)")
        args.headless = True
    if args.headless:
        # Before pygame is imported: SDL reads these when it starts.
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        args.frames = args.frames or 600
    return args


def set_up_logging(level: int = logging.WARNING) -> None:
    """Show godot_ws's log lines with their logger's name and level (``WARNING godot_ws.client:
    ...``); without this, the library's warnings and errors would still reach stderr, bare."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def lan_address() -> str:
    """This machine's address on its local network, as others would dial it (a UDP socket
    "connected" to a documentation address sends nothing), else its host name."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return socket.gethostname()


def host(args: argparse.Namespace, gd_mp_api: bool) -> tuple[WebSocketServer | None, str]:
    """Start the embedded server unless ``--join`` was given; returns it and the URL to join.
    ``--host PORT`` listens on every interface (0.0.0.0), else on 127.0.0.1 only, and the
    printed hint says which. Exits with status 2 if the port cannot be used."""
    if args.join is not None:
        return None, args.join
    server = WebSocketServer()
    server.bind_ip = "0.0.0.0" if args.host is not None else "127.0.0.1"
    if server.listen(args.host or 0, gd_mp_api=gd_mp_api) != OK:
        print(f"could not listen on port {args.host}")
        sys.exit(2)
    port = server.get_local_port()
    if args.host is not None:
        print(f"hosting on every interface, port {port}: others join with "
              f"--join ws://{lan_address()}:{port}/")
    else:
        print(f"hosting on 127.0.0.1:{port}, this machine only (--host PORT lets others "
              f"join): --join ws://127.0.0.1:{port}/")
    return server, f"ws://127.0.0.1:{port}/"


def shut_down(server: WebSocketServer | None, clients: Iterable[WebSocketClient]) -> None:
    """Close every client, give the close handshakes a few frames, stop the server."""
    clients = list(clients)
    for client in clients:
        client.disconnect_from_host()
    for _ in range(30):
        if server is not None:
            server.poll()
        for client in clients:
            client.poll()
        time.sleep(0.005)
    if server is not None:
        server.stop()


def save_screenshot(pygame: Any, screen: Any, path: str | None) -> None:
    if path:
        pygame.image.save(screen, path)
