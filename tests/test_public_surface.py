"""The public surface users import: every name here must stay importable from its module.

Pinned from the package before the layout change (issue 20). Names may be added to a module's
``__all__`` freely; removing or moving one out of these modules breaks users, so this test fails.
The module paths are the ones README and the docs show (``godot_ws.variant`` and
``godot_ws.godot_types`` are kept as thin re-exports of the variant package).
"""

from __future__ import annotations

import importlib

import pytest

PINNED: dict[str, list[str]] = {
    "godot_ws": [
        "AABB", "Basis", "CONNECTION_CONNECTED", "CONNECTION_CONNECTING",
        "CONNECTION_DISCONNECTED", "CONNECT_DEFERRED", "CONNECT_ONESHOT", "CONNECT_PERSIST",
        "CONNECT_REFERENCE_COUNTED", "Color", "ConnectionStatus", "CryptoKey", "DeflateOptions",
        "ERR_ALREADY_EXISTS", "ERR_ALREADY_IN_USE", "ERR_BUG", "ERR_BUSY",
        "ERR_CANT_ACQUIRE_RESOURCE", "ERR_CANT_CONNECT", "ERR_CANT_CREATE", "ERR_CANT_FORK",
        "ERR_CANT_OPEN", "ERR_CANT_RESOLVE", "ERR_COMPILATION_FAILED", "ERR_CONNECTION_ERROR",
        "ERR_CYCLIC_LINK", "ERR_DATABASE_CANT_READ", "ERR_DATABASE_CANT_WRITE",
        "ERR_DOES_NOT_EXIST", "ERR_DUPLICATE_SYMBOL", "ERR_FILE_ALREADY_IN_USE",
        "ERR_FILE_BAD_DRIVE", "ERR_FILE_BAD_PATH", "ERR_FILE_CANT_OPEN", "ERR_FILE_CANT_READ",
        "ERR_FILE_CANT_WRITE", "ERR_FILE_CORRUPT", "ERR_FILE_EOF", "ERR_FILE_MISSING_DEPENDENCIES",
        "ERR_FILE_NOT_FOUND", "ERR_FILE_NO_PERMISSION", "ERR_FILE_UNRECOGNIZED", "ERR_HELP",
        "ERR_INVALID_DATA", "ERR_INVALID_DECLARATION", "ERR_INVALID_PARAMETER", "ERR_LINK_FAILED",
        "ERR_LOCKED", "ERR_METHOD_NOT_FOUND", "ERR_OUT_OF_MEMORY", "ERR_PARAMETER_RANGE_ERROR",
        "ERR_PARSE_ERROR", "ERR_PRINTER_ON_FIRE", "ERR_QUERY_FAILED", "ERR_SCRIPT_FAILED",
        "ERR_SKIP", "ERR_TIMEOUT", "ERR_UNAUTHORIZED", "ERR_UNAVAILABLE", "ERR_UNCONFIGURED",
        "EncodedObjectAsID", "Error", "FAILED", "GodotObject", "MultiplayerAPI",
        "NETWORK_COMMAND_CONFIRM_PATH", "NETWORK_COMMAND_RAW", "NETWORK_COMMAND_REMOTE_CALL",
        "NETWORK_COMMAND_REMOTE_SET", "NETWORK_COMMAND_SIMPLIFY_PATH", "Node", "NodePath", "OK",
        "PacketPeer", "Plane", "PoolByteArray", "PoolColorArray", "PoolIntArray", "PoolRealArray",
        "PoolStringArray", "PoolVector2Array", "PoolVector3Array", "Quat", "RID", "RPCMode",
        "Rect2", "SceneTree", "Signal", "SignalOwner", "TARGET_PEER_BROADCAST",
        "TARGET_PEER_SERVER", "TRANSFER_MODE_RELIABLE", "TRANSFER_MODE_UNRELIABLE",
        "TRANSFER_MODE_UNRELIABLE_ORDERED", "TransferMode", "Transform", "Transform2D",
        "VariantDecodeError", "VariantType", "Vector2", "Vector3", "WRITE_MODE_BINARY",
        "WRITE_MODE_TEXT", "WebSocketClient", "WebSocketMultiplayerPeer", "WebSocketPeer",
        "WebSocketServer", "WriteMode", "X509Certificate", "bytes2var", "decode_var",
        "decode_var_from", "encode_var", "master", "mastersync", "puppet", "puppetsync", "remote",
        "remote_property", "remotesync", "slave", "sync", "var2bytes",
    ],
    "godot_ws.godot4": [
        "AABB", "Array", "Basis", "Callable", "Color", "CryptoKey", "Dictionary",
        "ERR_ALREADY_EXISTS", "ERR_ALREADY_IN_USE", "ERR_BUG", "ERR_BUSY",
        "ERR_CANT_ACQUIRE_RESOURCE", "ERR_CANT_CONNECT", "ERR_CANT_CREATE", "ERR_CANT_FORK",
        "ERR_CANT_OPEN", "ERR_CANT_RESOLVE", "ERR_COMPILATION_FAILED", "ERR_CONNECTION_ERROR",
        "ERR_CYCLIC_LINK", "ERR_DATABASE_CANT_READ", "ERR_DATABASE_CANT_WRITE",
        "ERR_DOES_NOT_EXIST", "ERR_DUPLICATE_SYMBOL", "ERR_FILE_ALREADY_IN_USE",
        "ERR_FILE_BAD_DRIVE", "ERR_FILE_BAD_PATH", "ERR_FILE_CANT_OPEN", "ERR_FILE_CANT_READ",
        "ERR_FILE_CANT_WRITE", "ERR_FILE_CORRUPT", "ERR_FILE_EOF", "ERR_FILE_MISSING_DEPENDENCIES",
        "ERR_FILE_NOT_FOUND", "ERR_FILE_NO_PERMISSION", "ERR_FILE_UNRECOGNIZED", "ERR_HELP",
        "ERR_INVALID_DATA", "ERR_INVALID_DECLARATION", "ERR_INVALID_PARAMETER", "ERR_LINK_FAILED",
        "ERR_LOCKED", "ERR_METHOD_NOT_FOUND", "ERR_OUT_OF_MEMORY", "ERR_PARAMETER_RANGE_ERROR",
        "ERR_PARSE_ERROR", "ERR_PRINTER_ON_FIRE", "ERR_QUERY_FAILED", "ERR_SCRIPT_FAILED",
        "ERR_SKIP", "ERR_TIMEOUT", "ERR_UNAUTHORIZED", "ERR_UNAVAILABLE", "ERR_UNCONFIGURED",
        "EncodedObjectAsID", "Error", "FAILED", "GodotObject", "MAX_RECURSION_DEPTH",
        "MultiplayerAPI", "MultiplayerPeer", "MultiplayerSpawner", "MultiplayerSynchronizer",
        "Node", "NodePath", "OK", "OfflineMultiplayerPeer",
        "PackedByteArray", "PackedColorArray", "PackedFloat32Array", "PackedFloat64Array",
        "PackedInt32Array", "PackedInt64Array", "PackedStringArray", "PackedVector2Array",
        "PackedVector3Array", "PackedVector4Array", "Plane", "Projection", "Quaternion", "RID",
        "RPCMode", "Rect2", "Rect2i", "SceneMultiplayer", "SceneReplicationConfig", "Signal", "StreamPeer", "StreamPeerTCP",
        "StreamPeerTLS", "StringName", "TCPServer", "TLSOptions", "TYPE_AABB", "TYPE_ARRAY",
        "TYPE_BASIS", "TYPE_BOOL", "TYPE_CALLABLE", "TYPE_COLOR", "TYPE_DICTIONARY", "TYPE_FLOAT",
        "TYPE_INT", "TYPE_MAX", "TYPE_NIL", "TYPE_NODE_PATH", "TYPE_OBJECT",
        "TYPE_PACKED_BYTE_ARRAY", "TYPE_PACKED_COLOR_ARRAY", "TYPE_PACKED_FLOAT32_ARRAY",
        "TYPE_PACKED_FLOAT64_ARRAY", "TYPE_PACKED_INT32_ARRAY", "TYPE_PACKED_INT64_ARRAY",
        "TYPE_PACKED_STRING_ARRAY", "TYPE_PACKED_VECTOR2_ARRAY", "TYPE_PACKED_VECTOR3_ARRAY",
        "TYPE_PACKED_VECTOR4_ARRAY", "TYPE_PLANE", "TYPE_PROJECTION", "TYPE_QUATERNION",
        "TYPE_RECT2", "TYPE_RECT2I", "TYPE_RID", "TYPE_SIGNAL", "TYPE_STRING", "TYPE_STRING_NAME",
        "TYPE_TRANSFORM2D", "TYPE_TRANSFORM3D", "TYPE_VECTOR2", "TYPE_VECTOR2I", "TYPE_VECTOR3",
        "TYPE_VECTOR3I", "TYPE_VECTOR4", "TYPE_VECTOR4I", "Transform2D", "Transform3D",
        "VariantDecodeError", "VariantType", "Vector2", "Vector2i", "Vector3", "Vector3i",
        "Vector4", "Vector4i", "WebSocketMultiplayerPeer", "WebSocketPeer", "X509Certificate",
        "bytes_to_var", "bytes_to_var_with_objects", "rpc", "var_to_bytes",
        "var_to_bytes_with_objects",
    ],
    "godot_ws.reconnect": [
        "Reconnector",
    ],
    "godot_ws.godot_types": [
        "AABB", "Basis", "Color", "EncodedObjectAsID", "GodotObject", "NodePath", "Plane",
        "PoolByteArray", "PoolColorArray", "PoolIntArray", "PoolRealArray", "PoolStringArray",
        "PoolVector2Array", "PoolVector3Array", "Quat", "RID", "Rect2", "Transform", "Transform2D",
        "VariantType", "Vector2", "Vector3",
    ],
    "godot_ws.variant": [
        "MAX_RECURSION_DEPTH", "VariantDecodeError", "bytes2var", "bytes_to_var",
        "bytes_to_var_with_objects", "decode_var", "decode_var_from", "encode_var", "var2bytes",
        "var_to_bytes", "var_to_bytes_with_objects",
    ],
}

# Logger names README documents, so a program can silence or redirect them.
LOGGERS = ["godot_ws.client", "godot_ws.server", "godot_ws.rpc.multiplayer_api", "godot_ws.peer",
           "godot_ws.godot4.multiplayer"]


@pytest.mark.parametrize("module", sorted(PINNED))
def test_pinned_names_are_still_exported(module: str) -> None:
    mod = importlib.import_module(module)
    exported = set(getattr(mod, "__all__", dir(mod)))
    missing = [name for name in PINNED[module] if name not in exported or not hasattr(mod, name)]
    assert not missing, f"{module} no longer exports {missing}: users import these"


@pytest.mark.parametrize("module", sorted(PINNED))
def test_every_exported_name_resolves(module: str) -> None:
    mod = importlib.import_module(module)
    broken = [name for name in getattr(mod, "__all__", []) if not hasattr(mod, name)]
    assert not broken, f"{module}.__all__ names what it does not define: {broken}"


def test_the_documented_names_are_the_same_objects_everywhere() -> None:
    import godot_ws
    import godot_ws.godot_types
    import godot_ws.variant

    for name in godot_ws.godot_types.__all__:
        assert getattr(godot_ws.godot_types, name) is getattr(godot_ws, name), name
    assert godot_ws.variant.var2bytes is godot_ws.var2bytes
    assert godot_ws.variant.bytes2var is godot_ws.bytes2var


def test_documented_loggers_are_the_ones_modules_use() -> None:
    import logging

    import godot_ws.godot4  # noqa: F401 - creates every module's logger

    known = set(logging.Logger.manager.loggerDict)
    assert set(LOGGERS) <= known, sorted(set(LOGGERS) - known)
