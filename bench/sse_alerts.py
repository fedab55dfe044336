#!/usr/bin/env python3
"""Records the alerts a push-stream client of `ticklake serve` (or `run`) receives.

    python3 bench/sse_alerts.py URL SECONDS OUT

Connects to URL/api/stream?kinds=alert and, for SECONDS, writes one line per
alert to OUT: the wall-clock time it arrived (ms since the epoch, taken when
the read that brought it returned), its symbol, its "ts" (ns) and its kind.
bench/latency reads OUT ("file:OUT") and matches each alert with the trade
that closed its window (bench/latency.sh, SSE=1).
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    url, secs, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)  # the server sends a ping after 15 s of silence
    conn.request("GET", "/api/stream?kinds=alert")
    resp = conn.getresponse()
    if resp.status != 200:
        sys.exit(f"sse_alerts: HTTP {resp.status}: {resp.read()[:200]!r}")
    until = time.monotonic() + secs
    # Each read is kept with its arrival time and parsed after the run: what
    # one read returns arrived together, and parsing while the stream runs
    # would delay the next read by the client's own work (json.loads of a
    # burst of alerts), which the latency would then count as the server's.
    reads = []
    while time.monotonic() < until:
        chunk = resp.fp.read1(1 << 16)
        at = time.time() * 1000.0
        if not chunk:
            sys.exit("sse_alerts: the server closed the stream")
        reads.append((at, chunk))
    n = 0
    event = None
    rest = b""
    with open(out, "w") as f:
        for at, chunk in reads:
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                line = line.rstrip(b"\r")
                if line.startswith(b"event:"):
                    event = line[6:].strip()
                elif line.startswith(b"data:") and event == b"alert":
                    a = json.loads(line[5:])
                    f.write(f"{at:.3f} {a['symbol']} {a['ts']} {a['kind']}\n")
                    n += 1
                elif not line:
                    event = None
    print(f"sse_alerts: {n} alerts in {secs:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
