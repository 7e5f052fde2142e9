#!/usr/bin/env python3
"""What durability costs on this file system, apart from Lifeboat's code.

Times, per instance-sized file (512 KiB), the three commits invariant 1 asks for before a C-STORE
Success: fsync of the new file, fsync of the directory it was linked into, and a small
overwrite + fdatasync of an existing file (what a SQLite WAL commit costs at least).
Usage: Benchmarks/sync-floor.py DIRECTORY [files]   (prints the median and mean of each, in ms)
"""
import os
import statistics
import sys
import tempfile
import time

folder = tempfile.mkdtemp(dir=sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
data = os.urandom(512 * 1024)
os.mkdir(f"{folder}/tmp")
os.mkdir(f"{folder}/blobs")
wal = os.open(f"{folder}/wal", os.O_RDWR | os.O_CREAT)
os.write(wal, bytes(4 << 20))
os.fsync(wal)
times = {"file fsync": [], "directory fsync": [], "WAL-like fdatasync": []}
for i in range(count):
    path = f"{folder}/tmp/{i}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    os.write(fd, data)
    start = time.perf_counter()
    os.fsync(fd)
    synced = time.perf_counter()
    os.link(path, f"{folder}/blobs/{i}")
    directory = os.open(f"{folder}/blobs", os.O_RDONLY)
    linked = time.perf_counter()
    os.fsync(directory)
    dir_synced = time.perf_counter()
    os.pwrite(wal, data[:8192], (i * 8192) % (4 << 20))
    os.fdatasync(wal)
    end = time.perf_counter()
    os.close(directory)
    os.close(fd)
    os.unlink(path)
    times["file fsync"].append(synced - start)
    times["directory fsync"].append(dir_synced - linked)
    times["WAL-like fdatasync"].append(end - dir_synced)
for name, values in times.items():
    print(f"    {name}: median {statistics.median(values) * 1000:.2f} ms, mean {statistics.mean(values) * 1000:.2f} ms")
total = sum(statistics.mean(v) for v in times.values())
print(f"    all three in a row, per instance (means): {total * 1000:.2f} ms")
for name in os.listdir(f"{folder}/blobs"):
    os.unlink(f"{folder}/blobs/{name}")
os.rmdir(f"{folder}/blobs")
os.rmdir(f"{folder}/tmp")
os.close(wal)
os.unlink(f"{folder}/wal")
os.rmdir(folder)
