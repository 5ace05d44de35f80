"""``Reconnector``: an opt-in helper that brings a dropped ``WebSocketClient`` back.

Owns the retry schedule (exponential backoff with jitter, a limit), the signals a game shows
"reconnecting..." with, and carrying packets that arrived before a drop over to the new
connection. It drives the client only through its public API plus that hand-over; it knows
nothing of sockets. Godot has no such helper: this is ours (websocket-client #95 asks for it).

Usage: make the client as usual, wrap it, and call the helper's ``poll()`` instead of the
client's::

    client = WebSocketClient()
    link = Reconnector(client, max_attempts=8)
    link.reconnecting.connect(lambda attempt, delay: show("reconnecting..."))
    link.reconnected.connect(hide_banner)
    link.reconnect_failed.connect(show_error)
    link.connect_to_url("wss://game.example/ws")
    while running:
        link.poll()             # polls the client, then retries when a retry is due
        peer = client.get_peer(1)

When it reconnects follows what users of well-kept reconnecting clients expect (SignalR's
automatic reconnect, Socket.IO's client, websockets' ``async for ... in connect()``):

- only a connection that was up is brought back: a first ``connect_to_url`` that fails is
  reported by the client's own signals and not retried (SignalR: "reconnect only works if
  you're already connected");
- a close the server chose (1000 Normal Closure, or a close frame without a code) ends it,
  as Socket.IO's "io server disconnect"; 1001 Going Away, 1011, 1012, 1013 and drops reconnect;
- a connection that closes before ``stable_after`` seconds is a failed attempt, so a server
  that accepts and kicks at once sees the backoff grow and ``max_attempts`` ends it;
- 1003, 1008 and 4000-4999 (the server refuses this client: policy, bad data, the game's own
  codes) wait ``max_delay`` before the next attempt.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence

from .godot3.client import WebSocketClient
from .core.constants import ConnectionStatus, Error
from .common.signals import Signal, SignalOwner

__all__ = ["Reconnector"]

log = logging.getLogger(__name__)

_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED

# The server said goodbye on purpose: 1000, or a close frame without a code (Godot reports
# 0, RFC 6455 says 1005). Reconnecting would undo the server's decision.
FINAL_CODES = frozenset((0, 1000, 1005))


def _refused(code: int) -> bool:
    """The server refuses what this client is or sends (1003 Unsupported Data, 1008 Policy
    Violation, 4000-4999 the application's own): trying again soon changes nothing."""
    return code in (1003, 1008) or 4000 <= code <= 4999


class Reconnector(SignalOwner):
    """Reconnects ``client`` when a connection that was up ends, unless the server closed it
    with 1000 or ``disconnect_from_host`` was called on this helper.

    Attempt n waits ``min(max_delay, initial_delay * multiplier ** (n - 1))`` seconds, less a
    random share of up to ``jitter`` of it (0.5: between 50 % and 100 %), so a server that
    comes back is not hit by every client at once; after a close with 1003, 1008 or
    4000-4999 it waits ``max_delay`` (less the jitter). Attempts count up until a connection
    stays up ``stable_after`` seconds: a connection that closes sooner is a failed attempt.
    After ``max_attempts`` failed attempts in a row (0: never give up) it stops and emits
    ``reconnect_failed``. A first ``connect_to_url`` that never connects is not retried (the
    client's ``connection_error``/``connection_failed`` says so); call it again.

    Signals:
      ``reconnecting(attempt: int, delay: float)``: a connection that was up is gone and
      attempt number ``attempt`` starts in ``delay`` seconds (show "reconnecting...").
      ``reconnected()``: a retry connected (``get_peer(1)`` is a new peer from now on).
      ``reconnect_failed()``: gave up after ``max_attempts``.

    Packets that arrived before the drop and were not read yet are moved to the new
    connection's queue, ahead of anything new (Godot would drop them at the next
    ``connect_to_url``). Packets put while disconnected or reconnecting get Godot's error
    (FAILED, or ERR_UNCONFIGURED in multiplayer mode before the server's id), never a
    silent drop: the game decides what to resend.
    """

    def __init__(
        self,
        client: WebSocketClient,
        *,
        initial_delay: float = 0.5,
        max_delay: float = 30.0,
        multiplier: float = 2.0,
        jitter: float = 0.5,
        max_attempts: int = 10,
        stable_after: float = 10.0,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(client, WebSocketClient):
            raise TypeError("Reconnector needs a WebSocketClient")
        if initial_delay < 0 or max_delay < initial_delay or multiplier < 1:
            raise ValueError("need 0 <= initial_delay <= max_delay and multiplier >= 1")
        if not 0 <= jitter <= 1 or max_attempts < 0 or stable_after < 0:
            raise ValueError("need 0 <= jitter <= 1, max_attempts >= 0 and stable_after >= 0")
        self.client = client
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.multiplier = multiplier
        self.jitter = jitter
        self.max_attempts = max_attempts
        self.stable_after = stable_after
        self._rng = rng
        self._clock = clock
        self.reconnecting = Signal("reconnecting")
        self.reconnected = Signal("reconnected")
        self.reconnect_failed = Signal("reconnect_failed")
        self._args: tuple[str, Sequence[str], bool, Sequence[str]] | None = None
        self._failures = 0  # failed attempts in a row (short-lived connections included)
        self._retry_at: float | None = None  # when the next attempt starts
        self._was_up = False  # the client was connecting or connected at the last poll
        self._retrying = False  # the current connection is a retry
        self._ever_up = False  # a connection of this connect_to_url reached CONNECTED
        self._up_since: float | None = None  # when the current connection was seen up
        self._close_code: int | None = None  # the server's close code on this connection
        client.server_close_request.connect(self._on_close_request)

    # ------------------------------------------------------------------ game interface

    def connect_to_url(
        self,
        url: str,
        protocols: Sequence[str] = (),
        gd_mp_api: bool = False,
        custom_headers: Sequence[str] = (),
    ) -> Error:
        """Connect as ``WebSocketClient.connect_to_url`` and keep the connection up once it
        is up. Its return value is the client's (nothing is retried on a bad URL)."""
        err = self.client.connect_to_url(url, protocols, gd_mp_api, custom_headers)
        if err == Error.OK:
            self._args = (url, tuple(protocols), gd_mp_api, tuple(custom_headers))
            self._failures = 0
            self._retry_at = None
            self._was_up = True
            self._retrying = False
            self._ever_up = False
            self._up_since = None
            self._close_code = None
        return err

    def disconnect_from_host(self, code: int = 1000, reason: str = "") -> None:
        """Close on purpose: no reconnecting until the next ``connect_to_url``."""
        self._args = None
        self._retry_at = None
        self.client.disconnect_from_host(code, reason)

    def is_reconnecting(self) -> bool:
        """True from a drop until a retry connects or the helper gives up."""
        return self._args is not None and (self._retry_at is not None or self._retrying)

    def get_attempt(self) -> int:
        """The number of the retry under way or waiting (0 while connected)."""
        return self._failures if self.is_reconnecting() else 0

    def poll(self) -> None:
        """Poll the client; notice a drop and schedule a retry; start a retry that is due."""
        client = self.client
        client.poll()
        status = client.get_connection_status()
        if self._args is None:
            return
        if status is _CONNECTED:
            now = self._clock()
            if self._up_since is None:
                self._up_since = now
                self._ever_up = True
                if self._retrying:
                    self._retrying = False
                    log.info("reconnected to %s", self._args[0])
                    self.reconnected.emit()
            elif self._failures and now - self._up_since >= self.stable_after:
                self._failures = 0  # it stayed up: the next drop starts from attempt 1
        if status is _DISCONNECTED and self._was_up:
            self._dropped()
        self._was_up = status is not _DISCONNECTED
        if self._retry_at is not None and self._clock() >= self._retry_at:
            self._retry()

    # ------------------------------------------------------------------ schedule

    def _on_close_request(self, code: int, reason: str) -> None:
        self._close_code = code

    def _dropped(self) -> None:
        """The connection (or an attempt) ended: decide whether and when to try again."""
        assert self._args is not None
        url = self._args[0]
        code, self._close_code = self._close_code, None
        up_since, self._up_since = self._up_since, None
        if not self._ever_up and code is None:  # a close frame means it was up, if briefly
            log.info("could not connect to %s: not retrying a connection that was never up",
                     url)
            self._stop()
            return
        if code in FINAL_CODES:
            log.info("%s closed the connection (code %d): not reconnecting", url, code)
            self._stop()
            return
        if up_since is not None and self._clock() - up_since >= self.stable_after:
            self._failures = 0
        self._schedule(hard=code is not None and _refused(code))

    def _stop(self) -> None:
        self._args = None
        self._retry_at = None
        self._retrying = False

    def _schedule(self, hard: bool = False) -> None:
        if self.max_attempts and self._failures >= self.max_attempts:
            log.warning("giving up on %s after %d attempts", self._args[0] if self._args else "",
                        self._failures)
            self._stop()
            self.reconnect_failed.emit()
            return
        self._failures += 1
        if hard:
            delay = self.max_delay
        else:
            delay = min(self.max_delay,
                        self.initial_delay * self.multiplier ** (self._failures - 1))
        delay *= 1.0 - self.jitter * self._rng()
        self._retry_at = self._clock() + delay
        self.reconnecting.emit(self._failures, delay)

    def _retry(self) -> None:
        assert self._args is not None
        self._retry_at = None
        client = self.client
        old_peer = client.get_peer(1)
        old_mp = client._mp
        err = client.connect_to_url(*self._args)
        if err != Error.OK:  # e.g. ERR_ALREADY_IN_USE if the game reconnected by hand
            log.error("reconnect: connect_to_url returned %s", err.name)
            self._was_up = client.get_connection_status() is not _DISCONNECTED
            if not self._was_up:
                self._schedule()
            return
        self._retrying = True
        self._was_up = True
        # Unread packets of the old connection go first in the new one's queue.
        new_peer = client.get_peer(1)
        if old_peer is not None and new_peer is not None and old_peer is not new_peer:
            old, new = old_peer._queue, new_peer._queue
            if old.packets:
                new.packets.extendleft(reversed(old.packets))
                new.nbytes += old.nbytes
                old.clear()
        new_mp = client._mp
        if old_mp is not None and new_mp is not None and old_mp.packets:
            new_mp.packets.extendleft(reversed(old_mp.packets))
            new_mp.nbytes += old_mp.nbytes
            old_mp.packets.clear()
            old_mp.nbytes = 0
