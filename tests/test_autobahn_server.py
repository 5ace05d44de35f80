"""RFC 6455 conformance: godot_ws's ``WebSocketServer`` against Autobahn|Testsuite's fuzzing
client.

Starts ``tests/autobahn/echo_server.py`` (an echo server on ``WebSocketServer``, driven only
through its Godot-style API) and runs ``wstest -m fuzzingclient`` against it: all 301 cases
of groups 1-10 (12.* and 13.*, permessage-deflate, are excluded). The bar: no case FAILED or
UNIMPLEMENTED and every behaviorClose OK or INFORMATIONAL (NON-STRICT and INFORMATIONAL are
allowed).

Needs autobahntestsuite on Python 2.7: ``bash .ci/install_autobahn.sh``. Without it the test
is skipped, unless the environment variable ``CI`` is set, where it fails instead.
Deselect with ``-m "not autobahn"``.

Environment:
  GODOT_WS_AUTOBAHN_ENV      the virtualenv the install script made
                             (default ``~/.cache/godot_ws-autobahn``)
  GODOT_WS_AUTOBAHN_REPORTS  keep the reports here instead of pytest's tmp dir
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from test_autobahn import (
    _ORDER,
    WRAPPER,
    _autobahn_python,
    _describe,
    _stop,
    _unavailable,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ECHO_SERVER = HERE / "autobahn" / "echo_server.py"
TESTEE = HERE / "autobahn" / "testee.py"
AGENT = "godot_ws-server"

SERVER_START_DEADLINE = 30.0  # seconds until the echo server prints READY <port>
RUN_DEADLINE = 1800.0  # the whole fuzzing-client run
# The echo server exits by itself a while after the run deadline, should it be orphaned.
SERVER_LIFETIME = RUN_DEADLINE + 300.0


def _load_testee() -> ModuleType:
    """tests/autobahn/testee.py (its report summary), imported from its path."""
    spec = importlib.util.spec_from_file_location("godot_ws_autobahn_testee", TESTEE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, deadline: float) -> int:
    """The port from the echo server's ``READY <port>`` line."""
    while True:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("READY "):
                return int(line.split()[1])
        if proc.poll() is not None:
            raise RuntimeError(
                f"echo server exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"echo server did not print READY within {SERVER_START_DEADLINE:.0f} s:\n"
                f"{log.read_text()[-3000:]}"
            )
        time.sleep(0.05)


@pytest.mark.autobahn
@pytest.mark.parametrize("face", ["godot3", "godot4"])
def test_autobahn_fuzzingclient(tmp_path: Path, face: str) -> None:
    """``godot3``: WebSocketServer; ``godot4``: TCPServer + godot_ws.godot4.WebSocketPeer."""
    python2, why = _autobahn_python()
    if python2 is None:
        _unavailable(why)
    testee = _load_testee()

    reports = Path(os.environ.get("GODOT_WS_AUTOBAHN_REPORTS") or tmp_path / "reports")
    reports.mkdir(parents=True, exist_ok=True)
    server_log = tmp_path / "echo_server.log"
    client_log = tmp_path / "fuzzingclient.log"

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    with open(server_log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-u",
                str(ECHO_SERVER),
                "--port",
                "0",
                "--lifetime",
                str(SERVER_LIFETIME),
                *(["--godot4"] if face == "godot4" else []),
            ],
            cwd=str(tmp_path),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    wall = 0.0
    client = None
    try:
        port = _wait_ready(server, server_log, time.monotonic() + SERVER_START_DEADLINE)
        spec = tmp_path / "fuzzingclient.json"
        spec.write_text(
            json.dumps(
                {
                    "outdir": str(reports),
                    "servers": [{"agent": AGENT, "url": f"ws://127.0.0.1:{port}"}],
                    "cases": ["*"],
                    "exclude-cases": ["12.*", "13.*"],
                    "exclude-agent-cases": {},
                }
            )
        )
        started = time.monotonic()
        with open(client_log, "wb") as out:
            client = subprocess.Popen(
                [
                    str(python2),
                    "-u",
                    str(WRAPPER),
                    "-m",
                    "fuzzingclient",
                    "-s",
                    str(spec),
                ],
                cwd=str(tmp_path),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            client.wait(timeout=RUN_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"wstest -m fuzzingclient did not finish within {RUN_DEADLINE:.0f} s:\n"
                f"{client_log.read_text(errors='replace')[-3000:]}",
                pytrace=False,
            )
        wall = time.monotonic() - started
    finally:
        if client is not None:
            _stop(client)
        _stop(server)
        print(server_log.read_text(errors="replace")[-3000:])

    if not (reports / "index.json").exists():
        pytest.fail(
            f"no report: wstest exited {client.returncode if client else None}:\n"
            f"{client_log.read_text(errors='replace')[-3000:]}",
            pytrace=False,
        )
    summary = testee.summarize(str(reports), AGENT)
    print(testee.format_summary(summary, wall))
    behaviors = summary["behaviors"]
    headline = (
        f"{summary['total']} cases in {wall:.1f} s: "
        + ", ".join(f"{k} {behaviors.get(k, 0)}" for k in _ORDER)
        + f", behaviorClose not OK {len(summary['behavior_close_not_ok'])}"
    )
    print(headline)
    assert summary["total"] == 301, f"expected 301 cases (groups 1-10), got {headline}"
    problems = [_describe(i, summary["details"].get(i, {})) for i in summary["failing"]]
    assert not problems, (
        f"Autobahn cases below the bar ({headline}); reports in {reports}:\n  "
        + "\n  ".join(problems)
    )
    assert client is not None and client.returncode == 0, (
        f"wstest exited {client.returncode if client else None}:\n"
        f"{client_log.read_text(errors='replace')[-3000:]}"
    )
