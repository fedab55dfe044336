#!/usr/bin/env python3
"""replay_server.py - a live market data provider on loopback, for tests.

Speaks one provider's WebSocket protocol (coinbase, binance, kraken, finnhub,
alpaca, polygon) with frames shaped as the provider documents them
(docs/FEEDS.md): the welcome, authentication and subscription answers,
heartbeats, batched trades with numbers as strings or JSON numbers, and times
in ms, us or ns. It makes a deterministic session of --trades distinct trades
over the symbols the client subscribes to, and can misbehave on purpose:

  --disconnects N     drop the connection N times mid-stream (the TCP socket is
                      cut, no close frame; every other one cut inside a frame)
  --replay R          after each reconnect, send the last R trades again
  --gaps G            leave out G trades (ids skipped): the client must count G
  --late L            send L trades after the next trade of their symbol (ids out of order): a gap
                      the client counts, then takes back when the late one comes
  --notices N         binance: N times mid-stream, announce a shutdown (serverShutdown) with the
                      next batch's frames behind it in the same write, then cut: the client must
                      handle the trades it received after the notice
  --refuse N          answer the first N connection attempts with HTTP 503
  --stall SEC         once, halfway, go silent (no heartbeat either) for SEC
  --quiet N           kraken: the last subscribed symbol is a quiet one: it trades only in a
                      snapshot of N trades sent on every subscription (as Kraken's snapshot of
                      recent trades), before the other symbols' stream; the client must publish
                      them once however many trades of the others come between
  --cut-at LIST       cut the connection after these trade counts (comma-separated) instead of
                      --disconnects' even spread
  --hangup N          close the first N connections right after their subscription, before
                      any other message (a server that accepts and hangs up)
  --auth-fail         reject the key (as the provider does)
  --limit-once        alpaca, polygon: answer the first reconnect with the connection-limit error
                      (the old session still counted), as a server that has not noticed the cut
  --tls CERT KEY      wss:// instead of ws://
  --ping SEC          send a WebSocket ping every SEC
  --spacing-ms MS     event time between trades (default 1)

It prints its port on the first line of stdout, writes every distinct trade
it sent, as the record ticklake must produce, to --truth (one JSON per line:
symbol, id, price as the exact decimal string, size in lots, ts in ns), and
a summary (connections, disconnects, gaps, duplicates sent) to --summary when
the session is done. Needs the `websockets` package (tests/tools/venv.sh).
"""
import argparse
import asyncio
import json
import ssl
import sys
from datetime import datetime, timezone

import websockets
from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers

BASE_TS = 1718394900_000000000  # 2024-06-14T19:55:00Z in ns
CRYPTO = {"coinbase", "binance", "kraken"}


def rfc3339(ns, digits):
    secs, frac = divmod(ns, 1_000_000_000)
    d = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{d}.{frac:09d}"[: 20 + digits] + "Z"


def raw_frame(text):
    """One unmasked WebSocket text frame (server to client), RFC 6455 5.2."""
    data = text.encode()
    n = len(data)
    if n < 126:
        head = bytes([0x81, n])
    elif n < 65536:
        head = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return head + data


def lots(size_str, scale):
    whole, _, frac = size_str.partition(".")
    frac = (frac + "0" * scale)[:scale]
    return int(whole) * 10**scale + int(frac or "0")


class Session:
    def __init__(self, a):
        self.a = a
        self.provider = a.provider
        self.symbols = None
        self.trades = []  # the planned trades, in order
        self.cursor = 0  # next trade to send
        self.connections = 0
        self.disconnects_done = 0
        self.notices_done = 0
        self.dups_sent = 0
        self.stalled = False
        self.hangups = 0
        self.limited = False
        self.want_quotes = False
        self.quotes_sent = 0
        self.quote_truth = set()  # crypto quotes sent: (symbol, bid, bid_size lots, ask, ask_size lots)
        self.truth = {}
        self.done = asyncio.Event()

    def plan(self, symbols):
        """Deterministic trades over symbols; --gaps ids are skipped."""
        self.symbols = symbols
        crypto = self.provider in CRYPTO
        self.snapshot = []
        if self.a.quiet:
            quiet, symbols = symbols[-1], symbols[:-1]
            for k in range(self.a.quiet):
                ts = BASE_TS - (self.a.quiet - k) * 1_000_000_000 + 456_000
                self.snapshot.append({"symbol": quiet, "id": 500 + k, "price": f"1.{2345 + k}",
                                      "size": f"{10 + k}.5", "ts": ts, "i": -1 - k})
        next_id = {s: 1000 for s in symbols}
        skip_at = set()
        if self.a.gaps:
            step = max(1, self.a.trades // (self.a.gaps + 1))
            skip_at = {step * (k + 1) for k in range(self.a.gaps)}
        for i in range(self.a.trades + len(skip_at)):
            s = symbols[i % len(symbols)]
            tid = next_id[s]
            next_id[s] += 1
            if i in skip_at:
                continue  # never sent: a gap in the ids
            # Out of order by a little within a batch: every 7th trade is
            # 3 ms earlier than the one before.
            ts = BASE_TS + i * self.a.spacing_ms * 1_000_000 - (3_000_000 if i % 7 == 6 else 0)
            if self.provider == "alpaca":
                ts += 123  # ns precision
            elif self.provider in ("coinbase", "kraken"):
                ts += 456_000  # us precision
            if crypto:
                price = f"{60000 + (i * 37) % 1000}.{(i * 7919) % 100000000:08d}"
                if self.provider == "kraken":
                    price = f"{60000 + (i * 37) % 1000}.{(i * 7919) % 100000:05d}"
                    price = price.rstrip("0").rstrip(".")
                size = f"0.{(i * 104729) % 99999999 + 1:08d}"
                if self.provider == "kraken":
                    size = size.rstrip("0")
            else:
                price = f"{180 + (i * 37) % 20}.{(i * 31) % 10000:04d}".rstrip("0").rstrip(".")
                size = str(1 + (i * 13) % 500)
            self.trades.append({"symbol": s, "id": tid, "price": price, "size": size, "ts": ts, "i": i})
        # Late ones: swap a trade with the next one of its symbol, away from the gaps.
        n, k = len(self.trades), len(symbols)
        for j in range(self.a.late):
            at = (j + 1) * n // (self.a.late + 1) + n // (4 * (self.a.late + 1))
            if at + k < n:
                self.trades[at], self.trades[at + k] = self.trades[at + k], self.trades[at]

    def record(self, t):
        norm = t["symbol"]
        if self.provider == "kraken":
            norm = norm.replace("/", "-")
        elif self.provider == "binance":
            norm = norm.upper()
            norm = norm[:-4] + "-" + norm[-4:] if norm.endswith("USDT") else norm[:-3] + "-" + norm[-3:]
        scale = 8 if self.provider in CRYPTO else 0
        return {"symbol": norm, "id": t["id"], "price": t["price"], "size": lots(t["size"], scale),
                "ts": (t["ts"] // 1_000_000) * 1_000_000 if self.provider in ("binance", "finnhub", "polygon") else t["ts"]}

    def crypto_quote(self, t):
        """The best bid and offer sent with a batch: the bid at its first trade's price, an ask a
        digit above, exact decimals; its truth, normalised as the records are."""
        bid = t["price"]
        ask = bid + "1" if "." in bid else bid + ".5"
        bid_size, ask_size = t["size"], "2.5"
        self.quote_truth.add((self.record(t)["symbol"], bid, lots(bid_size, 8), ask, lots(ask_size, 8)))
        self.quotes_sent += 1
        return bid, bid_size, ask, ask_size

    # ---- frames, one provider each ------------------------------------------
    def frames(self, batch):
        p = self.provider
        quote = []
        # A quote for every 10th trade, sent before the batch's trades: a quote lost in a cut is
        # followed by its trade, which the replay after the reconnect sends again with its quote.
        for t in batch if self.want_quotes and p in CRYPTO else []:
            if t["i"] % 10:
                continue
            bid, bid_size, ask, ask_size = self.crypto_quote(t)
            if p == "coinbase":
                quote += [json.dumps({"type": "ticker", "sequence": 5000 + t["i"], "product_id": t["symbol"],
                                     "price": t["price"], "best_bid": bid, "best_bid_size": bid_size,
                                     "best_ask": ask, "best_ask_size": ask_size, "side": "buy",
                                     "time": rfc3339(t["ts"], 6), "trade_id": t["id"], "last_size": t["size"]})]
            elif p == "binance":
                quote += [json.dumps({"stream": t["symbol"] + "@bookTicker",
                                     "data": {"u": 400900000 + t["i"], "s": t["symbol"].upper(), "b": bid, "B": bid_size,
                                              "a": ask, "A": ask_size}})]
            else:
                quote += ['{"channel":"ticker","type":"update","data":[{"symbol":%s,"bid":%s,"bid_qty":%s,"ask":%s,'
                         '"ask_qty":%s,"last":%s,"volume":12.5,"vwap":%s,"low":%s,"high":%s,"change":0.1,'
                         '"change_pct":0.01,"timestamp":"%s"}]}'
                         % (json.dumps(t["symbol"]), bid, bid_size, ask, ask_size, t["price"], t["price"], t["price"],
                            ask, rfc3339(t["ts"], 6))]
        return quote + self.trade_frames(batch)

    def trade_frames(self, batch):
        p = self.provider
        if p == "coinbase":
            return [json.dumps({"type": "match", "trade_id": t["id"], "maker_order_id": "m", "taker_order_id": "t",
                                "side": "sell" if t["i"] % 2 else "buy", "size": t["size"], "price": t["price"],
                                "product_id": t["symbol"], "sequence": 5000 + t["i"], "time": rfc3339(t["ts"], 6)})
                    for t in batch]
        if p == "binance":
            return [json.dumps({"stream": t["symbol"] + "@trade",
                                "data": {"e": "trade", "E": t["ts"] // 1_000_000 + 1, "s": t["symbol"].upper(),
                                         "t": t["id"], "p": t["price"], "q": t["size"], "T": t["ts"] // 1_000_000,
                                         "m": t["i"] % 2 == 0, "M": True}}) for t in batch]
        if p == "kraken":
            data = ",".join('{"symbol":%s,"side":"%s","price":%s,"qty":%s,"ord_type":"limit","trade_id":%d,"timestamp":"%s"}'
                            % (json.dumps(t["symbol"]), "buy" if t["i"] % 2 else "sell", t["price"], t["size"], t["id"],
                               rfc3339(t["ts"], 6)) for t in batch)
            kind = "snapshot" if batch and batch[0]["i"] < 0 else "update"
            return ['{"channel":"trade","type":"%s","data":[%s]}' % (kind, data)]
        if p == "finnhub":
            data = ",".join('{"s":%s,"p":%s,"t":%d,"v":%s,"c":["1","12"]}'
                            % (json.dumps(t["symbol"]), t["price"], t["ts"] // 1_000_000, t["size"]) for t in batch)
            # A price update (v 0) rides along: not a trade.
            data += ',{"s":%s,"p":1.5,"t":%d,"v":0,"c":null}' % (json.dumps(batch[0]["symbol"]), batch[0]["ts"] // 1_000_000)
            return ['{"type":"trade","data":[%s]}' % data]
        if p == "alpaca":
            data = ",".join('{"T":"t","S":%s,"i":%d,"x":"V","p":%s,"s":%s,"t":"%s","c":["@"],"z":"C"}'
                            % (json.dumps(t["symbol"]), t["id"], t["price"], t["size"], rfc3339(t["ts"], 9))
                            for t in batch)
            if self.want_quotes:
                t = batch[0]
                data += ',{"T":"q","S":%s,"bx":"U","bp":%s,"bs":1,"ax":"Q","ap":%s,"as":4,"t":"%s","c":["R"],"z":"C"}' % (
                    json.dumps(t["symbol"]), t["price"], t["price"] + "1" if "." in t["price"] else t["price"] + ".01",
                    rfc3339(t["ts"], 9))
                self.quotes_sent += 1
            return ["[%s]" % data]
        # polygon
        data = ",".join('{"ev":"T","sym":%s,"x":4,"i":"%d","z":3,"p":%s,"s":%s,"c":[12,37],"t":%d,"q":%d}'
                        % (json.dumps(t["symbol"]), t["id"], t["price"], t["size"], t["ts"] // 1_000_000, t["i"])
                        for t in batch)
        if self.want_quotes:
            t = batch[0]
            data += ',{"ev":"Q","sym":%s,"bx":4,"bp":%s,"bs":2,"ax":7,"ap":%s,"as":3,"c":0,"t":%d,"q":%d}' % (
                json.dumps(t["symbol"]), t["price"], t["price"] + "1" if "." in t["price"] else t["price"] + ".01",
                t["ts"] // 1_000_000, t["i"])
            self.quotes_sent += 1
        return ["[%s]" % data]

    def heartbeat(self):
        p = self.provider
        if p == "coinbase":
            last = {}
            for t in self.trades[: self.cursor]:
                last[t["symbol"]] = t["id"]
            return [json.dumps({"type": "heartbeat", "sequence": 1, "last_trade_id": v, "product_id": k,
                                "time": rfc3339(BASE_TS, 6)}) for k, v in last.items()]
        if p == "kraken":
            return ['{"channel":"heartbeat"}']
        if p == "finnhub":
            return ['{"type":"ping"}']
        return []


async def handler(ws, sess):
    a = sess.a
    sess.connections += 1
    p = sess.provider
    try:
        if p == "alpaca":
            await ws.send('[{"T":"success","msg":"connected"}]')
        elif p == "polygon":
            await ws.send('[{"ev":"status","status":"connected","message":"Connected Successfully"}]')
        elif p == "kraken":
            await ws.send('{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":1,'
                          '"system":"online","version":"2.0.0"}]}')
        symbols = []
        while True:
            msg = json.loads(await ws.recv())
            if a.limit_once and not sess.limited and sess.connections == 2 + a.refuse and msg.get("action") == "auth":
                sess.limited = True
                sess.connections -= 1  # not a session: the next attempt replays as the first reconnect
                await ws.send('[{"T":"error","code":406,"msg":"connection limit exceeded"}]' if p == "alpaca" else
                              '[{"ev":"status","status":"max_connections","message":"Maximum number of websocket connections exceeded."}]')
                await ws.close()
                return
            if p == "alpaca" and msg.get("action") == "auth":
                if a.auth_fail or msg.get("key") != "testkey":
                    await ws.send('[{"T":"error","code":402,"msg":"auth failed"}]')
                    await ws.close()
                    return
                await ws.send('[{"T":"success","msg":"authenticated"}]')
                continue
            if p == "polygon" and msg.get("action") == "auth":
                if a.auth_fail or msg.get("params") != "testkey":
                    await ws.send('[{"ev":"status","status":"auth_failed","message":"authentication failed"}]')
                    await ws.close()
                    return
                await ws.send('[{"ev":"status","status":"auth_success","message":"authenticated"}]')
                continue
            if p == "coinbase" and msg.get("type") == "subscribe":
                symbols = msg["product_ids"]
                sess.want_quotes = "ticker" in msg["channels"]
                await ws.send(json.dumps({"type": "subscriptions", "channels": [
                    {"name": c, "product_ids": symbols} for c in msg["channels"]]}))
                break
            if p == "binance" and msg.get("method") == "SUBSCRIBE":
                symbols = [s.split("@")[0] for s in msg["params"] if s.endswith("@trade")]
                sess.want_quotes = any(s.endswith("@bookTicker") for s in msg["params"])
                await ws.send(json.dumps({"result": None, "id": msg["id"]}))
                break
            if p == "kraken" and msg.get("method") == "subscribe":
                channel = msg["params"]["channel"]
                symbols = msg["params"]["symbol"]
                for s in symbols:
                    await ws.send(json.dumps({"method": "subscribe", "result": {"channel": channel, "snapshot": True,
                                              "symbol": s}, "success": True, "time_in": rfc3339(BASE_TS, 6),
                                              "time_out": rfc3339(BASE_TS, 6), "req_id": msg.get("req_id")}))
                if channel == "ticker":
                    sess.want_quotes = True
                    continue
                # The ticker request, when the client wants quotes, follows at once.
                try:
                    nxt = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                except asyncio.TimeoutError:
                    break
                if nxt.get("method") == "subscribe" and nxt["params"]["channel"] == "ticker":
                    sess.want_quotes = True
                    for s in nxt["params"]["symbol"]:
                        await ws.send(json.dumps({"method": "subscribe", "result": {"channel": "ticker",
                                                  "snapshot": True, "symbol": s}, "success": True,
                                                  "time_in": rfc3339(BASE_TS, 6), "time_out": rfc3339(BASE_TS, 6),
                                                  "req_id": nxt.get("req_id")}))
                break
            if p == "finnhub" and msg.get("type") == "subscribe":
                symbols.append(msg["symbol"])
                if len(symbols) == a.nsymbols:
                    break
                continue
            if p == "alpaca" and msg.get("action") == "subscribe":
                symbols = msg["trades"]
                sess.want_quotes = bool(msg.get("quotes"))
                await ws.send(json.dumps([{"T": "subscription", "trades": symbols, "quotes": [], "bars": []}]))
                break
            if p == "polygon" and msg.get("action") == "subscribe":
                chans = msg["params"].split(",")
                symbols = [s[2:] for s in chans if s.startswith("T.")]
                sess.want_quotes = any(s.startswith("Q.") for s in chans)
                await ws.send(json.dumps([{"ev": "status", "status": "success",
                                           "message": "subscribed to: " + msg["params"]}]))
                break
        if sess.hangups < a.hangup:
            sess.hangups += 1
            await ws.close()
            return
        if sess.symbols is None:
            sess.plan(symbols)
        # After a reconnect, the last --replay trades again.
        if sess.connections > 1 + a.refuse and a.replay:
            start = max(0, sess.cursor - a.replay)
            sess.dups_sent += sess.cursor - start
            sess.cursor = start
        if sess.snapshot:
            if sess.connections > 1 + a.refuse:
                sess.dups_sent += len(sess.snapshot)
            await ws.send(sess.trade_frames(sess.snapshot)[0])
            for t in sess.snapshot:
                r = sess.record(t)
                sess.truth[(r["symbol"], r["id"])] = r
        n = len(sess.trades)
        cuts = [n * (k + 1) // (a.disconnects + 1) for k in range(a.disconnects)]
        if a.cut_at:
            cuts = [int(c) for c in a.cut_at.split(",")]
        ticks = 0
        notices = [n * (k + 1) // (a.notices + 1) for k in range(a.notices)]
        while sess.cursor < n:
            batch = sess.trades[sess.cursor: sess.cursor + a.batch]
            if sess.notices_done < a.notices and sess.cursor >= notices[sess.notices_done]:
                # The notice and the batch behind it in one write, so they arrive in one read.
                frames = [json.dumps({"e": "serverShutdown", "E": BASE_TS // 1_000_000})] + sess.frames(batch)
                ws.transport.write(b"".join(raw_frame(f) for f in frames))
                for t in batch:
                    r = sess.record(t)
                    sess.truth[(r["symbol"], r["id"])] = r
                sess.cursor += len(batch)
                sess.notices_done += 1
                await asyncio.sleep(0.3)
                ws.transport.abort()
                return
            # A disconnect lands inside this batch: send up to it, then cut.
            cut = None
            if sess.disconnects_done < len(cuts):
                c = cuts[sess.disconnects_done]
                if sess.cursor <= c < sess.cursor + len(batch):
                    cut = c
            if cut is not None:
                batch = batch[: cut - sess.cursor]
            if batch:
                for f in sess.frames(batch):
                    await ws.send(f)
                for t in batch:
                    r = sess.record(t)
                    sess.truth[(r["symbol"], r["id"])] = r
                sess.cursor += len(batch)
            if cut is not None:
                sess.disconnects_done += 1
                if sess.disconnects_done % 2 == 0:
                    # Mid-frame: the header and half a frame, then the cut.
                    ws.transport.write(b"\x81\x7e\x01\x00" + b'{"type":"mat')
                ws.transport.abort()
                return
            ticks += 1
            if ticks % 5 == 0:
                for h in sess.heartbeat():
                    await ws.send(h)
            if a.stall and not sess.stalled and sess.cursor >= n // 2:
                sess.stalled = True
                await asyncio.sleep(a.stall)
            await asyncio.sleep(a.interval)
        # Done: keep the connection with heartbeats until the client goes.
        sess.done.set()
        while True:
            for h in sess.heartbeat():
                await ws.send(h)
            await asyncio.sleep(0.5)
    except websockets.exceptions.ConnectionClosed:
        return


def arg_parser():
    """The options; bench/feed_server.py builds its sessions from their defaults."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True,
                    choices=["coinbase", "binance", "kraken", "finnhub", "alpaca", "polygon"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--trades", type=int, default=1000)
    ap.add_argument("--nsymbols", type=int, default=2, help="finnhub: subscriptions to wait for")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--spacing-ms", type=int, default=1, help="event time between trades")
    ap.add_argument("--start-ns", type=int, default=0, help="event time of the first trade (default 2024-06-14)")
    ap.add_argument("--interval", type=float, default=0.005, help="seconds between batches")
    ap.add_argument("--disconnects", type=int, default=0)
    ap.add_argument("--replay", type=int, default=0)
    ap.add_argument("--gaps", type=int, default=0)
    ap.add_argument("--late", type=int, default=0)
    ap.add_argument("--notices", type=int, default=0)
    ap.add_argument("--refuse", type=int, default=0)
    ap.add_argument("--stall", type=float, default=0)
    ap.add_argument("--hangup", type=int, default=0)
    ap.add_argument("--quiet", type=int, default=0)
    ap.add_argument("--cut-at", default="")
    ap.add_argument("--auth-fail", action="store_true")
    ap.add_argument("--limit-once", action="store_true")
    ap.add_argument("--ping", type=float, default=20)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--truth", required=True)
    ap.add_argument("--summary", required=True)
    return ap


async def main():
    a = arg_parser().parse_args()
    if a.start_ns:
        global BASE_TS
        BASE_TS = a.start_ns // 1_000_000_000 * 1_000_000_000
    sess = Session(a)
    attempts = {"n": 0}

    def process_request(conn, request):
        attempts["n"] += 1
        if attempts["n"] <= a.refuse:
            return conn.respond(503, "busy, try later\n")
        if a.provider == "finnhub" and "token=testkey" not in request.path:
            return conn.respond(401, "Invalid API key\n")
        return None

    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    async with serve(lambda ws: handler(ws, sess), "127.0.0.1", a.port, ssl=ctx,
                     process_request=process_request, ping_interval=a.ping, ping_timeout=a.ping,
                     max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await sess.done.wait()
        with open(a.truth, "w") as f:
            for r in sess.truth.values():
                f.write(json.dumps(r) + "\n")
        with open(a.truth + ".quotes", "w") as f:
            for q in sorted(sess.quote_truth):
                f.write(json.dumps(q) + "\n")
        with open(a.summary, "w") as f:
            json.dump({"connections": sess.connections, "refused": min(attempts["n"], a.refuse),
                       "disconnects": sess.disconnects_done, "gaps": a.gaps, "dups_sent": sess.dups_sent, "quotes_sent": sess.quotes_sent,
                       "trades": len(sess.truth)}, f)
            f.write("\n")
        await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
