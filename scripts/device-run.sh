#!/usr/bin/env bash
# Runs on a lent GPU machine, from the repository root, after scripts/device-prepare.sh here:
#   device run: command "bash scripts/device-run.sh", carry [".devrun", ".gl"], timeout 480 s
# Writes to $OUT: the card and driver, the GPU tests that need no model files, and gpu-bench
# for yolov4-tiny and yolov3-tiny (synthetic weights: the times do not depend on the values)
# with every convolution kernel, the per-layer kernel and split-K choice the default GpuNet::build
# makes, f16 storage, and batches of 16 in one submission (images/s, f32 and f16).
set -u
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
out="${OUT:-/tmp/device-out}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv | tee "$out/gpu.csv"
# the kernel tests on random inputs (the model and corpus files do not travel)
timeout 240 ./.devrun/gpu-tests --test-threads 1 --skip bus_detections --skip real_weights \
  --skip corpus --skip f16_detections >"$out/tests.txt" 2>&1
tail -5 "$out/tests.txt"
b=./.devrun/csplens
$b gpu-bench --channels 256 --size 52 --iters 20 --batch 16 --cfg assets/yolov4-tiny.cfg >"$out/yolov4-tiny.json"
$b gpu-bench --channels 512 --size 104 --iters 5 --batch 16 --cfg assets/yolov3-tiny.cfg >"$out/yolov3-tiny.json"
python3 - "$out" <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    d = json.load(open(f))
    n = d.get("network", {})
    print(os.path.basename(f), [(k["kernel"], round(k["gflops"])) for k in d["kernels"]],
          "round trip", round(d["round_trip_ms"], 3), "dispatch us", d.get("dependent_dispatch_us"),
          "kernels", n.get("kernels_ms_by_conv_kernel"),
          "default", n.get("default_kernels"), "forward", n.get("forward_ms"),
          "transfers", n.get("transfer_ms"), "encode", n.get("encode_ms"),
          "build", n.get("build_ms"), "remembered", n.get("remembered"),
          "dispatches", n.get("dispatches"), "copies", n.get("buffer_copies"))
    print("  f16:", n.get("f16"), "batch:", n.get("batch"))
    if n.get("conv_choices"):
        print("  choice:", " ".join("%d:%s/%d" % (c["layer"], c["kernel"], c["splits"])
                                    for c in n["conv_choices"]))
    # per layer: each conv kernel's time and the fastest (the per-layer choice's lower bound)
    by = n.get("layer_ms_by_conv_kernel")
    if by:
        names = list(by)
        best = [min(by[k][i] for k in names) for i in range(len(by[names[0]]))]
        print("  layers, ms:", " ".join(names), "| sum of per-layer minima", round(sum(best), 3))
        for i, b in enumerate(best):
            if b > 0.02:
                print("  %3d" % i, " ".join("%.3f" % by[k][i] for k in names),
                      min(names, key=lambda k: by[k][i]))
PY
