#!/usr/bin/env bash
# Prepares, on this machine, what scripts/device-run.sh needs on a lent GPU machine
# (docs/perf.md, "On a lent GPU"): the release binary without the app and the GPU test
# binary, both stripped, in .devrun/, and the Vulkan loader packages in .gl/ (both ignored by
# git, carried by the device call).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in /.devrun/ /.gl/; do
  grep -qxF "$dir" .git/info/exclude || echo "$dir" >>.git/info/exclude
done
mkdir -p .devrun
cargo build --release --no-default-features --features gpu
cp target/release/csplens .devrun/csplens
tests=$(cargo test --release --no-default-features --features gpu --test gpu --no-run \
  --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "gpu":
        print(m["executable"])')
cp "$tests" .devrun/gpu-tests
strip .devrun/csplens .devrun/gpu-tests
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update >/dev/null
  # shellcheck disable=SC2086
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh .devrun .gl
