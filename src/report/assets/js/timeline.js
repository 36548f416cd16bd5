// The timeline section: trace.json's spans on a canvas, one lane per thread.

function Timeline(canvas, tip, trace) {
  const GUTTER = 150, AXIS = 26, ROW = 18, GAP = 8, COUNTER = 38;
  const events = arr(trace.traceEvents);
  const procName = {}, threadName = {}, sortIndex = {};
  const laneMap = new Map(), counterMap = new Map(), frameRange = new Map();
  let tMin = Infinity, tMax = -Infinity;

  for (const e of events) {
    if (!e || typeof e !== 'object') continue;
    const pid = e.pid ?? 0, tid = e.tid ?? 0, key = pid + ':' + tid;
    const args = obj(e.args);
    if (e.ph === 'M') {
      if (e.name === 'process_name') procName[pid] = str(args.name);
      else if (e.name === 'thread_name') threadName[key] = str(args.name);
      else if (e.name === 'thread_sort_index' && num(args.sort_index) !== null) sortIndex[key] = args.sort_index;
    } else if (e.ph === 'X') {
      const ts = num(e.ts);
      if (ts === null) continue;
      const dur = Math.max(0, num(e.dur) || 0);
      if (!laneMap.has(key)) laneMap.set(key, { pid, tid, key, spans: [], rows: [] });
      laneMap.get(key).spans.push({ name: str(e.name), cat: str(e.cat), ts, dur, end: ts + dur, args });
      tMin = Math.min(tMin, ts); tMax = Math.max(tMax, ts + dur);
      const f = num(args.frame);
      if (f !== null) {
        const r = frameRange.get(f);
        if (!r) frameRange.set(f, [ts, ts + dur]);
        else { r[0] = Math.min(r[0], ts); r[1] = Math.max(r[1], ts + dur); }
      }
    } else if (e.ph === 'C') {
      const ts = num(e.ts);
      if (ts === null) continue;
      for (const [k, v] of Object.entries(args)) {
        if (num(v) === null) continue;
        const ck = pid + ':' + str(e.name) + ':' + k;
        if (!counterMap.has(ck)) counterMap.set(ck, { pid, name: str(e.name) + ' (' + k + ')', points: [] });
        counterMap.get(ck).points.push([ts, v]);
      }
    }
  }

  const pids = new Set([...laneMap.values()].map((l) => l.pid));
  const lanes = [...laneMap.values()].sort((a, b) => (a.pid - b.pid) ||
      ((sortIndex[a.key] ?? a.tid) - (sortIndex[b.key] ?? b.tid)) || (a.tid - b.tid));
  let spanCount = 0;
  for (const lane of lanes) {
    lane.label = threadName[lane.key] || 'thread ' + lane.tid;
    lane.process = procName[lane.pid] || '';
    // Spans nest (a kernel inside a launch); a stack of open end times gives each its row, and
    // spans within one row never overlap, so their ends are sorted for the binary searches.
    lane.spans.sort((a, b) => (a.ts - b.ts) || (b.dur - a.dur));
    const open = [];
    for (const sp of lane.spans) {
      // Timestamps went through ms-to-us conversions; a nanosecond of overlap is rounding.
      while (open.length && open[open.length - 1] <= sp.ts + 1e-3) open.pop();
      sp.depth = open.length;
      open.push(sp.end);
      (lane.rows[sp.depth] = lane.rows[sp.depth] || []).push(sp);
    }
    spanCount += lane.spans.length;
  }
  const counters = [...counterMap.values()];
  for (const c of counters) {
    c.points.sort((a, b) => a[0] - b[0]);
    c.max = maxOf(c.points.map((p) => p[1]), -Infinity);
    c.min = minOf(c.points.map((p) => p[1]), 0);
  }

  // With several processes (host, GPU) each gets a header row above its lanes.
  const PROC = 18;
  const procHeaders = [];
  let y = AXIS + 4;
  lanes.forEach((lane, i) => {
    if (pids.size > 1 && (i === 0 || lanes[i - 1].pid !== lane.pid)) {
      procHeaders.push({ y, name: procName[lane.pid] || 'process ' + lane.pid });
      y += PROC;
    }
    lane.y = y; lane.h = Math.max(1, lane.rows.length) * ROW; y += lane.h + GAP;
  });
  for (const c of counters) { c.y = y; c.h = COUNTER; y += COUNTER + GAP; }
  const height = Math.max(y, AXIS + 40);
  const hasData = spanCount > 0;
  if (!hasData) { tMin = 0; tMax = 1000; }
  const frameList = [...frameRange.entries()].sort((a, b) => a[0] - b[0]);

  let home = [tMin, tMax];
  let t0 = tMin, t1 = tMax;
  let hover = null, pending = false;
  let drawnLabels = [];
  const ctx = canvas.getContext('2d');
  canvas.style.height = height + 'px';

  const vp = Viewport(canvas, {
    gutter: GUTTER, view: () => [t0, t1], setView, redraw: requestDraw,
    onHover: (x, yy) => showTip(hit(x, yy), x, yy),
    onPan: () => { tip.hidden = true; hover = null; },
    onLeave: () => showTip(null),
  });
  const { plotW, xOf, tOf, localXY } = vp;
  // First index in a row whose span ends at or after t.
  function firstEndingAfter(row, t) {
    let lo = 0, hi = row.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (row[mid].end < t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function spanColor(sp) { return colorOf(spanKey(sp)); }

  function draw() {
    pending = false;
    const dpr = window.devicePixelRatio || 1;
    const W = canvas.clientWidth || 1000;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(W * dpr); canvas.height = Math.round(height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';

    for (const lane of lanes) {
      ctx.fillStyle = '#f7f8fb';
      ctx.fillRect(GUTTER, lane.y - 2, W - GUTTER, lane.h + 4);
    }
    const range = t1 - t0;
    const tk = ticks(t0 / 1000, t1 / 1000, Math.max(2, Math.floor(plotW() / 110)));
    ctx.strokeStyle = '#e6e9ef'; ctx.lineWidth = 1;
    ctx.fillStyle = '#5d6778'; ctx.textAlign = 'center';
    for (const v of tk.ticks) {
      const x = Math.round(xOf(v * 1000)) + 0.5;
      if (x < GUTTER || x > W) continue;
      ctx.beginPath(); ctx.moveTo(x, AXIS - 4); ctx.lineTo(x, height); ctx.stroke();
      ctx.fillText(tickLabel(v, tk.step) + ' ms', x, 11);
    }
    // Frame starts, labelled when there is room.
    ctx.strokeStyle = '#9aa3b2'; ctx.setLineDash([3, 3]);
    let lastLabel = -Infinity;
    for (const [f, r] of frameList) {
      const x = Math.round(xOf(r[0])) + 0.5;
      if (x < GUTTER || x > W) continue;
      ctx.beginPath(); ctx.moveTo(x, AXIS - 2); ctx.lineTo(x, height); ctx.stroke();
      if (x - lastLabel > 70) {
        ctx.fillStyle = '#1d2433'; ctx.textAlign = 'left';
        ctx.fillText('frame ' + f, x + 3, AXIS - 4);
        lastLabel = x;
      }
    }
    ctx.setLineDash([]);

    const scale = plotW() / range;
    drawnLabels = [];
    ctx.save();
    ctx.beginPath(); ctx.rect(GUTTER, AXIS, W - GUTTER, height - AXIS); ctx.clip();
    for (const lane of lanes) {
      lane.rows.forEach((row, depth) => {
        const yy = lane.y + depth * ROW;
        let lastEnd = -Infinity;
        for (let i = firstEndingAfter(row, t0); i < row.length && row[i].ts <= t1; i++) {
          const sp = row[i];
          const x = GUTTER + (sp.ts - t0) * scale;
          const w = sp.dur * scale;
          if (w < 1 && x < lastEnd) continue;  // many sub-pixel spans share one pixel
          lastEnd = x + Math.max(1, w);
          ctx.fillStyle = spanColor(sp);
          ctx.fillRect(x, yy + 1, Math.max(1, w > 3 ? w - 1 : w), ROW - 2);
          if (w > 34) {
            const tx = Math.max(x, GUTTER) + 4;
            const room = Math.min(x + w, W) - tx - 3;
            if (room > 16) {
              ctx.fillStyle = '#ffffff'; ctx.textAlign = 'left';
              let label = spanLabel(sp);
              if (ctx.measureText(label).width > room) {
                while (label.length > 1 && ctx.measureText(label + '\u2026').width > room) label = label.slice(0, -1);
                label += '\u2026';
              }
              ctx.fillText(label, tx, yy + ROW / 2);
              drawnLabels.push({ cat: sp.cat, label, name: sp.name });
            }
          }
        }
      });
    }
    for (const c of counters) {
      const span = (c.max - c.min) || 1;
      const yOf = (v) => c.y + c.h - (v - c.min) / span * c.h;
      const line = new Path2D();
      let prevY = null;
      for (const [t, v] of c.points) {
        const x = xOf(t);
        if (prevY === null) line.moveTo(x, yOf(v));
        else { line.lineTo(x, prevY); line.lineTo(x, yOf(v)); }
        prevY = yOf(v);
      }
      if (prevY === null) continue;
      line.lineTo(W, prevY);
      const area = new Path2D(line);
      area.lineTo(W, c.y + c.h); area.lineTo(xOf(c.points[0][0]), c.y + c.h); area.closePath();
      ctx.fillStyle = 'rgba(47,111,223,.14)'; ctx.fill(area);
      ctx.strokeStyle = '#2f6fdf'; ctx.lineWidth = 1; ctx.stroke(line);
    }
    if (hover) {
      const sp = hover.span;
      ctx.strokeStyle = '#111827'; ctx.lineWidth = 2;
      ctx.strokeRect(GUTTER + (sp.ts - t0) * scale, hover.lane.y + sp.depth * ROW + 1, Math.max(2, sp.dur * scale), ROW - 2);
    }
    ctx.restore();

    // Lane labels last, over anything that was panned under the gutter.
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, GUTTER, height);
    ctx.strokeStyle = '#dde2ea'; ctx.beginPath(); ctx.moveTo(GUTTER - 0.5, 0); ctx.lineTo(GUTTER - 0.5, height); ctx.stroke();
    ctx.textAlign = 'left';
    for (const lane of lanes) {
      ctx.fillStyle = '#1d2433'; ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillText(fitText(lane.label, GUTTER - 16), 10, lane.y + Math.min(lane.h, ROW) / 2);
    }
    for (const p of procHeaders) {
      ctx.fillStyle = '#5d6778'; ctx.font = '600 11px system-ui, sans-serif';
      ctx.fillText(fitText(p.name.toUpperCase(), W - 20), 10, p.y + PROC / 2);
      ctx.strokeStyle = '#dde2ea'; ctx.beginPath(); ctx.moveTo(0, p.y + 0.5); ctx.lineTo(W, p.y + 0.5); ctx.stroke();
    }
    ctx.font = '11px system-ui, sans-serif';
    for (const c of counters) {
      ctx.fillStyle = '#1d2433'; ctx.fillText(fitText(c.name, GUTTER - 16), 10, c.y + 10);
      ctx.fillStyle = '#5d6778'; ctx.fillText('max ' + fmt(c.max), 10, c.y + 25);
    }
    $('tl-range').textContent = 'showing ' + (t0 / 1000).toFixed(3) + ' \u2013 ' + (t1 / 1000).toFixed(3) +
        ' ms since the run started (' + ms(range / 1000) + ' wide)';
  }
  function fitText(text, room) {
    if (ctx.measureText(text).width <= room) return text;
    let t = text;
    while (t.length > 1 && ctx.measureText(t + '\u2026').width > room) t = t.slice(0, -1);
    return t + '\u2026';
  }
  function requestDraw() {
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }

  function setView(a, b) {
    const full = (tMax - tMin) || 1;
    let range = Math.min(Math.max(b - a, 0.5), full * 1.5);
    let mid = (a + b) / 2;
    mid = Math.min(Math.max(mid, tMin), tMax);
    t0 = mid - range / 2; t1 = mid + range / 2;
  }
  function hit(x, yy) {
    if (x < GUTTER) return null;
    const t = tOf(x), slack = 2 * (t1 - t0) / plotW();
    for (const lane of lanes) {
      if (yy < lane.y || yy >= lane.y + lane.h) continue;
      const row = lane.rows[Math.floor((yy - lane.y) / ROW)];
      if (!row) return null;
      const i = firstEndingAfter(row, t - slack);
      if (i < row.length && row[i].ts <= t + slack) return { lane, span: row[i] };
      return null;
    }
    return null;
  }
  function showTip(found, x, yy) {
    hover = found;
    if (!found) { tip.hidden = true; requestDraw(); return; }
    const sp = found.span;
    const rows = [['duration', ms(sp.dur / 1000)], ['start', (sp.ts / 1000).toFixed(3) + ' ms since the run started'],
      ['lane', found.lane.label]];
    if (sp.cat) rows.push(['category', sp.cat]);
    for (const [k, v] of Object.entries(sp.args)) rows.push([k, typeof v === 'object' ? JSON.stringify(v) : str(v)]);
    clear(tip).appendChild(h('b', null, sp.name));
    tip.appendChild(h('table', null, rows.map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v)))));
    tip.hidden = false;
    const wrapW = canvas.clientWidth;
    const left = x + 16 + tip.offsetWidth > wrapW ? Math.max(0, x - 16 - tip.offsetWidth) : x + 16;
    tip.style.left = left + 'px';
    tip.style.top = Math.max(0, Math.min(yy + 14, height - tip.offsetHeight)) + 'px';
    requestDraw();
  }
  canvas.addEventListener('dblclick', (ev) => {
    const [x, yy] = localXY(ev);
    const f = hit(x, yy);
    if (f) { const pad = f.span.dur * 0.1 + 1; setView(f.span.ts - pad, f.span.end + pad); requestDraw(); }
  });

  return {
    lanes, counters, frameList, spanCount, hasData,
    labels: () => drawnLabels,
    view: () => ({ t0, t1 }),
    setHome(a, b) { home = [a, b]; setView(a, b); hover = null; tip.hidden = true; requestDraw(); },
    reset() { setView(home[0], home[1]); requestDraw(); },
    zoom: vp.zoom,
    pan: vp.pan,
    drawNow: draw,
    hoverSpan(lane, sp) {
      const x = Math.max(GUTTER + 1, Math.min(xOf(sp.ts + sp.dur / 2), GUTTER + plotW() - 1));
      const yy = lane.y + sp.depth * ROW + ROW / 2;
      showTip(hit(x, yy), x, yy);
      return hover && hover.span === sp;
    },
    // Pixels of saturated colour in the plot area: spans, not grid lines, labels or backgrounds.
    spanPixels() {
      const dpr = window.devicePixelRatio || 1;
      const x0 = Math.round(GUTTER * dpr), y0 = Math.round(AXIS * dpr);
      const w = canvas.width - x0, hh = canvas.height - y0;
      if (w <= 0 || hh <= 0) return 0;
      // Read through a copy: repeated reads from the visible canvas make Chromium warn.
      const copy = document.createElement('canvas');
      copy.width = w; copy.height = hh;
      const cctx = copy.getContext('2d', { willReadFrequently: true });
      cctx.drawImage(canvas, x0, y0, w, hh, 0, 0, w, hh);
      const d = cctx.getImageData(0, 0, w, hh).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
      }
      return n;
    },
  };
}

let timeline = null;
function renderTimeline() {
  const canvas = $('tl-canvas');
  timeline = Timeline(canvas, $('tl-tip'), T);
  if (!timeline.hasData) {
    $('tl-wrap').replaceWith(empty('No trace events in this profile.'));
    $('tl-range').textContent = '';
    return;
  }
  const select = $('tl-frame');
  const list = timeline.frameList;
  // A frame's length is its end-to-end latency as every other section states it
  // (summary.json's frames); the trace's extent of a frame also holds GPU work and API calls
  // that outlast it. The frame opened first is the median of the frames with the most detail
  // (op, layer or kernel spans), the lower middle one for an even count: a real frame, never
  // an average of two.
  const latencyOf = new Map();
  arr(frames.index).forEach((f, i) => { if (num(f) !== null && num(latencies[i]) !== null) latencyOf.set(f, latencies[i]); });
  const durations = list.map(([f, r]) => latencyOf.has(f) ? latencyOf.get(f) : (r[1] - r[0]) / 1000);
  const detailOf = new Map();
  for (const lane of timeline.lanes) {
    for (const sp of lane.spans) {
      const f = num(sp.args.frame);
      if (f !== null && (sp.cat === 'op' || sp.cat === 'layer' || sp.cat === 'kernel')) detailOf.set(f, true);
    }
  }
  const detailed = list.map(([f], i) => i).filter((i) => detailOf.has(list[i][0]));
  const pool = detailed.length ? detailed : list.map((_, i) => i);
  const byLatency = pool.slice().sort((a, b) => durations[a] - durations[b] || a - b);
  const typical = byLatency.length ? byLatency[(byLatency.length - 1) >> 1] : -1;
  const typicalWord = pool.length < list.length ? ' (median of the ' + pool.length + ' traced frames)' : ' (median)';
  select.appendChild(h('option', { value: 'all' }, list.length ? 'All ' + list.length + ' frames' : 'Whole trace'));
  list.forEach(([f], i) => select.appendChild(h('option', { value: String(i) },
      'Frame ' + f + ' \u2014 ' + ms(durations[i]) + (detailOf.has(f) && pool.length < list.length ? ', traced' : '') +
      (i === typical ? typicalWord : ''))));
  function apply() {
    const v = select.value;
    let a, b;
    if (v === 'all') {
      a = Infinity; b = -Infinity;
      for (const lane of timeline.lanes) for (const sp of lane.spans) { a = Math.min(a, sp.ts); b = Math.max(b, sp.end); }
    } else {
      [a, b] = list[Number(v)][1];
    }
    const pad = (b - a) * 0.02 + 1;
    timeline.setHome(a - pad, b + pad);
  }
  // A typical frame reads at a glance; all frames at once are a wall of slivers.
  select.value = typical >= 0 ? String(typical) : 'all';
  select.addEventListener('change', apply);
  $('tl-zoom-in').addEventListener('click', () => timeline.zoom(0.5));
  $('tl-zoom-out').addEventListener('click', () => timeline.zoom(2));
  $('tl-reset').addEventListener('click', () => timeline.reset());
  apply();
  timeline.drawNow();

  const legend = $('tl-legend');
  const seen = new Map();
  for (const lane of timeline.lanes) {
    for (const sp of lane.spans) {
      const key = spanKey(sp);
      if (key && !seen.has(key)) seen.set(key, sp.cat);
      if (seen.size > 40) break;
    }
  }
  for (const [key, cat] of seen) {
    legend.appendChild(h('span', null, swatch(colorOf(key)), key + (cat === 'layer' ? ' (layers)' : '')));
  }
}
