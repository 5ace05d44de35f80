"""The shape every RPC layer shares: a multiplayer peer, a node registry, the per-frame poll.

Owns ``MultiplayerDispatcher``: holding the network peer and hooking its signals
(``set_network_peer``), the node registry (godot_ws has no scene tree: nodes are registered
under their Godot paths, and the wire form of a path is the part under ``root_path``), the
connected-peer set, ``poll()`` (peer.poll(), then every packet to ``_process_packet`` with
``get_rpc_sender_id()`` set to its sender), the guard that keeps poll() from ever raising, and
calling a node's method the way Godot does (arity check, Godot's error text, the sender id).

The packet format lives in subclasses: Godot 3's ``MultiplayerAPI`` (multiplayer_api.py,
codec3.py); Godot 4's SceneMultiplayer can subclass the same shape with its own codec. Uses
only the peer's packet API (``poll``, ``get_available_packet_count``, ``get_packet_peer``,
``get_packet``, ``put_packet``, ``set_target_peer``, ``get_connection_status``,
``get_unique_id``); never a connection, a transport or a socket.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, ClassVar

from ...core.constants import ConnectionStatus, Error
from ...variant.types3 import NodePath
from ...common.rpc_registry import call_error_text, check_arity
from ...common.signals import SignalOwner

__all__ = ["MultiplayerDispatcher"]

log = logging.getLogger("godot_ws.rpc.dispatcher")  # the name README documents

_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
# Godot's node_hrcr_count: starts at 1 and is incremented before use, so the first is 2.
_RENAMES = itertools.count(2)

class MultiplayerDispatcher(SignalOwner):
    """Peer, nodes and poll loop; subclasses implement ``_process_packet`` and the handlers
    named in ``PEER_SIGNALS``."""

    #: The peer's signal -> the name of the method of ours it is connected to.
    PEER_SIGNALS: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self._network_peer: Any = None
        self._rpc_sender_id = 0
        self._connected_peers: set[int] = set()
        #: Godot's ``allow_object_decoding``: full Objects in arguments are decoded.
        self.allow_object_decoding = False
        self._root_path = NodePath("/root")
        self._nodes: dict[str, object] = {}  # wire path ("Main/Lobby") -> node
        self._paths: dict[int, str] = {}  # id(node) -> wire path

    # ------------------------------------------------------------------ the peer

    def set_network_peer(self, peer: Any) -> None:
        """Use ``peer`` (a connecting/connected WebSocketClient, or a listening
        WebSocketServer); None drops the current one and clears all state."""
        if peer is self._network_peer:
            return
        if peer is not None and peer.get_connection_status() == _DISCONNECTED:
            log.error("Supplied NetworkedMultiplayerPeer must be connecting or connected.")
            return
        old = self._network_peer
        if old is not None:
            for signal, handler in self.PEER_SIGNALS.items():
                sig = getattr(old, signal, None)
                if sig is not None and sig.is_connected(getattr(self, handler)):
                    sig.disconnect(getattr(self, handler))
            self.clear()
        self._network_peer = peer
        if peer is not None:
            for signal, handler in self.PEER_SIGNALS.items():
                sig = getattr(peer, signal, None)
                if sig is not None:
                    sig.connect(getattr(self, handler))

    def get_network_peer(self) -> Any:
        """The multiplayer peer (a ``WebSocketClient`` or ``WebSocketServer`` in ``gd_mp_api``
        mode), or None."""
        return self._network_peer

    def has_network_peer(self) -> bool:
        """Whether a network peer is set."""
        return self._network_peer is not None

    network_peer = property(get_network_peer, set_network_peer)

    def clear(self) -> None:
        """Forget the connected peers (subclasses add their caches)."""
        self._connected_peers.clear()

    def get_rpc_sender_id(self) -> int:
        """Who sent the packet being handled (during a remote call, set or RAW handler); our
        own id during a local (sync) call; 0 otherwise."""
        return self._rpc_sender_id

    def get_network_connected_peers(self) -> list[int]:
        """The ids of the peers we know (sorted, like Godot's Set)."""
        if self._network_peer is None:
            log.error("No network peer is assigned. Assume no peers are connected.")
            return []
        return sorted(self._connected_peers)

    def get_network_unique_id(self) -> int:
        """Our id on the network (1 for the server); 0 and an error logged with no peer."""
        if self._network_peer is None:
            log.error("No network peer is assigned. Unable to get unique network ID.")
            return 0
        return int(self._network_peer.get_unique_id())

    def _is_connected(self) -> bool:
        peer = self._network_peer
        return peer is not None and \
            peer.get_connection_status() == ConnectionStatus.CONNECTION_CONNECTED

    # ------------------------------------------------------------------ per frame

    def poll(self) -> None:
        """Poll the peer (its signals fire), then handle every packet it queued. Never raises
        for what arrived: malformed packets and failing handlers are logged and dropped."""
        peer = self._network_peer
        if peer is None or peer.get_connection_status() == _DISCONNECTED:
            return
        peer.poll()
        while peer is self._network_peer and peer.get_available_packet_count() > 0:
            sender = peer.get_packet_peer()
            data = peer.get_packet()
            if peer.get_packet_error() != Error.OK:
                log.error("Error getting packet!")
                break
            self._rpc_sender_id = sender
            try:
                self._process_packet(sender, data)
            except Exception:  # a bug of ours or the game's: log it, keep the frame going
                log.exception("error while handling a packet from peer %d", sender)
            finally:
                self._rpc_sender_id = 0
        self._end_of_poll()

    def _end_of_poll(self) -> None:
        """Hook: every packet of this poll was handled."""

    def _process_packet(self, sender: int, packet: bytes) -> None:
        raise NotImplementedError

    def _call_local(self, node: object, method: str, args: tuple[Any, ...] | list[Any],
                    sender: int) -> tuple[bool, str]:
        """Call ``node.method(*args)`` with ``get_rpc_sender_id() == sender``: (True, "") or
        (False, Godot's call error text) when there is no such method or the arity is wrong.
        Exceptions raised by the method propagate."""
        func = getattr(node, method, None)
        if not callable(func):
            return False, call_error_text(node, method, "Method not found.")
        error = check_arity(node, method, func, len(args))
        if error is not None:
            return False, error
        saved = self._rpc_sender_id
        self._rpc_sender_id = sender
        try:
            func(*args)
        finally:
            self._rpc_sender_id = saved
        return True, ""

    # ------------------------------------------------------------------ nodes

    def get_root_path(self) -> NodePath:
        """The path the wire's node paths are relative to (default ``/root``)."""
        return self._root_path

    def set_root_path(self, path: str | NodePath) -> None:
        """The path of the multiplayer root (``/root``; Godot's ``root_node``). Wire paths
        are relative to it. Only while no node is registered."""
        path = NodePath(path) if isinstance(path, str) else path
        if not path.is_absolute() or path.subnames:
            raise ValueError(f"root_path must be an absolute node path, not {path}")
        if self._nodes:
            raise RuntimeError("set root_path before registering nodes")
        self._root_path = path

    root_path = property(get_root_path, set_root_path)

    def set_root_node(self, node: Any) -> None:
        """Godot's ``set_root_node``: the root is that node's path (a ``Node``) or a path."""
        get_path = getattr(node, "get_path", None)
        self.set_root_path(get_path() if get_path is not None else node)

    def wire_path(self, path: str | NodePath) -> str:
        """The wire form of ``path``: absolute paths lose the ``root_path`` prefix, relative
        ones are relative to it already. ValueError for a path outside the root."""
        np = NodePath(path) if isinstance(path, str) else path
        if not isinstance(np, NodePath):
            raise TypeError(f"a node path is a str or NodePath, not {type(path).__name__}")
        if np.subnames:
            raise ValueError(f"node path {np} has subnames (':'), which name properties")
        names = np.names
        if np.is_absolute():
            root = self._root_path.names
            if names[:len(root)] != root or len(names) == len(root):
                raise ValueError(f"node path {np} is not under the root {self._root_path}")
            names = names[len(root):]
        if not names or any(n in (".", "..") for n in names):
            raise ValueError(f"bad node path {str(np)!r}")
        return "/".join(names)

    def absolute_path(self, wire: str) -> NodePath:
        """The absolute ``NodePath`` of a wire path (one relative to ``root_path``)."""
        return NodePath(f"{self._root_path}/{wire}")

    def add_node(self, node: object, path: str | NodePath) -> None:
        """Register ``node`` at ``path`` (``/root/Main/Lobby`` or ``Main/Lobby``). When another
        node is there (one ``queue_free()``'d this frame included), the newcomer is renamed
        as Godot 3's ``add_child`` renames it, ``@Lobby@2``, and a warning says so: RPCs to
        the path keep reaching the first node."""
        wire = self.wire_path(path)
        self._paths.pop(id(node), None)
        self._nodes = {k: v for k, v in self._nodes.items() if v is not node}
        if wire in self._nodes:
            parent, _, name = wire.rpartition("/")
            # Godot 3.2's Node::_validate_child_name: "@" + name + "@" + a process-wide count.
            renamed = f"{parent}/@{name}@{next(_RENAMES)}".lstrip("/")
            log.warning("%s: a node is already at %s; this one is %s (Godot renames the "
                        "newcomer; RPCs to %s still reach the first)", type(node).__name__,
                        self.absolute_path(wire), self.absolute_path(renamed),
                        self.absolute_path(wire))
            wire = renamed
        self._nodes[wire] = node
        self._paths[id(node)] = wire

    def remove_node(self, path: str | NodePath) -> None:
        """Unregister the node at ``path``; an error is logged when none is there."""
        node = self._nodes.pop(self.wire_path(path), None)
        if node is None:
            log.error("remove_node: nothing registered at %s", path)
            return
        self._paths.pop(id(node), None)

    def get_node(self, path: str | NodePath) -> Any:
        """The node registered at ``path``, or None."""
        try:
            return self._nodes.get(self.wire_path(path))
        except ValueError:
            return None

    def get_node_wire_path(self, node: object) -> str | None:
        """Where ``node`` is registered (wire form), None when it is not."""
        return self._paths.get(id(node))

    def nodes_under(self, wire: str) -> list[object]:
        """The node at ``wire`` and every registered node below it."""
        prefix = wire + "/"
        return [n for p, n in self._nodes.items() if p == wire or p.startswith(prefix)]

    def registered_nodes(self) -> list[object]:
        """Every registered node, in registration order."""
        return list(self._nodes.values())
