#include "model/yolo_family.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ys {
namespace {

FamilyLayout make(std::string family, std::vector<std::string> types, int backbone_end) {
  FamilyLayout f;
  f.family = std::move(family);
  f.module_types = std::move(types);
  f.backbone_end = backbone_end;
  f.head_index = static_cast<int>(f.module_types.size()) - 1;
  return f;
}

// The layer lists of Ultralytics' model YAMLs (cfg/models/*/yolo*.yaml).
const FamilyLayout kV8 =
    make("yolov8", {"Conv", "Conv",   "C2f",      "Conv",   "C2f",    "Conv",     "C2f",    "Conv",
                    "C2f",  "SPPF",   "Upsample", "Concat", "C2f",    "Upsample", "Concat", "C2f",
                    "Conv", "Concat", "C2f",      "Conv",   "Concat", "C2f",      "Detect"},
         10);
const FamilyLayout k11 =
    make("yolo11", {"Conv", "Conv", "C3k2",   "Conv",     "C3k2",   "Conv",   "C3k2",     "Conv",
                    "C3k2", "SPPF", "C2PSA",  "Upsample", "Concat", "C3k2",   "Upsample", "Concat",
                    "C3k2", "Conv", "Concat", "C3k2",     "Conv",   "Concat", "C3k2",     "Detect"},
         11);
const FamilyLayout kV5u =
    make("yolov5u",
         {"Conv", "Conv",   "C3",       "Conv",   "C3",     "Conv", "C3",       "Conv",   "C3",
          "SPPF", "Conv",   "Upsample", "Concat", "C3",     "Conv", "Upsample", "Concat", "C3",
          "Conv", "Concat", "C3",       "Conv",   "Concat", "C3",   "Detect"},
         10);
const FamilyLayout kV9ts = make(
    "yolov9", {"Conv",         "Conv",     "ELAN1",        "AConv",        "RepNCSPELAN4", "AConv",
               "RepNCSPELAN4", "AConv",    "RepNCSPELAN4", "SPPELAN",      "Upsample",     "Concat",
               "RepNCSPELAN4", "Upsample", "Concat",       "RepNCSPELAN4", "AConv",        "Concat",
               "RepNCSPELAN4", "AConv",    "Concat",       "RepNCSPELAN4", "Detect"},
    10);
const FamilyLayout kV9ce = make(
    "yolov9", {"Conv",         "Conv",     "RepNCSPELAN4", "ADown",        "RepNCSPELAN4", "ADown",
               "RepNCSPELAN4", "ADown",    "RepNCSPELAN4", "SPPELAN",      "Upsample",     "Concat",
               "RepNCSPELAN4", "Upsample", "Concat",       "RepNCSPELAN4", "ADown",        "Concat",
               "RepNCSPELAN4", "ADown",    "Concat",       "RepNCSPELAN4", "Detect"},
    10);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string family_from_metadata(const Graph& g) {
  auto it = g.metadata.find("description");
  if (it == g.metadata.end()) return {};
  std::string d = lower(it->second);
  if (d.find("yolo11") != std::string::npos) return "yolo11";
  if (d.find("yolov9") != std::string::npos) return "yolov9";
  if (d.find("yolov5") != std::string::npos) return "yolov5u";
  if (d.find("yolov8") != std::string::npos) return "yolov8";
  return {};
}

}  // namespace

const FamilyLayout* family_layout(const std::string& family, const std::string& variant) {
  if (family == "yolov8") return &kV8;
  if (family == "yolo11") return &k11;
  if (family == "yolov5u") return &kV5u;
  if (family == "yolov9") return variant == "ce" ? &kV9ce : &kV9ts;
  return nullptr;
}

int module_index_from_name(const std::string& name) {
  size_t p = name.find("model.");
  if (p == std::string::npos) return -1;
  if (p > 0 && name[p - 1] != '/' && name[p - 1] != '.') return -1;
  size_t q = p + 6;
  int idx = 0, digits = 0;
  while (q < name.size() && std::isdigit(static_cast<unsigned char>(name[q]))) {
    idx = idx * 10 + (name[q++] - '0');
    // No model has a million modules; more digits are not a module index (and would overflow).
    if (++digits > 6) return -1;
  }
  return digits ? idx : -1;
}

void map_yolo_modules(Graph& g) {
  int max_index = -1;
  bool has_matmul = false, has_cv4 = false, has_adown_pool = false;
  for (Node& n : g.nodes) {
    n.module = module_index_from_name(n.name);
    if (n.module < 0) {
      for (int o : n.outputs) {
        if (o >= 0 && n.module < 0)
          n.module = module_index_from_name(g.values[static_cast<size_t>(o)].name);
      }
    }
    max_index = std::max(max_index, n.module);
    has_matmul = has_matmul || n.op == "MatMul";
    has_cv4 = has_cv4 || n.name.find("/cv4/") != std::string::npos;
    has_adown_pool = has_adown_pool || n.op == "AveragePool";
  }
  // Nodes without a name of their own belong to the module of their first indexed input.
  for (Node& n : g.nodes) {
    if (n.module >= 0) continue;
    for (int i : n.inputs) {
      if (i < 0) continue;
      int p = g.values[static_cast<size_t>(i)].producer;
      if (p >= 0 && g.nodes[static_cast<size_t>(p)].module >= 0) {
        n.module = g.nodes[static_cast<size_t>(p)].module;
        break;
      }
    }
  }
  std::string family = family_from_metadata(g);
  if (family.empty() && max_index >= 0) {
    if (max_index == 23 && has_matmul)
      family = "yolo11";
    else if (max_index == 24)
      family = "yolov5u";
    else if (max_index == 22 && has_cv4)
      family = "yolov9";
    else if (max_index == 22)
      family = "yolov8";
  }
  const FamilyLayout* layout = family_layout(family, has_adown_pool ? "ce" : "ts");
  if (layout && max_index != layout->head_index) layout = nullptr;  // not the layout we know
  g.family = layout ? layout->family : "";
  for (Node& n : g.nodes) {
    if (!layout || n.module < 0) {
      n.stage = Stage::kUnknown;
      continue;
    }
    n.module_type = layout->module_types[static_cast<size_t>(n.module)];
    n.stage = n.module < layout->backbone_end ? Stage::kBackbone
              : n.module < layout->head_index ? Stage::kNeck
                                              : Stage::kHead;
  }
}

}  // namespace ys
