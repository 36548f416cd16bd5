// Renders every section in page order; the last module, so every function above is defined.

section('top', renderHeader);
section('advice', renderAdvice);
section('longrun', renderLongRun);
section('stages', renderStages);
section('devices', renderDevices);
section('timeline', renderTimeline);
section('layers', renderLayers);
section('gpu', renderGpu);
section('memory', renderMemory);
section('memory', renderGpuMemory);
section('latency', renderLatency);
section('system', renderSystem);
section('environment', renderEnvironment);
window.ysReport = { summary: S, trace: T, timeline, longRun: longRunChart, errors };
if (location.hash === '#selftest') selftest();
