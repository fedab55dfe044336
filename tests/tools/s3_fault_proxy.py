#!/usr/bin/env python3
"""s3_fault_proxy.py - a misbehaving S3 in front of a real one, for the sink's fault tests
(tests/integration/t0106-sink-s3-faults.sh). Python 3 standard library only.

It listens on loopback and forwards every request to the upstream S3 server (versitygw) unchanged:
method, path and query as sent, every header including Host, the body byte for byte. A SigV4
signature covers the Host the client signed (this proxy's address) and versitygw checks it against
the Host header it receives, so forwarded requests stay valid without re-signing.

For each request it draws from a random generator seeded by --seed whether to misbehave, and how:

  delay        forward, then hold the answer for --delay seconds (a slow S3)
  slowdown     answer 503 with an S3 <Error><Code>SlowDown</Code> document, not forwarded
  internal     answer 500 InternalError, not forwarded
  reset-before reset the connection (RST) without forwarding: the request never reached S3
  reset-after  forward (S3 did the work), then reset without answering: the client cannot know
               that its PUT / part / CompleteMultipartUpload succeeded (the doubling hazard)
  reset-mid    forward, send the first half of the answer (status line, headers, body), then reset
  aborted      answer 404 NoSuchUpload, not forwarded: as when another writer aborted the multipart
               upload (a sink that took the partition over cleans up its uploads); the upload stays
               incomplete upstream, as the next owner finds it
  denied       answer 403 AccessDenied, not forwarded: a lasting failure that no retry mends (a
               bucket policy denying some keys)

While the file given by --storm exists, every request is answered 503 SlowDown (a throttling storm,
logged as "fault slowdown OP METHOD PATH storm"), so a test can see how a client backs off.

--rate KIND=P sets the chance of each kind per request (repeatable); --ensure OPS makes sure every
kind happens on each of those kinds of request (put, part, create, complete, abort, get, head, list,
list-uploads, delete): the first requests of such an op take the kinds in turn, before the random
draws start. --ops limits faults to the listed ops (default: all).

Every request is one line in --log: "fault KIND OP METHOD PATH" when a fault was injected, else
"pass OP METHOD PATH STATUS"; "peak OP N" when N requests of OP are handled at once, more than ever
before (a client's parallelism). Prints the listening port on stdout once ready.
"""
import argparse
import http.client
import http.server
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

KINDS = ["delay", "slowdown", "internal", "reset-before", "reset-after", "reset-mid"]
# Not among the kinds --ensure forces in turn: a vanished upload is not a fault to retry.
OTHER_KINDS = ["aborted", "denied"]
ARGS = None
LOCK = threading.Lock()
RNG = None
PENDING = {}  # op -> kinds still to be forced (--ensure)
# The faults answered with an S3 error document instead of forwarding: status, reason, code, message.
ANSWERS = {
    "slowdown": (503, "Slow Down", "SlowDown", "Please reduce your request rate."),
    "internal": (500, "Internal Server Error", "InternalError",
                 "We encountered an internal error. Please try again."),
    "aborted": (404, "Not Found", "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload "
                "may have been aborted or completed."),
    "denied": (403, "Forbidden", "AccessDenied", "Access Denied"),
}
INFLIGHT = {}  # op -> requests being handled now
PEAK = {}  # op -> the most handled at once so far


def log(line):
    with LOCK, open(ARGS.log, "a") as f:
        f.write(line + "\n")


def classify(method, path):
    """The S3 operation of a request: put, part, create, complete, abort, get, head, list,
    list-uploads, delete or bucket."""
    parsed = urllib.parse.urlsplit(path)
    q = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
    segments = [s for s in parsed.path.split("/") if s]
    has_key = len(segments) > 1
    if method == "PUT":
        if "partNumber" in q:
            return "part"
        return "put" if has_key else "bucket"
    if method == "POST":
        if "uploads" in q:
            return "create"
        if "uploadId" in q:
            return "complete"
        return "post"
    if method == "DELETE":
        return "abort" if "uploadId" in q else "delete"
    if method == "HEAD":
        return "head"
    if method == "GET":
        if "uploads" in q:
            return "list-uploads"
        if not has_key:
            return "list"
        return "get"
    return method.lower()


def choose(op):
    """The fault for a request of op, or None."""
    if ARGS.ops and op not in ARGS.ops:
        return None
    with LOCK:
        pending = PENDING.get(op)
        if pending:
            return pending.pop(0)
        x = RNG.random()
    for kind in KINDS + OTHER_KINDS:
        p = ARGS.rates.get(kind, 0.0)
        if x < p:
            return kind
        x -= p
    return None


def error_doc(code, message, resource):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<Resource>%s</Resource><RequestId>fault-proxy</RequestId></Error>"
        % (code, message, escape(resource))
    ).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reset(self):
        """Closes the connection abruptly: SO_LINGER 0 makes close() send a RST."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def forward(self, body):
        """Sends the request upstream as it came; returns (status, reason, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", ARGS.upstream_port, timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() in ("expect", "connection", "keep-alive", "proxy-connection"):
                    continue
                conn.putheader(name, value)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    def raw_response(self, status, reason, headers, data):
        out = ["HTTP/1.1 %d %s\r\n" % (status, reason)]
        has_length = False
        for name, value in headers:
            low = name.lower()
            if low in ("transfer-encoding", "connection", "keep-alive"):
                continue
            if low == "content-length":
                if self.command != "HEAD":
                    value = str(len(data))
                has_length = True
            out.append("%s: %s\r\n" % (name, value))
        if not has_length:
            out.append("Content-Length: %d\r\n" % len(data))
        out.append("\r\n")
        head = "".join(out).encode("latin-1")
        return head + (b"" if self.command == "HEAD" else data)

    def handle_any(self):
        op = classify(self.command, self.path)
        with LOCK:
            INFLIGHT[op] = INFLIGHT.get(op, 0) + 1
            peak = INFLIGHT[op] if INFLIGHT[op] > PEAK.get(op, 0) else 0
            if peak:
                PEAK[op] = peak
        if peak:
            log("peak %s %d" % (op, peak))
        try:
            self.handle_one(op)
        finally:
            with LOCK:
                INFLIGHT[op] -= 1

    def handle_one(self, op):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        storm = bool(ARGS.storm) and os.path.exists(ARGS.storm)
        kind = "slowdown" if storm else choose(op)
        where = "%s %s %s" % (op, self.command, self.path)
        if kind:
            log("fault %s %s%s" % (kind, where, " storm" if storm else ""))
        if kind in ANSWERS:
            status, reason, code, message = ANSWERS[kind]
            doc = error_doc(code, message, self.path)
            headers = [("Content-Type", "application/xml")]
            self.wfile.write(self.raw_response(status, reason, headers, doc))
            return
        if kind == "reset-before":
            self.reset()
            return
        try:
            status, reason, headers, data = self.forward(body)
        except OSError as e:
            log("upstream-error %s %s" % (where, e))
            self.reset()
            return
        if kind == "reset-after":
            self.reset()
            return
        raw = self.raw_response(status, reason, headers, data)
        if kind == "reset-mid":
            self.wfile.write(raw[: max(1, len(raw) // 2)])
            self.reset()
            return
        if kind == "delay":
            time.sleep(ARGS.delay)
        else:
            log("pass %s %d" % (where, status))
        self.wfile.write(raw)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that went away (or a connection we reset): nothing to report


def main():
    global ARGS, RNG
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--upstream-port", type=int, required=True, help="the S3 server's port on 127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", action="append", default=[], metavar="KIND=P",
                    help="chance of KIND per request (%s)" % ", ".join(KINDS + OTHER_KINDS))
    ap.add_argument("--delay", type=float, default=3.0, help="seconds a delayed answer is held")
    ap.add_argument("--ensure", default="", help="ops on which every kind happens at least once")
    ap.add_argument("--ops", default="", help="ops that may get faults (default: all)")
    ap.add_argument("--storm", default="", help="while this file exists, answer every request 503 SlowDown")
    ap.add_argument("--log", required=True)
    ARGS = ap.parse_args()
    ARGS.rates = {}
    for r in ARGS.rate:
        kind, _, p = r.partition("=")
        if kind not in KINDS + OTHER_KINDS:
            ap.error("unknown fault kind '%s' (%s)" % (kind, ", ".join(KINDS + OTHER_KINDS)))
        ARGS.rates[kind] = float(p)
    if sum(ARGS.rates.values()) > 1:
        ap.error("the rates add up to more than 1")
    ARGS.ops = set(o for o in ARGS.ops.split(",") if o)
    for op in (o for o in ARGS.ensure.split(",") if o):
        PENDING[op] = list(KINDS)
    RNG = random.Random(ARGS.seed)
    open(ARGS.log, "a").close()
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
