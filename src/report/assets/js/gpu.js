// The GPU section (shown on a GPU run only).

function whole(v) { return v === null ? DASH : String(Math.round(v)); }
function dims3(v) { return arr(v).map((x) => num(x) === null ? '?' : String(x)).join('\u00d7'); }

function nvmlShortText() {
  const nvml = obj(gpu.nvml);
  const busy = num(obj(gpu.busy).busy_pct);
  return 'NVML read ' + pct0(num(nvml.gpu_util_mean_pct)) + ' over ' + fmt(num(nvml.window_ms) === null ? null : nvml.window_ms / 1000) +
      ' s, shorter than its averaging period (up to ' + fmt((num(nvml.averaging_period_ms) || 1000) / 1000) + ' s)' +
      (busy !== null ? '; CUPTI saw the GPU busy ' + pct0(busy) + ' of inference' : '');
}

// The inference stage cut into named parts (detailed mode). Means, because they add up as each
// frame's parts do; the median inference is stated beside the mean they are compared with.
function renderGpuParts() {
  const p = gpu.inference_parts && typeof gpu.inference_parts === 'object' ? gpu.inference_parts : null;
  const parts = p ? arr(p.parts).map(obj) : [];
  if (!parts.length) { $('gpu-parts').hidden = true; return; }
  const inf = obj(p.inference_ms);
  $('gpu-parts-how').textContent = 'Over ' + p.frames + ' traced frame' + (p.frames === 1 ? '' : 's') + ': ' +
    ms(num(p.sum_ms)) + ' in all, ' + pct(num(p.coverage_pct)) + ' of the mean inference ' + ms(num(inf.mean)) +
    ' (median ' + ms(num(inf.median)) + '; frame by frame ' + pct(num(p.frame_coverage_min_pct)) + ' to ' +
    pct(num(p.frame_coverage_max_pct)) + '). The layers add up to ' + ms(num(p.layers_per_frame_mean_ms)) +
    ' per frame on average; their medians, in the layer table, to ' + ms(num(gpu.layer_sum_ms)) +
    ': what falls in a different layer each frame, such as the launch wait, no layer\u2019s median keeps.';
  const maxShare = maxOf(parts.map((x) => num(x.share_pct) || 0), 1);
  dataTable($('gpu-parts-table'), [
    { label: 'Part', show: (x) => str(x.name).replace(/_/g, ' ') },
    { label: 'Mean (ms)', n: true, show: (x) => fmt(stat(x.ms, 'mean')) },
    { label: 'Share of inference', cell: (x) => shareCell(num(x.share_pct), maxShare) },
    { label: 'Median (ms)', n: true, show: (x) => fmt(stat(x.ms, 'median')) },
    { label: 'p90 (ms)', n: true, show: (x) => fmt(stat(x.ms, 'p90')) },
    { label: 'What it is', show: (x) => str(x.what) },
  ], parts, 'gpu-part-row');
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

  renderGpuParts();

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
