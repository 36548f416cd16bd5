#include "report/layers_csv.h"

#include <sstream>

namespace ys {

std::string layers_csv(const ProfileAnalysis& a) {
  std::ostringstream os;
  os << "id,label,type,stage,ops,median_ms,p90_ms,p99_ms,share_pct,flops,params,output_shape,"
        "activation_bytes,"
        "gflops_per_s,gb_per_s,live_bytes_after\n";
  for (const auto& l : a.layers) {
    std::string shape;
    for (size_t i = 0; i < l.output_shape.size(); ++i)
      shape += (i ? "x" : "") + std::to_string(l.output_shape[i]);
    os << l.id << ',' << '"' << l.label << '"' << ',' << l.type << ',' << stage_name(l.stage) << ','
       << l.steps.size() << ',' << l.ms.median << ',' << l.ms.p90 << ',' << l.ms.p99 << ','
       << l.share_pct << ',' << l.flops << ',' << l.params << ',' << shape << ','
       << l.activation_bytes << ',' << l.gflops_per_s << ',' << l.gb_per_s << ','
       << l.live_bytes_after << '\n';
  }
  return os.str();
}

}  // namespace ys
