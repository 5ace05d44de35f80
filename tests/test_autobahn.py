"""RFC 6455 conformance: godot_ws's client against Autobahn|Testsuite's fuzzing server.

Runs all 301 cases of groups 1-10 (12.* and 13.*, permessage-deflate, are excluded) through
``tests/autobahn/testee.py``, which drives godot_ws only through its Godot-style public API.
The bar: no case FAILED or UNIMPLEMENTED, every behaviorClose OK or INFORMATIONAL, and no case
hanging past the testee's per-case deadline (NON-STRICT and INFORMATIONAL are allowed).

Needs autobahntestsuite on Python 2.7: ``bash .ci/install_autobahn.sh``. Without it the test
is skipped, unless the environment variable ``CI`` is set, where it fails instead.
Deselect with ``-m "not autobahn"``.

Environment:
  GODOT_WS_AUTOBAHN_ENV      the virtualenv the install script made
                             (default ``~/.cache/godot_ws-autobahn``)
  GODOT_WS_AUTOBAHN_REPORTS  keep the reports here instead of pytest's tmp dir
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WRAPPER = HERE / "autobahn" / "wstest_local.py"
TESTEE = HERE / "autobahn" / "testee.py"
INSTALL_HINT = "install it with: bash .ci/install_autobahn.sh"

SERVER_START_DEADLINE = 60.0  # seconds until the fuzzing server must accept connections
RUN_DEADLINE = 1800.0  # the whole testee run (about 20 s when healthy)
CASE_DEADLINE = 60.0  # one case in the testee
_ORDER = ("OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED")


def _autobahn_python() -> tuple[str | None, str]:
    """The Python 2.7 that has autobahntestsuite, or (None, why not)."""
    env_dir = Path(
        os.environ.get(
            "GODOT_WS_AUTOBAHN_ENV", Path.home() / ".cache" / "godot_ws-autobahn"
        )
    )
    python = env_dir / "bin" / "python"
    if not python.exists():
        return None, f"no Python 2.7 with autobahntestsuite at {python}"
    try:
        probe = subprocess.run(
            [str(python), "-c", "import autobahntestsuite.wstest"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{python} does not run: {exc}"
    if probe.returncode != 0:
        return (
            None,
            f"{python} cannot import autobahntestsuite: {probe.stderr.strip()[-500:]}",
        )
    return str(python), ""


def _unavailable(reason: str) -> None:
    message = f"Autobahn|Testsuite is not installed ({reason}); {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(
            message + " [CI is set, so this fails instead of skipping]", pytrace=False
        )
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(
    port: int, proc: subprocess.Popen[bytes], log: Path, deadline: float
) -> None:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"fuzzing server exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"fuzzing server did not listen on 127.0.0.1:{port} within "
                f"{SERVER_START_DEADLINE:.0f} s:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _describe(case_id: str, d: dict[str, Any]) -> str:
    desc = " ".join(str(d.get("description", "")).split())
    if len(desc) > 200:
        desc = desc[:197] + "..."
    line = (
        f"{case_id}: behavior={d.get('behavior')} behaviorClose={d.get('behaviorClose')} "
        f"remoteCloseCode={d.get('remoteCloseCode')} - {desc}"
    )
    if d.get("testee"):
        line += f" [testee: {d['testee']}]"
    return line


@pytest.mark.autobahn
@pytest.mark.parametrize("agent", ["godot_ws", "godot_ws4"])
def test_autobahn_fuzzingserver(tmp_path: Path, agent: str) -> None:
    """``godot_ws``: the 3.x WebSocketClient; ``godot_ws4``: godot_ws.godot4.WebSocketPeer."""
    python2, why = _autobahn_python()
    if python2 is None:
        _unavailable(why)

    reports = Path(os.environ.get("GODOT_WS_AUTOBAHN_REPORTS") or tmp_path / "reports")
    reports.mkdir(parents=True, exist_ok=True)
    server_log = tmp_path / "fuzzingserver.log"
    summary_path = tmp_path / "summary.json"

    # Pick a free port; on the rare lost race (someone took it first), try another.
    proc = None
    port = 0
    for attempt in range(3):
        port = _free_port()
        spec = tmp_path / "fuzzingserver.json"
        spec.write_text(
            json.dumps(
                {
                    "url": f"ws://127.0.0.1:{port}",
                    "outdir": str(reports),
                    "cases": ["*"],
                    "exclude-cases": ["12.*", "13.*"],
                    "exclude-agent-cases": {},
                }
            )
        )
        with open(server_log, "wb") as out:
            proc = subprocess.Popen(
                [
                    str(python2),
                    "-u",
                    str(WRAPPER),
                    "-m",
                    "fuzzingserver",
                    "-s",
                    str(spec),
                    "-u",
                    "0",
                ],
                cwd=str(tmp_path),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_listening(
                port, proc, server_log, time.monotonic() + SERVER_START_DEADLINE
            )
            break
        except RuntimeError:
            _stop(proc)
            proc = None
            if attempt == 2:
                raise
    assert proc is not None

    try:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH", "")) if p
        )
        started = time.monotonic()
        try:
            run = subprocess.run(
                [
                    sys.executable,
                    str(TESTEE),
                    "--agent",
                    agent,
                    "--url",
                    f"ws://127.0.0.1:{port}",
                    "--reports-dir",
                    str(reports),
                    "--case-timeout",
                    str(CASE_DEADLINE),
                    "--summary-json",
                    str(summary_path),
                ],
                cwd=str(tmp_path),
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_DEADLINE,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"the testee did not finish within {RUN_DEADLINE:.0f} s:\n"
                f"{(exc.stdout or '')[-3000:] if isinstance(exc.stdout, str) else ''}",
                pytrace=False,
            )
        wall = time.monotonic() - started
        print(run.stdout)
        print(run.stderr, file=sys.stderr)
    finally:
        _stop(proc)

    if run.returncode == 2 or not summary_path.exists():
        pytest.fail(
            f"the conformance run did not complete (exit {run.returncode}):\n"
            f"{run.stderr[-3000:]}\n{run.stdout[-3000:]}\nserver log:\n"
            f"{server_log.read_text()[-2000:]}",
            pytrace=False,
        )
    summary = json.loads(summary_path.read_text())
    behaviors = summary["behaviors"]
    headline = (
        f"{summary['total']} cases in {wall:.1f} s: "
        + ", ".join(f"{k} {behaviors.get(k, 0)}" for k in _ORDER)
        + f", behaviorClose not OK {len(summary['behavior_close_not_ok'])}"
        + f", testee timeouts {len(summary['testee_timeouts'])}"
    )
    print(headline)
    assert summary["total"] == 301, f"expected 301 cases (groups 1-10), got {headline}"
    problems = [_describe(i, summary["details"].get(i, {})) for i in summary["failing"]]
    problems += [
        f"case number {n}: hit the testee's {CASE_DEADLINE:.0f} s deadline"
        for n in summary["testee_timeouts"]
    ]
    assert not problems, (
        f"Autobahn cases below the bar ({headline}); reports in {reports}:\n  "
        + "\n  ".join(problems)
    )
    assert run.returncode == 0, f"testee exited {run.returncode}:\n{run.stdout[-3000:]}"
