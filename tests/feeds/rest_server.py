#!/usr/bin/env python3
"""rest_server.py - Finnhub's quote endpoint and Alpha Vantage's intraday bars on loopback, for tests.

    rest_server.py --served FILE

Prints its port on the first line. The key "testkey" is accepted; any other gets HTTP 401 (Finnhub)
or Alpha Vantage's HTTP 200 "Error Message". The first request of each symbol is throttled: HTTP 429
(Finnhub) or HTTP 200 with an "Information" note (Alpha Vantage). Finnhub quotes move to a new time
every second request; each Alpha Vantage answer holds the last 10 bars of a 5 min series that grows by
one bar a request (US/Eastern times from 2024-06-14 09:30). Every distinct snapshot (symbol, t) and bar
(symbol, time) served is appended to --served as a JSON line. Finnhub's LAG goes back in time every
other answer (a lagging cache node); Alpha Vantage answers NOSUCH with its "Invalid API call" error."""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

counts = {}
served = set()
newest = {}


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def note(self, rec):
        key = json.dumps(rec, sort_keys=True)
        if key not in served:
            served.add(key)
            with open(self.server.served, "a") as f:
                f.write(key + "\n")

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        sym = q.get("symbol", "")
        n = counts.get((u.path, sym), 0)
        counts[(u.path, sym)] = n + 1
        if u.path == "/api/v1/quote":
            if q.get("token") != "testkey":
                return self.send(401, {"error": "Invalid API key"})
            if n == 0:
                return self.send(429, {"error": "API limit reached. Please try again later."})
            t = 1718371800 + (n // 2)
            if sym == "LAG":  # a lagging cache node: the time goes back every other answer
                t = 1718371800 + ((n + 1) // 2 if n % 2 else n // 2 - 1)
            c = round(180 + n * 0.25, 2)
            if t > newest.get(sym, 0):  # an older time than one served before is stale: not to publish
                newest[sym] = t
                self.note({"kind": "snapshot", "symbol": sym, "t": t})
            return self.send(200, {"c": c, "d": 0.5, "dp": 0.28, "h": c + 1, "l": c - 1, "o": 180.0,
                                   "pc": 179.5, "t": t})
        if u.path == "/query":
            if q.get("apikey") != "testkey":
                return self.send(200, {"Error Message": "the parameter apikey is invalid or missing."})
            if sym == "NOSUCH":  # what Alpha Vantage answers for a symbol it does not know
                return self.send(200, {"Error Message": "Invalid API call. Please retry or visit the documentation "
                                                        "(https://www.alphavantage.co/documentation/) for "
                                                        "TIME_SERIES_INTRADAY."})
            if n == 0:
                return self.send(200, {"Information": "Thank you for using Alpha Vantage! Our standard API "
                                                      "rate limit is 25 requests per day."})
            series = {}
            total = 10 + n
            for k in range(max(0, total - 10), total):
                mins = 9 * 60 + 30 + 5 * k
                stamp = "2024-06-14 %02d:%02d:00" % (mins // 60, mins % 60)
                series[stamp] = {"1. open": "%.4f" % (62 + k * 0.01), "2. high": "%.4f" % (62.5 + k * 0.01),
                                 "3. low": "%.4f" % (61.5 + k * 0.01), "4. close": "%.4f" % (62.2 + k * 0.01),
                                 "5. volume": str(100 + k)}
                self.note({"kind": "bar", "symbol": sym, "time": stamp})
            return self.send(200, {"Meta Data": {"1. Information": "Intraday (5min) open, high, low, close prices and volume",
                                                 "2. Symbol": sym, "3. Last Refreshed": stamp, "4. Interval": "5min",
                                                 "5. Output Size": "Compact", "6. Time Zone": "US/Eastern"},
                                   "Time Series (5min)": dict(reversed(list(series.items())))})
        self.send(404, {"error": "not found"})


ap = argparse.ArgumentParser()
ap.add_argument("--served", required=True)
a = ap.parse_args()
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.served = a.served
print(srv.server_address[1], flush=True)
srv.serve_forever()
