# -*- coding: utf-8 -*-
# ruff: noqa  -- Python 2.7 code (autobahntestsuite); py3-only rewrites would break it
"""Run Autobahn|Testsuite's ``wstest`` with every listener bound to 127.0.0.1.

Python 2.7 only: run it with the interpreter that has autobahntestsuite
installed (``.ci/install_autobahn.sh`` prints where; by default
``~/.cache/godot_ws-autobahn/bin/python``)::

    python2 -u tests/autobahn/wstest_local.py -m fuzzingserver -s spec.json -u 0

Stock ``wstest -m fuzzingserver`` listens on every interface and also starts a
web server on port 8080. This wrapper replaces ``listenWS`` (in
``autobahn.twisted.websocket`` and in ``autobahntestsuite.fuzzing``, which
imported its own reference) with one that forces interface 127.0.0.1, and
passes ``--webport 0`` unless the caller chose a web port, so nothing listens
beyond loopback. All arguments are handed to ``wstest`` unchanged otherwise.
"""

from __future__ import print_function

import sys

INTERFACE = "127.0.0.1"


def _patch():
    import autobahn.twisted.websocket as ab_ws
    import autobahntestsuite.fuzzing as fuzzing

    original = ab_ws.listenWS

    def listen_local(factory, contextFactory=None, backlog=50, interface=""):
        port = original(factory, contextFactory, backlog, INTERFACE)
        print("wstest_local: listening on ws://%s:%d" % (INTERFACE, factory.port))
        sys.stdout.flush()
        return port

    ab_ws.listenWS = listen_local
    fuzzing.listenWS = listen_local


def _ensure_no_webport(argv):
    for arg in argv:
        if (
            arg in ("-u", "--webport")
            or arg.startswith("--webport=")
            or (arg.startswith("-u") and len(arg) > 2)
        ):
            return argv
    return argv + ["--webport", "0"]


def main():
    if sys.version_info[0] != 2:
        sys.stderr.write(
            "wstest_local.py needs the Python 2.7 that has autobahntestsuite\n"
        )
        return 2
    _patch()
    sys.argv = [sys.argv[0]] + _ensure_no_webport(sys.argv[1:])
    from autobahntestsuite import wstest

    wstest.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
