"""Arena: a small real-time multiplayer tag game on godot_ws, in pygame.

Every player is a coloured disc moved with the arrow keys. One player is "it" (red ring):
touching another player scores a point and makes them "it". Positions and events travel as
Godot 3 RPCs (positions with ``rpc_unreliable`` to puppet methods, tags as master calls to the
host) in Godot's multiplayer mode (``gd_mp_api``), with one ``poll()`` per frame.

    python demos/arena.py                       # host on 127.0.0.1 and play (+1 bot)
    python demos/arena.py --bots 5              # more company
    python demos/arena.py --host 9080           # host for others on every interface
    python demos/arena.py --join ws://HOST:9080/  # join a Python host or demos/godot_server
    python demos/arena.py --headless --frames 300 --screenshot arena.png
    python demos/arena.py --godot4              # the same game over Godot 4's protocol

This file is the game and its drawing; demos/arena_net.py is all of its networking (the host
logic, the same nodes as demos/godot_server/arena.gd, and each player's link), so the client
works unchanged against a Godot 3 host, and Godot players (arena_bot.gd) join a Python host. With ``--godot4`` the networking is
demos/arena_net4.py instead: Godot 4's WebSocketMultiplayerPeer and SceneMultiplayer, the
messages as ``@rpc`` calls (host and clients in Python; every player must use --godot4).
When the host goes away or a join fails, the screen says why and the game retries every few
seconds (R retries now, Esc quits).
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass
from typing import Any

from _common import host, parse_args, save_screenshot, set_up_logging, shut_down
import arena_net4
from arena_net import RADIUS, TAG_COOLDOWN, ArenaHost, ArenaLink, ping_text

from godot_ws import Color, Rect2, Vector2

WIDTH, HEIGHT = 800, 600  # the arena's size is the same on every player's screen
ARENA_HEIGHT = HEIGHT - 32  # the status bar is below the arena
SIDEBAR = 190  # the scoreboard, right of the arena
SPEED = 240.0  # pixels per second
SMOOTHING = 18.0  # how fast a remote player's drawn position catches up (1/s)
RETRY_SECONDS = 3.0
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]
ARENA = Rect2(RADIUS, RADIUS, WIDTH - 2 * RADIUS, ARENA_HEIGHT - 2 * RADIUS)


# --------------------------------------------------------------------------------- game


@dataclass
class Remote:
    """Another player as this client sees it: ``target`` is the last position received
    (30 times a second), ``shown`` eases towards it every frame so movement looks smooth."""

    name: str
    color: Color
    target: Vector2
    shown: Vector2

    def update(self, dt: float) -> None:
        if self.shown.distance_to(self.target) > 200:  # a jump (respawn): do not slide
            self.shown = self.target
        else:
            self.shown = self.shown.linear_interpolate(self.target,
                                                       1.0 - math.exp(-SMOOTHING * dt))


class Player:
    """One client: a human (arrow keys) or a bot. The game state lives here; the network
    is ``self.link`` (demos/arena_net.py), which calls the ``on_*`` methods."""

    def __init__(self, url: str, name: str, bot: bool, loud: bool = False) -> None:
        self.url = url
        self.loud = loud  # print connection problems (the main player)
        self.quitting = False
        self.name = name
        self.bot = bot
        self.color = Color(random.uniform(0.35, 1.0), random.uniform(0.35, 1.0),
                           random.uniform(0.35, 1.0))
        self.pos = Vector2(random.uniform(ARENA.position.x, ARENA.end.x),
                           random.uniform(ARENA.position.y, ARENA.end.y))
        self.heading = random.uniform(0, math.tau)
        self.others: dict[int, Remote] = {}
        self.it = 0
        self.it_since = 0.0
        self.scores: dict[int, int] = {}
        self.ping_ms = math.nan
        self.frame = 0
        self.players_seen: set[int] = set()
        self.tags = 0
        self.problem = ""  # why we are not in a game: "<title>: <details>", shown on screen
        self.problem_title = ""
        self.problem_details: list[str] = []
        self.lost_reason = ""  # why the game we were in ended (kept while rejoining fails)
        self.retry_at = 0.0
        self.link = Link(url, self)
        self.link.connect()

    # ------------------------------------------------------------------ from the network

    def on_joined(self, my_id: int) -> None:
        self.problem = self.problem_title = self.lost_reason = ""
        self.problem_details = []
        self.players_seen.add(my_id)

    def on_position(self, peer_id: int, pos: Vector2, name: str, color: Color) -> None:
        other = self.others.get(peer_id)
        if other is None:
            self.others[peer_id] = Remote(name, color, pos, pos)
        else:
            other.target, other.name, other.color = pos, name, color
        self.players_seen.add(peer_id)

    def on_state(self, it: int, scores: dict[int, int]) -> None:
        if it != self.it:
            self.it, self.it_since = it, time.monotonic()
        self.scores = scores
        self.players_seen.update(scores)
        for gone in set(self.others) - set(scores):
            del self.others[gone]

    def on_pong(self, ping_ms: float) -> None:
        self.ping_ms = ping_ms

    def on_peer_left(self, peer_id: int) -> None:
        self.others.pop(peer_id, None)

    def on_lost(self, reason: str, was_joined: bool) -> None:
        if self.quitting:
            return
        # Nobody is left to update the others: clear them rather than draw frozen ghosts.
        self.others.clear()
        self.scores.clear()
        self.it = 0
        self.ping_ms = math.nan
        if was_joined:
            self.lost_reason = reason
        if self.lost_reason:  # the game we were in ended: say so, and how rejoining goes
            self.problem_title = f"disconnected from {self.url}"
            self.problem_details = [self.lost_reason] + (
                [] if was_joined else [f"rejoining failed: {reason}"])
        else:
            self.problem_title = f"could not join {self.url}"
            self.problem_details = [reason]
        self.problem = f"{self.problem_title}: {'; '.join(self.problem_details)}"
        self.retry_at = time.monotonic() + RETRY_SECONDS
        if self.loud:
            print(f"{self.name}: {self.problem}")

    # ------------------------------------------------------------------ each frame

    def retry_now(self) -> None:
        if self.link.offline:
            self.retry_at = 0.0

    def step(self, dt: float, keys: Any) -> None:
        """One frame, after ``link.poll()``: move, tell the others (every other frame), tag,
        ping; or, while offline, count down to the next join attempt."""
        self.frame += 1
        for other in self.others.values():
            other.update(dt)
        if self.link.offline:
            if self.problem and time.monotonic() >= self.retry_at:
                self.link.connect()
            return
        if not self.link.joined:
            return
        self.move(dt, keys)
        if self.frame % 2 == 0:
            self.link.send_position(self.pos, self.name, self.color)
        if self.frame % 30 == 0:
            self.link.send_ping()
        me = self.link.my_id
        if self.it == me and time.monotonic() - self.it_since > TAG_COOLDOWN:
            for peer_id, other in self.others.items():
                if other.target.distance_to(self.pos) < RADIUS * 2:
                    self.link.send_tag(peer_id)
                    self.tags += 1
                    self.it_since = time.monotonic()  # wait for the host's verdict
                    break

    def move(self, dt: float, keys: Any) -> None:
        if self.bot:
            direction = self._steer()
        else:
            direction = Vector2(keys[pygame.K_RIGHT] - keys[pygame.K_LEFT],
                                keys[pygame.K_DOWN] - keys[pygame.K_UP])
        self.pos = (self.pos + direction.normalized() * SPEED * dt).clamp(ARENA.position,
                                                                          ARENA.end)

    def _steer(self) -> Vector2:
        """Bots wander; "it" chases the nearest player, the others flee from "it"."""
        if self.it == self.link.my_id and self.others:
            nearest = min(self.others.values(), key=lambda o: o.target.distance_to(self.pos))
            return nearest.target - self.pos
        chaser = self.others.get(self.it)
        if chaser is not None and chaser.target.distance_to(self.pos) < 160:
            away = chaser.target.direction_to(self.pos)
            # Flee, but slide along the walls instead of getting cornered.
            inner = ARENA.grow(-62)
            wall = (self.pos.clamp(inner.position, inner.end) - self.pos) / 40
            return away + wall
        self.heading += random.uniform(-0.3, 0.3)
        if not ARENA.grow(-RADIUS).has_point(self.pos):
            self.heading = (Vector2(WIDTH / 2, ARENA_HEIGHT / 2) - self.pos).angle()
        return Vector2(1, 0).rotated(self.heading)


# --------------------------------------------------------------------------------- drawing

BACKGROUND = (24, 26, 33)
TEXT = (230, 230, 230)
DIM = (150, 150, 160)
HUD = (200, 200, 120)
IT_RED = (240, 60, 60)


def status_line(me: Player) -> str:
    """The status bar's text."""
    link = me.link
    if link.joined:
        state = f"connected to {me.url}"
    elif link.connecting:
        state = f"joining {me.url}"
    elif me.problem:
        state = me.problem_title  # "disconnected from URL" / "could not join URL"
    else:
        state = f"not connected to {me.url}"
    players = len(me.others) + (1 if link.joined else 0)
    return (f"{state}   players online: {players}   ping: {ping_text(me.ping_ms)}   "
            "arrows move, red ring is 'it'")


def _place_label(size: Vector2, center: Vector2, taken: list[Rect2]) -> Rect2:
    """A spot for a name label near ``center`` that overlaps no label placed so far."""
    above = Vector2(center.x - size.x / 2, center.y - RADIUS - 6 - size.y)
    below = Vector2(center.x - size.x / 2, center.y + RADIUS + 6)
    side = Vector2(center.x + RADIUS + 8, center.y - size.y / 2)
    other_side = Vector2(center.x - RADIUS - 8 - size.x, center.y - size.y / 2)
    bounds = Rect2(2, 2, WIDTH - 4 - size.x, ARENA_HEIGHT - 4 - size.y)
    first = None
    for spot in (above, below, side, other_side, above - Vector2(0, size.y),
                 below + Vector2(0, size.y)):
        rect = Rect2(spot.clamp(bounds.position, bounds.end), size)
        first = first or rect
        if not any(rect.intersects(t) for t in taken):
            return rect
    assert first is not None
    return first


def draw(screen: Any, font: Any, big: Any, me: Player) -> None:
    screen.fill(BACKGROUND)
    pygame.draw.rect(screen, (60, 64, 80), (0, 0, WIDTH, ARENA_HEIGHT), 2)
    pygame.draw.rect(screen, (32, 34, 44), (WIDTH, 0, SIDEBAR, ARENA_HEIGHT))
    me_id = me.link.my_id
    players: dict[int, tuple[str, Color, Vector2]] = {
        peer_id: (o.name, o.color, o.shown) for peer_id, o in me.others.items()}
    if me.link.joined:
        players[me_id] = (me.name, me.color, me.pos)
    taken: list[Rect2] = []
    for peer_id, (_, color, pos) in players.items():
        pygame.draw.circle(screen, color.to_rgb8(), tuple(pos.round()), RADIUS)
        if peer_id == me.it:
            pygame.draw.circle(screen, IT_RED, tuple(pos.round()), RADIUS + 5, 3)
        if peer_id == me_id:
            pygame.draw.circle(screen, TEXT, tuple(pos.round()), RADIUS + 1, 1)
        taken.append(Rect2(pos - Vector2(RADIUS, RADIUS), Vector2(RADIUS, RADIUS) * 2))
    for peer_id, (name, _, pos) in players.items():
        label = font.render(name, True, TEXT if peer_id != me_id else HUD)
        rect = _place_label(Vector2(label.get_width(), label.get_height()), pos, taken)
        taken.append(rect)
        screen.blit(label, tuple(rect.position.round()))
    if players:
        _draw_scoreboard(screen, font, me, players)
    if me.problem and not me.link.joined:
        _draw_problem(screen, font, big, me)
    screen.blit(font.render(status_line(me), True, HUD), (10, HEIGHT - 24))


def _draw_scoreboard(screen: Any, font: Any, me: Player,
                     players: dict[int, tuple[str, Color, Vector2]]) -> None:
    rows = sorted(players, key=lambda p: (-me.scores.get(p, 0), players[p][0]))
    width, line = SIDEBAR - 16, 20
    panel = pygame.Surface((width, 28 + line * len(rows)), pygame.SRCALPHA)
    panel.blit(font.render("scores (tags)", True, DIM), (10, 6))
    for i, peer_id in enumerate(rows):
        name, color, _ = players[peer_id]
        y = 26 + i * line
        pygame.draw.circle(panel, color.to_rgb8(), (16, y + 7), 6)
        if peer_id == me.it:
            pygame.draw.circle(panel, IT_RED, (16, y + 7), 8, 2)
        text = TEXT if peer_id != me.link.my_id else HUD
        panel.blit(font.render(name, True, text), (30, y))
        score = font.render(str(me.scores.get(peer_id, 0)), True, text)
        panel.blit(score, (width - 10 - score.get_width(), y))
    screen.blit(panel, (WIDTH + 8, 8))


def _draw_problem(screen: Any, font: Any, big: Any, me: Player) -> None:
    wait = max(0.0, me.retry_at - time.monotonic())
    lines = [(big, me.problem_title, TEXT),
             *((font, detail, IT_RED) for detail in me.problem_details),
             (font, f"retrying in {wait:.0f} s   R: retry now   Esc: quit"
              if me.link.offline else "joining...", DIM)]
    surfaces = [(f.render(text, True, color)) for f, text, color in lines]
    width = max(s.get_width() for s in surfaces) + 40
    height = sum(s.get_height() + 8 for s in surfaces) + 24
    panel = pygame.Surface((width, height), pygame.SRCALPHA)
    panel.fill((0, 0, 0, 190))
    y = 16
    for surface in surfaces:
        panel.blit(surface, ((width - surface.get_width()) // 2, y))
        y += surface.get_height() + 8
    screen.blit(panel, ((WIDTH - width) // 2, (ARENA_HEIGHT - height) // 2))


# --------------------------------------------------------------------------------- main


def main() -> int:
    args = parse_args("godot_ws multiplayer tag arena", "You", godot4=True)
    set_up_logging()
    global pygame, Link
    import pygame

    server: Any
    if args.godot4:  # Godot 4's protocol: every message is an @rpc call (arena_net4.py)
        Link = arena_net4.ArenaLink
        server, url = arena_net4.host(args)
        arena_host: Any = arena_net4.ArenaHost(server) if server is not None else None
    else:
        server, url = host(args, gd_mp_api=True)
        arena_host = ArenaHost(server) if server is not None else None

    pygame.init()
    screen = pygame.display.set_mode((WIDTH + SIDEBAR, HEIGHT))
    pygame.display.set_caption("godot_ws arena")
    font = pygame.font.Font(None, 22)
    big = pygame.font.Font(None, 32)
    clock = pygame.time.Clock()
    names = random.sample(NAMES, k=min(len(NAMES), args.bots + 1))
    me = Player(url, args.name, bot=args.headless, loud=True)
    bots = [Player(url, names[i % len(names)] + "-bot", bot=True) for i in range(args.bots)]
    everyone = (me, *bots)

    frames = 0
    worst_poll = 0.0
    running = True
    interrupted = False
    try:
        print("playing: arrow keys move, Esc (or Ctrl+C here) quits", flush=True)
        while running:
            dt = min(clock.tick(60) / 1000.0, 0.05)
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                                 and event.key == pygame.K_ESCAPE):
                    running = False
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_r:
                    me.retry_now()
            start = time.perf_counter()
            if server is not None:
                server.poll()
            for player in everyone:
                player.link.poll()
            worst_poll = max(worst_poll, time.perf_counter() - start)
            if arena_host is not None:
                arena_host.update()
            keys = pygame.key.get_pressed()
            for player in everyone:
                player.step(dt, keys)
            draw(screen, font, big, me)
            pygame.display.flip()
            frames += 1
            if args.frames and frames >= args.frames:
                running = False
    except KeyboardInterrupt:
        print("interrupted: closing")
        interrupted = True  # not a failure to join: the player asked to quit

    save_screenshot(pygame, screen, args.screenshot)
    print(f"frames={frames} players_seen={len(me.players_seen)} "
          f"messages_in={me.link.messages_in} messages_out={me.link.messages_out} "
          f"tags={sum(p.tags for p in everyone)} ping_ms={me.ping_ms:.1f} "
          f"worst_poll_ms={worst_poll * 1000:.2f}")
    for player in everyone:
        player.quitting = True
    try:
        if args.godot4:
            arena_net4.shut_down(server, [p.link for p in everyone])
        else:
            shut_down(server, (p.link.client for p in everyone))
    except KeyboardInterrupt:
        pass  # a second Ctrl+C: skip the goodbyes
    pygame.quit()
    return 0 if me.players_seen or interrupted else 1  # 1: never joined


pygame: Any = None
Link: Any = ArenaLink  # arena_net4.ArenaLink with --godot4

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before the game started
        sys.exit(130)
