"""The benchmark harness runs end to end (``python -m bench --quick``).

Proves the harness works — every scenario for every library yields a positive number and
no server outlives it — and asserts no timings: CI machines are too noisy for that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PEERS = ["raw", "websocket-client", "websockets", "wsproto"]
FAMILIES = [
    "recv_small",
    "recv_large",
    "recv_large_drop",
    "send_small",
    "echo_rtt",
    "idle_check",
    "mem_idle_traced",
    "mem_idle_rss",
]


def _godot_ws_importable() -> bool:
    r = subprocess.run(
        [sys.executable, "-c", "import godot_ws; godot_ws.WebSocketClient; godot_ws.WebSocketPeer"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    return r.returncode == 0


def _session_members(sid: int) -> set[int]:
    """Processes still in session ``sid`` (the harness and everything it started)."""
    pids = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                # field 6 of stat is the session id; the command name may hold spaces
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid:
                pids.add(int(d.name))
    return pids


@pytest.mark.skipif(sys.platform != "linux", reason="the harness reads /proc for RSS")
def test_bench_quick_runs_and_reports_every_cell(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Its own session, so only its own leftovers count (other runs may share the machine).
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    stdout, stderr = proc.communicate(timeout=120)
    r = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    doc = json.loads(out.read_text())

    libs = list(PEERS)
    if _godot_ws_importable():
        libs.append("godot_ws")
    assert set(libs) <= set(doc["meta"]["libraries"]), doc["meta"]
    assert not doc["errors"], doc["errors"]

    scenarios = doc["scenarios"]
    polls = [k for k in scenarios if k.startswith("poll_idle_")]
    assert len(polls) >= 3, sorted(scenarios)
    for key in FAMILIES + polls:
        assert key in scenarios, f"missing scenario {key}"
        for lib in libs:
            cell = scenarios[key]["results"].get(lib)
            assert cell is not None, f"{key}: no result for {lib}"
            # an RSS delta can legitimately round to 0 pages for the raw floor's bare sockets
            floor = 0.0 if key.startswith("mem_") else 1e-12
            assert cell["median"] is not None and cell["median"] >= floor, f"{key}/{lib}: {cell}"
            assert cell["runs"] and all(v >= floor for v in cell["runs"]), f"{key}/{lib}: {cell}"
        if "godot_ws" in libs and scenarios[key]["target"]:
            assert scenarios[key]["verdict"] in ("PASS", "FAIL")
    if "godot_ws" in libs:  # its own game-loop and host rows
        for key in ("game_rtt", "game_rtt_p95", "host_poll_idle", "repl_sync", "repl_rpc"):
            cell = scenarios[key]["results"]["godot_ws"]
            assert cell["median"] is not None and cell["median"] > 0, f"{key}: {cell}"
    assert "| scenario" in r.stdout  # the table was printed

    assert not _session_members(proc.pid), "a benchmark server or worker outlived the run"


def test_bench_rpc4_quick_runs(tmp_path: Path) -> None:
    """``python -m bench.rpc4 --quick``: every row is a positive number (no timing asserted)."""
    out = tmp_path / "rpc4.json"
    done = subprocess.run([sys.executable, "-m", "bench.rpc4", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["us_per_call"]
    assert len(rows) == 4 and all(value > 0 for value in rows.values()), rows


def test_bench_replication4_quick_runs() -> None:
    """``python -m bench.replication4 --quick``: both rows are positive numbers (no timing
    asserted), and the SYNC row moves the positions the RPC row does."""
    done = subprocess.run([sys.executable, "-m", "bench.replication4", "--quick"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    row = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(row[k] > 0 for k in ("sync_us", "rpc_us", "sync_bytes", "rpc_bytes")), row
