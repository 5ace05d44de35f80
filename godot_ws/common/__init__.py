"""What the Godot 3 and Godot 4 faces share, written once: ``Signal`` and Godot 3's
connect/emit style (``signals.py``), the ``PacketPeer`` base with ``put_var``/``get_var``
(``packet_peer.py``), the RPC decorator store with Godot's call checks (``rpc_registry.py``),
and argument checks in the caller's terms (``arguments.py``). Imports ``core``, ``net`` and
``variant``; never a face.
"""
