// console.test.js - the web console in a real browser: Debian's Chromium driven by playwright-core
// 1.64.1 (tests/browser/fetch-playwright.sh). Opens the console of a running `ticklake run --scenario
// flash-crash`, checks that candles are drawn and move, that the flash crash's alert is in the feed
// and on the chart as a marker, and that a SQL query fills the grid; saves a screenshot of each page.
//
//   node console.test.js PLAYWRIGHT_DIR URL OUT_DIR [CHROMIUM]
'use strict';
const [pwDir, url, out, exe] = process.argv.slice(2);
const { chromium } = require(pwDir);
const fs = require('fs');

function fail(msg) { console.error('not ok: ' + msg); process.exit(1); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: exe || '/usr/lib/chromium/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    // The chart: AAPL's 1s candles, from the lake and the stream.
    await page.fill('#symbol', 'AAPL');
    await page.selectOption('#interval', '1s');
    await page.dispatchEvent('#symbol', 'change');
    await page.waitForFunction(() => window.ticklake && window.ticklake.state.bars.length >= 5, null, { timeout: 30000 })
      .catch(() => fail('fewer than 5 candles drawn'));
    const before = await page.evaluate(() => JSON.stringify(window.ticklake.state.bars.slice(-1)[0]));
    await page.waitForFunction((b) => JSON.stringify(window.ticklake.state.bars.slice(-1)[0]) !== b, before, { timeout: 15000 })
      .catch(() => fail('the last candle did not move in 15 s'));
    // A closed bar arrives after the next window's forming bar: it replaces the candle of its window (a later
    // one too, not only the last).
    const closed = await page.evaluate(() => {
      const t = window.ticklake, far = 4102444800; // 2100-01-01: after every real bar
      t.upsert({ time: far, open: 10, high: 10, low: 10, close: 10, volume: 1 });
      t.upsert({ time: far + 1, open: 10, high: 10, low: 10, close: 10, volume: 1 });
      t.upsert({ time: far, open: 10, high: 11, low: 10, close: 11, volume: 2 });
      const b = t.state.bars.find((x) => x.time === far);
      return b ? b.close : null;
    });
    if (closed !== 11) fail(`a closed bar did not replace its forming candle (close ${closed})`);
    await page.dispatchEvent('#symbol', 'change'); // the chart again, without the bars above
    await page.waitForFunction(() => window.ticklake.state.bars.length >= 5 &&
      window.ticklake.state.bars.slice(-1)[0].time < 4102444800, null, { timeout: 30000 })
      .catch(() => fail('the chart did not load again'));
    // The canvas has candles on it (not one flat colour).
    const colours = await page.evaluate(() => {
      const seen = new Set();
      for (const c of document.querySelectorAll('#chart canvas')) {
        const g = c.getContext('2d'); if (!g || !c.width) continue;
        const d = g.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
      }
      return seen.size;
    });
    if (colours < 4) fail(`the chart's canvas is nearly blank (${colours} colours)`);
    await page.screenshot({ path: `${out}/chart.png` });
    // The flash crash: an alert in the feed, and a marker on AAPL's chart.
    await page.waitForFunction(() => window.ticklake.state.alerts.some((a) => a.symbol === 'AAPL' && a.kind === 'price_move'), null, { timeout: 90000 })
      .catch(() => fail('no price_move alert for AAPL reached the console'));
    await page.waitForFunction(() => window.ticklake.markers().length > 0, null, { timeout: 5000 })
      .catch(() => fail('no alert marker on the chart'));
    await page.screenshot({ path: `${out}/chart-alert.png` });
    await page.goto(url + '#alerts');
    await page.waitForSelector('#alerts tbody tr:has-text("price_move")', { timeout: 10000 })
      .catch(() => fail('the alert is not in the feed'));
    await page.screenshot({ path: `${out}/alerts.png` });
    // SQL: a query fills the grid.
    await page.goto(url + '#sql');
    await page.fill('#sql', 'SELECT symbol, count(*) AS trades FROM trades GROUP BY symbol ORDER BY symbol');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelectorAll('#result tr').length > 5, null, { timeout: 30000 })
      .catch(async () => fail('the SQL grid stayed empty: ' + await page.textContent('#sql-status')));
    const cell = await page.textContent('#result tr:nth-child(2) td:first-child');
    if (!/^[A-Z]+$/.test(cell)) fail('unexpected first cell: ' + cell);
    // Completion from the catalog: after FROM the tables, elsewhere the columns of the tables read.
    const offered = await page.evaluate(() => {
      const t = window.ticklake.state.catalog, s = window.sqlComplete.suggest;
      return { from: s('SELECT * FROM tr', 16, t).items, col: s('SELECT sym FROM trades', 10, t).items };
    });
    if (!offered.from.includes('trades')) fail('after FROM "tr", no "trades" offered: ' + offered.from.join(' '));
    if (offered.col[0] !== 'symbol') fail('for "sym" in a query of trades, "symbol" not offered first: ' + offered.col.join(' '));
    await page.fill('#sql', 'SELECT sym');
    await page.waitForSelector('#sql-complete span.sel:has-text("symbol")', { timeout: 5000 })
      .catch(() => fail('typing "SELECT sym" showed no completion'));
    await page.screenshot({ path: `${out}/sql-complete.png` });
    await page.press('#sql', 'Tab');
    if ((await page.inputValue('#sql')) !== 'SELECT symbol') fail('Tab did not complete: ' + await page.inputValue('#sql'));
    await page.fill('#sql', 'SELECT symbol, count(*) AS trades FROM trades GROUP BY symbol ORDER BY symbol');
    await page.screenshot({ path: `${out}/sql.png` });
    for (const p of ['overview', 'catalog', 'health']) {
      await page.goto(url + '#' + p);
      await sleep(2500);
      await page.screenshot({ path: `${out}/${p}.png` });
    }
    const health = await page.$$eval('#health-cards .card', (c) => c.length);
    if (health < 5) fail('the health page shows ' + health + ' cards');
    // Consumer lag per group and partition: the processor's and the sink's on trades.
    await page.waitForFunction(() => [...document.querySelectorAll('#lag tr')].some((tr) => tr.children[0].textContent === 'ticklake-sink' && tr.children[1].textContent.endsWith('trades')), null, { timeout: 10000 })
      .catch(async () => fail('the health page shows no lag of the sink on trades: ' + await page.textContent('#lag')));
    const lagRows = await page.$$eval('#lag tr', (r) => r.length - 1);
    if (lagRows < 2) fail('the health page shows ' + lagRows + ' lag rows');
    if (errors.length) fail('page errors: ' + errors.join('; '));
    console.log('ok: candles drawn and moving, alert in the feed and as a marker, SQL grid filled, names completed; screenshots in ' + out);
  } finally {
    await browser.close();
  }
})().catch((e) => fail(String(e)));
