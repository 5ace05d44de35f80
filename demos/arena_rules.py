"""The arena's rules, with no networking: what the host decides and what every player reads.

The host (demos/arena_net.py for Godot 3, demos/arena_net4.py for Godot 4, and the GDScript
twin demos/godot_server/arena.gd) feeds ``Rules`` what players said (``join``, ``move``,
``leave``) and the time, and broadcasts what it returns: ``state()`` when something changed,
``positions()`` about 30 times a second, and each tag. Players turn the received state back
into an ``ArenaState`` with ``parse_state`` (it came from the network: every field is checked).

The game: one player is "it" (red ring) and is a little faster than the others; touching
someone tags them: the tagger scores a point and the victim becomes "it". The new "it" is
frozen for ``FREEZE`` seconds (a head start for the others) and may not tag back the player
who tagged it for ``NO_TAG_BACK`` seconds. A round lasts ``round_seconds``; the most tags wins,
a results screen shows for ``RESULTS_SECONDS``, then scores reset and the next round starts
with the last-placed player as "it". Names are unique: the host numbers a repeated name.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from godot_ws import Color, Vector2

__all__ = ["ArenaState", "Rules", "host_frame", "parse_state", "positions_from_wire", "WIDTH",
           "ARENA_HEIGHT", "RADIUS", "SPEED", "IT_SPEED", "FREEZE", "NO_TAG_BACK",
           "ROUND_SECONDS", "RESULTS_SECONDS", "NAMES", "PALETTE", "WAITING", "PLAYING",
           "RESULTS"]

WIDTH, ARENA_HEIGHT = 800, 568  # the playing field, the same on every screen
RADIUS = 18
SPEED = 240.0  # pixels per second
IT_SPEED = 320.0  # "it" is a little faster, so chases end
FREEZE = 1.0  # seconds the new "it" stands still
NO_TAG_BACK = 3.0  # seconds before the new "it" may tag the player who tagged it
ROUND_SECONDS = 60.0
RESULTS_SECONDS = 5.0
MAX_NAME = 16
PALETTE = [Color.from_hsv(i / 12, 0.6, 0.95) for i in (0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11)]
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]

WAITING, PLAYING, RESULTS = "waiting", "playing", "results"


@dataclass
class ArenaState:
    """What every screen shows besides the positions (the host's ``Rules.state()``)."""

    phase: str = WAITING
    time_left: float = 0.0  # of the round (playing) or of the results screen
    round: int = 0
    it: int = 0
    frozen_for: float = 0.0  # "it" may move and tag after this many seconds
    no_tag_back: int = 0  # the player "it" may not tag yet (0: none) ...
    no_tag_back_for: float = 0.0  # ... for this many more seconds
    names: dict[int, str] = field(default_factory=dict)
    colors: dict[int, Color] = field(default_factory=dict)
    scores: dict[int, int] = field(default_factory=dict)
    winners: list[int] = field(default_factory=list)  # in the results phase


def parse_state(value: Any) -> ArenaState | None:
    """The state a host sent, or None when it is not one (bad input from the network)."""
    if not isinstance(value, dict):
        return None
    try:
        state = ArenaState(
            phase=str(value["phase"]), time_left=float(value["time_left"]),
            round=int(value["round"]), it=int(value["it"]),
            frozen_for=float(value["frozen_for"]), no_tag_back=int(value["no_tag_back"]),
            no_tag_back_for=float(value["no_tag_back_for"]),
            names={int(k): str(v)[:MAX_NAME] for k, v in value["names"].items()},
            colors={int(k): v for k, v in value["colors"].items() if isinstance(v, Color)},
            scores={int(k): int(v) for k, v in value["scores"].items()},
            winners=[int(w) for w in value["winners"]])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if state.phase not in (WAITING, PLAYING, RESULTS) or not math.isfinite(state.time_left):
        return None
    return state


def positions_from_wire(value: Any) -> dict[int, Vector2]:
    """The positions a host sent ({id: Vector2}); anything else in them is left out."""
    if not isinstance(value, dict):
        return {}
    return {int(k): v for k, v in value.items() if isinstance(k, int) and isinstance(v, Vector2)}


class Rules:
    """The host's game: players, positions, who is "it", tags, rounds. ``now`` is seconds on
    any steady clock (``time.monotonic()``); nothing here reads the time itself."""

    def __init__(self, round_seconds: float = ROUND_SECONDS, now: float = 0.0) -> None:
        self.round_seconds = round_seconds
        self.names: dict[int, str] = {}
        self.colors: dict[int, Color] = {}
        self.scores: dict[int, int] = {}
        self.pos: dict[int, Vector2] = {}
        self.phase = WAITING
        self.phase_ends = now
        self.round = 0
        self.it = 0
        self.frozen_until = now
        self.no_tag_back = 0
        self.no_tag_back_until = now
        self.winners: list[int] = []
        self.tags: list[tuple[int, int]] = []  # every tag so far: (tagger, victim)
        self.next_world = now  # when host_frame sends the positions next
        self.dirty = False  # send the state on the next frame (join, leave)

    # ------------------------------------------------------------------ what players said

    def join(self, peer_id: int, name: Any, color: Any, now: float) -> None:
        """A player introduced itself: a unique name (numbered if taken), its colour."""
        wanted = " ".join(str(name).split())[:MAX_NAME] if isinstance(name, str) else ""
        wanted = wanted or random.choice(NAMES)
        taken = {n for p, n in self.names.items() if p != peer_id}
        unique, n = wanted, 2
        while unique in taken:
            unique = f"{wanted[:MAX_NAME - 3]} {n}"
            n += 1
        self.names[peer_id] = unique
        self.colors[peer_id] = self._distinct(peer_id, color)
        self.scores.setdefault(peer_id, 0)
        if not self.it:
            self.it = peer_id
            self.frozen_until = now + FREEZE
        self.dirty = True

    def _distinct(self, peer_id: int, color: Any) -> Color:
        """The colour asked for unless another player's is close to it; then the first
        colour of PALETTE that is not (players must tell each other apart)."""
        used = [c for p, c in self.colors.items() if p != peer_id]

        def free(c: Color) -> bool:
            return all(abs(c.r - u.r) + abs(c.g - u.g) + abs(c.b - u.b) > 0.35 for u in used)

        if isinstance(color, Color) and free(color):
            return color
        return next((c for c in PALETTE if free(c)), PALETTE[len(used) % len(PALETTE)])

    def move(self, peer_id: int, pos: Any) -> None:
        if peer_id in self.names and isinstance(pos, Vector2):
            self.pos[peer_id] = pos.clamp(Vector2(RADIUS, RADIUS),
                                          Vector2(WIDTH - RADIUS, ARENA_HEIGHT - RADIUS))

    def leave(self, peer_id: int, now: float) -> None:
        self.names.pop(peer_id, None)
        self.colors.pop(peer_id, None)
        self.scores.pop(peer_id, None)
        self.pos.pop(peer_id, None)
        if self.it == peer_id:
            self.it = min(self.names, default=0)
            self.frozen_until = now + FREEZE
        self.dirty = True

    # ------------------------------------------------------------------ each frame

    def update(self, now: float) -> tuple[bool, tuple[int, int] | None]:
        """Advance the rounds and look for a tag; returns (the state changed, the tag made)."""
        changed = False
        if len(self.names) < 2 and self.phase != WAITING:
            self.phase, changed = WAITING, True
        elif len(self.names) >= 2 and self.phase == WAITING:
            self._start_round(now)
            changed = True
        elif self.phase == PLAYING and now >= self.phase_ends:
            best = max(self.scores.values(), default=0)
            self.winners = sorted(p for p, s in self.scores.items() if s == best)
            self.phase, self.phase_ends, changed = RESULTS, now + RESULTS_SECONDS, True
        elif self.phase == RESULTS and now >= self.phase_ends:
            self._start_round(now)
            changed = True
        tag = self._find_tag(now) if self.phase == PLAYING else None
        return changed or tag is not None, tag

    def _start_round(self, now: float) -> None:
        # The last-placed player (fewest tags, then lowest id) starts as "it".
        if self.scores:
            self.it = min(self.scores, key=lambda p: (self.scores[p], p))
        self.scores = {p: 0 for p in self.names}
        self.round += 1
        self.winners = []
        self.phase, self.phase_ends = PLAYING, now + self.round_seconds
        self.frozen_until = now + FREEZE
        self.no_tag_back = 0

    def _find_tag(self, now: float) -> tuple[int, int] | None:
        it_pos = self.pos.get(self.it)
        if it_pos is None or now < self.frozen_until:
            return None
        reach = RADIUS * 2
        for victim, pos in sorted(self.pos.items()):
            if victim == self.it or victim not in self.names:
                continue
            if victim == self.no_tag_back and now < self.no_tag_back_until:
                continue
            if pos.distance_to(it_pos) <= reach:
                tagger = self.it
                self.scores[tagger] = self.scores.get(tagger, 0) + 1
                self.it = victim
                self.frozen_until = now + FREEZE
                self.no_tag_back, self.no_tag_back_until = tagger, now + NO_TAG_BACK
                self.tags.append((tagger, victim))
                return tagger, victim
        return None

    # ------------------------------------------------------------------ what the host sends

    def state(self, now: float) -> dict[str, Any]:
        """The state as a Variant-friendly dict (Godot's Dictionary), for ``parse_state``."""
        return {
            "phase": self.phase, "time_left": max(0.0, self.phase_ends - now)
            if self.phase != WAITING else 0.0,
            "round": self.round, "it": self.it,
            "frozen_for": max(0.0, self.frozen_until - now),
            "no_tag_back": self.no_tag_back if now < self.no_tag_back_until else 0,
            "no_tag_back_for": max(0.0, self.no_tag_back_until - now),
            "names": dict(self.names), "colors": dict(self.colors),
            "scores": dict(self.scores), "winners": list(self.winners),
        }

    def positions(self) -> dict[int, Vector2]:
        return dict(self.pos)


def host_frame(rules: Rules, now: float, send: Callable[..., None]) -> None:
    """One frame of a host, whatever its protocol: advance ``rules``, then ``send`` what the
    players must hear: ``send("tagged", tagger, victim)``, ``send("state", dict)`` when
    something changed (or ``rules.dirty`` says so), ``send("world", {id: Vector2})`` 30
    times a second."""
    changed, tag = rules.update(now)
    if tag is not None:
        send("tagged", *tag)
    if changed or rules.dirty:
        rules.dirty = False
        send("state", rules.state(now))
    if now >= rules.next_world and rules.pos:
        rules.next_world = now + 1 / 30
        send("world", rules.positions())
