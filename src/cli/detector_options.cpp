#include "cli/detector_options.h"

namespace ys {

DetectorOptions detector_options(const Config& c) {
  DetectorOptions o;
  o.model = c.get_string("model");
  std::vector<int> imgsz = c.get_int_list("imgsz");
  o.imgsz_h = imgsz.at(0);
  o.imgsz_w = imgsz.size() > 1 ? imgsz[1] : imgsz[0];
  o.batch = c.get_int("batch");
  o.device = c.get_string("device");
  o.threads = c.get_int("threads");
  o.half = c.get_bool("half");
  o.cuda_graph = c.get_bool("cuda_graph");
  o.gpu_pipeline = c.get_bool("gpu_pipeline");
  o.cudnn_fusion = c.get_bool("cudnn_fusion");
  o.nms.conf = static_cast<float>(c.get_float("conf"));
  o.nms.iou = c.get_float("iou");
  o.nms.max_det = c.get_int("max_det");
  o.nms.agnostic = c.get_bool("agnostic_nms");
  o.nms.classes = c.get_int_list("classes");
  return o;
}

}  // namespace ys
