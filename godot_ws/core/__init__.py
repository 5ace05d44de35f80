"""The sans-IO core: RFC 6455 bytes in, packets, events and bytes out.

Owns the protocol state machine (``protocol.py`` with the receive side in ``receive.py``), the
frame encoder (``frames.py``), the opening-handshake bytes (``handshake.py``), inbound limits and
the packet queue (``inbound.py``), permessage-deflate (``deflate.py``), the control events
(``events.py``) and Godot's enums (``constants.py``). It imports no socket, ssl, select or time
and nothing else of this package above it: it is tested in memory and fuzzed.
"""
