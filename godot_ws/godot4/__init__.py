"""godot_ws.godot4: Godot 4's networking API under Godot 4's names.

Owns nothing but re-exports: code outside this repository imports these names, so they are
fixed. The classes reuse the package's sans-IO core, connection and transport (a second face,
never a second protocol); the Variant codec is the shared walker with Godot 4's type table.
The top-level ``godot_ws`` keeps the Godot 3 API unchanged.

Sections (one per owner, so merges stay easy): global constants (``Error``/``OK``: Godot 4's
error_list.h has the same 49 values as 3.x), the Variant codec and value types, the
WebSocketPeer/TCP/TLS classes, the multiplayer classes.
"""

from __future__ import annotations

from ..core.constants import Error
from ..variant.types3 import (  # the value types Godot 4 kept as they were
    AABB,
    Basis,
    Color,
    EncodedObjectAsID,
    GodotObject,
    NodePath,
    Plane,
    Rect2,
    Transform2D,
    Vector2,
    Vector3,
)
from ..variant.types4 import (
    RID,
    Array,
    Callable,
    Dictionary,
    PackedByteArray,
    PackedColorArray,
    PackedFloat32Array,
    PackedFloat64Array,
    PackedInt32Array,
    PackedInt64Array,
    PackedStringArray,
    PackedVector2Array,
    PackedVector3Array,
    PackedVector4Array,
    Projection,
    Quaternion,
    Rect2i,
    Signal,
    StringName,
    Transform3D,
    VariantType,
    Vector2i,
    Vector3i,
    Vector4,
    Vector4i,
)
from ..variant.codec import (
    MAX_RECURSION_DEPTH,
    VariantDecodeError,
    bytes_to_var,
    bytes_to_var_with_objects,
    var_to_bytes,
    var_to_bytes_with_objects,
)

# ---- @GlobalScope Error (identical values in 3.x and 4.x: core/error/error_list.h)
OK = Error.OK
FAILED = Error.FAILED
ERR_UNAVAILABLE = Error.ERR_UNAVAILABLE
ERR_UNCONFIGURED = Error.ERR_UNCONFIGURED
ERR_UNAUTHORIZED = Error.ERR_UNAUTHORIZED
ERR_PARAMETER_RANGE_ERROR = Error.ERR_PARAMETER_RANGE_ERROR
ERR_OUT_OF_MEMORY = Error.ERR_OUT_OF_MEMORY
ERR_FILE_NOT_FOUND = Error.ERR_FILE_NOT_FOUND
ERR_FILE_BAD_DRIVE = Error.ERR_FILE_BAD_DRIVE
ERR_FILE_BAD_PATH = Error.ERR_FILE_BAD_PATH
ERR_FILE_NO_PERMISSION = Error.ERR_FILE_NO_PERMISSION
ERR_FILE_ALREADY_IN_USE = Error.ERR_FILE_ALREADY_IN_USE
ERR_FILE_CANT_OPEN = Error.ERR_FILE_CANT_OPEN
ERR_FILE_CANT_WRITE = Error.ERR_FILE_CANT_WRITE
ERR_FILE_CANT_READ = Error.ERR_FILE_CANT_READ
ERR_FILE_UNRECOGNIZED = Error.ERR_FILE_UNRECOGNIZED
ERR_FILE_CORRUPT = Error.ERR_FILE_CORRUPT
ERR_FILE_MISSING_DEPENDENCIES = Error.ERR_FILE_MISSING_DEPENDENCIES
ERR_FILE_EOF = Error.ERR_FILE_EOF
ERR_CANT_OPEN = Error.ERR_CANT_OPEN
ERR_CANT_CREATE = Error.ERR_CANT_CREATE
ERR_QUERY_FAILED = Error.ERR_QUERY_FAILED
ERR_ALREADY_IN_USE = Error.ERR_ALREADY_IN_USE
ERR_LOCKED = Error.ERR_LOCKED
ERR_TIMEOUT = Error.ERR_TIMEOUT
ERR_CANT_CONNECT = Error.ERR_CANT_CONNECT
ERR_CANT_RESOLVE = Error.ERR_CANT_RESOLVE
ERR_CONNECTION_ERROR = Error.ERR_CONNECTION_ERROR
ERR_CANT_ACQUIRE_RESOURCE = Error.ERR_CANT_ACQUIRE_RESOURCE
ERR_CANT_FORK = Error.ERR_CANT_FORK
ERR_INVALID_DATA = Error.ERR_INVALID_DATA
ERR_INVALID_PARAMETER = Error.ERR_INVALID_PARAMETER
ERR_ALREADY_EXISTS = Error.ERR_ALREADY_EXISTS
ERR_DOES_NOT_EXIST = Error.ERR_DOES_NOT_EXIST
ERR_DATABASE_CANT_READ = Error.ERR_DATABASE_CANT_READ
ERR_DATABASE_CANT_WRITE = Error.ERR_DATABASE_CANT_WRITE
ERR_COMPILATION_FAILED = Error.ERR_COMPILATION_FAILED
ERR_METHOD_NOT_FOUND = Error.ERR_METHOD_NOT_FOUND
ERR_LINK_FAILED = Error.ERR_LINK_FAILED
ERR_SCRIPT_FAILED = Error.ERR_SCRIPT_FAILED
ERR_CYCLIC_LINK = Error.ERR_CYCLIC_LINK
ERR_INVALID_DECLARATION = Error.ERR_INVALID_DECLARATION
ERR_DUPLICATE_SYMBOL = Error.ERR_DUPLICATE_SYMBOL
ERR_PARSE_ERROR = Error.ERR_PARSE_ERROR
ERR_BUSY = Error.ERR_BUSY
ERR_SKIP = Error.ERR_SKIP
ERR_HELP = Error.ERR_HELP
ERR_BUG = Error.ERR_BUG
ERR_PRINTER_ON_FIRE = Error.ERR_PRINTER_ON_FIRE

# ---- Variant codec and value types (variant4)
# @GlobalScope Variant.Type constants, for typed containers: Array([], TYPE_INT)
TYPE_NIL = VariantType.TYPE_NIL
TYPE_BOOL = VariantType.TYPE_BOOL
TYPE_INT = VariantType.TYPE_INT
TYPE_FLOAT = VariantType.TYPE_FLOAT
TYPE_STRING = VariantType.TYPE_STRING
TYPE_VECTOR2 = VariantType.TYPE_VECTOR2
TYPE_VECTOR2I = VariantType.TYPE_VECTOR2I
TYPE_RECT2 = VariantType.TYPE_RECT2
TYPE_RECT2I = VariantType.TYPE_RECT2I
TYPE_VECTOR3 = VariantType.TYPE_VECTOR3
TYPE_VECTOR3I = VariantType.TYPE_VECTOR3I
TYPE_TRANSFORM2D = VariantType.TYPE_TRANSFORM2D
TYPE_VECTOR4 = VariantType.TYPE_VECTOR4
TYPE_VECTOR4I = VariantType.TYPE_VECTOR4I
TYPE_PLANE = VariantType.TYPE_PLANE
TYPE_QUATERNION = VariantType.TYPE_QUATERNION
TYPE_AABB = VariantType.TYPE_AABB
TYPE_BASIS = VariantType.TYPE_BASIS
TYPE_TRANSFORM3D = VariantType.TYPE_TRANSFORM3D
TYPE_PROJECTION = VariantType.TYPE_PROJECTION
TYPE_COLOR = VariantType.TYPE_COLOR
TYPE_STRING_NAME = VariantType.TYPE_STRING_NAME
TYPE_NODE_PATH = VariantType.TYPE_NODE_PATH
TYPE_RID = VariantType.TYPE_RID
TYPE_OBJECT = VariantType.TYPE_OBJECT
TYPE_CALLABLE = VariantType.TYPE_CALLABLE
TYPE_SIGNAL = VariantType.TYPE_SIGNAL
TYPE_DICTIONARY = VariantType.TYPE_DICTIONARY
TYPE_ARRAY = VariantType.TYPE_ARRAY
TYPE_PACKED_BYTE_ARRAY = VariantType.TYPE_PACKED_BYTE_ARRAY
TYPE_PACKED_INT32_ARRAY = VariantType.TYPE_PACKED_INT32_ARRAY
TYPE_PACKED_INT64_ARRAY = VariantType.TYPE_PACKED_INT64_ARRAY
TYPE_PACKED_FLOAT32_ARRAY = VariantType.TYPE_PACKED_FLOAT32_ARRAY
TYPE_PACKED_FLOAT64_ARRAY = VariantType.TYPE_PACKED_FLOAT64_ARRAY
TYPE_PACKED_STRING_ARRAY = VariantType.TYPE_PACKED_STRING_ARRAY
TYPE_PACKED_VECTOR2_ARRAY = VariantType.TYPE_PACKED_VECTOR2_ARRAY
TYPE_PACKED_VECTOR3_ARRAY = VariantType.TYPE_PACKED_VECTOR3_ARRAY
TYPE_PACKED_COLOR_ARRAY = VariantType.TYPE_PACKED_COLOR_ARRAY
TYPE_PACKED_VECTOR4_ARRAY = VariantType.TYPE_PACKED_VECTOR4_ARRAY
TYPE_MAX = VariantType.TYPE_MAX

# ---- WebSocketPeer, TCPServer, StreamPeerTCP/TLS, TLSOptions, X509Certificate, CryptoKey (peer4)
from .streams import StreamPeer, StreamPeerTCP, StreamPeerTLS, TCPServer  # noqa: E402
from .tls import CryptoKey, TLSOptions, X509Certificate  # noqa: E402
from .websocket_peer import WebSocketPeer  # noqa: E402

# ---- WebSocketMultiplayerPeer, SceneMultiplayer (mp4)
from .multiplayer_peer import MultiplayerPeer, OfflineMultiplayerPeer  # noqa: E402
from .node import Node  # noqa: E402
from .rpc_config import RPCMode, rpc  # noqa: E402
from .scene_multiplayer import MultiplayerAPI, SceneMultiplayer  # noqa: E402
from .websocket_multiplayer_peer import WebSocketMultiplayerPeer  # noqa: E402

# ---- replication: MultiplayerSpawner, MultiplayerSynchronizer, SceneReplicationConfig (repl4)
from .replication_config import SceneReplicationConfig  # noqa: E402
from .spawner import MultiplayerSpawner  # noqa: E402
from .synchronizer import MultiplayerSynchronizer  # noqa: E402
# ---- GDScript's `signal name(args)` in a ported class; its emitter is godot_ws.Signal (the
# name Signal here is Godot 4's Variant value, kept for var_to_bytes)
from ..common.signals import signal  # noqa: E402

__all__ = [
    # @GlobalScope Error
    "Error",
    "OK",
    "FAILED",
    "ERR_UNAVAILABLE",
    "ERR_UNCONFIGURED",
    "ERR_UNAUTHORIZED",
    "ERR_PARAMETER_RANGE_ERROR",
    "ERR_OUT_OF_MEMORY",
    "ERR_FILE_NOT_FOUND",
    "ERR_FILE_BAD_DRIVE",
    "ERR_FILE_BAD_PATH",
    "ERR_FILE_NO_PERMISSION",
    "ERR_FILE_ALREADY_IN_USE",
    "ERR_FILE_CANT_OPEN",
    "ERR_FILE_CANT_WRITE",
    "ERR_FILE_CANT_READ",
    "ERR_FILE_UNRECOGNIZED",
    "ERR_FILE_CORRUPT",
    "ERR_FILE_MISSING_DEPENDENCIES",
    "ERR_FILE_EOF",
    "ERR_CANT_OPEN",
    "ERR_CANT_CREATE",
    "ERR_QUERY_FAILED",
    "ERR_ALREADY_IN_USE",
    "ERR_LOCKED",
    "ERR_TIMEOUT",
    "ERR_CANT_CONNECT",
    "ERR_CANT_RESOLVE",
    "ERR_CONNECTION_ERROR",
    "ERR_CANT_ACQUIRE_RESOURCE",
    "ERR_CANT_FORK",
    "ERR_INVALID_DATA",
    "ERR_INVALID_PARAMETER",
    "ERR_ALREADY_EXISTS",
    "ERR_DOES_NOT_EXIST",
    "ERR_DATABASE_CANT_READ",
    "ERR_DATABASE_CANT_WRITE",
    "ERR_COMPILATION_FAILED",
    "ERR_METHOD_NOT_FOUND",
    "ERR_LINK_FAILED",
    "ERR_SCRIPT_FAILED",
    "ERR_CYCLIC_LINK",
    "ERR_INVALID_DECLARATION",
    "ERR_DUPLICATE_SYMBOL",
    "ERR_PARSE_ERROR",
    "ERR_BUSY",
    "ERR_SKIP",
    "ERR_HELP",
    "ERR_BUG",
    "ERR_PRINTER_ON_FIRE",
    # Variant codec and value types (variant4)
    "AABB",
    "Basis",
    "Color",
    "EncodedObjectAsID",
    "GodotObject",
    "NodePath",
    "Plane",
    "Rect2",
    "Transform2D",
    "Vector2",
    "Vector3",
    "RID",
    "Array",
    "Callable",
    "Dictionary",
    "PackedByteArray",
    "PackedColorArray",
    "PackedFloat32Array",
    "PackedFloat64Array",
    "PackedInt32Array",
    "PackedInt64Array",
    "PackedStringArray",
    "PackedVector2Array",
    "PackedVector3Array",
    "PackedVector4Array",
    "Projection",
    "Quaternion",
    "Rect2i",
    "Signal",
    "StringName",
    "Transform3D",
    "VariantType",
    "Vector2i",
    "Vector3i",
    "Vector4",
    "Vector4i",
    "MAX_RECURSION_DEPTH",
    "VariantDecodeError",
    "bytes_to_var",
    "bytes_to_var_with_objects",
    "var_to_bytes",
    "var_to_bytes_with_objects",
    "TYPE_NIL",
    "TYPE_BOOL",
    "TYPE_INT",
    "TYPE_FLOAT",
    "TYPE_STRING",
    "TYPE_VECTOR2",
    "TYPE_VECTOR2I",
    "TYPE_RECT2",
    "TYPE_RECT2I",
    "TYPE_VECTOR3",
    "TYPE_VECTOR3I",
    "TYPE_TRANSFORM2D",
    "TYPE_VECTOR4",
    "TYPE_VECTOR4I",
    "TYPE_PLANE",
    "TYPE_QUATERNION",
    "TYPE_AABB",
    "TYPE_BASIS",
    "TYPE_TRANSFORM3D",
    "TYPE_PROJECTION",
    "TYPE_COLOR",
    "TYPE_STRING_NAME",
    "TYPE_NODE_PATH",
    "TYPE_RID",
    "TYPE_OBJECT",
    "TYPE_CALLABLE",
    "TYPE_SIGNAL",
    "TYPE_DICTIONARY",
    "TYPE_ARRAY",
    "TYPE_PACKED_BYTE_ARRAY",
    "TYPE_PACKED_INT32_ARRAY",
    "TYPE_PACKED_INT64_ARRAY",
    "TYPE_PACKED_FLOAT32_ARRAY",
    "TYPE_PACKED_FLOAT64_ARRAY",
    "TYPE_PACKED_STRING_ARRAY",
    "TYPE_PACKED_VECTOR2_ARRAY",
    "TYPE_PACKED_VECTOR3_ARRAY",
    "TYPE_PACKED_COLOR_ARRAY",
    "TYPE_PACKED_VECTOR4_ARRAY",
    "TYPE_MAX",
    # WebSocketPeer, TCP, TLS (peer4)
    "WebSocketPeer",
    "TCPServer",
    "StreamPeer",
    "StreamPeerTCP",
    "StreamPeerTLS",
    "TLSOptions",
    "X509Certificate",
    "CryptoKey",
    # multiplayer (mp4)
    "MultiplayerAPI",
    "MultiplayerPeer",
    "Node",
    "OfflineMultiplayerPeer",
    "RPCMode",
    "SceneMultiplayer",
    "WebSocketMultiplayerPeer",
    "rpc",
    # replication (repl4)
    "MultiplayerSpawner",
    "MultiplayerSynchronizer",
    "SceneReplicationConfig",
    # custom signals
    "signal",
]
