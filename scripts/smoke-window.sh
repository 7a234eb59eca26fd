#!/usr/bin/env bash
# Real-window smoke test: starts the app on its default (the fetched models) under Xvfb, checks
# that it is still alive after 20 s and takes a screenshot of the screen.
#   usage: scripts/smoke-window.sh [BINARY] [SCREENSHOT]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/csplens}"
shot="${2:-target/smoke-window.png}"
if ! command -v Xvfb >/dev/null || ! command -v import >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb imagemagick >/dev/null
fi
[ -x "$bin" ] || cargo build --bin csplens
display=":${CSPLENS_SMOKE_DISPLAY:-99}"
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
home="$(mktemp -d)"   # a fresh profile: no saved session, so the default start runs
log="$(mktemp)"
cleanup() { kill "$app" "$xvfb" 2>/dev/null || true; rm -rf "$home"; }
sleep 2
DISPLAY="$display" HOME="$home" XDG_DATA_HOME="$home" XDG_CONFIG_HOME="$home" \
  "$bin" >"$log" 2>&1 &
app=$!
trap cleanup EXIT
sleep 20
if ! kill -0 "$app" 2>/dev/null; then
  echo "smoke: the app exited within 20 s" >&2
  cat "$log" >&2 || true
  exit 1
fi
mkdir -p "$(dirname "$shot")"
DISPLAY="$display" import -window root "$shot"
echo "smoke: the app is alive after 20 s; screenshot at $shot"
