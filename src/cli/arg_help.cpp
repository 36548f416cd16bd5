#include <algorithm>

#include "cli/arg_values.h"
#include "cli/args.h"
#include "core/error.h"

namespace ys {
namespace {

std::string shown_default(const ArgSpec& spec) {
  return spec.default_value.empty() ? "''" : std::string(spec.default_value);
}

}  // namespace

std::string help_text() {
  std::string text =
      "Usage: yolo [TASK] MODE [key=value ...]\n"
      "\n"
      "  TASK  detect (optional; YoloScope does detection only)\n"
      "  MODE  predict, export, info, report serve|encrypt|decrypt|upload, benchmark, compare, "
      "help, version or checks\n"
      "  ARGS  key=value pairs overriding the defaults below. Values read as Python literals:\n"
      "        True/False/None, 640, 0.25, [640,480] or 640,480, 'quoted text'.\n"
      "        A bool key alone sets it True: 'yolo predict profile'.\n"
      "\n"
      "Examples:\n"
      "  yolo predict model=yolov8n.onnx source=images/ conf=0.4\n"
      "  yolo predict profile=True device=0 frames=300\n"
      "  yolo export model=yolov8n.yaml format=onnx opset=17\n"
      "  yolo report serve dir=runs/detect/predict/profile port=8080\n"
      "  yolo report decrypt file=runs/detect/predict/profile.ysr out=profile\n"
      "  yolo report upload file=runs/detect/predict/profile.ysr to=s3://bucket/prefix/\n"
      "  yolo benchmark imgsz=320 threads=1 frames=60 out=base.json\n"
      "  yolo compare baseline=base.json current=new.json level=layer format=junit out=perf.xml\n"
      "  yolo compare a=threads=2 b=threads=1 imgsz=320   (A/B in one run)\n"
      "\n"
      "Environment:\n"
      "  PROFILING_ENABLED=true|false overrides profile=\n"
      "  YOLOSCOPE_REPORT_KEY (32 bytes, hex or base64) or YOLOSCOPE_REPORT_PASSPHRASE: the key\n"
      "        of encrypted reports (report_encrypt=, yolo report encrypt|decrypt|serve file=)\n"
      "  YOLOSCOPE_SERVER_TOKEN: the report server's access token (token=)\n"
      "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,\n"
      "        AWS_ENDPOINT_URL: where report_upload= and yolo report upload send reports\n"
      "\n"
      "Arguments:\n";
  size_t key_w = 3, default_w = 7, type_w = 4;
  for (const ArgSpec& spec : kArgSpecs) {
    key_w = std::max(key_w, spec.key.size());
    default_w = std::max(default_w, shown_default(spec).size());
    type_w = std::max(type_w, type_name(spec).size());
  }
  const auto row = [&](std::string_view key, const std::string& def, const std::string& type,
                       std::string_view help) {
    return cat("  ", key, std::string(key_w - key.size() + 2, ' '), def,
               std::string(default_w - def.size() + 2, ' '), type,
               std::string(type_w - type.size() + 2, ' '), help, "\n");
  };
  text += row("key", "default", "type", "description");
  for (const ArgSpec& spec : kArgSpecs)
    text += row(spec.key, shown_default(spec), type_name(spec), spec.help);
  return text;
}

std::string args_markdown_table() {
  const auto cell = [](std::string_view s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string table = "| key | default | type | description |\n|---|---|---|---|\n";
  for (const ArgSpec& spec : kArgSpecs)
    table += cat("| `", spec.key, "` | `", cell(shown_default(spec)), "` | ", cell(type_name(spec)),
                 " | ", cell(spec.help), " |\n");
  return table;
}

}  // namespace ys
