// The stage breakdown, layer table, memory, latency, CPU and environment sections.

// ---- Stage breakdown --------------------------------------------------------------------------

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

// ---- Layer table ------------------------------------------------------------------------------

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

// ---- Memory, latency, CPU ---------------------------------------------------------------------

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

// ---- Environment and footer -------------------------------------------------------------------

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
