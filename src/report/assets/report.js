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
  // Sizes are binary everywhere, as on the console and in summary.json's *_mib figures:
  // KiB, MiB and GiB of 1024, 1024^2 and 1024^3 bytes. Rates stay decimal (GB/s), as device
  // peaks are quoted.
  const MIB = 1048576;
  function mib(bytes) { return bytes === null ? null : bytes / MIB; }
  function bytes(v) {
    if (v === null) return DASH;
    if (v >= 1024 * MIB) return (v / (1024 * MIB)).toFixed(2) + ' GiB';
    if (v >= MIB) return (v / MIB).toFixed(1) + ' MiB';
    if (v >= 1024) return (v / 1024).toFixed(1) + ' KiB';
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
    'conv/GEMM kernel': '#0f766e', 'elementwise kernel': '#65a30d', 'data movement kernel': '#ca8a04',
    'pooling kernel': '#dc2626', 'other kernel': '#0284c7', 'memcpy HtoD': '#ea580c',
    'memcpy DtoH': '#7c3aed', 'memcpy DtoD': '#9333ea', memset: '#8a8f98', 'GPU wait': '#b45309',
    'CUDA API': '#94a3b8',
  };
  function hashColor(name) {
    let hsh = 0;
    for (let i = 0; i < name.length; i++) hsh = (hsh * 31 + name.charCodeAt(i)) | 0;
    return 'hsl(' + ((hsh >>> 0) % 360) + ',52%,50%)';
  }
  function colorOf(name) { return COLORS[name] || hashColor(str(name)); }
  // What a span says on the timeline: an op by its type (ONNX node names are paths that a span
  // can only show the start of); the full name is in the tooltip.
  function spanLabel(sp) { return sp.cat === 'op' && str(sp.args.op) ? str(sp.args.op) : sp.name; }

  // Hundreds of distinct kernel names read best as a few kinds of work.
  function kernelKind(name) {
    const n = str(name).toLowerCase();
    if (/gemm|conv|xmma|wgrad|dgrad|fprop|cutlass|cublas/.test(n)) return 'conv/GEMM kernel';
    if (/pool/.test(n)) return 'pooling kernel';
    if (/concat|split|copy|transpose|resize|upsample|slice|gather|pad/.test(n)) return 'data movement kernel';
    if (/add|mul|sigmoid|silu|relu|act|elementwise|softmax|sub|div|bias/.test(n)) return 'elementwise kernel';
    return 'other kernel';
  }
  // What a timeline span is coloured and listed in the legend by.
  function spanKey(sp) {
    switch (sp.cat) {
      case 'layer': return str(sp.args.stage) || sp.name;
      case 'op': return str(sp.args.op) || sp.name;
      case 'kernel': return kernelKind(sp.name);
      case 'copy': return sp.name;
      case 'sync': return 'GPU wait';
      case 'api': return 'CUDA API';
      default: return sp.name;
    }
  }

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
  // null on a CPU run; {available: false, why} when a GPU run recorded nothing usable.
  const gpu = S.gpu && typeof S.gpu === 'object' && !Array.isArray(S.gpu) ? S.gpu : null;
  const gpuOk = gpu !== null && gpu.available === true;
  const latencies = arr(frames.latency_ms).map(num);
  const frameMedian = median(latencies);
  const nMeasured = num(run.frames_measured) !== null ? num(run.frames_measured) : latencies.length;
  const inferenceStage = stages.find((st) => st.name === 'inference') || null;
  // Every layer and model-stage share is of one figure: the median inference of the frames the
  // layers were timed on (summary.json's "shares"). Older files lack it: their shares are shown
  // as they were written, under the words those files used.
  const shares = obj(S.shares);
  const shareBasisMs = num(shares.inference_ms);
  const deviceLayerTimes = str(run.op_timing).startsWith('the device');
  function shareBasisText() {
    if (shareBasisMs === null) return 'Shares of inference as summary.json gives them.';
    const n = num(shares.frames);
    const sum = num(shares.layer_sum_ms);
    return 'Every share of inference on this page is of the median inference stage of the ' +
        (n !== null ? n + ' ' : '') + (deviceLayerTimes ? 'frames the GPU traced' : 'frames whose ops were timed') +
        ', ' + ms(shareBasisMs) + '. A model stage\u2019s median is the sum of its layers\u2019 medians' +
        (sum !== null ? '; all layers add up to ' + ms(sum) + ' (' + pct(100 * sum / shareBasisMs) +
          '), the rest is the ' + (deviceLayerTimes ? 'launch before and the wait after the device\u2019s work' : 'executor\u2019s own time between ops') : '') + '.';
  }
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
    const notes = arr(run.notes).map(str).filter(Boolean);
    for (const n of notes) $('notes').appendChild(h('li', null, 'Note: ' + n));
    $('notes').hidden = !notes.length;

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
          pct0(num(inferenceStage.share_pct)) + ' of the summed stage medians');
    }
    renderOverheadCard(card);
    if (gpuOk) {
      const busy = obj(gpu.busy);
      card('GPU time, median', fmt(num(gpu.layer_sum_ms)), 'ms', num(busy.busy_pct) !== null
        ? 'busy ' + pct0(busy.busy_pct) + ' of inference, launch-bound ' + pct0(num(busy.launch_bound_pct))
        : 'per frame on ' + (str(obj(gpu.device).name) || 'the device'));
    }
    const peak = num(memory.arena_peak_bytes);
    if (peak !== null) card('Activation arena', bytes(peak), '', 'planner peak, weights ' + bytes(num(memory.weights_bytes)));
  }

  // A number only when the overhead was measured, is positive and stands out of its noise;
  // otherwise the bound it is below, never a negative figure.
  function overheadView() {
    const ov = num(S.overhead_pct), noise = num(overhead.noise_pct);
    if (ov === null || overhead.measured === false) return { value: DASH, unit: '', measurable: false, text: 'not measured in this run' };
    const measurable = overhead.measurable !== undefined ? overhead.measurable === true
      : ov > 0 && !overhead.within_noise && (noise === null || ov > noise);
    if (measurable) return { value: ov.toFixed(1), unit: '%', measurable, text: noise !== null ? '\u00b1 ' + noise.toFixed(1) + ' % (95 % interval)' : '' };
    const bound = num(overhead.bound_pct) !== null ? overhead.bound_pct : Math.max(noise || 0, Math.abs(ov));
    return { value: 'not measurable', unit: '', measurable, bound, text: 'below \u00b1' + bound.toFixed(1) + ' %, the noise of this run' };
  }
  function renderOverheadCard(card) {
    const o = overheadView();
    const detail = [o.text];
    if (o.value !== DASH) {
      if (num(overhead.estimated_pct) !== null) detail.push('hook cost ' + overhead.estimated_pct.toFixed(3) + ' % of inference');
      if (num(overhead.pairs) !== null) detail.push(overhead.pairs + ' traced/untraced frame pairs');
    }
    card('Profiler overhead', o.value, o.unit, detail.filter(Boolean).join('; '),
        'overhead' + (o.measurable ? '' : ' unmeasurable') + (o.measurable && num(S.overhead_pct) > 5 ? ' high' : ''));
  }

  function verdict() {
    if (!stages.length && !layers.length) return '';
    const parts = [];
    let lead = '';
    if (frameMedian !== null) lead = 'Median frame ' + ms(frameMedian) + ' (' + (1000 * batch / frameMedian).toFixed(1) + ' FPS)';
    // The advisor's top finding leads: the advice is in its rank order, refuted ones last.
    const topFinding = arr(S.advice).map(obj).find((f) => f.refuted !== true && str(f.finding));
    if (topFinding) {
      parts.push((topFinding.role === 'input' ? 'first, the input: ' : 'top cause: ') +
          str(topFinding.finding).replace(/\.$/, '') + ' (' + str(topFinding.id) + ')');
    }
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
    if (gpuOk && num(obj(gpu.busy).busy_pct) !== null) {
      parts.push('the GPU is busy ' + pct0(gpu.busy.busy_pct) + ' of inference (launch-bound ' + pct0(num(gpu.busy.launch_bound_pct)) + ')');
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
    // Shown in the advisor's order: causes before symptoms, refuted findings last.
    for (const f of advice) {
      const sev = f.refuted === true ? 'refuted' : str(f.severity).toLowerCase() || 'info';
      const dl = h('dl');
      if (f.evidence !== undefined && f.evidence !== null) {
        dl.appendChild(h('dt', null, 'Evidence'));
        dl.appendChild(h('dd', null, typeof f.evidence === 'object' ? JSON.stringify(f.evidence) : str(f.evidence)));
      }
      if (f.fix) { dl.appendChild(h('dt', null, 'Fix')); dl.appendChild(h('dd', null, str(f.fix))); }
      body.appendChild(h('div', { class: 'finding sev-' + sev },
          h('div', { class: 'f-head' }, h('span', { class: 'sev' }, sev),
              h('span', { class: 'f-title' }, str(f.finding) || str(f.id)),
              f.expected_gain ? h('span', { class: 'gain' }, (f.refuted === true ? 'Refuted by the what-if: '
                : 'Expected gain: ') + str(f.expected_gain)) : null),
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
        '); p90 and p99 show the slow tail. Pipeline stage shares are of the sum of stage medians.';
    $('model-stages-how').textContent = shareBasisText() + ' Its p90 and p99 are the sums of its layers\u2019, an upper bound: layers seldom peak in the same frame.';
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
        h('th', { class: 'n', title: 'sum of its layers\u2019 medians' }, 'Median (ms)'),
        h('th', { class: 'n', title: 'sum of its layers\u2019 p90s' }, 'p90 (ms)'),
        h('th', { class: 'n', title: 'sum of its layers\u2019 p99s' }, 'p99 (ms)'),
        h('th', { class: 'n', title: 'median \u00f7 the inference median' }, 'Share of inference'))));
    const tb = h('tbody');
    for (const st of modelStages) {
      tb.appendChild(h('tr', { class: 'model-stage-row', 'data-stage': str(st.name) }, h('td', null, swatch(colorOf(str(st.name))), str(st.name)),
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
    let hover = null, drag = null, pending = false;
    let drawnLabels = [];
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
      labels: () => drawnLabels,
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
    { label: 'Activation (MiB)', n: true, get: (l) => mib(num(l.activation_bytes)), show: (l) => fmt(mib(num(l.activation_bytes))) },
  ];
  const layerSort = { col: 0, dir: 1 };

  function renderLayers() {
    $('layers-how').textContent = 'One row per model layer; times are ' + (deviceLayerTimes
          ? 'the device\u2019s own (CUDA events or CUPTI), medians per traced frame, as in the GPU section'
          : howMeasured()) + '. ' + shareBasisText() +
        ' GFLOPs are per frame; GFLOP/s and GB/s (bytes read and written) divide by the median. ' +
        'MiB are 2\u00b2\u2070 bytes; a layer\u2019s activation counts every output of its ops, which the arena reuses, so a ' +
        'layer can exceed the arena peak. Red numbers rank the ten slowest layers.' +
        (gpuOk && !deviceLayerTimes ? ' On this GPU run the times are host launch times; the GPU section has device times.' : '');
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
        // The model-stage table's figures, which are the sums of these rows (summed here only
        // for files from before that definition), so both sections print the same digits.
        const stage = shareBasisMs !== null ? modelStages.find((m) => m.name === name) : null;
        const sum = (xs) => { const v = xs.filter((x) => x !== null); return v.length ? v.reduce((a, x) => a + x, 0) : null; };
        const medianMs = stage ? stat(stage.ms, 'median') : sum(list.map((l) => stat(l.ms, 'median')));
        const share = stage ? num(stage.share_pct) : sum(list.map((l) => num(l.share_pct)));
        tbody.appendChild(h('tr', { class: 'group', 'data-stage': name }, h('td', { colspan: String(LAYER_COLS.length) },
            swatch(colorOf(name)), cap(name) + ' \u00b7 ' + list.length + ' layer' + (list.length === 1 ? '' : 's') +
            ' \u00b7 ' + ms(medianMs) + ' (sum of the layer medians)' + (share !== null ? ' \u00b7 ' + pct(share) + ' of inference' : ''))));
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

  // ---- GPU ----------------------------------------------------------------------------------

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
  function whole(v) { return v === null ? DASH : String(Math.round(v)); }
  function dims3(v) { return arr(v).map((x) => num(x) === null ? '?' : String(x)).join('\u00d7'); }

  function nvmlShortText() {
    const nvml = obj(gpu.nvml);
    const busy = num(obj(gpu.busy).busy_pct);
    return 'NVML read ' + pct0(num(nvml.gpu_util_mean_pct)) + ' over ' + fmt(num(nvml.window_ms) === null ? null : nvml.window_ms / 1000) +
        ' s, shorter than its averaging period (up to ' + fmt((num(nvml.averaging_period_ms) || 1000) / 1000) + ' s)' +
        (busy !== null ? '; CUPTI saw the GPU busy ' + pct0(busy) + ' of inference' : '');
  }

  function renderGpu() {
    if (!gpu) return;  // a CPU run: the section stays hidden
    $('gpu').hidden = false;
    $('toc-gpu').hidden = false;
    const body = $('gpu-body');
    if (!gpuOk) {
      body.replaceWith(empty('No GPU figures for this run: ' + (str(gpu.why) || 'the GPU profiler recorded nothing') + '.'));
      return;
    }
    const dev = obj(gpu.device);
    const kernels = gpu.kernels && typeof gpu.kernels === 'object' ? gpu.kernels : null;
    const busy = obj(gpu.busy);
    const copies = gpu.copies && typeof gpu.copies === 'object' ? gpu.copies : null;
    const nvml = obj(gpu.nvml);
    const detailed = str(gpu.mode) === 'detailed';
    $('gpu-how').textContent = (detailed
      ? 'CUPTI activity records of every kernel, copy and wait in the traced frames, attributed to layers through the executor\u2019s steps'
      : 'CUDA events around each layer on the device (profile_detail=detailed adds kernels, copies and waits through CUPTI)') +
      '; ' + (num(gpu.frames) !== null ? gpu.frames + ' traced frame' + (gpu.frames === 1 ? '' : 's') : 'traced frames') +
      (gpu.cuda_graph ? ', replayed from a CUDA Graph' : '') + '. Device times are medians per traced frame.';

    const cards = $('gpu-cards');
    const card = (k, v, d) => cards.appendChild(h('div', { class: 'card' }, h('div', { class: 'k' }, k),
        h('div', { class: 'v' }, v), d ? h('div', { class: 'd' }, d) : null));
    card('Device', str(dev.name) || 'GPU ' + str(dev.id), [dev.compute_capability ? 'sm ' + str(dev.compute_capability) : '',
      num(dev.sm_count) !== null ? dev.sm_count + ' SMs' : '', num(dev.memory_bytes) ? bytes(dev.memory_bytes) : '']
      .filter(Boolean).join(' \u00b7 '));
    card('Device time per frame', ms(num(gpu.layer_sum_ms)), num(gpu.layer_sum_vs_inference_pct) !== null
      ? pct(gpu.layer_sum_vs_inference_pct) + ' of inference (' + ms(num(gpu.inference_ms)) + ')' : null);
    if (kernels) {
      card('Busy', pct(num(busy.busy_pct)), 'of inference; idle ' + ms(num(busy.idle_ms_per_frame)) + ' per frame');
      card('Launch-bound', pct(num(busy.launch_bound_pct)), fmt(num(busy.gaps_per_frame)) + ' gaps per frame, ' +
          ms(num(busy.gap_ms_per_frame)) + ' in all');
      const kpf = stat(kernels.per_frame, 'median');
      card('Kernels per frame', kpf === null ? DASH : String(Math.round(kpf)), num(kernels.backend_per_run) !== null
        ? (kernels.counts_match ? 'as the backend launched' : 'backend launched ' + kernels.backend_per_run) : null);
      card('Copies', ms(num(copies && copies.ms_per_frame)), 'per frame; host waits ' + ms(num(gpu.host_wait_ms_per_frame)));
    }
    if (nvml.available) {
      const throttled = num(nvml.throttled_pct) ? pct(nvml.throttled_pct) + ' throttled (' + str(nvml.throttle_reasons) + ')' : 'never throttled';
      if (nvml.short_window === true) {
        // NVML averages over up to a second: over a shorter window its utilization is mostly
        // about what came before. CUPTI's busy time, where recorded, is this window's.
        card('NVML utilization', 'not this window\u2019s', nvmlShortText() + '; ' + throttled);
      } else {
        card('Utilization', pct0(num(nvml.gpu_util_mean_pct)), 'mean of NVML samples; ' + throttled);
      }
    }
    const missing = $('gpu-missing');
    for (const [part, why] of Object.entries(obj(gpu.not_available))) {
      missing.appendChild(h('p', { class: 'unavailable' }, h('b', null, (part === 'nvml' ? 'NVML' : cap(part)) + ' not available: '), str(why)));
    }

    const top = kernels ? arr(kernels.top).map(obj) : [];
    const maxShare = maxOf(top.map((k) => num(k.share_pct) || 0), 1);
    if (!top.length) $('gpu-kernel-table').replaceWith(empty(kernels ? 'No kernels recorded.' : 'Per-kernel records need profile_detail=detailed.'));
    else {
      dataTable($('gpu-kernel-table'), [
        { label: '#', n: true, show: (k) => String(top.indexOf(k) + 1) },
        { label: 'Kernel', cell: (k) => h('td', { class: 'kernel-name', title: str(k.name) }, str(k.name)) },
        { label: 'Layer', show: (k) => str(k.layer_label) || DASH },
        { label: 'Per frame', n: true, title: 'launches per traced frame', show: (k) => fmt(num(k.per_frame)) },
        { label: 'Total (ms)', n: true, show: (k) => fmt(num(k.total_ms)) },
        { label: 'Share of kernel time', cell: (k) => shareCell(num(k.share_pct), maxShare) },
        { label: 'Median (\u00b5s)', n: true, show: (k) => fmt(stat(k.us, 'median')) },
        { label: 'p90 (\u00b5s)', n: true, show: (k) => fmt(stat(k.us, 'p90')) },
        { label: 'Grid', show: (k) => dims3(k.grid) },
        { label: 'Block', show: (k) => dims3(k.block) },
        { label: 'Regs', n: true, title: 'registers per thread', show: (k) => num(k.registers) === null ? DASH : String(k.registers) },
        { label: 'Shared', n: true, title: 'shared memory per block', show: (k) => bytes(num(k.shared_bytes)) },
      ], top, 'kernel-row');
    }

    const gl = arr(gpu.layers).map(obj);
    if (!gl.length) $('gpu-layer-table').replaceWith(empty('No per-layer device times.'));
    else {
      const maxLayer = maxOf(gl.map((l) => num(l.share_pct) || 0), 1);
      dataTable($('gpu-layer-table'), [
        { label: 'Layer', cell: (l) => h('td', null, swatch(colorOf(str(l.stage))), str(l.label) || str(l.id)) },
        { label: 'Type', show: (l) => str(l.type) },
        { label: 'Median (ms)', n: true, show: (l) => fmt(stat(l.ms, 'median')) },
        { label: 'p90 (ms)', n: true, show: (l) => fmt(stat(l.ms, 'p90')) },
        { label: 'Share of device time', cell: (l) => shareCell(num(l.share_pct), maxLayer) },
        { label: 'Kernels / frame', n: true, show: (l) => kernels ? fmt(num(l.kernels_per_frame)) : DASH },
        { label: 'TFLOP/s', n: true, show: (l) => fmt(num(l.tflops)) },
        // Against the peak itself, so a bar's length reads as how far from the hardware's limit.
        { label: '% of peak compute', cell: (l) => shareCell(num(l.pct_peak_compute), 100, 'peak') },
        { label: 'GB/s', n: true, show: (l) => fmt(num(l.gb_per_s)) },
        { label: '% of peak bandwidth', cell: (l) => shareCell(num(l.pct_peak_bandwidth), 100, 'peak') },
      ], gl, 'gpu-layer-row');
    }
    $('gpu-peaks').textContent = 'Peaks of this device: ' + fmt(num(dev.peak_fp32_tflops)) + ' TFLOP/s FP32' +
        (num(dev.peak_fp16_tflops) ? ', ' + fmt(dev.peak_fp16_tflops) + ' TFLOP/s FP16 on tensor cores' : '') +
        ', ' + whole(num(dev.peak_bandwidth_gbs)) + ' GB/s memory, at ' + whole(num(dev.sm_clock_mhz)) + ' MHz.';

    const byDir = copies ? arr(copies.by_direction).map(obj) : [];
    if (!byDir.length) $('gpu-copy-table').replaceWith(empty(copies ? 'No copies in the traced frames.' : 'Copies are recorded with profile_detail=detailed.'));
    else {
      dataTable($('gpu-copy-table'), [
        { label: 'Direction', cell: (c) => h('td', null, swatch(colorOf(str(c.direction) === 'memset' ? 'memset' : 'memcpy ' + str(c.direction))), str(c.direction)) },
        { label: 'Host memory', show: (c) => str(c.memory) },
        { label: 'Count', n: true, show: (c) => num(c.count) === null ? DASH : String(c.count) },
        { label: 'MiB / frame', n: true, show: (c) => fmt(mib(num(c.bytes_per_frame))) },
        { label: 'ms / frame', n: true, show: (c) => fmt(num(c.ms_per_frame)) },
        { label: 'GB/s', n: true, show: (c) => fmt(num(c.gb_per_s)) },
      ], byDir, 'copy-row');
      if (num(copies.pageable_bytes_per_frame)) {
        $('gpu-copy-table').after(h('p', { class: 'how' }, bytes(copies.pageable_bytes_per_frame) +
            ' per frame go through pageable host memory, which the driver stages through a pinned buffer.'));
      }
    }
    const hist = kernels ? arr(kernels.size_histogram).map(obj) : [];
    barChart($('gpu-hist-chart'), {
      labels: hist.map((b) => str(b.bucket)), values: hist.map((b) => num(b.per_frame)), color: '#0f766e',
      name: 'kernels per frame by duration', titles: hist.map((b) => str(b.bucket) + ': ' + fmt(num(b.per_frame)) + ' kernels per frame'),
      xTitle: 'kernel duration', yTitle: 'kernels per frame',
      emptyText: kernels ? 'No kernel durations.' : 'Kernel durations are recorded with profile_detail=detailed.',
    });

    const counters = $('gpu-counters');
    const series = arr(nvml.series).map(obj);
    if (!nvml.available || !series.length) {
      $('gpu-nvml-sub').textContent = '';
      counters.replaceWith(empty('No NVML samples: ' + (str(nvml.why) || 'NVML was not sampled') + '.'));
      return;
    }
    $('gpu-nvml-sub').textContent = 'NVML samples over the run' + (nvml.short_window === true ? ' (' + nvmlShortText() + ')' : '') + (series[0].samples > series[0].points
      ? ', ' + series[0].samples + ' samples shown as ' + series[0].points + ' means' : '') +
      (str(nvml.throttle_reasons) ? '; held down by ' + nvml.throttle_reasons + ' in ' + pct(num(nvml.throttled_pct)) + ' of samples' : '');
    const METRICS = [
      ['gpu_util_pct', nvml.short_window === true ? 'Utilization, NVML (window too short: see above)' : 'Utilization', '%', '#2f6fdf', num(nvml.gpu_util_mean_pct) !== null ? { y: nvml.gpu_util_mean_pct, label: 'mean ' + pct0(nvml.gpu_util_mean_pct) } : null],
      ['mem_used_mib', 'Memory used', 'MiB', '#8b5cf6', null, true],
      ['sm_clock_mhz', 'SM clock', 'MHz', '#0e9aa7', num(dev.sm_clock_mhz) ? { y: dev.sm_clock_mhz, label: 'boost ' + whole(dev.sm_clock_mhz) + ' MHz' } : null, true],
      ['temperature_c', 'Temperature', '\u00b0C', '#e4572e', null, true],
      ['power_w', 'Power', 'W', '#d98b0b', num(nvml.power_limit_w) ? { y: nvml.power_limit_w, label: 'limit ' + whole(nvml.power_limit_w) + ' W' } : null],
    ];
    for (const [key, title, unit, color, ref, tight] of METRICS) {
      const box = h('div', { class: 'chart gpu-counter', 'data-metric': key }, h('h4', null, title + ' (' + unit + ')'));
      counters.appendChild(box);
      const sers = series.map((se, i) => {
        const t = arr(se.t_ms);
        return { name: (series.length > 1 ? 'GPU ' + str(se.device) + ' ' : '') + title, color: i ? hashColor(key + i) : color,
          points: arr(se[key]).map((v, j) => [num(t[j]) === null ? null : t[j] / 1000, num(v)]).filter((p) => p[0] !== null && p[1] !== null) };
      });
      lineChart(box, {
        series: sers, refs: ref ? [Object.assign({ color: '#5d6778' }, ref)] : [],
        xTitle: 'time since the run started (s)', yTitle: unit, xName: 't (s)', yUnit: unit, small: true, tight,
        emptyText: 'NVML gave no ' + title.toLowerCase() + ' readings.',
      });
    }
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
      labels, values: layers.map((l) => mib(num(l.activation_bytes))), color: '#7aa5ec', name: 'Activation of the layer (MiB)',
      line: { name: 'Arena live after the layer (MiB)', color: '#e0457b', values: layers.map((l) => mib(num(l.live_bytes_after))) },
      titles: layers.map((l) => (str(l.label) || str(l.id)) + ': activation ' + bytes(num(l.activation_bytes)) +
          ', live after ' + bytes(num(l.live_bytes_after))),
      xTitle: 'layer (module index, execution order)', yTitle: 'MiB', emptyText: 'No per-layer memory in this profile.', wide: true,
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
      series: [{ name: 'RSS (MiB)', color: '#8b5cf6', points: rss.map((p) => [p[0] / 1000, p[1] / MIB]) }],
      xTitle: 'time since the run started (s)', yTitle: 'RSS (MiB)', xName: 't (s)', yUnit: 'MiB',
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
        ' \u00b7 durations in milliseconds on the host steady clock; sizes in KiB, MiB, GiB (1024, 1024\u00b2, 1024\u00b3 bytes); rates in GB/s (10\u2079 bytes per second).';
  }

  // ---- Self-test (#selftest): the tests' window into the page -------------------------------

  // The GPU lanes of the timeline (processes named "GPU ...") and what the GPU section drew.
  function selftestGpu() {
    const lanes = timeline ? timeline.lanes.filter((l) => l.process.startsWith('GPU')) : [];
    let kernels = 0, nested = 0;
    for (const lane of lanes) {
      for (const sp of lane.spans) {
        if (sp.cat !== 'kernel') continue;
        kernels++;
        const above = lane.rows[sp.depth - 1] || [];
        if (above.some((l) => l.cat === 'layer' && l.ts <= sp.ts + 1e-3 && l.end >= sp.end - 1e-3 &&
            str(l.args.layer) === str(sp.args.layer))) nested++;
      }
    }
    const svgs = [...document.querySelectorAll('#gpu-counters .gpu-counter')];
    return {
      visible: !$('gpu').hidden && !$('toc-gpu').hidden,
      processes: [...new Set(lanes.map((l) => l.process))],
      lanes: lanes.map((l) => l.label),
      kernels, kernels_nested: nested,
      layer_spans: lanes.reduce((n, l) => n + l.spans.filter((sp) => sp.cat === 'layer').length, 0),
      kernel_rows: document.querySelectorAll('#gpu-kernel-table tr.kernel-row').length,
      layer_rows: document.querySelectorAll('#gpu-layer-table tr.gpu-layer-row').length,
      copy_rows: document.querySelectorAll('#gpu-copy-table tr.copy-row').length,
      counter_charts: svgs.map((c) => c.getAttribute('data-metric')),
      counter_lines: svgs.filter((c) => c.querySelector('svg path')).length,
      unavailable: [...document.querySelectorAll('#gpu-missing .unavailable')].map((p) => p.textContent),
      cards: document.querySelectorAll('#gpu-cards .card').length,
    };
  }

  // The numbers as the page shows them, read back from the DOM, so the tests can hold the
  // sections to each other (a share in the verdict, a group header, the tables).
  function selftestNumbers() {
    const numIn = (text) => { const m = /-?\d+(\.\d+)?(e[-+]?\d+)?/i.exec(text || ''); return m ? parseFloat(m[0]) : null; };
    const cells = (tr) => [...tr.children].map((td) => td.textContent);
    const out = { verdict: $('verdict').textContent, notes: [...document.querySelectorAll('#notes li')].map((li) => li.textContent) };
    out.model_stages = [...document.querySelectorAll('#model-stage-table tr.model-stage-row')].map((tr) => {
      const c = cells(tr);
      return { name: c[0], median_ms: numIn(c[2]), share_pct: numIn(c[5]) };
    });
    out.model_stages_how = $('model-stages-how') ? $('model-stages-how').textContent : '';
    out.layers_how = $('layers-how').textContent;
    out.groups = [...document.querySelectorAll('#layer-table tr.group')].map((tr) => {
      const t = tr.textContent;
      const m = /\u00b7 ([\d.]+(?:e[-+]?\d+)?) ms/i.exec(t), sh = /([\d.]+) % of inference/.exec(t);
      return { name: tr.getAttribute('data-stage'), text: t, median_ms: m ? parseFloat(m[1]) : null, share_pct: sh ? parseFloat(sh[1]) : null };
    });
    out.layers = [...document.querySelectorAll('#layer-table tr.layer-row')].map((tr) => {
      const c = cells(tr);
      return { id: tr.getAttribute('data-layer-id'), label: c[0], stage: c[2], median_ms: numIn(c[4]), share_pct: numIn(c[6]) };
    });
    out.cards = [...document.querySelectorAll('#cards .card')].map((c) => ({
      k: c.querySelector('.k').textContent, v: c.querySelector('.v').textContent,
      d: c.querySelector('.d') ? c.querySelector('.d').textContent : '', cls: c.className }));
    out.gpu_cards = [...document.querySelectorAll('#gpu-cards .card')].map((c) => ({
      k: c.querySelector('.k').textContent, v: c.querySelector('.v').textContent,
      d: c.querySelector('.d') ? c.querySelector('.d').textContent : '' }));
    out.gpu_nvml_sub = $('gpu-nvml-sub') ? $('gpu-nvml-sub').textContent : '';
    // Text boxes of each chart in its own units; a label over the data or outside the picture
    // is a defect.
    out.charts = [...document.querySelectorAll('.chart svg')].map((svg) => {
      const vb = svg.viewBox.baseVal;
      const box = (e) => { const b = e.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
      const marks = [...svg.querySelectorAll('circle, rect')].map(box);
      const texts = [...svg.querySelectorAll('text')].map((t) => Object.assign(box(t), { text: t.textContent, xtick: t.classList.contains('xtick'), title: t.classList.contains('t') }));
      const hit = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      return {
        id: svg.parentNode.id || svg.parentNode.getAttribute('data-metric') || '',
        width: vb.width, height: vb.height,
        xticks: texts.filter((t) => t.xtick),
        texts_over_marks: texts.filter((t) => marks.some((m) => hit(t, m))).map((t) => t.text),
        texts_in_plot: texts.filter((t) => !t.title && hit(t, { x: M.l + 1, y: M.t + 1, w: vb.width - M.l - M.r - 2, h: vb.height - M.t - M.b - 2 }))
            .map((t) => t.text),
      };
    });
    out.frame_selected = $('tl-frame').selectedIndex >= 0 && $('tl-frame').options.length
      ? $('tl-frame').options[$('tl-frame').selectedIndex].textContent : '';
    return out;
  }

  function selftest() {
    const out = { errors, layers_in_data: layers.length };
    try {
      out.numbers = selftestNumbers();
    } catch (e) {
      errors.push('selftest numbers: ' + (e && e.stack ? e.stack : e));
    }
    out.layer_rows = document.querySelectorAll('#layer-table tr.layer-row').length;
    out.sections = ['advice', 'stages', 'timeline', 'layers', 'gpu', 'memory', 'latency', 'system', 'environment']
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
      out.gpu = gpu ? selftestGpu() : null;
      if (timeline && timeline.hasData) {
        // Zoomed onto the longest op, so that each lane has room for some of its labels.
        let longest = null;
        for (const lane of timeline.lanes) for (const sp of lane.spans) if (sp.cat === 'op' && (!longest || sp.dur > longest.dur)) longest = sp;
        if (longest) timeline.setHome(longest.ts - longest.dur, longest.end + longest.dur);
        timeline.drawNow();
        out.numbers.timeline_labels = timeline.labels().slice(0, 400);
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
  section('gpu', renderGpu);
  section('memory', renderMemory);
  section('latency', renderLatency);
  section('system', renderSystem);
  section('environment', renderEnvironment);
  window.ysReport = { summary: S, trace: T, timeline, errors };
  if (location.hash === '#selftest') selftest();
})();
