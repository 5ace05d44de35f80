"""Arena: a small real-time multiplayer tag game on godot_ws, in pygame.

Every player is a coloured disc moved with the arrow keys. One player is "it" (red ring):
touching another player scores a point and makes them "it". Positions and events travel as
Godot Variants in Godot's multiplayer mode (``gd_mp_api``), with one ``poll()`` per frame.

    python demos/arena.py                       # host on 127.0.0.1 and play (+1 bot)
    python demos/arena.py --bots 5              # more company
    python demos/arena.py --host 9080           # host for others on every interface
    python demos/arena.py --join ws://HOST:9080/  # join a Python host or demos/godot_server
    python demos/arena.py --headless --frames 300 --screenshot arena.png

The host logic (``ArenaHost``) is the same as demos/godot_server/arena_server.gd, so the
client works unchanged against a Godot 3 host.
"""

from __future__ import annotations

import math
import random
import sys
import time
from typing import Any

from _common import host, parse_args, save_screenshot, shut_down

from godot_ws import (
    CONNECTION_CONNECTED,
    CONNECTION_CONNECTING,
    OK,
    Color,
    Vector2,
    WebSocketClient,
    WebSocketServer,
)

WIDTH, HEIGHT = 800, 600
ARENA_HEIGHT = HEIGHT - 32  # the status bar is below the arena
RADIUS = 18
SPEED = 240.0  # pixels per second
TAG_COOLDOWN = 1.0  # seconds before the new "it" may tag
SERVER = 1
ALL = 0
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]


# --------------------------------------------------------------------------------- host


class ArenaHost:
    """The authoritative part of the game, run by the host: who is "it", the scores, tags.

    Messages (Godot Variants; the same in arena_server.gd):
      client -> everyone: ["pos", Vector2, name, Color]   (the server sees it too)
      client -> server:   ["tag", victim_id], ["ping", t]
      server -> everyone: ["state", it_id, {id: score}]
      server -> client:   ["pong", t]
    """

    def __init__(self, server: WebSocketServer) -> None:
        self.server = server
        self.it = 0
        self.scores: dict[int, int] = {}
        self.positions: dict[int, Vector2] = {}
        self.last_tag = 0.0
        server.peer_connected.connect(self._joined)
        server.peer_disconnected.connect(self._left)

    def _joined(self, peer_id: int) -> None:
        self.scores[peer_id] = 0
        if not self.it:
            self.it = peer_id
        self._broadcast_state()

    def _left(self, peer_id: int) -> None:
        self.scores.pop(peer_id, None)
        self.positions.pop(peer_id, None)
        if self.it == peer_id:
            self.it = next(iter(self.scores), 0)
        self._broadcast_state()

    def _broadcast_state(self) -> None:
        self.server.set_target_peer(ALL)
        self.server.put_var(["state", self.it, dict(self.scores)])

    def update(self) -> None:
        server = self.server
        while server.get_available_packet_count():
            sender = server.get_packet_peer()
            message = server.get_var()
            if not isinstance(message, list) or not message:
                continue
            kind = message[0]
            if kind == "pos" and len(message) == 4 and isinstance(message[1], Vector2):
                self.positions[sender] = message[1]
            elif kind == "ping" and len(message) == 2:
                server.set_target_peer(sender)
                server.put_var(["pong", message[1]])
            elif kind == "tag" and len(message) == 2:
                self._tag(sender, message[1])

    def _tag(self, tagger: int, victim: Any) -> None:
        now = time.monotonic()
        a, b = self.positions.get(tagger), self.positions.get(victim)
        if (tagger != self.it or victim not in self.scores or a is None or b is None
                or now - self.last_tag < TAG_COOLDOWN):
            return
        if math.hypot(a.x - b.x, a.y - b.y) > RADIUS * 2 + 12:  # slack for latency
            return
        self.scores[tagger] += 1
        self.it = victim
        self.last_tag = now
        self._broadcast_state()


# --------------------------------------------------------------------------------- players


class Player:
    """One client: a human (arrow keys) or a bot, each with its own WebSocketClient."""

    def __init__(self, url: str, name: str, bot: bool) -> None:
        self.name = name
        self.bot = bot
        self.color = Color(*(random.uniform(0.35, 1.0) for _ in range(3)), 1.0)
        self.pos = Vector2(random.uniform(RADIUS, WIDTH - RADIUS),
                           random.uniform(RADIUS, ARENA_HEIGHT - RADIUS))
        self.heading = random.uniform(0, math.tau)
        self.others: dict[int, dict[str, Any]] = {}
        self.it = 0
        self.it_since = 0.0
        self.scores: dict[int, int] = {}
        self.ping_ms = float("nan")
        self.frame = 0
        self.messages_in = self.messages_out = 0
        self.players_seen: set[int] = set()
        self.tags = 0
        self.quitting = False
        self.client = WebSocketClient()
        self.client.peer_disconnected.connect(lambda peer_id: self.others.pop(peer_id, None))
        self.client.connection_failed.connect(lambda: print(f"{name}: could not join {url}"))
        self.client.server_disconnected.connect(
            lambda: self.quitting or print(f"{name}: the host went away"))
        if self.client.connect_to_url(url, gd_mp_api=True) != OK:
            print(f"{name}: invalid URL {url!r}")

    @property
    def id(self) -> int:
        return self.client.get_unique_id()

    @property
    def joined(self) -> bool:
        return self.client.get_connection_status() == CONNECTION_CONNECTED and self.id != 0

    def send(self, target: int, message: list[Any]) -> None:
        self.client.set_target_peer(target)
        if self.client.put_var(message) == OK:
            self.messages_out += 1

    def receive(self) -> None:
        client = self.client
        while client.get_available_packet_count():
            sender = client.get_packet_peer()
            message = client.get_var()
            self.messages_in += 1
            if not isinstance(message, list) or not message:
                continue
            kind = message[0]
            if kind == "pos" and len(message) == 4:
                self.others[sender] = {"pos": message[1], "name": message[2],
                                       "color": message[3]}
                self.players_seen.add(sender)
            elif kind == "state" and len(message) == 3:
                if message[1] != self.it:
                    self.it, self.it_since = message[1], time.monotonic()
                self.scores = dict(message[2])
                self.players_seen.update(self.scores)
            elif kind == "pong" and len(message) == 2:
                self.ping_ms = (time.perf_counter() - message[1]) * 1000

    def move(self, dt: float, keys: Any) -> None:
        if self.bot:
            dx, dy = self._steer()
        else:
            dx = keys[pygame.K_RIGHT] - keys[pygame.K_LEFT]
            dy = keys[pygame.K_DOWN] - keys[pygame.K_UP]
        norm = math.hypot(dx, dy) or 1.0
        x = min(max(self.pos.x + dx / norm * SPEED * dt, RADIUS), WIDTH - RADIUS)
        y = min(max(self.pos.y + dy / norm * SPEED * dt, RADIUS), ARENA_HEIGHT - RADIUS)
        self.pos = Vector2(x, y)

    def _steer(self) -> tuple[float, float]:
        """Bots wander; "it" chases the nearest player, the others flee from "it"."""
        if self.it == self.id and self.others:
            target = min(self.others.values(), key=lambda o: _dist(o["pos"], self.pos))["pos"]
            return target.x - self.pos.x, target.y - self.pos.y
        chaser = self.others.get(self.it)
        if chaser is not None and _dist(chaser["pos"], self.pos) < 160:
            dx, dy = self.pos.x - chaser["pos"].x, self.pos.y - chaser["pos"].y
            norm = math.hypot(dx, dy) or 1.0
            # Flee, but slide along the walls instead of getting cornered.
            wall_x = (80 - self.pos.x if self.pos.x < 80 else
                      (WIDTH - 80) - self.pos.x if self.pos.x > WIDTH - 80 else 0)
            wall_y = (80 - self.pos.y if self.pos.y < 80 else
                      (ARENA_HEIGHT - 80) - self.pos.y if self.pos.y > ARENA_HEIGHT - 80 else 0)
            return dx / norm + wall_x / 40, dy / norm + wall_y / 40
        self.heading += random.uniform(-0.3, 0.3)
        if not (RADIUS * 2 < self.pos.x < WIDTH - RADIUS * 2
                and RADIUS * 2 < self.pos.y < ARENA_HEIGHT - RADIUS * 2):
            self.heading = math.atan2(ARENA_HEIGHT / 2 - self.pos.y, WIDTH / 2 - self.pos.x)
        return math.cos(self.heading), math.sin(self.heading)

    def step(self, dt: float, keys: Any) -> None:
        """One frame: read, move, tell the others (every other frame), tag, ping."""
        self.frame += 1
        self.receive()
        if not self.joined:
            return
        self.move(dt, keys)
        if self.frame % 2 == 0:
            self.send(ALL, ["pos", self.pos, self.name, self.color])
        if self.frame % 30 == 0:
            self.send(SERVER, ["ping", time.perf_counter()])
        if self.it == self.id and time.monotonic() - self.it_since > TAG_COOLDOWN:
            for peer_id, other in self.others.items():
                if _dist(other["pos"], self.pos) < RADIUS * 2:
                    self.send(SERVER, ["tag", peer_id])
                    self.tags += 1
                    self.it_since = time.monotonic()  # wait for the host's verdict
                    break


def _dist(a: Vector2, b: Vector2) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


# --------------------------------------------------------------------------------- drawing


def draw(screen: Any, font: Any, me: Player, host_url: str) -> None:
    screen.fill((24, 26, 33))
    pygame.draw.rect(screen, (60, 64, 80), (0, 0, WIDTH, ARENA_HEIGHT), 2)
    everyone = dict(me.others)
    if me.joined:
        everyone[me.id] = {"pos": me.pos, "name": me.name, "color": me.color}
    for peer_id, other in everyone.items():
        pos, color = other["pos"], other["color"]
        rgb = tuple(int(c * 255) for c in (color.r, color.g, color.b))
        center = (int(pos.x), int(pos.y))
        pygame.draw.circle(screen, rgb, center, RADIUS)
        if peer_id == me.it:
            pygame.draw.circle(screen, (240, 60, 60), center, RADIUS + 5, 3)
        label = font.render(f"{other['name']} {me.scores.get(peer_id, 0)}", True, (230, 230, 230))
        x = min(max(center[0] - label.get_width() // 2, 2), WIDTH - label.get_width() - 2)
        y = center[1] - RADIUS - 20 if center[1] > RADIUS + 24 else center[1] + RADIUS + 4
        screen.blit(label, (x, y))
    status = me.client.get_connection_status()
    state = ("connected" if status == CONNECTION_CONNECTED else
             "connecting" if status == CONNECTION_CONNECTING else "disconnected")
    hud = (f"{state} to {host_url}   players online: {len(everyone)}   "
           f"ping: {me.ping_ms:.1f} ms   arrows move, red ring is 'it'")
    screen.blit(font.render(hud, True, (200, 200, 120)), (10, HEIGHT - 24))


# --------------------------------------------------------------------------------- main


def main() -> int:
    args = parse_args("godot_ws multiplayer tag arena", "You")
    global pygame
    import pygame

    server, url = host(args, gd_mp_api=True)
    arena_host = ArenaHost(server) if server is not None else None

    pygame.init()
    screen = pygame.display.set_mode((WIDTH, HEIGHT))
    pygame.display.set_caption("godot_ws arena")
    font = pygame.font.Font(None, 22)
    clock = pygame.time.Clock()
    names = random.sample(NAMES, k=min(len(NAMES), args.bots + 1))
    me = Player(url, args.name, bot=args.headless)
    bots = [Player(url, names[i % len(names)] + "-bot", bot=True) for i in range(args.bots)]

    frames = 0
    worst_poll = 0.0
    running = True
    while running:
        dt = clock.tick(60) / 1000.0
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                             and event.key == pygame.K_ESCAPE):
                running = False
        start = time.perf_counter()
        if server is not None:
            server.poll()
        for player in (me, *bots):
            player.client.poll()
        worst_poll = max(worst_poll, time.perf_counter() - start)
        if arena_host is not None:
            arena_host.update()
        keys = pygame.key.get_pressed()
        for player in (me, *bots):
            player.step(min(dt, 0.05), keys)
        draw(screen, font, me, url)
        pygame.display.flip()
        frames += 1
        if args.frames and frames >= args.frames:
            running = False

    save_screenshot(pygame, screen, args.screenshot)
    players = me.players_seen | ({me.id} if me.id else set())
    print(f"frames={frames} players_seen={len(players)} messages_in={me.messages_in} "
          f"messages_out={me.messages_out} tags={sum(p.tags for p in (me, *bots))} "
          f"ping_ms={me.ping_ms:.1f} worst_poll_ms={worst_poll * 1000:.2f}")
    for player in (me, *bots):
        player.quitting = True
    shut_down(server, (p.client for p in (me, *bots)))
    pygame.quit()
    return 0 if players else 1  # 1: never joined


pygame: Any = None

if __name__ == "__main__":
    sys.exit(main())
