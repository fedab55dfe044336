#!/usr/bin/env python3
"""feed_server.py - a provider feed fast enough to load ticklake's feed ingest.

tests/feeds/replay_server.py speaks each provider's protocol with every kind
of misbehaviour, one frame per await: a few thousand frames a second. This
benchmark server shapes its trades with the same code (replay_server.Session:
the same frames, ids, prices and times) but encodes every frame of the session
before the client connects and writes them to the socket in 1 MB slices, so
the client, not the server, is the limit. Providers: coinbase (one trade per
frame) and polygon (--batch trades per frame, after authentication).

  feed_server.py --provider P --symbols A,B --trades N [--batch B] [--rate R]

--rate R paces the session at R trades/s (a slice every 10 ms); 0 (default)
sends as fast as the client reads. Prints the port on the first line, then
"start <epoch s>" when the first trade frame goes out and "end <epoch s>" when
the last one has been handed to the kernel. Needs `websockets`
(tests/tools/venv.sh).
"""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "feeds"))
import replay_server  # noqa: E402  (the frames' shapes)
from websockets.asyncio.server import serve  # noqa: E402


ws_frame = replay_server.raw_frame  # one unmasked text frame (server to client)


def encode_session(a, symbols):
    """Every trade frame of the session, as slices of whole frames."""
    # The fixture's own defaults (no gaps, late trades or quiet symbol), so an
    # option added there cannot break the benchmark.
    args = replay_server.arg_parser().parse_args(
        ["--provider", a.provider, "--trades", str(a.trades), "--truth", "-", "--summary", "-"])
    sess = replay_server.Session(args)
    sess.plan(symbols)
    per_slice = max(1, a.rate // 100) if a.rate else 20000
    slices = []
    for at in range(0, len(sess.trades), per_slice):
        chunk = sess.trades[at: at + per_slice]
        frames = []
        for b in range(0, len(chunk), a.batch):
            frames.extend(ws_frame(f) for f in sess.frames(chunk[b: b + a.batch]))
        slices.append((len(chunk), b"".join(frames)))
    return slices


async def handler(ws, a, slices, symbols, done):
    p = a.provider
    if p == "polygon":
        await ws.send('[{"ev":"status","status":"connected","message":"Connected Successfully"}]')
    while True:
        msg = json.loads(await ws.recv())
        if p == "polygon" and msg.get("action") == "auth":
            await ws.send('[{"ev":"status","status":"auth_success","message":"authenticated"}]')
            continue
        if p == "polygon" and msg.get("action") == "subscribe":
            await ws.send(json.dumps([{"ev": "status", "status": "success",
                                       "message": "subscribed to: " + msg["params"]}]))
            break
        if p == "coinbase" and msg.get("type") == "subscribe":
            await ws.send(json.dumps({"type": "subscriptions", "channels": [
                {"name": "matches", "product_ids": msg["product_ids"]}]}))
            break
    tr = ws.transport
    print(f"start {time.time():.6f}", flush=True)
    t0 = time.monotonic()
    for k, (_, data) in enumerate(slices):
        for at in range(0, len(data), 1 << 20):
            tr.write(data[at: at + (1 << 20)])
            # Flow control: wait while the kernel and the client lag.
            while tr.get_write_buffer_size() > (8 << 20):
                await asyncio.sleep(0.001)
        if a.rate:
            wait = t0 + (k + 1) * 0.01 - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
    while tr.get_write_buffer_size() > 0:
        await asyncio.sleep(0.001)
    print(f"end {time.time():.6f}", flush=True)
    done.set()
    await ws.wait_closed()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True, choices=["coinbase", "polygon"])
    ap.add_argument("--symbols", required=True, help="as the client subscribes: BTC-USD or AAPL")
    ap.add_argument("--trades", type=int, required=True)
    ap.add_argument("--batch", type=int, default=100, help="polygon: trades per frame")
    ap.add_argument("--rate", type=int, default=0, help="trades/s; 0: as fast as the client reads")
    a = ap.parse_args()
    if a.provider == "coinbase":
        a.batch = 1
    symbols = a.symbols.split(",")
    slices = encode_session(a, symbols)
    done = asyncio.Event()
    async with serve(lambda ws: handler(ws, a, slices, symbols, done), "127.0.0.1", 0,
                     ping_interval=None, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
