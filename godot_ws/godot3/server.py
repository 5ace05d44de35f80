"""``WebSocketServer``: Godot 3's polling WebSocket server.

Owns listening, accepting, each client's handshake (and TLS) in non-blocking steps, peer ids,
and the server's signals (listed in the class docstring). Each client is a ``Connection`` over
the same sans-IO protocol core as the client, in the server role. Multiplayer mode
(``gd_mp_api``) is the relay component in ``relay.py``.
"""

from __future__ import annotations

import logging
import random
import ssl
from collections import deque
from collections.abc import Sequence

from ..common.arguments import is_int, server_call_error
from ..common.signals import Signal
from ..core import events
from ..core.constants import ConnectionStatus, Error
from ..core.protocol import ServerProtocol, State
from ..net.connection import WRITE_THROUGH, Connection
from ..net.crypto import server_context
from ..net.limits import PollBudget
from ..net.readiness import Readiness
from ..net.transport import listen_socket
from .accepting import Accepting
from .multiplayer_peer import godot_reason
from .peer import WebSocketPeer
from .relay import Relay

__all__ = ["WebSocketServer"]

log = logging.getLogger("godot_ws.server")  # the name README documents

_CLOSING = State.CLOSING
_OPEN = State.OPEN


class _Client:
    """A connected client: its id, connection, peer, socket number, and the signals it still
    has to fire (``owed`` data_received, ``todo`` events; see ``WebSocketServer._deliver``)."""

    __slots__ = ("id", "conn", "peer", "fd", "owed", "todo", "queued", "foreign")

    def __init__(self, peer_id: int, conn: Connection, peer: WebSocketPeer, fd: int) -> None:
        self.id = peer_id
        self.conn = conn
        self.peer = peer
        self.fd = fd
        self.owed = 0
        self.todo: deque[events.Event] = deque()
        self.queued = False  # in the server's ``_ready`` queue
        self.foreign = False  # a plain client on a multiplayer host: being closed, no peer


class WebSocketServer(Accepting):
    """Godot 3's ``WebSocketServer``: call ``poll()`` once per frame; it never blocks and never
    raises for anything a client did.

    A slow or hostile client cannot stall the others: handshakes time out
    (``handshake_timeout``), headers and messages are size-limited, a full input queue stops
    reading that client only, and a client that does not read gets ERR_OUT_OF_MEMORY from its
    peer's ``put_packet`` once its output buffer is full.

    A poll looks only at the clients whose sockets are ready (a selector) and those with
    something to finish (output the socket has not taken, a close in progress, a full queue),
    so idle players cost nothing per frame; those it reads share one work budget per poll,
    round robin (``net/limits.py``: a flood from many clients cannot stretch a poll), and
    handshakes are stepped a few per poll. Messages the handlers put during ``poll()`` are
    written before it returns; ``poll()`` called from a handler is refused (logged).

    Signals, fired inside ``poll()`` after its I/O: ``client_connected(id, protocol)``,
    ``data_received(id)`` (once per message), ``client_close_request(id, code, reason)`` and
    ``client_disconnected(id, was_clean_close)``. In multiplayer mode (``listen(port,
    gd_mp_api=True)``) ``peer_connected(id)``, ``peer_disconnected(id)`` and
    ``peer_packet(source)`` fire instead of ``client_connected``, ``client_disconnected`` and
    ``data_received``, as in Godot; ``client_close_request`` fires in both modes.
    ``connection_succeeded``, ``connection_failed`` and ``server_disconnected`` (inherited)
    never fire on a server.
    """

    def __init__(self) -> None:
        super().__init__()
        self.client_connected = Signal("client_connected")
        self.client_disconnected = Signal("client_disconnected")
        self.client_close_request = Signal("client_close_request")
        self.data_received = Signal("data_received")
        #: Seconds to wait for a client's close reply before dropping it.
        self.close_timeout = 3.0
        self._clients: dict[int, _Client] = {}
        self._budget: PollBudget[_Client] = PollBudget()
        # Clients to look at in the next poll whatever their socket says (dicts: ordered).
        self._busy: dict[_Client, None] = {}
        self._ready: deque[_Client] = deque()  # clients with signals to fire, in order
        self._spent: list[Connection] = []  # wrote through since the last poll
        self._polling = False

    # ------------------------------------------------------------------ listening

    def listen(
        self, port: int, protocols: Sequence[str] = (), gd_mp_api: bool = False
    ) -> Error:
        """Listen on ``bind_ip`` (``"*"``: every interface) and ``port`` (0: any free port,
        see ``get_local_port``). ERR_ALREADY_IN_USE when already listening, ERR_CANT_CREATE
        when the address cannot be bound, ERR_INVALID_PARAMETER for a bad port."""
        if not is_int(port) or isinstance(protocols, (str, int)):
            raise server_call_error("listen(port: int, protocols: list of str = [], "
                                    "gd_mp_api: bool = False)", (port, protocols))
        if self._listener is not None:
            log.error("listen: already listening")
            return Error.ERR_ALREADY_IN_USE
        if not 0 <= port < 65536:
            # Godot 3.2.3 truncates the port to 16 bits (listen(-1) listens on 65535).
            log.error("listen: port %d is outside 0-65535", port)
            return Error.ERR_INVALID_PARAMETER
        context = None
        if self._private_key is not None and self._ssl_certificate is not None:
            try:
                context = server_context(self._private_key, self._ssl_certificate,
                                         self._ca_chain)
            except (ssl.SSLError, ValueError, OSError) as exc:
                log.error("listen: the private key and certificate do not fit: %s", exc)
                return Error.ERR_INVALID_PARAMETER
        try:
            listener = self._listener = listen_socket(self._bind_ip, port)
        except OSError as exc:
            log.error("listen: cannot listen on %s:%d: %s", self._bind_ip, port, exc)
            return Error.ERR_CANT_CREATE
        self._readiness = Readiness()
        self._readiness.watch(listener, None)
        self._context = context
        self._protocols = tuple(protocols)
        self._relay = Relay(self._in_packets, self._in_bytes, self.peer_packet.emit) \
            if gd_mp_api else None
        if self._relay is not None:
            self._relay.target_peer = self._target_peer
        return Error.OK

    def is_listening(self) -> bool:
        """Whether ``listen`` succeeded and ``stop`` has not been called."""
        return self._listener is not None

    def get_local_port(self) -> int:
        """The port listened on (Godot 4's TCPServer name); 0 when not listening."""
        return self._listener.getsockname()[1] if self._listener is not None else 0

    def stop(self) -> None:
        """Stop listening and drop every client after a best-effort close 1001 (no signals,
        as in Godot)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._readiness is not None:
            self._readiness.close()
            self._readiness = None
        for client in self._clients.values():
            client.conn.protocol.close(1001, "server stopped")
            client.conn.flush()
            client.conn.transport.close()
        for conn in self._pending:
            conn.transport.close()
        self._clients.clear()
        self._budget.clear()
        self._address_limit.clear()
        self._pending.clear()
        self._due.clear()
        self._spent.clear()
        self._busy.clear()
        self._ready.clear()
        self._relay = None

    # ------------------------------------------------------------------ poll

    def poll(self) -> None:
        """Accept new clients, pump the connections that are ready or busy, emit this poll's
        signals, then write what the handlers queued."""
        if self._listener is None:
            return
        if self._polling:
            log.error("poll() called from a signal handler of the same server: ignored "
                      "(return from the handler instead)")
            return
        self._polling = True
        try:
            self._poll_io()
            self._deliver()
        finally:
            self._polling = False
            self.flush()

    def flush(self) -> None:
        """Write every message queued for any client now (``put_packet`` writes at once only
        the first ``WRITE_THROUGH`` messages per client and frame). Not in Godot."""
        for client in self._busy:
            conn = client.conn
            if conn.protocol._out and conn.ready:
                conn.flush()

    def _wake(self, conn: Connection) -> None:
        # A client's output started a new batch, or it began closing: outside poll, write
        # the message through now; look at the client in the next poll unless that left
        # nothing to do but restore its write-through budget (a host sending to everyone
        # every frame must not make every client a socket read per poll).
        if not self._polling:
            conn.write_through()
            if (conn.protocol.state is _OPEN and not conn.protocol._out
                    and not conn.transport._out):
                self._spent.append(conn)
                return
        self._busy[conn.tag] = None

    def _poll_io(self) -> None:
        readiness = self._readiness
        assert readiness is not None
        if self._spent:
            for conn in self._spent:
                conn.eager = WRITE_THROUGH
            self._spent = []
        visit = self._busy
        self._busy = {}
        due = self._due
        self._due = {}
        for data in readiness.ready():
            if data is None:
                self._accept(due)
            elif type(data) is _Client:
                visit[data] = None
            else:
                due[data] = None  # a handshaking connection
        if self._pending:
            self._advance_pending(due)
        relay = self._relay
        clients = self._clients
        timeout = self.close_timeout
        # One budget for all clients (issue 25.5): each gets an even share; those this poll
        # does not reach go first next poll.
        budget = self._budget
        visit = budget.start(visit)
        share = budget.share
        for client in visit:
            if clients.get(client.id) is not client:
                continue  # gone
            if budget.exhausted:
                budget.defer(client)
                continue
            conn = client.conn
            protocol = conn.protocol
            new = conn.pump(None, share)
            budget.spend(protocol.work_left)
            if protocol.state is _CLOSING:
                conn.check_closing(timeout)
            if new and relay is None:
                client.owed += new
            if protocol._events:
                client.todo.extend(protocol.events_received())
            raw = protocol.queue.packets
            if (client.owed or client.todo or (relay is not None and raw)) and not client.queued:
                client.queued = True
                self._ready.append(client)
            if (protocol.blocked or conn.transport._out or protocol._out
                    or protocol.state is _CLOSING or conn.heartbeat_interval
                    or (relay is not None and raw)):
                self._busy[client] = None

    def _deliver(self) -> None:
        """Fire the queued signals, client by client. Each is taken off before it fires, so
        a handler that raises (even KeyboardInterrupt) leaves the rest for the next poll."""
        ready = self._ready
        while ready:
            client = ready[0]
            self._dispatch(client)
            if ready and ready[0] is client:
                ready.popleft()
            client.queued = False

    def _admit(self, conn: Connection, happened: list[events.Event]) -> None:
        conn.deadline = 0.0
        peer_id = self._new_id()
        fd = self._pending.pop(conn, -1)
        self._due.pop(conn, None)
        client = _Client(peer_id, conn, WebSocketPeer(conn.protocol.queue, conn), fd)
        conn.tag = client
        conn.wake = self._wake
        self._unregister(fd)
        self._register(fd, client)
        self._clients[peer_id] = client
        if self._relay is not None:
            protocol = conn.protocol
            assert isinstance(protocol, ServerProtocol)
            client.foreign = not self._relay.admit(peer_id, conn, protocol.request.headers)
            conn.flush()
        else:
            client.owed = len(conn.protocol.queue.packets)
        # Joined first (has_peer holds, status CONNECTED), then data, then any close.
        client.todo.extend(happened)
        client.queued = True
        self._ready.append(client)
        self._busy[client] = None

    def _new_id(self) -> int:
        # Godot: random positive 31-bit ids, never 0 or 1 (1 is the server).
        while True:
            peer_id = random.randint(2, 0x7FFFFFFF)
            if peer_id not in self._clients:
                return peer_id

    def _dispatch(self, client: _Client) -> None:
        peer_id = client.id
        relay = self._relay
        todo = client.todo
        while todo and isinstance(todo[0], events.HandshakeDone):
            done = todo.popleft()
            assert isinstance(done, events.HandshakeDone)
            if relay is not None:
                if not client.foreign:
                    self.peer_connected.emit(peer_id)
            else:
                self.client_connected.emit(peer_id, done.protocol)
        if relay is not None and client.foreign:
            raw = client.conn.protocol
            raw.queue.clear()  # what it sent while being closed goes nowhere
            todo.extend(raw.events_received())
        elif relay is not None:
            raw = client.conn.protocol
            while relay.receive(peer_id, raw.queue) and raw.blocked:
                raw.resume()  # the inbox made room: decode what waited
            todo.extend(raw.events_received())
        else:
            signal = self.data_received
            while client.owed:
                client.owed -= 1
                if signal:
                    signal.emit(peer_id)
        while todo:
            event = todo.popleft()
            if isinstance(event, events.CloseRequested):
                self.client_close_request.emit(peer_id, event.code, godot_reason(event.reason))
            elif isinstance(event, events.Closed):
                self._closed(client, event)

    def _closed(self, client: _Client, event: events.Closed) -> None:
        peer_id = client.id
        relay = self._relay
        if not event.clean:
            log.info("client %d closed (code %d): %s", peer_id, event.code, event.reason)
        conn = client.conn
        conn.flush()
        self._unregister(client.fd)
        self._address_limit.release(conn.transport.host)
        conn.transport.close()
        self._busy.pop(client, None)
        self._budget.forget(client)
        # has_peer(id) still holds inside the signal, as in Godot.
        try:
            if relay is not None and client.foreign:
                pass  # never a peer: nothing to announce
            elif relay is not None:
                try:
                    relay.receive(peer_id, conn.protocol.queue, force=True)
                finally:
                    relay.remove(peer_id)
                self.peer_disconnected.emit(peer_id)
            else:
                self.client_disconnected.emit(peer_id, event.clean)
        finally:
            self._clients.pop(peer_id, None)

    def get_connection_status(self) -> ConnectionStatus:
        """CONNECTED while listening (as Godot's server reports)."""
        return (ConnectionStatus.CONNECTION_CONNECTED if self._listener is not None
                else ConnectionStatus.CONNECTION_DISCONNECTED)

    def get_unique_id(self) -> int:
        return 1

    def _in_use(self) -> bool:
        """True while listening: the settings cannot change then."""
        return self._listener is not None

    def _heartbeat_changed(self, seconds: float) -> None:
        for conn in [*self._pending, *(client.conn for client in self._clients.values())]:
            conn.heartbeat_interval = seconds
