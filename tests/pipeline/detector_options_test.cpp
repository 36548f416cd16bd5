// The key=value mapping to DetectorOptions: each key's text as the command line writes it sets
// its field, and a key or a text it does not understand is refused with both named.
#include "pipeline/detector_options.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace ys {
namespace {

DetectorOptions with(std::string_view key, std::string_view text) {
  DetectorOptions o;
  apply_setting(o, key, text);
  return o;
}

TEST(DetectorOptions, EachKindOfValueSetsItsField) {
  EXPECT_EQ(with("threads", "2").threads, 2);
  EXPECT_EQ(with("batch", "4").batch, 4);
  EXPECT_FLOAT_EQ(with("conf", "0.5").nms.conf, 0.5f);
  EXPECT_DOUBLE_EQ(with("iou", "0.45").nms.iou, 0.45);
  EXPECT_TRUE(with("half", "True").half);
  EXPECT_FALSE(with("cuda_graph", "False").cuda_graph);
  EXPECT_FALSE(with("gpu_pipeline", "False").gpu_pipeline);
  EXPECT_TRUE(with("agnostic_nms", "True").nms.agnostic);
  EXPECT_EQ(with("device", "cuda:0").device, "cuda:0");
  EXPECT_EQ(with("model", "m.onnx").model, "m.onnx");
  const DetectorOptions one = with("imgsz", "320");
  EXPECT_EQ(one.imgsz_h, 320);
  EXPECT_EQ(one.imgsz_w, 320);
  const DetectorOptions two = with("imgsz", "[480, 640]");
  EXPECT_EQ(two.imgsz_h, 480);
  EXPECT_EQ(two.imgsz_w, 640);
  EXPECT_EQ(with("classes", "[0,2]").nms.classes, (std::vector<int>{0, 2}));
  EXPECT_TRUE(with("classes", "None").nms.classes.empty());
}

TEST(DetectorOptions, ASettingChangesOnlyItsOwnField) {
  DetectorOptions o;
  o.threads = 3;
  apply_setting(o, "batch", "8");
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.batch, 8);
}

std::string refusal(std::string_view key, std::string_view text) {
  try {
    with(key, text);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  ADD_FAILURE() << key << "=" << text << " was accepted";
  return {};
}

TEST(DetectorOptions, TextItCannotReadIsRefusedNamingKeyAndText) {
  EXPECT_NE(refusal("half", "true").find("'half=true'"), std::string::npos);
  EXPECT_NE(refusal("threads", "2.5").find("'threads=2.5'"), std::string::npos);
  EXPECT_NE(refusal("threads", "").find("integer"), std::string::npos);
  EXPECT_NE(refusal("conf", "high").find("'conf=high'"), std::string::npos);
  EXPECT_NE(refusal("imgsz", "[640,]").find("'imgsz=[640,]'"), std::string::npos);
  EXPECT_NE(refusal("imgsz", "[1, 2, 3]").find("imgsz"), std::string::npos);
  EXPECT_NE(refusal("source", "x.jpg").find("no source option"), std::string::npos);
}

TEST(DetectorOptions, KeysKnowWhichNeedAGpu) {
  EXPECT_TRUE(is_detector_option("threads"));
  EXPECT_FALSE(is_detector_option("source"));
  for (const char* k : {"half", "cuda_graph", "gpu_pipeline", "cudnn_fusion"})
    EXPECT_TRUE(detector_option_needs_gpu(k)) << k;
  for (const char* k : {"threads", "batch", "conf", "model", "source"})
    EXPECT_FALSE(detector_option_needs_gpu(k)) << k;
}

}  // namespace
}  // namespace ys
