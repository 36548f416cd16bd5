// Device memory over time on a GPU run (issue 15.5): what NVML saw used on each device, split into
// our process and the others where NVML listed the processes, against what the model needs as
// planned (the arena, the weights and the cuDNN workspace). An out-of-memory on a shared GPU is
// read here: was it our arena growing, or another process arriving?

// summary.json's `gpu.memory` (a window) or `long.gpu_memory` (a long run): the planned needs and,
// per device, columns of points (report/gpu_memory_json.cpp).
function gpuMemoryData() {
  const lm = obj(obj(S.long).gpu_memory), gm = obj(gpu && gpu.memory);
  return arr(lm.devices).length ? lm : gm;
}

function renderGpuMemory() {
  const data = gpuMemoryData();
  const devices = arr(data.devices).map(obj).filter((d) => arr(d.t_s).length);
  if (!devices.length) return;
  const host = h('div', { id: 'gpu-memory-chart', class: 'chart' });
  $('memory').appendChild(h('h3', null, 'Device memory over time ',
      h('span', { class: 'sub' }, 'NVML: used on the device, this process and the others; each point the largest of the samples it covers; dashed, what the model needs as planned')));
  $('memory').appendChild(host);
  const series = [];
  const palette = [['used_mib', 'used', '#2f6fdf'], ['ours_mib', 'this process', '#16a34a'], ['others_mib', 'other processes', '#e4572e']];
  for (const d of devices) {
    const t = arr(d.t_s).map(num);
    for (const [key, name, color] of palette) {
      const points = [];
      arr(d[key]).map(num).forEach((v, i) => { if (v !== null && t[i] !== null) points.push([t[i], v]); });
      if (points.length) series.push({ name: (devices.length > 1 ? 'GPU ' + str(d.device) + ' ' : '') + name, color, points });
    }
  }
  const arena = num(data.arena_bytes) !== null ? data.arena_bytes : num(memory.arena_peak_bytes);
  const weights = num(data.weights_bytes) !== null ? data.weights_bytes : num(memory.weights_bytes);
  const workspace = num(data.workspace_bytes);
  const refs = [];
  if (arena !== null) refs.push({ y: mib(arena), label: 'activation arena ' + bytes(arena), color: '#7c3aed' });
  if (arena !== null && weights !== null) {
    const all = arena + weights + (workspace || 0);
    refs.push({ y: mib(all), label: 'arena + weights' + (workspace !== null ? ' + cuDNN/cuBLAS workspaces' : '') + ' ' + bytes(all), color: '#5d6778' });
  }
  lineChart(host, { series, refs, wide: true, xTitle: 'seconds since the run started', yTitle: 'MiB', xName: 's', yUnit: 'MiB', emptyText: 'No memory samples.' });
  const others = devices.flatMap((d) => arr(d.others).map(obj).map((o) => Object.assign({ device: d.device }, o)));
  if (others.length) {
    $('memory').appendChild(h('p', { class: 'how', id: 'gpu-memory-others' }, 'Other processes on the device, largest first: ' +
        others.map((o) => (str(o.comm) || 'unnamed') + ' (pid ' + o.pid + ') up to ' + bytes(num(o.max_mib) === null ? null : o.max_mib * MIB)).join(', ') + '.'));
  }
}

// #selftest: what the chart drew.
function selftestGpuMemory() {
  const host = $('gpu-memory-chart');
  if (!host) return { shown: false };
  return {
    shown: true,
    lines: host.querySelectorAll('svg path').length,
    refs: [...host.querySelectorAll('svg line.ref title')].map((t) => t.textContent),
    legend: [...host.querySelectorAll('.chart-legend > span')].map((e) => e.textContent),
    others: $('gpu-memory-others') ? $('gpu-memory-others').textContent : '',
  };
}
