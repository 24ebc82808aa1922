#!/usr/bin/env python3
"""Baseline for the visionflow hash bench: what the original Python scripts did.

    imagehash.average_hash(Image.open(path))

Serves one JSON request per stdin line and answers with one JSON line on stdout,
so the bench can interleave Python runs with its own under the same machine load:

    {"mode": "versions"}
        -> {"python": ..., "pillow": ..., "imagehash": ...}
    {"mode": "hash", "files": [...]}
        -> {"hashes": {path: hex}}
    {"mode": "time", "method": "plain" | "draft", "files": [...], "runs": 1}
        -> {"runsSeconds": [...]}
    anything that fails
        -> {"error": "..."}

"plain" is the baseline. "draft" is for context only: the same hash after
Image.draft('L', (64, 64)), which lets libjpeg decode at 1/8 scale, the Pillow
counterpart of sharp's shrink-on-load. A timed run hashes every file once and is
timed with time.perf_counter.
"""
import json
import platform
import sys
import time

import imagehash
import PIL
from PIL import Image


def average_hash_plain(path):
    return imagehash.average_hash(Image.open(path))


def average_hash_draft(path):
    image = Image.open(path)
    image.draft("L", (64, 64))
    return imagehash.average_hash(image)


METHODS = {"plain": average_hash_plain, "draft": average_hash_draft}


def time_runs(fn, files, runs):
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        for path in files:
            fn(path)
        seconds.append(time.perf_counter() - start)
    return seconds


def handle(request):
    mode = request.get("mode")
    if mode == "versions":
        return {
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "imagehash": imagehash.__version__,
        }
    if mode == "hash":
        return {"hashes": {path: str(average_hash_plain(path)) for path in request["files"]}}
    if mode == "time":
        method = METHODS[request.get("method", "plain")]
        return {"runsSeconds": time_runs(method, request["files"], int(request.get("runs", 1)))}
    raise ValueError("mode must be 'versions', 'hash' or 'time', got %r" % mode)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle(json.loads(line))
        except Exception as err:  # answer, never die: the bench reports the reason
            answer = {"error": "%s: %s" % (type(err).__name__, err)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
