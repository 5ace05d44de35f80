"""Measure Godot 3.2.3's own WebSocketClient against Autobahn|Testsuite's fuzzing server.

A manual tool (not run in CI): it gives the "Godot" rows of the README's conformance table,
measured the same way as godot_ws and websocket-client (``testee.py``): 301 cases, groups 1-10
(12.* and 13.*, permessage-deflate, excluded), one connection per case, every message echoed
with its opcode.

Needs autobahntestsuite on Python 2.7 (``bash .ci/install_autobahn.sh``; default
``~/.cache/godot_ws-autobahn``, or ``$GODOT_WS_AUTOBAHN_ENV``) and the headless Godot 3
(``godot3-server`` on PATH, or ``$GODOT3_SERVER``). Run from the repository root::

    python3 tests/autobahn/measure_godot.py                     # Godot's default buffers
    python3 tests/autobahn/measure_godot.py --buffers 32768,65536,32768,65536   # 32 MiB

Each run takes minutes: cases where Godot dropped a message end only at the per-case
deadline (``--case-timeout``, 10 s). Godot 3.2.3 never reports the end of a connection it
failed itself; the GDScript's case watcher (a ``/getCaseStatus`` connection, answered when
the server has recorded the case) moves such cases on after 500 ms; ``--no-watch`` turns it
off, so they too last until the deadline. It starts the fuzzing server on a free 127.0.0.1 port
with a spec in a temporary directory, runs ``tests/autobahn/godot_testee.gd`` with
``godot3-server --path tests/godot -s <abs path> -- url=... [buffers=...]`` under a global
deadline (``--run-timeout``), stops the server, reads ``index.json`` and prints the summary
table of ``testee.py`` (OK / NON-STRICT / INFORMATIONAL / FAILED / UNIMPLEMENTED /
behaviorClose not OK / testee timeouts / wall) for the agent, the cases below the bar, and
a one-line list of the FAILED case ids. ``--reports-dir`` keeps the reports.

Exit status: 0 when a report was produced (whatever Godot scored), 2 when the run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WRAPPER = HERE / "wstest_local.py"
GD_TESTEE = HERE / "godot_testee.gd"
GODOT_PROJECT = REPO / "tests" / "godot"

sys.path.insert(0, str(HERE))
from testee import CaseOutcome, format_summary, summarize  # noqa: E402

AGENT = "godot-3.2.3"
SERVER_START_DEADLINE = 60.0

_CASE_LINE = re.compile(r"^CASE (\d+) (\d+) ([01]) ?(.*)$")


def _autobahn_python() -> str:
    env_dir = Path(
        os.environ.get("GODOT_WS_AUTOBAHN_ENV", Path.home() / ".cache" / "godot_ws-autobahn")
    )
    python = env_dir / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"no Python 2.7 with autobahntestsuite at {python}; "
            "install it with: bash .ci/install_autobahn.sh"
        )
    return str(python)


def _godot() -> str:
    name = os.environ.get("GODOT3_SERVER") or "godot3-server"
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found on PATH (set $GODOT3_SERVER)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child_setup() -> None:  # pragma: no cover - runs in the child
    # Linux: the child gets SIGTERM when this process dies, so nothing outlives the run.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(proc: subprocess.Popen[Any] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _start_server(
    python2: str, workdir: Path, reports: Path
) -> tuple[subprocess.Popen[bytes], int]:
    log = workdir / "fuzzingserver.log"
    for attempt in range(3):
        port = _free_port()
        spec = workdir / "fuzzingserver.json"
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
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [python2, "-u", str(WRAPPER), "-m", "fuzzingserver", "-s", str(spec), "-u", "0"],
                cwd=str(workdir),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_child_setup,  # noqa: PLW1509
            )
        deadline = time.monotonic() + SERVER_START_DEADLINE
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return proc, port
            except OSError:
                time.sleep(0.1)
        _stop(proc)
        if attempt == 2:
            raise RuntimeError(f"fuzzing server did not start:\n{log.read_text()[-3000:]}")
    raise AssertionError("unreachable")


def _run_godot(
    godot: str, url: str, args: argparse.Namespace, workdir: Path
) -> tuple[list[CaseOutcome], float, str, int | None]:
    """Run the GDScript testee; return (outcomes, wall seconds, output, exit code or None)."""
    user = [f"url={url}", f"agent={AGENT}", f"case_timeout={args.case_timeout:g}"]
    if args.buffers:
        user.append(f"buffers={args.buffers}")
    if args.cases:
        user.append(f"cases={args.cases}")
    if args.no_watch:
        user.append("watch=0")
    user.append(f"lifetime={args.run_timeout + 30:g}")  # Godot's own watchdog
    argv = [godot, "--path", str(GODOT_PROJECT), "-s", str(GD_TESTEE), "--", *user]
    print("godot: " + " ".join(argv), flush=True)
    env = dict(os.environ)
    env["LANG"] = "en_US.UTF-8"  # Godot 3.2 prints locale errors under C / C.UTF-8
    log_path = workdir / "godot.log"
    t0 = time.monotonic()
    code: int | None
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(GODOT_PROJECT),
            preexec_fn=_child_setup,  # noqa: PLW1509
        )
        try:
            code = proc.wait(timeout=args.run_timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _stop(proc)
    wall = time.monotonic() - t0
    output = log_path.read_text(encoding="utf-8", errors="replace")
    outcomes = []
    for line in output.splitlines():
        m = _CASE_LINE.match(line)
        if m:
            outcomes.append(
                CaseOutcome(
                    int(m.group(1)), int(m.group(2)) / 1000.0, m.group(3) == "1", m.group(4)
                )
            )
            if args.verbose:
                print(line, flush=True)
    return outcomes, wall, output, code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--buffers",
        help="set_buffers(in_kb,in_pkts,out_kb,out_pkts) for every client, e.g. "
        "32768,65536,32768,65536; default: Godot's own (64 KiB, 1024 packets)",
    )
    ap.add_argument("--case-timeout", type=float, default=10.0, help="per-case deadline, s")
    ap.add_argument(
        "--run-timeout", type=float, default=1800.0, help="deadline for the whole Godot run, s"
    )
    ap.add_argument(
        "--no-watch",
        action="store_true",
        help="no /getCaseStatus watcher: unreported cases wait for the deadline",
    )
    ap.add_argument("--cases", help="only these case numbers, e.g. 1-16,250 (the server's order)")
    ap.add_argument("--reports-dir", help="keep the reports here (default: a temporary dir)")
    ap.add_argument("--summary-json", help="also write the summary here as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every CASE line")
    args = ap.parse_args(argv)
    if args.buffers and len(args.buffers.split(",")) != 4:
        ap.error("--buffers needs four numbers: in_kb,in_pkts,out_kb,out_pkts")

    python2 = _autobahn_python()
    godot = _godot()
    # `timeout` (or Ctrl-C) ends this process: run the finally blocks, stopping the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with tempfile.TemporaryDirectory(prefix="godot-autobahn-") as tmp:
        workdir = Path(tmp)
        reports = Path(args.reports_dir).resolve() if args.reports_dir else workdir / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        server = None
        try:
            server, port = _start_server(python2, workdir, reports)
            print(f"fuzzing server on ws://127.0.0.1:{port} (pid {server.pid})", flush=True)
            outcomes, wall, output, code = _run_godot(
                godot, f"ws://127.0.0.1:{port}", args, workdir
            )
        finally:
            _stop(server)
        tail = "\n".join(output.splitlines()[-15:])
        if code != 0:
            why = "hit --run-timeout" if code is None else f"exited {code}"
            print(f"godot testee {why} after {wall:.1f} s:\n{tail}", file=sys.stderr)
            if code is None or not (reports / "index.json").exists():
                return 2
        timeouts = [o for o in outcomes if o.timed_out]
        unreported = [o for o in outcomes if "unreported" in o.note.split()]
        print(
            f"godot testee: {len(outcomes)} cases in {wall:.1f} s, "
            f"{len(timeouts)} ended at the {args.case_timeout:g} s deadline, "
            f"{len(unreported)} recorded by the server but never reported closed by Godot"
        )
        slow = sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:5]
        if slow:
            print(
                "slowest case numbers: "
                + ", ".join(f"{o.number} ({o.seconds:.1f} s)" for o in slow)
            )
        try:
            summary = summarize(str(reports), AGENT, outcomes)
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"no usable report: {exc}\n{tail}", file=sys.stderr)
            return 2
        summary["wall_seconds"] = wall
        summary["buffers"] = args.buffers or "godot defaults"
        summary["godot_unreported"] = [o.number for o in unreported]
        print(format_summary(summary, wall))
        failed = [i for i in summary["failing"] if summary["details"][i]["behavior"] == "FAILED"]
        print(f"\nFAILED ({len(failed)}): " + (", ".join(failed) or "none"))
        if args.summary_json:
            with open(args.summary_json, "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
