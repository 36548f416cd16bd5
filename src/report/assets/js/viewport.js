// Zoom and pan over a time axis, shared by the timeline and the whole-run chart: the window
// [t0, t1] that a chart draws on its canvas right of a gutter, changed by the wheel (zoom about the
// pointer), a drag (pan) and the chart's buttons. A press that moves less than 3 px is a click,
// not a pan, so a chart can open what is under it. The chart keeps the window itself and says how
// to bound it (view, setView), how to draw (redraw) and what a hover, a pan and a click mean.
function Viewport(canvas, opts) {
  const plotW = () => Math.max(10, (canvas.clientWidth || 1000) - opts.gutter - 10);
  const xOf = (t) => { const [t0, t1] = opts.view(); return opts.gutter + (t - t0) / (t1 - t0) * plotW(); };
  const tOf = (x) => { const [t0, t1] = opts.view(); return t0 + (x - opts.gutter) / plotW() * (t1 - t0); };
  const localXY = (ev) => { const r = canvas.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
  let drag = null;

  function zoom(factor, center) {
    const [t0, t1] = opts.view();
    const c = center === undefined ? (t0 + t1) / 2 : center;
    opts.setView(c - (c - t0) * factor, c + (t1 - c) * factor);
    opts.redraw();
  }
  function pan(px) {
    const [t0, t1] = opts.view();
    const dt = px / plotW() * (t1 - t0);
    opts.setView(t0 + dt, t1 + dt);
    opts.redraw();
  }

  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [x] = localXY(ev);
    const dy = ev.deltaMode === 1 ? ev.deltaY * 30 : ev.deltaY;
    zoom(Math.exp(Math.max(-300, Math.min(300, dy)) * 0.002), x > opts.gutter ? tOf(x) : undefined);
  }, { passive: false });
  canvas.addEventListener('mousedown', (ev) => {
    if (ev.button !== 0) return;
    const [x] = localXY(ev);
    const [t0, t1] = opts.view();
    drag = { x, t0, t1, moved: false };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', (ev) => {
    const [x, y] = localXY(ev);
    if (drag) {
      if (Math.abs(x - drag.x) > 3) drag.moved = true;
      if (!drag.moved) return;
      const dt = (x - drag.x) / plotW() * (drag.t1 - drag.t0);
      opts.setView(drag.t0 - dt, drag.t1 - dt);
      canvas.classList.add('dragging');
      opts.onPan();
      opts.redraw();
    } else if (ev.target === canvas) {
      opts.onHover(x, y);
    }
  });
  window.addEventListener('mouseup', (ev) => {
    if (!drag) return;
    const click = !drag.moved;
    drag = null;
    canvas.classList.remove('dragging');
    if (click && ev.target === canvas && opts.onClick) opts.onClick(...localXY(ev));
  });
  canvas.addEventListener('mouseleave', () => { if (!drag) opts.onLeave(); });
  window.addEventListener('resize', opts.redraw);

  return { plotW, xOf, tOf, localXY, zoom, pan };
}
