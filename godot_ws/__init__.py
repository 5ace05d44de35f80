"""godot_ws: Godot's WebSocket networking API for Python game loops.

Call ``client.poll()`` once per frame; it never blocks. See README.rst.

Logging: each module logs on its own logger under ``godot_ws`` (``godot_ws.client``,
``godot_ws.server`` ...). The package adds no handler, so without any logging set-up
warnings and errors (an exception in a signal handler, with its traceback; a refused RPC)
reach stderr through Python's last-resort handler, as Godot prints script errors. Configure
logging to format or redirect them (``logging.basicConfig(format="%(levelname)s %(name)s:
%(message)s")``); silence them with ``logging.getLogger("godot_ws").setLevel(logging.CRITICAL)``.
"""

from __future__ import annotations

from .core.deflate import DeflateOptions
from .godot3.client import WebSocketClient
from .core.constants import (
    TARGET_PEER_BROADCAST,
    TARGET_PEER_SERVER,
    ConnectionStatus,
    Error,
    TransferMode,
    WriteMode,
)
from .net.crypto import CryptoKey, X509Certificate
from .variant.types3 import (
    AABB,
    RID,
    Basis,
    Color,
    EncodedObjectAsID,
    GodotObject,
    NodePath,
    Plane,
    PoolByteArray,
    PoolColorArray,
    PoolIntArray,
    PoolRealArray,
    PoolStringArray,
    PoolVector2Array,
    PoolVector3Array,
    Quat,
    Rect2,
    Transform,
    Transform2D,
    VariantType,
    Vector2,
    Vector3,
)
from .godot3.multiplayer_peer import WebSocketMultiplayerPeer
from .godot3.peer import PacketPeer, WebSocketPeer
from .godot3.rpc import (
    NETWORK_COMMAND_CONFIRM_PATH,
    NETWORK_COMMAND_RAW,
    NETWORK_COMMAND_REMOTE_CALL,
    NETWORK_COMMAND_REMOTE_SET,
    NETWORK_COMMAND_SIMPLIFY_PATH,
    MultiplayerAPI,
    Node,
    RPCMode,
    SceneTree,
    master,
    mastersync,
    puppet,
    puppetsync,
    remote,
    remote_property,
    remotesync,
    slave,
    sync,
)
from .godot3.server import WebSocketServer
from .common.signals import (
    CONNECT_DEFERRED,
    CONNECT_ONESHOT,
    CONNECT_PERSIST,
    CONNECT_REFERENCE_COUNTED,
    Signal,
    SignalOwner,
    signal,
)
from .variant.codec import (
    VariantDecodeError,
    bytes2var,
    decode_var,
    decode_var_from,
    encode_var,
    var2bytes,
)

# Godot's global names, so ported GDScript reads the same: ``err == OK``, ``ERR_UNAVAILABLE``.
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
CONNECTION_DISCONNECTED = ConnectionStatus.CONNECTION_DISCONNECTED
CONNECTION_CONNECTING = ConnectionStatus.CONNECTION_CONNECTING
CONNECTION_CONNECTED = ConnectionStatus.CONNECTION_CONNECTED
TRANSFER_MODE_UNRELIABLE = TransferMode.TRANSFER_MODE_UNRELIABLE
TRANSFER_MODE_UNRELIABLE_ORDERED = TransferMode.TRANSFER_MODE_UNRELIABLE_ORDERED
TRANSFER_MODE_RELIABLE = TransferMode.TRANSFER_MODE_RELIABLE
WRITE_MODE_TEXT = WriteMode.WRITE_MODE_TEXT
WRITE_MODE_BINARY = WriteMode.WRITE_MODE_BINARY

__version__ = "0.1.0"

__all__ = [
    "DeflateOptions",
    "WebSocketClient",
    "WebSocketPeer",
    "PacketPeer",
    "X509Certificate",
    "CryptoKey",
    "WebSocketServer",
    "WebSocketMultiplayerPeer",
    "AABB",
    "RID",
    "Basis",
    "Color",
    "EncodedObjectAsID",
    "GodotObject",
    "NodePath",
    "Plane",
    "PoolByteArray",
    "PoolColorArray",
    "PoolIntArray",
    "PoolRealArray",
    "PoolStringArray",
    "PoolVector2Array",
    "PoolVector3Array",
    "Quat",
    "Rect2",
    "Transform",
    "Transform2D",
    "VariantType",
    "Vector2",
    "Vector3",
    "VariantDecodeError",
    "bytes2var",
    "decode_var",
    "decode_var_from",
    "encode_var",
    "var2bytes",
    "Signal",
    "SignalOwner",
    "signal",
    # Godot 3 high-level multiplayer (godot_ws.rpc)
    "MultiplayerAPI",
    "SceneTree",
    "Node",
    "RPCMode",
    "remote",
    "remotesync",
    "sync",
    "master",
    "mastersync",
    "puppet",
    "puppetsync",
    "slave",
    "remote_property",
    "NETWORK_COMMAND_REMOTE_CALL",
    "NETWORK_COMMAND_REMOTE_SET",
    "NETWORK_COMMAND_SIMPLIFY_PATH",
    "NETWORK_COMMAND_CONFIRM_PATH",
    "NETWORK_COMMAND_RAW",
    "Error",
    "ConnectionStatus",
    "TransferMode",
    "WriteMode",
    "TARGET_PEER_BROADCAST",
    "TARGET_PEER_SERVER",
    "CONNECT_DEFERRED",
    "CONNECT_PERSIST",
    "CONNECT_ONESHOT",
    "CONNECT_REFERENCE_COUNTED",
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
    "CONNECTION_DISCONNECTED",
    "CONNECTION_CONNECTING",
    "CONNECTION_CONNECTED",
    "TRANSFER_MODE_UNRELIABLE",
    "TRANSFER_MODE_UNRELIABLE_ORDERED",
    "TRANSFER_MODE_RELIABLE",
    "WRITE_MODE_TEXT",
    "WRITE_MODE_BINARY",
]

# No handler here, on purpose (DESIGN rule 7): with none configured, Python's last-resort
# handler prints WARNING and above to stderr, as Godot prints script errors; a program that
# configures logging (or adds a handler to the "godot_ws" logger) takes over.
