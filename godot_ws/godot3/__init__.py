"""The Godot 3 face: ``WebSocketClient``, ``WebSocketServer``, ``WebSocketPeer``, the
``gd_mp_api`` multiplayer mode and its relay, and the Godot 3 RPC layer (``rpc/``).

Users import these names from ``godot_ws`` itself; this package holds their modules. It never
imports ``godot_ws.godot4`` (its sibling): what both use lives in ``common``, ``net``,
``variant`` and ``core``.
"""
