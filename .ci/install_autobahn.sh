#!/usr/bin/env bash
# Install Autobahn|Testsuite (wstest) for the RFC 6455 conformance run.
#
# autobahntestsuite runs on Python 2.7 only. This script puts it into a
# virtualenv made from pyenv's Python 2.7.18, so that interpreter stays clean:
#
#   $GODOT_WS_AUTOBAHN_ENV   (default: $HOME/.cache/godot_ws-autobahn)
#
# Idempotent: when the pinned version is already installed it only prints where
# wstest lives. Needs PyPI and nothing else from the network.
#
# Environment:
#   GODOT_WS_AUTOBAHN_ENV   where the virtualenv goes
#   GODOT_WS_PY27           a Python 2.7 interpreter to use instead of pyenv's 2.7.18
#
# Prints, as its last line:  wstest: /path/to/wstest
set -euo pipefail

AUTOBAHN_VERSION="25.10.1"
VIRTUALENV_VERSION="16.7.12"   # last single-file virtualenv; runs on 2.7 with no deps
ENV_DIR="${GODOT_WS_AUTOBAHN_ENV:-$HOME/.cache/godot_ws-autobahn}"
WORK_DIR="${ENV_DIR}.build"

log() { printf '[install_autobahn] %s\n' "$*" >&2; }

# pip on Python 2 prints deprecation banners; the local file:// indexes of this
# machine kind print "is ignored" warnings. Neither matters here.
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_PYTHON_VERSION_WARNING=1
export PYTHONWARNINGS="ignore:DEPRECATION"

installed_ok() {
    [ -x "$ENV_DIR/bin/wstest" ] && [ -x "$ENV_DIR/bin/python" ] &&
        "$ENV_DIR/bin/python" - "$AUTOBAHN_VERSION" >/dev/null 2>&1 <<'EOF'
import sys
import pkg_resources
dist = pkg_resources.get_distribution("autobahntestsuite")
assert dist.version == sys.argv[1], dist.version
import autobahntestsuite.wstest  # imports Twisted and autobahn 0.10.9
EOF
}

if installed_ok; then
    log "autobahntestsuite $AUTOBAHN_VERSION already installed in $ENV_DIR"
    echo "wstest: $ENV_DIR/bin/wstest"
    exit 0
fi

find_py27() {
    local cand
    if [ -n "${GODOT_WS_PY27:-}" ]; then echo "$GODOT_WS_PY27"; return 0; fi
    if command -v pyenv >/dev/null 2>&1; then
        cand="$(pyenv prefix 2.7.18 2>/dev/null || true)"
        if [ -n "$cand" ] && [ -x "$cand/bin/python" ]; then echo "$cand/bin/python"; return 0; fi
        cand="$(pyenv root 2>/dev/null || true)/versions/2.7.18/bin/python"
        if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    fi
    for cand in "${PYENV_ROOT:-/nonexistent}/versions/2.7.18/bin/python" \
                /root/.pyenv/versions/2.7.18/bin/python \
                "$(command -v python2.7 2>/dev/null || true)"; do
        if [ -n "$cand" ] && [ -x "$cand" ]; then echo "$cand"; return 0; fi
    done
    return 1
}

PY27="$(find_py27)" || {
    log "no Python 2.7 found (tried GODOT_WS_PY27, pyenv 2.7.18, python2.7)."
    log "install one with: pyenv install 2.7.18"
    exit 1
}
"$PY27" -c 'import sys; assert sys.version_info[:2] == (2, 7), sys.version' || {
    log "$PY27 is not Python 2.7"; exit 1; }
log "using Python 2.7 at $PY27"

start=$(date +%s)
rm -rf "$ENV_DIR" "$WORK_DIR"
mkdir -p "$WORK_DIR"

# 1. A virtualenv. virtualenv 16.7.x is installed into a scratch --target dir,
#    not into the interpreter, and brings its own pip/setuptools/wheel wheels.
#    If that fails for any reason, fall back to installing into the interpreter.
PY="$ENV_DIR/bin/python"
if "$PY27" -m pip install -q --target "$WORK_DIR/virtualenv" "virtualenv==$VIRTUALENV_VERSION" &&
   PYTHONPATH="$WORK_DIR/virtualenv" "$PY27" -m virtualenv -q --no-download "$ENV_DIR"; then
    log "virtualenv created at $ENV_DIR"
else
    log "virtualenv failed; installing into the interpreter $PY27 itself"
    rm -rf "$ENV_DIR"
    mkdir -p "$ENV_DIR/bin"
    ln -s "$PY27" "$PY"
fi

pip_install() { "$PY" -m pip install -q "$@"; }

# 2. Build tools that still work on 2.7.
pip_install "setuptools==44.0.0" "wheel<0.38"

# 3. The sdist, for its pinned requirements. (The interpreter's own pip 19.2.3
#    downloads; the virtualenv's pip 20.3.4 trips an assertion in `download`.)
"$PY27" -m pip download -q --no-deps --no-binary :all: -d "$WORK_DIR" \
    "autobahntestsuite==$AUTOBAHN_VERSION"
SDIST="$WORK_DIR/autobahntestsuite-$AUTOBAHN_VERSION.tar.gz"
tar -xzf "$SDIST" -C "$WORK_DIR"
REQS_IN="$WORK_DIR/autobahntestsuite-$AUTOBAHN_VERSION/autobahntestsuite.egg-info/requires.txt"
[ -f "$REQS_IN" ] || { log "requires.txt not found in $SDIST"; exit 1; }
# requires.txt lists pyOpenSSL twice with different case; keep the first of each
# name (case-insensitively) and stop at the first [extra] section, if any.
awk 'BEGIN{IGNORECASE=1}
     /^\[/ {exit}
     NF { name=tolower($0); sub(/[<>=!~\[ ;].*/, "", name);
          if (!(name in seen)) { seen[name]=1; print } }' "$REQS_IN" > "$WORK_DIR/requirements.txt"
log "pinned requirements: $(tr '\n' ' ' < "$WORK_DIR/requirements.txt")"

# 4. The requirements, then the package itself.
pip_install -r "$WORK_DIR/requirements.txt"
pip_install --no-deps "$SDIST"
if [ ! -x "$ENV_DIR/bin/wstest" ]; then   # the fallback put it beside the interpreter
    ln -sf "$(dirname "$PY27")/wstest" "$ENV_DIR/bin/wstest"
fi

installed_ok || { log "wstest does not import after installation"; exit 1; }
rm -rf "$WORK_DIR"
log "installed autobahntestsuite $AUTOBAHN_VERSION in $(( $(date +%s) - start )) s"
echo "wstest: $ENV_DIR/bin/wstest"
