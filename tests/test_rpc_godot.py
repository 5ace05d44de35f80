"""The Godot 3 RPC layer against real Godot 3.2.3 (tests/godot/rpc_peer.gd + rpc_node.gd),
both ways: a Godot host with Python clients, and a Python host with Godot clients.

Each test drives both sides through the same node (/root/Main/Game): Python calls Godot's
methods directly, and makes Godot send by calling its ``cmd`` RPC. Godot prints one CALL/SET
line per call it runs (with ``get_rpc_sender_id()``) and its own ERROR line for a refused call;
the Python twin (tests/rpc_support.py RpcGame) records the same. What a peer must NOT run is
checked after a later call from the same sender has arrived (packets are handled in order).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from rpc_support import FULL, Player, calls_in, pump, target_of, wait_line

from godot_ws import PoolByteArray

pytestmark = pytest.mark.godot
GodotFactory = Callable[..., Any]


def _call_line(method: str, sender: int, args: str) -> str:
    return rf"^CALL {method} from={sender} me=-?\d+ {re.escape(args)}$"


def _refused(what: str, name: str, sender: int, mode: int, master: int = 1) -> str:
    return (rf"{what} '{name}' is not allowed on node /root/Main/Game from: {sender}\. "
            rf"Mode is {mode}, master is {master}\.")


def test_godot_host_python_clients(godot_process_factory: GodotFactory,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="godot_ws.rpc")
    godot = godot_process_factory("rpc_peer.gd", "role=host")
    p1 = Player.join(godot.url)
    pump([p1], lambda: p1.tree.get_network_connected_peers() == [1], what="p1 joins")
    p2 = Player.join(godot.url)
    players = [p1, p2]
    pump(players, lambda: len(p1.tree.get_network_connected_peers()) == 2
         and len(p2.tree.get_network_connected_peers()) == 2, what="both clients see all")
    a, b = p1.id, p2.id
    g1 = p1.game

    # --- the host's first calls to p1 cross our CONFIRM_PATH: Godot sends SIMPLIFY_PATH and two
    # full-path calls in one frame; we confirm after the first, the second is still full-path.
    g1.rpc_id(1, "cmd", "burst", [["rpc_id", [a, "r_remote", 50, "x"]],
                                  ["rpc_id", [a, "r_remote", 51, "y"]]])
    pump(players, lambda: len(g1.called("r_remote")) == 2, what="burst from Godot")
    assert g1.called("r_remote") == [(1, (50, "x")), (1, (51, "y"))]
    from_host = [d for s, d in p1.received if s == 1 and d[:1] != b"\3"]
    assert from_host[0][:1] == b"\2" and from_host[0][5:] == b"Main/Game\0"  # SIMPLIFY_PATH
    assert from_host[1:3] == [d for _, d in calls_in(p1.received, "r_remote")]
    assert [target_of(d) & FULL for _, d in calls_in(p1.received, "r_remote")] == [FULL, FULL]
    assert (1, b"\3Main/Game\0") in p1.sent  # our CONFIRM_PATH
    g1.rpc_id(1, "cmd", "rpc_id", [a, "r_remote", 52, "z"])
    pump(players, lambda: len(g1.called("r_remote")) == 3, what="cached call from Godot")
    assert target_of(calls_in(p1.received, "r_remote")[-1][1]) == target_of(from_host[0])

    # --- every mode, rpc() from p1 (client, not master) to the host and p2 -------------------
    g1.rpc("r_remote", 1, "a")  # our first send: SIMPLIFY_PATH, then full-path forms
    g1.rpc("r_remote", 2, "b")  # before any CONFIRM_PATH: full-path again
    # the host has our path already (from the cmd calls): cached form to it; p2 gets
    # SIMPLIFY_PATH and then the full-path form, twice, as no CONFIRM_PATH came back yet
    first = p1.sent[-5:]
    assert [(t, d[:1]) for t, d in first] == [(b, b"\2"), (1, b"\0"), (b, b"\0"), (1, b"\0"),
                                              (b, b"\0")]
    assert [target_of(d) for _, d in first[1:]] == [1, FULL | len(first[1][1])] * 2
    for mode_call in ("r_remotesync", "r_sync", "r_master", "r_mastersync", "r_puppet",
                      "r_slave", "r_puppetsync", "r_disabled"):
        g1.rpc(mode_call, mode_call)
    g1.rset("r_var", 10)
    g1.rset("p_var", 11)
    g1.rset("rs_var", 12)
    g1.rpc("r_remote", 3, "end")
    for line in (
        _call_line("r_remote", a, '[ 1, "a" ]'),
        _call_line("r_remote", a, '[ 2, "b" ]'),
        _call_line("r_remotesync", a, '[ "r_remotesync" ]'),
        _call_line("r_sync", a, '[ "r_sync" ]'),
        _call_line("r_master", a, '[ "r_master" ]'),
        _call_line("r_mastersync", a, '[ "r_mastersync" ]'),
        _refused("RPC", "r_puppet", a, 3),
        _refused("RPC", "r_slave", a, 3),
        _refused("RPC", "r_puppetsync", a, 6),
        _refused("RPC", "r_disabled", a, 0),
        rf"^SET r_var from={a} 10$",
        _refused("RSET", "p_var", a, 3),
        rf"^SET rs_var from={a} 12$",
        _call_line("r_remote", a, '[ 3, "end" ]'),
    ):
        wait_line(players, godot, line)
    # locally on p1 (sender = our own id): the sync modes, and puppet ones (we are a puppet)
    pump(players, lambda: (a, (3, "end")) in p2.game.called("r_remote"), what="p2 gets all")
    assert [m for m, s, _ in g1.calls if s == a] == [
        "r_remotesync", "r_sync", "r_mastersync", "r_puppet", "r_slave", "r_puppetsync"]
    assert g1.rs_var == 12 and g1.r_var == 0
    # p2: remote and sync modes run; master/puppet ones from a non-master are refused
    assert [m for m, s, _ in p2.game.calls if s == a] == [
        "r_remote", "r_remote", "r_remotesync", "r_sync", "r_remote"]
    assert (p2.game.r_var, p2.game.p_var, p2.game.rs_var) == (10, 0, 12)
    refusals = caplog.text
    assert re.search(_refused("RPC", "r_master", a, 2), refusals)
    assert re.search(_refused("RPC", "r_puppet", a, 3), refusals)
    assert re.search(_refused("RSET", "p_var", a, 3), refusals)
    # once the host and p2 confirmed the path, one broadcast packet in the cached form
    pump(players, lambda: all(p1.tree._send_cache["Main/Game"].confirmed.values()))
    before = len(p1.sent)
    g1.rpc("r_remote", 4, "cached")
    assert p1.sent[before:] == [(0, p1.sent[before][1])]
    assert target_of(p1.sent[before][1]) == 1  # our cache id for Main/Game

    # --- the host's calls (via cmd): master 1 calls puppets, -N and N targets, rset ----------
    g1.rpc_id(1, "cmd", "burst", [
        ["rpc", ["r_puppet", 20]],                 # host is master: sent, not run locally
        ["rpc", ["r_master", 21]],                 # host is master: runs only locally
        ["rpc_id", [b, "r_remote", 22, "to p2"]],
        ["rpc_id", [-a, "r_remote", 23, "not p1"]],
        ["rset", ["p_var", 24]],
        ["rpc_unreliable", ["r_puppetsync", 25]],
        ["rpc_unreliable_id", [a, "r_remote", 26, "to p1"]],
        ["rset_id", [b, "r_var", 27]],
        ["rpc_id", [a, "r_master", 28]],           # refused by p1: it is not the master
        ["send_bytes", [PoolByteArray(b"\x01\x02"), a]],
        ["rpc", ["r_remote", 29, "end"]],
    ])
    raw: list[tuple[int, bytes, int]] = []
    p1.tree.network_peer_packet.connect(
        lambda sender, data: raw.append((sender, data, p1.tree.get_rpc_sender_id())))
    pump(players, lambda: (1, (29, "end")) in g1.called("r_remote")
         and (1, (29, "end")) in p2.game.called("r_remote"), what="host burst")
    wait_line(players, godot, _call_line("r_master", 1, "[ 21 ]"))
    wait_line(players, godot, _call_line("r_puppetsync", 1, "[ 25 ]"))
    assert g1.called("r_puppet")[-1] == (1, (20,)) and p2.game.called("r_puppet") == [(1, (20,))]
    assert not g1.called("r_master") and not p2.game.called("r_master")
    assert [x for x in p2.game.called("r_remote") if x[0] == 1] == [
        (1, (22, "to p2")), (1, (23, "not p1")), (1, (29, "end"))]
    assert [x for x in g1.called("r_remote") if x[1][0] in (22, 23, 26)] == [(1, (26, "to p1"))]
    assert g1.p_var == 24 and p2.game.p_var == 24 and p2.game.r_var == 27 and g1.r_var == 0
    assert g1.called("r_puppetsync")[-1] == (1, (25,))
    assert raw == [(1, b"\x01\x02", 1)]
    assert re.search(_refused("RPC", "r_master", 1, 2), caplog.text)

    # --- relayed client-to-client calls keep the original sender ----------------------------
    p2.game.rpc_id(a, "r_remote", 40, "relay")
    g1.rpc_id(-b, "r_remote", 41, "host only")
    g1.rpc_id(b, "r_remote", 42, "to p2")
    pump(players, lambda: (b, (40, "relay")) in g1.called("r_remote")
         and (a, (42, "to p2")) in p2.game.called("r_remote"), what="relayed calls")
    wait_line(players, godot, _call_line("r_remote", a, '[ 41, "host only" ]'))
    assert (a, (41, "host only")) not in p2.game.called("r_remote")
    assert p1.tree.send_bytes(b"hey", 1) == 0
    wait_line(players, godot, rf"^RAW {a} 686579$")
    assert "Traceback" not in godot.output()


def test_python_host_godot_clients(godot_process_factory: GodotFactory,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="godot_ws.rpc")
    host = Player.host()
    godot = godot_process_factory("rpc_peer.gd", "role=client", f"url={host.url}")
    m = wait_line([host], godot, r"^CONNECTED (\d+)$")
    g = int(m.group(1))
    py = Player.join(host.url)
    players = [host, py]
    pump(players, lambda: len(host.tree.get_network_connected_peers()) == 2
         and len(py.tree.get_network_connected_peers()) == 2, what="everyone joined")
    c = py.id
    wait_line(players, godot, rf"^PEER_CONNECTED {c}$")
    hg = host.game

    # --- our first calls to the Godot client: SIMPLIFY_PATH, then two full-path calls -------
    hg.rpc_id(g, "r_puppet", 1)
    hg.rpc_id(g, "r_puppet", 2)
    assert [d[:1] for t, d in host.sent] == [b"\2", b"\0", b"\0"]
    assert [target_of(d) & FULL for _, d in host.sent[1:]] == [FULL, FULL]
    wait_line(players, godot, _call_line("r_puppet", 1, "[ 1 ]"))
    wait_line(players, godot, _call_line("r_puppet", 1, "[ 2 ]"))
    pump(players, lambda: host.tree._send_cache["Main/Game"].confirmed.get(g) is True,
         what="Godot confirms our path")
    hg.rpc_id(g, "r_puppet", 3)
    assert target_of(host.sent[-1][1]) == 1  # cached form now
    wait_line(players, godot, _call_line("r_puppet", 1, "[ 3 ]"))

    # --- the Godot client's first calls to us cross our CONFIRM_PATH ------------------------
    hg.rpc_id(g, "cmd", "burst", [["rpc_id", [1, "r_remote", 10, "a"]],
                                  ["rpc_id", [1, "r_remote", 11, "b"]]])
    pump(players, lambda: len(hg.called("r_remote")) == 2, what="burst from Godot client")
    assert hg.called("r_remote") == [(g, (10, "a")), (g, (11, "b"))]
    assert [target_of(d) & FULL for _, d in calls_in(host.received, "r_remote")] == [FULL, FULL]
    assert (g, b"\3Main/Game\0") in host.sent

    # --- every mode from the Godot client (rpc() to us and, relayed, to the Python client) ---
    modes = ("r_remotesync", "r_sync", "r_master", "r_mastersync", "r_puppet", "r_slave",
             "r_puppetsync", "r_disabled")
    hg.rpc_id(g, "cmd", "burst", [["rpc", [name, name]] for name in modes] + [
        ["rset", ["r_var", 5]], ["rset", ["p_var", 6]], ["rset", ["rs_var", 7]],
        ["rpc_id", [c, "r_remote", 12, "relayed"]],
        ["send_bytes", [PoolByteArray(b"\x09"), 1]],
        ["rpc", ["r_remote", 13, "end"]],
    ])
    raw: list[tuple[int, bytes, int]] = []
    host.tree.network_peer_packet.connect(
        lambda sender, data: raw.append((sender, data, host.tree.get_rpc_sender_id())))
    pump(players, lambda: (g, (13, "end")) in hg.called("r_remote")
         and (g, (13, "end")) in py.game.called("r_remote"), what="Godot client's calls")
    assert [m for m, s, _ in hg.calls if s == g][2:] == [
        "r_remotesync", "r_sync", "r_master", "r_mastersync", "r_remote"]
    assert (hg.r_var, hg.p_var, hg.rs_var) == (5, 0, 7)
    assert [m for m, s, a in py.game.calls if s == g] == [
        "r_remotesync", "r_sync", "r_remote", "r_remote"]
    assert py.game.called("r_remote")[0] == (g, (12, "relayed"))
    assert (py.game.r_var, py.game.p_var, py.game.rs_var) == (5, 0, 7)
    for what, name, mode in (("RPC", "r_puppet", 3), ("RPC", "r_slave", 3),
                             ("RPC", "r_puppetsync", 6), ("RPC", "r_disabled", 0),
                             ("RSET", "p_var", 3)):
        assert re.search(_refused(what, name, g, mode), caplog.text), name
    assert raw == [(g, b"\x09", g)]
    for name in ("r_remotesync", "r_sync", "r_mastersync", "r_puppet", "r_slave",
                 "r_puppetsync"):  # run on the Godot client itself, sender = its own id
        wait_line(players, godot, _call_line(name, g, f'[ "{name}" ]'))

    # --- the Python host's calls: master 1 to its puppets, -N, rset, a refused master call ---
    hg.rpc("r_puppet", 20)
    hg.rpc("r_master", 21)  # we are the master: runs here only
    hg.rpc_id(-c, "r_remote", 22, "not py")
    hg.rset("p_var", 23)
    hg.rpc_id(g, "r_master", 24)  # Godot refuses: it is not the master
    hg.rpc_unreliable_id(g, "r_remote", 25, "end")
    assert hg.called("r_master") == [(g, ("r_master",)), (1, (21,))]
    wait_line(players, godot, _call_line("r_puppet", 1, "[ 20 ]"))
    wait_line(players, godot, _call_line("r_remote", 1, '[ 22, "not py" ]'))
    wait_line(players, godot, r"^SET p_var from=1 23$")
    wait_line(players, godot, _refused("RPC", "r_master", 1, 2))
    wait_line(players, godot, _call_line("r_remote", 1, '[ 25, "end" ]'))
    pump(players, lambda: py.game.p_var == 23, what="rset reaches py")
    assert py.game.called("r_puppet") == [(1, (20,))]
    assert (1, (22, "not py")) not in py.game.called("r_remote")

    # --- Python client -> Godot client, relayed by our server, with the right sender --------
    py.game.rpc_id(g, "r_remote", 30, "from py")
    wait_line(players, godot, _call_line("r_remote", c, '[ 30, "from py" ]'))
    # --- a second Godot client: Godot to Godot through our relay ---------------------------
    godot2 = godot_process_factory("rpc_peer.gd", "role=client", f"url={host.url}")
    g2 = int(wait_line(players, godot2, r"^CONNECTED (\d+)$").group(1))
    wait_line(players, godot, rf"^PEER_CONNECTED {g2}$")
    hg.rpc_id(g, "cmd", "burst", [["rpc_id", [g2, "r_remote", 31, "g to g2"]],
                                  ["rpc_id", [-c, "r_sync", 32]]])
    wait_line(players, godot2, _call_line("r_remote", g, '[ 31, "g to g2" ]'))
    wait_line(players, godot2, _call_line("r_sync", g, "[ 32 ]"))
    pump(players, lambda: (g, (32,)) in hg.called("r_sync"), what="-c reaches the host")
    assert (g, (32,)) not in py.game.called("r_sync")
    assert host.tree.send_bytes(b"\xff\x00", g) == 0
    wait_line(players, godot, r"^RAW 1 ff00$")
    hg.rpc_id(g, "cmd", "quit", [])
    pump(players, lambda: host.tree.get_network_connected_peers() == sorted([c, g2]),
         what="Godot leaves")
    assert godot.wait(10) == 0
    assert g not in host.tree._send_cache["Main/Game"].confirmed
