// The two embedded JSON blocks, the figures several sections derive from them, and section(),
// which renders one section so that its failure blanks only that section.

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
    // A layer never timed (a profile of several devices) is no slowest layer.
    if (v !== null && v > 0 && (best === null || v > stat(best.ms, 'median'))) best = l;
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
