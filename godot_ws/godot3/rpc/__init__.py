"""Godot's high-level multiplayer (RPC) layers on top of a multiplayer peer.

Owns nothing but re-exports. Godot 3: ``MultiplayerAPI`` (multiplayer_api.py, the wire format
in codec3.py), ``SceneTree`` (scene_tree.py), ``Node`` (node.py), ``RPCMode`` and the mode
decorators (modes.py). Shared with the Godot 4 layer: the decorator/config registry
(modes.py: ``rpc_decorator``, ``method_config``, ``property_config``) and the dispatcher shape
(dispatcher.py: peer hook-up, node registry, poll loop, Godot's call checks).
"""

from __future__ import annotations

from .dispatcher import MultiplayerDispatcher
from .multiplayer_api import (
    NETWORK_COMMAND_CONFIRM_PATH,
    NETWORK_COMMAND_RAW,
    NETWORK_COMMAND_REMOTE_CALL,
    NETWORK_COMMAND_REMOTE_SET,
    NETWORK_COMMAND_SIMPLIFY_PATH,
    MultiplayerAPI,
)
from .modes import (
    RPCMode,
    master,
    mastersync,
    puppet,
    puppetsync,
    remote,
    remote_property,
    remotesync,
    rpc_decorator,
    slave,
    sync,
)
from .node import Node
from .scene_tree import SceneTree

__all__ = [
    "MultiplayerAPI",
    "MultiplayerDispatcher",
    "NETWORK_COMMAND_CONFIRM_PATH",
    "NETWORK_COMMAND_RAW",
    "NETWORK_COMMAND_REMOTE_CALL",
    "NETWORK_COMMAND_REMOTE_SET",
    "NETWORK_COMMAND_SIMPLIFY_PATH",
    "Node",
    "RPCMode",
    "SceneTree",
    "master",
    "mastersync",
    "puppet",
    "puppetsync",
    "remote",
    "remote_property",
    "remotesync",
    "rpc_decorator",
    "slave",
    "sync",
]
