// The page's header (title, run, verdict, cards) and the advice section.

// ---- Header -----------------------------------------------------------------------------------

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

// ---- Advice -----------------------------------------------------------------------------------

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
