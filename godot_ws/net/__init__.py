"""The I/O layer: the only code that touches sockets, TLS and proxies.

Owns the non-blocking transport (``transport.py``: DNS off the game thread, connect, TLS steps,
reads until ``BlockingIOError``), one connection's pump per poll (``connection.py``), HTTP and
SOCKS proxies (``proxy.py``), TLS contexts built off the game thread (``tls.py``) and Godot's
crypto resources ``CryptoKey`` / ``X509Certificate`` (``crypto.py``). Imports only ``core``.
"""
