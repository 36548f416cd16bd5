// Several devices (device=0,1; issue 21): one row per device, its share of the frames, busy time,
// batch latency and NVML figures, a failed device with the frames it lost, and the imbalance
// between them and the feeder's load above the table. Each device's stages are also a process of
// the timeline ("Device 0", ...). Hidden on a run of one device (summary.json's devices is null).

function renderDevices() {
  const devices = arr(S.devices).map(obj);
  if (!devices.length) return;
  $('devices').hidden = false;
  $('toc-devices').hidden = false;
  const b = obj(S.device_balance);
  const feeder = num(b.feeder_busy_pct);
  $('devices-balance').textContent = devices.length + ' devices; imbalance ' + pct0(num(b.frame_imbalance_pct)) +
      ' in frames (1 \u2212 fewest \u00f7 most), ' + pct0(num(b.busy_imbalance_pct)) + ' in busy time' +
      (feeder === null ? '' : '; the feeder, one thread reading the source for every device, was busy ' + pct0(feeder) + ' of the run') + '.';
  const t = $('devices-table');
  const th = (text, title) => h('th', title ? { class: 'n', title } : { class: 'n' }, text);
  t.appendChild(h('thead', null, h('tr', null, h('th', null, 'Device'), th('Frames'), th('Share'), th('Batches'),
      th('Busy (s)'), th('Busy', 'busy time \u00f7 the run\u2019s wall time'),
      th('Batch p50 (ms)', 'preprocess to NMS of its batches in the measured window'), th('Batch p99 (ms)'),
      th('GPU util', 'NVML, mean over the run'), th('Memory max', 'NVML'), th('SM clock', 'NVML, median'), h('th', null, 'Status'))));
  const tb = h('tbody');
  for (const d of devices) {
    const lat = obj(d.batch_latency_ms);
    const lost = arr(d.lost_frames);
    const status = d.failed ? 'failed: ' + str(d.error) + ' (' + lost.length + ' frame' + (lost.length === 1 ? '' : 's') + ' lost)' : 'ok';
    const clock = num(d.sm_clock_mhz);
    tb.appendChild(h('tr', { class: 'device-row' + (d.failed ? ' failed' : ''), 'data-device': str(d.device) },
        h('td', null, str(d.device)), h('td', { class: 'n' }, str(d.frames)), h('td', { class: 'n' }, pct(num(d.frame_share_pct))),
        h('td', { class: 'n' }, str(d.batches)), h('td', { class: 'n' }, num(d.busy_ms) === null ? DASH : fmt(d.busy_ms / 1e3)),
        h('td', { class: 'n' }, pct(num(d.busy_pct))), h('td', { class: 'n' }, fmt(num(lat.median))), h('td', { class: 'n' }, fmt(num(lat.p99))),
        h('td', { class: 'n' }, pct(num(d.utilization_pct))), h('td', { class: 'n' }, bytes(num(d.memory_used_max_bytes))),
        h('td', { class: 'n' }, clock === null ? DASH : Math.round(clock) + ' MHz'), h('td', null, status)));
  }
  t.appendChild(tb);
}

// #selftest: the rows as the page shows them, and the timeline's device lanes.
function selftestDevices() {
  if ($('devices').hidden) return { shown: false };
  const lanes = timeline ? timeline.lanes.filter((l) => l.process.startsWith('Device ')) : [];
  return {
    shown: true,
    lanes: lanes.map((l) => ({ process: l.process, spans: l.spans.length })),
    balance: $('devices-balance').textContent,
    rows: [...document.querySelectorAll('#devices-table tr.device-row')].map((tr) => ({
      device: tr.getAttribute('data-device'), cells: [...tr.children].map((td) => td.textContent) })),
  };
}
