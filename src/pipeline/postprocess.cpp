#include "pipeline/postprocess.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace ys {
namespace {

// Greedy NMS over candidates already sorted by score (torchvision.ops.nms semantics: stable
// order, float32 IoU on class-offset boxes, suppression when IoU > threshold).
std::vector<int> greedy_nms(const std::vector<Detection>& c, const NmsOptions& opt) {
  const int n = static_cast<int>(c.size());
  std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
  float lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; ++i) {
    const float off = opt.agnostic ? 0.f : static_cast<float>(c[i].cls) * opt.max_wh;
    x1[i] = c[i].x1 + off;
    y1[i] = c[i].y1 + off;
    x2[i] = c[i].x2 + off;
    y2[i] = c[i].y2 + off;
    area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
    lo = std::min({lo, c[i].x1, c[i].y1});
    hi = std::max({hi, c[i].x2, c[i].y2});
  }
  // When every box fits within max_wh, offset boxes of different classes cannot overlap, so
  // each box needs comparing only with its own class: same result, far fewer IoUs.
  const bool per_class = !opt.agnostic && hi - lo < opt.max_wh;
  std::vector<int> next_same(n, n);  // next candidate (in score order) to compare against
  if (per_class) {
    std::vector<int> last;
    for (int i = n - 1; i >= 0; --i) {
      const size_t k = static_cast<size_t>(c[i].cls);
      if (k >= last.size()) last.resize(k + 1, n);
      next_same[i] = last[k];
      last[k] = i;
    }
  }
  std::vector<char> suppressed(n, 0);
  std::vector<int> keep;
  for (int i = 0; i < n && static_cast<int>(keep.size()) < opt.max_det; ++i) {
    if (suppressed[i]) continue;
    keep.push_back(i);
    for (int j = per_class ? next_same[i] : i + 1; j < n; j = per_class ? next_same[j] : j + 1) {
      if (suppressed[j]) continue;
      const float w = std::max(0.f, std::min(x2[i], x2[j]) - std::max(x1[i], x1[j]));
      const float h = std::max(0.f, std::min(y2[i], y2[j]) - std::max(y1[i], y1[j]));
      const float inter = w * h;
      if (inter == 0.f) continue;
      const float ovr = inter / (area[i] + area[j] - inter);
      if (static_cast<double>(ovr) > opt.iou) suppressed[j] = 1;
    }
  }
  return keep;
}

}  // namespace

std::vector<Detection> decode_candidates(const float* pred, int channels, int anchors,
                                         const NmsOptions& opt) {
  if (channels <= 4 || anchors < 0)
    fail(ErrorKind::kInvalidArgument, "non_max_suppression: expected [4 + classes, anchors], got [",
         channels, ", ", anchors, "]");
  const int nc = channels - 4;
  const float* scores = pred + 4 * static_cast<size_t>(anchors);
  // Class-major scan: contiguous rows, and strict > keeps the first class on ties like torch.max.
  std::vector<float> best(scores, scores + anchors);
  std::vector<int> best_cls(anchors, 0);
  for (int k = 1; k < nc; ++k) {
    const float* row = scores + static_cast<size_t>(k) * anchors;
    for (int a = 0; a < anchors; ++a)
      if (row[a] > best[a]) best[a] = row[a], best_cls[a] = k;
  }

  std::vector<Detection> cand;
  for (int a = 0; a < anchors; ++a) {
    if (!(best[a] > opt.conf)) continue;
    if (!opt.classes.empty() &&
        std::find(opt.classes.begin(), opt.classes.end(), best_cls[a]) == opt.classes.end())
      continue;
    const float cx = pred[a], cy = pred[anchors + a];
    const float hw = pred[2 * anchors + a] / 2, hh = pred[3 * anchors + a] / 2;
    cand.push_back({cx - hw, cy - hh, cx + hw, cy + hh, best[a], best_cls[a]});
  }
  auto by_score = [](const Detection& l, const Detection& r) { return l.conf > r.conf; };
  std::stable_sort(cand.begin(), cand.end(), by_score);
  if (static_cast<int>(cand.size()) > opt.max_nms) cand.resize(opt.max_nms);

  return cand;
}

std::vector<Detection> nms_candidates(const std::vector<Detection>& cand, const NmsOptions& opt) {
  std::vector<Detection> out;
  for (int i : greedy_nms(cand, opt)) out.push_back(cand[static_cast<size_t>(i)]);
  return out;
}

std::vector<Detection> non_max_suppression(const float* pred, int channels, int anchors,
                                           const NmsOptions& opt) {
  return nms_candidates(decode_candidates(pred, channels, anchors, opt), opt);
}

std::vector<std::vector<Detection>> non_max_suppression(const Tensor& pred, const NmsOptions& opt) {
  if (pred.dtype() != DType::kFloat32 || pred.rank() != 3)
    fail(ErrorKind::kInvalidArgument,
         "non_max_suppression: expected a float32 [batch, 4 + classes, anchors] tensor, got ",
         dtype_name(pred.dtype()), " ", shape_str(pred.shape()));
  const int channels = static_cast<int>(pred.dim(1)), anchors = static_cast<int>(pred.dim(2));
  std::vector<std::vector<Detection>> out;
  for (int64_t b = 0; b < pred.dim(0); ++b)
    out.push_back(non_max_suppression(
        pred.ptr<float>() + b * static_cast<int64_t>(channels) * anchors, channels, anchors, opt));
  return out;
}

void scale_boxes(std::vector<Detection>& dets, const LetterboxInfo& info) {
  const double gain = std::min(static_cast<double>(info.dst_height) / info.src_height,
                               static_cast<double>(info.dst_width) / info.src_width);
  const float pad_x =
      static_cast<float>(std::nearbyint((info.dst_width - info.src_width * gain) / 2 - 0.1));
  const float pad_y =
      static_cast<float>(std::nearbyint((info.dst_height - info.src_height * gain) / 2 - 0.1));
  const float g = static_cast<float>(gain);
  const float w = static_cast<float>(info.src_width), h = static_cast<float>(info.src_height);
  for (Detection& d : dets) {
    d.x1 = std::clamp((d.x1 - pad_x) / g, 0.f, w);
    d.y1 = std::clamp((d.y1 - pad_y) / g, 0.f, h);
    d.x2 = std::clamp((d.x2 - pad_x) / g, 0.f, w);
    d.y2 = std::clamp((d.y2 - pad_y) / g, 0.f, h);
  }
}

float box_iou(const Detection& a, const Detection& b) {
  const float w = std::max(0.f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float h = std::max(0.f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = w * h;
  const float uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0 ? inter / uni : 0.f;
}

}  // namespace ys
