#!/usr/bin/env node
// ONNX Runtime (CPU) latency for one model, as the reference our CPU backend is measured against.
//
//   node bench/ort_bench.js model=PATH [threads=2] [warmup=5] [iters=30] [input=PATH.npy]
//
// The input is the letterboxed messi5 tensor from ../shared/reference/ort/messi5_input_u8.npy
// divided by 255 (uint8 NCHW), or a fixed pseudo-random tensor of the model's input shape when
// that file is absent. Prints one JSON line: median and p90 of `iters` timed session.run() calls
// after `warmup` untimed ones. onnxruntime-node comes from .bench/node_modules (bench/run_bench.sh
// installs it), ORT_NODE_MODULE, or the usual Node resolution.
'use strict';

const fs = require('fs');
const path = require('path');
const os = require('os');

function loadOrt() {
  const candidates = [
    process.env.ORT_NODE_MODULE,
    path.join(__dirname, '..', '.bench', 'node_modules', 'onnxruntime-node'),
    'onnxruntime-node',
  ].filter(Boolean);
  for (const c of candidates) {
    try {
      return { ort: require(c), from: c };
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  console.error('onnxruntime-node not found: run bench/run_bench.sh (installs it into .bench/) or set ORT_NODE_MODULE');
  process.exit(2);
}

function parseArgs(argv) {
  const repo = path.join(__dirname, '..');
  const shared = process.env.YOLOSCOPE_TESTDATA || path.join(repo, '..', 'shared');
  const args = {
    model: path.join(shared, 'models', 'yolov8n-coco.onnx'),
    threads: 2,
    warmup: 5,
    iters: 30,
    input: path.join(shared, 'reference', 'ort', 'messi5_input_u8.npy'),
  };
  for (const a of argv) {
    const eq = a.indexOf('=');
    if (eq < 0 || !(a.slice(0, eq) in args)) {
      console.error(`unknown argument '${a}': expected model= threads= warmup= iters= input=`);
      process.exit(2);
    }
    const k = a.slice(0, eq);
    const v = a.slice(eq + 1);
    args[k] = typeof args[k] === 'number' ? Number(v) : v;
    if (typeof args[k] === 'number' && !(Number.isInteger(args[k]) && args[k] >= 0)) {
      console.error(`argument '${a}': expected a non-negative integer`);
      process.exit(2);
    }
  }
  if (args.iters < 1) args.iters = 1;
  return args;
}

// Minimal .npy reader (version 1/2/3, little-endian uint8 or float32, C order).
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (fortran) throw new Error(`${file}: Fortran order is not supported`);
  const data = buf.subarray(start + headerLen);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (descr === '|u1' || descr === 'u1') {
    for (let i = 0; i < n; ++i) out[i] = data[i] / 255;
  } else if (descr === '<f4') {
    const f = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4 * n));
    out.set(f);
  } else {
    throw new Error(`${file}: dtype ${descr} is not supported (uint8 or float32)`);
  }
  return { data: out, shape };
}

function randomInput(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s >>> 8) / 16777216;
  }
  return out;
}

function percentile(sorted, p) {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { ort, from } = loadOrt();
  if (!fs.existsSync(args.model)) {
    console.error(`model '${args.model}' not found`);
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0];
  let data;
  let shape;
  let inputDesc;
  if (fs.existsSync(args.input)) {
    ({ data, shape } = readNpy(args.input));
    inputDesc = `${path.basename(args.input)}/255`;
  } else {
    shape = [1, 3, 640, 640];
    data = randomInput(shape);
    inputDesc = 'random (input file not found)';
  }
  const feeds = { [inputName]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.iters; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  let version = '';
  try {
    version = require(path.join(path.dirname(require.resolve(from)), '..', 'package.json')).version;
  } catch (e) {
    version = ort.env && ort.env.versions ? ort.env.versions.common : '';
  }
  const result = {
    system: `onnxruntime-node ${version}`.trim(),
    model: path.basename(args.model),
    input: inputDesc,
    threads: args.threads,
    warmup: args.warmup,
    iters: args.iters,
    median_ms: +percentile(sorted, 0.5).toFixed(3),
    p90_ms: +percentile(sorted, 0.9).toFixed(3),
    min_ms: +sorted[0].toFixed(3),
    mean_ms: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(3),
    cpus: os.cpus().length,
  };
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(`ort_bench: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
