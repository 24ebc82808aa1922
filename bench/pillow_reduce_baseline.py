#!/usr/bin/env python3
"""Baseline for the visionflow reduce bench: what the original lowIMG.py did.

    img = Image.open(path)
    img.thumbnail((side, side))            # only when a longest side is asked for
    img.save(out, "JPEG", quality=quality)

one image after the other in one process, nothing else. Pillow neither applies
the EXIF orientation nor keeps the EXIF block (a portrait photo stored sideways
comes out sideways with no tag to fix it); thumbnail() uses Pillow's defaults
(bicubic, reducing_gap=2.0). Reads one JSON request on stdin, writes one JSON
answer on stdout:

    {"mode": "versions"}
        -> {"python": ..., "pillow": ..., "libjpegTurbo": ...}
    {"mode": "time", "files": [...], "quality": 60, "maxSide": null | 2048, "runs": 1}
        -> {"runsSeconds": [...], "cpuSeconds": [...], "outBytes": total of the last run}
    anything that fails
        -> {"error": "..."}

A timed run reduces every file once (file read included, output kept in memory)
and is timed with time.perf_counter; time.process_time gives its CPU time. One
untimed reduction comes first, so Pillow's plugin imports are not timed.
"""
import io
import json
import platform
import sys
import time

import PIL
from PIL import Image, features


def reduce_one(path, quality, max_side):
    img = Image.open(path)
    if max_side:
        img.thumbnail((max_side, max_side))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getbuffer().nbytes


def time_runs(files, quality, max_side, runs):
    # untimed: Pillow imports its format plugins on the first open; a long-running
    # script pays that once, not once per pass
    if files:
        reduce_one(files[0], quality, max_side)
    seconds, cpu, out_bytes = [], [], 0
    for _ in range(runs):
        start, start_cpu, out_bytes = time.perf_counter(), time.process_time(), 0
        for path in files:
            out_bytes += reduce_one(path, quality, max_side)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"runsSeconds": seconds, "cpuSeconds": cpu, "outBytes": out_bytes}


def versions(_request):
    return {"python": platform.python_version(), "pillow": PIL.__version__, "libjpegTurbo": features.version("libjpeg_turbo") or "no"}


def timed(request):
    return time_runs(request["files"], int(request["quality"]), request.get("maxSide"), int(request.get("runs", 1)))


HANDLERS = {"versions": versions, "time": timed}


def main():
    try:
        request = json.loads(sys.stdin.read())
        handler = HANDLERS.get(request.get("mode"))
        if handler is None:
            raise ValueError("mode must be one of %s, got %r" % (", ".join(HANDLERS), request.get("mode")))
        answer = handler(request)
    except Exception as err:  # answer, never die: the bench reports the reason
        answer = {"error": "%s: %s" % (type(err).__name__, err)}
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
