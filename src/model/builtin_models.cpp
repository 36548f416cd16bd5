#include "model/builtin_models.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/coco_names.h"
#include "core/error.h"
#include "model/yolo_family.h"

namespace ys {
namespace {

// Scales and layer lists follow Ultralytics' cfg/models/v8/yolov8.yaml and
// cfg/models/11/yolo11.yaml.
struct ModelSpec {
  const char* key;
  const char* family;
  const char* title;
  double depth;
  double width;
  int64_t max_channels;
};

constexpr ModelSpec kSpecs[] = {
    {"yolov8n", "yolov8", "YOLOv8n", 0.33, 0.25, 1024},
    {"yolov8s", "yolov8", "YOLOv8s", 0.33, 0.50, 1024},
    {"yolo11n", "yolo11", "YOLO11n", 0.50, 0.25, 1024},
    {"yolo11s", "yolo11", "YOLO11s", 0.50, 0.50, 1024},
};

constexpr int64_t kClasses = 80;
constexpr int64_t kRegMax = 16;
constexpr int64_t kStrides[3] = {8, 16, 32};

// Synthetic weights stand in for trained ones whose BatchNorm was fused in. The builder tracks
// the mean and mean square of every feature map analytically, and scales each convolution so its
// pre-activation has unit mean square: a share kSignalShare from the weights, the rest from the
// per-channel bias. Without the bias share, deep random SiLU networks are unstable (a small
// mismatch between input and assumption grows layer by layer until scores saturate, or dies
// out); with it, every stage converges to the same range whatever the input (checked on real
// photos, noise and synthetic patterns). The SiLU moments are E[silu(z)], E[silu(z)^2] for
// z ~ N(0, 1).
constexpr double kSignalShare = 0.75;
constexpr double kSiluMean = 0.2066;
constexpr double kSiluMeanSquare = 0.3547;
// Pixels in [0, 1].
constexpr double kImageMean = 0.45;
constexpr double kImageMeanSquare = 0.25;
// A 5x5 max over SiLU outputs is larger than its input; a rough factor is enough here.
constexpr double kMaxPoolGain = 2.0;
// Uniform in [-a, a] has mean square a^2 / 3.
const float kBiasBound = static_cast<float>(std::sqrt(3.0 * (1.0 - kSignalShare)));
// Ultralytics' Detect.bias_init sets the box branch's last bias to 1.
constexpr float kBoxBias = 1.0f;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [-bound, bound) from 24 random bits; only exact float arithmetic, so the weights are
// the same on every platform and compiler.
Tensor uniform_tensor(const std::string& seed_key, const Shape& shape, float bound) {
  Tensor t(DType::kFloat32, shape);
  uint64_t state = fnv1a(seed_key);
  float* p = t.ptr<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    float u = static_cast<float>(splitmix64(state) >> 40) * 0x1p-24f;
    p[i] = (2.0f * u - 1.0f) * bound;
  }
  return t;
}

Tensor int_tensor(const std::vector<int64_t>& v) {
  Tensor t(DType::kInt64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.ptr<int64_t>());
  return t;
}

Tensor float_tensor(const Shape& shape, const std::vector<float>& v) {
  Tensor t(DType::kFloat32, shape);
  YS_CHECK(static_cast<int64_t>(v.size()) == t.numel());
  std::copy(v.begin(), v.end(), t.ptr<float>());
  return t;
}

// Where a module sits: PyTorch's export scopes node names by module path ("/model.6/m.0/m/m.0"),
// while parameters use the state-dict path ("model.6.m.0.m.0"); `local` is the module's own name.
struct Path {
  std::string node, param, local;
};

Path module_path(int index) {
  std::string m = cat("model.", index);
  return {"/" + m, m, m};
}

Path child(const Path& p, const std::string& name) {
  return {p.node + "/" + name, p.param + "." + name, name};
}

// Element j of an nn.Sequential: its scope repeats the Sequential's name ("cv2.0" -> "cv2.0.0").
Path seq_item(const Path& p, int j) {
  std::string local = cat(p.local, ".", j);
  return {p.node + "/" + local, cat(p.param, ".", j), local};
}

using Attrs = std::map<std::string, Attribute>;

struct Builder {
  Graph& g;
  std::string seed_prefix;  // the model's key: weights do not depend on build order

  std::vector<int> node_outputs(const std::string& op, const std::string& name,
                                std::vector<int> inputs, Attrs attrs, int n_outputs) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    int k = static_cast<int>(g.nodes.size());
    for (int i = 0; i < n_outputs; ++i) {
      Value v;
      v.name = cat(name, "_output_", i);
      v.producer = k;
      n.outputs.push_back(g.add_value(std::move(v)));
    }
    g.nodes.push_back(std::move(n));
    return g.nodes.back().outputs;
  }

  int node(const std::string& op, const std::string& name, std::vector<int> inputs,
           Attrs attrs = {}) {
    return node_outputs(op, name, std::move(inputs), std::move(attrs), 1)[0];
  }

  int constant(const std::string& name, Tensor t) {
    Value v;
    v.name = name;
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.data = std::move(t);
    return g.add_value(std::move(v));
  }

  int random(const std::string& name, const Shape& shape, float bound) {
    return constant(name, uniform_tensor(seed_prefix + "/" + name, shape, bound));
  }

  // Uniform weights whose products with an input of mean square `input_ms` sum to unit mean square.
  int conv_weight(const std::string& name, const Shape& shape, double input_ms) {
    double fan_in = static_cast<double>(shape[1] * shape[2] * shape[3]);
    return random(name, shape, static_cast<float>(std::sqrt(3.0 / (fan_in * input_ms))));
  }
};

// A feature map: its value, channel count, and the tracked statistics its consumers scale by.
struct Feature {
  int v;
  int64_t c;
  double mean;
  double ms;  // mean square
};

Attrs conv_attrs(int64_t k, int64_t s, int64_t groups) {
  return {{"dilations", std::vector<int64_t>{1, 1}},
          {"group", groups},
          {"kernel_shape", std::vector<int64_t>{k, k}},
          {"pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2}},
          {"strides", std::vector<int64_t>{s, s}}};
}

// Ultralytics' Conv: Conv2d + BatchNorm (fused away by export) + SiLU as Sigmoid and Mul.
Feature conv(Builder& b, const Path& p, const Feature& x, int64_t c2, int64_t k, int64_t s,
             int64_t groups = 1, bool act = true) {
  int w = b.conv_weight(p.param + ".conv.weight", {c2, x.c / groups, k, k}, x.ms / kSignalShare);
  int bias = b.random(p.param + ".conv.bias", {c2}, kBiasBound);
  int y = b.node("Conv", p.node + "/conv/Conv", {x.v, w, bias}, conv_attrs(k, s, groups));
  if (!act) return {y, c2, 0.0, 1.0};
  int sig = b.node("Sigmoid", p.node + "/act/Sigmoid", {y});
  return {b.node("Mul", p.node + "/act/Mul", {y, sig}), c2, kSiluMean, kSiluMeanSquare};
}

// A plain nn.Conv2d 1x1 (Detect's last layer per branch), with a constant bias.
int conv2d(Builder& b, const Path& p, const Feature& x, int64_t c2, float bias_value) {
  int w = b.conv_weight(p.param + ".weight", {c2, x.c, 1, 1}, x.ms);
  int bias = b.constant(p.param + ".bias", float_tensor({c2}, std::vector<float>(c2, bias_value)));
  return b.node("Conv", p.node + "/Conv", {x.v, w, bias}, conv_attrs(1, 1, 1));
}

std::vector<int> split_values(Builder& b, const std::string& name, int x,
                              std::vector<int64_t> sizes, int64_t axis) {
  int n = static_cast<int>(sizes.size());
  int s = b.constant(name + "_sizes", int_tensor(sizes));
  return b.node_outputs("Split", name, {x, s}, {{"axis", axis}}, n);
}

// Channel split in two halves.
std::pair<Feature, Feature> halves(Builder& b, const std::string& name, const Feature& x) {
  int64_t c = x.c / 2;
  std::vector<int> v = split_values(b, name, x.v, {c, c}, 1);
  return {{v[0], c, x.mean, x.ms}, {v[1], c, x.mean, x.ms}};
}

Feature concat(Builder& b, const std::string& name, const std::vector<Feature>& xs) {
  std::vector<int> vs;
  Feature out{-1, 0, 0.0, 0.0};
  for (const Feature& x : xs) {
    vs.push_back(x.v);
    out.c += x.c;
    out.mean += x.mean * static_cast<double>(x.c);
    out.ms += x.ms * static_cast<double>(x.c);
  }
  out.mean /= static_cast<double>(out.c);
  out.ms /= static_cast<double>(out.c);
  out.v = b.node("Concat", name, vs, {{"axis", int64_t{1}}});
  return out;
}

// Sum of two independent feature maps.
Feature add(Builder& b, const std::string& name, const Feature& x, const Feature& y) {
  return {b.node("Add", name, {x.v, y.v}), x.c, x.mean + y.mean,
          x.ms + y.ms + 2.0 * x.mean * y.mean};
}

Feature bottleneck(Builder& b, const Path& p, const Feature& x, int64_t c2, bool shortcut,
                   double e) {
  int64_t hidden = static_cast<int64_t>(static_cast<double>(c2) * e);
  Feature y = conv(b, child(p, "cv1"), x, hidden, 3, 1);
  y = conv(b, child(p, "cv2"), y, c2, 3, 1);
  return shortcut && x.c == c2 ? add(b, p.node + "/Add", x, y) : y;
}

// C3k: a CSP block with n 3x3 bottlenecks, used inside YOLO11's C3k2.
Feature c3k(Builder& b, const Path& p, const Feature& x, int64_t c2, int n, bool shortcut) {
  int64_t hidden = c2 / 2;
  Feature y = conv(b, child(p, "cv1"), x, hidden, 1, 1);
  Path m = child(p, "m");
  for (int j = 0; j < n; ++j) y = bottleneck(b, seq_item(m, j), y, hidden, shortcut, 1.0);
  Feature z = conv(b, child(p, "cv2"), x, hidden, 1, 1);
  return conv(b, child(p, "cv3"), concat(b, p.node + "/Concat", {y, z}), c2, 1, 1);
}

// C2f (YOLOv8) and C3k2 (YOLO11) share their frame: split cv1's output in two, chain n inner
// blocks on the second half, concatenate everything, project with cv2. They differ in the inner
// block: C2f's Bottleneck keeps its width (e=1), C3k2's halves it (e=0.5) or is a C3k.
struct CspOptions {
  bool shortcut = true;
  double e = 0.5;             // hidden width of the block relative to c2
  double bottleneck_e = 1.0;  // C2f: 1.0, C3k2: 0.5
  bool use_c3k = false;
};

Feature csp(Builder& b, const Path& p, const Feature& x, int64_t c2, int n, const CspOptions& o) {
  int64_t c = static_cast<int64_t>(static_cast<double>(c2) * o.e);
  auto [first, second] = halves(b, p.node + "/Split", conv(b, child(p, "cv1"), x, 2 * c, 1, 1));
  std::vector<Feature> parts = {first, second};
  Feature cur = second;
  for (int i = 0; i < n; ++i) {
    Path m = child(p, cat("m.", i));
    cur = o.use_c3k ? c3k(b, m, cur, c, 2, o.shortcut)
                    : bottleneck(b, m, cur, c, o.shortcut, o.bottleneck_e);
    parts.push_back(cur);
  }
  return conv(b, child(p, "cv2"), concat(b, p.node + "/Concat", parts), c2, 1, 1);
}

Feature sppf(Builder& b, const Path& p, const Feature& x, int64_t c2) {
  Feature y = conv(b, child(p, "cv1"), x, x.c / 2, 1, 1);
  Attrs pool = {{"ceil_mode", int64_t{0}},
                {"dilations", std::vector<int64_t>{1, 1}},
                {"kernel_shape", std::vector<int64_t>{5, 5}},
                {"pads", std::vector<int64_t>{2, 2, 2, 2}},
                {"strides", std::vector<int64_t>{1, 1}}};
  std::vector<Feature> parts = {y};
  const char* scopes[3] = {"/m", "/m_1", "/m_2"};
  for (const char* scope : scopes) {
    const Feature& in = parts.back();
    int v = b.node("MaxPool", p.node + scope + "/MaxPool", {in.v}, pool);
    parts.push_back({v, in.c, in.mean * kMaxPoolGain, in.ms * kMaxPoolGain * kMaxPoolGain});
  }
  return conv(b, child(p, "cv2"), concat(b, p.node + "/Concat", parts), c2, 1, 1);
}

// nn.Upsample(scale_factor=2, mode="nearest") as exported: Resize with an empty roi.
Feature upsample(Builder& b, const Path& p, const Feature& x) {
  int scales = b.constant(p.node + "/Constant_output_0", float_tensor({4}, {1, 1, 2, 2}));
  int v = b.node("Resize", p.node + "/Resize", {x.v, -1, scales},
                 {{"coordinate_transformation_mode", std::string("asymmetric")},
                  {"cubic_coeff_a", -0.75f},
                  {"mode", std::string("nearest")},
                  {"nearest_mode", std::string("floor")}});
  return {v, x.c, x.mean, x.ms};
}

struct FeatureMap {
  int64_t batch, h, w;
};

// Multi-head self-attention over the H*W positions, with a depthwise 3x3 positional encoding.
Feature attention(Builder& b, const Path& p, const Feature& x, int64_t heads, const FeatureMap& f) {
  const int64_t dim = x.c;
  const int64_t head_dim = dim / heads;
  const int64_t key_dim = head_dim / 2;  // attn_ratio 0.5
  Feature qkv = conv(b, child(p, "qkv"), x, dim + 2 * key_dim * heads, 1, 1, 1, false);
  int shape = b.constant(p.node + "/Constant_output_0",
                         int_tensor({f.batch, heads, 2 * key_dim + head_dim, f.h * f.w}));
  Attrs keep_zero = {{"allowzero", int64_t{0}}};
  int r = b.node("Reshape", p.node + "/Reshape", {qkv.v, shape}, keep_zero);
  std::vector<int> q_k_v = split_values(b, p.node + "/Split", r, {key_dim, key_dim, head_dim}, 2);
  Attrs swap_last = {{"perm", std::vector<int64_t>{0, 1, 3, 2}}};
  int qt = b.node("Transpose", p.node + "/Transpose", {q_k_v[0]}, swap_last);
  int scores = b.node("MatMul", p.node + "/MatMul", {qt, q_k_v[1]});
  float scale = static_cast<float>(std::sqrt(1.0 / static_cast<double>(key_dim)));
  int scale_v = b.constant(p.node + "/Constant_1_output_0", float_tensor({}, {scale}));
  int scaled = b.node("Mul", p.node + "/Mul", {scores, scale_v});
  int attn = b.node("Softmax", p.node + "/Softmax", {scaled}, {{"axis", int64_t{-1}}});
  int attn_t = b.node("Transpose", p.node + "/Transpose_1", {attn}, swap_last);
  int mixed = b.node("MatMul", p.node + "/MatMul_1", {q_k_v[2], attn_t});
  int image_shape =
      b.constant(p.node + "/Constant_2_output_0", int_tensor({f.batch, dim, f.h, f.w}));
  int v_shape = b.constant(p.node + "/Constant_3_output_0", int_tensor({f.batch, dim, f.h, f.w}));
  // An attention-weighted average of v is no larger than v: bound it by v's statistics.
  Feature mixed_img{b.node("Reshape", p.node + "/Reshape_1", {mixed, image_shape}, keep_zero), dim,
                    qkv.mean, qkv.ms};
  Feature v_img{b.node("Reshape", p.node + "/Reshape_2", {q_k_v[2], v_shape}, keep_zero), dim,
                qkv.mean, qkv.ms};
  Feature pe = conv(b, child(p, "pe"), v_img, dim, 3, 1, dim, false);
  return conv(b, child(p, "proj"), add(b, p.node + "/Add", mixed_img, pe), dim, 1, 1, 1, false);
}

Feature psa_block(Builder& b, const Path& p, const Feature& x, const FeatureMap& f) {
  Feature y = add(b, p.node + "/Add", x, attention(b, child(p, "attn"), x, x.c / 64, f));
  Path ffn = child(p, "ffn");
  Feature h = conv(b, seq_item(ffn, 0), y, 2 * x.c, 1, 1);
  h = conv(b, seq_item(ffn, 1), h, x.c, 1, 1, 1, false);
  return add(b, p.node + "/Add_1", y, h);
}

Feature c2psa(Builder& b, const Path& p, const Feature& x, int n, const FeatureMap& f) {
  auto [first, second] = halves(b, p.node + "/Split", conv(b, child(p, "cv1"), x, x.c, 1, 1));
  Path m = child(p, "m");
  Feature cur = second;
  for (int j = 0; j < n; ++j) cur = psa_block(b, seq_item(m, j), cur, f);
  return conv(b, child(p, "cv2"), concat(b, p.node + "/Concat", {first, cur}), x.c, 1, 1);
}

// "_k" suffix PyTorch gives the k-th op of one type inside one scope.
std::string nth(const std::string& base, int k) {
  return k == 0 ? base : cat(base, "_", k);
}

int64_t anchor_count(int64_t imgsz) {
  int64_t n = 0;
  for (int64_t s : kStrides) n += (imgsz / s) * (imgsz / s);
  return n;
}

// Detect with its decoding as exported: per level a box branch (cv2, 4*reg_max distribution
// logits) and a class branch (cv3), then DFL, dist2bbox against constant anchors, and strides.
int detect(Builder& b, const Path& p, const std::vector<Feature>& in, bool dw_class_branch,
           int64_t batch, int64_t imgsz) {
  const int64_t c2 = std::max({int64_t{16}, in[0].c / 4, kRegMax * 4});
  const int64_t c3 = std::max(in[0].c, std::min(kClasses, int64_t{100}));
  const int64_t no = kRegMax * 4 + kClasses;
  const int64_t anchors = anchor_count(imgsz);
  std::vector<int> levels;
  for (int i = 0; i < 3; ++i) {
    Path box = child(p, cat("cv2.", i));
    Feature y = conv(b, seq_item(box, 0), in[i], c2, 3, 1);
    y = conv(b, seq_item(box, 1), y, c2, 3, 1);
    int box_logits = conv2d(b, seq_item(box, 2), y, 4 * kRegMax, kBoxBias);
    Path cls = child(p, cat("cv3.", i));
    Feature z = in[i];
    if (dw_class_branch) {  // YOLO11: (DWConv 3x3, Conv 1x1) twice
      Path s0 = seq_item(cls, 0), s1 = seq_item(cls, 1);
      z = conv(b, seq_item(s0, 0), z, z.c, 3, 1, z.c);
      z = conv(b, seq_item(s0, 1), z, c3, 1, 1);
      z = conv(b, seq_item(s1, 0), z, c3, 3, 1, c3);
      z = conv(b, seq_item(s1, 1), z, c3, 1, 1);
    } else {
      z = conv(b, seq_item(cls, 0), z, c3, 3, 1);
      z = conv(b, seq_item(cls, 1), z, c3, 3, 1);
    }
    // Ultralytics' bias_init: a prior of 5 objects per 640x640 image spread over the classes
    // and the level's cells, so untrained scores start near zero.
    double cells = std::pow(640.0 / static_cast<double>(kStrides[i]), 2.0);
    float class_bias = static_cast<float>(std::log(5.0 / static_cast<double>(kClasses) / cells));
    int class_logits = conv2d(b, seq_item(cls, 2), z, kClasses, class_bias);
    levels.push_back(b.node("Concat", nth(p.node + "/Concat", i), {box_logits, class_logits},
                            {{"axis", int64_t{1}}}));
  }
  Attrs keep_zero = {{"allowzero", int64_t{0}}};
  std::vector<int> flat;
  for (int i = 0; i < 3; ++i) {
    int shape = b.constant(nth(p.node + "/Constant", i) + "_output_0", int_tensor({batch, no, -1}));
    flat.push_back(b.node("Reshape", nth(p.node + "/Reshape", i),
                          {levels[static_cast<size_t>(i)], shape}, keep_zero));
  }
  int all = b.node("Concat", p.node + "/Concat_3", flat, {{"axis", int64_t{2}}});
  std::vector<int> box_cls = split_values(b, p.node + "/Split", all, {4 * kRegMax, kClasses}, 1);

  // DFL: expected value of each side's 16-bin distribution, as a fixed 1x1 convolution.
  Path dfl = child(p, "dfl");
  int bins_shape =
      b.constant(dfl.node + "/Constant_output_0", int_tensor({batch, 4, kRegMax, anchors}));
  int bins = b.node("Reshape", dfl.node + "/Reshape", {box_cls[0], bins_shape}, keep_zero);
  int bins_t = b.node("Transpose", dfl.node + "/Transpose", {bins},
                      {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  int probs = b.node("Softmax", dfl.node + "/Softmax", {bins_t}, {{"axis", int64_t{1}}});
  std::vector<float> ramp(kRegMax);
  for (int64_t i = 0; i < kRegMax; ++i) ramp[static_cast<size_t>(i)] = static_cast<float>(i);
  int ramp_w = b.constant(dfl.param + ".conv.weight", float_tensor({1, kRegMax, 1, 1}, ramp));
  int expect = b.node("Conv", dfl.node + "/conv/Conv", {probs, ramp_w}, conv_attrs(1, 1, 1));
  int dist_shape = b.constant(dfl.node + "/Constant_1_output_0", int_tensor({batch, 4, anchors}));
  int dist = b.node("Reshape", dfl.node + "/Reshape_1", {expect, dist_shape}, keep_zero);

  // dist.chunk(2, dim=1), traced through the tensor's shape as PyTorch exports it.
  auto ints = [&](int k, std::vector<int64_t> v) {
    return b.constant(nth(p.node + "/Constant", k) + "_output_0", int_tensor(v));
  };
  int shape = b.node("Shape", p.node + "/Shape", {dist});
  int axis1 = ints(3, {1});
  int gathered = b.node("Gather", p.node + "/Gather", {shape, axis1}, {{"axis", int64_t{0}}});
  int zero = ints(4, {0});
  int plus = b.node("Add", p.node + "/Add", {gathered, ints(5, {1})});
  int half = b.node("Div", p.node + "/Div", {plus, ints(6, {2})});
  int end0 = b.node("Mul", p.node + "/Mul", {half, ints(7, {1})});
  int lt = b.node("Slice", p.node + "/Slice", {dist, zero, end0, axis1});
  int end1 = b.node("Mul", p.node + "/Mul_1", {half, ints(8, {2})});
  int rb = b.node("Slice", p.node + "/Slice_1", {dist, end0, end1, axis1});

  std::vector<float> points(static_cast<size_t>(2 * anchors));
  std::vector<float> strides(static_cast<size_t>(anchors));
  size_t a = 0;
  for (int64_t s : kStrides) {
    for (int64_t y = 0; y < imgsz / s; ++y) {
      for (int64_t x = 0; x < imgsz / s; ++x, ++a) {
        points[a] = static_cast<float>(x) + 0.5f;
        points[a + static_cast<size_t>(anchors)] = static_cast<float>(y) + 0.5f;
        strides[a] = static_cast<float>(s);
      }
    }
  }
  int anchor_a = b.constant(p.node + "/Constant_9_output_0", float_tensor({1, 2, anchors}, points));
  int anchor_b =
      b.constant(p.node + "/Constant_10_output_0", float_tensor({1, 2, anchors}, points));
  int x1y1 = b.node("Sub", p.node + "/Sub", {anchor_a, lt});
  int x2y2 = b.node("Add", p.node + "/Add_1", {anchor_b, rb});
  int sum = b.node("Add", p.node + "/Add_2", {x1y1, x2y2});
  int two = b.constant(p.node + "/Constant_11_output_0", float_tensor({}, {2.0f}));
  int center = b.node("Div", p.node + "/Div_1", {sum, two});
  int wh = b.node("Sub", p.node + "/Sub_1", {x2y2, x1y1});
  int xywh = b.node("Concat", p.node + "/Concat_4", {center, wh}, {{"axis", int64_t{1}}});
  int stride_v = b.constant(p.node + "/Constant_12_output_0", float_tensor({1, anchors}, strides));
  int boxes = b.node("Mul", p.node + "/Mul_2", {xywh, stride_v});
  int scores = b.node("Sigmoid", p.node + "/Sigmoid", {box_cls[1]});
  return b.node("Concat", p.node + "/Concat_5", {boxes, scores}, {{"axis", int64_t{1}}});
}

// Ultralytics' parse_model: channels scaled by width and capped, repeats scaled by depth.
struct Scaler {
  const ModelSpec& spec;
  int64_t ch(int64_t c) const {
    double scaled = static_cast<double>(std::min(c, spec.max_channels)) * spec.width;
    return static_cast<int64_t>(std::ceil(scaled / 8.0)) * 8;
  }
  int n(int repeats) const {
    return std::max(static_cast<int>(std::lround(repeats * spec.depth)), 1);
  }
};

int build_yolov8(Builder& b, const Scaler& s, const Feature& images, int64_t batch, int64_t imgsz) {
  auto m = module_path;
  CspOptions with_add;
  CspOptions no_add;
  no_add.shortcut = false;
  Feature x0 = conv(b, m(0), images, s.ch(64), 3, 2);
  Feature x1 = conv(b, m(1), x0, s.ch(128), 3, 2);
  Feature x2 = csp(b, m(2), x1, s.ch(128), s.n(3), with_add);
  Feature x3 = conv(b, m(3), x2, s.ch(256), 3, 2);
  Feature x4 = csp(b, m(4), x3, s.ch(256), s.n(6), with_add);
  Feature x5 = conv(b, m(5), x4, s.ch(512), 3, 2);
  Feature x6 = csp(b, m(6), x5, s.ch(512), s.n(6), with_add);
  Feature x7 = conv(b, m(7), x6, s.ch(1024), 3, 2);
  Feature x8 = csp(b, m(8), x7, s.ch(1024), s.n(3), with_add);
  Feature x9 = sppf(b, m(9), x8, s.ch(1024));
  Feature x10 = upsample(b, m(10), x9);
  Feature x11 = concat(b, m(11).node + "/Concat", {x10, x6});
  Feature x12 = csp(b, m(12), x11, s.ch(512), s.n(3), no_add);
  Feature x13 = upsample(b, m(13), x12);
  Feature x14 = concat(b, m(14).node + "/Concat", {x13, x4});
  Feature x15 = csp(b, m(15), x14, s.ch(256), s.n(3), no_add);
  Feature x16 = conv(b, m(16), x15, s.ch(256), 3, 2);
  Feature x17 = concat(b, m(17).node + "/Concat", {x16, x12});
  Feature x18 = csp(b, m(18), x17, s.ch(512), s.n(3), no_add);
  Feature x19 = conv(b, m(19), x18, s.ch(512), 3, 2);
  Feature x20 = concat(b, m(20).node + "/Concat", {x19, x9});
  Feature x21 = csp(b, m(21), x20, s.ch(1024), s.n(3), no_add);
  return detect(b, m(22), {x15, x18, x21}, false, batch, imgsz);
}

int build_yolo11(Builder& b, const Scaler& s, const Feature& images, int64_t batch, int64_t imgsz) {
  auto m = module_path;
  // C3k2 arguments from yolo11.yaml: [c2, c3k, e]; Ultralytics forces c3k only for scales m/l/x.
  auto c3k2 = [](bool use_c3k, double e) {
    CspOptions o;
    o.e = e;
    o.bottleneck_e = 0.5;
    o.use_c3k = use_c3k;
    return o;
  };
  Feature x0 = conv(b, m(0), images, s.ch(64), 3, 2);
  Feature x1 = conv(b, m(1), x0, s.ch(128), 3, 2);
  Feature x2 = csp(b, m(2), x1, s.ch(256), s.n(2), c3k2(false, 0.25));
  Feature x3 = conv(b, m(3), x2, s.ch(256), 3, 2);
  Feature x4 = csp(b, m(4), x3, s.ch(512), s.n(2), c3k2(false, 0.25));
  Feature x5 = conv(b, m(5), x4, s.ch(512), 3, 2);
  Feature x6 = csp(b, m(6), x5, s.ch(512), s.n(2), c3k2(true, 0.5));
  Feature x7 = conv(b, m(7), x6, s.ch(1024), 3, 2);
  Feature x8 = csp(b, m(8), x7, s.ch(1024), s.n(2), c3k2(true, 0.5));
  Feature x9 = sppf(b, m(9), x8, s.ch(1024));
  Feature x10 = c2psa(b, m(10), x9, s.n(2), {batch, imgsz / 32, imgsz / 32});
  Feature x11 = upsample(b, m(11), x10);
  Feature x12 = concat(b, m(12).node + "/Concat", {x11, x6});
  Feature x13 = csp(b, m(13), x12, s.ch(512), s.n(2), c3k2(false, 0.5));
  Feature x14 = upsample(b, m(14), x13);
  Feature x15 = concat(b, m(15).node + "/Concat", {x14, x4});
  Feature x16 = csp(b, m(16), x15, s.ch(256), s.n(2), c3k2(false, 0.5));
  Feature x17 = conv(b, m(17), x16, s.ch(256), 3, 2);
  Feature x18 = concat(b, m(18).node + "/Concat", {x17, x13});
  Feature x19 = csp(b, m(19), x18, s.ch(512), s.n(2), c3k2(false, 0.5));
  Feature x20 = conv(b, m(20), x19, s.ch(512), 3, 2);
  Feature x21 = concat(b, m(21).node + "/Concat", {x20, x10});
  Feature x22 = csp(b, m(22), x21, s.ch(1024), s.n(2), c3k2(true, 0.5));
  return detect(b, m(23), {x16, x19, x22}, true, batch, imgsz);
}

std::string strip_yaml(const std::string& name) {
  const std::string ext = ".yaml";
  if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
    return name.substr(0, name.size() - ext.size());
  }
  return name;
}

const ModelSpec* find_spec(const std::string& name) {
  std::string key = strip_yaml(name);
  for (const ModelSpec& s : kSpecs) {
    if (key == s.key) return &s;
  }
  return nullptr;
}

std::string coco_names_literal() {
  std::string out = "{";
  for (int64_t i = 0; i < kClasses; ++i) {
    out += cat(i == 0 ? "" : ", ", i, ": '", coco80_names()[static_cast<size_t>(i)], "'");
  }
  return out + "}";
}

}  // namespace

std::vector<std::string> builtin_model_names() {
  std::vector<std::string> names;
  for (const ModelSpec& s : kSpecs) names.push_back(cat(s.key, ".yaml"));
  return names;
}

bool is_builtin_model(const std::string& name) {
  return find_spec(name) != nullptr;
}

Graph build_builtin_model(const std::string& name, int64_t imgsz, int64_t batch) {
  const ModelSpec* spec = find_spec(name);
  if (!spec) {
    std::string known;
    for (const std::string& n : builtin_model_names()) known += (known.empty() ? "" : ", ") + n;
    fail(ErrorKind::kNotFound, "model '", name, "': no such built-in model (built-ins: ", known,
         ")");
  }
  if (imgsz <= 0 || imgsz % 32 != 0) {
    fail(ErrorKind::kInvalidArgument, "imgsz=", imgsz, " for built-in model '", name,
         "': must be a positive multiple of 32 (the largest stride)");
  }
  if (batch < 1)
    fail(ErrorKind::kInvalidArgument, "batch=", batch, " for built-in model '", name,
         "': must be at least 1");

  Graph g;
  g.name = "main_graph";  // what PyTorch's exporter calls every graph
  g.opset = 17;
  g.synthetic_weights = true;
  Builder b{g, spec->key};
  Value images;
  images.name = "images";
  images.shape = {batch, 3, imgsz, imgsz};
  Feature in{g.add_value(std::move(images)), 3, kImageMean, kImageMeanSquare};
  g.inputs.push_back(in.v);

  Scaler scaler{*spec};
  bool v8 = std::strcmp(spec->family, "yolov8") == 0;
  int out =
      v8 ? build_yolov8(b, scaler, in, batch, imgsz) : build_yolo11(b, scaler, in, batch, imgsz);
  Value& o = g.values[static_cast<size_t>(out)];
  o.name = "output0";
  o.shape = {batch, 4 + kClasses, anchor_count(imgsz)};
  g.outputs.push_back(out);

  g.metadata = {
      {"description", cat("YoloScope built-in ", spec->title,
                          " architecture with SYNTHETIC weights (not trained)")},
      {"author", "YoloScope"},
      {"synthetic_weights", "true"},
      {"task", "detect"},
      {"stride", "32"},
      {"batch", cat(batch)},
      {"imgsz", cat("[", imgsz, ", ", imgsz, "]")},
      {"channels", "3"},
      {"names", coco_names_literal()},
  };
  map_yolo_modules(g);  // sets family, module indices and stages from the names, as for a file
  return g;
}

bool has_synthetic_weights_mark(const Graph& g) {
  const auto mark = g.metadata.find("synthetic_weights");
  if (mark != g.metadata.end()) return mark->second == "true";
  const auto text = g.metadata.find("description");
  return text != g.metadata.end() && text->second.rfind("YoloScope built-in ", 0) == 0 &&
         text->second.find("SYNTHETIC") != std::string::npos;
}

}  // namespace ys
