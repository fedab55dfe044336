// app.js - the ticklake web console: plain JavaScript, no build step. It reads the JSON API
// (docs/API.md) and the push stream (/api/stream, Server-Sent Events) of `ticklake serve`.
'use strict';
const $ = (id) => document.getElementById(id);
const LC = window.LightweightCharts;
const IV = { '1s': 1, '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86400 };
const state = { symbol: null, interval: '1m', bars: [], alerts: [], history: [], lastCsvSql: null, catalog: [] };

async function api(path, opts) {
  const r = await fetch(path, opts);
  const ct = r.headers.get('Content-Type') || '';
  const body = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok && !(body && body.id)) throw new Error((body && body.error) || r.statusText);
  return body;
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function fmtTime(ns) { return new Date(Number(ns) / 1e6).toISOString().replace('T', ' ').replace('Z', ''); }
function fillTable(t, columns, rows) {
  t.replaceChildren();
  const h = el('tr'); columns.forEach((c) => h.append(el('th', c))); t.append(h);
  rows.forEach((r) => { const tr = el('tr'); r.forEach((v) => tr.append(el('td', v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v)))); t.append(tr); });
}

// ---- pages ----
function show() {
  const page = (location.hash || '#chart').slice(1).split('?')[0];
  document.querySelectorAll('.page').forEach((p) => p.classList.toggle('active', p.id === 'page-' + page));
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.id === 'nav-' + page));
  if (page === 'catalog') loadCatalog();
  if (page === 'sql') { loadHistory(); loadCatalog(); }
  if (page === 'chart' && chart) chart.applyOptions({ width: $('chart').clientWidth });
}
window.addEventListener('hashchange', show);

// ---- chart ----
let chart, candles, volume, sma, ema, bbU, bbL, markers;
function initChart() {
  if (!LC) {
    // web/vendor/ is filled at set-up (scripts/fetch-charts.sh); without it the rest still works.
    $('chart').textContent = 'The chart library is missing: run scripts/fetch-charts.sh (./dev setup does).';
    const none = { setData() {}, update() {}, applyOptions() {}, setMarkers() {}, markers: () => [] };
    chart = { applyOptions() {}, timeScale: () => ({ scrollToRealTime() {}, setVisibleRange() {} }) };
    candles = volume = sma = ema = bbU = bbL = markers = none;
    return;
  }
  chart = LC.createChart($('chart'), {
    layout: { background: { color: '#0f1419' }, textColor: '#d8dee4', attributionLogo: true },
    grid: { vertLines: { color: '#1c242c' }, horzLines: { color: '#1c242c' } },
    timeScale: { timeVisible: true, secondsVisible: true }, width: $('chart').clientWidth, height: 520,
  });
  candles = chart.addSeries(LC.CandlestickSeries, {});
  volume = chart.addSeries(LC.HistogramSeries, { priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
  chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  sma = chart.addSeries(LC.LineSeries, { color: '#f5a623', lineWidth: 1, priceLineVisible: false });
  ema = chart.addSeries(LC.LineSeries, { color: '#bd10e0', lineWidth: 1, priceLineVisible: false });
  bbU = chart.addSeries(LC.LineSeries, { color: '#4a90e2', lineWidth: 1, priceLineVisible: false });
  bbL = chart.addSeries(LC.LineSeries, { color: '#4a90e2', lineWidth: 1, priceLineVisible: false });
  markers = LC.createSeriesMarkers(candles, []);
}
function toBar(b) { return { time: Math.floor(b.t / 1e9), open: b.o, high: b.h, low: b.l, close: b.c, volume: b.v }; }
function overlays() {
  const closes = state.bars.map((b) => b.close), t = state.bars.map((b) => b.time);
  const smaOf = (n) => closes.map((_, i) => i + 1 < n ? null : closes.slice(i + 1 - n, i + 1).reduce((a, b) => a + b, 0) / n);
  const line = (vals) => vals.map((v, i) => (v === null ? { time: t[i] } : { time: t[i], value: v }));
  sma.setData($('ind-sma').checked ? line(smaOf(20)) : []);
  if ($('ind-ema').checked) { let e = null; const k = 2 / 13; ema.setData(line(closes.map((c) => (e = e === null ? c : c * k + e * (1 - k))))); } else ema.setData([]);
  if ($('ind-bb').checked) {
    const m = smaOf(20);
    const sd = closes.map((_, i) => (m[i] === null ? null : Math.sqrt(closes.slice(i - 19, i + 1).reduce((a, c) => a + (c - m[i]) ** 2, 0) / 20)));
    bbU.setData(line(m.map((v, i) => (v === null ? null : v + 2 * sd[i]))));
    bbL.setData(line(m.map((v, i) => (v === null ? null : v - 2 * sd[i]))));
  } else { bbU.setData([]); bbL.setData([]); }
}
function redraw() {
  candles.setData(state.bars);
  volume.setData(state.bars.map((b) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? '#26a69a88' : '#ef535088' })));
  overlays(); drawMarkers();
  $('chart-info').textContent = `${state.symbol} ${state.interval}: ${state.bars.length} bars` +
    (state.barsError ? ` (${state.barsError})` : '');
}
function drawMarkers() {
  const s = IV[state.interval];
  const ms = state.alerts.filter((a) => a.symbol === state.symbol).map((a) => ({
    time: Math.floor(Number(a.ts) / 1e9 / s) * s, position: 'aboveBar', color: '#ffeb3b', shape: 'arrowDown', text: a.kind,
  })).sort((a, b) => a.time - b.time);
  markers.setMarkers(ms);
}
// Folds a live bar (closed or forming, in seconds) into the bars: the bar of its time is replaced or a new one
// appended. A closed bar comes after the next window's forming one (the watermark passes its end a lateness
// later), so it replaces an earlier candle: the last forming snapshot of that window, up to 200 ms old.
function upsert(b) {
  const last = state.bars[state.bars.length - 1];
  if (last && b.time < last.time) {
    for (let i = state.bars.length - 2; i >= 0 && state.bars[i].time >= b.time; i--) {
      if (state.bars[i].time === b.time) {
        state.bars[i] = b;
        redraw();
        break;
      }
    }
    return;
  }
  if (last && b.time === last.time) {
    state.bars[state.bars.length - 1] = b;
  } else state.bars.push(b);
  candles.update(b);
  volume.update({ time: b.time, value: b.volume, color: b.close >= b.open ? '#26a69a88' : '#ef535088' });
}
async function loadChart() {
  state.symbol = $('symbol').value.trim().toUpperCase();
  state.interval = $('interval').value;
  if (!state.symbol) return;
  const s = IV[state.interval];
  const from = Math.floor(Date.now() / 1000) - s * 2000;
  try {
    const r = await api(`api/bars?symbol=${encodeURIComponent(state.symbol)}&interval=${state.interval}&from=${from}`);
    state.bars = r.bars.map(toBar);
    state.barsError = r.lake_error ? `no history from the lake: ${r.lake_error}` : '';
  } catch (e) { state.bars = []; state.barsError = e.message; }
  redraw();
  chart.timeScale().scrollToRealTime();
  openStream();
}
['symbol', 'interval'].forEach((id) => $(id).addEventListener('change', loadChart));
['ind-sma', 'ind-ema', 'ind-bb'].forEach((id) => $(id).addEventListener('change', overlays));

// ---- the push stream ----
let es;
function openStream() {
  if (es) es.close();
  const stream = ['1s', '1m', '5m'].includes(state.interval);
  const q = `symbols=${encodeURIComponent(state.symbol)}&kinds=forming,bar,trade` + (stream ? `&interval=${state.interval}` : '');
  es = new EventSource('api/stream?' + q);
  es.onopen = () => { $('conn').textContent = 'live'; };
  es.onerror = () => { $('conn').textContent = 'reconnecting…'; };
  const s = IV[state.interval];
  const onBar = (ev) => {
    const b = JSON.parse(ev.data);
    if (b.symbol !== state.symbol) return;
    const w = Math.floor(b.window_start / 1e9);
    const bar = { time: Math.floor(w / s) * s, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
    if (b.interval === state.interval) upsert(bar);
  };
  es.addEventListener('forming', onBar);
  es.addEventListener('bar', (ev) => { onBar(ev); });
  es.addEventListener('trade', (ev) => {
    const t = JSON.parse(ev.data);
    if (stream || t.symbol !== state.symbol || !state.bars.length) return;
    // Coarser intervals than the stream's: the trade moves the last candle.
    const time = Math.floor(t.ts / 1e9 / s) * s, last = state.bars[state.bars.length - 1];
    if (time === last.time) upsert({ ...last, high: Math.max(last.high, t.price), low: Math.min(last.low, t.price), close: t.price, volume: last.volume + t.size });
    else if (time > last.time) upsert({ time, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.size });
  });
}
// Alerts of every symbol, on a stream of their own.
function openAlerts() {
  const as = new EventSource('api/stream?kinds=alert');
  as.addEventListener('alert', (ev) => { addAlert(JSON.parse(ev.data)); drawMarkers(); });
}

// ---- alerts ----
function addAlert(a) { state.alerts.unshift(a); if (state.alerts.length > 1000) state.alerts.pop(); renderAlerts(); }
function renderAlerts() {
  const f = $('alert-filter').value.trim().toLowerCase();
  const tb = document.querySelector('#alerts tbody'); tb.replaceChildren();
  state.alerts.filter((a) => !f || a.symbol.toLowerCase().includes(f) || a.kind.includes(f)).forEach((a) => {
    const tr = el('tr');
    [fmtTime(a.ts), a.symbol, a.kind, Number(a.value).toFixed(2), a.threshold].forEach((v) => tr.append(el('td', v)));
    tr.addEventListener('click', async () => {
      $('symbol').value = a.symbol; location.hash = '#chart';
      await loadChart();
      // Centre the chart on the alert's bar.
      const s = IV[state.interval], t = Math.floor(Number(a.ts) / 1e9 / s) * s;
      chart.timeScale().setVisibleRange({ from: t - 60 * s, to: t + 20 * s });
    });
    tb.append(tr);
  });
}
$('alert-filter').addEventListener('input', renderAlerts);

// ---- market overview ----
async function loadOverview() {
  try {
    const r = await api('api/overview'), syms = r.symbols;
    const dl = $('symbols');
    if (dl.children.length !== syms.length) { dl.replaceChildren(); syms.forEach((s) => dl.append(el('option', s.symbol))); }
    if (!$('symbol').value && syms.length) { $('symbol').value = syms[0].symbol; loadChart(); }
    const movers = [...syms].sort((a, b) => Math.abs(b.change_pct) - Math.abs(a.change_pct)).slice(0, 10);
    fillTable($('movers'), ['symbol', 'last', 'change %'], movers.map((s) => [s.symbol, s.last, s.change_pct.toFixed(2)]));
    const active = [...syms].sort((a, b) => b.volume - a.volume).slice(0, 10);
    fillTable($('active'), ['symbol', 'volume', 'trades'], active.map((s) => [s.symbol, s.volume, s.trades]));
    const hm = $('heatmap'); hm.replaceChildren();
    syms.forEach((s) => {
      const d = el('div', `${s.symbol}\n${s.change_pct.toFixed(2)}%`);
      const k = Math.max(-1, Math.min(1, s.change_pct / 2));
      d.style.background = k >= 0 ? `rgba(38,166,154,${0.2 + 0.8 * k})` : `rgba(239,83,80,${0.2 - 0.8 * k})`;
      d.style.whiteSpace = 'pre';
      hm.append(d);
    });
  } catch (e) { /* no stream: the overview stays empty */ }
}

// ---- SQL console ----
async function runSql(download) {
  const sql = $('sql').value;
  $('sql-status').textContent = 'running…';
  const t0 = performance.now();
  try {
    if (download) { // 'csv', 'parquet' or 'arrow': the whole result as a file
      const r = await fetch('api/query', { method: 'POST', body: JSON.stringify({ sql, format: download, max_rows: 100000 }) });
      if (!r.ok) throw new Error((await r.json()).error);
      const a = el('a'); a.href = URL.createObjectURL(await r.blob()); a.download = (r.headers.get('X-Query-Id') || 'result') + '.' + (download === 'arrow' ? 'arrows' : download); a.click();
      $('sql-status').textContent = 'downloaded';
      return;
    }
    state.tag = 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const r = await api('api/query', { method: 'POST', body: JSON.stringify({ sql, max_rows: 1000, tag: state.tag }) });
    state.tag = null;
    if (r.status !== 'SUCCEEDED') { $('sql-status').textContent = `${r.status}: ${r.error}`; $('result').replaceChildren(); }
    else {
      state.result = r; state.page = 0; showPage();
      $('sql-status').textContent = `${r.rows} rows${r.truncated ? ' (truncated)' : ''} in ${(r.elapsed_ns / 1e6).toFixed(1)} ms, ${r.bytes_scanned} bytes scanned, id ${r.id}`;
    }
  } catch (e) { $('sql-status').textContent = e.message; }
  loadHistory();
  void t0;
}
// The result grid, PAGE rows at a time.
const PAGE = 100;
function showPage() {
  const r = state.result; if (!r) return;
  const pages = Math.max(1, Math.ceil(r.data.length / PAGE));
  state.page = Math.max(0, Math.min(state.page, pages - 1));
  fillTable($('result'), r.columns, r.data.slice(state.page * PAGE, (state.page + 1) * PAGE));
  $('page-info').textContent = `page ${state.page + 1} of ${pages}`;
}
$('prev').addEventListener('click', () => { state.page--; showPage(); });
$('next').addEventListener('click', () => { state.page++; showPage(); });
$('run').addEventListener('click', () => runSql(false));
$('cancel').addEventListener('click', () => {
  if (state.tag) fetch('api/query/cancel', { method: 'POST', body: JSON.stringify({ tag: state.tag }) });
});
$('csv').addEventListener('click', () => runSql('csv'));
$('parquet').addEventListener('click', () => runSql('parquet'));
$('arrow').addEventListener('click', () => runSql('arrow'));
$('sql').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) runSql(false); });
// Names of the catalog's tables and columns offered while typing (complete.js).
if (window.sqlComplete) window.sqlComplete.attach($('sql'), () => state.catalog);
// Inserts a table or column name at the editor's cursor.
function insertSql(text) {
  const ta = $('sql'), a = ta.selectionStart, b = ta.selectionEnd;
  ta.value = ta.value.slice(0, a) + text + ta.value.slice(b); ta.focus(); ta.selectionStart = ta.selectionEnd = a + text.length;
}
async function loadHistory() {
  try {
    const r = await api('api/queries');
    const t = $('history'); fillTable(t, ['submitted', 'status', 'rows', 'ms', 'bytes scanned', 'sql', 'result'], []);
    r.queries.slice(0, 50).forEach((q) => {
      const tr = el('tr');
      [fmtTime(q.submitted_ns), q.status, q.rows, (q.elapsed_ns / 1e6).toFixed(1), q.bytes_scanned, q.sql].forEach((v) => tr.append(el('td', v)));
      const td = el('td');
      if (q.status === 'SUCCEEDED') { const a = el('a', 'csv'); a.href = `api/queries/${q.id}.csv`; td.append(a); }
      tr.append(td);
      tr.children[5].addEventListener('click', () => { $('sql').value = q.sql; });
      t.append(tr);
    });
  } catch (e) { /* no lake yet */ }
}

// ---- catalog ----
async function loadCatalog() {
  try {
    const r = await api('api/tables');
    state.catalog = r.tables.map((t) => ({ name: t.name, columns: t.columns.concat(t.partition_keys).map((c) => c.name) }));
    const side = $('sql-tables'); side.replaceChildren();
    r.tables.forEach((t) => {
      const d = el('details'), sm = el('summary', t.name);
      sm.addEventListener('click', () => insertSql(t.name)); d.append(sm);
      t.columns.concat(t.partition_keys).forEach((c) => { const x = el('div', `${c.name} ${c.type}`, 'small'); x.addEventListener('click', () => insertSql(c.name)); d.append(x); });
      side.append(d);
    });
    const t = $('tables');
    fillTable(t, ['table', 'rows', 'files', 'bytes', 'partitions', 'columns'], r.tables.map((x) => [x.name, x.rows, x.files, x.bytes, x.partitions, x.columns.map((c) => c.name).join(', ')]));
    [...t.querySelectorAll('tr')].slice(1).forEach((tr, i) => tr.addEventListener('click', () => detail(r.tables[i].name)));
  } catch (e) { $('tables').replaceChildren(el('tr', e.message)); }
}
async function detail(name) {
  const [d, p, ddl] = await Promise.all([api(`api/tables/${name}`), api(`api/tables/${name}/partitions`), api(`api/tables/${name}/ddl`).catch(() => ({ ddl: '' }))]);
  const box = $('table-detail'); box.replaceChildren(el('h3', name));
  const c = el('table', undefined, 'grid'); fillTable(c, ['column', 'type'], d.columns.concat(d.partition_keys).map((x) => [x.name, x.type])); box.append(c);
  const pt = el('table', undefined, 'grid'); fillTable(pt, ['partition', 'rows', 'files', 'bytes'], p.partitions.map((x) => [Object.entries(x.values).map(([k, v]) => `${k}=${v}`).join('/'), x.rows, x.files, x.bytes])); box.append(el('h4', 'partitions'), pt);
  box.append(el('h4', 'DDL (Athena/Hive)'), el('pre', ddl.ddl));
}

// ---- pipeline health ----
const series = {};
function spark(canvas, vals, width, height) {
  const g = canvas.getContext('2d'), w = canvas.width = width || 240, h = canvas.height = height || 50;
  g.clearRect(0, 0, w, h); g.strokeStyle = '#3fa9f5'; g.beginPath();
  const max = Math.max(...vals, 1), min = Math.min(...vals, 0);
  vals.forEach((v, i) => { const x = (i / Math.max(vals.length - 1, 1)) * w, y = h - ((v - min) / (max - min || 1)) * (h - 4) - 2; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
}
let lastStatus = null;
async function loadHealth() {
  let s; try { s = await api('api/status'); } catch (e) { return; }
  const flat = { ...(s.pipeline || {}), ...Object.fromEntries(Object.entries(s.serve).map(([k, v]) => ['serve_' + k, v])) };
  const dt = lastStatus ? (s.now_ns - lastStatus.now_ns) / 1e9 : 0;
  const gauges = new Set(['process_lag', 'sink_lag', 'serve_stream_clients']);
  const box = $('health-cards');
  Object.entries(flat).forEach(([k, v]) => {
    const rate = !gauges.has(k) && lastStatus && dt > 0 ? (v - lastStatus.flat[k]) / dt : null;
    const val = gauges.has(k) ? v : rate;
    (series[k] = series[k] || []).push(val === null ? 0 : val); if (series[k].length > 120) series[k].shift();
    let card = document.getElementById('card-' + k);
    if (!card) { card = el('div', undefined, 'card'); card.id = 'card-' + k; card.append(el('span', k), el('b'), el('span', '', 'muted small'), el('canvas')); box.append(card); }
    card.children[1].textContent = gauges.has(k) ? v : (rate === null ? '…' : rate.toFixed(1) + '/s');
    card.children[2].textContent = gauges.has(k) ? '' : `total ${v}`;
    spark(card.children[3], series[k]);
  });
  lastStatus = { now_ns: s.now_ns, flat };
  loadLag();
}
// Consumer lag per group and partition (GET /api/lag), each row with its recent history.
const lagSeries = {};
async function loadLag() {
  let r; try { r = await api('api/lag'); } catch (e) { $('lag').replaceChildren(el('tr', e.message)); return; }
  const rows = [];
  r.groups.forEach((g) => g.partitions.forEach((p) => rows.push([g.group, p.topic, p.partition, p.committed, p.end, p.lag])));
  const t = $('lag');
  fillTable(t, ['group', 'topic', 'partition', 'committed', 'end', 'lag', 'last 4 min'], rows.map((x) => x.concat([''])));
  [...t.querySelectorAll('tr')].slice(1).forEach((tr, i) => {
    const k = rows[i].slice(0, 3).join('/');
    (lagSeries[k] = lagSeries[k] || []).push(rows[i][5]); if (lagSeries[k].length > 120) lagSeries[k].shift();
    const c = el('canvas'); c.className = 'lagspark'; tr.lastChild.append(c); spark(c, lagSeries[k], 120, 18);
  });
}

// ---- start ----
initChart();
// For the browser test (tests/browser/console.test.js) and the curious.
window.ticklake = { state, markers: () => markers.markers(), upsert };
window.addEventListener('resize', () => chart.applyOptions({ width: $('chart').clientWidth }));
show();
api('api/alerts?limit=200').then((r) => {
  state.alerts = r.alerts; renderAlerts();
  $('alerts-info').textContent = r.lake_error ? `no alerts from the lake: ${r.lake_error}` : '';
}).catch((e) => { $('alerts-info').textContent = e.message; });
openAlerts();
loadOverview(); setInterval(loadOverview, 2000);
loadHealth(); setInterval(loadHealth, 2000);
loadCatalog();
