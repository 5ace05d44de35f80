"""Chat: a pygame chat window on godot_ws in plain mode (text packets).

    python demos/chat.py                        # host a chat room on 127.0.0.1 and join it
    python demos/chat.py --host 9090            # host for others on every interface
    python demos/chat.py --join ws://HOST:9090/ # join a chat host, or any echo server
    python demos/chat.py --headless --frames 300 --bots 2 --screenshot chat.png

Type and press Enter to send. The host (``ChatHost``) broadcasts each text message to every
client; against a plain echo server you see your own messages come back.
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from _common import host, parse_args, save_screenshot, set_up_logging, shut_down

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_CONNECTING,
    OK,
    WebSocketClient,
    WebSocketPeer,
    WebSocketServer,
)

WIDTH, HEIGHT = 640, 480
LINES = ["hello!", "anyone here?", "gg", "nice move", "brb", "what's the ping?", "lol"]


class ChatHost:
    """Relays every text message to every connected client (plain mode)."""

    def __init__(self, server: WebSocketServer) -> None:
        self.server = server
        self.ids: list[int] = []
        server.client_connected.connect(lambda peer_id, _protocol: self.ids.append(peer_id))
        server.client_disconnected.connect(lambda peer_id, _clean: self.ids.remove(peer_id))
        server.data_received.connect(self._relay)

    def _relay(self, sender: int) -> None:
        peer = self.server.get_peer(sender)
        assert peer is not None
        text = peer.get_packet()
        if not peer.was_string_packet():
            return
        for peer_id in self.ids:
            out = self.server.get_peer(peer_id)
            if out is not None and out.is_connected_to_host():
                out.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
                out.put_packet(text)


class Chatter:
    """One chat client; bots say something now and then."""

    def __init__(self, url: str, name: str, bot: bool) -> None:
        self.name = name
        self.bot = bot
        self.lines: list[str] = []
        self.sent = self.received = 0
        self.client = WebSocketClient()
        self.client.connection_established.connect(lambda _p: self.say("joined the chat"))
        self.client.connection_error.connect(lambda: self.lines.append(f"* cannot reach {url}"))
        self.client.connection_closed.connect(lambda clean: self.lines.append("* disconnected"))
        self.client.data_received.connect(self._on_data)
        if self.client.connect_to_url(url) != OK:
            self.lines.append(f"* invalid URL {url!r}")

    def _on_data(self) -> None:
        peer = self.client.get_peer(1)
        assert peer is not None
        while peer.get_available_packet_count():
            self.lines.append(peer.get_packet().decode("utf-8", "replace"))
            self.received += 1
        del self.lines[:-200]

    def say(self, text: str) -> None:
        peer = self.client.get_peer(1)
        if peer is None or self.client.get_connection_status() != CONNECTION_CONNECTED:
            return
        peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
        if peer.put_packet(f"{self.name}: {text}".encode()) == OK:
            self.sent += 1

    def think(self) -> None:
        if self.bot and random.random() < 0.02:
            self.say(random.choice(LINES))


def draw(screen: Any, font: Any, me: Chatter, typed: str, url: str) -> None:
    screen.fill((20, 22, 28))
    y = HEIGHT - 60
    for line in reversed(me.lines[-20:]):
        screen.blit(font.render(line, True, (220, 220, 220)), (12, y))
        y -= 20
    status = me.client.get_connection_status()
    state = ("connected to" if status == CONNECTION_CONNECTED else
             "connecting to" if status == CONNECTION_CONNECTING else "disconnected from")
    pygame.draw.rect(screen, (45, 48, 60), (0, HEIGHT - 34, WIDTH, 34))
    screen.blit(font.render(f"> {typed}_", True, (255, 255, 160)), (12, HEIGHT - 28))
    screen.blit(font.render(f"{state} {url}", True, (140, 170, 140)), (12, 8))


def main() -> int:
    args = parse_args("godot_ws chat window", "")
    set_up_logging()
    global pygame
    import pygame

    server, url = host(args, gd_mp_api=False)
    if server is not None:
        ChatHost(server)

    pygame.init()
    screen = pygame.display.set_mode((WIDTH, HEIGHT))
    pygame.display.set_caption("godot_ws chat")
    font = pygame.font.Font(None, 22)
    clock = pygame.time.Clock()
    # Everyone sees this name: a default of "you" would show strangers called "you".
    me = Chatter(url, args.name or f"guest{random.randint(100, 999)}", bot=args.headless)
    bots = [Chatter(url, f"bot{i + 1}", bot=True) for i in range(args.bots)]
    typed = ""
    frames = 0
    worst_poll = 0.0
    running = True
    try:
        while running:
            clock.tick(60)
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    running = False
                elif event.type == pygame.KEYDOWN:
                    if event.key == pygame.K_ESCAPE:
                        running = False
                    elif event.key == pygame.K_RETURN and typed:
                        me.say(typed)
                        typed = ""
                    elif event.key == pygame.K_BACKSPACE:
                        typed = typed[:-1]
                elif event.type == pygame.TEXTINPUT:
                    typed += event.text
            start = time.perf_counter()
            if server is not None:
                server.poll()
            for chatter in (me, *bots):
                chatter.client.poll()
            worst_poll = max(worst_poll, time.perf_counter() - start)
            for chatter in (me, *bots):
                chatter.think()
            draw(screen, font, me, typed, url)
            pygame.display.flip()
            frames += 1
            if args.frames and frames >= args.frames:
                running = False
    except KeyboardInterrupt:
        print("interrupted: closing")
    save_screenshot(pygame, screen, args.screenshot)
    print(f"frames={frames} chatters={1 + len(bots)} messages_in={me.received} "
          f"messages_out={sum(c.sent for c in (me, *bots))} "
          f"worst_poll_ms={worst_poll * 1000:.2f}")
    shut_down(server, (c.client for c in (me, *bots)))
    pygame.quit()
    return 0


pygame: Any = None

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before the chat started
        sys.exit(130)
