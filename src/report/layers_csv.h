// layers.csv: one row per model layer with its times, share, work and memory, for a
// spreadsheet; the figures are summary.json's "layers", unrounded.
#pragma once

#include <string>

#include "analysis/profile_analysis.h"

namespace ys {

std::string layers_csv(const ProfileAnalysis& a);

}  // namespace ys
