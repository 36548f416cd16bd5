// YoloScope report page. Plain DOM, SVG and canvas, no libraries: the page must open offline
// from file:// years from now. Data comes from the two JSON blocks the C++ writer embeds
// (docs/PROFILE_SCHEMA.md); any field may be missing, so every read goes through the guards below
// and every section renders on its own, so one bad field blanks one section, not the page.
// The page's script is the modules of this folder in the order of their <script> tags in
// ../report.html, joined by src/report/CMakeLists.txt into one strict-mode function: they share
// one scope, and a module may use what an earlier one declares. This one holds the guards,
// formatting, DOM and colour helpers every other module uses, and the page's error list.

const errors = [];
window.addEventListener('error', (e) => errors.push(String(e.message || e)));

// ---- Guards and formatting --------------------------------------------------------------------

function obj(x) { return x && typeof x === 'object' && !Array.isArray(x) ? x : {}; }
function arr(x) { return Array.isArray(x) ? x : []; }
function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
function str(x) { return x === null || x === undefined ? '' : String(x); }
function stat(o, key) { return num(obj(o)[key]); }

function readJson(id) {
  const node = document.getElementById(id);
  if (!node) return null;
  try { return JSON.parse(node.textContent); } catch (e) { return null; }
}

const DASH = '\u2014';
function fmt(v) {
  if (v === null) return DASH;
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.001) return v.toFixed(3);
  return v.toExponential(1);
}
function ms(v) { return v === null ? DASH : fmt(v) + ' ms'; }
function pct(v) { return v === null ? DASH : v.toFixed(1) + ' %'; }
function pct0(v) { return v === null ? DASH : Math.round(v) + ' %'; }
// Sizes are binary everywhere, as on the console and in summary.json's *_mib figures:
// KiB, MiB and GiB of 1024, 1024^2 and 1024^3 bytes. Rates stay decimal (GB/s), as device
// peaks are quoted.
const MIB = 1048576;
function mib(bytes) { return bytes === null ? null : bytes / MIB; }
function bytes(v) {
  if (v === null) return DASH;
  if (v >= 1024 * MIB) return (v / (1024 * MIB)).toFixed(2) + ' GiB';
  if (v >= MIB) return (v / MIB).toFixed(1) + ' MiB';
  if (v >= 1024) return (v / 1024).toFixed(1) + ' KiB';
  return v + ' B';
}
function compact(v) {
  if (v === null) return DASH;
  if (Math.abs(v) >= 1e9) return (v / 1e9).toFixed(2) + ' G';
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + ' M';
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + ' k';
  return String(v);
}
function shape(s) { return Array.isArray(s) ? s.join('\u00d7') : str(s); }
function median(values) {
  const v = values.filter((x) => num(x) !== null).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
// Math.min(...xs) overflows the call stack on long series; these do not.
function minOf(xs, start) { let m = start; for (const x of xs) if (x < m) m = x; return m; }
function maxOf(xs, start) { let m = start; for (const x of xs) if (x > m) m = x; return m; }
function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

// ---- DOM helpers (textContent only: names in the data are never parsed as HTML) ---------------

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function $(id) { return document.getElementById(id); }
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
function empty(text) { return h('p', { class: 'empty' }, text); }
function swatch(color) { return h('span', { class: 'swatch', style: 'background:' + color }); }

const SVGNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, parent, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// ---- Colours ----------------------------------------------------------------------------------

const COLORS = {
  read: '#64748b', preprocess: '#0e9aa7', inference: '#2f6fdf', box_decode: '#d98b0b',
  nms: '#e4572e', output: '#16a34a', backbone: '#4f46e5', neck: '#a855f7', head: '#e0457b',
  Conv: '#1f9e89', Sigmoid: '#9ccc3a', Mul: '#5fb85a', Add: '#35b779', Concat: '#e0a21b',
  Split: '#c9a227', Resize: '#f08a5d', MaxPool: '#d64545', Reshape: '#8a8f98',
  Transpose: '#7a7f8a', Softmax: '#c2548f', Slice: '#9b8a6b', Sub: '#5aa469', Div: '#6d8fd8',
  'conv/GEMM kernel': '#0f766e', 'elementwise kernel': '#65a30d', 'data movement kernel': '#ca8a04',
  'pooling kernel': '#dc2626', 'other kernel': '#0284c7', 'memcpy HtoD': '#ea580c',
  'memcpy DtoH': '#7c3aed', 'memcpy DtoD': '#9333ea', memset: '#8a8f98', 'GPU wait': '#b45309',
  'CUDA API': '#94a3b8',
};
function hashColor(name) {
  let hsh = 0;
  for (let i = 0; i < name.length; i++) hsh = (hsh * 31 + name.charCodeAt(i)) | 0;
  return 'hsl(' + ((hsh >>> 0) % 360) + ',52%,50%)';
}
function colorOf(name) { return COLORS[name] || hashColor(str(name)); }
// What a span says on the timeline: an op by its type (ONNX node names are paths that a span
// can only show the start of); the full name is in the tooltip.
function spanLabel(sp) { return sp.cat === 'op' && str(sp.args.op) ? str(sp.args.op) : sp.name; }

// Hundreds of distinct kernel names read best as a few kinds of work.
function kernelKind(name) {
  const n = str(name).toLowerCase();
  if (/gemm|conv|xmma|wgrad|dgrad|fprop|cutlass|cublas/.test(n)) return 'conv/GEMM kernel';
  if (/pool/.test(n)) return 'pooling kernel';
  if (/concat|split|copy|transpose|resize|upsample|slice|gather|pad/.test(n)) return 'data movement kernel';
  if (/add|mul|sigmoid|silu|relu|act|elementwise|softmax|sub|div|bias/.test(n)) return 'elementwise kernel';
  return 'other kernel';
}
// What a timeline span is coloured and listed in the legend by.
function spanKey(sp) {
  switch (sp.cat) {
    case 'layer': return str(sp.args.stage) || sp.name;
    case 'op': return str(sp.args.op) || sp.name;
    case 'kernel': return kernelKind(sp.name);
    case 'copy': return sp.name;
    case 'sync': return 'GPU wait';
    case 'api': return 'CUDA API';
    default: return sp.name;
  }
}
