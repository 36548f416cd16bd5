#!/usr/bin/env python3
"""The PyTorch peer of yolo_bench_gpu: runs the same ONNX graph through a small ONNX-to-torch
interpreter, eagerly and as a captured CUDA graph, and times it the way yolo_bench_gpu does
(latency: each forward then torch.cuda.synchronize(), host clock, median and p90; throughput: the
same number of forwards queued back to back). FP16 converts weights and input once, uses
channels_last and cudnn.benchmark, as a tuned PyTorch deployment would.

  torch_peer.py MODEL.onnx [--batch N] [--half] [--iterations N] [--warmup N]
                [--input U8.npy --reference OUTPUT.npy]
Prints one key=value line per mode (eager, graph)."""
import argparse
import statistics
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Interpreter:
    def __init__(self, model, dtype, device):
        self.dtype = dtype
        self.consts = {}
        for init in model.graph.initializer:
            a = numpy_helper.to_array(init)
            t = torch.from_numpy(a.copy()).to(device)
            if t.is_floating_point():
                t = t.to(dtype)
                if t.dim() == 4:
                    t = t.contiguous(memory_format=torch.channels_last)
            self.consts[init.name] = t
        # Host copies of every constant, so shapes, sizes and scales are read without a device
        # round trip (which a CUDA-graph capture forbids).
        self.host = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
        self.static = {}
        self.ints = {}
        self.nodes = []
        for n in model.graph.node:
            at = attrs_of(n)
            if n.op_type == "Constant":
                a = numpy_helper.to_array(at["value"])
                self.host[n.output[0]] = a
                t = torch.from_numpy(a.copy()).to(device)
                self.consts[n.output[0]] = t.to(dtype) if t.is_floating_point() else t
                continue
            self.nodes.append((n.op_type, list(n.input), list(n.output), at))
        self.input = model.graph.input[0].name
        self.outputs = [o.name for o in model.graph.output]

    def on_device(self, t, device):
        # Constants built on the host (Constant, Shape) join the computation in its dtype.
        if t.device != device:
            t = t.to(device)
        if t.is_floating_point() and t.dtype != self.dtype:
            t = t.to(self.dtype)
        return t

    def host_ints(self, env, name):
        # Shape operands are the same on every run of a fixed input shape: read once (eagerly),
        # then reused, so a CUDA graph capture never copies them back to the host.
        if name not in self.ints:
            t = self.host[name] if name in self.host else env[name]
            self.ints[name] = [int(v) for v in t.flatten().tolist()]
        return self.ints[name]

    def __call__(self, x):
        env = dict(self.consts)
        env[self.input] = x
        for op, ins, outs, at in self.nodes:
            if all(o in self.static for o in outs):
                env.update((o, self.static[o]) for o in outs)
                continue
            a = [self.on_device(env[i], x.device) if i else None for i in ins]
            if op == "Conv":
                p = at.get("pads", [0, 0, 0, 0])
                y = F.conv2d(a[0], a[1], a[2] if len(a) > 2 else None, at.get("strides", 1),
                             (p[0], p[1]), at.get("dilations", 1), at.get("group", 1))
            elif op == "Sigmoid":
                y = torch.sigmoid(a[0])
            elif op == "Relu":
                y = torch.relu(a[0])
            elif op == "Mul":
                y = a[0] * a[1]
            elif op == "Add":
                y = a[0] + a[1]
            elif op == "Sub":
                y = a[0] - a[1]
            elif op == "Div":
                y = a[0] / a[1]
            elif op == "Concat":
                y = torch.cat(a, dim=at["axis"])
            elif op == "Split":
                sizes = self.host_ints(env, ins[1]) if len(ins) > 1 and ins[1] else at.get("split")
                if sizes is None:
                    n = len(outs)
                    sizes = [a[0].shape[at.get("axis", 0)] // n] * n
                ys = torch.split(a[0], sizes, dim=at.get("axis", 0))
                for o, t in zip(outs, ys):
                    env[o] = t
                continue
            elif op == "MaxPool":
                p = at.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(a[0], at["kernel_shape"], at.get("strides", 1), (p[0], p[1]))
            elif op == "Resize":
                if len(ins) > 2 and ins[2] and self.host[ins[2]].size:
                    s = [float(v) for v in self.host[ins[2]].tolist()]
                    y = F.interpolate(a[0], scale_factor=(s[2], s[3]), mode="nearest")
                else:
                    sz = self.host_ints(env, ins[3])
                    y = F.interpolate(a[0], size=(sz[2], sz[3]), mode="nearest")
            elif op == "Reshape":
                shape = self.host_ints(env, ins[1])
                shape = [a[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
                y = a[0].reshape(shape)
            elif op == "Transpose":
                y = a[0].permute(at["perm"])
            elif op == "Softmax":
                y = torch.softmax(a[0], dim=at.get("axis", -1))
            elif op == "Slice":
                starts, ends = self.host_ints(env, ins[1]), self.host_ints(env, ins[2])
                axes = self.host_ints(env, ins[3]) if len(ins) > 3 and ins[3] else list(range(len(starts)))
                steps = self.host_ints(env, ins[4]) if len(ins) > 4 and ins[4] else [1] * len(starts)
                idx = [slice(None)] * a[0].dim()
                for s, e, ax, st in zip(starts, ends, axes, steps):
                    idx[ax] = slice(s, min(e, a[0].shape[ax]), st)
                y = a[0][tuple(idx)]
            elif op == "MatMul":
                y = torch.matmul(a[0], a[1])
            elif op == "Shape":
                y = torch.tensor(list(a[0].shape), dtype=torch.int64)
            elif op == "Gather":
                y = torch.index_select(a[0], at.get("axis", 0), a[1].reshape(-1).to(a[0].device)).reshape(
                    list(a[0].shape[: at.get("axis", 0)]) + list(a[1].shape) + list(a[0].shape[at.get("axis", 0) + 1:]))
            elif op == "Unsqueeze":
                axes = at.get("axes") or self.host_ints(env, ins[1])
                y = a[0]
                for ax in sorted(axes):
                    y = y.unsqueeze(ax)
            elif op == "Cast":
                y = a[0]
            else:
                raise NotImplementedError(f"torch_peer: no translation for {op}")
            env[outs[0]] = y
            if not y.is_floating_point() and not torch.cuda.is_current_stream_capturing():
                # Shape arithmetic (Shape -> Gather -> Concat) is fixed for a fixed input shape:
                # computed once eagerly, it is a constant afterwards, as a CUDA graph needs.
                self.host[outs[0]] = y.cpu().numpy()
                self.static[outs[0]] = y.to(x.device)
        return env[self.outputs[0]]


def timed(fn, iterations):
    ms = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    t0 = time.perf_counter()
    for _ in range(iterations):
        fn()
    torch.cuda.synchronize()
    return ms[len(ms) // 2], ms[len(ms) * 9 // 10], time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--half", action="store_true")
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--input")
    ap.add_argument("--reference")
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda:0")
    dtype = torch.float16 if args.half else torch.float32
    net = Interpreter(onnx.load(args.model), dtype, dev)
    if args.input:
        u8 = np.load(args.input).astype(np.float32) / 255.0
        x = torch.from_numpy(np.repeat(u8, args.batch, axis=0))
    else:
        x = torch.rand(args.batch, 3, 640, 640, generator=torch.Generator().manual_seed(0))
    x = x.to(dev).to(dtype).contiguous(memory_format=torch.channels_last)

    with torch.inference_mode():
        for _ in range(args.warmup):
            out = net(x)
        torch.cuda.synchronize()
        extra = ""
        if args.reference:
            ref = np.load(args.reference)
            o = out.float().cpu().numpy()[: ref.shape[0]]
            extra = f" rel_l2={np.linalg.norm(o - ref) / np.linalg.norm(ref):.3g}"
        med, p90, total = timed(lambda: net(x), args.iterations)
        print(f"torch_peer mode=eager batch={args.batch} half={int(args.half)} "
              f"iterations={args.iterations} median_ms={med:.4f} p90_ms={p90:.4f} "
              f"throughput_ips={args.iterations * args.batch / total:.1f}{extra} "
              f"torch={torch.__version__}", flush=True)

        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                net(x)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = net(x)
        for _ in range(args.warmup):
            graph.replay()
        torch.cuda.synchronize()
        med, p90, total = timed(graph.replay, args.iterations)
        del static_out
        print(f"torch_peer mode=graph batch={args.batch} half={int(args.half)} "
              f"iterations={args.iterations} median_ms={med:.4f} p90_ms={p90:.4f} "
              f"throughput_ips={args.iterations * args.batch / total:.1f}", flush=True)


if __name__ == "__main__":
    main()
