#!/usr/bin/env python3
"""Replication lag per target from a Lifeboat catalog: for each version a target holds, the
time from its arrival (version.receivedAt) to the target's confirmation (replica.replicatedAt);
prints count, p50, p99 and the largest, per target.

Usage: replication-lag.py CATALOG [SINCE]   (SINCE: only versions received at or after it, ISO 8601)
"""
import sqlite3
import sys
from datetime import datetime


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
since = sys.argv[2] if len(sys.argv) > 2 else ""
rows = db.execute("""
    SELECT t.name, v.receivedAt, x.replicatedAt FROM replica x
    JOIN version v ON x.versionRef = v.id JOIN replicationTarget t ON x.targetRef = t.id
    WHERE v.receivedAt >= ? ORDER BY t.name""", (since,)).fetchall()
lags = {}
for name, received, replicated in rows:
    lags.setdefault(name, []).append((parse(replicated) - parse(received)).total_seconds())
for name, values in sorted(lags.items()):
    values.sort()
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"  {name:10} {len(values):6d} versions: p50 {pick(0.5) * 1000:7.0f} ms, p99 {pick(0.99) * 1000:7.0f} ms, max {values[-1] * 1000:7.0f} ms")
