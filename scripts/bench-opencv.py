#!/usr/bin/env python3
"""CPU forward time of csplens against OpenCV DNN on the same image, interleaved in one run.

Usage: python3 scripts/bench-opencv.py [--rounds R] [--runs N] [--threads T] [--batches 1,4,16]
       [--write docs/perf.md]
With --batches, also images/s of batches (OpenCV's blobFromImages against `csplens bench
--batch N`), interleaved the same way.
Needs `pip install "opencv-python-headless<5"` (OpenCV 5 has no Darknet importer) and the
models from scripts/fetch-models.sh. Reports medians; never asserts a time.
"""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def opencv_forward_ms(cv2, net, blob, runs, names):
    times = []
    for _ in range(runs):
        net.setInput(blob)
        t = time.perf_counter()
        net.forward(names)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def opencv_net(cv2, cfg, weights, image):
    """OpenCV DNN's network on the CPU, its output layers and the image."""
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net, net.getUnconnectedOutLayersNames(), cv2.imread(image)


def ours_images_per_s(exe, cfg, weights, image, batch, runs, threads):
    out = subprocess.run([exe, "bench", "--cfg", cfg, "--weights", weights, "--image", image, "--backend", "cpu",
                          "--runs", str(runs), "--threads", str(threads), "--batch", str(batch), "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    v = json.loads(out)
    return v["images_per_s"] if batch == 1 else v["batch"]["images_per_s"]


def batch_table(cv2, models, exe, image, args):
    """images/s at each batch size: csplens (images side by side over the threads) and OpenCV
    DNN (blobFromImages, one forward per batch), interleaved rounds, medians."""
    sizes = [int(b) for b in args.batches.split(",")]
    lines = [f"| model | batch | csplens cpu images/s | OpenCV {cv2.__version__} images/s | ratio (csplens/OpenCV) |",
             "|---|---:|---:|---:|---:|"]
    for model in ["yolov4-tiny", "yolov3-tiny"]:
        cfg, weights = (os.path.join(models, model, f"{model}.{e}") for e in ("cfg", "weights"))
        net, names, img = opencv_net(cv2, cfg, weights, image)
        for n in sizes:
            blob = cv2.dnn.blobFromImages([img] * n, 1 / 255.0, (416, 416), swapRB=True, crop=False)
            opencv_forward_ms(cv2, net, blob, 2, names)  # warm-up
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(ours_images_per_s(exe, cfg, weights, image, n, args.runs, args.threads))
                theirs.append(n * 1e3 / statistics.median(opencv_forward_ms(cv2, net, blob, args.runs, names)))
            o, t = statistics.median(ours), statistics.median(theirs)
            lines.append(f"| {model} | {n} | {o:.1f} | {t:.1f} | {o / t:.2f}× |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", help="comma-separated batch sizes for an images/s table")
    ap.add_argument("--write", help="replace the OpenCV section of this markdown file")
    args = ap.parse_args()
    import cv2

    cv2.setNumThreads(args.threads)
    models = subprocess.run(["bash", os.path.join(ROOT, "scripts/fetch-models.sh")], check=True, capture_output=True, text=True).stdout.strip()
    exe = os.path.join(ROOT, "target/release/csplens")
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    image = os.path.join(models, "images/bus.jpg")
    rows = []
    for model in ["yolov4-tiny", "yolov3-tiny"]:
        cfg, weights = (os.path.join(models, model, f"{model}.{e}") for e in ("cfg", "weights"))
        net, names, img = opencv_net(cv2, cfg, weights, image)
        blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (416, 416), swapRB=True, crop=False)
        opencv_forward_ms(cv2, net, blob, 3, names)  # warm-up
        ours, theirs = [], []
        for _ in range(args.rounds):
            out = subprocess.run([exe, "bench", "--cfg", cfg, "--weights", weights, "--image", image, "--backend", "cpu",
                                  "--runs", str(args.runs), "--threads", str(args.threads), "--format", "json"],
                                 check=True, capture_output=True, text=True).stdout
            ours.append(json.loads(out)["forward_ms"]["median"])
            theirs.append(statistics.median(opencv_forward_ms(cv2, net, blob, args.runs, names)))
        o, t = statistics.median(ours), statistics.median(theirs)
        rows.append((model, o, min(ours), t, min(theirs), o / t))
    lines = [
        f"| model | csplens cpu median ms | min | OpenCV {cv2.__version__} median ms | min | ratio (csplens/OpenCV) |",
        "|---|---:|---:|---:|---:|---:|",
    ] + [f"| {m} | {o:.1f} | {omin:.1f} | {t:.1f} | {tmin:.1f} | {r:.2f}× |" for m, o, omin, t, tmin, r in rows]
    table = "\n".join(lines)
    print(table)
    if args.batches:
        batches = batch_table(cv2, models, exe, image, args)
        print(batches)
        table += ("\n\nBatches, images/s (csplens runs a batch's images side by side over the threads; OpenCV "
                  "forwards one `blobFromImages` blob):\n\n" + batches)
    if args.write:
        path = os.path.join(ROOT, args.write)
        text = open(path).read()
        start, end = "<!-- opencv:start -->", "<!-- opencv:end -->"
        body = (f"{start}\n`python3 scripts/bench-opencv.py` ({args.rounds} interleaved rounds of {args.runs} forward passes, "
                f"{args.threads} threads, bus.jpg at 416×416, forward only):\n\n{table}\n{end}")
        if start in text:
            text = text[: text.index(start)] + body + text[text.index(end) + len(end):]
        else:
            text += "\n## CPU backend against OpenCV DNN\n\n" + body + "\n"
        open(path, "w").write(text)


if __name__ == "__main__":
    sys.exit(main())
