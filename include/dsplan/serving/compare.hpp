// Compare: every model x a set of quant formats on one hardware, the matrix people look for first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dsplan/serving/plan.hpp"

namespace dsplan {

/// Stands for each model's published format in a quant list.
inline constexpr const char* k_native_quant = "native";

struct CompareRequest {
  std::vector<std::string> models;  ///< empty = every catalog model
  std::vector<std::string> quants = {"q4_k_m", "q6_k", "q8_0", k_native_quant};
  std::string engine;               ///< empty = each format's first engine
  PlanRequest base;                 ///< context, batch, hardware, layout and cost for every cell
  bool context_max = false;         ///< each cell at the largest context that fits (find_max_context)
  bool kv_auto = false;             ///< ... trying the engine's smaller cache types too
  double headroom = k_default_headroom;  ///< ... leaving this share of each device free
};

struct CompareCell {
  std::string quant;                ///< the format id used (native resolved)
  bool applicable = true;           ///< false: the engine cannot load this format for this model
  std::string why_not;
  Bytes memory;                     ///< the scenario's total
  std::optional<bool> fits;         ///< with hardware: the layout fits (RAM not given is not checked: needs_ram)
  std::string unsupported;          ///< the engine cannot run the model on these GPUs (Layout::unsupported)
  std::uint64_t context = 0;        ///< tokens per sequence planned: the request's, capped at the model's window
  bool context_capped = false;      ///< the request asked for more than the model's window
  std::string kv_type;              ///< the KV cache type planned (--kv-type auto chooses per cell)
  std::optional<std::uint64_t> gpus;  ///< GPUs in the plan (--count auto chooses per cell)
  std::optional<Bytes> needs_ram;   ///< system RAM the layout keeps layers in that --ram did not give (PlanResult)
  std::optional<double> decode_tokens_per_s;
  /// Per sequence with the other requests' prefills between its decode steps (= decode at batch 1):
  /// what the table shows and check --min-tps gates on.
  std::optional<double> served_decode_tokens_per_s;
  std::optional<SpeedRange> served_band;  ///< around served_decode_tokens_per_s
  bool uses_ram = false;            ///< layers or experts kept in system RAM
  std::optional<std::uint64_t> max_context;  ///< with context_max: the answer (0 when nothing fits)
  std::string engine;
};

struct CompareRow {
  const ModelSpec* model = nullptr;
  std::vector<CompareCell> cells;   ///< one per requested quant, in order
};

struct CompareMatrix {
  std::vector<std::string> quants;  ///< column headers as requested
  std::vector<CompareRow> rows;
  std::optional<Hardware> hardware;
  std::uint64_t batch = 1;  ///< sequences in flight in every cell
  bool count_auto = false;  ///< --count auto: each cell's own GPU count
  bool kv_auto = false;     ///< --kv-type auto: each cell's own cache type
};

/// Throws InputError for unknown names; a cell the engine cannot run is marked, not thrown.
[[nodiscard]] CompareMatrix compare(const Catalog& catalog, const CompareRequest& request);

}  // namespace dsplan
