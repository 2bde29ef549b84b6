// SVG pictures of the result structs the tables render (--svg FILE): hand-written XML with a
// fixed viewBox equal to the explicit width and height, every text escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsplan/serving/compare.hpp"
#include "dsplan/serving/context_search.hpp"
#include "dsplan/serving/plan.hpp"

namespace dsplan::cli {

/// Text and attribute values for XML: & < > " ' as entities; control characters other than tab
/// and newline (not allowed in XML 1.0) as U+FFFD.
[[nodiscard]] std::string xml_escape(std::string_view text);

/// `estimate`: one stacked horizontal bar per device (weights, KV cache, compute buffer,
/// overhead) against the device's capacity drawn as a line; without hardware, one bar of the
/// scenario's memory. Bars: <rect class="seg weights|kv|buffer|overhead">, the capacity
/// <line class="capacity">, all on one scale starting at x = plot_left.
[[nodiscard]] std::string render_estimate_svg(const PlanResult& r);

/// `estimate --sweep context`: memory per device against context (log2 axis), device limits as
/// horizontal lines; with hardware, a second panel of decode tokens/s.
[[nodiscard]] std::string render_sweep_svg(const std::vector<ContextPoint>& points);

/// `compare`: the model x quant grid, each cell coloured by fits / fits with RAM / does not fit
/// (or n/a, or no hardware given), with its total memory in GiB.
[[nodiscard]] std::string render_compare_svg(const CompareMatrix& m);

}  // namespace dsplan::cli
