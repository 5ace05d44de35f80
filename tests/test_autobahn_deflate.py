"""permessage-deflate conformance: Autobahn|Testsuite groups 12 and 13, both directions.

godot_ws's client (``compression_enabled``) against the fuzzing server, and godot_ws's server
(``compression_enabled``) against the fuzzing client, through the same testee and echo
server as groups 1-10 (``test_autobahn.py``, ``test_autobahn_server.py``).

Groups 12 and 13 are 216 cases of 1000 echoed messages each, mostly Autobahn's own (Python
2) compression time: all of them take ~25 min per direction on a 2-core machine. CI runs a
subset that still covers every data set (12.1-12.5) and every negotiation (13.1-13.7): per
sub-group the 16-byte, the 1 KiB and the fragmented 8 KiB case (X.Y.1, X.Y.4, X.Y.11): 36
cases per direction, ~1 min. ``GODOT_WS_AUTOBAHN_DEFLATE=all`` runs all 216. The bar, as for
groups 1-10: no case FAILED or UNIMPLEMENTED, every behaviorClose OK or INFORMATIONAL.

Deselect with ``-m "not autobahn"``. Needs autobahntestsuite (``bash .ci/install_autobahn.sh``);
without it the tests skip, or fail when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_autobahn import (
    _ORDER,
    TESTEE,
    WRAPPER,
    _autobahn_python,
    _describe,
    _free_port,
    _stop,
    _unavailable,
    _wait_listening,
)
from test_autobahn_server import ECHO_SERVER, _load_testee, _wait_ready

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RUN_DEADLINE = 3600.0
SUBGROUPS = [f"12.{j}" for j in range(1, 6)] + [f"13.{j}" for j in range(1, 8)]


def _cases() -> list[str]:
    """Explicit case ids: Autobahn's '*' patterns are not anchored at the end (12.1.1* would
    also pick 12.1.10-18)."""
    if os.environ.get("GODOT_WS_AUTOBAHN_DEFLATE") == "all":
        return [f"{group}.{i}" for group in SUBGROUPS for i in range(1, 19)]
    return [f"{group}.{i}" for group in SUBGROUPS for i in (1, 4, 11)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def _check(summary: dict[str, object], wall: float, reports: Path, expected: int) -> None:
    behaviors = summary["behaviors"]
    assert isinstance(behaviors, dict)
    headline = (
        f"{summary['total']} cases in {wall:.1f} s: "
        + ", ".join(f"{k} {behaviors.get(k, 0)}" for k in _ORDER)
        + f", behaviorClose not OK {len(summary['behavior_close_not_ok'])}"  # type: ignore[arg-type]
    )
    print(headline)
    assert summary["total"] == expected, f"expected {expected} cases, got {headline}"
    details = summary["details"]
    assert isinstance(details, dict)
    problems = [_describe(i, details.get(i, {})) for i in summary["failing"]]  # type: ignore[attr-defined]
    assert not problems, (
        f"Autobahn cases below the bar ({headline}); reports in {reports}:\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.autobahn
def test_autobahn_deflate_client(tmp_path: Path) -> None:
    python2, why = _autobahn_python()
    if python2 is None:
        _unavailable(why)
    cases = _cases()
    reports = tmp_path / "reports"
    reports.mkdir()
    server_log = tmp_path / "fuzzingserver.log"
    summary_path = tmp_path / "summary.json"
    proc = None
    port = 0
    for attempt in range(3):
        port = _free_port()
        spec = tmp_path / "fuzzingserver.json"
        spec.write_text(json.dumps({"url": f"ws://127.0.0.1:{port}", "outdir": str(reports),
                                    "cases": cases, "exclude-cases": [],
                                    "exclude-agent-cases": {}}))
        with open(server_log, "wb") as out:
            proc = subprocess.Popen(
                [str(python2), "-u", str(WRAPPER), "-m", "fuzzingserver", "-s", str(spec),
                 "-u", "0"],
                cwd=str(tmp_path), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        try:
            _wait_listening(port, proc, server_log, time.monotonic() + 60)
            break
        except RuntimeError:
            _stop(proc)
            proc = None
            if attempt == 2:
                raise
    assert proc is not None
    try:
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, str(TESTEE), "--agent", "godot_ws", "--compression",
             "--url", f"ws://127.0.0.1:{port}", "--reports-dir", str(reports),
             "--case-timeout", "120", "--summary-json", str(summary_path)],
            cwd=str(tmp_path), env=_env(), capture_output=True, text=True,
            timeout=RUN_DEADLINE, check=False, stdin=subprocess.DEVNULL)
        wall = time.monotonic() - started
        print(run.stdout)
    finally:
        _stop(proc)
    if run.returncode == 2 or not summary_path.exists():
        pytest.fail(f"the run did not complete (exit {run.returncode}):\n{run.stderr[-3000:]}",
                    pytrace=False)
    summary = json.loads(summary_path.read_text())
    _check(summary, wall, reports, len(cases))
    assert not summary["testee_timeouts"], summary["testee_timeouts"]


@pytest.mark.autobahn
def test_autobahn_deflate_server(tmp_path: Path) -> None:
    python2, why = _autobahn_python()
    if python2 is None:
        _unavailable(why)
    cases = _cases()
    testee = _load_testee()
    reports = tmp_path / "reports"
    reports.mkdir()
    server_log = tmp_path / "echo_server.log"
    client_log = tmp_path / "fuzzingclient.log"
    with open(server_log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-u", str(ECHO_SERVER), "--port", "0", "--compression",
             "--lifetime", str(RUN_DEADLINE + 300)],
            cwd=str(tmp_path), env=_env(), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    client = None
    try:
        port = _wait_ready(server, server_log, time.monotonic() + 30)
        spec = tmp_path / "fuzzingclient.json"
        spec.write_text(json.dumps({
            "outdir": str(reports),
            "servers": [{"agent": "godot_ws-server", "url": f"ws://127.0.0.1:{port}"}],
            "cases": cases, "exclude-cases": [], "exclude-agent-cases": {}}))
        started = time.monotonic()
        with open(client_log, "wb") as out:
            client = subprocess.Popen(
                [str(python2), "-u", str(WRAPPER), "-m", "fuzzingclient", "-s", str(spec)],
                cwd=str(tmp_path), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        try:
            client.wait(timeout=RUN_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"wstest did not finish within {RUN_DEADLINE:.0f} s", pytrace=False)
        wall = time.monotonic() - started
    finally:
        if client is not None:
            _stop(client)
        _stop(server)
    if not (reports / "index.json").exists():
        pytest.fail(f"no report:\n{client_log.read_text(errors='replace')[-3000:]}",
                    pytrace=False)
    summary = testee.summarize(str(reports), "godot_ws-server")
    _check(summary, wall, reports, len(cases))
    assert client.returncode == 0
