// The live dashboard: one self-contained HTML page (styles and scripts inline, no other request
// but its own polls of live.json), built from src/report/assets/dashboard.html at configure time.
// It looks like report.html because it is made of the same stylesheet and chart code.
#pragma once

#include <string_view>

namespace ys {

std::string_view live_dashboard_page();

}  // namespace ys
