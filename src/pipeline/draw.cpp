#include "pipeline/draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "pipeline/class_names.h"

#ifdef YS_HAVE_OPENCV
#include <opencv2/imgproc.hpp>
#endif

namespace ys {

std::array<uint8_t, 3> class_color(int cls) {
  static const uint32_t kPalette[] = {0x042AFF, 0x0BDBEB, 0xF3F3F3, 0x00DFB7, 0x111F68,
                                      0xFF6FDD, 0xFF444F, 0xCCED00, 0x00F344, 0xBD00FF,
                                      0x00B4FF, 0xDD00BA, 0x00FFFF, 0x26C000, 0x01FFB3,
                                      0x7D24FF, 0x7B0068, 0xFF1B6C, 0xFC6D2F, 0xA2FF0B};
  const uint32_t rgb = kPalette[static_cast<unsigned>(std::max(cls, 0)) % 20];
  return {static_cast<uint8_t>(rgb & 0xFF), static_cast<uint8_t>((rgb >> 8) & 0xFF),
          static_cast<uint8_t>(rgb >> 16)};
}

void draw_detections(Tensor& bgr, const std::vector<Detection>& dets,
                     const std::vector<std::string>& names) {
  YS_CHECK(bgr.dtype() == DType::kUInt8 && bgr.rank() == 3 && bgr.dim(2) == 3);
  const int h = static_cast<int>(bgr.dim(0)), w = static_cast<int>(bgr.dim(1));
  // Ultralytics' line width: 0.3% of the mean side, at least 2 px.
  const int lw = std::max(static_cast<int>(std::nearbyint((h + w + 3) / 2.0 * 0.003)), 2);
#ifdef YS_HAVE_OPENCV
  cv::Mat im(h, w, CV_8UC3, bgr.data());
  const int tf = std::max(lw - 1, 1);
  const double sf = lw / 3.0;
  for (const Detection& d : dets) {
    const auto c = class_color(d.cls);
    const cv::Scalar color(c[0], c[1], c[2]);
    cv::Point p1(static_cast<int>(d.x1), static_cast<int>(d.y1));
    const cv::Point p2(static_cast<int>(d.x2), static_cast<int>(d.y2));
    cv::rectangle(im, p1, p2, color, lw, cv::LINE_AA);
    char conf[16];
    std::snprintf(conf, sizeof(conf), "%.2f", d.conf);
    const std::string label = class_name(names, d.cls) + " " + conf;
    int baseline = 0;
    cv::Size ts = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, sf, tf, &baseline);
    ts.height += 3;
    const bool outside = p1.y >= ts.height;
    p1.x = std::min(p1.x, w - ts.width);
    const cv::Point tab(p1.x + ts.width, outside ? p1.y - ts.height : p1.y + ts.height);
    cv::rectangle(im, p1, tab, color, cv::FILLED, cv::LINE_AA);
    // Dark text on the palette's light colours, white on the rest.
    const double luma = 0.299 * c[2] + 0.587 * c[1] + 0.114 * c[0];
    const cv::Scalar text = luma > 160 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
    cv::putText(im, label, cv::Point(p1.x, outside ? p1.y - 2 : p1.y + ts.height - 1),
                cv::FONT_HERSHEY_SIMPLEX, sf, text, tf, cv::LINE_AA);
  }
#else
  (void)names;
  uint8_t* p = bgr.ptr<uint8_t>();
  auto fill = [&](int x0, int y0, int x1, int y1, const std::array<uint8_t, 3>& c) {
    x0 = std::clamp(x0, 0, w), x1 = std::clamp(x1, 0, w);
    y0 = std::clamp(y0, 0, h), y1 = std::clamp(y1, 0, h);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        std::copy(c.begin(), c.end(), p + (static_cast<size_t>(y) * w + x) * 3);
  };
  for (const Detection& d : dets) {
    const auto c = class_color(d.cls);
    const int x1 = static_cast<int>(d.x1), y1 = static_cast<int>(d.y1);
    const int x2 = static_cast<int>(d.x2), y2 = static_cast<int>(d.y2);
    const int a = lw / 2, b = lw - a;
    fill(x1 - a, y1 - a, x2 + b, y1 + b, c);
    fill(x1 - a, y2 - a, x2 + b, y2 + b, c);
    fill(x1 - a, y1 - a, x1 + b, y2 + b, c);
    fill(x2 - a, y1 - a, x2 + b, y2 + b, c);
  }
#endif
}

}  // namespace ys
