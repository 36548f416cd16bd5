// The live dashboard: polls live.json (session/live_status.h) once a second and redraws the page
// in place, never reloading it. It shares base.js (guards, formatting, DOM helpers) and charts.js
// (line chart, tables) with the report, so both read the same. When the run ends it stops polling,
// links the report and lists the advisor's findings from summary.json. tests/cli/
// dashboard_probe.mjs reads it in Chromium as a person would, from the rendered cards.

const POLL_MS = 1000;
let advisorShown = false;

function setText(id, text) { const e = $(id); if (e.textContent !== text) e.textContent = text; }

function clockText(seconds) {
  if (seconds === null) return DASH;
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const two = (v) => String(v).padStart(2, '0');
  return hms[0] ? hms[0] + ':' + two(hms[1]) + ':' + two(hms[2]) : hms[1] + ':' + two(hms[2]);
}

function renderHead(d) {
  setText('model-name', str(d.model) || 'YoloScope');
  setText('run-state', d.finished ? 'finished' : 'running');
  $('live-dot').classList.toggle('done', d.finished === true);
  const meta = [str(d.backend), 'YoloScope ' + str(d.version), clockText(num(d.elapsed_s)) + ' elapsed'];
  setText('run-meta', meta.filter(Boolean).join(' \u00b7 '));
  const total = num(d.frames_expected), frames = num(d.frames) || 0;
  $('progress').hidden = !total;
  if (total) $('progress-fill').style.width = Math.min(100, 100 * frames / total) + '%';
  $('report-link').hidden = !d.report;
  if (d.report) $('report-link').setAttribute('href', str(d.report));
}

function renderCards(d) {
  const cards = clear($('cards'));
  const card = (id, k, v, unit, detail) => cards.appendChild(h('div', { class: 'card', id },
      h('div', { class: 'k' }, k), h('div', { class: 'v' }, v, unit ? h('small', null, unit) : null),
      detail ? h('div', { class: 'd' }, detail) : null));
  const fps = num(d.fps), total = num(d.frames_expected), frames = num(d.frames) || 0;
  card('card-fps', 'Throughput', fps === null ? DASH : fps.toFixed(1), 'FPS',
      d.finished ? 'over the whole run' : 'over the last few seconds');
  card('card-frames', 'Frames', String(frames), total ? 'of ' + total : '',
      total ? pct0(100 * frames / total) + ' of the source' : 'source length unknown');
  card('card-eta', d.finished ? 'Finished' : 'Time left', d.finished ? clockText(num(d.elapsed_s)) : clockText(num(d.eta_s)), '',
      d.finished ? 'run time' : 'at the current rate');
  card('card-cpu', 'CPU', pct0(num(d.cpu_pct)), '', 'of one core, over the window');
  card('card-rss', 'Resident memory', bytes(num(d.rss_bytes)), '', 'RSS of the process');
  const period = num(d.spike_period_s);
  card('card-spikes', 'Spikes', String(num(d.spikes) || 0), '', period ? 'every ' + fmt(period) + ' s' : 'no period found');
}

function renderFps(d) {
  const host = clear($('fps-chart'));
  lineChart(host, {
    series: [{ name: 'images/s', color: colorOf('inference'), points: arr(d.fps_series).filter((p) => Array.isArray(p) && num(p[0]) !== null && num(p[1]) !== null) }],
    xTitle: 'seconds since the run started', yTitle: 'images/s', xName: 't', yUnit: 'images/s',
    emptyText: 'Collecting: the chart starts after two polls.', wide: true,
  });
}

// The histogram's first bucket holds everything up to 0.1 ms: a quantile inside it says only that.
function bucketMs(v) { return v !== null && v <= 0.1 ? '< 0.1 ms' : ms(v); }

function renderStages(d) {
  const rows = arr(d.stages).map(obj).filter((r) => num(r.count));
  setText('stages-how', 'p50 and p99 over the last ' + Math.round(num(d.window_s) || 0) +
      ' s (up to a minute), estimated from yoloscope_stage_seconds\u2019 buckets as Prometheus\u2019 histogram_quantile does; one figure per batch.');
  const table = clear($('stage-table'));
  if (!rows.length) { table.appendChild(h('tbody', null, h('tr', null, h('td', null, 'No batch in the window yet.')))); return; }
  dataTable(table, [
    { label: 'Stage', cell: (r) => h('td', null, swatch(colorOf(str(r.name))), ' ' + str(r.name)) },
    { label: 'p50', n: true, show: (r) => bucketMs(num(r.p50_ms)) },
    { label: 'p99', n: true, show: (r) => bucketMs(num(r.p99_ms)) },
    { label: 'Batches', n: true, show: (r) => compact(num(r.count)) },
  ], rows);
}

function renderGpus(d) {
  const gpus = arr(d.gpus).map(obj);
  $('gpu').hidden = !gpus.length;
  $('toc-gpu').hidden = !gpus.length;
  const host = clear($('gpu-cards'));
  for (const g of gpus) {
    const card = (k, v, unit, cls) => host.appendChild(h('div', { class: 'card ' + (cls || '') },
        h('div', { class: 'k' }, 'GPU ' + str(g.device) + ' \u00b7 ' + k), h('div', { class: 'v' }, v, unit ? h('small', null, unit) : null)));
    card('utilization', pct0(num(g.utilization_pct)), '');
    card('SM clock', num(g.sm_clock_mhz) === null ? DASH : Math.round(g.sm_clock_mhz), 'MHz');
    card('memory used', bytes(num(g.memory_used_bytes)), '');
    card('power', num(g.power_w) === null ? DASH : num(g.power_w).toFixed(0), 'W');
    card('throttled', g.throttled === true ? 'yes' : 'no', '', g.throttled === true ? 'warn' : '');
  }
}

function findingBox(f) {
  const sev = f.refuted === true ? 'refuted' : str(f.severity).toLowerCase() || 'info';
  const dl = h('dl');
  if (f.evidence) { dl.appendChild(h('dt', null, 'Evidence')); dl.appendChild(h('dd', null, str(f.evidence))); }
  if (f.fix) { dl.appendChild(h('dt', null, 'Fix')); dl.appendChild(h('dd', null, str(f.fix))); }
  return h('div', { class: 'finding sev-' + sev },
      h('div', { class: 'f-head' }, h('span', { class: 'sev' }, sev), h('span', { class: 'f-title' }, str(f.finding) || str(f.id))),
      dl.childNodes.length ? dl : null);
}

function renderFindings(d) {
  if (advisorShown) return;
  const body = clear($('findings-body'));
  const live = arr(d.findings).map(obj);
  setText('findings-how', 'Hints from the live figures; the advisor\u2019s findings replace them in the report once the run ends.');
  if (!live.length) body.appendChild(h('p', { class: 'no-findings' }, 'Nothing so far.'));
  for (const f of live) body.appendChild(findingBox(f));
}

// Once the report is written, its advisor's findings (summary.json, next to report.html).
async function showAdvisor() {
  try {
    const r = await fetch('summary.json', { cache: 'no-store' });
    if (!r.ok) return;
    const advice = arr(obj(await r.json()).advice).map(obj);
    const body = clear($('findings-body'));
    setText('findings-how', 'The advisor\u2019s findings for this run, from its report.');
    if (!advice.length) body.appendChild(h('p', { class: 'no-findings' }, 'No findings.'));
    for (const f of advice) body.appendChild(findingBox(f));
    advisorShown = true;
  } catch (e) { errors.push('summary.json: ' + e); }
}

function render(d) {
  for (const [name, fn] of [['head', renderHead], ['cards', renderCards], ['fps', renderFps],
                            ['stages', renderStages], ['gpu', renderGpus], ['findings', renderFindings]]) {
    try { fn(d); } catch (e) { errors.push(name + ': ' + e); }
  }
}

async function poll() {
  let done = false;
  try {
    const r = await fetch('live.json', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const d = obj(await r.json());
    render(d);
    $('footer').className = 'footer';
    setText('footer', 'Updated ' + new Date().toLocaleTimeString() + ' from live.json, once a second.');
    if (d.finished === true) {
      done = true;
      if (d.report) await showAdvisor();
      setText('footer', d.report ? 'The run has ended; its report is linked above.'
        : 'The run has ended. It wrote no report (run with profile=True for one).');
    }
  } catch (e) {
    // The run may have ended and its server gone: say so, keep the last figures, keep trying.
    setText('footer', 'No answer from the run (' + e.message + '); the figures above are the last ones received.');
    $('footer').className = 'footer stale';
  }
  if (!done) setTimeout(poll, POLL_MS);
}

poll();
