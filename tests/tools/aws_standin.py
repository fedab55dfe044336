#!/usr/bin/env python3
"""aws_standin.py - loopback stand-ins for the AWS credential endpoints, for the credential chain's
tests (tests/integration/t0104-aws-creds.sh):

  * STS (POST /): AssumeRole (SigV4-signed: the Credential's access key must be the root key, and a
    session token, when sent, one we issued and not expired) and AssumeRoleWithWebIdentity
    (unsigned; the WebIdentityToken must equal --web-token's file), answering XML as STS does;
  * the ECS container endpoint (GET /ecs/creds, Authorization must equal --ecs-auth);
  * EC2 instance metadata, IMDSv2: PUT /latest/api/token (needs the TTL header), then
    GET /latest/meta-data/iam/security-credentials/ and .../<role> (need the token header); under
    /v1only/ an instance that refuses tokens (PUT: 403) and answers IMDSv1 GETs without one;
  * GET /process: a credential_process answer (Version 1), for a process that curls it;
  * an S3 front (the second port; https with --s3-tls) for versitygw, which accepts only its root keys and rejects any
    X-Amz-Security-Token (400 InvalidToken): every request must carry a session token we issued and
    that has not expired (else 400 ExpiredToken / 403 InvalidToken, as S3 answers), and is then
    re-signed with the root keys, without the token, and forwarded.

Every set of "temporary" credentials is the root key pair with a new session token that expires
--ttl seconds later. Each event is one line in --log ("issue sts-web TOKEN", "s3 ok TOKEN",
"s3 expired TOKEN", ...) for the test to count. Prints "AWS_PORT S3_PORT" on stdout once listening.
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import http.server
import itertools
import json
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
TOKENS = {}  # session token -> expiry (unix seconds)
COUNTER = itertools.count(1)
ARGS = None
ROOT_AK = ROOT_SK = None


def log(line):
    with LOCK, open(ARGS.log, "a") as f:
        f.write(line + "\n")


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue(kind):
    exp = int(time.time()) + ARGS.ttl
    tok = "TLTOKEN%d-%s" % (next(COUNTER), kind)
    with LOCK:
        TOKENS[tok] = exp
    log("issue %s %s" % (kind, tok))
    return tok, exp


def token_state(tok):
    """'ok', 'expired' or 'unknown'."""
    with LOCK:
        exp = TOKENS.get(tok)
    if exp is None:
        return "unknown"
    return "ok" if time.time() < exp else "expired"


def read_ini_keys(path):
    ak = sk = None
    for line in open(path):
        k, _, v = line.partition("=")
        k, v = k.strip(), v.strip()
        if k == "aws_access_key_id":
            ak = v
        elif k == "aws_secret_access_key":
            sk = v
    return ak, sk


def sign(method, path, query, headers, payload_hash, region="us-east-1", service="s3"):
    """SigV4 Authorization for the root keys. headers: lower-case name -> value (all signed)."""
    amz_date = headers["x-amz-date"]
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    q = lambda s: urllib.parse.quote(s, safe="-_.~")
    cq = "&".join("%s=%s" % (q(k), q(v)) for k, v in sorted(pairs))
    names = sorted(headers)
    ch = "".join("%s:%s\n" % (n, " ".join(headers[n].strip().split())) for n in names)
    sh = ";".join(names)
    creq = "\n".join([method, path, cq, ch, sh, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + ROOT_SK).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ROOT_AK, scope, sh, sig)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body, ctype="text/xml", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


def sts_error(code, msg):
    return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>" % (code, msg))


def creds_xml(action, tok, exp):
    return ("<{a}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{a}Result>"
            "<Credentials><AccessKeyId>{ak}</AccessKeyId><SecretAccessKey>{sk}</SecretAccessKey>"
            "<SessionToken>{tok}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
            "</{a}Result></{a}Response>").format(a=action, ak=ROOT_AK, sk=ROOT_SK, tok=tok,
                                                exp=iso(exp))


def creds_json(tok, exp, process=False):
    d = {"AccessKeyId": ROOT_AK, "SecretAccessKey": ROOT_SK, "Expiration": iso(exp)}
    if process:
        d.update({"Version": 1, "SessionToken": tok})
    else:
        d.update({"Code": "Success", "Type": "AWS-HMAC", "Token": tok,
                  "LastUpdated": iso(time.time())})
    return json.dumps(d)


class AwsHandler(Handler):
    def signature_ok(self, raw):
        """The AssumeRole request's SigV4 signature, recomputed with the root secret."""
        auth = self.headers.get("Authorization") or ""
        try:
            signed = auth.split("SignedHeaders=")[1].split(",")[0].strip().split(";")
            region = auth.split("Credential=")[1].split("/")[2]
            hdrs = {h: self.headers.get(h) or "" for h in signed}
            want = sign("POST", "/", "", hdrs, hashlib.sha256(raw).hexdigest(), region, "sts")
        except (IndexError, KeyError):
            return False
        return want.split("Signature=")[1] == auth.split("Signature=")[1].strip()

    def do_POST(self):  # STS
        raw = self.body()
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        action = form.get("Action")
        if action == "AssumeRoleWithWebIdentity":
            want = open(ARGS.web_token).read().strip()
            if form.get("WebIdentityToken") != want or not form.get("RoleArn"):
                log("sts-web denied")
                return self.reply(403, sts_error("AccessDenied", "bad web identity token"))
            tok, exp = issue("sts-web")
            return self.reply(200, creds_xml(action, tok, exp))
        if action == "AssumeRole":
            auth = self.headers.get("Authorization") or ""
            st = self.headers.get("X-Amz-Security-Token")
            if (("Credential=%s/" % ROOT_AK) not in auth or "/sts/aws4_request" not in auth or
                    not self.signature_ok(raw)):
                log("sts-assume denied signature")
                return self.reply(403, sts_error("SignatureDoesNotMatch", "not signed for sts"))
            if st is not None and token_state(st) != "ok":
                log("sts-assume denied token")
                return self.reply(403, sts_error("ExpiredToken", "source token expired"))
            if ARGS.external_id and form.get("ExternalId") != ARGS.external_id:
                log("sts-assume denied external-id")
                return self.reply(403, sts_error("AccessDenied", "bad ExternalId"))
            tok, exp = issue("sts-assume")
            return self.reply(200, creds_xml(action, tok, exp))
        self.reply(400, sts_error("InvalidAction", "unknown action"))

    def do_PUT(self):  # IMDSv2 token
        self.body()
        if self.path == "/v1only/latest/api/token":  # an instance that refuses IMDSv2 tokens
            log("imds token refused")
            return self.reply(403, "", "text/plain")
        if self.path != "/latest/api/token" or not self.headers.get(
                "X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "", "text/plain")
        t = "IMDSTOKEN%d" % next(COUNTER)
        with LOCK:
            TOKENS[t] = time.time() + 21600
        log("imds token")
        self.reply(200, t, "text/plain")

    def do_GET(self):
        if self.path == "/ecs/creds":
            if self.headers.get("Authorization") != ARGS.ecs_auth:
                log("ecs denied")
                return self.reply(403, "{}", "application/json")
            tok, exp = issue("ecs")
            return self.reply(200, creds_json(tok, exp), "application/json")
        if self.path == "/process":
            tok, exp = issue("process")
            return self.reply(200, creds_json(tok, exp, process=True), "application/json")
        v1 = self.path.startswith("/v1only/")
        path = self.path[len("/v1only"):] if v1 else self.path
        if path.startswith("/latest/meta-data/iam/security-credentials/"):
            t = self.headers.get("X-aws-ec2-metadata-token")
            if v1:
                log("imds v1 get")
            elif not t or not t.startswith("IMDSTOKEN") or token_state(t) != "ok":
                log("imds unauthorized")
                return self.reply(401, "", "text/plain")
            role = path[len("/latest/meta-data/iam/security-credentials/"):]
            if role == "":
                return self.reply(200, "tl-role", "text/plain")
            if role != "tl-role":
                return self.reply(404, "", "text/plain")
            tok, exp = issue("imds")
            return self.reply(200, creds_json(tok, exp), "application/json")
        self.reply(404, "", "text/plain")


def s3_error(code, msg):
    return "<Error><Code>%s</Code><Message>%s</Message></Error>" % (code, msg)


class S3Handler(Handler):
    def forward(self):
        body = self.body()
        tok = self.headers.get("X-Amz-Security-Token")
        state = token_state(tok) if tok else "missing"
        log("s3 %s %s %s" % (state, tok or "-", self.command))
        if state == "expired":
            return self.reply(400, s3_error("ExpiredToken", "The provided token has expired."))
        if state != "ok":
            return self.reply(403, s3_error("InvalidToken", "no session token of ours"))
        path, _, query = self.path.partition("?")
        host = "127.0.0.1:%d" % ARGS.upstream_port
        payload = self.headers.get("x-amz-content-sha256") or "UNSIGNED-PAYLOAD"
        hdrs = {"host": host, "x-amz-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
                "x-amz-content-sha256": payload}
        out = dict(hdrs)
        out["Authorization"] = sign(self.command, path, query, hdrs, payload)
        for h in ("Range", "Content-Type", "If-None-Match", "If-Match"):
            if self.headers.get(h):
                out[h] = self.headers.get(h)
        if self.command in ("PUT", "POST"):
            out["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", ARGS.upstream_port, timeout=60)
        conn.request(self.command, self.path, body=body if body else None, headers=out)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        keep = ("etag", "last-modified", "content-type", "content-range", "accept-ranges")
        for k, v in r.getheaders():
            if k.lower() in keep or k.lower().startswith("x-amz-"):
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", r.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS, ROOT_AK, ROOT_SK
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root-creds", required=True, help="versitygw's AWS credentials file")
    p.add_argument("--upstream-port", type=int, required=True, help="versitygw's port")
    p.add_argument("--ttl", type=int, default=20, help="seconds the issued credentials last")
    p.add_argument("--web-token", required=True, help="file with the expected web identity token")
    p.add_argument("--ecs-auth", required=True, help="the expected container Authorization value")
    p.add_argument("--external-id", default="", help="the ExternalId AssumeRole must send")
    p.add_argument("--log", required=True)
    p.add_argument("--s3-tls", nargs=2, metavar=("CERT", "KEY"),
                   help="serve the S3 front over https with this certificate (AWS_CA_BUNDLE tests)")
    ARGS = p.parse_args()
    ROOT_AK, ROOT_SK = read_ini_keys(ARGS.root_creds)
    aws = Server(("127.0.0.1", 0), AwsHandler)
    s3 = Server(("127.0.0.1", 0), S3Handler)
    if ARGS.s3_tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.s3_tls[0], ARGS.s3_tls[1])
        s3.socket = ctx.wrap_socket(s3.socket, server_side=True)
    for srv in (aws, s3):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(aws.server_address[1], s3.server_address[1], flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
