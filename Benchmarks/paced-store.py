#!/usr/bin/env python3
"""Sends the Part 10 files of DIR to a C-STORE SCP at a steady RATE per second: every tenth
of a second a dcmtk storescu (TCP_NODELAY=1) starts with the next RATE/10 files, whether or
not the one before has finished. Prints the rate reached and how far behind schedule the
batches started, so a rate the receiver could not take shows.

Usage: paced-store.py DIR HOST PORT AE RATE
"""
import glob
import os
import subprocess
import sys
import time

directory, host, port, called, rate = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
files = sorted(glob.glob(os.path.join(directory, "*.dcm")))
per_batch = max(1, round(rate / 10))
environment = dict(os.environ, TCP_NODELAY="1")
start = time.monotonic()
late = 0.0
running = []
for batch, first in enumerate(range(0, len(files), per_batch)):
    due = start + batch * per_batch / rate
    now = time.monotonic()
    if now < due:
        time.sleep(due - now)
    else:
        late = max(late, now - due)
    running.append(subprocess.Popen(["/usr/bin/storescu", "-aec", called, host, port] + files[first:first + per_batch],
                                    env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
failed = sum(1 for process in running if process.wait() != 0)
elapsed = time.monotonic() - start
print(f"sent {len(files)} in {elapsed:.1f} s ({len(files) / elapsed:.1f}/s, asked {rate:g}/s) by {len(running)} storescu runs, "
      f"at most {late * 1000:.0f} ms behind schedule, {failed} runs failed")
