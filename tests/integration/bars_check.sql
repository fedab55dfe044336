-- The streamed 1 s bars against bars recomputed by SQL from the raw trades in
-- the lake. A window surely closed when its symbol's own latest trade minus
-- the allowed lateness (1 s, the default) reached its end; every such window
-- must have a bar. Every bar must equal its recomputation: open, high, low,
-- close, volume and trades exactly, vwap within 1e-9 relative (turnover /
-- volume clamped to [low, high], docs/DATA.md) and never outside [low, high].
WITH r AS (
    SELECT symbol, epoch_ns(ts) // 1000000000 * 1000000000 AS ws,
           first(price ORDER BY ts, id) AS open, max(price) AS high, min(price) AS low,
           last(price ORDER BY ts, id) AS close, sum(size) AS volume,
           least(greatest(sum(price * size) / sum(size), min(price)), max(price)) AS vwap,
           count(*) AS trades
    FROM trades GROUP BY ALL),
lim AS (SELECT symbol, max(epoch_ns(ts)) - 1000000000 AS wm FROM trades GROUP BY symbol),
b AS (SELECT symbol, epoch_ns(window_start) AS ws, open, high, low, close, volume, vwap, trades
      FROM bars_1s)
SELECT
    (SELECT count(*) FROM r JOIN lim USING (symbol)
      WHERE r.ws + 1000000000 <= lim.wm
        AND NOT EXISTS (SELECT 1 FROM b WHERE b.symbol = r.symbol AND b.ws = r.ws)) AS missing,
    (SELECT count(*) FROM b JOIN r USING (symbol, ws)
      WHERE b.open <> r.open OR b.high <> r.high OR b.low <> r.low OR b.close <> r.close
         OR b.volume <> r.volume OR b.trades <> r.trades
         OR abs(b.vwap - r.vwap) > 1e-9 * abs(r.vwap)
         OR b.vwap < b.low OR b.vwap > b.high) AS mismatched,
    (SELECT count(*) FROM b ANTI JOIN r USING (symbol, ws)) AS orphans,
    (SELECT count(*) - count(DISTINCT (symbol, ws)) FROM b) AS duplicated,
    (SELECT count(*) FROM b) AS bars,
    (SELECT count(*) FROM r JOIN lim USING (symbol) WHERE r.ws + 1000000000 <= lim.wm) AS closed
