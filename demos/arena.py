"""Arena: a small real-time multiplayer game of tag on godot_ws, in pygame.

Every player is a coloured disc moved with the arrow keys (or WASD). One player is "it" (red
ring) and a little faster: touching someone scores a point and makes them "it". The new "it"
stands still for a second and may not tag straight back. Rounds last a minute (``--round``);
the most tags wins, a results screen follows, then the next round. The host (this process,
unless you ``--join``) keeps the rules (demos/arena_rules.py) and gives every player a unique
name; players report where they are. Messages are Godot 3 RPCs in Godot's multiplayer mode
(``gd_mp_api``), one ``poll()`` per frame, or Godot 4's with ``--godot4``.

    python demos/arena.py                       # host on 127.0.0.1 and play (+1 bot)
    python demos/arena.py --bots 5 --name Sam   # more company
    python demos/arena.py --host 9080           # host for others on every interface
    python demos/arena.py --join ws://HOST:9080/  # join a Python host or demos/godot_server
    python demos/arena.py --godot4              # the same game over Godot 4's protocol
    python demos/arena.py --headless --frames 300 --screenshot arena.png

With a window the game opens on a title screen (type your name, Enter plays). ``--headless``
(or no display) skips it and plays ``--frames`` frames (default 600) with your player
steered by the bot code. This file is the players' game (``Player``) and the main loop;
demos/arena_draw.py draws it; demos/arena_net.py and demos/arena_net4.py are all of its
networking, so the client works unchanged against a Godot 3 host (demos/godot_server), and
Godot players (arena_bot.gd) join a Python host. When the host goes away or a join fails, the
screen says why and the game retries every few seconds (R retries now, Esc quits).
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass
from typing import Any

import arena_draw
import arena_net4
from _common import host, parse_args, save_screenshot, set_up_logging, shut_down
from arena_draw import status_line  # noqa: F401 (the status bar's text, as arena.status_line)
from arena_net import ArenaHost, ArenaLink
from arena_rules import (
    ARENA_HEIGHT,
    IT_SPEED,
    NAMES,
    PLAYING,
    RADIUS,
    RESULTS,
    SPEED,
    WIDTH,
    ArenaState,
)

from godot_ws import Color, Rect2, Vector2

SMOOTHING = 18.0  # how fast a remote player's drawn position catches up (1/s)
RETRY_SECONDS = 3.0
ARENA = Rect2(RADIUS, RADIUS, WIDTH - 2 * RADIUS, ARENA_HEIGHT - 2 * RADIUS)


@dataclass
class Remote:
    """Another player as this client sees it: ``target`` is the last position the host sent
    (30 times a second), ``shown`` eases towards it every frame so movement looks smooth."""

    target: Vector2
    shown: Vector2

    def update(self, dt: float) -> None:
        if self.shown.distance_to(self.target) > 200:  # a jump (respawn): do not slide
            self.shown = self.target
        else:
            self.shown = self.shown.linear_interpolate(self.target,
                                                       1.0 - math.exp(-SMOOTHING * dt))


@dataclass
class Effect:
    """A short-lived picture on the field: a ring where a tag happened."""

    pos: Vector2
    color: tuple[int, int, int]
    start: float
    seconds: float = 0.8


class Player:
    """One client: a human (arrow keys) or a bot. The game state lives here; the network
    is ``self.link`` (demos/arena_net.py), which calls the ``on_*`` methods."""

    def __init__(self, url: str, name: str, bot: bool, loud: bool = False) -> None:
        self.url = url
        self.loud = loud  # print connection problems and results (the main player)
        self.quitting = False
        self.name = name  # the name asked for; the host's (unique) one is in state.names
        self.bot = bot
        self.color = Color.from_hsv(random.random(), 0.55, 0.95)
        self.pos = Vector2(random.uniform(ARENA.position.x, ARENA.end.x),
                           random.uniform(ARENA.position.y, ARENA.end.y))
        self.heading = random.uniform(0, math.tau)
        self.nerve = random.uniform(80, 140)  # a bot flees when "it" comes this close
        self.others: dict[int, Remote] = {}
        self.state = ArenaState()
        self.state_at = time.monotonic()
        self.ping_ms = math.nan
        self.ping_frame = 0  # the frame the last ping left in
        self.ping_frames: list[int] = []  # frames each pong took (1: the next frame)
        self.frame = 0
        self.players_seen: set[int] = set()
        self.best: dict[int, int] = {}  # the best score each player reached (the summary)
        self.tags = 0  # tags seen
        self.results: list[str] = []  # "round 1: Ada wins with 4 tags"
        self.effects: list[Effect] = []
        self.banner = ("", (0, 0, 0), 0.0)  # text, colour, until
        self.problem = ""  # why we are not in a game: "<title>: <details>", shown on screen
        self.problem_title = ""
        self.problem_details: list[str] = []
        self.lost_reason = ""  # why the game we were in ended (kept while rejoining fails)
        self.retry_at = 0.0
        self.link = Link(url, self)
        self.link.connect()

    # ------------------------------------------------------------------ what we know

    @property
    def me(self) -> int:
        return self.link.my_id if self.link.joined else 0

    def name_of(self, peer_id: int) -> str:
        return self.state.names.get(peer_id, self.name if peer_id == self.me else "?")

    def seconds(self, value: float) -> float:
        """A duration from the last state, counted down since it arrived."""
        return max(0.0, value - (time.monotonic() - self.state_at))

    def say(self, text: str, color: tuple[int, int, int], seconds: float = 1.6) -> None:
        self.banner = (text, color, time.monotonic() + seconds)

    # ------------------------------------------------------------------ from the network

    def on_joined(self, my_id: int) -> None:
        self.problem = self.problem_title = self.lost_reason = ""
        self.problem_details = []
        self.players_seen.add(my_id)
        self.link.send_join(self.name, self.color)

    def on_world(self, positions: dict[int, Vector2]) -> None:
        for peer_id, pos in positions.items():
            if peer_id == self.me or peer_id not in self.state.names:
                continue
            other = self.others.get(peer_id)
            if other is None:
                self.others[peer_id] = Remote(pos, pos)
            else:
                other.target = pos

    def on_state(self, state: ArenaState) -> None:
        before, self.state, self.state_at = self.state, state, time.monotonic()
        self.players_seen.update(state.names)
        for peer_id, score in state.scores.items():
            self.best[peer_id] = max(self.best.get(peer_id, 0), score)
        for gone in set(self.others) - set(state.names):
            del self.others[gone]
        if state.phase == RESULTS and before.phase != RESULTS:
            winners = arena_draw.and_list([self.name_of(w) for w in state.winners])
            top = max(state.scores.values(), default=0)
            line = (f"round {state.round}: {winners} win{'s' if len(state.winners) == 1 else ''}"
                    f" with {top} tag{'' if top == 1 else 's'}")
            self.results.append(line)
            if self.loud:
                print(line, flush=True)
        elif state.phase == PLAYING and before.phase != PLAYING:
            self.say(f"Round {state.round}: go!", arena_draw.HUD)

    def on_tagged(self, tagger: int, victim: int) -> None:
        self.tags += 1
        where = self.pos if victim == self.me else (
            self.others[victim].shown if victim in self.others else None)
        if where is not None:
            self.effects.append(Effect(where, arena_draw.IT_RED, time.monotonic()))
        if victim == self.me:
            self.say("You're it!", arena_draw.IT_RED)
        elif tagger == self.me:
            self.say(f"Tagged {self.name_of(victim)}!  +1", arena_draw.GOOD)
        else:
            self.say(f"{self.name_of(tagger)} tagged {self.name_of(victim)}", arena_draw.TEXT)

    def on_pong(self, ping_ms: float) -> None:
        self.ping_ms = ping_ms
        self.ping_frames.append(self.frame + 1 - self.ping_frame)  # polls come before step

    def on_peer_left(self, peer_id: int) -> None:
        self.others.pop(peer_id, None)

    def on_lost(self, reason: str, was_joined: bool) -> None:
        if self.quitting:
            return
        # Nobody is left to update the others: clear them rather than draw frozen ghosts.
        self.others.clear()
        self.state = ArenaState()
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
        """One frame, after ``link.poll()``: move and tell the host (every other frame),
        ping; or, while offline, count down to the next join attempt."""
        self.frame += 1
        now = time.monotonic()
        for other in self.others.values():
            other.update(dt)
        self.effects = [e for e in self.effects if now - e.start < e.seconds]
        if self.link.offline:
            if self.problem and now >= self.retry_at:
                self.link.connect()
            return
        if not self.link.joined:
            return
        if not (self.state.it == self.me and self.seconds(self.state.frozen_for) > 0):
            self.move(dt, keys)
        if self.frame % 2 == 0:
            self.link.send_move(self.pos)
        if self.frame % 30 == 0:
            self.link.send_ping()
            self.ping_frame = self.frame

    def move(self, dt: float, keys: Any) -> None:
        if self.bot:
            direction = self._steer()
        else:
            right = keys[pygame.K_RIGHT] or keys[pygame.K_d]
            left = keys[pygame.K_LEFT] or keys[pygame.K_a]
            down = keys[pygame.K_DOWN] or keys[pygame.K_s]
            up = keys[pygame.K_UP] or keys[pygame.K_w]
            direction = Vector2(right - left, down - up)
        speed = IT_SPEED if self.state.it == self.me else SPEED
        self.pos = (self.pos + direction.normalized() * speed * dt).clamp(ARENA.position,
                                                                          ARENA.end)

    def _steer(self) -> Vector2:
        """Bots wander; "it" chases the nearest player it may tag, the others flee from "it"
        and slide along the walls instead of getting cornered."""
        state = self.state
        if state.it == self.me:
            spared = state.no_tag_back if self.seconds(state.no_tag_back_for) > 0 else 0
            prey = [o for p, o in self.others.items() if p != spared]
            if prey:
                nearest = min(prey, key=lambda o: o.target.distance_to(self.pos))
                return nearest.target - self.pos
        chaser = self.others.get(state.it)
        if chaser is not None and chaser.target.distance_to(self.pos) < self.nerve:
            away = chaser.target.direction_to(self.pos)
            inner = ARENA.grow(-62)
            wall = (self.pos.clamp(inner.position, inner.end) - self.pos) / 40
            return away + wall
        self.heading += random.uniform(-0.3, 0.3)
        if not ARENA.grow(-RADIUS).has_point(self.pos):
            self.heading = (Vector2(WIDTH / 2, ARENA_HEIGHT / 2) - self.pos).angle()
        return Vector2(1, 0).rotated(self.heading)


# --------------------------------------------------------------------------------- main


def title_screen(screen: Any, fonts: arena_draw.Fonts, clock: Any, name: str, url: str,
                 tick: Any) -> str | None:
    """The title screen, until Enter (the name typed, or None for Esc); ``tick()`` keeps the
    host and the bots playing behind it."""
    while True:
        clock.tick(60)
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                return None
            if event.type == pygame.KEYDOWN:
                if event.key == pygame.K_ESCAPE:
                    return None
                if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                    return name.strip() or random.choice(NAMES)
                if event.key == pygame.K_BACKSPACE:
                    name = name[:-1]
                elif event.unicode and event.unicode.isprintable() and len(name) < 16:
                    name += event.unicode
        background = tick()
        arena_draw.draw_title(screen, fonts, name, url, background)
        pygame.display.flip()


def main() -> int:
    args = parse_args("godot_ws multiplayer tag arena", "", godot4=True, rounds=True)
    set_up_logging()
    global pygame, Link
    import pygame

    server: Any
    if args.godot4:  # Godot 4's protocol: every message is an @rpc call (arena_net4.py)
        Link = arena_net4.ArenaLink
        server, url = arena_net4.host(args)
        arena_host: Any = (arena_net4.ArenaHost(server, args.round)
                           if server is not None else None)
    else:
        server, url = host(args, gd_mp_api=True)
        arena_host = ArenaHost(server, args.round) if server is not None else None

    pygame.init()
    screen = pygame.display.set_mode((WIDTH + arena_draw.SIDEBAR, arena_draw.HEIGHT))
    pygame.display.set_caption("godot_ws arena: tag")
    fonts = arena_draw.Fonts(pygame)
    clock = pygame.time.Clock()
    names = random.sample(NAMES, k=min(len(NAMES), args.bots + 1))
    bots = [Player(url, names[(i + 1) % len(names)] + "-bot", bot=True)
            for i in range(args.bots)]

    frames = 0
    worst_poll = 0.0

    def tick(me: Player | None = None) -> Player | None:
        """One frame of the network and the players: the host first, so its answers reach
        the players on this machine in this frame (a one-frame ping on localhost)."""
        nonlocal worst_poll
        start = time.perf_counter()
        if arena_host is not None:
            arena_host.update()
        everyone = [*bots, *([me] if me is not None else [])]
        for player in everyone:
            player.link.poll()
        worst_poll = max(worst_poll, time.perf_counter() - start)
        keys = pygame.key.get_pressed()
        for player in everyone:
            player.step(min(clock.get_time() / 1000.0, 0.05), keys)
        return me or (bots[0] if bots else None)

    name = args.name or names[0]
    interrupted = False
    me: Player | None = None
    try:
        if not args.headless:
            chosen = title_screen(screen, fonts, clock, name, url, tick)
            if chosen is None:
                raise KeyboardInterrupt
            name = chosen
        me = Player(url, name, bot=args.headless, loud=True)
        print("playing: arrow keys move, Esc (or Ctrl+C here) quits", flush=True)
        running = True
        while running:
            clock.tick(60)
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                                 and event.key == pygame.K_ESCAPE):
                    running = False
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_r:
                    me.retry_now()
            tick(me)
            arena_draw.draw(screen, fonts, me)
            pygame.display.flip()
            frames += 1
            if args.frames and frames >= args.frames:
                running = False
    except KeyboardInterrupt:
        print("interrupted: closing")
        interrupted = True  # not a failure to join: the player asked to quit

    save_screenshot(pygame, screen, args.screenshot)
    everyone = [*bots, *([me] if me is not None else [])]
    if me is not None:
        scorers = sum(1 for best in me.best.values() if best > 0)
        pongs = sorted(me.ping_frames)
        print(f"frames={frames} players_seen={len(me.players_seen)} "
              f"messages_in={me.link.messages_in} messages_out={me.link.messages_out} "
              f"tags={me.tags} scorers={scorers} rounds={len(me.results)} "
              f"ping_ms={me.ping_ms:.1f} ping_frames={pongs[len(pongs) // 2] if pongs else 0} "
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
    joined = me is not None and bool(me.players_seen)
    return 0 if joined or interrupted else 1  # 1: never joined


pygame: Any = None
Link: Any = ArenaLink  # arena_net4.ArenaLink with --godot4

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # before the game started
        sys.exit(130)
