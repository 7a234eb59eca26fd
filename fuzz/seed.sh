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
# Small images explore the decoders far faster than full photographs: a few sizes of both
# samples as baseline and progressive JPEG, PNG (RGB and grey) and BMP (needs ImageMagick).
if command -v convert >/dev/null; then
  small="$here/corpus/image-small"
  mkdir -p "$small"
  for s in 16 40 97; do
    for f in bus zidane; do
      convert "$models/images/$f.jpg" -resize "${s}x${s}!" "$small/$f-$s.jpg"
      convert "$models/images/$f.jpg" -resize "${s}x${s}!" "$small/$f-$s.png"
      convert "$models/images/$f.jpg" -resize "${s}x${s}!" "BMP3:$small/$f-$s.bmp"
    done
  done
  convert "$models/images/bus.jpg" -resize '33x21!' -interlace JPEG "$small/progressive.jpg"
  convert "$models/images/bus.jpg" -resize '30x30!' -colorspace Gray "$small/gray.png"
fi
# Command lines for `cli`: arguments separated by NUL bytes.
mkdir -p "$here/corpus/cli"
i=0
for line in 'profile|x.cfg|--width|416' '--max-layers|99999999999999999999|profile|a.cfg' \
  'compare|a.cfg|b.cfg|--width|0|--height|-1' 'detect|--cfg|a|--weights|b|--image|c|--thresh|nan' \
  '--max-activation-gib|inf|profile|x.cfg|--format|md' 'bench|--cfg|a|--weights|b|--image|c|--runs|0' \
  'a.cfg|b.weights|c.names|bus.jpg' '--max-image-pixels|1e9|--max-weights-gib|-3|profile|y'; do
  printf '%s' "$line" | tr '|' '\0' > "$here/corpus/cli/seed-$i"
  i=$((i + 1))
done
