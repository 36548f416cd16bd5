// #selftest: the page writes what it drew as JSON into <pre id="selftest">, for the browser
// tests in tests/report/html_report_test.cpp.

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
  out.gpu_parts = [...document.querySelectorAll('#gpu-parts-table tr.gpu-part-row')].map((tr) => {
    const c = cells(tr);
    return { name: c[0], mean_ms: numIn(c[1]), share_pct: numIn(c[2]), median_ms: numIn(c[3]) };
  });
  out.gpu_parts_how = $('gpu-parts-how') ? $('gpu-parts-how').textContent : '';
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
  out.sections = ['advice', 'longrun', 'stages', 'devices', 'timeline', 'layers', 'gpu', 'memory', 'latency', 'system', 'environment']
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
    out.longrun = selftestLongRun();
    out.gpu_memory = selftestGpuMemory();
    out.devices = selftestDevices();
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
