#!/usr/bin/env bash
# Seeds the fuzz corpora: the real cfg corpus and the golden bad cfgs for `cfg`, the sample
# images for `image`, the real (truncated) weights headers for `weights`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/corpus/cfg" "$here/corpus/image" "$here/corpus/weights"
for f in "$here"/../../shared/cfg/*/*.cfg "$here"/../../shared/cfg/darknet/yolov1/*.cfg; do
  rel="${f#"$here"/../../shared/cfg/}"
  cp "$f" "$here/corpus/cfg/${rel//\//__}"
done
cp "$here"/../tests/fixtures/bad/*.cfg "$here/corpus/cfg/"
models="$(bash "$here/../scripts/fetch-models.sh")"
cp "$models/images/"*.jpg "$here/corpus/image/"
head -c 4096 "$models/yolov4-tiny/yolov4-tiny.weights" > "$here/corpus/weights/yolov4-tiny-head"
