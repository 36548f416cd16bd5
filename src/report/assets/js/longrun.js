// The whole of a long run (profile_detail=long): summary.json's per-second buckets drawn as a
// p50-p99 band per stage, the spikes marked above them and their period drawn as a comb. Wheel,
// the buttons or a drag zoom and pan; a click on a spike shows its blame and opens the frames the
// flight recorder kept around it in the timeline section. Its frames join trace.json's events
// here, before the timeline is built, so the timeline draws them with its own lanes.

const longRun = obj(S.long);
const spikeSummary = obj(S.spikes);
const spikeList = arr(spikeSummary.occurrences).map(obj).filter((o) => num(o.t_s) !== null);
const flights = arr(longRun.flight).map(obj);
const LR_STAGES = ['latency', 'read', 'preprocess', 'inference', 'box_decode', 'nms', 'output'];
const LR_STAGE_NAMES = { latency: 'end to end' };

// ---- Buckets: summary.json's columns, or the page's compact copy of them ----------------------

// The report writer (src/report/long_run_page.cpp) stores each column as integer steps of
// `unit_ms` from the previous value, with the null runs listed apart: a 24-hour run is then a
// few MB instead of tens.
function decodeColumn(col, n, unit) {
  const c = obj(col), d = arr(c.d), out = new Float64Array(n).fill(NaN);
  let v = 0;
  for (let i = 0; i < n && i < d.length; i++) { v += d[i]; out[i] = v * unit; }
  for (const run of arr(c.nulls)) {
    const a = num(arr(run)[0]), len = num(arr(run)[1]);
    if (a === null || len === null) continue;
    for (let i = Math.max(0, a); i < Math.min(n, a + len); i++) out[i] = NaN;
  }
  return out;
}
function plainColumn(xs, n) {
  const out = new Float64Array(n).fill(NaN);
  arr(xs).forEach((x, i) => { if (i < n && num(x) !== null) out[i] = x; });
  return out;
}
function loadBuckets() {
  const page = obj(longRun.buckets_page), raw = obj(longRun.buckets);
  const compact = num(page.n) !== null;
  const n = compact ? page.n : arr(raw.count).length;
  if (!n) return null;
  const unit = num(page.unit_ms) || 0.001;
  const column = (c, u) => compact ? decodeColumn(c, n, u) : plainColumn(c, n);
  const src = compact ? page : raw;
  const stagesIn = obj(src.stages);
  const names = LR_STAGES.filter((k) => k in stagesIn).concat(Object.keys(stagesIn).filter((k) => !LR_STAGES.includes(k)));
  const rows = names.map((name) => {
    const st = obj(stagesIn[name]);
    return { name, p50: column(st.p50, unit), p99: column(st.p99, unit), max: st.max ? column(st.max, unit) : null };
  }).filter((r) => r.p50.some((v) => v === v));
  return {
    n, width: num(src.width_s) || 1, rows,
    count: column(src.count, 1),
    spikeFrames: src.spike_frames ? column(src.spike_frames, 1) : null,
  };
}

// ---- Flight-recorder frames as trace events ---------------------------------------------------

// Stages and layers go on the host's lanes, kernels, copies and waits on the GPU's, as trace.json
// lays out a detailed window (docs/PROFILE_SCHEMA.md). A stage or layer without `start_ms` is
// laid end to end (stages from the frame's start, layers from the inference stage's), the way
// events mode lays out layer times.
function flightEvents() {
  const ev = [];
  const meta = (pid, tid, name, sort) => {
    ev.push({ ph: 'M', pid, tid, name: 'thread_name', args: { name } });
    ev.push({ ph: 'M', pid, tid, name: 'thread_sort_index', args: { sort_index: sort } });
  };
  const have = new Set(arr(T.traceEvents).filter((e) => e && e.ph === 'M' && e.name === 'thread_name').map((e) => e.pid + ':' + e.tid));
  const lanes = [[1, 1, 'stages', 1], [1, 2, 'layers', 2], [1, 4, 'GPU waits', 4], [100, 1, 'kernels (flight recorder)', 1], [100, 2, 'copies (flight recorder)', 2]];
  let gpuUsed = false;
  const us = (msv) => msv * 1000;
  flights.forEach((rec, fi) => {
    for (const fr of arr(rec.frames).map(obj)) {
      const t = num(fr.t_s), frame = num(fr.frame);
      if (t === null || frame === null) continue;
      const base = t * 1e6, args = { frame, flight: fi, spike: fr.spike === true };
      let at = base, inferenceAt = null;
      const stagesOf = obj(fr.stages);
      for (const name of LR_STAGES.slice(1).filter((k) => k in stagesOf).concat(Object.keys(stagesOf).filter((k) => !LR_STAGES.includes(k)))) {
        const v = stagesOf[name];
        const dur = num(typeof v === 'object' && v ? v.ms : v);
        if (dur === null) continue;
        const start = typeof v === 'object' && v && num(v.start_ms) !== null ? base + us(v.start_ms) : at;
        ev.push({ ph: 'X', pid: 1, tid: 1, name, cat: 'stage', ts: start, dur: us(dur), args });
        if (name === 'inference') inferenceAt = start;
        at = start + us(dur);
      }
      let lat = inferenceAt !== null ? inferenceAt : base;
      for (const l of arr(fr.layers).map(obj)) {
        const dur = num(l.ms);
        if (dur === null) continue;
        const start = num(l.start_ms) !== null ? base + us(l.start_ms) : lat;
        ev.push({ ph: 'X', pid: 1, tid: 2, name: str(l.label) || str(l.id), cat: 'layer', ts: start, dur: us(dur),
          args: Object.assign({ layer: str(l.id), stage: str(l.stage) }, args) });
        lat = start + us(dur);
      }
      const g = obj(fr.gpu);
      const put = (list, pid, tid, cat, nameOf, extra) => {
        for (const k of arr(list).map(obj)) {
          const s0 = num(k.start_ms), dur = num(k.ms);
          if (s0 === null || dur === null) continue;
          if (pid === 100) gpuUsed = true;
          ev.push({ ph: 'X', pid, tid, name: nameOf(k), cat, ts: base + us(s0), dur: us(dur), args: Object.assign(extra(k), args) });
        }
      };
      // A kernel's name is an index into the record's kernel_names (summary.json), or the name.
      const kname = (k) => (typeof k.name === 'number' ? str(arr(rec.kernel_names)[k.name]) : str(k.name));
      put(g.kernels, 100, 1, 'kernel', kname, (k) => ({ layer: str(k.layer) }));
      put(g.copies, 100, 2, 'copy', (k) => 'memcpy ' + str(k.direction), (k) => ({ direction: str(k.direction), memory: str(k.memory), bytes: num(k.bytes) }));
      put(g.waits, 1, 4, 'sync', (k) => 'wait for ' + str(k.kind), (k) => ({ what: str(k.kind) }));
    }
  });
  if (!ev.length) return [];
  for (const [pid, tid, name, sort] of lanes) if (!have.has(pid + ':' + tid) && (pid === 1 || gpuUsed)) meta(pid, tid, name, sort);
  if (gpuUsed && !arr(T.traceEvents).some((e) => e && e.ph === 'M' && e.pid === 100 && e.name === 'process_name'))
    ev.push({ ph: 'M', pid: 100, tid: 0, name: 'process_name', args: { name: 'GPU (flight recorder)' } });
  return ev;
}
if (flights.length) {
  if (!Array.isArray(T.traceEvents)) T.traceEvents = [];
  for (const e of flightEvents()) T.traceEvents.push(e);
}

// ---- Time labels ------------------------------------------------------------------------------

function clockText(t, step) {
  const sign = t < 0 ? '-' : '';
  t = Math.abs(t);
  const hrs = Math.floor(t / 3600), mins = Math.floor((t % 3600) / 60), secs = t % 60;
  const dec = step < 1 ? Math.min(3, Math.ceil(-Math.log10(step))) : 0;
  const ss = secs.toFixed(dec).padStart(dec ? dec + 3 : 2, '0');
  return sign + (hrs ? hrs + ':' + String(mins).padStart(2, '0') : String(mins)) + ':' + ss;
}
// Round steps of a wall clock: seconds, minutes, hours.
function clockStep(range, n) {
  const raw = range / Math.max(1, n);
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600]) if (s >= raw) return s;
  return niceStep(range, n);
}

// ---- The chart --------------------------------------------------------------------------------

function LongRunChart(canvas, tip, data) {
  const GUTTER = 150, AXIS = 24, COMB = 20, MARKS = 16, ROW = 58, GAP = 8;
  const periodic = spikeSummary.periodic === true && num(spikeSummary.period_s) > 0;
  const period = num(spikeSummary.period_s), phase = num(spikeSummary.phase_s) || 0;
  const total = data.n * data.width;
  const top = AXIS + (periodic ? COMB : 0);
  const rowsY = top + MARKS + 4;
  data.rows.forEach((r, i) => { r.y = rowsY + i * (ROW + GAP); });
  const height = rowsY + data.rows.length * (ROW + GAP) + 4;
  canvas.style.height = height + 'px';
  const ctx = canvas.getContext('2d');
  let t0 = 0, t1 = total, pending = false, drawn = {};
  const vp = Viewport(canvas, {
    gutter: GUTTER, view: () => [t0, t1], setView, redraw: requestDraw,
    onHover: showTip,
    onPan: () => { tip.hidden = true; },
    onLeave: () => { tip.hidden = true; },
    onClick: (x) => { const si = spikeAt(x); if (si !== null) openSpike(si); },
  });
  const { plotW, xOf, tOf, zoom } = vp;
  function setView(a, b) {
    const range = Math.min(Math.max(b - a, Math.min(10 * data.width, total)), total);
    let start = Math.min(Math.max(a + (b - a - range) / 2, 0), total - range);
    t0 = start; t1 = start + range;
  }
  // Per pixel column: the means of its buckets' p50s and p99s (the band), and the largest p99
  // among them (a needle above the band), so that a spike of one second stays visible with a day
  // on the screen without hiding the typical spread.
  function columns(row) {
    const W = Math.ceil(plotW()), out = [];
    for (let px = 0; px < W; px++) {
      const a = Math.max(0, Math.floor(tOf(GUTTER + px) / data.width));
      const b = Math.min(data.n, Math.max(a + 1, Math.floor(tOf(GUTTER + px + 1) / data.width)));
      let s50 = 0, s99 = 0, k = 0, peak = -Infinity;
      for (let i = a; i < b; i++) {
        const p50 = row.p50[i], p99 = row.p99[i];
        if (p50 !== p50) continue;
        const top = p99 === p99 ? Math.max(p99, p50) : p50;
        s50 += p50; s99 += top; k++;
        if (top > peak) peak = top;
      }
      out.push(k ? { px, p50: s50 / k, p99: s99 / k, peak } : null);
    }
    return out;
  }

  function draw() {
    pending = false;
    const dpr = window.devicePixelRatio || 1, W = canvas.clientWidth || 1000;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(W * dpr); canvas.height = Math.round(height * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, W, height);
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    drawn = { band_columns: 0, comb_teeth: 0, spike_marks: 0, marks: [] };

    const step = clockStep(t1 - t0, Math.max(2, Math.floor(plotW() / 110)));
    ctx.strokeStyle = '#e6e9ef'; ctx.lineWidth = 1; ctx.fillStyle = '#5d6778'; ctx.textAlign = 'center';
    for (let v = Math.ceil(t0 / step) * step; v <= t1; v += step) {
      const x = Math.round(xOf(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, AXIS - 4); ctx.lineTo(x, height); ctx.stroke();
      const label = clockText(v, step), half = ctx.measureText(label).width / 2 + 2;
      ctx.fillText(label, Math.min(Math.max(x, GUTTER + half), W - half), 11);
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(GUTTER, 0, W - GUTTER, height); ctx.clip();
    if (periodic) {
      // The comb: one tooth where each occurrence of the period is expected.
      const y = AXIS + 2, spacing = period / (t1 - t0) * plotW();
      ctx.fillStyle = '#fdecea'; ctx.fillRect(GUTTER, y, W - GUTTER, COMB - 4);
      if (spacing >= 3) {
        ctx.strokeStyle = '#c0392b'; ctx.lineWidth = 1.5;
        for (let k = Math.ceil((t0 - phase) / period); phase + k * period <= t1; k++) {
          const x = Math.round(xOf(phase + k * period)) + 0.5;
          ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x, y + COMB - 4); ctx.stroke();
          drawn.comb_teeth++;
        }
        ctx.strokeStyle = '#c0392b'; ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(GUTTER, y + 0.5); ctx.lineTo(W, y + 0.5); ctx.stroke();
      } else {
        ctx.fillStyle = '#c0392b'; ctx.textAlign = 'left';
        ctx.fillText('every ' + period.toFixed(1) + ' s: ' + Math.round((t1 - t0) / period) + ' teeth, zoom in to see them apart', GUTTER + 6, y + (COMB - 4) / 2);
      }
    }
    // Spikes: a mark above the rows, and a faint line through them while they stand apart.
    const markY = top + 2;
    const visible = spikeList.filter((sp) => sp.t_s >= t0 && sp.t_s <= t1).length;
    const apart = visible * 8 < plotW();
    for (let i = 0; i < spikeList.length; i++) {
      const sp = spikeList[i], x = xOf(sp.t_s);
      if (x < GUTTER - 6 || x > W + 6) continue;
      const kept = num(sp.flight) !== null;
      ctx.fillStyle = ctx.strokeStyle = sp.in_period === false ? '#e67e22' : '#c0392b';
      if (apart) {
        ctx.beginPath(); ctx.moveTo(x - 5, markY); ctx.lineTo(x + 5, markY); ctx.lineTo(x, markY + MARKS - 4); ctx.closePath();
        if (kept) ctx.fill(); else ctx.stroke();
        ctx.strokeStyle = 'rgba(192,57,43,.25)';
        ctx.beginPath(); ctx.moveTo(Math.round(x) + 0.5, rowsY); ctx.lineTo(Math.round(x) + 0.5, height); ctx.stroke();
      } else {
        ctx.fillRect(Math.round(x), markY + (kept ? 0 : 6), 1, kept ? MARKS - 4 : MARKS - 10);
      }
      drawn.spike_marks++;
      if (drawn.marks.length < 4000) drawn.marks.push({ i, x });
    }
    for (const r of data.rows) {
      ctx.fillStyle = '#f7f8fb'; ctx.fillRect(GUTTER, r.y, W - GUTTER, ROW);
      const cols = columns(r);
      let hi = 0, peak = 0;
      for (const c of cols) if (c) { hi = Math.max(hi, c.p99); peak = Math.max(peak, c.peak); }
      // The band sets the scale; needles above it are clipped at the row's top.
      r.scale = niceMax(0, (peak > 1.3 * hi ? 1.3 * hi : peak) || 1);
      r.peak = peak;
      const yOf = (v) => r.y + ROW - Math.min(1, v / r.scale) * (ROW - 4);
      const color = colorOf(r.name === 'latency' ? 'inference' : r.name);
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.22;
      for (const c of cols) {
        if (c && c.peak > c.p99) ctx.fillRect(GUTTER + c.px, yOf(c.peak), 1, Math.max(0, yOf(c.p99) - yOf(c.peak)));
      }
      ctx.globalAlpha = 0.5;
      for (const c of cols) {
        if (!c) continue;
        const yTop = yOf(c.p99), yBot = yOf(c.p50);
        ctx.fillRect(GUTTER + c.px, yTop, 1, Math.max(1, yBot - yTop));
        drawn.band_columns++;
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = color; ctx.lineWidth = 1.2; ctx.beginPath();
      let open = false;
      for (const c of cols) {
        if (!c) { open = false; continue; }
        const x = GUTTER + c.px + 0.5, y = yOf(c.p50);
        if (open) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        open = true;
      }
      ctx.stroke();
    }
    ctx.restore();

    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, GUTTER, height);
    ctx.strokeStyle = '#dde2ea'; ctx.beginPath(); ctx.moveTo(GUTTER - 0.5, 0); ctx.lineTo(GUTTER - 0.5, height); ctx.stroke();
    ctx.textAlign = 'left';
    if (periodic) { ctx.fillStyle = '#c0392b'; ctx.font = '600 11px system-ui, sans-serif'; ctx.fillText('period ' + period.toFixed(1) + ' s', 10, AXIS + COMB / 2); }
    ctx.fillStyle = '#5d6778'; ctx.font = '600 11px system-ui, sans-serif';
    ctx.fillText('spikes (' + spikeList.length + ')', 10, top + MARKS / 2);
    for (const r of data.rows) {
      ctx.fillStyle = '#1d2433'; ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillText(LR_STAGE_NAMES[r.name] || r.name, 10, r.y + 12);
      ctx.fillStyle = '#5d6778'; ctx.font = '11px system-ui, sans-serif';
      ctx.fillText('0 \u2013 ' + fmt(r.scale) + ' ms', 10, r.y + 28);
      if (r.peak > r.scale) { ctx.fillStyle = '#c0392b'; ctx.fillText('peaks to ' + fmt(r.peak) + ' ms', 10, r.y + 43); }
    }
    $('lr-range').textContent = 'showing ' + clockText(t0, 1) + ' \u2013 ' + clockText(t1, 1) +
        ' of ' + clockText(total, 1) + ' (' + Math.round((t1 - t0) / data.width) + ' buckets of ' + fmt(data.width) + ' s)';
  }
  function requestDraw() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
  function spikeAt(x) {
    let best = null;
    for (const m of drawn.marks) if (Math.abs(m.x - x) <= 6 && (!best || Math.abs(m.x - x) < Math.abs(best.x - x))) best = m;
    return best ? best.i : null;
  }
  function rowAt(y) { return data.rows.find((r) => y >= r.y && y < r.y + ROW) || null; }
  function showTip(x, y) {
    if (x < GUTTER) { tip.hidden = true; return; }
    const si = y < rowsY ? spikeAt(x) : null;
    const rows = [];
    let title;
    if (si !== null) {
      const sp = spikeList[si];
      title = 'Spike at ' + clockText(sp.t_s, 0.1) + (num(sp.frame) !== null ? ', frame ' + sp.frame : '');
      rows.push(['duration', ms(num(sp.duration_ms))], ['stage', str(sp.stage) || DASH]);
      const b = obj(arr(sp.blame)[0]);
      if (b.kind) rows.push(['blame', str(b.kind) + (b.comm ? ' ' + b.comm : '') + (num(b.pid) !== null ? ' (pid ' + b.pid + ')' : '')]);
      rows.push(['', num(sp.flight) !== null ? 'click: open its frames in the timeline' : 'click: its blame (no frames kept)']);
    } else {
      const r = rowAt(y);
      const i = Math.floor(tOf(x) / data.width);
      if (!r || i < 0 || i >= data.n) { tip.hidden = true; return; }
      title = (LR_STAGE_NAMES[r.name] || r.name) + ', second ' + clockText(i * data.width, 1);
      const v = (a) => a && a[i] === a[i] ? ms(a[i]) : DASH;
      rows.push(['frames', data.count[i] === data.count[i] ? String(data.count[i]) : '0'], ['p50', v(r.p50)], ['p99', v(r.p99)]);
      if (r.max) rows.push(['max', v(r.max)]);
    }
    clear(tip).appendChild(h('b', null, title));
    tip.appendChild(h('table', null, rows.map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v)))));
    tip.hidden = false;
    const left = x + 16 + tip.offsetWidth > canvas.clientWidth ? Math.max(0, x - 16 - tip.offsetWidth) : x + 16;
    tip.style.left = left + 'px';
    tip.style.top = Math.max(0, Math.min(y + 14, height - tip.offsetHeight)) + 'px';
  }

  canvas.addEventListener('dblclick', () => { setView(0, total); requestDraw(); });
  setView(0, total);

  return {
    total, data,
    view: () => ({ t0, t1 }),
    zoom, drawNow: draw,
    setView(a, b) { setView(a, b); requestDraw(); },
    reset() { setView(0, total); requestDraw(); },
    drawn: () => drawn,
    plotWidth: () => Math.ceil(plotW()),
    xOfSpike: (i) => xOf(spikeList[i].t_s),
    markY: () => top + 6,
  };
}

// ---- A spike's detail -------------------------------------------------------------------------

function blameText(b) {
  const who = [str(b.comm), num(b.pid) !== null ? 'pid ' + b.pid : ''].filter(Boolean).join(', ');
  return str(b.kind).replace(/_/g, ' ') + (who ? ' (' + who + ')' : '') + (b.evidence ? ': ' + str(b.evidence) : '');
}
// Each layer of the spike frame against its median over the record's other frames, largest growth
// first: which layer grew, and by how much.
function layerGrowth(rec) {
  const framesOf = arr(rec.frames).map(obj);
  const spike = framesOf.find((f) => f.spike === true) || framesOf.find((f) => num(f.frame) === num(rec.frame));
  if (!spike) return [];
  const others = framesOf.filter((f) => f !== spike);
  return arr(spike.layers).map(obj).map((l) => {
    const base = median(others.map((f) => { const m = arr(f.layers).map(obj).find((x) => str(x.id) === str(l.id)); return m ? num(m.ms) : null; }));
    return { label: str(l.label) || str(l.id), ms: num(l.ms), base, grew: base !== null && num(l.ms) !== null ? l.ms - base : null };
  }).sort((a, b) => (b.grew ?? -Infinity) - (a.grew ?? -Infinity)).slice(0, 5);
}
function openSpike(i) {
  const sp = spikeList[i];
  const box = clear($('lr-detail'));
  box.hidden = false;
  box.setAttribute('data-spike', String(i));
  const rec = num(sp.flight) !== null ? obj(flights[sp.flight]) : null;
  box.appendChild(h('h3', null, 'Spike at ' + clockText(sp.t_s, 0.1) + (num(sp.frame) !== null ? ', frame ' + sp.frame : '') +
      ' \u00b7 ' + ms(num(sp.duration_ms)) + (sp.stage ? ' in ' + str(sp.stage) : '') + (sp.layer ? ', layer ' + str(sp.layer) : '')));
  const blame = arr(sp.blame).map(obj);
  box.appendChild(blame.length ? h('ul', { class: 'lr-blame' }, blame.map((b) => h('li', null, blameText(b))))
    : h('p', { class: 'how' }, 'No blame recorded for this spike.'));
  if (rec) {
    const grown = layerGrowth(rec);
    if (grown.length) {
      box.appendChild(h('table', { class: 'data lr-layers' },
          h('tr', null, h('th', null, 'layer'), h('th', null, 'in the spike'), h('th', null, 'median of the frames around'), h('th', null, 'grew by')),
          grown.map((g) => h('tr', null, h('td', null, g.label), h('td', { class: 'num' }, ms(g.ms)), h('td', { class: 'num' }, ms(g.base)), h('td', { class: 'num' }, ms(g.grew))))));
    }
    const shown = showFrameInTimeline(num(sp.frame));
    box.appendChild(h('p', { class: 'how' }, shown
      ? 'Its ' + arr(rec.frames).length + ' flight-recorder frames are in the timeline below, frame ' + sp.frame + ' selected.'
      : 'The timeline has no frame ' + sp.frame + '.'));
  } else {
    box.appendChild(h('p', { class: 'how' }, 'The flight recorder did not keep this spike\u2019s frames: it keeps ' + flights.length +
        ' records, the largest spikes and the first of each period, for as long as the run lasts.'));
  }
}
// Selects the frame in the timeline section and brings the section into view.
function showFrameInTimeline(frame) {
  if (!timeline || frame === null) return false;
  const idx = timeline.frameList.findIndex(([f]) => f === frame);
  if (idx < 0) return false;
  const select = $('tl-frame');
  select.value = String(idx);
  select.dispatchEvent(new Event('change'));
  $('timeline').scrollIntoView({ block: 'start' });
  return true;
}

// ---- The section ------------------------------------------------------------------------------

let longRunChart = null;
function renderLongRun() {
  const data = loadBuckets();
  if (!data) return;
  $('longrun').hidden = false;
  $('toc-longrun').hidden = false;
  const frameCount = data.count.reduce((a, v) => a + (v === v ? v : 0), 0);
  $('lr-how').textContent = 'Every frame of the run, ' + compact(frameCount) + ' frames over ' + clockText(data.n * data.width, 1) +
      ', in buckets of ' + fmt(data.width) + ' s: per stage, the band runs from the median (line) to the 99th percentile of each bucket; ' +
      'zoomed out, one pixel shows the means of its buckets\u2019 medians and 99th percentiles, and a needle up to the largest 99th percentile among them. Host steady clock, since the run started.';
  const sum = $('lr-spikes');
  if (str(spikeSummary.text)) sum.appendChild(h('p', { class: 'lr-period' }, str(spikeSummary.text)));
  else if (spikeList.length) sum.appendChild(h('p', null, spikeList.length + ' spikes, not periodic.'));
  else sum.appendChild(h('p', null, 'No spikes.'));
  const culprit = obj(spikeSummary.culprit);
  if (culprit.kind) sum.appendChild(h('p', null, 'Culprit: ' + blameText(culprit)));
  if (num(spikeSummary.dropped)) sum.appendChild(h('p', { class: 'how' }, spikeSummary.dropped + ' more spikes were counted but not listed.'));
  longRunChart = LongRunChart($('lr-canvas'), $('lr-tip'), data);
  $('lr-zoom-in').addEventListener('click', () => longRunChart.zoom(0.5));
  $('lr-zoom-out').addEventListener('click', () => longRunChart.zoom(2));
  $('lr-reset').addEventListener('click', () => longRunChart.reset());
  longRunChart.drawNow();
  const legend = $('lr-legend');
  legend.appendChild(h('span', null, h('span', { class: 'lr-mark' }, '\u25BC'), 'spike, frames kept (click)'));
  legend.appendChild(h('span', null, h('span', { class: 'lr-mark hollow' }, '\u25BD'), 'spike, blame only'));
  if (spikeSummary.periodic === true) legend.appendChild(h('span', null, h('span', { class: 'lr-mark' }, '|'), 'the period\u2019s comb: where each occurrence is expected'));
}

// #selftest: zoom (wheel, button), drag, and a click on the first spike whose frames were kept.
function selftestLongRun() {
  const c = longRunChart;
  if (!c) return { shown: false };
  const canvas = $('lr-canvas'), box = canvas.getBoundingClientRect();
  c.reset(); c.drawNow();
  const whole = c.drawn();
  const out = { shown: !$('longrun').hidden, buckets: c.data.n, rows: c.data.rows.map((r) => r.name), plot_px: c.plotWidth(),
    band_columns: whole.band_columns, spike_marks: whole.spike_marks, comb_teeth_whole: whole.comb_teeth };
  const width = () => c.view().t1 - c.view().t0;
  const at = (x) => ({ clientX: box.left + x, clientY: box.top + c.markY(), bubbles: true, cancelable: true, button: 0 });
  const w0 = width();
  canvas.dispatchEvent(new WheelEvent('wheel', Object.assign({ deltaY: -300 }, at(box.width * 0.5))));
  out.wheel_zoomed = width() < 0.9 * w0;
  const w1 = width();
  $('lr-zoom-in').click();
  out.button_zoomed = width() < 0.9 * w1;
  c.setView(0, 600); c.drawNow();
  out.zoomed_to = [c.view().t0, c.view().t1];
  out.band_columns_zoomed = c.drawn().band_columns;
  out.comb_teeth_zoomed = c.drawn().comb_teeth;
  const v0 = c.view();
  canvas.dispatchEvent(new MouseEvent('mousedown', at(box.width * 0.6)));
  window.dispatchEvent(new MouseEvent('mousemove', at(box.width * 0.6 - 200)));
  window.dispatchEvent(new MouseEvent('mouseup', at(box.width * 0.6 - 200)));
  out.drag_panned = c.view().t0 > v0.t0;
  const target = spikeList.findIndex((sp) => num(sp.flight) !== null && num(sp.t_s) >= c.view().t0 && num(sp.t_s) <= c.view().t1);
  const anyKept = target >= 0 ? target : spikeList.findIndex((sp) => num(sp.flight) !== null);
  if (anyKept >= 0) {
    const sp = spikeList[anyKept];
    c.setView(sp.t_s - 300, sp.t_s + 300); c.drawNow();
    const x = c.xOfSpike(anyKept);
    canvas.dispatchEvent(new MouseEvent('mousedown', at(x)));
    canvas.dispatchEvent(new MouseEvent('mouseup', at(x)));
    const detail = $('lr-detail');
    const sel = $('tl-frame');
    const selected = sel.selectedIndex >= 0 && timeline ? timeline.frameList[Number(sel.value)] : null;
    let spans = 0, kinds = new Set(), kernelNames = new Set();
    if (timeline && selected) {
      const v = timeline.view();
      for (const lane of timeline.lanes) for (const s2 of lane.spans) {
        if (num(s2.args.frame) === sp.frame && s2.end >= v.t0 && s2.ts <= v.t1) {
          spans++; kinds.add(s2.cat);
          if (s2.cat === 'kernel') kernelNames.add(s2.name);
        }
      }
    }
    out.click = {
      spike: anyKept, frame: sp.frame, detail_shown: !detail.hidden && detail.getAttribute('data-spike') === String(anyKept),
      detail_text: detail.textContent.slice(0, 400), timeline_frame: selected ? selected[0] : null,
      timeline_spans: spans, timeline_kinds: [...kinds].sort(), timeline_kernel_names: [...kernelNames].sort(),
    };
  }
  c.reset(); c.drawNow();
  return out;
}
