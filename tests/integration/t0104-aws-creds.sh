#!/usr/bin/env bash
# The AWS credential chain against loopback stand-ins (tests/tools/aws_standin.py): STS
# AssumeRoleWithWebIdentity (EKS), AssumeRole from a profile's role_arn + source_profile (signed with
# the source keys, checked by the stand-in), credential_process, the ECS container endpoint and
# IMDSv2 each hand out short-lived keys (TTL seconds) that an S3 front of versitygw accepts only
# while they are valid (versitygw itself rejects any session token: 400 InvalidToken, so the front
# checks the token and re-signs with versitygw's root keys). Checked: a pipeline run into S3 that
# outlives several sets of keys keeps writing (new keys before the old expire, no request with an
# expired token); with each source a sink lands the same trades and crawl and query read them as the
# root keys do; a query session (the shell) keeps answering SQL in place after its first keys expire
# (DuckDB's secret is refreshed); AWS_CA_BUNDLE is trusted by our client and DuckDB; a failing source says
# which one and why, without a secret. Kafka only carries the trades, so the script runs once, on
# the embedded broker.
. "$(dirname "$0")/lib.sh"

[ "$KAFKA_KIND" = embedded ] || skip "the credential chain test reads S3 only; it runs on the embedded broker"
command -v curl >/dev/null || skip "curl is not installed"
TTL=12
s3_start
ini_get() { sed -n "s/^$2 *= *//p" "$1" | head -n 1; }
root_env=(AWS_SHARED_CREDENTIALS_FILE="$T/s3/credentials" AWS_CONFIG_FILE="$T/s3/config"
    AWS_PROFILE=ticklake-test)

# The stand-ins: STS, the container endpoint, IMDS and the S3 front.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/webtoken"
ecs_auth=ecs-$RANDOM$RANDOM
bg_start standin python3 "$ROOT/tests/tools/aws_standin.py" --root-creds "$T/s3/credentials" \
    --upstream-port "$(cat "$T/s3/port")" --ttl "$TTL" --web-token "$T/webtoken" \
    --ecs-auth "$ecs_auth" --external-id ext-0104 --log "$T/standin.log"
ports_known() { [ -s "$T/standin.out" ]; }
wait_for 10 ports_known || fail "the stand-ins did not start: $(cat "$T/standin.err")"
read -r aws_port s3_port <"$T/standin.out"
aws=http://127.0.0.1:$aws_port
front=http://127.0.0.1:$s3_port
url=s3://$bucket/lake

# No keys anywhere but what each source hands out; IMDS only where asked for.
unset AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
export HOME=$T/home AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws"
printf '[src]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$(ini_get "$T/s3/credentials" aws_access_key_id)" \
    "$(ini_get "$T/s3/credentials" aws_secret_access_key)" >"$HOME/.aws/credentials"
cat >"$HOME/.aws/config" <<CONF
[profile role]
role_arn = arn:aws:iam::123456789012:role/ticklake
source_profile = src
role_session_name = t0104
external_id = ext-0104
duration_seconds = 900
region = us-east-1
[profile proc]
credential_process = curl -sf $aws/process
[profile badproc]
credential_process = sh -c 'echo "{\\"Version\\": 2, \\"SecretAccessKey\\": \\"hush\\"}"'
CONF
chmod 600 "$HOME/.aws/credentials"
declare -A SRC=(
    [web]="AWS_WEB_IDENTITY_TOKEN_FILE=$T/webtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/eks AWS_ENDPOINT_URL_STS=$aws"
    [role]="AWS_PROFILE=role AWS_ENDPOINT_URL_STS=$aws"
    [proc]="AWS_PROFILE=proc"
    [ecs]="AWS_CONTAINER_CREDENTIALS_FULL_URI=$aws/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=$ecs_auth"
    [imds]="AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$aws"
    # an instance that refuses IMDSv2 tokens: IMDSv1, as the SDKs fall back
    [imds1]="AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$aws/v1only"
)
declare -A KIND=([web]=sts-web [role]=sts-assume [proc]=process [ecs]=ecs [imds]=imds [imds1]=imds)
s3opts=(--s3-endpoint "$front" --s3-addressing path)
count() { grep -c -- "$1" "$T/standin.log" || true; }

# 1. A pipeline run into S3 with web identity keys, three times as long as they last: it keeps
# writing with new keys, and no request goes out with expired ones.
# shellcheck disable=SC2086 # SRC holds NAME=VALUE words
prefix=$(unique_name ac).
env ${SRC[web]} "$TICKLAKE" run --brokers "$BROKERS" --topic-prefix "$prefix" \
    --duration $((TTL * 3)) --lake "$url" "${s3opts[@]}" --roll-interval 2s --rate 2000 \
    --symbols 8 --seed 104 --status-interval 10s 2>"$T/run.err" ||
    { cat "$T/run.err" >&2; fail "the run into S3 with web identity keys failed"; }
assert_eq "$(count ' expired ')" 0 "S3 requests with expired keys"
assert_eq "$(count 's3 unknown\|s3 missing')" 0 "S3 requests without a session token of ours"
assert_ge "$(count 'issue sts-web')" 3 "web identity keys fetched during the run"
puts=$(grep '^s3 ok .* PUT$' "$T/standin.log" | awk '{print $3}' | sort -u | wc -l)
assert_ge "$puts" 3 "sets of keys the run's uploads were signed with"
grep -q "credentials refreshed from web identity" "$T/run.err" ||
    fail "the run did not log a refresh: $(grep -i cred "$T/run.err" | head -3)"

# The reference: crawl and count with versitygw's root keys, directly.
env "${root_env[@]}" "$TICKLAKE" crawl --lake "$url" --s3-endpoint "$endpoint" \
    --s3-addressing path --cache-dir "$T/cache-root" >/dev/null 2>"$T/crawl-root.err" ||
    fail "crawl with the root keys: $(cat "$T/crawl-root.err")"
sql="SELECT count(*), count(DISTINCT id), sum(size) FROM trades"
env "${root_env[@]}" "$TICKLAKE" query --lake "$url" --s3-endpoint "$endpoint" --s3-addressing path \
    --cache-dir "$T/cache-root" --no-save --format csv "$sql" >"$T/root.csv" 2>"$T/root.err" ||
    fail "query with the root keys: $(cat "$T/root.err")"
n=$(sed -n 2p "$T/root.csv" | cut -d, -f1)
assert_ge "$n" $((TTL * 3 * 2000 / 2)) "trades in the lake"

# 2. With each source: a sink lands the run's topics again in a lake of its own (--drain), and
# crawl and query (in place: DuckDB signs with the session token) read it: the same trades.
for s in web role proc ecs imds imds1; do
    before=$(count "issue ${KIND[$s]} ")
    # shellcheck disable=SC2086
    env ${SRC[$s]} "$TICKLAKE" sink --brokers "$BROKERS" --topic-prefix "$prefix" \
        --group "$(unique_name g)" --drain --lake "$url-$s" "${s3opts[@]}" -q 2>"$T/sink-$s.err" ||
        fail "sink with $s keys: $(cat "$T/sink-$s.err")"
    # shellcheck disable=SC2086
    env ${SRC[$s]} "$TICKLAKE" crawl --lake "$url-$s" "${s3opts[@]}" --cache-dir "$T/cache-$s" \
        >/dev/null 2>"$T/crawl-$s.err" || fail "crawl with $s keys: $(cat "$T/crawl-$s.err")"
    # shellcheck disable=SC2086
    env ${SRC[$s]} "$TICKLAKE" query --lake "$url-$s" "${s3opts[@]}" --cache-dir "$T/cache-$s" \
        --no-save --format csv "$sql" >"$T/q-$s.csv" 2>"$T/q-$s.err" ||
        fail "query with $s keys: $(cat "$T/q-$s.err")"
    cmp -s "$T/q-$s.csv" "$T/root.csv" || fail "query with $s keys: $(cat "$T/q-$s.csv")"
    assert_ge "$(count "issue ${KIND[$s]} ")" $((before + 3)) "keys fetched from $s"
    # Through the cache: the files are downloaded by several workers at once, whose handles copy
    # the lake handle's keys. Each resolved its own before: one set per worker, not one or two.
    before=$(count "issue ${KIND[$s]} ")
    # shellcheck disable=SC2086
    env ${SRC[$s]} "$TICKLAKE" query -v --lake "$url-$s" "${s3opts[@]}" --cache-dir "$T/cache-$s-whole" \
        --s3-read cache --no-save --format csv "$sql" >"$T/qc-$s.csv" 2>"$T/qc-$s.err" ||
        fail "cached query with $s keys: $(cat "$T/qc-$s.err")"
    cmp -s "$T/qc-$s.csv" "$T/root.csv" || fail "cached query with $s keys: $(cat "$T/qc-$s.csv")"
    whole=$(sed -n 's/.* \([0-9]*\) downloaded whole.*/\1/p' "$T/qc-$s.err" | tail -1)
    assert_ge "${whole:-0}" 4 "files the cached query with $s keys downloaded (enough for workers)"
    assert_ge 2 $(($(count "issue ${KIND[$s]} ") - before)) "keys fetched by the cached query with $s"
done
assert_eq "$(count ' expired ')" 0 "S3 requests with expired keys"
assert_ge "$(count 'imds token')" 2 "IMDSv2 tokens asked for"
assert_ge "$(count 'imds v1 get')" 2 "IMDSv1 answers after a refused token"
# AWS_EC2_METADATA_V1_DISABLED keeps IMDSv2 only: the refused token is the error.
# shellcheck disable=SC2086
env ${SRC[imds1]} AWS_EC2_METADATA_V1_DISABLED=true "$TICKLAKE" crawl --lake "$url-imds1" "${s3opts[@]}" \
    --cache-dir "$T/cache-v1off" >/dev/null 2>"$T/crawl-v1off.err" &&
    fail "crawl with IMDSv1 disabled and no token succeeded"
grep -q "no IMDSv2 token: PUT .*HTTP 403" "$T/crawl-v1off.err" ||
    fail "IMDSv1 disabled: $(cat "$T/crawl-v1off.err")"
# --s3-profile names the profile, and a profile given so beats the environment's keys.
env AWS_ACCESS_KEY_ID=AKIAWRONG AWS_SECRET_ACCESS_KEY=wrong AWS_ENDPOINT_URL_STS="$aws" \
    "$TICKLAKE" query --s3-profile role --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-role" \
    --no-save --format csv "$sql" >"$T/q-profile.csv" 2>"$T/q-profile.err" ||
    fail "query with --s3-profile role: $(cat "$T/q-profile.err")"
cmp -s "$T/q-profile.csv" "$T/root.csv" || fail "query with --s3-profile: $(cat "$T/q-profile.csv")"

# 3. A query session keeps answering after its first keys expired: the shell (driven through a
# pseudo-terminal) runs a statement, waits past the keys' lifetime and runs another in the same
# session, DuckDB reading in place with a refreshed secret. The second reads a column the first did
# not (ids, not only footers), so DuckDB must fetch from S3 again: with the old secret it would
# sign with expired keys (the stand-in refuses and logs them).
ids=$(sed -n 2p "$T/root.csv" | cut -d, -f2)
first_line=$(grep -c '' "$T/standin.log")
# shellcheck disable=SC2086
env ${SRC[ecs]} python3 - "$TICKLAKE" "$url-ecs" "$front" "$T/cache-ecs" "$n" "$((TTL + 3))" "$ids" \
    >"$T/shell.screen" 2>&1 <<'PY' || { cat "$T/shell.screen" >&2; fail "shell session over S3"; }
import os, pty, re, select, sys, time

exe, lake, front, cache, n, pause, ids = sys.argv[1:8]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "query", "--lake", lake, "--s3-endpoint", front, "--s3-addressing", "path",
                   "--cache-dir", cache, "--no-save"])
out, mark = b"", 0

def expect(pattern, timeout=60):
    global out, mark
    rx, end = re.compile(pattern.encode()), time.time() + timeout
    while True:
        m = rx.search(out, mark)
        if m:
            mark = m.end()
            return
        if time.time() > end:
            raise SystemExit(f"timeout waiting for {pattern!r}:\n{out.decode(errors='replace')}")
        if select.select([fd], [], [], 1)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                raise SystemExit("the shell ended:\n" + out.decode(errors="replace"))

def statement(sql, want):
    os.write(fd, sql.encode() + b"\r")
    expect(want)
    expect(r"query [0-9a-f-]{36}: SUCCEEDED, ")

expect(r"ticklake> ")
statement("SELECT 'rows=' || count(*) AS n FROM trades;", r"rows=%s\b" % n)
expect(r"ticklake> ")
time.sleep(int(pause))
statement("SELECT 'ids=' || count(DISTINCT id) AS d FROM trades;", r"ids=%s\b" % ids)
expect(r"ticklake> ")
os.write(fd, b"\x04")  # Ctrl-D leaves
end = time.time() + 20
while not os.waitpid(pid, os.WNOHANG)[0]:
    if time.time() > end:
        os.kill(pid, 9)
        raise SystemExit("the shell did not leave on Ctrl-D:\n" + out.decode(errors="replace"))
    if select.select([fd], [], [], 0.2)[0]:
        try:
            out += os.read(fd, 65536)
        except OSError:
            pass
PY
tail -n +"$((first_line + 1))" "$T/standin.log" >"$T/shell.log"
assert_ge "$(grep -c '^issue ecs ' "$T/shell.log")" 2 "keys the shell session fetched"
assert_ge "$(grep '^s3 ok .*-ecs \(GET\|HEAD\)$' "$T/shell.log" | awk '{print $3}' | sort -u | wc -l)" 2 \
    "sets of keys the shell session's reads were signed with"
assert_eq "$(count ' expired ')" 0 "S3 requests with expired keys"

# 4. AWS_CA_BUNDLE: an https S3 front with a self-signed certificate is trusted through it, by our
# client (crawl) and by DuckDB's httpfs (a query in place); without it, a clear TLS error.
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
    bg_start tls python3 "$ROOT/tests/tools/aws_standin.py" --root-creds "$T/s3/credentials" \
        --upstream-port "$(cat "$T/s3/port")" --ttl "$TTL" --web-token "$T/webtoken" \
        --ecs-auth "$ecs_auth" --log "$T/standin-tls.log" --s3-tls "$T/tls.crt" "$T/tls.key"
    tls_known() { [ -s "$T/tls.out" ]; }
    wait_for 10 tls_known || fail "the TLS stand-in did not start: $(cat "$T/tls.err")"
    read -r tls_aws_port tls_port <"$T/tls.out"
    # This stand-in knows only the tokens it issued itself.
    tls_src=(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$tls_aws_port/ecs/creds"
        AWS_CONTAINER_AUTHORIZATION_TOKEN="$ecs_auth")
    tls=(--lake "$url" --s3-endpoint "https://127.0.0.1:$tls_port" --s3-addressing path
        --cache-dir "$T/cache-tls")
    rc=0
    env "${tls_src[@]}" "$TICKLAKE" crawl "${tls[@]}" >/dev/null 2>"$T/tls-no.err" || rc=$?
    assert_eq "$rc" 1 "exit status of a crawl over https without AWS_CA_BUNDLE"
    grep -q "certificate" "$T/tls-no.err" || fail "no TLS error without AWS_CA_BUNDLE: $(cat "$T/tls-no.err")"
    env "${tls_src[@]}" AWS_CA_BUNDLE="$T/tls.crt" "$TICKLAKE" crawl "${tls[@]}" >/dev/null \
        2>"$T/tls-crawl.err" || fail "crawl over https with AWS_CA_BUNDLE: $(cat "$T/tls-crawl.err")"
    env "${tls_src[@]}" AWS_CA_BUNDLE="$T/tls.crt" "$TICKLAKE" query "${tls[@]}" --no-save --format csv \
        "$sql" >"$T/tls.csv" 2>"$T/tls-q.err" ||
        fail "query in place over https with AWS_CA_BUNDLE: $(cat "$T/tls-q.err")"
    cmp -s "$T/tls.csv" "$T/root.csv" || fail "query over https: $(cat "$T/tls.csv")"
    bg_stop tls
fi

# 5. Failing sources say which and why, and never print a secret.
rc=0
env AWS_PROFILE=badproc "$TICKLAKE" crawl --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-bad" \
    >/dev/null 2>"$T/bad.err" || rc=$?
assert_eq "$rc" 1 "exit status with a bad credential_process"
grep -q "credential_process of profile 'badproc'.*\"Version\" must be 1" "$T/bad.err" ||
    fail "bad credential_process: $(cat "$T/bad.err")"
rc=0
echo wrong >"$T/badtoken"
env AWS_WEB_IDENTITY_TOKEN_FILE="$T/badtoken" AWS_ROLE_ARN=arn:aws:iam::1:role/x \
    AWS_ENDPOINT_URL_STS="$aws" "$TICKLAKE" crawl --lake "$url" "${s3opts[@]}" \
    --cache-dir "$T/cache-bad" >/dev/null 2>"$T/bad.err" || rc=$?
assert_eq "$rc" 1 "exit status with a wrong web identity token"
grep -q "web identity (role 'arn:aws:iam::1:role/x'.*AccessDenied" "$T/bad.err" ||
    fail "wrong web identity token: $(cat "$T/bad.err")"
rc=0
env AWS_CONTAINER_CREDENTIALS_FULL_URI="$aws/ecs/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=nope \
    "$TICKLAKE" crawl --lake "$url" "${s3opts[@]}" --cache-dir "$T/cache-bad" >/dev/null \
    2>"$T/bad.err" || rc=$?
assert_eq "$rc" 1 "exit status with a wrong container token"
grep -q "container credentials: GET $aws/ecs/creds: HTTP 403" "$T/bad.err" ||
    fail "wrong container token: $(cat "$T/bad.err")"
secret=$(ini_get "$T/s3/credentials" aws_secret_access_key)
if grep -rqF -e "$secret" -e "$(cat "$T/webtoken")" -e "$ecs_auth" -e TLTOKEN -e hush "$T"/*.err; then
    fail "a secret or a token was printed"
fi
echo "ok: $(count 'issue ') sets of keys handed out, $(count 's3 ok ') S3 requests with them"
