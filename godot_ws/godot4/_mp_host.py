"""The server side of Godot 4's ``WebSocketMultiplayerPeer``: accepting, handshakes and the
poll over its peers (the base class of ``websocket_multiplayer_peer.WebSocketMultiplayerPeer``).

Owns what a host's poll costs (issue 25): a selector (``net/readiness.py``) tells which peers
and handshakes have bytes to read, so idle peers cost nothing (finding 15); the peers that read
share one work budget per poll, round robin (``net/limits.py``, findings 5 and 13); handshake
steps are bounded per poll (finding 10); a connection made while ``refuse_new_connections`` is
accepted and closed at once (finding 16); one source address may hold
``max_connections_per_address`` connections.
"""

from __future__ import annotations

import logging
import struct
import time

from ..common.forwarded import TrustedProxies
from ..common.server_limits import AddressLimitSettings
from ..core.constants import Error
from ..core.protocol import State
from ..net.connection import WRITE_THROUGH, Connection
from ..net.limits import HANDSHAKE_STEPS, MIN_SHARE, AddressLimit, PollBudget
from ..net.readiness import Readiness
from ._inbox import Inbox
from ._outbox import Outbox
from .multiplayer_peer import MultiplayerPeer
from .streams import StreamPeer, StreamPeerTCP, StreamPeerTLS, TCPServer
from .tls import TLSOptions
from .websocket_peer import WebSocketPeer

__all__ = ["Host", "Pending"]

log = logging.getLogger("godot_ws.godot4.multiplayer")

_ID = struct.Struct("<i")
_OPEN = WebSocketPeer.STATE_OPEN
_WS_CONNECTING = WebSocketPeer.STATE_CONNECTING
_WS_CLOSED = WebSocketPeer.STATE_CLOSED
_CORE_OPEN = State.OPEN
# Godot takes one connection per poll; a burst is taken over a few polls instead, so the
# listen backlog never fills with connections that wait seconds (issue 25.16).
_ACCEPTS_PER_POLL = 64


class Pending:
    """A connection that has no id yet: its start time, its TCP/TLS stream and its peer."""

    __slots__ = ("time", "tcp", "connection", "ws")

    def __init__(self, now: float, tcp: StreamPeerTCP | None = None) -> None:
        self.time = now
        self.tcp = tcp
        self.connection: StreamPeer | None = tcp
        self.ws: WebSocketPeer | None = None


class Host(MultiplayerPeer, AddressLimitSettings, TrustedProxies):
    """Server-side state and poll of ``WebSocketMultiplayerPeer`` (which makes the inbox
    and outbox)."""

    _inbox: Inbox
    _outbox: Outbox

    def __init__(self) -> None:
        super().__init__()
        self._handshake_timeout = 3.0
        self._peers: dict[int, WebSocketPeer] = {}
        self._pending: dict[int, Pending] = {}
        self._server: TCPServer | None = None
        self._tls_server_options: TLSOptions | None = None
        self._closing: list[tuple[WebSocketPeer, float]] = []  # closed by us, still closing
        self._leaving: dict[int, WebSocketPeer] = {}  # closed peers with packets unread
        self._departures: list[int] = []  # see _take_departures
        self._address_limit = AddressLimit()
        self._readiness: Readiness[int] | None = None
        self._fds: dict[int, int] = {}  # peer id (joined or pending) -> watched socket
        self._addresses: dict[int, str] = {}  # peer id (joined or pending) -> counted address
        self._busy: dict[int, None] = {}  # peers to poll next poll whatever their socket says
        self._due: dict[int, None] = {}  # handshakes to step next poll, likewise
        self._spent: list[Connection] = []  # wrote through since the last poll
        self._budget: PollBudget[int] = PollBudget()

    def _create_peer(self) -> WebSocketPeer:
        raise NotImplementedError

    def _start_host(self, server: TCPServer) -> None:
        self._server = server
        self._readiness = Readiness()

    def _stop_host(self) -> None:
        """Forget every host structure (the peers themselves are closed by the caller)."""
        if self._readiness is not None:
            self._readiness.close()
            self._readiness = None
        self._fds.clear()
        self._addresses.clear()
        self._address_limit.clear()
        self._busy.clear()
        self._due.clear()
        self._spent.clear()
        self._budget.clear()

    def _forget(self, peer_id: int) -> None:
        """``peer_id`` (joined or pending) is gone: stop watching it, uncount its address."""
        if self._readiness is not None:
            self._readiness.unwatch(self._fds.pop(peer_id, -1))
        address = self._addresses.pop(peer_id, None)
        if address is not None:
            self._address_limit.release(address)
        self._busy.pop(peer_id, None)
        self._due.pop(peer_id, None)
        self._budget.forget(peer_id)

    def _wake(self, conn: Connection) -> None:
        # A joined peer's message started a new batch, or it began closing: write it through
        # now; poll the peer next poll unless only its write-through budget needs restoring.
        conn.write_through()
        if (conn.protocol.state is _CORE_OPEN and not conn.protocol._out
                and not conn.transport._out):
            self._spent.append(conn)
        else:
            self._busy[conn.tag] = None

    # ------------------------------------------------------------------ poll

    def _poll_server(self) -> None:
        server = self._server
        readiness = self._readiness
        assert server is not None and readiness is not None
        now = time.monotonic()
        self._outbox.new_poll()
        if self._leaving:
            # Still "leaving" (quietly unreachable) while the others hear of its departure;
            # one whose last packets wait for room in the inbox goes when they are in.
            done = [pid for pid, leaver in self._leaving.items()
                    if not leaver.get_available_packet_count()]
            if done and not self._emit_departures(done, self._leaving):
                return  # a handler closed us
        if self._spent:
            for conn in self._spent:
                conn.eager = WRITE_THROUGH
            self._spent = []
        self._accept(server, now)
        visit = self._busy
        self._busy = {}
        due = self._due
        self._due = {}
        for peer_id in readiness.ready():
            if peer_id in self._peers:
                visit[peer_id] = None
            elif peer_id in self._pending:
                due[peer_id] = None
        if self._pending:
            if self._step_pending(due, now):
                return  # a handler closed us
        if self._poll_peers(visit, now):
            return
        if self._closing:
            self._poll_closing(now)

    def _accept(self, server: TCPServer, now: float) -> None:
        refused = 0
        for _ in range(_ACCEPTS_PER_POLL):
            if not server.is_connection_available():
                break
            tcp = server.take_connection()
            if tcp is None:
                break
            if self._refuse_new_connections:
                tcp.disconnect_from_host()  # refused at once, as the 3.x server does
                continue
            address = tcp.get_connected_host()
            if not self._address_limit.admit(address):
                tcp.disconnect_from_host()
                refused += 1
                continue
            peer_id = self.generate_unique_id()
            while peer_id in self._peers or peer_id in self._pending:
                peer_id = self.generate_unique_id()  # Godot does not check for collisions
            tcp._trusted = self._trusted_proxies  # for the WebSocketPeer that accepts it
            self._pending[peer_id] = Pending(now, tcp)
            self._addresses[peer_id] = address
            transport = tcp._transport
            if transport is not None and self._readiness is not None:
                self._fds[peer_id] = self._readiness.watch(transport, peer_id)
            self._due[peer_id] = None  # its first step: TLS begins or the request is read
        if refused:
            log.warning("refused %d connection(s): over max_connections_per_address (%d)",
                        refused, self._address_limit.limit)

    def _step_pending(self, due: dict[int, None], now: float) -> bool:
        """Step the handshakes whose sockets are ready (or that are due), at most
        HANDSHAKE_STEPS; then time out the oldest. True when a handler closed us."""
        steps = HANDSHAKE_STEPS
        for peer_id in due:
            pending = self._pending.get(peer_id)
            if pending is None:
                continue
            if steps <= 0:
                self._due[peer_id] = None  # this poll's steps are spent: first next poll
                continue
            steps -= 1
            ws = pending.ws
            if ws is None:
                ws = self._start_ws(peer_id, pending)
                if ws is None:
                    continue
                if self._tls_server_options is not None:
                    state = _WS_CONNECTING  # accept_stream took the first TLS step
                else:
                    ws._poll_share(MIN_SHARE)  # what came with the request waits its turn
                    state = ws.get_ready_state()
            else:
                ws._poll_share(MIN_SHARE)
                state = ws.get_ready_state()
            if state == _OPEN:
                if self._join(peer_id, pending):
                    return True
            elif state != _WS_CONNECTING:
                self._drop_pending(peer_id)
            else:
                transport = ws._host_transport()
                if transport is not None and (transport.wants_write or transport._out):
                    self._due[peer_id] = None  # waits to write: no read will wake it
        # Accept order is deadline order.
        late = []
        for peer_id, pending in self._pending.items():
            if now - pending.time <= self._handshake_timeout:
                break
            late.append(peer_id)
        for peer_id in late:
            log.info("WebSocket handshake timed out after %.3f seconds.", self._handshake_timeout)
            self._drop_pending(peer_id)
        return False

    def _start_ws(self, peer_id: int, pending: Pending) -> WebSocketPeer | None:
        """Put a WebSocketPeer (over TLS, if configured) on an accepted stream; None when
        the stream is gone."""
        tcp = pending.tcp
        if tcp is None or tcp.get_status() != StreamPeerTCP.STATUS_CONNECTED:
            self._drop_pending(peer_id)
            return None
        if self._tls_server_options is not None:
            tls = StreamPeerTLS()
            if (tls.accept_stream(tcp, self._tls_server_options) != Error.OK
                    or tls.get_status() != StreamPeerTLS.STATUS_HANDSHAKING):
                self._drop_pending(peer_id)  # not TLS (or not a client we can serve)
                return None
            pending.connection = tls
        # The WebSocketPeer drives the rest of the TLS handshake inside its poll().
        ws = pending.ws = self._create_peer()
        ws.accept_stream(pending.connection)  # type: ignore[arg-type]
        return ws

    def _join(self, peer_id: int, pending: Pending) -> bool:
        """A handshake finished: send the id, emit ``peer_connected``. True when a handler
        closed us."""
        ws = pending.ws
        assert ws is not None
        del self._pending[peer_id]
        if self._refuse_new_connections:
            ws.close(-1)  # the game does not want new peers: drop it
            self._forget(peer_id)
            return False
        if ws.put_packet(_ID.pack(peer_id)) != Error.OK:
            log.error("Failed to send ID to newly connected peer.")
            ws.close(-1)
            self._forget(peer_id)
            return False
        self._peers[peer_id] = ws
        conn = ws._conn
        if conn is not None:
            conn.tag = peer_id
            conn.wake = self._wake
        self._busy[peer_id] = None  # it may have sent more than its request
        self.peer_connected.emit(peer_id)
        return self._server is None

    def _poll_peers(self, visit: dict[int, None], now: float) -> bool:
        """Poll the peers that have something to do, within one budget. True when a handler
        closed us."""
        budget = self._budget
        visit = budget.start(visit)
        share = budget.share
        peers = self._peers
        polled: dict[int, WebSocketPeer] = {}
        gone = []
        for peer_id in visit:
            peer = peers.get(peer_id)
            if peer is None:
                continue
            if budget.exhausted:
                budget.defer(peer_id)
                continue
            budget.spend(peer._poll_share(share))
            polled[peer_id] = peer
            if peer.get_ready_state() != _OPEN:
                gone.append(peer_id)
                # Unlike Godot, messages that arrived before the close are still delivered.
        # Into the inbox while it has room (leavers first: theirs arrived first); the rest
        # waits in each peer's bounded queue, which stops reading its socket when full (a
        # peer with packets left is polled again next poll: _needs_poll).
        self._inbox.fill(polled, self._relay_gate, first=self._leaving)
        for peer_id, peer in polled.items():
            if peer._needs_poll():
                self._busy[peer_id] = None
        return bool(gone) and not self._depart(gone, now)

    def _depart(self, gone: list[int], now: float) -> bool:
        """Forget every peer that closed in this poll first, then say so: no departure is
        announced to a peer that is leaving too (a mass disconnect is one pass, not N^2
        sends). False when a handler closed us."""
        peers = self._peers
        sources = {source for source, _packet in self._inbox.packets}
        now_gone: list[int] = []
        for peer_id in gone:
            left = peers.pop(peer_id)
            self._forget(peer_id)
            self._outbox.forget(peer_id)
            if left.get_ready_state() != _WS_CLOSED:
                # Godot forgets it here; we let its close handshake finish (bounded).
                self._closing.append((left, now + self._handshake_timeout))
            if left.get_available_packet_count() or peer_id in sources:
                # Its last messages are read first: peer_disconnected comes after them.
                self._leaving[peer_id] = left
            else:
                now_gone.append(peer_id)
        return self._emit_departures(now_gone)

    def _emit_departures(self, ids: list[int],
                         held: dict[int, WebSocketPeer] | None = None) -> bool:
        """Emit ``peer_disconnected`` for ``ids`` (taking each out of ``held`` as it goes);
        ``_take_departures`` hands SceneMultiplayer the whole batch first. False when a
        handler closed us."""
        self._departures = list(ids)
        try:
            for peer_id in ids:
                if held is not None:
                    held.pop(peer_id, None)
                self.peer_disconnected.emit(peer_id)
                if self._server is None:
                    return False
        finally:
            self._departures = []
        return True

    def _take_departures(self) -> list[int]:
        taken, self._departures = self._departures, []
        return taken

    def _poll_closing(self, now: float) -> None:
        keep = []
        for peer, deadline in self._closing:
            peer.poll()
            if peer.get_ready_state() == _WS_CLOSED:
                continue
            if now > deadline:
                peer.close(-1)
                continue
            keep.append((peer, deadline))
        self._closing = keep

    def _drop_pending(self, peer_id: int) -> None:
        pending = self._pending.pop(peer_id, None)
        self._forget(peer_id)
        if pending is None:
            return
        if pending.ws is not None:
            pending.ws.close(-1)
        elif pending.connection is not None:
            pending.connection.disconnect_from_host()  # type: ignore[attr-defined]
