// YoloScope report page. Plain DOM, SVG and canvas, no libraries: the page must open offline
// from file:// years from now. Data comes from the two JSON blocks the C++ writer embeds
// (docs/PROFILE_SCHEMA.md); any field may be missing, so every read goes through the guards below
// and every section renders on its own, so one bad field blanks one section, not the page.
(function () {
  'use strict';

  const errors = [];
  window.addEventListener('error', (e) => errors.push(String(e.message || e)));

  // ---- Guards and formatting ----------------------------------------------------------------

  function obj(x) { return x && typeof x === 'object' && !Array.isArray(x) ? x : {}; }
  function arr(x) { return Array.isArray(x) ? x : []; }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
  function str(x) { return x === null || x === undefined ? '' : String(x); }
  function stat(o, key) { return num(obj(o)[key]); }

  function readJson(id) {
    const node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  const DASH = '\u2014';
  function fmt(v) {
    if (v === null) return DASH;
    const a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 100) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a >= 0.001) return v.toFixed(3);
    return v.toExponential(1);
  }
  function ms(v) { return v === null ? DASH : fmt(v) + ' ms'; }
  function pct(v) { return v === null ? DASH : v.toFixed(1) + ' %'; }
  function pct0(v) { return v === null ? DASH : Math.round(v) + ' %'; }
  function mb(bytes) { return bytes === null ? null : bytes / 1e6; }
  function bytes(v) {
    if (v === null) return DASH;
    if (v >= 1e9) return (v / 1e9).toFixed(2) + ' GB';
    if (v >= 1e6) return (v / 1e6).toFixed(1) + ' MB';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + ' kB';
    return v + ' B';
  }
  function compact(v) {
    if (v === null) return DASH;
    if (Math.abs(v) >= 1e9) return (v / 1e9).toFixed(2) + ' G';
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + ' M';
    if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + ' k';
    return String(v);
  }
  function shape(s) { return Array.isArray(s) ? s.join('\u00d7') : str(s); }
  function median(values) {
    const v = values.filter((x) => num(x) !== null).sort((a, b) => a - b);
    if (!v.length) return null;
    const m = v.length >> 1;
    return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  }
  // Math.min(...xs) overflows the call stack on long series; these do not.
  function minOf(xs, start) { let m = start; for (const x of xs) if (x < m) m = x; return m; }
  function maxOf(xs, start) { let m = start; for (const x of xs) if (x > m) m = x; return m; }
  function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

  // ---- DOM helpers (textContent only: names in the data are never parsed as HTML) ----------

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'style') e.style.cssText = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function empty(text) { return h('p', { class: 'empty' }, text); }
  function swatch(color) { return h('span', { class: 'swatch', style: 'background:' + color }); }

  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, parent, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // ---- Colours ------------------------------------------------------------------------------

  const COLORS = {
    read: '#64748b', preprocess: '#0e9aa7', inference: '#2f6fdf', box_decode: '#d98b0b',
    nms: '#e4572e', output: '#16a34a', backbone: '#4f46e5', neck: '#a855f7', head: '#e0457b',
    Conv: '#1f9e89', Sigmoid: '#9ccc3a', Mul: '#5fb85a', Add: '#35b779', Concat: '#e0a21b',
    Split: '#c9a227', Resize: '#f08a5d', MaxPool: '#d64545', Reshape: '#8a8f98',
    Transpose: '#7a7f8a', Softmax: '#c2548f', Slice: '#9b8a6b', Sub: '#5aa469', Div: '#6d8fd8',
  };
  function hashColor(name) {
    let hsh = 0;
    for (let i = 0; i < name.length; i++) hsh = (hsh * 31 + name.charCodeAt(i)) | 0;
    return 'hsl(' + ((hsh >>> 0) % 360) + ',52%,50%)';
  }
  function colorOf(name) { return COLORS[name] || hashColor(str(name)); }

  // ---- Data ---------------------------------------------------------------------------------

  const S = obj(readJson('ys-summary'));
  const T = obj(readJson('ys-trace'));
  const model = obj(S.model);
  const run = obj(S.run);
  const stages = arr(S.stages).map(obj);
  const modelStages = arr(S.model_stages).map(obj);
  const layers = arr(S.layers).map(obj);
  const frames = obj(S.frames);
  const memory = obj(S.memory);
  const cpu = obj(S.cpu);
  const overhead = obj(S.overhead);
  const env = obj(S.environment);
  const latencies = arr(frames.latency_ms).map(num);
  const frameMedian = median(latencies);
  const nMeasured = num(run.frames_measured) !== null ? num(run.frames_measured) : latencies.length;
  const inferenceStage = stages.find((st) => st.name === 'inference') || null;
  const batch = num(run.batch) || 1;

  function howMeasured() {
    return nMeasured ? 'median over ' + nMeasured + ' measured frame' + (nMeasured === 1 ? '' : 's') +
        ', host steady clock' : 'host steady clock';
  }
  function slowestLayer() {
    const top = arr(S.top_layers);
    if (top.length) {
      const byId = layers.find((l) => str(l.id) === str(top[0]));
      if (byId) return byId;
    }
    let best = null;
    for (const l of layers) {
      const v = stat(l.ms, 'median');
      if (v !== null && (best === null || v > stat(best.ms, 'median'))) best = l;
    }
    return best;
  }

  // Each section renders on its own; a failure is shown in place and recorded for #selftest.
  function section(name, fn) {
    try {
      fn();
    } catch (e) {
      errors.push(name + ': ' + (e && e.stack ? e.stack : e));
      console.error('YoloScope report: section ' + name + ' failed:', e);
      const host = $(name);
      if (host) host.appendChild(h('p', { class: 'section-error' }, 'This section could not be drawn: ' + e));
    }
  }

  // ---- Header -------------------------------------------------------------------------------

  function renderHeader() {
    const name = str(model.name) || (Object.keys(S).length ? 'Unnamed model' : 'No profile data');
    $('model-name').textContent = name;
    document.title = name + ' \u2014 YoloScope profile';
    $('model-family').textContent = str(model.family);
    $('synthetic').hidden = model.synthetic_weights !== true;

    const meta = $('run-meta');
    const add = (label, value) => { if (value) meta.appendChild(h('span', null, label ? label + ' ' : '', h('b', null, value))); };
    add('Source', str(run.source));
    const dev = [str(run.device), str(run.backend)].filter(Boolean).join(' / ');
    add('Device', dev + (num(run.threads) ? ' (' + run.threads + ' threads)' : ''));
    const sch = obj(run.schedule);
    const schText = ['wait', 'warmup', 'active', 'repeat'].filter((k) => num(sch[k]) !== null)
        .map((k) => k + ' ' + sch[k]).join(', ');
    if (nMeasured || schText) {
      add('', (nMeasured ? nMeasured + ' frames measured' : '') +
          (num(run.frames_total) !== null ? ' of ' + run.frames_total : '') +
          (schText ? ' (schedule: ' + schText + ')' : ''));
    }
    if (num(run.batch) !== null) add('Batch', String(run.batch));
    if (S.generated_at) add('Generated', str(S.generated_at).replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC'));

    $('verdict').textContent = verdict();

    const cards = $('cards');
    const card = (k, v, unit, d, cls) => cards.appendChild(h('div', { class: 'card ' + (cls || '') },
        h('div', { class: 'k' }, k), h('div', { class: 'v' }, v, unit ? h('small', null, unit) : null),
        d ? h('div', { class: 'd' }, d) : null));
    const sorted = latencies.filter((x) => x !== null).sort((a, b) => a - b);
    const p90 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)] : null;
    if (frameMedian !== null) {
      card('Frame latency, median', fmt(frameMedian), 'ms', 'p90 ' + ms(p90) +
          (num(frames.jitter_ms) !== null ? ' \u00b7 jitter \u03c3 ' + ms(frames.jitter_ms) : ''));
      card('Throughput', (1000 * batch / frameMedian).toFixed(1), 'FPS',
          'one stream, batch ' + batch + ', from the median');
    }
    if (inferenceStage) {
      card('Inference, median', fmt(stat(inferenceStage.ms, 'median')), 'ms',
          pct0(num(inferenceStage.share_pct)) + ' of the frame');
    }
    const ov = num(S.overhead_pct);
    card('Profiler overhead', ov === null ? DASH : ov.toFixed(1), ov === null ? '' : '%',
        num(overhead.profiled_ms) !== null && num(overhead.unprofiled_ms) !== null
          ? (num(overhead.noise_pct) !== null ? '\u00b1 ' + overhead.noise_pct.toFixed(1) + ' % noise' +
               (overhead.within_noise ? ' (not distinguishable from noise)' : '') + '; ' : '') +
            (num(overhead.estimated_pct) !== null ? 'hook cost ' + overhead.estimated_pct.toFixed(3) + ' %; ' : '') +
            ms(overhead.profiled_ms) + ' profiled vs ' + ms(overhead.unprofiled_ms) + ' unprofiled'
          : 'not measured in this run', 'overhead' + (ov !== null && ov > 5 ? ' high' : ''));
    const peak = num(memory.arena_peak_bytes);
    if (peak !== null) card('Activation arena', bytes(peak), '', 'planner peak, weights ' + bytes(num(memory.weights_bytes)));
  }

  function verdict() {
    if (!stages.length && !layers.length) return '';
    const parts = [];
    let lead = '';
    if (frameMedian !== null) lead = 'Median frame ' + ms(frameMedian) + ' (' + (1000 * batch / frameMedian).toFixed(1) + ' FPS)';
    const infShare = inferenceStage ? num(inferenceStage.share_pct) : null;
    let largest = null;
    for (const st of stages) if (num(st.share_pct) !== null && (!largest || st.share_pct > largest.share_pct)) largest = st;
    if (infShare !== null) parts.push((lead ? 'inference is ' : 'Inference is ') + pct0(infShare) + ' of the frame');
    if (largest && largest.name !== 'inference') parts.push(largest.name + ' is the largest stage (' + pct0(largest.share_pct) + ')');
    let top = null;
    for (const st of modelStages) if (num(st.share_pct) !== null && (!top || st.share_pct > top.share_pct)) top = st;
    if (top) {
      parts.push('the ' + top.name + (top.share_pct >= 50 ? ' dominates (' : ' is the largest part (') +
          pct0(top.share_pct) + ' of inference)');
    }
    const slow = slowestLayer();
    if (slow) parts.push('slowest layer ' + (str(slow.label) || str(slow.id)) + ' (' + ms(stat(slow.ms, 'median')) + ')');
    const advice = arr(S.advice);
    if (advice.length) parts.push(advice.length + ' finding' + (advice.length === 1 ? '' : 's') + ' below');
    let text = lead ? lead + (parts.length ? ': ' : '') : '';
    text += parts.join('; ');
    return text ? text.charAt(0).toUpperCase() + text.slice(1) + '.' : '';
  }

  // ---- Advice -------------------------------------------------------------------------------

  function renderAdvice() {
    const body = $('advice-body');
    const advice = arr(S.advice).map(obj);
    if (!advice.length) {
      body.appendChild(h('p', { class: 'no-findings' }, 'No findings.'));
      body.appendChild(h('p', { class: 'how' }, Array.isArray(S.advice)
          ? 'The advisor checked this run and has nothing to change.'
          : 'The advisor did not run for this profile.'));
      return;
    }
    const rank = { critical: 0, high: 1, medium: 2, warning: 2, low: 3, info: 4 };
    advice.sort((a, b) => (rank[str(a.severity)] ?? 5) - (rank[str(b.severity)] ?? 5));
    for (const f of advice) {
      const sev = str(f.severity).toLowerCase() || 'info';
      const dl = h('dl');
      if (f.evidence !== undefined && f.evidence !== null) {
        dl.appendChild(h('dt', null, 'Evidence'));
        dl.appendChild(h('dd', null, typeof f.evidence === 'object' ? JSON.stringify(f.evidence) : str(f.evidence)));
      }
      if (f.fix) { dl.appendChild(h('dt', null, 'Fix')); dl.appendChild(h('dd', null, str(f.fix))); }
      body.appendChild(h('div', { class: 'finding sev-' + sev },
          h('div', { class: 'f-head' }, h('span', { class: 'sev' }, sev),
              h('span', { class: 'f-title' }, str(f.finding) || str(f.id)),
              f.expected_gain ? h('span', { class: 'gain' }, 'Expected gain: ' + str(f.expected_gain)) : null),
          dl));
    }
  }

  // ---- Stage breakdown ----------------------------------------------------------------------

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

  function renderStages() {
    $('stages-how').textContent = 'Times are medians over the measured frames (' + howMeasured() +
        '); p90 and p99 show the slow tail. Shares are of the sum of stage medians.';
    if (!stages.length) { $('stage-bar').replaceWith(empty('No stage timings in this profile.')); }
    else {
      stackBar($('stage-bar'), stages);
      const t = $('stage-table');
      t.appendChild(h('thead', null, h('tr', null, h('th', null, 'Stage'), h('th', { class: 'n' }, 'Median (ms)'),
          h('th', { class: 'n' }, 'p90 (ms)'), h('th', { class: 'n' }, 'p99 (ms)'), h('th', { class: 'n' }, 'Share'),
          h('th', null, 'How measured'))));
      const tb = h('tbody');
      for (const st of stages) {
        tb.appendChild(h('tr', null, h('td', null, swatch(colorOf(str(st.name))), str(st.name)),
            h('td', { class: 'n' }, fmt(stat(st.ms, 'median'))), h('td', { class: 'n' }, fmt(stat(st.ms, 'p90'))),
            h('td', { class: 'n' }, fmt(stat(st.ms, 'p99'))), h('td', { class: 'n' }, pct(num(st.share_pct))),
            h('td', { class: 'how-cell' }, str(st.how))));
      }
      t.appendChild(tb);
    }
    if (!modelStages.length) { $('model-stage-bar').replaceWith(empty('No backbone / neck / head split in this profile.')); return; }
    stackBar($('model-stage-bar'), modelStages);
    const t = $('model-stage-table');
    t.appendChild(h('thead', null, h('tr', null, h('th', null, 'Model stage'), h('th', { class: 'n' }, 'Layers'),
        h('th', { class: 'n' }, 'Median (ms)'), h('th', { class: 'n' }, 'p90 (ms)'), h('th', { class: 'n' }, 'p99 (ms)'),
        h('th', { class: 'n' }, 'Share of inference'))));
    const tb = h('tbody');
    for (const st of modelStages) {
      tb.appendChild(h('tr', null, h('td', null, swatch(colorOf(str(st.name))), str(st.name)),
          h('td', { class: 'n' }, num(st.layers) === null ? DASH : String(st.layers)),
          h('td', { class: 'n' }, fmt(stat(st.ms, 'median'))), h('td', { class: 'n' }, fmt(stat(st.ms, 'p90'))),
          h('td', { class: 'n' }, fmt(stat(st.ms, 'p99'))), h('td', { class: 'n' }, pct(num(st.share_pct)))));
    }
    t.appendChild(tb);
  }

  // ---- Timeline (canvas) --------------------------------------------------------------------

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
    let hover = null, drag = null, pending = false;
    const ctx = canvas.getContext('2d');
    canvas.style.height = height + 'px';

    function plotW() { return Math.max(10, (canvas.clientWidth || 1000) - GUTTER - 10); }
    function xOf(t) { return GUTTER + (t - t0) / (t1 - t0) * plotW(); }
    function tOf(x) { return t0 + (x - GUTTER) / plotW() * (t1 - t0); }
    // First index in a row whose span ends at or after t.
    function firstEndingAfter(row, t) {
      let lo = 0, hi = row.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (row[mid].end < t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function spanColor(sp) {
      if (sp.cat === 'layer') return colorOf(str(sp.args.stage) || sp.name);
      if (sp.cat === 'op') return colorOf(str(sp.args.op) || sp.name);
      return colorOf(sp.name);
    }

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
                let label = sp.name;
                if (ctx.measureText(label).width > room) {
                  while (label.length > 1 && ctx.measureText(label + '\u2026').width > room) label = label.slice(0, -1);
                  label += '\u2026';
                }
                ctx.fillText(label, tx, yy + ROW / 2);
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
        ctx.fillText(fitText(p.name.toUpperCase(), GUTTER - 16), 10, p.y + PROC / 2);
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
    function zoom(factor, centerT) {
      const c = centerT === undefined ? (t0 + t1) / 2 : centerT;
      const range = (t1 - t0) * factor;
      const a = c - (c - t0) * factor;
      setView(a, a + range);
      requestDraw();
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
    function localXY(ev) {
      const r = canvas.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    }

    canvas.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const [x] = localXY(ev);
      const dy = ev.deltaMode === 1 ? ev.deltaY * 30 : ev.deltaY;
      zoom(Math.exp(Math.max(-300, Math.min(300, dy)) * 0.002), x > GUTTER ? tOf(x) : undefined);
    }, { passive: false });
    canvas.addEventListener('mousedown', (ev) => {
      if (ev.button !== 0) return;
      const [x] = localXY(ev);
      drag = { x, t0, t1 };
      canvas.classList.add('dragging');
      ev.preventDefault();
    });
    window.addEventListener('mousemove', (ev) => {
      const [x, yy] = localXY(ev);
      if (drag) {
        const dt = (x - drag.x) / plotW() * (drag.t1 - drag.t0);
        setView(drag.t0 - dt, drag.t1 - dt);
        tip.hidden = true; hover = null;
        requestDraw();
      } else if (ev.target === canvas) {
        showTip(hit(x, yy), x, yy);
      }
    });
    window.addEventListener('mouseup', () => { drag = null; canvas.classList.remove('dragging'); });
    canvas.addEventListener('mouseleave', () => { if (!drag) showTip(null); });
    canvas.addEventListener('dblclick', (ev) => {
      const [x, yy] = localXY(ev);
      const f = hit(x, yy);
      if (f) { const pad = f.span.dur * 0.1 + 1; setView(f.span.ts - pad, f.span.end + pad); requestDraw(); }
    });
    window.addEventListener('resize', requestDraw);

    return {
      lanes, counters, frameList, spanCount, hasData,
      view: () => ({ t0, t1 }),
      setHome(a, b) { home = [a, b]; setView(a, b); hover = null; tip.hidden = true; requestDraw(); },
      reset() { setView(home[0], home[1]); requestDraw(); },
      zoom,
      pan(px) { const dt = px / plotW() * (t1 - t0); setView(t0 + dt, t1 + dt); requestDraw(); },
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
    const durations = list.map(([, r]) => r[1] - r[0]);
    const medDur = median(durations);
    let typical = -1;
    list.forEach(([, r], i) => {
      if (typical < 0 || Math.abs(durations[i] - medDur) < Math.abs(durations[typical] - medDur)) typical = i;
    });
    select.appendChild(h('option', { value: 'all' }, list.length ? 'All ' + list.length + ' frames' : 'Whole trace'));
    list.forEach(([f], i) => select.appendChild(h('option', { value: String(i) },
        'Frame ' + f + ' \u2014 ' + ms(durations[i] / 1000) + (i === typical ? ' (median)' : ''))));
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
        const key = sp.cat === 'layer' ? str(sp.args.stage) : sp.cat === 'op' ? str(sp.args.op) : sp.name;
        if (key && !seen.has(key)) seen.set(key, sp.cat);
        if (seen.size > 40) break;
      }
    }
    for (const [key, cat] of seen) {
      legend.appendChild(h('span', null, swatch(colorOf(key)), key + (cat === 'layer' ? ' (layers)' : '')));
    }
  }

  // ---- Layer table --------------------------------------------------------------------------

  const STAGE_ORDER = ['backbone', 'neck', 'head'];
  const topRank = new Map(arr(S.top_layers).map((id, i) => [str(id), i + 1]));
  layers.forEach((l, i) => { l._order = i; });

  const LAYER_COLS = [
    { label: 'Layer', get: (l) => l._order, show: (l) => str(l.label) || str(l.id), cls: 'label', asc: true },
    { label: 'Type', get: (l) => str(l.type), asc: true },
    { label: 'Stage', get: (l) => str(l.stage), asc: true },
    { label: 'Ops', n: true, get: (l) => num(l.ops) },
    { label: 'Median (ms)', n: true, get: (l) => stat(l.ms, 'median'), show: (l) => fmt(stat(l.ms, 'median')) },
    { label: 'p90 (ms)', n: true, get: (l) => stat(l.ms, 'p90'), show: (l) => fmt(stat(l.ms, 'p90')) },
    { label: 'Share of inference', n: true, get: (l) => num(l.share_pct), share: true },
    { label: 'GFLOPs', n: true, get: (l) => num(l.flops) === null ? null : l.flops / 1e9, show: (l) => num(l.flops) === null ? DASH : (l.flops / 1e9).toFixed(3) },
    { label: 'GFLOP/s', n: true, get: (l) => num(l.gflops_per_s), show: (l) => fmt(num(l.gflops_per_s)) },
    { label: 'GB/s', n: true, get: (l) => num(l.gb_per_s), show: (l) => fmt(num(l.gb_per_s)) },
    { label: 'Params', n: true, get: (l) => num(l.params), show: (l) => compact(num(l.params)) },
    { label: 'Output shape', get: (l) => arr(l.output_shape).reduce((a, b) => a * (num(b) || 1), 1), show: (l) => shape(l.output_shape) },
    { label: 'Activation (MB)', n: true, get: (l) => mb(num(l.activation_bytes)), show: (l) => fmt(mb(num(l.activation_bytes))) },
  ];
  const layerSort = { col: 0, dir: 1 };

  function renderLayers() {
    $('layers-how').textContent = 'One row per model layer; times are ' + howMeasured() +
        '. GFLOPs are per frame; GFLOP/s and GB/s (bytes read and written) divide by the median. ' +
        'MB are 10\u2076 bytes. Red numbers rank the ten slowest layers.';
    drawLayerTable();
    $('layer-group').addEventListener('change', drawLayerTable);
  }

  function drawLayerTable() {
    const table = clear($('layer-table'));
    if (!layers.length) { table.appendChild(h('tbody', null, h('tr', null, h('td', null, 'No layers in this profile.')))); return; }
    const head = h('tr');
    LAYER_COLS.forEach((c, i) => {
      head.appendChild(h('th', {
        class: (c.n ? 'n ' : '') + (layerSort.col === i ? (layerSort.dir > 0 ? 'sorted-asc' : 'sorted-desc') : ''),
        'data-col': String(i), title: 'Sort by ' + c.label,
        onclick: () => {
          if (layerSort.col === i) layerSort.dir = -layerSort.dir;
          else { layerSort.col = i; layerSort.dir = c.asc ? 1 : -1; }
          drawLayerTable();
        },
      }, c.label));
    });
    table.appendChild(h('thead', null, head));

    const col = LAYER_COLS[layerSort.col];
    const cmp = (a, b) => {
      const va = col.get(a), vb = col.get(b);
      if (va === null || va === '') return (vb === null || vb === '') ? a._order - b._order : 1;
      if (vb === null || vb === '') return -1;
      const r = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
      return r ? r * layerSort.dir : a._order - b._order;
    };
    const tbody = h('tbody');
    const grouped = $('layer-group').checked;
    const groups = new Map();
    if (grouped) {
      for (const st of STAGE_ORDER) groups.set(st, []);
      for (const l of layers) {
        const key = str(l.stage) || 'other';
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(l);
      }
    } else {
      groups.set('', layers.slice());
    }
    const maxShare = maxOf(layers.map((l) => num(l.share_pct) || 0), 1);
    for (const [name, list] of groups) {
      if (!list.length) continue;
      if (grouped) {
        const ms_ = modelStages.find((m) => m.name === name);
        const known = list.map((l) => stat(l.ms, 'median')).filter((v) => v !== null);
        const medianMs = ms_ ? stat(ms_.ms, 'median') : known.length ? known.reduce((a, v) => a + v, 0) : null;
        tbody.appendChild(h('tr', { class: 'group' }, h('td', { colspan: String(LAYER_COLS.length) },
            swatch(colorOf(name)), cap(name) + ' \u00b7 ' + list.length + ' layer' + (list.length === 1 ? '' : 's') +
            ' \u00b7 ' + ms(medianMs) + ' median' + (ms_ && num(ms_.share_pct) !== null ? ' \u00b7 ' + pct(ms_.share_pct) + ' of inference' : ''))));
      }
      for (const l of list.slice().sort(cmp)) {
        const rank = topRank.get(str(l.id));
        const tr = h('tr', { class: 'layer-row' + (rank ? ' ranked' : ''), 'data-layer-id': str(l.id) });
        for (const c of LAYER_COLS) {
          if (c.share) {
            const v = num(l.share_pct);
            tr.appendChild(h('td', { class: 'n share' }, h('div', { class: 'sharebar' },
                h('i', { style: 'width:' + (v === null ? 0 : 100 * v / maxShare) + '%' }), h('span', null, pct(v)))));
          } else {
            const text = c.show ? c.show(l) : (c.get(l) === null || c.get(l) === '' ? DASH : String(c.get(l)));
            tr.appendChild(h('td', { class: (c.n ? 'n ' : '') + (c.cls || ''),
              'data-rank': c.cls === 'label' && rank ? String(rank) : null }, text));
          }
        }
        tbody.appendChild(tr);
      }
    }
    table.appendChild(tbody);
  }

  // ---- SVG charts ---------------------------------------------------------------------------

  // Charts scale with their box (viewBox), so a full-width chart gets a wider drawing, not bigger
  // text.
  const M = { l: 60, r: 16, t: 14, b: 44 };
  function dims(o) { return { CW: o.wide ? 1320 : 640, CH: o.wide ? 280 : 250 }; }

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
    const yMin = minOf(ys, 0), yMax = niceMax(yMin, maxOf(ys, -Infinity));
    const d = dims(o), { CW, CH } = d;
    const svg = frame(host, o.xTitle, o.yTitle, d);
    const Y = yAxis(svg, yMin, yMax, d);
    const X = (v) => M.l + (v - xMin) / (xMax - xMin) * (CW - M.l - M.r);
    const tk = ticks(xMin, xMax, 7);
    for (const v of tk.ticks) {
      if (o.integerX && v % 1) continue;
      s('text', { x: X(v), y: CH - M.b + 16, 'text-anchor': 'middle' }, svg, tickLabel(v, o.integerX ? Math.max(1, tk.step) : tk.step));
    }
    for (const r of o.refs || []) {
      s('line', { x1: M.l, x2: CW - M.r, y1: Y(r.y), y2: Y(r.y), stroke: r.color, 'stroke-dasharray': '5 4', 'stroke-width': 1.2 }, svg);
      s('text', { x: CW - M.r - 4, y: Y(r.y) - 5, 'text-anchor': 'end', class: 'note' }, svg, r.label);
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
    const every = Math.max(1, Math.ceil(n / Math.floor((CW - M.l - M.r) / 34)));
    for (let i = 0; i < n; i++) {
      const v = o.values[i];
      const x = M.l + i * slot;
      if (v !== null) {
        const r = s('rect', { x: x + slot * 0.12, y: Y(v), width: Math.max(1, slot * 0.76), height: Math.max(0, Y(0) - Y(v)), fill: o.color, rx: 1.5 }, svg);
        s('title', {}, r, o.titles[i]);
      }
      if (i % every === 0) s('text', { x: x + slot / 2, y: CH - M.b + 15, 'text-anchor': 'middle' }, svg, o.labels[i]);
    }
    if (o.edgeLabels) {
      for (let i = 0; i <= n; i += every) s('text', { x: M.l + i * slot, y: CH - M.b + 15, 'text-anchor': 'middle' }, svg, o.edgeLabels[i]);
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

  // ---- Memory, latency, CPU -----------------------------------------------------------------

  function renderMemory() {
    const cards = $('memory-cards');
    const card = (k, v, d) => cards.appendChild(h('div', { class: 'card' }, h('div', { class: 'k' }, k),
        h('div', { class: 'v' }, v), d ? h('div', { class: 'd' }, d) : null));
    const peak = num(memory.arena_peak_bytes), naive = num(memory.naive_bytes);
    card('Activation arena peak', bytes(peak), 'static plan, buffers reused by lifetime');
    card('Without reuse', bytes(naive), peak !== null && naive ? 'planner saves ' + pct0(100 * (1 - peak / naive)) : 'one buffer per tensor');
    card('Weights', bytes(num(memory.weights_bytes)), num(model.parameters) !== null ? compact(model.parameters) + ' parameters' : null);
    card('Process RSS peak', bytes(num(memory.rss_peak_bytes)), 'resident set, from /proc');

    const labels = layers.map((l) => str(l.id) || String(l._order));
    barChart($('memory-chart'), {
      labels, values: layers.map((l) => mb(num(l.activation_bytes))), color: '#7aa5ec', name: 'Activation of the layer (MB)',
      line: { name: 'Arena live after the layer (MB)', color: '#e0457b', values: layers.map((l) => mb(num(l.live_bytes_after))) },
      titles: layers.map((l) => (str(l.label) || str(l.id)) + ': activation ' + bytes(num(l.activation_bytes)) +
          ', live after ' + bytes(num(l.live_bytes_after))),
      xTitle: 'layer (module index, execution order)', yTitle: 'MB', emptyText: 'No per-layer memory in this profile.', wide: true,
    });
  }

  function renderLatency() {
    const hist = obj(frames.histogram);
    const edges = arr(hist.edges_ms).map(num), counts = arr(hist.counts).map(num);
    const n = edges.length === counts.length + 1 ? counts.length : 0;
    barChart($('hist-chart'), {
      labels: new Array(n).fill(''), edgeLabels: edges.map((e) => fmt(e)), values: counts.slice(0, n),
      color: '#2f6fdf', name: 'frames per latency bin',
      titles: counts.slice(0, n).map((c, i) => fmt(edges[i]) + ' \u2013 ' + fmt(edges[i + 1]) + ' ms: ' + c + ' frames'),
      xTitle: 'frame latency (ms)', yTitle: 'frames', emptyText: 'No latency histogram in this profile.',
    });
    const idx = arr(frames.index);
    const xOf = (i) => num(idx[i]) !== null ? idx[i] : i;
    const inf = arr(frames.inference_ms).map(num);
    const pts = (values) => values.map((v, i) => [xOf(i), v]).filter((p) => p[1] !== null);
    lineChart($('frames-chart'), {
      series: [{ name: 'end to end (ms)', color: '#2f6fdf', points: pts(latencies) },
        { name: 'inference (ms)', color: '#e0457b', points: pts(inf) }],
      refs: frameMedian === null ? [] : [{ y: frameMedian, label: 'median ' + ms(frameMedian), color: '#5d6778' }],
      xTitle: 'frame index', yTitle: 'latency (ms)', xName: 'frame', yUnit: 'ms', integerX: true,
      emptyText: 'No per-frame latencies in this profile.',
    });
  }

  function renderSystem() {
    const series = arr(cpu.utilization_series).filter((p) => Array.isArray(p) && num(p[0]) !== null && num(p[1]) !== null);
    const cores = num(cpu.cores) !== null ? cpu.cores : num(env.cores);
    $('cpu-sub').textContent = '% of one core, process-wide, from /proc' +
        (cores ? ' (' + cores + ' cores = ' + cores * 100 + ' %)' : '') +
        (num(cpu.mean_pct) !== null ? '; mean ' + pct0(cpu.mean_pct) : '');
    lineChart($('cpu-chart'), {
      series: [{ name: 'CPU (% of one core)', color: '#0e9aa7', points: series.map((p) => [p[0] / 1000, p[1]]) }],
      refs: num(cpu.mean_pct) !== null && series.length ? [{ y: cpu.mean_pct, label: 'mean ' + pct0(cpu.mean_pct), color: '#5d6778' }] : [],
      xTitle: 'time since the run started (s)', yTitle: '% of one core', xName: 't (s)', yUnit: '%',
      emptyText: 'No CPU samples in this profile.',
    });
    const rss = arr(memory.rss_series).filter((p) => Array.isArray(p) && num(p[0]) !== null && num(p[1]) !== null);
    lineChart($('rss-chart'), {
      series: [{ name: 'RSS (MB)', color: '#8b5cf6', points: rss.map((p) => [p[0] / 1000, p[1] / 1e6]) }],
      xTitle: 'time since the run started (s)', yTitle: 'RSS (MB)', xName: 't (s)', yUnit: 'MB',
      emptyText: 'No memory samples in this profile.',
    });
  }

  // ---- Environment and footer ---------------------------------------------------------------

  function renderEnvironment() {
    const t = $('env-table');
    const row = (k, v) => { if (v !== null && v !== undefined && v !== '') t.appendChild(h('tr', null, h('th', null, k), h('td', null, v))); };
    const libs = Object.entries(obj(env.libraries)).filter(([, v]) => v).map(([k, v]) => k + ' ' + v).join(' \u00b7 ');
    let gpu = 'none';
    if (env.gpu && typeof env.gpu === 'object') {
      gpu = Object.entries(env.gpu).map(([k, v]) => k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(' \u00b7 ');
    } else if (env.gpu) gpu = str(env.gpu);
    row('CPU', str(env.cpu_model));
    row('Cores', num(env.cores) === null ? '' : String(env.cores));
    row('Operating system', str(env.os));
    row('Compiler', str(env.compiler));
    row('Libraries', libs);
    row('GPU', gpu);
    row('Model file', str(model.path));
    row('Model sha256', model.sha256 ? h('code', null, str(model.sha256)) : '');
    row('Input shape', shape(model.input_shape));
    row('Parameters', num(model.parameters) === null ? '' : compact(model.parameters) + ' (' + model.parameters + ')');
    row('Compute', num(model.gflops) === null ? '' : model.gflops.toFixed(2) + ' GFLOPs per image');
    row('Graph', (num(model.layers) !== null ? model.layers + ' layers' : '') + (num(model.ops) !== null ? ', ' + model.ops + ' ops' : ''));
    const args = run.args;
    let argText = '';
    if (Array.isArray(args)) argText = args.map(str).join(' ');
    else if (args && typeof args === 'object') argText = Object.entries(args).map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(' ');
    else argText = str(args);
    row('Arguments', argText ? h('code', null, argText) : '');
    row('Overhead measurement', str(overhead.method) + (num(overhead.frames) !== null ? ' (' + overhead.frames + ' frames)' : ''));
    if (!t.firstChild) t.replaceWith(empty('No environment recorded in this profile.'));

    const tool = obj(S.tool);
    $('footer').textContent = 'Generated by ' + (str(tool.name) || 'YoloScope') + (tool.version ? ' ' + tool.version : '') +
        (S.generated_at ? ' at ' + S.generated_at : '') + ' \u00b7 ' + (str(S.schema) || 'yoloscope.profile') +
        ' schema ' + (num(S.schema_version) !== null ? 'v' + S.schema_version : '(unknown version)') +
        ' \u00b7 durations in milliseconds on the host steady clock, sizes in MB (10\u2076 bytes).';
  }

  // ---- Self-test (#selftest): the tests' window into the page -------------------------------

  function selftest() {
    const out = { errors, layers_in_data: layers.length };
    out.layer_rows = document.querySelectorAll('#layer-table tr.layer-row').length;
    out.sections = ['advice', 'stages', 'timeline', 'layers', 'memory', 'latency', 'system', 'environment']
        .filter((id) => $(id) && $(id).querySelector('.section-error'));
    try {
      if (timeline && timeline.hasData) {
        timeline.drawNow();
        const before = timeline.view();
        const pixBefore = timeline.spanPixels();
        timeline.zoom(0.25);
        timeline.drawNow();
        const after = timeline.view();
        const pixAfter = timeline.spanPixels();
        timeline.pan(200);
        timeline.drawNow();
        const panned = timeline.view();
        timeline.reset();
        // The real handlers, through synthetic events: wheel zoom, drag pan, the + button.
        const canvas = $('tl-canvas'), box = canvas.getBoundingClientRect();
        const at = { clientX: box.left + box.width * 0.6, clientY: box.top + 40, bubbles: true, cancelable: true };
        const width = () => timeline.view().t1 - timeline.view().t0;
        const w0 = width();
        canvas.dispatchEvent(new WheelEvent('wheel', Object.assign({ deltaY: -240 }, at)));
        const wheelZoomed = width() < 0.9 * w0;
        const v0 = timeline.view();
        canvas.dispatchEvent(new MouseEvent('mousedown', Object.assign({ button: 0 }, at)));
        window.dispatchEvent(new MouseEvent('mousemove', Object.assign({}, at, { clientX: at.clientX - 150 })));
        window.dispatchEvent(new MouseEvent('mouseup', at));
        const dragPanned = timeline.view().t0 > v0.t0;
        const w1 = width();
        $('tl-zoom-in').click();
        const buttonZoomed = width() < 0.9 * w1;
        timeline.reset();
        timeline.drawNow();
        let tooltip = false;
        const lane = timeline.lanes[0];
        const v = timeline.view();
        const sp = lane.spans.find((x) => x.ts >= v.t0 && x.end <= v.t1 && x.depth === 0);
        if (sp) tooltip = timeline.hoverSpan(lane, sp) && !$('tl-tip').hidden && $('tl-tip').textContent.includes(sp.name);
        out.timeline = {
          lanes: timeline.lanes.map((l) => l.label), counters: timeline.counters.map((c) => c.name),
          spans: timeline.spanCount, frames: timeline.frameList.length,
          range_before: [before.t0, before.t1], range_after: [after.t0, after.t1],
          zoom_changed: after.t1 - after.t0 < 0.5 * (before.t1 - before.t0),
          pan_changed: panned.t0 !== after.t0,
          span_pixels: pixBefore, span_pixels_after_zoom: pixAfter, tooltip,
          wheel_zoomed: wheelZoomed, drag_panned: dragPanned, button_zoomed: buttonZoomed,
        };
      } else {
        out.timeline = { spans: 0 };
      }
      if (layers.length) {
        const th = document.querySelector('#layer-table th[data-col="4"]');
        th.click();
        const vals = [...document.querySelectorAll('#layer-table tr.layer-row')]
            .map((r) => num(parseFloat(r.children[4].textContent)));
        $('layer-group').checked = false;
        drawLayerTable();
        const flat = [...document.querySelectorAll('#layer-table tr.layer-row')]
            .map((r) => num(parseFloat(r.children[4].textContent))).filter((x) => x !== null);
        out.sort_desc_ok = flat.every((x, i) => i === 0 || flat[i - 1] >= x) && vals.length === layers.length;
        $('layer-group').checked = true;
        layerSort.col = 0; layerSort.dir = 1;
        drawLayerTable();
      }
    } catch (e) {
      errors.push('selftest: ' + (e && e.stack ? e.stack : e));
    }
    out.ok = errors.length === 0;
    $('selftest').textContent = JSON.stringify(out);
  }

  section('top', renderHeader);
  section('advice', renderAdvice);
  section('stages', renderStages);
  section('timeline', renderTimeline);
  section('layers', renderLayers);
  section('memory', renderMemory);
  section('latency', renderLatency);
  section('system', renderSystem);
  section('environment', renderEnvironment);
  window.ysReport = { summary: S, trace: T, timeline, errors };
  if (location.hash === '#selftest') selftest();
})();
