"""Benchmark harness for godot_ws: ``python -m bench``.

Owns the benchmark servers (run in a separate process), one client adapter per library
(godot_ws, websocket-client, websockets' sync client, wsproto over a plain socket, and a
hand-written "raw floor"), and the runner that prints medians, ratios and target verdicts.
It imports godot_ws only through its public API and never edits it.
"""
