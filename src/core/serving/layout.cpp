// Placement of a model on devices: llama.cpp's layer split (with optional expert offload) and
// vLLM/SGLang tensor + pipeline parallelism, with per-device bytes and a fit verdict.
#include "dsplan/serving/layout.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan {

std::string_view strategy_name(LayoutStrategy s) {
  switch (s) {
    case LayoutStrategy::layer_split: return "layer_split";
    case LayoutStrategy::expert_offload: return "expert_offload";
    case LayoutStrategy::tensor_parallel: return "tensor_parallel";
    case LayoutStrategy::cpu_only: return "cpu_only";
  }
  throw InternalError("unnamed layout strategy");
}

std::array<bool, k_group_count> replicated_groups(const EngineSpec& e, bool dp_attention) {
  std::array<bool, k_group_count> out{};
  out[static_cast<std::size_t>(TensorGroup::norms)] = true;
  out[static_cast<std::size_t>(TensorGroup::router)] = true;
  if (dp_attention)
    for (std::size_t g = 0; g < k_group_count; ++g)
      for (const auto& name : e.dp_attention_replicated) out[g] = out[g] || group_name(k_all_groups[g]) == name;
  return out;
}

namespace {

std::string gib_text(Bytes b) { return fmt::format("{:.2f} GiB", b.gib()); }

/// "GPU3 NVIDIA GeForce RTX 4090". Built by hand, not with fmt: a search names thousands of devices.
void name_placement(DevicePlacement& p, const Device& d, std::size_t index) {
  p.name.reserve(d.name.size() + 8);
  p.name.append("GPU").append(std::to_string(index)).append(" ").append(d.name);
}

/// GPU `index` before anything is placed on it, not yet named (see name_placement).
DevicePlacement unnamed_placement(const Device& d) {
  DevicePlacement p;
  p.id = d.id;
  p.device_class = d.device_class;
  p.software_stack = d.software_stack;
  p.capacity = d.memory;
  return p;
}

DevicePlacement placement_for(const Device& d, std::size_t index) {
  DevicePlacement p = unnamed_placement(d);
  name_placement(p, d, index);
  return p;
}

const char* const k_cpu_placement_name = "CPU (system RAM)";

/// Names a layer split's devices once it is chosen: the searches for -ngl and --n-cpu-moe try
/// several splits of the same hardware, and only the one kept is shown.
void name_split(Layout& l, const Hardware& hw) {
  for (std::size_t i = 0; i < l.gpus.size(); ++i) name_placement(l.gpus[i], hw.gpus[i], i);
  l.cpu.name = k_cpu_placement_name;
  l.cpu.id = hw.host.cpu;
}

void finish(DevicePlacement& p) {
  p.total = p.weights + p.kv_cache + p.compute_buffer + p.overhead;
  p.fits = p.capacity.count() == 0 || p.total <= p.capacity;
}

// ---- llama.cpp-style layer split ---------------------------------------------------------

/// Running sums of the blocks' bytes: blocks [b0, b1) add as one difference, so a trial split
/// (the -ngl and --n-cpu-moe searches try several per placement) costs a step per device, not per block.
struct BlockSums {
  std::vector<Bytes> memory;  ///< memory[b]: blocks [0, b) in memory (QuantizedModel::block_memory)
  std::vector<Bytes> routed;  ///< routed[b]: their routed experts

  explicit BlockSums(const QuantizedModel& q) : memory(q.block_bytes.size() + 1), routed(q.block_bytes.size() + 1) {
    for (std::size_t b = 0; b < q.block_bytes.size(); ++b) {
      memory[b + 1] = memory[b] + q.block_memory(b);
      routed[b + 1] = routed[b] + q.block_routed_bytes(b);
    }
  }
  [[nodiscard]] Bytes memory_of(std::uint64_t b0, std::uint64_t b1) const {
    return Bytes(memory[b1].count() - memory[b0].count());
  }
  [[nodiscard]] Bytes routed_of(std::uint64_t b0, std::uint64_t b1) const {
    return Bytes(routed[b1].count() - routed[b0].count());
  }
};

struct SplitInputs {
  const QuantizedModel& q;
  const BlockSums& sums;
  const RuntimeMemory& runtime;
  Bytes kv_per_layer;
  Bytes skipped_blocks_kv;  ///< cache of the file's skipped blocks (V3.2's MTP block), next to the output layer
  std::uint64_t layers;
  std::uint64_t experts_in_ram_blocks;  ///< blocks [0, n) keep their routed experts in RAM
  bool output_first = true;             ///< -ngl counts the output layer first (llama.cpp PR #18148)
  const std::vector<double>* tensor_split = nullptr;  ///< -ts shares; null or empty: free memory
  /// Tied embeddings: llama.cpp makes the output layer from token_embd (TENSOR_DUPLICATED), and
  /// loads a second copy where the output layer's buffer is not the embedding's (a GPU).
  Bytes tied_output_on_gpu;
};

/// Each GPU's cumulative share of the offloaded layers, normalised to end at 1, in single
/// precision as llama.cpp computes them: -ts when given, else free memory.
std::vector<float> cumulative_shares(const SplitInputs& in, const Hardware& hw) {
  std::vector<float> shares(hw.gpus.size(), 0.0F);
  const bool given = in.tensor_split != nullptr && !in.tensor_split->empty();
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (given) {
      shares[i] = i < in.tensor_split->size() ? static_cast<float>((*in.tensor_split)[i]) : 0.0F;
      continue;
    }
    shares[i] = static_cast<float>(std::max(
        0.0, static_cast<double>(hw.gpus[i].memory.count()) - static_cast<double>(in.runtime.overhead.count())));
  }
  float sum = 0.0F;
  for (auto& x : shares) x = (sum += x);
  if (sum > 0.0F)
    for (auto& x : shares) x /= sum;
  return shares;
}

/// llama.cpp llama_model::load_tensors: the blocks and the output layer are n_layer + 1 slots, and
/// -ngl N puts the last N of them on GPUs (current builds; before PR #18148 the last N blocks, the
/// output layer only with N = n_layer + 1). Slot i goes to the first GPU whose cumulative share
/// passes (i - first slot on GPUs) / (slots on GPUs). The devices come back unnamed (name_split).
Layout split_layers(const SplitInputs& in, const Hardware& hw, std::uint64_t gpu_layers) {
  Layout layout;
  layout.strategy = in.experts_in_ram_blocks > 0 ? LayoutStrategy::expert_offload : LayoutStrategy::layer_split;
  layout.experts_in_ram_blocks = in.experts_in_ram_blocks;
  layout.gpu_layers = gpu_layers;
  const std::uint64_t slots = in.layers + 1;
  const std::uint64_t on_gpu = hw.gpus.empty() ? 0 : std::min(gpu_layers, slots);
  const std::uint64_t first_gpu_slot =
      (in.output_first ? slots : in.layers) - std::min(gpu_layers, in.output_first ? slots : in.layers);
  const auto slot_on_gpu = [&](std::uint64_t slot) { return slot >= first_gpu_slot && slot - first_gpu_slot < on_gpu; };
  const Bytes output = Bytes(in.q.globals.count() - in.q.embedding.count());

  const std::vector<float> cumulative = cumulative_shares(in, hw);
  layout.gpus.reserve(hw.gpus.size());
  for (const Device& d : hw.gpus) layout.gpus.push_back(unnamed_placement(d));
  // The first device whose cumulative share passes f. Slots are placed in increasing order, so f
  // only grows and the device is found by moving a cursor forward, not by a search per slot.
  std::size_t cursor = 0;
  const auto device_of = [&](std::uint64_t slot) {
    const float f = static_cast<float>(slot - first_gpu_slot) / static_cast<float>(on_gpu);
    while (cursor + 1 < cumulative.size() && !(cumulative[cursor] > f)) ++cursor;
    return cursor;
  };

  DevicePlacement& cpu = layout.cpu;  // named with the GPUs by name_split
  cpu.device_class = DeviceClass::cpu;
  cpu.capacity = hw.host.ram.value_or(Bytes(0));
  cpu.embedding = true;
  cpu.weights = in.q.embedding;
  // The blocks on GPUs are one run, [gpu_begin, gpu_end); the CPU runs the others.
  const std::uint64_t gpu_begin = std::min(first_gpu_slot, in.layers);
  const std::uint64_t gpu_end =
      on_gpu == 0 ? gpu_begin : std::max(gpu_begin, std::min(in.layers, first_gpu_slot + on_gpu));
  const std::uint64_t cpu_blocks = in.layers - (gpu_end - gpu_begin);
  cpu.weights += in.sums.memory_of(0, gpu_begin) + in.sums.memory_of(gpu_end, in.layers);
  cpu.kv_cache += in.kv_per_layer * cpu_blocks;
  cpu.layers += cpu_blocks;
  // Each GPU takes a run of them; device_of never moves past the last GPU, which takes the rest.
  for (std::uint64_t b = gpu_begin; b < gpu_end;) {
    const std::size_t d = device_of(b);
    std::uint64_t end = b + 1;
    if (d + 1 == layout.gpus.size()) end = gpu_end;
    while (end < gpu_end && device_of(end) == d) ++end;
    DevicePlacement& g = layout.gpus[d];
    if (g.layers == 0) g.first_layer = b;
    g.layers += end - b;
    // Blocks [0, experts_in_ram_blocks) keep their routed experts in RAM.
    const Bytes routed_in_ram = in.sums.routed_of(b, std::max(b, std::min(end, in.experts_in_ram_blocks)));
    g.weights += Bytes(in.sums.memory_of(b, end).count() - routed_in_ram.count());
    g.kv_cache += in.kv_per_layer * (end - b);
    cpu.weights += routed_in_ram;
    cpu.routed_experts = cpu.routed_experts || routed_in_ram.count() > 0;
    b = end;
  }
  if (slot_on_gpu(in.layers)) {
    DevicePlacement& g = layout.gpus[device_of(in.layers)];
    g.output_head = true;
    g.weights += output + in.tied_output_on_gpu;
    g.kv_cache += in.skipped_blocks_kv;
  } else {
    cpu.output_head = true;
    cpu.weights += output;
    cpu.kv_cache += in.skipped_blocks_kv;
  }
  for (auto& g : layout.gpus) {
    if (g.layers == 0 && !g.output_head) continue;
    g.overhead = in.runtime.overhead;
    g.compute_buffer = g.output_head ? in.runtime.compute_buffer : in.runtime.layer_buffer;
  }
  // The CPU backend gets its own compute buffer when it runs layers, experts or the output.
  if (cpu.layers > 0 || cpu.routed_experts || cpu.output_head)
    cpu.compute_buffer = cpu.output_head ? in.runtime.compute_buffer : in.runtime.layer_buffer;
  for (auto& g : layout.gpus) finish(g);
  finish(cpu);
  return layout;
}

/// One reason per run of identical GPUs over capacity ("GPU0-7 NVIDIA H100 SXM5 80 GB needs ..."),
/// not one line per card. `text(label, placement)` words it.
template <typename Text>
void add_over_capacity_reasons(Layout& l, Text text) {
  const auto same = [](const DevicePlacement& x, const DevicePlacement& y) {
    return x.id == y.id && x.total == y.total && x.capacity == y.capacity && x.fits == y.fits;
  };
  for (std::size_t i = 0; i < l.gpus.size();) {
    std::size_t j = i + 1;
    while (j < l.gpus.size() && same(l.gpus[i], l.gpus[j])) ++j;
    const DevicePlacement& g = l.gpus[i];
    if (!g.fits) {
      const std::string label =
          j - i == 1 ? g.name : fmt::format("GPU{}-{}{}", i, j - 1, g.name.substr(std::min(g.name.find(' '), g.name.size())));
      l.reasons.push_back(text(j - i == 1 ? label : label + " each", g));
    }
    i = j;
  }
}

/// What each GPU keeps free where dsplan chooses the split: a share of it and a fixed margin.
struct Reserve {
  double share = 0;
  Bytes margin;
};

/// The GPU holds its placement with `keep` of it left free (its fit, at none).
bool keeps_free(const DevicePlacement& p, Reserve keep) {
  return p.fits &&
         static_cast<double>(p.total.count()) <=
             (1.0 - keep.share) * static_cast<double>(p.capacity.count()) - static_cast<double>(keep.margin.count());
}

/// Every GPU holds its share with `keep` of it left free.
bool gpus_hold(const Layout& l, Reserve keep) {
  return std::all_of(l.gpus.begin(), l.gpus.end(), [&](const DevicePlacement& p) { return keeps_free(p, keep); });
}

bool gpus_fit(const Layout& l) {
  return std::all_of(l.gpus.begin(), l.gpus.end(), [](const DevicePlacement& p) { return p.fits; });
}

/// Several GPUs and no -ts: the slots each GPU takes when each in turn holds as many as fit (the
/// longest run for GPU0, then GPU1, ...), as llama.cpp's --fit fills the devices. Splitting by free
/// memory instead counts slots, not bytes: with the first blocks' experts in RAM, their light slots
/// spread over the first GPUs and the heavy ones pile onto the last. Empty when the last GPU cannot
/// hold what is left.
std::vector<double> filled_split(SplitInputs in, const Hardware& hw, std::uint64_t gpu_layers, Reserve keep) {
  std::vector<double> counts(hw.gpus.size(), 0.0);
  in.tensor_split = &counts;
  std::uint64_t left = std::min(gpu_layers, in.layers + 1);
  for (std::size_t k = 0; k + 1 < counts.size() && left > 0; ++k) {
    // The most slots GPU k holds, the rest going to the next GPU (which does not change GPU k's share).
    const auto holds = [&](std::uint64_t c) {
      counts[k] = static_cast<double>(c);
      counts[k + 1] = static_cast<double>(left - c);
      const Layout trial = split_layers(in, hw, gpu_layers);  // kept: g refers into it
      return keeps_free(trial.gpus[k], keep);
    };
    std::uint64_t lo = 0, hi = left + 1;  // lo holds (no slot always does), hi does not
    while (hi - lo > 1) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      (holds(mid) ? lo : hi) = mid;
    }
    counts[k] = static_cast<double>(lo);
    counts[k + 1] = 0.0;
    left -= lo;
  }
  counts.back() += static_cast<double>(left);
  if (!gpus_hold(split_layers(in, hw, gpu_layers), keep)) return {};
  return counts;
}

/// --n-cpu-moe auto: the fewest blocks, from the first, whose routed experts must stay in RAM for
/// the GPUs to hold `gpu_layers` (`fits(n)`). More experts in RAM never need more GPU memory, so a
/// binary search; all of them when even that is not enough (then fewer blocks go to the GPUs).
template <typename Fits>
std::uint64_t fewest_experts_in_ram(std::uint64_t layers, Fits fits) {
  if (fits(0)) return 0;
  if (!fits(layers)) return layers;
  std::uint64_t lo = 0, hi = layers;  // lo does not fit, hi fits
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? hi : lo) = mid;
  }
  return hi;
}

/// Whether the engine build counts the output layer first in -ngl (llama.cpp PR #18148).
bool output_layer_first(const ResolvedScenario& s) {
  const std::string& since = s.engine->output_layer_first_since;
  return !since.empty() && (s.build_date.empty() || s.build_date >= since);
}

/// -ts: one non-negative share per GPU at most, not all 0.
void check_tensor_split(const std::vector<double>& split, const Hardware& hw) {
  if (split.empty()) return;
  if (hw.gpus.empty())
    throw InputError("%tensor_split% shares layers between GPUs (%gpu%, %gpus% or %vram%); none are given");
  if (split.size() > hw.gpus.size())
    throw InputError(fmt::format("%tensor_split% has {} shares for {} {}", split.size(), hw.gpus.size(),
                                 plural(hw.gpus.size(), "GPU", "GPUs")));
  for (const double x : split)
    if (!std::isfinite(x) || x < 0)
      throw InputError(fmt::format("%tensor_split%: share {} is not a number of 0 or more", x));
  if (std::all_of(split.begin(), split.end(), [](double x) { return x == 0; }))
    throw InputError("%tensor_split%: every share is 0; leave it out to split by free memory");
}

Layout plan_layer_split(const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw,
                        const LayoutRequest& r) {
  const std::uint64_t layers = m.weights.block_bytes.size();
  if (r.offload_experts && !s.model->arch.is_moe())
    throw InputError("%offload_experts% needs a mixture-of-experts model; " + s.model->name + " is dense");
  if (r.gpu_layers && *r.gpu_layers > 0 && hw.gpus.empty())
    throw InputError(fmt::format("%gpu_layers% {} needs GPUs (%gpu%, %gpus% or %vram%); without them every block "
                                 "runs on the CPU",
                                 *r.gpu_layers));
  // llama.cpp's -ngl also counts a file's skipped blocks (V3.2's MTP block), next to the output layer.
  const std::uint64_t skipped = skipped_file_blocks(s.model->arch, s.layout);
  if (r.gpu_layers && *r.gpu_layers > layers + 1 + skipped)
    throw InputError(fmt::format("%gpu_layers%: {} has {} blocks + {}the output layer, so at most {}", s.model->name,
                                 layers, skipped > 0 ? fmt::format("{} skipped MTP block(s) + ", skipped) : "",
                                 layers + 1 + skipped));
  std::optional<std::uint64_t> gpu_layers = r.gpu_layers;
  if (gpu_layers && *gpu_layers > 1) gpu_layers = std::max<std::uint64_t>(1, *gpu_layers - skipped);
  const bool n_cpu_moe = r.n_cpu_moe || r.n_cpu_moe_auto;
  if ((n_cpu_moe || r.offload_experts) && !s.engine->experts_in_ram)
    throw InputError(
        fmt::format("{}: {} places whole layers only and keeps no routed experts in RAM apart from "
                    "their blocks; give %gpu_layers%, or run the file on llama.cpp",
                    r.offload_experts ? "%offload_experts%" : "%n_cpu_moe%", s.engine->name));
  if (n_cpu_moe && r.offload_experts)
    throw InputError("%offload_experts% keeps every block's routed experts in RAM and %n_cpu_moe% the first N "
                     "blocks'; give one");
  if (n_cpu_moe && !s.model->arch.is_moe())
    throw InputError("%n_cpu_moe% needs a mixture-of-experts model; " + s.model->name + " is dense");
  if (n_cpu_moe && hw.gpus.empty())
    throw InputError("%n_cpu_moe% places experts on GPUs (%gpu%, %gpus% or %vram%); without them every block runs "
                     "on the CPU");
  if (r.n_cpu_moe && (*r.n_cpu_moe == 0 || *r.n_cpu_moe > layers))
    throw InputError(fmt::format("%n_cpu_moe%: {} has {} blocks, so 1 to {} (all of them: %offload_experts%)",
                                 s.model->name, layers, layers));
  check_tensor_split(r.tensor_split, hw);
  const Bytes kv_per_layer(m.kv.total.count() / m.kv.layers);
  const BlockSums sums(m.weights);
  SplitInputs in{m.weights,
                 sums,
                 m.runtime,
                 kv_per_layer,
                 Bytes(kv_per_layer.count() * (m.kv.layers - std::min(m.kv.layers, layers))),
                 layers,
                 r.offload_experts ? layers : r.n_cpu_moe.value_or(0),
                 output_layer_first(s),
                 &r.tensor_split,
                 s.model->arch.tie_word_embeddings ? m.weights.embedding : Bytes(0)};
  // Headroom is kept by moving weights to system RAM, so only where there is RAM to move them to.
  const Reserve keep = hw.host.ram ? Reserve{r.headroom, r.fit_margin} : Reserve{};
  std::vector<double> filled;  // the -ts of a filled split, when dsplan chooses it
  if (r.n_cpu_moe_auto) {
    const std::uint64_t slots = gpu_layers.value_or(layers + 1);
    const bool fill = hw.gpus.size() > 1 && r.tensor_split.empty();
    SplitInputs trial = in;
    in.experts_in_ram_blocks = fewest_experts_in_ram(layers, [&](std::uint64_t n) {
      trial.experts_in_ram_blocks = n;
      return fill ? !filled_split(trial, hw, slots, keep).empty() : gpus_hold(split_layers(trial, hw, slots), keep);
    });
    if (fill) filled = filled_split(in, hw, slots, keep);
    if (!filled.empty()) in.tensor_split = &filled;
  }
  const std::uint64_t experts_in_ram_blocks = in.experts_in_ram_blocks;
  Layout layout;
  if (gpu_layers) {
    layout = split_layers(in, hw, *gpu_layers);
  } else {
    // As many blocks on the GPUs as fit (llama.cpp's -ngl 99, or --fit moving blocks to RAM).
    // Fewer blocks on the GPUs never need more GPU memory, so a binary search finds the most that
    // fit in log2(blocks) placements instead of one per block (recommend places thousands).
    const std::uint64_t top = hw.gpus.empty() ? 0 : layers + 1;
    layout = split_layers(in, hw, top);
    if (top > 0 && !gpus_hold(layout, keep)) {
      std::uint64_t lo = 0, hi = top;  // hi does not fit; lo fits or is 0
      while (hi - lo > 1) {
        const std::uint64_t mid = lo + (hi - lo) / 2;
        (gpus_hold(split_layers(in, hw, mid), keep) ? lo : hi) = mid;
      }
      layout = split_layers(in, hw, lo);
    }
  }
  name_split(layout, hw);
  if (layout.gpu_layers == 0 && experts_in_ram_blocks == 0) layout.strategy = LayoutStrategy::cpu_only;
  const bool all_on_gpu = layout.gpu_layers == layers + 1;
  layout.fits = gpus_fit(layout) && layout.cpu.fits;
  add_over_capacity_reasons(layout, [](const std::string& label, const DevicePlacement& g) {
    return fmt::format("{} needs {} but has {}", label, gib_text(g.total), gib_text(g.capacity));
  });
  if (!layout.cpu.fits)
    layout.reasons.push_back(
        hw.host.ram_is_unified_rest
            // The system's share of a unified memory is what the GPU does not take, not a --ram of the user's.
            ? fmt::format("system RAM needs {} but the system keeps {} of {}'s memory (what its GPU does not "
                          "take; %gpu_usable% sets the GPU's share)",
                          gib_text(layout.cpu.total), gib_text(layout.cpu.capacity), hw.gpus.front().name)
            : fmt::format("system RAM needs {} but %ram% is {}", gib_text(layout.cpu.total),
                          gib_text(layout.cpu.capacity)));
  if (!all_on_gpu && !hw.gpus.empty())
    layout.reasons.push_back(layout.cpu.layers == 0
                                 ? std::string("the output layer runs on the CPU")
                                 : fmt::format("{} of {} blocks{} run on the CPU", layout.cpu.layers, layers,
                                               layout.cpu.output_head ? " and the output layer" : ""));
  if (!hw.host.ram && (layout.cpu.layers > 0 || layout.cpu.routed_experts))
    layout.reasons.push_back(fmt::format("system RAM not given (%ram%): the CPU side needs {}", gib_text(layout.cpu.total)));
  return layout;
}

// ---- vLLM/SGLang tensor + pipeline parallelism -------------------------------------------

/// Without --tp or --pp: a node's GPUs in one tensor-parallel group, or the largest group that
/// divides both them and the model's heads (12 heads on 8 GPUs: TP 4, the rest pipeline stages).
std::uint64_t default_tensor_parallel(const ModelArch& a, const Hardware& hw) {
  const std::uint64_t per_node = hw.gpus.size();
  for (std::uint64_t tp = per_node; tp > 1; --tp)
    if (per_node % tp == 0 && tensor_parallel_violation(a, tp).empty()) return tp;
  return 1;
}

/// Bytes of block `b` in the groups `replicated` marks.
double replicated_bytes(const QuantizedModel& q, std::size_t b, const std::array<bool, k_group_count>& replicated) {
  double bytes = 0;
  for (std::size_t g = 0; g < k_group_count; ++g)
    if (replicated[g]) bytes += static_cast<double>(q.block_group_bytes[b][g].count());
  return bytes;
}

/// --dp-attention: the engine must offer it, within one pipeline stage.
std::uint64_t attention_ranks(const ResolvedScenario& s, const LayoutRequest& r, std::uint64_t tp, std::uint64_t pp) {
  if (!r.dp_attention) return 1;
  if (s.engine->dp_attention_replicated.empty())
    throw InputError("%dp_attention%: " + s.engine->name + " has no data-parallel attention (vLLM and SGLang do)");
  // Ranks that split the attention but share sharded experts: with no experts, whole replicas.
  if (!s.model->arch.is_moe())
    throw InputError(
        "%dp_attention% shards a mixture-of-experts model's experts across ranks that each attend to their "
        "own requests; " +
        s.model->name + " is dense, so that is whole replicas: %users% plans them");
  if (pp > 1)
    throw InputError(
        fmt::format("%dp_attention%: data-parallel attention spans one tensor-parallel group; drop "
                    "%pp% {} (the default puts all {} GPUs in one group)",
                    pp, tp * pp));
  return tp;
}

Layout plan_tensor_parallel(const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw,
                            const LayoutRequest& r) {
  Layout layout;
  layout.strategy = LayoutStrategy::tensor_parallel;
  const ModelArch& a = s.model->arch;
  if (auto refusal = tensor_parallel_refusal(s.engine->name, hw)) {
    layout.reasons.push_back(std::move(*refusal));
    return layout;
  }
  const std::uint64_t gpus = hw.gpu_count();
  // Data-parallel attention spans one TP group, across nodes too (SGLang --tp 16 --dp 16 on two).
  const std::uint64_t tp = r.tensor_parallel.value_or(
      r.pipeline_parallel ? gpus / *r.pipeline_parallel : (r.dp_attention ? gpus : default_tensor_parallel(a, hw)));
  const std::uint64_t pp = r.pipeline_parallel.value_or(tp == 0 ? 0 : gpus / tp);
  layout.tensor_parallel = tp;
  layout.pipeline_parallel = pp;
  // A split the user asked for that cannot exist is an input error; a default one that cannot is a
  // reason the hardware does not fit.
  const bool asked = r.tensor_parallel.has_value() || r.pipeline_parallel.has_value();
  if (tp == 0 || pp == 0 || tp * pp != gpus) {
    // One of the two asked for: it must divide the GPUs (the other is the quotient).
    const bool only_pp = r.pipeline_parallel && !r.tensor_parallel;
    const std::string why =
        asked && !(r.tensor_parallel && r.pipeline_parallel)
            ? fmt::format("{} {} does not divide the {} GPUs", only_pp ? "pipeline parallel" : "tensor parallel",
                          only_pp ? *r.pipeline_parallel : tp, gpus)
            : fmt::format("tensor parallel {} x pipeline parallel {} must equal the {} GPUs", tp, pp, gpus);
    if (asked) throw InputError("%tp%/%pp%: " + why);
    layout.reasons.push_back(why);
    return layout;
  }
  const std::uint64_t dp = attention_ranks(s, r, tp, pp);
  layout.attention_data_parallel = dp;
  // Data-parallel attention does not shard the heads.
  // Reasons memory cannot help with are the layout's `unsupported` too: compare says "cannot run",
  // not a memory figure, and estimate names them first.
  const auto cannot_run = [&](const std::string& why) {
    layout.reasons.push_back(why);
    if (layout.unsupported.empty()) layout.unsupported = why;
  };
  if (const auto why = dp > 1 ? std::string() : tensor_parallel_violation(a, tp); !why.empty()) {
    if (r.tensor_parallel) throw InputError("%tp%: " + why);
    cannot_run(why);
  }
  if (!hw.homogeneous()) cannot_run(s.engine->name + " shards layers evenly: it needs identical GPUs");
  const std::uint64_t layers = m.weights.block_bytes.size();
  if (pp > layers) layout.reasons.push_back(fmt::format("{} pipeline stages for {} blocks", pp, layers));
  if (!layout.reasons.empty()) return layout;

  const double util = r.gpu_memory_utilization.value_or(s.engine->gpu_memory_utilization);
  const auto replicated = replicated_groups(*s.engine, dp > 1);
  const auto whole = [&](TensorGroup g) {
    return replicated[static_cast<std::size_t>(g)] ? 1.0 : 1.0 / static_cast<double>(tp);
  };
  const Bytes output = Bytes(m.weights.globals.count() - m.weights.embedding.count());
  // With data-parallel attention each rank caches every head of its own sequences.
  const double kv_share = dp > 1 ? 1.0 : attention_of(a).kv_share(a, tp);
  const KvCacheSize& kv = m.kv;
  const std::uint64_t rank_cells = dp > 1 ? ceil_div(s.batch, dp) * kv.cells_per_sequence : kv.cells;
  const double kv_per_token_layer = static_cast<double>(kv.bytes_per_token.count()) / static_cast<double>(kv.layers);
  const RuntimeMemory rank_runtime =
      estimate_runtime(a, *s.engine, kv, {s.ubatch, s.batch, s.flash_attention, tp});

  std::uint64_t pool_tokens = UINT64_MAX;
  std::uint64_t first = 0;
  for (std::uint64_t stage = 0; stage < pp; ++stage) {
    const std::uint64_t count = layers / pp + (stage < layers % pp ? 1 : 0);
    double weights = 0;
    for (std::uint64_t b = first; b < first + count; ++b) {
      const double block = static_cast<double>(m.weights.block_bytes[b].count());
      const double whole_bytes = replicated_bytes(m.weights, b, replicated);
      weights += (block - whole_bytes) / static_cast<double>(tp) + whole_bytes;
    }
    if (stage == 0) weights += static_cast<double>(m.weights.embedding.count()) * whole(TensorGroup::embeddings);
    // The last stage also holds what runs after the blocks: the head, and the MTP module (with
    // its layer's cache) when it drafts (--mtp; its bytes are in weights_loaded then).
    const bool last = stage + 1 == pp;
    const Bytes mtp = s.speculative_tokens > 0 ? m.weights.mtp : Bytes(0);
    if (last) weights += static_cast<double>((output + mtp).count()) * whole(TensorGroup::output_head);
    const std::uint64_t cached_layers = count + (last ? kv.layers - layers : 0);
    const double kv_per_token = kv_per_token_layer * kv_share * static_cast<double>(cached_layers);
    for (std::uint64_t rank = 0; rank < tp; ++rank) {
      const std::size_t index = stage * tp + rank;
      DevicePlacement p = placement_for(hw.gpus[index % hw.gpus.size()], index);
      p.stage = stage;
      p.first_layer = first;
      p.layers = count;
      p.embedding = stage == 0;
      p.output_head = stage + 1 == pp;
      p.weights = Bytes(checked_ceil(weights, "weights per GPU"));
      p.kv_cache = Bytes(checked_ceil(kv_per_token * static_cast<double>(rank_cells), "KV cache per GPU"));
      p.compute_buffer = rank_runtime.compute_buffer;
      p.overhead = rank_runtime.overhead;
      p.capacity = Bytes(static_cast<std::uint64_t>(static_cast<double>(p.capacity.count()) * util));
      finish(p);
      const double free = static_cast<double>(p.capacity.count()) -
                          static_cast<double>((p.weights + p.compute_buffer + p.overhead).count());
      if (rank == 0) {
        if (free <= 0) pool_tokens = 0;
        else pool_tokens = std::min(pool_tokens, checked_floor(free / kv_per_token, "KV pool tokens"));
        if (stage == 0) layout.kv_pool_per_gpu = Bytes(checked_floor(free, "KV pool"));
      }
      layout.gpus.push_back(p);
    }
    first += count;
  }
  // Each data-parallel rank has its own pool and holds whole sequences.
  const std::uint64_t rank_pool = pool_tokens == UINT64_MAX ? 0 : pool_tokens;
  layout.kv_pool_tokens = rank_pool * dp;
  layout.max_sequences = kv.cells_per_sequence == 0 ? 0 : rank_pool / kv.cells_per_sequence * dp;
  layout.gpu_layers = layers + 1;
  layout.cpu.name = k_cpu_placement_name;
  layout.cpu.device_class = DeviceClass::cpu;
  layout.fits = gpus_fit(layout) && rank_pool >= rank_cells;
  add_over_capacity_reasons(layout, [util](const std::string& label, const DevicePlacement& g) {
    return fmt::format("{} needs {} of the {} that {:.0f}% of it leaves", label, gib_text(g.total), gib_text(g.capacity),
                       util * 100);
  });
  if (rank_pool < rank_cells && gpus_fit(layout))
    layout.reasons.push_back(
        dp > 1 ? fmt::format("each data-parallel rank's KV pool holds {} tokens; {} of the {} sequences of {} need {}",
                             rank_pool, ceil_div(s.batch, dp), s.batch, kv.cells_per_sequence, rank_cells)
               : fmt::format("the KV pool holds {} tokens; {} sequences of {} need {}", layout.kv_pool_tokens, s.batch,
                             kv.cells_per_sequence, kv.cells));
  return layout;
}

}  // namespace

namespace {

/// The architecture a GPU of the catalog reports; a generic card's is the card it is modelled on.
std::string gpu_architecture(const Catalog& cat, const Device& d) {
  if (const GpuSpec* spec = cat.gpu_by_id(d.id)) return spec->architecture;
  if (const GpuSpec* like = cat.gpu_by_id(d.modelled_on))
    return like->architecture + ", as the " + like->name + " a generic %vram% card is modelled on";
  return "unknown";
}

bool architecture_in(const std::string& arch, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& a) { return arch.rfind(a, 0) == 0; });
}

/// A format whose kernels exist only on some GPU architectures (FP8 weights): why these GPUs
/// cannot run it, or empty.
std::string format_unsupported(const Catalog& cat, const QuantFormat& q, const Hardware& hw) {
  if (q.gpu_architectures.empty()) return {};
  for (const auto& d : hw.gpus)
    if (const std::string arch = gpu_architecture(cat, d); !architecture_in(arch, q.gpu_architectures))
      return fmt::format("{} runs on {} GPUs only ({}); {} is {}", q.name, join(q.gpu_architectures, " or "),
                         q.gpu_architectures_source, d.name, arch);
  return {};
}

/// A model architecture its engines run on some GPU architectures only (DeepSeek-V4): why this
/// engine cannot run it on these GPUs, naming the engines that can; empty when it can.
std::string architecture_unsupported(const Catalog& cat, const ResolvedScenario& s, const Hardware& hw) {
  const ArchTraits& t = s.model->arch.traits;
  if (t.runs_on.empty()) return {};
  for (const auto& d : hw.gpus) {
    const std::string arch = gpu_architecture(cat, d);
    std::vector<std::string> here, there;  // engines that run it on this GPU; this engine's GPUs
    for (const auto& g : t.runs_on) {
      if (architecture_in(arch, g.gpu_architectures))
        for (const auto& e : g.engines) here.push_back(e);
      if (contains(g.engines, s.engine->id))
        there.insert(there.end(), g.gpu_architectures.begin(), g.gpu_architectures.end());
    }
    if (contains(here, s.engine->id)) continue;
    const std::string where = there.empty() ? "on no GPU" : "on " + join(there, ", ") + " GPUs only";
    // The engines named must load this format; one that runs the model only from a GGUF file
    // (V4 on llama.cpp) is named with the file it needs.
    std::vector<std::string> loads, from_file;
    for (const auto& e : here) (contains(s.quant->engines, e) ? loads : from_file).push_back(e);
    const auto run = [](const std::vector<std::string>& engines) {
      return "; " + join(engines, " and ") + std::string(plural(engines.size(), " runs", " run")) + " it there";
    };
    std::string hint;
    if (!loads.empty())
      hint = run(loads);
    else if (!from_file.empty() && !t.gguf_files_only.empty())
      hint = run(from_file) + " from a GGUF file (%model_file%)";
    return fmt::format("{} runs {} {}; {} is {}{} (sources: dsplan show {})", s.engine->name, s.model->name, where,
                       d.name, arch, hint, s.model->id);
  }
  return {};
}

Layout place(const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw, const LayoutRequest& r) {
  if (s.engine->parallelism == Parallelism::tensor_parallel) {
    if (r.gpu_layers || r.offload_experts || r.n_cpu_moe || r.n_cpu_moe_auto || !r.tensor_split.empty())
      throw InputError("%gpu_layers%, %offload_experts%, %n_cpu_moe% and %tensor_split% are llama.cpp options; " +
                       s.engine->name + " uses tensor/pipeline parallelism (%tp%, %pp%)");
    return plan_tensor_parallel(s, m, hw, r);
  }
  if (r.tensor_parallel || r.pipeline_parallel || r.dp_attention)
    throw InputError("%tp%, %pp% and %dp_attention% are vLLM/SGLang options; " + s.engine->name +
                     " splits whole layers (%gpu_layers%)");
  if (r.gpu_memory_utilization)
    throw InputError("%gpu_memory_utilization% is the share of each GPU vLLM and SGLang claim; " + s.engine->name +
                     " allocates what its layers and cache need");
  return plan_layer_split(s, m, hw, r);
}

}  // namespace

namespace {
/// The storage type a quant's rules give tensors tagged `tag` ("routed_expert", "linear"), else
/// its default type: the scale tiles a tensor-parallel split has to respect.
const BlockType& rule_type(const Catalog& cat, const QuantFormat& q, std::string_view tag) {
  for (const auto& rule : q.rules)
    if (std::find(rule.match.begin(), rule.match.end(), tag) != rule.match.end())
      return cat.block_types[rule.type_index];
  return cat.block_types[q.default_type_index];
}

/// One MLP width cut over `ways` ranks: each rank's slice must be whole and hold whole scale tiles
/// (gate/up are split along their output rows, down along its input columns), or the engine
/// refuses the checkpoint when loading it (vLLM/SGLang: "output_size ... is not divisible by weight
/// quantization block_n"; SGLang #10641 R1 FP8 at TP 32, #3345 TP 32 on the dense MLP; vLLM
/// AWQ "input_size_per_partition ... not divisible by group_size").
std::string width_violation(std::string_view what, std::uint64_t width, std::uint64_t ways, const BlockType& type) {
  if (width == 0 || ways <= 1) return {};
  if (width % ways != 0) return fmt::format("tensor parallel {} does not divide the {} width {}", ways, what, width);
  const std::uint64_t slice = width / ways;
  const std::uint64_t tile = type.is_row_block() ? 1
                                                 : std::lcm(std::max<std::uint64_t>(type.scale_rows, 1),
                                                            std::max<std::uint64_t>(type.scale_cols, 1));
  if (slice % tile != 0)
    return fmt::format("tensor parallel {} cuts the {} width {} into slices of {}, not whole {}-wide blocks of {}",
                       ways, what, width, slice, tile, type.name);
  return {};
}

/// Whether a tensor-parallel layout cuts an MLP into slices its format cannot hold.
std::string mlp_split_violation(const Catalog& cat, const ResolvedScenario& s, const Layout& l) {
  if (l.strategy != LayoutStrategy::tensor_parallel || l.tensor_parallel <= 1) return {};
  const ModelArch& a = s.model->arch;
  const bool dp = l.attention_data_parallel > 1;
  const auto replicated = replicated_groups(*s.engine, dp);
  const auto ways = [&](TensorGroup g) {
    return replicated[static_cast<std::size_t>(g)] ? std::uint64_t{1} : l.tensor_parallel;
  };
  const bool moe = a.n_routed_experts > 0;
  const BlockType& linear = rule_type(cat, *s.quant, "linear");
  std::string why;
  if (!moe || a.first_k_dense_replace > 0)
    why = width_violation("dense MLP", a.intermediate_size, ways(TensorGroup::ffn), linear);
  if (why.empty() && moe && !(dp && s.engine->dp_attention_expert_parallel))
    why = width_violation("expert", a.moe_intermediate_size, ways(TensorGroup::routed_experts),
                          rule_type(cat, *s.quant, "routed_expert"));
  if (why.empty() && moe)
    why = width_violation("shared expert", a.moe_intermediate_size * a.n_shared_experts,
                          ways(TensorGroup::shared_experts), linear);
  return why;
}

/// A layer split runs in one process on one machine: more nodes would be bought and left idle.
std::string nodes_unsupported(const ResolvedScenario& s, const Hardware& hw) {
  if (hw.nodes <= 1 || s.engine->parallelism == Parallelism::tensor_parallel) return {};
  return fmt::format(
      "{} runs in one machine and %nodes% {} asks for {} (its RPC backend, which spans machines, is "
      "not modelled; vLLM and SGLang span them)",
      s.engine->name, hw.nodes, hw.nodes);
}
}  // namespace

Layout plan_layout(const Catalog& catalog, const ResolvedScenario& s, const MemoryEstimate& m, const Hardware& hw,
                   const LayoutRequest& r) {
  Layout layout = place(s, m, hw, r);
  for (const auto& why : {nodes_unsupported(s, hw), architecture_unsupported(catalog, s, hw),
                          format_unsupported(catalog, *s.quant, hw), mlp_split_violation(catalog, s, layout)})
    if (!why.empty() && layout.unsupported.empty()) {
      layout.reasons.insert(layout.reasons.begin(), why);
      layout.unsupported = why;
      layout.fits = false;
    }
  return layout;
}

std::uint64_t auto_count_limit(const Catalog& cat, const ResolvedScenario& s, const HardwareRequest& hw,
                               std::uint64_t max_count) {
  // A layer split runs in one machine (llama.cpp's RPC backend across machines is not modelled).
  if (s.engine->parallelism == Parallelism::tensor_parallel || hw.gpus.size() != 1) return max_count;
  return std::min(max_count, cat.require_gpu(hw.gpus.front().name).gpus_per_node);
}

std::optional<FittingCount> smallest_fitting_count(const Catalog& cat, const ResolvedScenario& s,
                                                   const MemoryEstimate& m, const HardwareRequest& hw,
                                                   const LayoutRequest& r, std::uint64_t max_count,
                                                   std::uint64_t first) {
  if (hw.gpus.size() != 1) throw InputError("%count% auto needs one GPU model (%gpu% NAME)");
  const bool tensor_parallel = s.engine->parallelism == Parallelism::tensor_parallel;
  std::uint64_t n = 1;  // a tensor-parallel engine's counts start at 1 and step as it can run them
  if (!tensor_parallel) n = std::max<std::uint64_t>(first, 1);
  max_count = auto_count_limit(cat, s, hw, max_count);
  for (; n <= max_count; n = tensor_parallel ? next_tensor_parallel_count(cat, hw, n) : n + 1) {
    if (n < first) continue;
    HardwareRequest request = with_gpu_count(cat, hw, n, tensor_parallel);
    Hardware hardware = build_hardware(cat, request);
    Layout l = plan_layout(cat, s, m, hardware, r);
    const bool on_gpus = tensor_parallel || l.gpu_layers == m.weights.block_bytes.size() + 1;
    if (l.fits && on_gpus && (r.offload_experts || r.n_cpu_moe || r.n_cpu_moe_auto || l.cpu.layers == 0))
      return FittingCount{n, std::move(request), std::move(hardware), r, std::move(l)};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> smallest_gpu_count(const Catalog& cat, const ResolvedScenario& s, const MemoryEstimate& m,
                                                const HardwareRequest& hw, const LayoutRequest& r,
                                                std::uint64_t max_count, std::uint64_t first) {
  const auto found = smallest_fitting_count(cat, s, m, hw, r, max_count, first);
  return found ? std::optional<std::uint64_t>(found->count) : std::nullopt;
}

bool keeps_layers_in_ram(const Layout& l, std::uint64_t blocks) {
  if (l.strategy == LayoutStrategy::expert_offload || l.strategy == LayoutStrategy::cpu_only) return true;
  if (l.cpu.layers > 0) return true;
  return l.strategy == LayoutStrategy::layer_split && l.gpu_layers < blocks + 1;  // output layer on the CPU
}

double fullest_device_fraction(const Layout& l) {
  double worst = 0;
  const auto share = [](const DevicePlacement& d) {
    return static_cast<double>(d.total.count()) / static_cast<double>(d.capacity.count());
  };
  for (const auto& g : l.gpus)
    if (g.capacity.count() > 0) worst = std::max(worst, share(g));
  if (l.cpu.capacity.count() > 0 && l.cpu.total.count() > 0) worst = std::max(worst, share(l.cpu));
  return worst;
}

bool leaves_headroom(const Layout& l, Parallelism parallelism, double headroom) {
  return parallelism == Parallelism::tensor_parallel || fullest_device_fraction(l) <= 1.0 - headroom;
}

}  // namespace dsplan
