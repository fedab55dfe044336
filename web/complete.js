// complete.js - completion for the SQL console's editor, from the lake's catalog (GET /api/tables):
// plain JavaScript, no build step, no library. While a name is typed, a list under the editor offers
// what fits where the cursor is: after FROM or JOIN the tables; elsewhere the columns of the tables
// the statement reads (all tables' columns when it names none), then tables and SQL keywords.
// Tab or Enter takes the highlighted name, the arrow keys move, Escape closes.
'use strict';
(function () {
  const KEYWORDS = ['SELECT', 'FROM', 'WHERE', 'GROUP BY', 'ORDER BY', 'HAVING', 'LIMIT', 'JOIN', 'LEFT JOIN',
    'ON', 'AS', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'LIKE', 'IS NULL', 'DISTINCT', 'COUNT', 'SUM', 'AVG',
    'MIN', 'MAX', 'DESC', 'ASC', 'WITH', 'UNION ALL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST',
    'DATE_TRUNC', 'TIME_BUCKET', 'EPOCH_NS', 'SUMMARIZE', 'DESCRIBE', 'SHOW TABLES'];
  const MAX = 12;

  // The pure part: what to offer for text with the cursor at pos, given tables [{name, columns}].
  function suggest(text, pos, tables) {
    const before = text.slice(0, pos);
    const m = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
    if (!m) return { start: pos, items: [] };
    const prefix = m[0].toLowerCase(), start = pos - m[0].length;
    const prev = /([A-Za-z_]+)\s*$/.exec(before.slice(0, start));
    const afterFrom = prev && /^(from|join)$/i.test(prev[1]);
    const named = new Set();
    for (const f of text.matchAll(/\b(?:from|join)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?/gi)) named.add(f[1].toLowerCase());
    const used = tables.filter((t) => named.has(t.name.toLowerCase()));
    const cols = [];
    (used.length ? used : tables).forEach((t) => t.columns.forEach((c) => { if (!cols.includes(c)) cols.push(c); }));
    const pools = afterFrom ? [tables.map((t) => t.name)] : [cols, tables.map((t) => t.name), KEYWORDS];
    const items = [];
    for (const pool of pools)
      for (const w of pool)
        if (w.toLowerCase().startsWith(prefix) && w.toLowerCase() !== prefix && !items.includes(w)) items.push(w);
    return { start, items: items.slice(0, MAX) };
  }

  // The editor's part: a list under the textarea.
  function attach(ta, getTables) {
    const box = document.createElement('div');
    box.id = 'sql-complete';
    box.className = 'complete';
    box.hidden = true;
    ta.insertAdjacentElement('afterend', box);
    let cur = { start: 0, items: [] }, sel = 0;
    function render() {
      box.replaceChildren();
      cur.items.forEach((w, i) => {
        const d = document.createElement('span');
        d.textContent = w;
        if (i === sel) d.className = 'sel';
        d.addEventListener('mousedown', (e) => { e.preventDefault(); sel = i; take(); });
        box.append(d);
      });
      box.hidden = cur.items.length === 0;
    }
    function update() {
      cur = suggest(ta.value, ta.selectionStart, getTables());
      sel = 0;
      render();
    }
    function take() {
      const w = cur.items[sel];
      if (!w) return;
      const end = ta.selectionStart;
      ta.value = ta.value.slice(0, cur.start) + w + ta.value.slice(end);
      ta.selectionStart = ta.selectionEnd = cur.start + w.length;
      cur = { start: 0, items: [] };
      render();
      ta.focus();
    }
    ta.addEventListener('input', update);
    ta.addEventListener('click', () => { cur = { start: 0, items: [] }; render(); });
    ta.addEventListener('blur', () => { box.hidden = true; });
    ta.addEventListener('keydown', (e) => {
      if (box.hidden || e.ctrlKey || e.metaKey) return;
      if (e.key === 'Tab' || e.key === 'Enter') { e.preventDefault(); take(); }
      else if (e.key === 'ArrowDown') { e.preventDefault(); sel = (sel + 1) % cur.items.length; render(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); sel = (sel + cur.items.length - 1) % cur.items.length; render(); }
      else if (e.key === 'Escape') { cur = { start: 0, items: [] }; render(); }
    });
  }

  window.sqlComplete = { suggest, attach };
})();
