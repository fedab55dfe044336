#!/usr/bin/env python3
"""serve_load.py - a load test of `ticklake serve` (standard library only).

Opens CLIENTS push-stream clients (each follows one symbol's trades, forming and closed bars, round
robin over the server's symbols) and sends RPS API requests per second (status, overview, tables,
alerts, symbols over keep-alive connections) for SECONDS. Reports errors, how far behind the feed the
clients fell (now - the event time of the newest trade in each read, after a warm-up: the simulator's
event time is the wall clock), and the server's peak resident memory. Exits 1 when there was an error
or a client fell more than --max-lag seconds behind.

  serve_load.py URL --clients 200 --rps 1000 --seconds 60 [--pid PID] [--max-lag 1.0]
"""
import argparse, http.client, json, re, socket, sys, threading, time
from urllib.parse import urlparse

ap = argparse.ArgumentParser()
ap.add_argument('url'); ap.add_argument('--clients', type=int, default=200)
ap.add_argument('--rps', type=int, default=1000); ap.add_argument('--seconds', type=float, default=60)
ap.add_argument('--pid', type=int); ap.add_argument('--max-lag', type=float, default=1.0)
ap.add_argument('--warmup', type=float, default=3.0)
a = ap.parse_args()
u = urlparse(a.url); host, port = u.hostname, u.port or 80
TS = re.compile(rb'"ts":(\d{16,19})')
lock = threading.Lock()
st = {'errors': [], 'events_bytes': 0, 'max_lag': 0.0, 'requests': 0, 'api_errors': 0, 'rss_kb': 0,
      'lags': []}
stop = time.time() + a.seconds
measure_from = time.time() + a.warmup

def err(msg):
    with lock:
        if len(st['errors']) < 20: st['errors'].append(msg)

def client(sym):
    try:
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(f'GET /api/stream?symbols={sym}&kinds=trade,forming,bar HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
        head = b''
        while b'\r\n\r\n' not in head:
            d = s.recv(4096)
            if not d: raise IOError('closed before the headers')
            head += d
        if b' 200 ' not in head.split(b'\r\n')[0]: raise IOError(head.split(b'\r\n')[0].decode())
        worst, nbytes = 0.0, 0
        while time.time() < stop:
            d = s.recv(65536)
            if not d: raise IOError('stream closed by the server')
            if b'event: dropped' in d: raise IOError('dropped as too slow')
            nbytes += len(d)
            m = None
            for m in TS.finditer(d): pass
            if m and time.time() >= measure_from:
                lag = time.time() - int(m.group(1)) / 1e9
                worst = max(worst, lag)
        s.close()
        with lock:
            st['events_bytes'] += nbytes; st['lags'].append(worst)
    except Exception as e:
        err(f'client {sym}: {e}')

def api(n_per_s):
    paths = ['/api/status', '/api/overview', '/api/tables', '/api/alerts?limit=20', '/api/symbols']
    c = http.client.HTTPConnection(host, port, timeout=10)
    i, t0 = 0, time.time()
    while time.time() < stop:
        due = t0 + i / n_per_s
        if due > time.time(): time.sleep(due - time.time())
        try:
            c.request('GET', paths[i % len(paths)]); r = c.getresponse(); r.read()
            with lock:
                st['requests'] += 1
                if r.status not in (200, 503): st['api_errors'] += 1; err(f'{paths[i % len(paths)]}: {r.status}')
        except Exception as e:
            with lock: st['api_errors'] += 1
            err(f'api: {e}'); c = http.client.HTTPConnection(host, port, timeout=10)
        i += 1

def rss():
    while time.time() < stop:
        try:
            for line in open(f'/proc/{a.pid}/status'):
                if line.startswith('VmRSS:'):
                    with lock: st['rss_kb'] = max(st['rss_kb'], int(line.split()[1]))
        except OSError: pass
        time.sleep(0.5)

c = http.client.HTTPConnection(host, port, timeout=10); c.request('GET', '/api/symbols')
syms = json.loads(c.getresponse().read())['symbols'] or ['AAPL']
threads = [threading.Thread(target=client, args=(syms[i % len(syms)],)) for i in range(a.clients)]
workers = max(1, a.rps // 100)
threads += [threading.Thread(target=api, args=(a.rps / workers,)) for _ in range(workers)]
if a.pid: threads.append(threading.Thread(target=rss))
for t in threads: t.start()
for t in threads: t.join()
lags = sorted(st['lags']) or [0.0]
print(f"clients {a.clients} ({len(st['lags'])} finished), {st['events_bytes'] / 1e6:.1f} MB of events; "
      f"API {st['requests'] / a.seconds:.0f} req/s, {st['api_errors']} errors; worst lag per client: "
      f"median {lags[len(lags) // 2]:.3f} s, max {lags[-1]:.3f} s; server peak RSS {st['rss_kb'] / 1024:.0f} MB")
for e in st['errors']: print('error:', e)
bad = st['errors'] or len(st['lags']) < a.clients or lags[-1] > a.max_lag
sys.exit(1 if bad else 0)
