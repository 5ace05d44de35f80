"""``WebSocketMultiplayerPeer``: what Godot's WebSocketClient and WebSocketServer share.

Owns, as Godot's class chain PacketPeer -> NetworkedMultiplayerPeer -> WebSocketMultiplayerPeer
does: the NetworkedMultiplayerPeer constants and signals, ``set_buffers`` (the queue limits),
the target peer, ``transfer_mode`` (always reliable) and ``refuse_new_connections``. The
client and server subclasses own connecting, listening and ``poll()``.
"""

from __future__ import annotations

import logging

from ..core.deflate import DeflateOptions
from ..core.constants import ConnectionStatus, Error, TransferMode
from .peer import PacketPeer, WebSocketPeer
from ..common.signals import Signal, SignalOwner

__all__ = ["WebSocketMultiplayerPeer", "godot_reason"]

log = logging.getLogger("godot_ws.multiplayer_peer")  # the name README documents


def godot_reason(reason: str) -> str:
    """A close reason without the one NUL Godot 3.x appends to every reason it sends."""
    return reason[:-1] if reason.endswith("\0") else reason


def _pow2(value: int) -> int:
    """Godot's ``next_power_of_2`` rounding for ``set_buffers``."""
    return 1 << max(0, (int(value) - 1).bit_length())


class WebSocketMultiplayerPeer(PacketPeer, SignalOwner):
    """The shared base of ``WebSocketClient`` and ``WebSocketServer`` (not used directly).

    NetworkedMultiplayerPeer's signals, for multiplayer mode (``gd_mp_api``):
    ``peer_connected(id)``, ``peer_disconnected(id)``, ``peer_packet(source)`` (once per
    packet), and on a client ``connection_succeeded()`` (our id arrived),
    ``connection_failed()`` (joining failed, or a joined connection ended, as every Godot 3
    release reports it) and ``server_disconnected()`` (exists, never emitted, as in Godot 3's
    WebSocketClient). A server never emits the last three.
    """

    CONNECTION_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
    CONNECTION_CONNECTING = ConnectionStatus.CONNECTION_CONNECTING
    CONNECTION_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
    TRANSFER_MODE_UNRELIABLE = TransferMode.TRANSFER_MODE_UNRELIABLE
    TRANSFER_MODE_UNRELIABLE_ORDERED = TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED
    TRANSFER_MODE_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE
    TARGET_PEER_BROADCAST = 0
    TARGET_PEER_SERVER = 1

    def __init__(self) -> None:
        PacketPeer.__init__(self)
        self.peer_packet = Signal("peer_packet")
        self.peer_connected = Signal("peer_connected")
        self.peer_disconnected = Signal("peer_disconnected")
        self.connection_succeeded = Signal("connection_succeeded")
        self.connection_failed = Signal("connection_failed")
        self.server_disconnected = Signal("server_disconnected")
        # Godot's project-setting defaults: 64 KiB and 1024 packets each way.
        self._in_bytes = 65536
        self._in_packets = 1024
        self._out_bytes = 65536
        self._out_packets = 1024
        self._target_peer = 0
        self._refuse_new_connections = False
        self._heartbeat_interval = 0.0
        self._compression_enabled = False
        self._compression_options = DeflateOptions()

    def _in_use(self) -> bool:
        """True while connecting, connected or listening (buffers are fixed then)."""
        raise NotImplementedError

    # NetworkedMultiplayerPeer's and WebSocketMultiplayerPeer's interface, which the client
    # and the server implement.

    def get_connection_status(self) -> ConnectionStatus:
        """``CONNECTION_DISCONNECTED``, ``CONNECTION_CONNECTING`` or ``CONNECTION_CONNECTED`` (a
        listening server is CONNECTED)."""
        raise NotImplementedError

    def poll(self) -> None:
        """Do this frame's networking: read, write and emit the signals. Call it once per frame; it
        never blocks and never raises for anything the network did."""
        raise NotImplementedError

    def get_unique_id(self) -> int:
        """This end's multiplayer id: 1 for a server, the id the server gave for a client (0 until
        it arrives)."""
        raise NotImplementedError

    def get_packet_peer(self) -> int:
        """The id of the peer that sent the packet ``get_packet`` returns next (multiplayer
        mode)."""
        raise NotImplementedError

    def get_peer(self, peer_id: int) -> WebSocketPeer | None:
        """The ``WebSocketPeer`` of a connection: ``get_peer(1)`` on a client, a client's id on a
        server; None (logged) for an unknown id."""
        raise NotImplementedError

    def set_buffers(
        self,
        input_buffer_size_kb: int,
        input_max_packets: int,
        output_buffer_size_kb: int,
        output_max_packets: int,
    ) -> Error:
        """Set the queue limits (KiB and packets, each rounded up to a power of two), per
        connection. Only while not in use (else FAILED), as in Godot. A message larger than
        the input buffer closes the connection with 1009; a full input queue pauses reading;
        a full output buffer makes ``put_packet`` return ERR_OUT_OF_MEMORY."""
        values = (input_buffer_size_kb, input_max_packets, output_buffer_size_kb,
                  output_max_packets)
        if not all(isinstance(v, int) for v in values):
            raise TypeError("set_buffers takes four ints")
        if self._in_use():
            log.error("set_buffers: only allowed while disconnected / not listening")
            return Error.FAILED
        if min(values) <= 0:
            log.error("set_buffers: sizes must be positive")
            return Error.ERR_INVALID_PARAMETER
        self._in_bytes = _pow2(input_buffer_size_kb) * 1024
        self._in_packets = _pow2(input_max_packets)
        self._out_bytes = _pow2(output_buffer_size_kb) * 1024
        self._out_packets = _pow2(output_max_packets)
        return Error.OK

    def set_target_peer(self, peer_id: int) -> None:
        """Where multiplayer ``put_packet`` sends: 0 everyone (default), 1 the server, N > 1
        peer N, -N everyone but N."""
        if not isinstance(peer_id, int) or isinstance(peer_id, bool):
            raise TypeError(f"peer_id must be int, not {type(peer_id).__name__}")
        if not -(1 << 31) <= peer_id < 1 << 31:
            raise ValueError(f"peer_id {peer_id} is outside int32")
        self._target_peer = peer_id
        self._target_changed(peer_id)

    def _target_changed(self, peer_id: int) -> None:
        """Hook for the multiplayer component that frames the packets."""

    def get_transfer_mode(self) -> TransferMode:
        """Always RELIABLE: WebSocket is TCP (setting it is a no-op, as in Godot)."""
        return TransferMode.TRANSFER_MODE_RELIABLE

    def set_transfer_mode(self, mode: int) -> None:
        """Accepted and ignored, as in Godot: WebSocket is always reliable."""
        pass

    transfer_mode = property(get_transfer_mode, set_transfer_mode)

    def is_refusing_new_connections(self) -> bool:
        """Whether a server turns new clients away (default False); a client ignores it."""
        return self._refuse_new_connections

    def set_refuse_new_connections(self, enable: bool) -> None:
        """Turn new clients away (a server drops them at accept) or let them in again."""
        self._refuse_new_connections = bool(enable)

    refuse_new_connections = property(is_refusing_new_connections, set_refuse_new_connections)

    # ------------------------------------------------------------------ heartbeat (Godot 4.4)

    def get_heartbeat_interval(self) -> float:
        """Seconds between heartbeat pings (0: off, the default); see ``set_heartbeat_interval``."""
        return self._heartbeat_interval

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Godot 4.4's ``heartbeat_interval`` (seconds, default 0: off), brought to 3.x: each
        interval a ping goes out; if the previous ping's pong has not come back by then, the
        connection is dropped at once (``connection_closed(False)`` / ``client_disconnected(id,
        False)``). Applies to the client's connection, or to every client of a server (each
        also has its own ``get_peer(id).heartbeat_interval``)."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise TypeError(f"heartbeat_interval must be a number, not {type(seconds).__name__}")
        self._heartbeat_interval = max(0.0, float(seconds))
        self._heartbeat_changed(self._heartbeat_interval)

    heartbeat_interval = property(get_heartbeat_interval, set_heartbeat_interval)

    def _heartbeat_changed(self, seconds: float) -> None:
        """Hook: pass a new ``heartbeat_interval`` on to the live connections."""

    # ------------------------------------------------------------------ permessage-deflate

    def is_compression_enabled(self) -> bool:
        """Whether permessage-deflate is offered (client) or accepted (server); default False."""
        return self._compression_enabled

    def set_compression_enabled(self, enabled: bool) -> None:
        """Offer (client) or accept (server) permessage-deflate, RFC 7692. Off by default:
        Godot peers do not speak it (a Godot server simply ignores the offer). Takes effect
        at the next ``connect_to_url`` / ``listen``; the parameters are
        ``compression_options``."""
        if self._in_use():
            log.error("compression_enabled can only be changed while disconnected / not "
                      "listening")
            return
        self._compression_enabled = bool(enabled)

    compression_enabled = property(is_compression_enabled, set_compression_enabled)

    def get_compression_options(self) -> DeflateOptions:
        """The permessage-deflate parameters (a ``DeflateOptions``) used when
        ``compression_enabled``."""
        return self._compression_options

    def set_compression_options(self, options: DeflateOptions) -> None:
        """permessage-deflate's parameters (window bits, no_context_takeover, level); see
        ``godot_ws.DeflateOptions``."""
        if not isinstance(options, DeflateOptions):
            raise TypeError("compression_options must be a DeflateOptions")
        if self._in_use():
            log.error("compression_options can only be changed while disconnected / not "
                      "listening")
            return
        self._compression_options = options

    compression_options = property(get_compression_options, set_compression_options)

    def _deflate_options(self) -> DeflateOptions | None:
        return self._compression_options if self._compression_enabled else None
