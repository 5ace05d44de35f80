"""Autobahn|Testsuite testee: runs every fuzzing-server case against a WebSocket client.

Python 3. The fuzzing server runs separately (see ``wstest_local.py`` and
``tests/test_autobahn.py``)::

    python tests/autobahn/testee.py --url ws://127.0.0.1:9001 --reports-dir /tmp/ab/reports

Agents:

``godot_ws`` (default)
    Drives each case through godot_ws's public, Godot-style API only: ``WebSocketClient``,
    ``set_buffers``, ``connect_to_url``, ``poll``, ``get_connection_status``, ``get_peer(1)``,
    ``get_available_packet_count`` / ``get_packet`` / ``was_string_packet`` /
    ``set_write_mode`` / ``put_packet`` and the ``connection_*`` signals. Every message is
    echoed with the opcode it came with, as a game loop would: poll, drain, sleep a little
    when idle.

``godot_ws4``
    The same through ``godot_ws.godot4.WebSocketPeer`` as a Godot 4 script drives it:
    ``connect_to_url``, ``poll``, ``get_ready_state``, ``get_packet``/``was_string_packet``,
    ``send(data, WRITE_MODE_TEXT/BINARY)``; the buffer properties sized as ``--buffers``.

``websocket-client``
    A straightforward blocking echo testee on websocket-client 1.9.x, for comparison.

Flow (Autobahn's): ``/getCaseCount``, then ``/runCase?case=N&agent=A`` for N = 1..count,
then ``/getCaseStatus`` for the last case (so the server has recorded it) and
``/updateReports?agent=A``; then ``<reports-dir>/index.json`` is read and summarised.

Exit status: 0 when every case is OK, NON-STRICT or INFORMATIONAL with a behaviorClose of
OK or INFORMATIONAL and no case hit the testee's per-case deadline; 1 otherwise; 2 when the
run itself could not be done (server unreachable, no report).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

AGENT_GODOT_WS = "godot_ws"
AGENT_GODOT_WS4 = "godot_ws4"
AGENT_WEBSOCKET_CLIENT = "websocket-client"
AGENTS = (AGENT_GODOT_WS, AGENT_GODOT_WS4, AGENT_WEBSOCKET_CLIENT)

# Godot's set_buffers() units: KiB and packets. 64 MiB each way and 65536 packets cover
# group 9 (16 MiB messages, up to 1M fragments of one message).
DEFAULT_BUFFERS = (65536, 65536, 65536, 65536)

OK_BEHAVIORS = ("OK", "NON-STRICT", "INFORMATIONAL")
OK_CLOSE_BEHAVIORS = ("OK", "INFORMATIONAL")
BEHAVIOR_ORDER = ("OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED")

IDLE_SLEEP = 0.0005


class CaseOutcome:
    """What the testee saw of one case (the server's verdict comes from the report)."""

    __slots__ = ("note", "number", "seconds", "timed_out")

    def __init__(self, number: int, seconds: float, timed_out: bool, note: str) -> None:
        self.number = number
        self.seconds = seconds
        self.timed_out = timed_out
        self.note = note


# --------------------------------------------------------------------------------------
# godot_ws agent
# --------------------------------------------------------------------------------------


class _LogCollector(logging.Handler):
    """Keeps godot_ws's log lines of the current case, to show beside a failing case."""

    def __init__(self, echo: bool) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        self.lines.append(line)
        if self.echo:
            print(f"godot_ws {line}", file=sys.stderr)

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


class GodotWsAgent:
    """One WebSocketClient per connection, driven the way a Godot game loop drives it."""

    name = AGENT_GODOT_WS

    def __init__(
        self,
        buffers: tuple[int, int, int, int] = DEFAULT_BUFFERS,
        verbose: bool = False,
    ) -> None:
        import godot_ws  # imported here so --agent websocket-client works without it

        self.godot_ws = godot_ws
        self.buffers = buffers
        # The client logs why it failed a connection; keep that per case instead of letting
        # logging's last-resort handler spray it over stderr.
        self.logs = _LogCollector(verbose)
        logger = logging.getLogger("godot_ws")
        logger.addHandler(self.logs)
        logger.propagate = False

    def _client(self) -> Any:
        c = self.godot_ws.WebSocketClient()
        c.compression_enabled = getattr(self, "compression", False)  # --compression
        err = c.set_buffers(*self.buffers)
        if err is not None and err != self.godot_ws.OK:
            raise RuntimeError(f"set_buffers{self.buffers} returned {err!r}")
        return c

    def session(
        self, url: str, deadline: float, echo: bool
    ) -> tuple[list[tuple[bytes, bool]], bool, str]:
        """Connect, poll until the connection ends or ``deadline``; echo when asked.

        Returns (messages received, timed_out, note).
        """
        gw = self.godot_ws
        self.logs.take()
        c = self._client()
        events: list[str] = []
        c.connection_established.connect(
            lambda protocol="": events.append("established")
        )
        c.connection_closed.connect(
            lambda was_clean=False: events.append(f"closed(was_clean={was_clean})")
        )
        c.connection_error.connect(lambda: events.append("error"))

        received: list[tuple[bytes, bool]] = []
        # The fuzzingserver (Python 2, one thread) can take seconds to answer an upgrade on a
        # loaded machine (case 9.3.1 hit the default 3 s at load 10): the handshake gets the
        # case's own deadline. Conformance, not handshake speed, is what these cases measure.
        c.handshake_timeout = max(3.0, deadline - time.monotonic())
        err = c.connect_to_url(url)
        if err != gw.OK:
            return received, False, f"connect_to_url returned {err!r}"

        text_mode = gw.WebSocketPeer.WRITE_MODE_TEXT
        binary_mode = gw.WebSocketPeer.WRITE_MODE_BINARY
        connected = 2  # CONNECTION_CONNECTED
        disconnected = 0  # CONNECTION_DISCONNECTED
        put_errors: Counter[str] = Counter()
        timed_out = False
        while True:
            c.poll()
            status = c.get_connection_status()
            busy = False
            if status == connected:
                peer = c.get_peer(1)
                while peer.get_available_packet_count():
                    data = peer.get_packet()
                    is_text = peer.was_string_packet()
                    busy = True
                    if echo:
                        peer.set_write_mode(text_mode if is_text else binary_mode)
                        perr = peer.put_packet(data)
                        if perr is not None and perr != gw.OK:
                            put_errors[repr(perr)] += 1
                    else:
                        received.append((bytes(data), bool(is_text)))
            elif status == disconnected:
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
            if not busy:
                time.sleep(IDLE_SLEEP)

        if not echo:
            # Rule 2 of the design: messages that arrived before the close stay readable.
            peer = c.get_peer(1)
            while peer is not None and peer.get_available_packet_count():
                received.append(
                    (bytes(peer.get_packet()), bool(peer.was_string_packet()))
                )

        if timed_out:
            c.disconnect_from_host()
            end = time.monotonic() + 2.0
            while c.get_connection_status() != disconnected and time.monotonic() < end:
                c.poll()
                time.sleep(IDLE_SLEEP)
        note = " ".join(events)
        logged = self.logs.take()
        if logged:
            note += " | " + " | ".join(logged)
        if put_errors:
            note += " put_packet errors: " + ", ".join(
                f"{k} x{v}" for k, v in put_errors.items()
            )
        return received, timed_out, note


class GodotWs4Agent(GodotWsAgent):
    """godot_ws.godot4.WebSocketPeer, driven as a Godot 4 script drives it: ``poll()``, then
    ``get_ready_state()``; echo with ``send(data, WRITE_MODE_TEXT/BINARY)``; no signals.
    The buffers are the same sizes as the 3.x agent's ``set_buffers`` (KiB, packets)."""

    name = AGENT_GODOT_WS4

    def session(
        self, url: str, deadline: float, echo: bool
    ) -> tuple[list[tuple[bytes, bool]], bool, str]:
        from godot_ws.godot4 import OK, WebSocketPeer

        self.logs.take()
        peer = WebSocketPeer()
        peer.inbound_buffer_size = self.buffers[0] * 1024
        peer.max_queued_packets = max(self.buffers[1], self.buffers[3])
        peer.outbound_buffer_size = self.buffers[2] * 1024
        if getattr(self, "compression", False):
            peer.compression_enabled = True  # type: ignore[attr-defined]
        received: list[tuple[bytes, bool]] = []
        err = peer.connect_to_url(url)
        if err != OK:
            return received, False, f"connect_to_url returned {err!r}"
        text_mode = WebSocketPeer.WRITE_MODE_TEXT
        binary_mode = WebSocketPeer.WRITE_MODE_BINARY
        put_errors: Counter[str] = Counter()
        timed_out = False
        while True:
            peer.poll()
            state = peer.get_ready_state()
            busy = False
            if state == WebSocketPeer.STATE_OPEN:
                while peer.get_available_packet_count():
                    data = peer.get_packet()
                    is_text = peer.was_string_packet()
                    busy = True
                    if echo:
                        perr = peer.send(data, text_mode if is_text else binary_mode)
                        if perr != OK:
                            put_errors[repr(perr)] += 1
                    else:
                        received.append((bytes(data), bool(is_text)))
            elif state == WebSocketPeer.STATE_CLOSED:
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
            if not busy:
                time.sleep(IDLE_SLEEP)
        if not echo:
            # Messages that arrived before the close stay readable (godot_ws, not Godot).
            while peer.get_available_packet_count():
                received.append((bytes(peer.get_packet()), bool(peer.was_string_packet())))
        if timed_out:
            peer.close()
            end = time.monotonic() + 2.0
            while peer.get_ready_state() != WebSocketPeer.STATE_CLOSED and time.monotonic() < end:
                peer.poll()
                time.sleep(IDLE_SLEEP)
        note = f"state {peer.get_ready_state().name} close_code {peer.get_close_code()}"
        logged = self.logs.take()
        if logged:
            note += " | " + " | ".join(logged)
        if put_errors:
            note += " send errors: " + ", ".join(f"{k} x{v}" for k, v in put_errors.items())
        return received, timed_out, note


# --------------------------------------------------------------------------------------
# websocket-client agent (baseline)
# --------------------------------------------------------------------------------------


class WebSocketClientAgent:
    """A plain blocking echo loop on websocket-client, as its users would write it."""

    name = AGENT_WEBSOCKET_CLIENT

    def __init__(self) -> None:
        import websocket

        self.websocket = websocket

    def session(
        self, url: str, deadline: float, echo: bool
    ) -> tuple[list[tuple[bytes, bool]], bool, str]:
        websocket = self.websocket
        ABNF = websocket.ABNF
        received: list[tuple[bytes, bool]] = []
        ws = websocket.WebSocket()
        note = ""
        timed_out = False
        try:
            ws.connect(url, timeout=max(0.1, deadline - time.monotonic()))
            while True:
                ws.settimeout(max(0.1, deadline - time.monotonic()))
                opcode, data = ws.recv_data()
                if opcode == ABNF.OPCODE_CLOSE:
                    break
                if opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY):
                    if echo:
                        ws.send(data, opcode)
                    else:
                        received.append((bytes(data), opcode == ABNF.OPCODE_TEXT))
        except websocket.WebSocketTimeoutException:
            timed_out = time.monotonic() >= deadline
            note = "timeout"
        except Exception as exc:  # noqa: BLE001 - any error ends the case, as in a real app
            note = f"{type(exc).__name__}: {exc}"
        finally:
            ws.shutdown()
        return received, timed_out, note


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


def make_agent(
    name: str, buffers: tuple[int, int, int, int], verbose: bool = False
) -> Any:
    if name == AGENT_GODOT_WS:
        return GodotWsAgent(buffers, verbose)
    if name == AGENT_GODOT_WS4:
        return GodotWs4Agent(buffers, verbose)
    if name == AGENT_WEBSOCKET_CLIENT:
        return WebSocketClientAgent()
    raise ValueError(f"unknown agent {name!r}; choose from {AGENTS}")


def _text_message(agent: Any, url: str, timeout: float) -> str:
    received, timed_out, note = agent.session(
        url, time.monotonic() + timeout, echo=False
    )
    if not received:
        raise RuntimeError(f"no message from {url} (timed_out={timed_out}, {note})")
    return str(received[0][0].decode("utf-8"))


def run_cases(
    agent: Any,
    base_url: str,
    case_timeout: float,
    only: list[int] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[int, list[CaseOutcome]]:
    """Run the cases (all, or the case numbers in ``only``) and update the reports."""
    count = int(_text_message(agent, f"{base_url}/getCaseCount", 30.0))
    numbers = (
        list(range(1, count + 1))
        if only is None
        else [n for n in only if 1 <= n <= count]
    )
    outcomes: list[CaseOutcome] = []
    for n in numbers:
        url = f"{base_url}/runCase?case={n}&agent={agent.name}"
        t0 = time.monotonic()
        _, timed_out, note = agent.session(url, t0 + case_timeout, echo=True)
        seconds = time.monotonic() - t0
        outcomes.append(CaseOutcome(n, seconds, timed_out, note))
        if timed_out:
            log(f"case {n}: testee deadline of {case_timeout:.0f} s hit ({note})")
    if numbers:
        # Blocks until the server has recorded the last case, so the report has it.
        last = numbers[-1]
        try:
            _text_message(
                agent, f"{base_url}/getCaseStatus?case={last}&agent={agent.name}", 30.0
            )
        except RuntimeError as exc:
            log(f"getCaseStatus for case {last}: {exc}")
    agent.session(
        f"{base_url}/updateReports?agent={agent.name}", time.monotonic() + 120.0, False
    )
    return count, outcomes


def _case_key(case_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in case_id.split("."))


def summarize(
    reports_dir: str,
    agent_name: str,
    outcomes: list[CaseOutcome] | None = None,
    case_filter: str | None = None,
) -> dict[str, Any]:
    """Read ``index.json`` and return the verdict for ``agent_name`` as a plain dict."""
    with open(os.path.join(reports_dir, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    if agent_name not in index:
        raise RuntimeError(
            f"agent {agent_name!r} not in {reports_dir}/index.json: {list(index)}"
        )
    cases = index[agent_name]
    ids = sorted(cases, key=_case_key)
    if case_filter:
        ids = [
            i for i in ids if any(fnmatch.fnmatch(i, p) for p in case_filter.split(","))
        ]
    behaviors = Counter(cases[i]["behavior"] for i in ids)
    close_not_ok = [
        i for i in ids if cases[i]["behaviorClose"] not in OK_CLOSE_BEHAVIORS
    ]
    failing = [
        i
        for i in ids
        if cases[i]["behavior"] not in OK_BEHAVIORS
        or cases[i]["behaviorClose"] not in OK_CLOSE_BEHAVIORS
    ]
    details = {}
    for i in ids:
        if i in failing or cases[i]["behavior"] != "OK":
            entry = dict(cases[i])
            try:
                with open(
                    os.path.join(reports_dir, entry["reportfile"]), encoding="utf-8"
                ) as rf:
                    rep = json.load(rf)
                entry["description"] = rep.get("description", "")
                entry["expectation"] = rep.get("expectation", "")
                entry["result"] = rep.get("result", "")
                entry["resultClose"] = rep.get("resultClose", "")
            except (OSError, ValueError, KeyError):
                pass
            details[i] = entry
    timeouts = [o.number for o in (outcomes or []) if o.timed_out]
    # The server numbers cases 1..count in case-id order; map the testee's notes onto ids.
    if outcomes and len(outcomes) == len(cases):
        by_number = dict(
            zip((o.number for o in outcomes), sorted(cases, key=_case_key), strict=True)
        )
        for o in outcomes:
            case_id = by_number[o.number]
            if case_id in details:
                details[case_id]["testee"] = o.note
                details[case_id]["testee_seconds"] = round(o.seconds, 3)
    return {
        "agent": agent_name,
        "total": len(ids),
        "behaviors": {b: behaviors.get(b, 0) for b in BEHAVIOR_ORDER}
        | {b: n for b, n in behaviors.items() if b not in BEHAVIOR_ORDER},
        "behavior_close_not_ok": close_not_ok,
        "failing": failing,
        "non_strict": [i for i in ids if cases[i]["behavior"] == "NON-STRICT"],
        "informational": [i for i in ids if cases[i]["behavior"] == "INFORMATIONAL"],
        "testee_timeouts": timeouts,
        "details": details,
        "passed": not failing and not timeouts,
    }


def format_summary(summary: dict[str, Any], wall: float | None = None) -> str:
    lines = []
    b = summary["behaviors"]
    header = [
        "agent",
        "cases",
        *BEHAVIOR_ORDER,
        "behaviorClose not OK",
        "testee timeouts",
    ]
    row = [
        summary["agent"],
        str(summary["total"]),
        *(str(b.get(k, 0)) for k in BEHAVIOR_ORDER),
        str(len(summary["behavior_close_not_ok"])),
        str(len(summary["testee_timeouts"])),
    ]
    if wall is not None:
        header.append("wall")
        row.append(f"{wall:.1f} s")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.append("| " + " | ".join(row) + " |")
    details = summary["details"]

    def describe(i: str) -> str:
        d = details.get(i, {})
        desc = " ".join(str(d.get("description", "")).split())
        if len(desc) > 160:
            desc = desc[:157] + "..."
        return (
            f"  {i:<8} behavior={d.get('behavior')} behaviorClose={d.get('behaviorClose')}"
            f" remoteCloseCode={d.get('remoteCloseCode')} duration={d.get('duration')}ms"
            + (f"\n           {desc}" if desc else "")
            + (f"\n           result: {d.get('result')}" if d.get("result") else "")
            + (
                f"\n           close: {d.get('resultClose')}"
                if d.get("resultClose")
                else ""
            )
            + (f"\n           testee: {d.get('testee')}" if d.get("testee") else "")
        )

    if summary["failing"]:
        lines.append(f"\nCases below the bar ({len(summary['failing'])}):")
        lines.extend(describe(i) for i in summary["failing"])
    if summary["non_strict"]:
        lines.append(f"\nNON-STRICT (allowed, {len(summary['non_strict'])}):")
        lines.extend(describe(i) for i in summary["non_strict"])
    if summary["informational"]:
        lines.append("\nINFORMATIONAL: " + ", ".join(summary["informational"]))
    if summary["testee_timeouts"]:
        lines.append(
            "\nCase numbers that hit the testee's per-case deadline: "
            + ", ".join(map(str, summary["testee_timeouts"]))
        )
    lines.append("\nRESULT: " + ("PASS" if summary["passed"] else "FAIL"))
    return "\n".join(lines)


def _parse_buffers(text: str) -> tuple[int, int, int, int]:
    parts = [int(p) for p in text.split(",")]
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(
            "need four numbers: in_kb,in_pkts,out_kb,out_pkts"
        )
    return (parts[0], parts[1], parts[2], parts[3])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--url", default="ws://127.0.0.1:9001", help="fuzzing server base URL"
    )
    ap.add_argument("--agent", choices=AGENTS, default=AGENT_GODOT_WS)
    ap.add_argument(
        "--websocket-client",
        dest="agent",
        action="store_const",
        const=AGENT_WEBSOCKET_CLIENT,
        help="same as --agent websocket-client (baseline)",
    )
    ap.add_argument(
        "--reports-dir",
        default="reports",
        help="the spec's outdir (where index.json appears)",
    )
    ap.add_argument(
        "--case-timeout", type=float, default=60.0, help="per-case deadline, s"
    )
    ap.add_argument(
        "--buffers",
        type=_parse_buffers,
        default=DEFAULT_BUFFERS,
        help="godot_ws set_buffers(in_kb,in_pkts,out_kb,out_pkts); default %(default)s",
    )
    ap.add_argument(
        "--cases", help="only these case numbers, e.g. 1-16,250 (the server's order)"
    )
    ap.add_argument("--summary-json", help="also write the summary here as JSON")
    ap.add_argument("--compression", action="store_true",
                    help="godot_ws offers permessage-deflate (compression_enabled)")
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="print godot_ws's log lines"
    )
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="skip running; summarise existing reports",
    )
    args = ap.parse_args(argv)

    only: list[int] | None = None
    if args.cases:
        only = []
        for part in args.cases.split(","):
            lo, _, hi = part.partition("-")
            only.extend(range(int(lo), int(hi or lo) + 1))

    outcomes: list[CaseOutcome] = []
    wall = None
    if not args.report_only:
        agent = make_agent(args.agent, args.buffers, args.verbose)
        agent.compression = args.compression  # type: ignore[attr-defined]
        t0 = time.monotonic()
        try:
            count, outcomes = run_cases(
                agent, args.url.rstrip("/"), args.case_timeout, only
            )
        except Exception as exc:  # noqa: BLE001
            print(f"testee: run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        wall = time.monotonic() - t0
        print(
            f"testee: ran {len(outcomes)} of {count} cases with {args.agent} in {wall:.1f} s"
        )
        slow = sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:5]
        print(
            "testee: slowest case numbers: "
            + ", ".join(f"{o.number} ({o.seconds:.1f} s)" for o in slow)
        )
    try:
        summary = summarize(args.reports_dir, args.agent, outcomes)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"testee: no usable report: {exc}", file=sys.stderr)
        return 2
    summary["wall_seconds"] = wall
    print(format_summary(summary, wall))
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
