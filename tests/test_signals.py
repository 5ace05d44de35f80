"""Signal and the Godot 3 object-level signal API."""

from __future__ import annotations

import logging
from typing import Any

from godot_ws import CONNECT_ONESHOT, CONNECT_REFERENCE_COUNTED, OK, Signal, SignalOwner
from godot_ws.core.constants import Error


class Owner(SignalOwner):
    def __init__(self) -> None:
        self.hit = Signal("hit")


def test_emit_in_order_with_binds() -> None:
    sig = Signal("s")
    calls: list[Any] = []
    assert sig.connect(lambda *a: calls.append(("a", *a))) == OK
    assert sig.connect(lambda *a: calls.append(("b", *a)), binds=[9]) == OK
    sig.emit(1)
    assert calls == [("a", 1), ("b", 1, 9)]


def test_duplicate_connect_and_disconnect() -> None:
    sig = Signal("s")
    calls: list[int] = []
    assert sig.connect(calls.append) == OK
    assert sig.connect(calls.append) == Error.ERR_INVALID_PARAMETER
    assert sig.is_connected(calls.append)
    sig.disconnect(calls.append)
    assert not sig.is_connected(calls.append) and not sig
    sig.emit(1)
    assert calls == []


def test_oneshot_and_reference_counted() -> None:
    sig = Signal("s")
    calls: list[int] = []
    sig.connect(calls.append, flags=CONNECT_ONESHOT)
    sig.emit(1)
    sig.emit(2)
    assert calls == [1]
    sig.connect(calls.append, flags=CONNECT_REFERENCE_COUNTED)
    sig.connect(calls.append, flags=CONNECT_REFERENCE_COUNTED)
    sig.disconnect(calls.append)
    assert sig.is_connected(calls.append)
    sig.disconnect(calls.append)
    assert not sig.is_connected(calls.append)


def test_a_failing_handler_is_logged_and_the_rest_still_run(caplog: Any) -> None:
    sig = Signal("s")
    calls: list[int] = []
    sig.connect(lambda x: 1 / 0)
    sig.connect(calls.append)
    with caplog.at_level(logging.ERROR, "godot_ws"):
        sig.emit(5)
    assert calls == [5]
    assert "ZeroDivisionError" in caplog.text


def test_handler_may_disconnect_during_emit() -> None:
    sig = Signal("s")
    calls: list[str] = []

    def first() -> None:
        calls.append("first")
        sig.disconnect(first)

    sig.connect(first)
    sig.connect(lambda: calls.append("second"))
    sig.emit()
    sig.emit()
    assert calls == ["first", "second", "second"]


def test_object_api_godot3_and_godot4() -> None:
    class Target:
        def __init__(self) -> None:
            self.got: list[Any] = []

        def on_hit(self, *args: Any) -> None:
            self.got.append(args)

    owner, target = Owner(), Target()
    assert owner.connect("hit", target, "on_hit", [7]) == OK
    assert owner.connect("hit", target.on_hit) == Error.ERR_INVALID_PARAMETER  # same callable
    assert owner.connect("nope", target, "on_hit") == Error.ERR_INVALID_PARAMETER
    assert owner.has_signal("hit") and not owner.has_signal("nope")
    owner.emit_signal("hit", 1)
    assert target.got == [(1, 7)]
    owner.disconnect("hit", target, "on_hit")
    assert not owner.is_connected("hit", target, "on_hit")
    calls: list[int] = []
    assert owner.connect("hit", calls.append, CONNECT_ONESHOT) == OK  # Godot 4 argument order
    owner.emit_signal("hit", 3)
    owner.emit_signal("hit", 4)
    assert calls == [3]


def test_signal_declares_a_custom_signal_per_instance() -> None:
    """GDScript's ``signal player_connected(peer_id, info)`` ports as a class attribute, from
    either face; each instance has its own emitter, and Godot 3's by-name calls find it."""
    from godot_ws import Node, SceneTree
    from godot_ws import signal as signal3
    from godot_ws.godot4 import Signal as SignalValue
    from godot_ws.godot4 import signal

    assert signal is signal3
    assert SignalValue(5, "x").get_name() == "x"  # the Variant value keeps its name

    class Lobby(Node):
        player_connected = signal("peer_id", "info")

    tree = SceneTree()
    a, b = Lobby(tree, "/root/A"), Lobby(tree, "/root/B")
    assert isinstance(a.player_connected, Signal) and a.player_connected is a.player_connected
    assert a.player_connected is not b.player_connected
    assert Lobby.player_connected.arg_names == ("peer_id", "info")
    got: list[tuple[str, int, str]] = []
    a.player_connected.connect(lambda peer_id, info: got.append(("a", peer_id, info)))
    b.connect("player_connected", lambda peer_id, info: got.append(("b", peer_id, info)))
    a.player_connected.emit(7, "Ada")
    b.emit_signal("player_connected", 8, "Bo")
    assert got == [("a", 7, "Ada"), ("b", 8, "Bo")]
    assert a.has_signal("player_connected") and not a.has_signal("nothing")
