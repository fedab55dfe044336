#!/usr/bin/env python3
"""indcheck.py - an independent check of the indicators ticklake published.

Recomputes, in plain Python and from the definitions in docs/DATA.md
("indicators"), every indicator of every bar the pipeline produced, and
compares them with the pipeline's indicator records (or lake rows). It shares
no code with src/core/indicators.c: each value is computed from the whole series of
closes as the definition states it, not from a running state.

A series is the bars of one (symbol, interval) in window order; a window
without trades has no bar and does not count. For the bar at position n
(1-based) of its series:

  sma_<p>     mean of the last p closes; null while n < p
  ema_<p>     alpha = 2 / (p + 1); at n = p the mean of the first p closes,
              then alpha * close + (1 - alpha) * previous ema; null while n < p
  rsi         over R bar-to-bar changes (--rsi), Wilder's smoothing: the first
              average gain and loss are the plain means of the first R changes
              (at n = R + 1), then avg = (avg * (R - 1) + x) / R;
              rsi = 100 - 100 / (1 + avg_gain / avg_loss), 100 when only
              avg_loss is 0, 50 when both are (a flat series); null while n <= R
  volatility  sample standard deviation (n - 1 denominator) of the last V log
              returns ln(close / previous close) (--volatility-window);
              null while fewer than V returns (n <= V)
  bb_mid      SMA(B) of the close; bb_upper, bb_lower = bb_mid +/- K population
              standard deviations (N denominator) of the last B closes
              (--bollinger B,K); null while n < B

usage: indcheck.py BARS INDICATORS [--sma 20,50] [--ema 12,26] [--rsi 14]
                   [--volatility-window 20] [--bollinger 20,2] [--min-values N]
  BARS        JSON lines, one bar each (symbol, interval, window_start, close),
              as on bars.<interval> or rows of bars_<interval>
  INDICATORS  JSON lines, one indicator record each, as on indicators.<interval>
              or rows of indicators_<interval> (window_start as ns)

Exits 0 when there is exactly one indicator record per bar, its close is the
bar's close, each value is null exactly where the definition says and within a
relative 1e-12 (absolute 1e-12) of the recomputed one elsewhere, and every
indicator had at least --min-values non-null values compared; prints what
differs otherwise.
"""
import argparse
import json
import math
import statistics
import sys

REL, ABS = 1e-12, 1e-12


def periods(s):
    return [int(x) for x in s.split(",") if x]


def read_lines(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def mean(xs):
    return math.fsum(xs) / len(xs)


def sma(closes, n, p):
    """SMA(p) after the n-th close (n counts from 1)."""
    return mean(closes[n - p:n]) if n >= p else None


def ema_series(closes, p):
    """EMA(p) after each close: None before the p-th, seeded with the SMA."""
    out, e, alpha = [], None, 2.0 / (p + 1)
    for n in range(1, len(closes) + 1):
        if n == p:
            e = mean(closes[:p])
        elif n > p:
            e = alpha * closes[n - 1] + (1 - alpha) * e
        out.append(e)
    return out


def rsi_series(closes, r):
    """RSI after each close, Wilder's smoothing over r changes."""
    out = [None] * len(closes)
    changes = [b - a for a, b in zip(closes, closes[1:])]
    if len(changes) < r:
        return out
    gains = [max(c, 0.0) for c in changes]
    losses = [max(-c, 0.0) for c in changes]
    g, l = mean(gains[:r]), mean(losses[:r])
    for k in range(r, len(changes) + 1):  # k changes seen: the bar at index k
        if k > r:
            g = (g * (r - 1) + gains[k - 1]) / r
            l = (l * (r - 1) + losses[k - 1]) / r
        if l == 0:
            out[k] = 100.0 if g > 0 else 50.0
        else:
            out[k] = 100.0 - 100.0 / (1.0 + g / l)
    return out


def volatility(closes, n, v):
    """Sample standard deviation of the last v log returns after the n-th close."""
    if n - 1 < v:
        return None
    rets = [math.log(closes[i] / closes[i - 1]) for i in range(n - v, n)]
    return statistics.stdev(rets)


def bollinger(closes, n, b, k):
    if n < b:
        return None, None, None
    w = closes[n - b:n]
    m = mean(w)
    sd = statistics.pstdev(w)
    return m, m + k * sd, m - k * sd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bars")
    ap.add_argument("indicators")
    ap.add_argument("--sma", default="20,50")
    ap.add_argument("--ema", default="12,26")
    ap.add_argument("--rsi", type=int, default=14)
    ap.add_argument("--volatility-window", type=int, default=20)
    ap.add_argument("--bollinger", default="20,2")
    ap.add_argument("--min-values", type=int, default=1,
                    help="each indicator must have at least this many non-null values compared")
    a = ap.parse_args()
    smas, emas = periods(a.sma), periods(a.ema)
    bb_n, bb_k = a.bollinger.split(",")
    bb_n, bb_k = int(bb_n), float(bb_k)

    errors = []
    series = {}  # (symbol, interval) -> {window_start: close}
    nbars = 0
    for b in read_lines(a.bars):
        nbars += 1
        key = (b["symbol"], b["interval"])
        s = series.setdefault(key, {})
        if b["window_start"] in s:
            errors.append(f"duplicate bar {key + (b['window_start'],)}")
        s[b["window_start"]] = b["close"]

    expected = {}  # (symbol, interval, window_start) -> {field: value or None}
    for (sym, iv), s in series.items():
        starts = sorted(s)
        closes = [s[t] for t in starts]
        emav = {p: ema_series(closes, p) for p in emas}
        rsiv = rsi_series(closes, a.rsi)
        for i, t in enumerate(starts):
            n = i + 1
            e = {"close": closes[i]}
            for p in smas:
                e[f"sma_{p}"] = sma(closes, n, p)
            for p in emas:
                e[f"ema_{p}"] = emav[p][i]
            e["rsi"] = rsiv[i]
            e["volatility"] = volatility(closes, n, a.volatility_window)
            e["bb_mid"], e["bb_upper"], e["bb_lower"] = bollinger(closes, n, bb_n, bb_k)
            expected[(sym, iv, t)] = e

    fields = ["close"] + [f"sma_{p}" for p in smas] + [f"ema_{p}" for p in emas] + \
        ["rsi", "volatility", "bb_mid", "bb_upper", "bb_lower"]
    known = set(fields) | {"symbol", "interval", "window_start"}
    compared = {f: 0 for f in fields}
    seen = set()
    nind = 0
    for r in read_lines(a.indicators):
        nind += 1
        key = (r["symbol"], r["interval"], r["window_start"])
        if key in seen:
            errors.append(f"duplicate indicator record {key}")
            continue
        seen.add(key)
        e = expected.get(key)
        if e is None:
            errors.append(f"indicator record without a bar {key}")
            continue
        extra = sorted(k for k in r if k not in known and (k.startswith(("sma_", "ema_"))))
        if extra:
            errors.append(f"{key}: members for periods not configured: {extra}")
        for f in fields:
            if f not in r:
                errors.append(f"{key}: no member {f}")
                continue
            got, want = r[f], e[f]
            if want is None or got is None:
                if got is not want:
                    errors.append(f"{key}: {f} {got} != {want} (bar {n_of(series, key)} of its series)")
                continue
            compared[f] += 1
            if (got != want) if f == "close" else \
                    not math.isclose(got, want, rel_tol=REL, abs_tol=ABS):
                errors.append(f"{key}: {f} {got!r} != {want!r} (bar {n_of(series, key)} of its series)")
    for key in expected.keys() - seen:
        errors.append(f"bar without an indicator record {key}")
    for f, c in compared.items():
        if c < a.min_values:
            errors.append(f"{f}: only {c} non-null values compared (--min-values {a.min_values})")
    print(f"indcheck: {nbars} bars in {len(series)} series, {nind} indicator records, "
          f"{min(compared.values())}..{max(compared.values())} values per indicator compared, "
          f"{len(errors)} problems")
    for err in errors[:20]:
        print("  " + err)
    return 1 if errors else 0


def n_of(series, key):
    """The position (from 1) of a bar in its series, for messages."""
    return sorted(series[(key[0], key[1])]).index(key[2]) + 1


if __name__ == "__main__":
    sys.exit(main())
