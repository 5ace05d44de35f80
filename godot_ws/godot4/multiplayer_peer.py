"""Godot 4's ``MultiplayerPeer`` base and ``OfflineMultiplayerPeer``.

Owns what every 4.x multiplayer peer shares (scene/main/multiplayer_peer.cpp; a PacketPeer, so
``put_var``/``get_var`` with Godot 4's Variant table come with it): the
``ConnectionStatus`` / ``TransferMode`` constants, ``TARGET_PEER_*``, the ``peer_connected`` /
``peer_disconnected`` signals, ``transfer_mode`` / ``transfer_channel``,
``refuse_new_connections`` and ``generate_unique_id``; and the peer SceneMultiplayer uses when
none is set (a server alone with itself). Subclasses own the packets.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from ..core.constants import ConnectionStatus, Error, TransferMode
from ..common.packet_peer import PacketPeer
from ..common.signals import Signal, SignalOwner

__all__ = ["MultiplayerPeer", "OfflineMultiplayerPeer"]


class MultiplayerPeer(PacketPeer, SignalOwner):
    """The packet API SceneMultiplayer is written against (not used directly).

    Signals: ``peer_connected(id)`` and ``peer_disconnected(id)``, fired inside ``poll()``.
    """

    _variant_version = 4  # put_var/get_var speak Godot 4's Variant table

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
        self.peer_connected = Signal("peer_connected")
        self.peer_disconnected = Signal("peer_disconnected")
        self._transfer_mode = TransferMode.TRANSFER_MODE_RELIABLE
        self._transfer_channel = 0
        self._refuse_new_connections = False
        # Set by a SceneMultiplayer server: may the packet ``(sender, bytes)`` be taken from
        # its sender's queue now? (No while a packet it relays has a full target.)
        self._relay_gate: Callable[[int, bytes], bool] | None = None

    # ------------------------------------------------------------------ subclasses implement

    def get_available_packet_count(self) -> int:
        """How many whole packets are waiting to be read."""
        raise NotImplementedError

    def get_packet(self) -> bytes:
        """Take the next packet (``bytes``); ``get_packet_peer()`` before it says who sent it."""
        raise NotImplementedError

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        """Send ``buffer`` to the ``set_target_peer`` target with the current transfer mode and
        channel; an ``Error`` says whether it was queued."""
        raise NotImplementedError

    def get_max_packet_size(self) -> int:
        """The largest packet ``put_packet`` takes, in bytes."""
        raise NotImplementedError

    def set_target_peer(self, peer_id: int) -> None:
        """Where ``put_packet`` sends: 0 everyone (``TARGET_PEER_BROADCAST``), 1 the server, N peer
        N, -N everyone but N."""
        raise NotImplementedError

    def get_packet_peer(self) -> int:
        """The id of the peer that sent the next packet."""
        raise NotImplementedError

    def get_packet_mode(self) -> TransferMode:
        """The transfer mode of the next packet (always ``TRANSFER_MODE_RELIABLE`` over
        WebSocket)."""
        return TransferMode.TRANSFER_MODE_RELIABLE

    def get_packet_channel(self) -> int:
        """The channel of the next packet (always 0 over WebSocket)."""
        return 0

    def disconnect_peer(self, peer: int, force: bool = False) -> None:
        """Disconnect peer ``peer`` (server only); ``force`` drops it at once instead of closing
        cleanly."""
        raise NotImplementedError

    def _take_departures(self) -> list[int]:
        """The ids whose ``peer_disconnected`` this poll is emitting, each given once (not in
        Godot): SceneMultiplayer stops announcing to all of them before the first one's
        departure is announced, so a mass disconnect costs one pass, not N^2 sends."""
        return []

    def is_server(self) -> bool:
        """Whether this peer is the server (id 1)."""
        raise NotImplementedError

    def poll(self) -> None:
        """Do this frame's networking; ``SceneMultiplayer.poll()`` calls it. Never blocks."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection and stop listening; the peer can be used again."""
        raise NotImplementedError

    def get_unique_id(self) -> int:
        """This peer's id: 1 for the server, the server-given id for a client (0 until known)."""
        raise NotImplementedError

    def get_connection_status(self) -> ConnectionStatus:
        """``CONNECTION_DISCONNECTED``, ``CONNECTION_CONNECTING`` or ``CONNECTION_CONNECTED``."""
        raise NotImplementedError

    def is_server_relay_supported(self) -> bool:
        """Whether the server relays between clients (``SceneMultiplayer.server_relay``); True for
        WebSocket."""
        return False

    def _put_system(self, peer_id: int, packet: bytes) -> None:
        """A SceneMultiplayer SYS packet (ADD_PEER, DEL_PEER: 6 bytes) to ``peer_id``. Peers
        with output limits queue it past them, as the 3.x relay does its SYS messages: a
        lost one leaves that peer with a wrong list of peers for good."""
        self.set_target_peer(peer_id)
        self.put_packet(packet)

    def _has_room(self, peer_id: int, size: int) -> bool:
        """Whether a relayed ``size``-byte packet to ``peer_id`` can go now (see
        ``_relay_gate``); peers without output limits always have room."""
        return True

    # ------------------------------------------------------------------ shared

    def generate_unique_id(self) -> int:
        """A random id in 2 .. 2**31-1 (Godot: a hash masked to 31 bits, never 0 or 1)."""
        while True:
            value = secrets.randbits(31)
            if value > 1:
                return value

    def get_transfer_mode(self) -> TransferMode:
        """The transfer mode ``put_packet`` uses (default ``TRANSFER_MODE_RELIABLE``)."""
        return self._transfer_mode

    def set_transfer_mode(self, mode: int) -> None:
        """Set the transfer mode for the next ``put_packet`` calls (a ``TransferMode``)."""
        self._transfer_mode = TransferMode(mode)

    transfer_mode = property(get_transfer_mode, set_transfer_mode)

    def get_transfer_channel(self) -> int:
        """The channel ``put_packet`` uses (default 0)."""
        return self._transfer_channel

    def set_transfer_channel(self, channel: int) -> None:
        """Set the channel for the next ``put_packet`` calls."""
        if not isinstance(channel, int) or isinstance(channel, bool):
            raise TypeError(f"channel must be int, not {type(channel).__name__}")
        self._transfer_channel = channel

    transfer_channel = property(get_transfer_channel, set_transfer_channel)

    def is_refusing_new_connections(self) -> bool:
        """Whether a server turns new peers away (default False)."""
        return self._refuse_new_connections

    def set_refuse_new_connections(self, enable: bool) -> None:
        """Turn new peers away, or let them in again."""
        self._refuse_new_connections = bool(enable)

    refuse_new_connections = property(is_refusing_new_connections, set_refuse_new_connections)


class OfflineMultiplayerPeer(MultiplayerPeer):
    """SceneMultiplayer's default peer: always connected, id 1, no packets (Godot's class)."""

    def get_available_packet_count(self) -> int:
        return 0

    def get_packet(self) -> bytes:
        self._packet_error = Error.OK
        return b""

    def put_packet(self, buffer: bytes | bytearray | memoryview) -> Error:
        return Error.OK

    def get_max_packet_size(self) -> int:
        return 0

    def set_target_peer(self, peer_id: int) -> None:
        pass

    def get_packet_peer(self) -> int:
        return 0

    def disconnect_peer(self, peer: int, force: bool = False) -> None:
        pass

    def is_server(self) -> bool:
        return True

    def poll(self) -> None:
        pass

    def close(self) -> None:
        pass

    def get_unique_id(self) -> int:
        return self.TARGET_PEER_SERVER

    def get_connection_status(self) -> ConnectionStatus:
        return ConnectionStatus.CONNECTION_CONNECTED
