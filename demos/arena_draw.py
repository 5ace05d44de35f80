"""The arena's drawing (demos/arena.py): the field, the players, the scoreboard, the round
clock, tag effects, the results and problem panels, the title screen and the status bar.
Reads a ``Player``'s state; changes nothing. pygame is passed in (``Fonts(pygame)``) so the
game module decides when it is imported (after SDL's headless settings)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from arena_net import ping_text
from arena_rules import ARENA_HEIGHT, FREEZE, PLAYING, RADIUS, RESULTS, WAITING, WIDTH

from godot_ws import Rect2, Vector2

if TYPE_CHECKING:
    from arena import Player

HEIGHT = ARENA_HEIGHT + 32  # the status bar is below the field
SIDEBAR = 210  # the scoreboard, right of the field

BACKGROUND = (22, 24, 31)
FIELD = (30, 33, 43)
GRID = (38, 42, 54)
PANEL = (34, 37, 48)
TEXT = (232, 232, 236)
DIM = (150, 152, 165)
HUD = (236, 210, 110)
IT_RED = (244, 70, 70)
GOOD = (120, 220, 140)

pygame: Any = None


class Fonts:
    """The sizes the screens use (pygame's default font)."""

    def __init__(self, pg: Any) -> None:
        global pygame
        pygame = pg
        self.small = pg.font.Font(None, 20)
        self.text = pg.font.Font(None, 24)
        self.big = pg.font.Font(None, 40)
        self.huge = pg.font.Font(None, 84)


def and_list(names: list[str]) -> str:
    """"Ada", "Ada and Bo", "Ada, Bo and Cy" ("nobody" for none)."""
    if len(names) < 2:
        return names[0] if names else "nobody"
    return f"{', '.join(names[:-1])} and {names[-1]}"


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
    players = len(me.state.names) if link.joined else 0
    return (f"{state}   players online: {players}   ping: {ping_text(me.ping_ms)}   "
            "arrows/WASD move, R rejoin, Esc quit")


def _text(surface: Any, font: Any, text: str, color: tuple[int, int, int],
          center: tuple[float, float], shadow: bool = True) -> None:
    image = font.render(text, True, color)
    x, y = center[0] - image.get_width() / 2, center[1] - image.get_height() / 2
    if shadow:
        surface.blit(font.render(text, True, (0, 0, 0)), (x + 2, y + 2))
    surface.blit(image, (x, y))


def _panel(size: tuple[int, int], alpha: int = 215) -> Any:
    panel = pygame.Surface(size, pygame.SRCALPHA)
    panel.fill((12, 13, 18, alpha))
    pygame.draw.rect(panel, (90, 96, 120, 255), panel.get_rect(), 2, border_radius=10)
    return panel


def _field(screen: Any) -> None:
    screen.fill(BACKGROUND)
    pygame.draw.rect(screen, FIELD, (0, 0, WIDTH, ARENA_HEIGHT))
    for x in range(0, WIDTH, 40):
        pygame.draw.line(screen, GRID, (x, 0), (x, ARENA_HEIGHT))
    for y in range(0, ARENA_HEIGHT, 40):
        pygame.draw.line(screen, GRID, (0, y), (WIDTH, y))
    pygame.draw.rect(screen, (70, 76, 98), (0, 0, WIDTH, ARENA_HEIGHT), 3)


def _disc(screen: Any, pos: Vector2, color: tuple[int, int, int], mine: bool) -> None:
    x, y = pos.round()
    pygame.draw.circle(screen, (10, 10, 14), (x + 3, y + 4), RADIUS)  # shadow
    pygame.draw.circle(screen, color, (x, y), RADIUS)
    light = tuple(min(255, c + 60) for c in color)
    pygame.draw.circle(screen, light, (x - 5, y - 6), RADIUS // 3)
    pygame.draw.circle(screen, TEXT if mine else (0, 0, 0), (x, y), RADIUS, 2)


def _place_label(size: Vector2, center: Vector2, taken: list[Rect2]) -> Rect2:
    """A spot for a name label near ``center`` that overlaps no label placed so far."""
    above = Vector2(center.x - size.x / 2, center.y - RADIUS - 8 - size.y)
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


def _players(screen: Any, fonts: Fonts, me: Player) -> None:
    state, me_id, now = me.state, me.me, time.monotonic()
    shown: dict[int, Vector2] = {p: o.shown for p, o in me.others.items()}
    if me.link.joined:
        shown[me_id] = me.pos
    for effect in me.effects:  # tag rings, under the discs
        t = (now - effect.start) / effect.seconds
        radius = int(RADIUS + 10 + 60 * t)
        pygame.draw.circle(screen, effect.color, tuple(effect.pos.round()), radius,
                           max(1, int(6 * (1 - t))))
    taken: list[Rect2] = []
    for peer_id, pos in shown.items():
        color = state.colors[peer_id].to_rgb8() if peer_id in state.colors else (200, 200, 200)
        if peer_id == state.it:
            pulse = 3 + 2 * math.sin(now * 8)
            pygame.draw.circle(screen, IT_RED, tuple(pos.round()), int(RADIUS + 6 + pulse), 4)
            frozen = me.seconds(state.frozen_for)
            if frozen > 0:  # the head start left: an arc that empties
                box = (pos.x - RADIUS - 12, pos.y - RADIUS - 12, 2 * RADIUS + 24,
                       2 * RADIUS + 24)
                pygame.draw.arc(screen, TEXT, box, math.pi / 2,
                                math.pi / 2 + math.tau * frozen / FREEZE, 3)
        _disc(screen, pos, color, peer_id == me_id)
        taken.append(Rect2(pos - Vector2(RADIUS, RADIUS), Vector2(RADIUS, RADIUS) * 2))
    for peer_id, pos in shown.items():
        name = me.name_of(peer_id) + (" (you)" if peer_id == me_id else "")
        color = HUD if peer_id == me_id else IT_RED if peer_id == state.it else TEXT
        label = fonts.small.render(name, True, color)
        rect = _place_label(Vector2(label.get_width(), label.get_height()), pos, taken)
        taken.append(rect)
        screen.blit(fonts.small.render(name, True, (0, 0, 0)),
                    tuple((rect.position + Vector2(1, 1)).round()))
        screen.blit(label, tuple(rect.position.round()))


def _sidebar(screen: Any, fonts: Fonts, me: Player) -> None:
    state = me.state
    pygame.draw.rect(screen, PANEL, (WIDTH, 0, SIDEBAR, ARENA_HEIGHT))
    x = WIDTH + 14
    _text(screen, fonts.big, "TAG", HUD, (WIDTH + SIDEBAR / 2, 28))
    round_text = (f"round {state.round}" if state.round else
                  "waiting for players" if me.link.joined else "not in a game")
    _text(screen, fonts.small, round_text, DIM, (WIDTH + SIDEBAR / 2, 56), shadow=False)
    rows = sorted(state.names, key=lambda p: (-state.scores.get(p, 0), state.names[p]))
    y = 80
    for rank, peer_id in enumerate(rows, 1):
        mine, it = peer_id == me.me, peer_id == state.it
        if mine:
            pygame.draw.rect(screen, (52, 56, 72), (WIDTH + 6, y - 3, SIDEBAR - 12, 26),
                             border_radius=6)
        color = state.colors[peer_id].to_rgb8() if peer_id in state.colors else DIM
        pygame.draw.circle(screen, color, (x + 24, y + 10), 8)
        if it:
            pygame.draw.circle(screen, IT_RED, (x + 24, y + 10), 11, 2)
        screen.blit(fonts.small.render(f"{rank}.", True, DIM), (x, y + 3))
        name = state.names[peer_id][:14]
        screen.blit(fonts.text.render(name, True, HUD if mine else TEXT), (x + 40, y))
        score = fonts.text.render(str(state.scores.get(peer_id, 0)), True,
                                  HUD if mine else TEXT)
        screen.blit(score, (WIDTH + SIDEBAR - 16 - score.get_width(), y))
        y += 28
    help_lines = ["red ring = it: touch", "someone to tag them", "most tags wins the round"]
    for i, line in enumerate(help_lines):
        _text(screen, fonts.small, line, DIM, (WIDTH + SIDEBAR / 2,
                                                ARENA_HEIGHT - 64 + 18 * i), shadow=False)


def _clock(screen: Any, fonts: Fonts, me: Player) -> None:
    state = me.state
    if state.phase == PLAYING:
        pill = pygame.Surface((300, 70), pygame.SRCALPHA)
        pill.fill((12, 13, 18, 150))
        screen.blit(pill, (WIDTH / 2 - 150, 4))
        left = me.seconds(state.time_left)
        color = IT_RED if left < 10 else TEXT
        _text(screen, fonts.big, f"{int(left) // 60}:{int(left) % 60:02d}", color,
              (WIDTH / 2, 26))
        if state.it and state.it == me.me:
            frozen = me.seconds(state.frozen_for)
            hint = f"you're it - go in {frozen:.1f} s" if frozen > 0 else "you're it - tag someone!"
            _text(screen, fonts.text, hint, IT_RED, (WIDTH / 2, 56))
        elif state.it:
            _text(screen, fonts.text, f"{me.name_of(state.it)} is it", DIM, (WIDTH / 2, 56))
    elif state.phase == WAITING and me.link.joined:
        _text(screen, fonts.big, "waiting for another player...", DIM,
              (WIDTH / 2, ARENA_HEIGHT / 2 - 80))


def _banner(screen: Any, fonts: Fonts, me: Player) -> None:
    text, color, until = me.banner
    left = until - time.monotonic()
    if text and left > 0 and me.state.phase != RESULTS:
        font = fonts.huge if text.endswith("!") and len(text) < 14 else fonts.big
        _text(screen, font, text, color, (WIDTH / 2, ARENA_HEIGHT / 2 - 150))


def _results(screen: Any, fonts: Fonts, me: Player) -> None:
    state = me.state
    rows = sorted(state.names, key=lambda p: (-state.scores.get(p, 0), state.names[p]))
    width, height = 440, 150 + 30 * len(rows)
    panel = _panel((width, height), 225)
    winners = and_list([me.name_of(w) for w in state.winners])
    _text(panel, fonts.text, f"round {state.round} over", DIM, (width / 2, 28), shadow=False)
    verb = "wins!" if len(state.winners) == 1 else "win!"
    _text(panel, fonts.big, f"{winners} {verb}", HUD, (width / 2, 64))
    y = 100
    for rank, peer_id in enumerate(rows, 1):
        color = HUD if peer_id in state.winners else TEXT
        panel.blit(fonts.text.render(f"{rank}.  {state.names[peer_id]}", True, color),
                   (60, y))
        tags = state.scores.get(peer_id, 0)
        score = fonts.text.render(f"{tags} tag{'' if tags == 1 else 's'}", True, color)
        panel.blit(score, (width - 60 - score.get_width(), y))
        y += 30
    _text(panel, fonts.small, f"next round in {me.seconds(state.time_left):.0f} s", DIM,
          (width / 2, height - 24), shadow=False)
    screen.blit(panel, ((WIDTH - width) // 2, (ARENA_HEIGHT - height) // 2))


def _problem(screen: Any, fonts: Fonts, me: Player) -> None:
    wait = max(0.0, me.retry_at - time.monotonic())
    lines = [(fonts.big, me.problem_title, TEXT),
             *((fonts.text, detail, IT_RED) for detail in me.problem_details),
             (fonts.text, f"retrying in {wait:.0f} s   R: retry now   Esc: quit"
              if me.link.offline else "joining...", DIM)]
    surfaces = [f.render(text, True, color) for f, text, color in lines]
    width = max(s.get_width() for s in surfaces) + 40
    height = sum(s.get_height() + 8 for s in surfaces) + 24
    panel = _panel((width, height))
    y = 16
    for surface in surfaces:
        panel.blit(surface, ((width - surface.get_width()) // 2, y))
        y += surface.get_height() + 8
    screen.blit(panel, ((WIDTH - width) // 2, (ARENA_HEIGHT - height) // 2))


def draw(screen: Any, fonts: Fonts, me: Player, status: bool = True) -> None:
    """One frame of the game as ``me`` sees it."""
    _field(screen)
    _players(screen, fonts, me)
    _sidebar(screen, fonts, me)
    if me.link.joined:
        _clock(screen, fonts, me)
        _banner(screen, fonts, me)
        if me.state.phase == RESULTS:
            _results(screen, fonts, me)
    if me.problem and not me.link.joined:
        _problem(screen, fonts, me)
    if status:
        screen.blit(fonts.small.render(status_line(me), True, HUD), (10, HEIGHT - 22))


def draw_title(screen: Any, fonts: Fonts, name: str, url: str,
               background: Player | None) -> None:
    """The title screen over the game the bots are playing (if any)."""
    if background is not None:
        draw(screen, fonts, background, status=False)
    else:
        _field(screen)
    veil = pygame.Surface(screen.get_size(), pygame.SRCALPHA)
    veil.fill((8, 9, 12, 170))
    screen.blit(veil, (0, 0))
    cx = (WIDTH + SIDEBAR) / 2
    _text(screen, fonts.huge, "TAG ARENA", HUD, (cx, 130))
    _text(screen, fonts.text, "a real-time multiplayer game on godot_ws", DIM, (cx, 185))
    rules = ["Arrow keys or WASD move your disc.",
             "The red ring is 'it': touch someone to tag them (+1).",
             "The new 'it' waits a second and may not tag straight back.",
             "Most tags when the clock runs out wins the round."]
    for i, line in enumerate(rules):
        _text(screen, fonts.text, line, TEXT, (cx, 245 + 30 * i))
    box = pygame.Rect(0, 0, 360, 52)
    box.center = (int(cx), 405)
    pygame.draw.rect(screen, (12, 13, 18), box, border_radius=10)
    pygame.draw.rect(screen, HUD, box, 2, border_radius=10)
    cursor = "_" if int(time.monotonic() * 2) % 2 == 0 else " "
    _text(screen, fonts.big, f"{name}{cursor}", TEXT, box.center, shadow=False)
    _text(screen, fonts.small, "your name", DIM, (cx, 367), shadow=False)
    _text(screen, fonts.text, "Enter: play      Esc: quit", HUD, (cx, 465))
    _text(screen, fonts.small, f"game: {url}", DIM, (cx, HEIGHT - 40), shadow=False)
