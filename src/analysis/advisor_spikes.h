// The advisor's finding for a long run's spikes: their period in wall time and their culprit,
// with the fix the culprit's kind calls for. A function over the spike analysis, called by the
// session beside advise() (which reads the measured window only). Wording and thresholds are in
// docs/ADVISOR.md ("Long runs").
#pragma once

#include <vector>

#include "analysis/advisor.h"
#include "analysis/spike_analysis.h"

namespace ys {

// At most one finding: `spikes.periodic` when the spikes have a period in wall time,
// `spikes.culprit` when they have none but most share a clear culprit; none otherwise.
std::vector<Finding> spike_findings(const SpikeReport& r);

// The fix for a culprit of this kind, with its process and period where known.
std::string spike_fix(const Blame& culprit, const SpikeReport& r);

}  // namespace ys
