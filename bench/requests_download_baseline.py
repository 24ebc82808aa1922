"""The original Label Studio download script's approach, timed inside Python.

It reads the project's JSON export and, for each task, one after the other,
`requests.get(LS_URL + data['image'], headers={'Authorization': 'Token ' + token})`
and writes the body to a file named after the URL. The original slept 5 s after
every image; that sleep is removed here (the bench adds n x 5 s to the measured
time separately), so what is timed is the requests + write loop alone.

Usage: python requests_download_baseline.py EXPORT_JSON LS_URL OUT_DIR
       (token in the LS_TOKEN environment variable, never on the command line)
       python requests_download_baseline.py --versions
Prints one JSON line: seconds (perf_counter around reading the export and the loop),
cpuSeconds (process_time), files, bytes, and any non-200 answers.
"""
import json
import os
import platform
import sys
import time

import requests


def versions():
    print(json.dumps({'python': platform.python_version(), 'requests': requests.__version__}))


def download(export_path, ls_url, out_dir):
    token = os.environ['LS_TOKEN']
    started = time.perf_counter()
    cpu_started = time.process_time()
    with open(export_path) as f:
        tasks = json.load(f)
    files = 0
    total = 0
    bad = []
    for task in tasks:
        data = task['data']
        r = requests.get(ls_url + data['image'], headers={'Authorization': 'Token ' + token})
        if r.status_code != 200:
            bad.append({'task': task.get('id'), 'status': r.status_code})
            continue
        with open(os.path.join(out_dir, os.path.basename(data['image'])), 'wb') as out:
            out.write(r.content)
        files += 1
        total += len(r.content)
        # time.sleep(5)  # the original's pause after every image, removed for the measurement
    print(json.dumps({
        'seconds': time.perf_counter() - started,
        'cpuSeconds': time.process_time() - cpu_started,
        'files': files,
        'bytes': total,
        'bad': bad[:5],
        'badCount': len(bad),
    }))


if __name__ == '__main__':
    if sys.argv[1:] == ['--versions']:
        versions()
    else:
        download(*sys.argv[1:4])
