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
    n = 0
    event = None
    rest = b""
    with open(out, "w") as f:
        while time.monotonic() < until:
            # What one read returns arrived together: its time is taken once,
            # before any of it is parsed (parsing a burst of alerts line by line
            # would add the client's own work to the later ones).
            chunk = resp.fp.read1(1 << 16)
            at = time.time() * 1000.0
            if not chunk:
                sys.exit("sse_alerts: the server closed the stream")
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
