"""The original notebook's frame extraction, as the baseline of the `video` bench part:
cv2.VideoCapture reads (decodes and converts to BGR) every frame, and every
round(fps * every)-th frame is written with cv2.imwrite as JPEG.

    python opencv_frames_baseline.py '{"mode": "versions"}'
    python opencv_frames_baseline.py '{"mode": "run", "video": "...", "out": "dir", "every": 1, "quality": 90}'

Prints one JSON line: versions, or the seconds from opening the video to the last
JPEG written (time.perf_counter, interpreter start and imports excluded), frames
read and frames written.
"""
import json
import os
import platform
import sys
import time


def versions():
    import cv2
    import numpy

    return {"python": platform.python_version(), "opencv": cv2.__version__, "numpy": numpy.__version__}


def run(video, out, every, quality):
    import cv2

    started = time.perf_counter()
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise RuntimeError(f"cv2.VideoCapture cannot open {video}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    step = max(1, int(round(fps * every)))
    index = 0
    written = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            cv2.imwrite(os.path.join(out, f"frame_{index // step:06d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            written += 1
        index += 1
    cap.release()
    return {"seconds": time.perf_counter() - started, "read": index, "written": written, "fps": fps, "threads": cv2.getNumThreads()}


def main():
    request = json.loads(sys.argv[1])
    try:
        if request["mode"] == "versions":
            answer = versions()
        else:
            answer = run(request["video"], request["out"], float(request["every"]), int(request["quality"]))
    except Exception as exc:  # reported to the bench as "unavailable" with the reason
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
