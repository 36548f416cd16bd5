// Axes, the stacked share bar, SVG line and bar charts and the data table the sections draw with.

// ---- Stacked share bar ------------------------------------------------------------------------

function stackBar(host, items) {
  const total = items.reduce((a, it) => a + Math.max(0, num(it.share_pct) || 0), 0);
  if (!total) { host.replaceWith(empty('No stage shares in this profile.')); return; }
  for (const it of items) {
    const share = Math.max(0, num(it.share_pct) || 0);
    if (!share) continue;
    const w = 100 * share / total;
    host.appendChild(h('div', {
      class: 'seg', style: 'width:' + w + '%;background:' + colorOf(str(it.name)),
      title: str(it.name) + ': ' + ms(stat(it.ms, 'median')) + ' median, ' + pct(num(it.share_pct)),
    }, w > 7 ? str(it.name) + ' ' + pct0(share) : ''));
  }
}

// ---- Axis ticks -------------------------------------------------------------------------------

function niceStep(range, n) {
  const raw = range / Math.max(1, n);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}
function ticks(min, max, n) {
  if (!(max > min)) max = min + 1;
  const step = niceStep(max - min, n);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(v);
  return { ticks: out, step };
}
// The axis top: the first round tick at or above hi, with a little headroom.
function niceMax(lo, hi) {
  if (!(hi > lo)) return lo + 1;
  const step = niceStep(hi - lo, 5);
  return lo + step * Math.ceil((hi - lo) / step + 0.001);
}
function tickLabel(v, step) {
  const d = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(d);
}

// ---- SVG charts -------------------------------------------------------------------------------

// Charts scale with their box (viewBox), so a full-width chart gets a wider drawing, not bigger
// text.
const M = { l: 60, r: 16, t: 14, b: 44 };
function dims(o) { return o.small ? { CW: 440, CH: 210 } : { CW: o.wide ? 1320 : 640, CH: o.wide ? 280 : 250 }; }

function frame(host, xTitle, yTitle, { CW, CH }) {
  const svg = s('svg', { viewBox: '0 0 ' + CW + ' ' + CH, role: 'img' }, host);
  s('text', { x: M.l + (CW - M.l - M.r) / 2, y: CH - 6, 'text-anchor': 'middle', class: 't' }, svg, xTitle);
  s('text', { x: 14, y: M.t + (CH - M.t - M.b) / 2, 'text-anchor': 'middle', class: 't',
    transform: 'rotate(-90 14 ' + (M.t + (CH - M.t - M.b) / 2) + ')' }, svg, yTitle);
  return svg;
}
function yAxis(svg, yMin, yMax, { CW, CH }) {
  const tk = ticks(yMin, yMax, 5);
  const Y = (v) => CH - M.b - (v - yMin) / (yMax - yMin) * (CH - M.t - M.b);
  for (const v of tk.ticks) {
    if (v > yMax + 1e-9) continue;
    s('line', { x1: M.l, x2: CW - M.r, y1: Y(v), y2: Y(v), class: 'grid' }, svg);
    s('text', { x: M.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, svg, tickLabel(v, tk.step));
  }
  s('line', { x1: M.l, x2: M.l, y1: M.t, y2: CH - M.b, class: 'axis' }, svg);
  s('line', { x1: M.l, x2: CW - M.r, y1: CH - M.b, y2: CH - M.b, class: 'axis' }, svg);
  return Y;
}
function legendOf(host, items) {
  host.appendChild(h('div', { class: 'chart-legend' }, items.map(([name, color, dashed]) =>
      h('span', null, h('span', { class: 'swatch', style: dashed ? 'background:none;border-top:2px dashed ' + color + ';height:0;border-radius:0' : 'background:' + color }), name))));
}

// series: [{name, color, points: [[x, y]]}], refs: [{y, label, color}]
function lineChart(host, o) {
  const pts = o.series.flatMap((se) => se.points);
  if (!pts.length) { host.appendChild(empty(o.emptyText)); return; }
  let xMin = minOf(pts.map((p) => p[0]), Infinity), xMax = maxOf(pts.map((p) => p[0]), -Infinity);
  if (xMax === xMin) { xMin -= 1; xMax += 1; }
  const ys = pts.map((p) => p[1]).concat((o.refs || []).map((r) => r.y));
  let yMin = minOf(ys, 0);
  // A clock or a temperature varies by a few percent of its value: an axis from zero flattens it.
  if (o.tight) {
    const lo = minOf(ys, Infinity), hi = maxOf(ys, -Infinity);
    const step = niceStep(hi > lo ? hi - lo : Math.abs(hi) || 1, 4);
    yMin = Math.max(Math.min(0, lo), Math.floor(lo / step) * step - (hi > lo ? 0 : step));
  }
  const yMax = niceMax(yMin, maxOf(ys, -Infinity));
  const d = dims(o), { CW, CH } = d;
  const svg = frame(host, o.xTitle, o.yTitle, d);
  const Y = yAxis(svg, yMin, yMax, d);
  const X = (v) => M.l + (v - xMin) / (xMax - xMin) * (CW - M.l - M.r);
  const tk = ticks(xMin, xMax, 7);
  for (const v of tk.ticks) {
    if (o.integerX && v % 1) continue;
    s('text', { x: X(v), y: CH - M.b + 16, 'text-anchor': 'middle' }, svg, tickLabel(v, o.integerX ? Math.max(1, tk.step) : tk.step));
  }
  // A reference line's label goes in the legend and the line's tooltip: written beside the
  // line it would sit on the data.
  for (const r of o.refs || []) {
    const line = s('line', { x1: M.l, x2: CW - M.r, y1: Y(r.y), y2: Y(r.y), stroke: r.color, 'stroke-dasharray': '5 4', 'stroke-width': 1.2, class: 'ref' }, svg);
    s('title', {}, line, r.label);
  }
  for (const se of o.series) {
    if (!se.points.length) continue;
    const path = se.points.map((p, i) => (i ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1)).join(' ');
    s('path', { d: path, fill: 'none', stroke: se.color, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }, svg);
    if (se.points.length <= 120) {
      for (const p of se.points) {
        const c = s('circle', { cx: X(p[0]), cy: Y(p[1]), r: se.points.length <= 40 ? 2.6 : 1.6, fill: se.color }, svg);
        s('title', {}, c, se.name + ': ' + fmt(p[1]) + ' ' + o.yUnit + ' at ' + o.xName + ' ' + fmt(p[0]));
      }
    }
  }
  legendOf(host, o.series.map((se) => [se.name, se.color]).concat((o.refs || []).map((r) => [r.label, r.color, true])));
}

// Categorical bars with an optional line on the same axis.
function barChart(host, o) {
  const n = o.labels.length;
  if (!n) { host.appendChild(empty(o.emptyText)); return; }
  const all = o.values.concat(o.line ? o.line.values : []).filter((v) => v !== null);
  const yMax = niceMax(0, maxOf(all, 0));
  const d = dims(o), { CW, CH } = d;
  const svg = frame(host, o.xTitle, o.yTitle, d);
  const Y = yAxis(svg, 0, yMax, d);
  const slot = (CW - M.l - M.r) / n;
  // Labels 11 px high are about 6.6 px a character: every k-th one, so that none overlaps.
  const widest = maxOf((o.edgeLabels || o.labels).map((t) => str(t).length), 1) * 6.6 + 8;
  const every = Math.max(1, Math.ceil(widest / slot));
  for (let i = 0; i < n; i++) {
    const v = o.values[i];
    const x = M.l + i * slot;
    if (v !== null) {
      const r = s('rect', { x: x + slot * 0.12, y: Y(v), width: Math.max(1, slot * 0.76), height: Math.max(0, Y(0) - Y(v)), fill: o.color, rx: 1.5 }, svg);
      s('title', {}, r, o.titles[i]);
    }
    if (i % every === 0 && o.labels[i]) s('text', { x: x + slot / 2, y: CH - M.b + 15, 'text-anchor': 'middle', class: 'xtick' }, svg, o.labels[i]);
  }
  if (o.edgeLabels) {
    // The last edge is always labelled, ending at the plot's right edge so it is not cut off;
    // a regular label too close before it gives way.
    const at = [];
    for (let i = 0; i < n; i += every) at.push(i);
    const lastLeft = M.l + n * slot - widest;
    while (at.length > 1 && M.l + at[at.length - 1] * slot + widest / 2 > lastLeft) at.pop();
    at.push(n);
    for (const i of at) {
      s('text', { x: M.l + i * slot, y: CH - M.b + 15, 'text-anchor': i === n ? 'end' : 'middle', class: 'xtick' },
          svg, o.edgeLabels[i]);
    }
  }
  const legend = [[o.name, o.color]];
  if (o.line) {
    const path = o.line.values.map((v, i) => v === null ? '' : (i && o.line.values[i - 1] !== null ? 'L' : 'M') +
        (M.l + (i + 0.5) * slot).toFixed(1) + ' ' + Y(v).toFixed(1)).join(' ');
    s('path', { d: path, fill: 'none', stroke: o.line.color, 'stroke-width': 2 }, svg);
    o.line.values.forEach((v, i) => {
      if (v === null) return;
      const c = s('circle', { cx: M.l + (i + 0.5) * slot, cy: Y(v), r: 2.4, fill: o.line.color }, svg);
      s('title', {}, c, o.titles[i]);
    });
    legend.push([o.line.name, o.line.color]);
  }
  legendOf(host, legend);
}

// ---- Tables -----------------------------------------------------------------------------------

function shareCell(v, max, cls) {
  return h('td', { class: 'n share' + (cls ? ' ' + cls : '') }, h('div', { class: 'sharebar' },
      h('i', { style: 'width:' + (v === null || !max ? 0 : Math.min(100, 100 * v / max)) + '%' }), h('span', null, pct(v))));
}
function dataTable(table, columns, rows, rowClass) {
  table.appendChild(h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.n ? 'n' : null, title: c.title || null }, c.label)))));
  const tb = h('tbody');
  for (const r of rows) tb.appendChild(h('tr', { class: rowClass }, columns.map((c) => c.cell ? c.cell(r) : h('td', { class: c.n ? 'n' : null }, c.show(r)))));
  table.appendChild(tb);
}
