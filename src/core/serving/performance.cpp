// Throughput on a placed model: per device, time = max(bytes read / (bandwidth x efficiency),
// FLOPs / (peak x MFU)) + blocks x fixed per-block time; devices a token passes through in turn
// add up. Efficiencies are engine data calibrated on published runs (data/engines.json).
#include "dsplan/serving/performance.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan {

double experts_touched_fraction(std::uint64_t k, std::uint64_t n, std::uint64_t tokens) {
  if (n == 0 || k >= n) return 1.0;
  return 1.0 - std::pow(1.0 - static_cast<double>(k) / static_cast<double>(n), static_cast<double>(tokens));
}

namespace {

/// What one block reads and computes, split into the routed experts and everything else.
struct BlockWork {
  double other_bytes = 0;
  double routed_bytes = 0;
  double other_params = 0;
  double routed_params = 0;  ///< all routed experts of the block
};

/// A block's bytes and parameters by tensor group (indexed like k_all_groups).
struct GroupWork {
  std::array<double, k_group_count> bytes{};
  std::array<double, k_group_count> params{};
};

struct ModelWork {
  std::vector<BlockWork> blocks;
  std::vector<GroupWork> groups;  ///< per block, only for data-parallel attention
  double output_bytes = 0;
  double output_params = 0;
  double kv_per_token_layer = 0;      ///< bytes a prefilled token writes to one layer's cache
  const ModelArch* arch = nullptr;
  const KvCacheSize* kv = nullptr;
  std::uint64_t experts_per_token = 0;
  std::uint64_t routed_experts = 0;
  std::uint64_t hidden = 0;
};

/// `given`: the model's inventory, or null to build it. `by_group`: also each block's bytes and parameters by
/// tensor group (data-parallel attention).
ModelWork model_work(const ResolvedScenario& s, const MemoryEstimate& m, const TensorInventory* given, bool by_group) {
  const ModelArch& a = s.model->arch;
  ModelWork w;
  std::optional<TensorInventory> built;
  const TensorInventory& inv = given ? *given : built.emplace(build_inventory(a));
  // Parameters per layout, summed once: blocks share a few layouts (dense, MoE).
  std::vector<std::optional<BlockWork>> per_layout(inv.layouts.size());
  std::vector<GroupWork> layout_groups(by_group ? inv.layouts.size() : 0);
  for (std::size_t b = 0; b < inv.main_blocks; ++b) {
    auto& params = per_layout[inv.blocks[b]];
    if (!params) {
      params.emplace();
      for (const auto& t : inv.layouts[inv.blocks[b]].tensors) {
        (t.is_routed_expert() ? params->routed_params : params->other_params) += static_cast<double>(t.elements());
        if (by_group)
          layout_groups[inv.blocks[b]].params[static_cast<std::size_t>(group_of(t.role))] +=
              static_cast<double>(t.elements());
      }
    }
    BlockWork bw = *params;
    if (by_group) {
      GroupWork gw = layout_groups[inv.blocks[b]];
      for (std::size_t g = 0; g < k_group_count; ++g)
        gw.bytes[g] = static_cast<double>(m.weights.block_group_bytes[b][g].count());
      w.groups.push_back(gw);
    }
    bw.routed_bytes = static_cast<double>(m.weights.block_routed_bytes(b).count());
    bw.other_bytes = static_cast<double>(m.weights.block_bytes[b].count()) - bw.routed_bytes;
    w.blocks.push_back(bw);
  }
  for (const auto& t : inv.globals)
    if (t.role == TensorRole::output || (t.role == TensorRole::token_embd && a.tie_word_embeddings))
      w.output_params += static_cast<double>(t.elements());
  w.output_bytes = static_cast<double>(m.weights.globals.count() - m.weights.embedding.count());
  if (a.tie_word_embeddings) w.output_bytes = static_cast<double>(m.weights.embedding.count());
  w.kv_per_token_layer = static_cast<double>(m.kv.bytes_per_token.count()) / static_cast<double>(m.kv.layers);
  w.arch = &a;
  w.kv = &m.kv;
  w.experts_per_token = a.experts_per_token;
  w.routed_experts = a.n_routed_experts;
  w.hidden = a.hidden_size;
  return w;
}

/// Positions the main cache stream's attention reads per query (0 = all): attention FLOPs follow it.
std::uint64_t attended_limit(const KvCacheSize& kv) {
  return kv.streams.empty() ? 0 : kv.streams.front().stream.read_limit;
}

/// Bytes and FLOPs of a set of blocks for one step of `tokens` tokens at KV length `context`.
struct Work {
  double bytes = 0;
  double flops = 0;
  double score_bytes = 0;      ///< materialized attention scores (flash attention off)
  double attention_flops = 0;  ///< the part of flops in attention's score and value products
};

/// The peaks a device's kernels run against: the weights' products in the format's compute dtype,
/// attention in 16 bits (FP8 checkpoints still run FlashAttention/FlashMLA on BF16 operands).
struct Peaks {
  double weights = 0;
  double attention = 0;
};

Work blocks_work(const ModelWork& w, std::uint64_t first, std::uint64_t count, std::uint64_t tokens, double context,
                 bool with_routed, double routed_fraction_read, bool prefill) {
  Work out;
  const double t = static_cast<double>(tokens);
  const double k_over_n = w.routed_experts == 0
                              ? 0.0
                              : static_cast<double>(w.experts_per_token) / static_cast<double>(w.routed_experts);
  for (std::uint64_t b = first; b < first + count; ++b) {
    const BlockWork& bw = w.blocks[b];
    out.bytes += bw.other_bytes + (with_routed ? bw.routed_bytes * routed_fraction_read : 0.0);
    out.flops += 2.0 * t * (bw.other_params + (with_routed ? bw.routed_params * k_over_n : 0.0));
  }
  const double layers = static_cast<double>(count);
  const AttentionTraits& attention = attention_of(*w.arch);
  const std::uint64_t reads = attended_limit(*w.kv);
  out.attention_flops = prefill ? layers * attention.prefill_flops(*w.arch, t, reads)
                                : layers * t * attention.decode_flops(*w.arch, w.kv->layout, context, reads);
  out.flops += out.attention_flops;
  return out;
}

/// KV bytes one layer's cache moves in a phase: prefill writes each prompt token once; each
/// decoded token reads what its attention reads of the cache at `context` tokens.
double kv_bytes_per_layer(const ModelWork& w, std::uint64_t tokens, double context, bool prefill) {
  if (prefill) return w.kv_per_token_layer * static_cast<double>(tokens);
  return static_cast<double>(tokens) * w.kv->bytes_read(context) / static_cast<double>(w.kv->layers);
}

/// Blocks in [first, first + count) that hold routed experts.
double moe_blocks(const ModelWork& w, std::uint64_t first, std::uint64_t count) {
  double n = 0;
  for (std::uint64_t b = first; b < first + count; ++b) n += w.blocks[b].routed_params > 0 ? 1.0 : 0.0;
  return n;
}

Work routed_work(const ModelWork& w, std::uint64_t first, std::uint64_t count, std::uint64_t tokens, double fraction) {
  Work out;
  const double k_over_n = w.routed_experts == 0
                              ? 0.0
                              : static_cast<double>(w.experts_per_token) / static_cast<double>(w.routed_experts);
  for (std::uint64_t b = first; b < first + count; ++b) {
    out.bytes += w.blocks[b].routed_bytes * fraction;
    out.flops += 2.0 * static_cast<double>(tokens) * w.blocks[b].routed_params * k_over_n;
  }
  return out;
}

/// A per-type or per-architecture factor of a performance class; 1 where the key is not listed.
double factor_or_one(const std::map<std::string, double>& factors, const std::string& key) {
  const auto f = factors.find(key);
  return f == factors.end() ? 1.0 : f->second;
}

struct Phase {
  std::uint64_t tokens;     ///< tokens processed per step (decode: sequences; prefill: the prompt)
  double context;           ///< decode: KV length read per sequence
  bool prefill;
  std::uint64_t chunks;     ///< prefill: micro-batches, each re-reading the weights
  std::uint64_t readers;    ///< decode: sequences whose caches are read (speculation verifies
                            ///< several tokens of one sequence against one read of its cache)
  bool named = true;        ///< the stages carry their device names (false: only their times are used)
};

/// Without flash attention, llama.cpp's graph writes every head's scores (K x Q, f32), soft-maxes
/// them into a second f32 buffer and reads that for the product with V: 16 bytes moved per score,
/// in kernels of their own. The bytes of one block for one step: prefill scores each micro-batch
/// against the cache filled so far (causal, so about prompt^2 / 2 scores); decode each token
/// against its sequence's context. 0 with flash attention, which keeps scores on chip.
constexpr double k_bytes_per_materialized_score = 16.0;

double score_bytes_per_block(const ResolvedScenario& s, const ModelWork& w, const Phase& ph) {
  if (s.flash_attention) return 0.0;
  double scores = 0;
  if (ph.prefill) {
    const std::uint64_t chunk = std::max<std::uint64_t>(1, std::min(ph.tokens, s.ubatch));
    for (std::uint64_t done = 0; done < ph.tokens; done += chunk) {
      const double t = static_cast<double>(std::min(chunk, ph.tokens - done));
      scores += t * (static_cast<double>(done) + t);
    }
  } else {
    scores = static_cast<double>(ph.tokens) * ph.context;
  }
  return scores * static_cast<double>(w.arch->num_heads) * k_bytes_per_materialized_score;
}

/// Seconds `flops` take at the stage's peaks and `mfu`, `attention_flops` of them at the attention peak.
double compute_seconds(const StageTime& st, double flops, double attention_flops, double mfu) {
  if (!(st.peak_tflops > 0)) return 0.0;
  const double attention_peak = st.attention_peak_tflops > 0 ? st.attention_peak_tflops : st.peak_tflops;
  return ((flops - attention_flops) / st.peak_tflops + attention_flops / attention_peak) / (1e12 * mfu);
}

StageTime stage(const std::string& name, Work work, double bandwidth, Peaks peaks, const PerformanceClass& pc,
                double fixed_s, const ModelWork& w, const Phase& ph, const std::string& main_type,
                const std::string& architecture = {}, double kernel_mfu = 1.0) {
  StageTime st;
  if (ph.named) st.device = name;
  st.read_bytes = work.bytes;
  st.flops = work.flops;
  st.attention_flops = work.attention_flops;
  auto& f = st.factors;
  f.bandwidth_efficiency = pc.bandwidth_efficiency;
  f.type_bandwidth = factor_or_one(pc.type_bandwidth_factor, main_type);
  f.architecture_bandwidth = factor_or_one(pc.architecture_bandwidth_factor, architecture);
  f.prefill_mfu = pc.prefill_mfu;
  f.architecture_mfu = factor_or_one(pc.architecture_mfu_factor, architecture);
  f.type_mfu = factor_or_one(pc.type_mfu_factor, main_type);
  f.moe_mfu = ph.prefill && w.routed_experts > 0 ? pc.moe_mfu_factor : 1.0;
  f.kernel_mfu = ph.prefill ? kernel_mfu : 1.0;
  f.main_type = main_type;
  f.architecture = architecture;
  st.bandwidth_bytes_per_s = bandwidth;
  st.efficiency = f.bandwidth_efficiency * f.type_bandwidth * f.architecture_bandwidth;
  st.peak_tflops = peaks.weights;
  st.attention_peak_tflops = peaks.attention;
  st.mfu = f.prefill_mfu * f.architecture_mfu * f.type_mfu * f.moe_mfu * f.kernel_mfu;
  st.memory_s = bandwidth > 0 ? work.bytes / (bandwidth * st.efficiency) : 0.0;
  st.compute_s = compute_seconds(st, work.flops, work.attention_flops, st.mfu);
  st.fixed_s = fixed_s;
  st.score_bytes = work.score_bytes;
  st.scores_s = bandwidth > 0 ? work.score_bytes / (bandwidth * st.efficiency) : 0.0;
  st.total_s = std::max(st.memory_s, st.compute_s) + st.scores_s + fixed_s;
  if (!ph.prefill && ph.tokens > 1 && pc.decode_batch_mfu > 0 && st.peak_tflops > 0) {
    // Sequences after the first: their share of the FLOPs, not hidden behind the weight reads.
    const double extra = static_cast<double>(ph.tokens - 1) / static_cast<double>(ph.tokens);
    st.batch_compute_s = extra * compute_seconds(st, work.flops, work.attention_flops, pc.decode_batch_mfu);
    st.total_s += st.batch_compute_s;
  }
  return st;
}

const PerformanceClass& class_factors(const EngineSpec& e, DeviceClass c) {
  return e.performance.classes.at(std::string(device_class_name(c)));
}

/// NVIDIA or AMD GPUs: the devices the build eras were fitted on.
bool discrete_gpu(DeviceClass c) { return c == DeviceClass::gddr || c == DeviceClass::hbm; }

/// The MoE block time on GPUs of the scenario's older build (--build-date), if its era sets one for
/// the model's speed family.
std::optional<double> era_moe_block_seconds(const ResolvedScenario& s) {
  if (s.build_date.empty()) return std::nullopt;
  const std::string& family = s.model->arch.traits.speed_family;
  for (const BuildEra& e : s.engine->performance.build_eras) {
    const bool covers = e.moe_families.empty() ||
                        std::find(e.moe_families.begin(), e.moe_families.end(), family) != e.moe_families.end();
    if (s.build_date < e.before && e.moe_layer_seconds && covers) return e.moe_layer_seconds;
  }
  return std::nullopt;
}

/// Fixed time per MoE block on a device of class `c`: an older build's era's on NVIDIA or AMD GPUs,
/// else the class's.
double moe_block_seconds(const PerformanceClass& pc, const ResolvedScenario& s, DeviceClass c) {
  const auto era = discrete_gpu(c) ? era_moe_block_seconds(s) : std::nullopt;
  return era.value_or(pc.moe_layer_seconds);
}

Peaks device_peak(const Device& d, const ResolvedScenario& s) {
  const double sixteen_bit = s.engine->performance.fp32_accumulate ? d.peak_fp32_accumulate_tflops : d.peak_tflops;
  // FP8 checkpoints run FP8 GEMMs on GPUs that have FP8 tensor cores (vLLM/SGLang w8a8).
  if (s.quant->compute == ComputeDtype::fp8 && d.peak_fp8_tflops > 0) return {d.peak_fp8_tflops, sixteen_bit};
  return {sixteen_bit, sixteen_bit};
}

/// The host memory bandwidth the engine's threads can draw: one socket's, plus what each further
/// socket adds for this engine (pc.socket_scaling); less when so few threads run that each reads
/// at its own limit (pc.thread_bytes_per_s).
double host_bandwidth(const Host& host, const PerformanceClass& pc) {
  const double sockets = static_cast<double>(std::max<std::uint64_t>(host.sockets, 1));
  const double bus = static_cast<double>(host.bandwidth_bytes_per_s) / sockets * (1.0 + (sockets - 1.0) * pc.socket_scaling);
  const std::uint64_t threads = host.threads > 0 ? host.threads : host.cores;
  if (pc.thread_bytes_per_s <= 0 || threads == 0) return bus;
  return std::min(bus, static_cast<double>(threads) * pc.thread_bytes_per_s / pc.bandwidth_efficiency);
}

}  // namespace

bool copies_weights_in_ram(const Throughput& t) {
  return std::any_of(t.prefill_stages.begin(), t.prefill_stages.end(),
                     [](const StageTime& st) { return st.copy_then_compute; });
}

bool pinned_host_weights(const ResolvedScenario& s, const Layout& l) {
  switch (s.engine->pinned_host_weights) {
    case PinnedHostWeights::never:
      return false;
    case PinnedHostWeights::no_mmap:
      return !s.mmap;
    case PinnedHostWeights::no_mmap_or_overrides:
      return !s.mmap || l.experts_in_ram_blocks > 0;
  }
  return false;
}

namespace {

/// llama.cpp's prefill with weights in RAM: batches of 32+ tokens run on GPU0, which first copies
/// the RAM-resident weights over PCIe (at the engine's achieved share of the link) and then
/// computes their products; copy and compute follow each other.
StageTime weights_over_pcie_stage(const ResolvedScenario& s, const ModelWork& w, const Layout& l, const Hardware& hw,
                                  const Phase& ph, const Work& cpu_work) {
  const Device& gpu0 = hw.gpus.front();
  StageTime st = stage(
      "PCIe (RAM-resident weights to GPU0, computed there)", Work{0.0, cpu_work.flops, 0.0, cpu_work.attention_flops},
      static_cast<double>(gpu0.bandwidth_bytes_per_s), device_peak(gpu0, s),
      class_factors(*s.engine, gpu0.device_class), 0.0, w, ph, s.quant->default_type, gpu0.architecture);
  st.read_bytes = cpu_work.bytes;
  st.bandwidth_bytes_per_s = static_cast<double>(gpu0.host_link_bytes_per_s);
  st.pageable_copy = !pinned_host_weights(s, l);
  st.efficiency = s.engine->performance.host_link_efficiency *
                  (st.pageable_copy ? s.engine->performance.pageable_host_link_factor : 1.0);
  st.memory_s = cpu_work.bytes / (st.bandwidth_bytes_per_s * st.efficiency);
  st.copy_then_compute = true;
  st.total_s = st.memory_s + st.compute_s;
  return st;
}

/// Whether a prefill micro-batch of `tokens` copies RAM-resident routed experts to the GPU (else
/// the CPU computes them): ggml's op offload from a minimum batch, which ik_llama.cpp counts per
/// routed expert (tokens x experts per token >= minimum x routed experts).
bool copies_experts(const EngineSpec& e, const ModelWork& w, std::uint64_t tokens) {
  if (tokens < e.expert_offload_min_batch) return false;
  if (!e.expert_offload_per_expert || w.routed_experts == 0) return true;
  return tokens * w.experts_per_token >= e.expert_offload_min_batch * w.routed_experts;
}

/// Layer split: the GPU placements in order, then the CPU's share; PCIe hops between devices.
std::vector<StageTime> layer_split_stages(const ResolvedScenario& s, const ModelWork& w, const Layout& l,
                                          const Hardware& hw, const Phase& ph) {
  const EngineSpec& e = *s.engine;
  const std::uint64_t step_tokens = ph.prefill ? std::min<std::uint64_t>(ph.tokens, s.ubatch) : ph.tokens;
  const double touched = experts_touched_fraction(w.experts_per_token, w.routed_experts, step_tokens);
  const double chunks = static_cast<double>(ph.chunks);
  const double kv_layer = kv_bytes_per_layer(w, ph.prefill ? ph.tokens : ph.readers, ph.context, ph.prefill);
  const double graph = s.model->arch.traits.graph_block_factor;  // kernels per block vs the fitted blocks
  std::vector<StageTime> stages;
  double routed_on_cpu_bytes = 0;
  double offloaded_moe_blocks = 0;
  Work routed_on_cpu;
  for (std::size_t i = 0; i < l.gpus.size(); ++i) {
    const DevicePlacement& p = l.gpus[i];
    if (p.layers == 0 && !p.output_head) continue;
    // Blocks [first, split) keep their routed experts in RAM, where the CPU computes them
    // (--offload-experts: all; --n-cpu-moe N: the first N); [split, end) compute them here.
    const std::uint64_t end = p.first_layer + p.layers;
    const std::uint64_t split = std::clamp(l.experts_in_ram_blocks, p.first_layer, end);
    Work work = blocks_work(w, p.first_layer, p.layers, ph.tokens, ph.context, false, touched, ph.prefill);
    work.score_bytes = score_bytes_per_block(s, w, ph) * static_cast<double>(p.layers);
    const Work here = routed_work(w, split, end - split, ph.tokens, touched);
    work.bytes = (work.bytes + here.bytes) * chunks + kv_layer * static_cast<double>(p.layers);
    work.flops += here.flops;
    const Work away = routed_work(w, p.first_layer, split - p.first_layer, ph.tokens, touched);
    routed_on_cpu_bytes += away.bytes;
    routed_on_cpu.flops += away.flops;
    if (p.output_head) {
      work.bytes += w.output_bytes;
      work.flops += 2.0 * w.output_params * (ph.prefill ? 1.0 : static_cast<double>(ph.tokens));
    }
    const auto& pc = class_factors(e, p.device_class);
    const Device& d = hw.gpus[i];
    // Per-block launches; MoE blocks whose experts run here add their per-expert kernels.
    const double fixed = graph * (static_cast<double>(p.layers) * pc.layer_seconds +
                                  moe_blocks(w, split, end - split) * moe_block_seconds(pc, s, p.device_class)) +
                         (stages.empty() ? 0.0 : e.performance.hop_seconds);
    stages.push_back(stage(p.name, work, static_cast<double>(d.bandwidth_bytes_per_s), device_peak(d, s), pc,
                           fixed * chunks, w, ph, s.quant->default_type, d.architecture));
    offloaded_moe_blocks += moe_blocks(w, p.first_layer, split - p.first_layer);
  }
  const DevicePlacement& cpu = l.cpu;
  Work cpu_work = blocks_work(w, 0, cpu.layers, ph.tokens, ph.context, true, touched, ph.prefill);
  cpu_work.score_bytes = score_bytes_per_block(s, w, ph) * static_cast<double>(cpu.layers);
  cpu_work.bytes = cpu_work.bytes * chunks + kv_layer * static_cast<double>(cpu.layers);
  cpu_work.bytes += routed_on_cpu_bytes * chunks;
  cpu_work.flops += routed_on_cpu.flops;
  if (cpu.output_head) {
    cpu_work.bytes += w.output_bytes;
    cpu_work.flops += 2.0 * w.output_params * (ph.prefill ? 1.0 : static_cast<double>(ph.tokens));
  }
  if (cpu_work.bytes > 0) {
    const auto& pc = class_factors(e, DeviceClass::cpu);
    if (ph.prefill && e.performance.expert_prefill_over_pcie && !hw.gpus.empty() &&
        hw.gpus.front().host_link_bytes_per_s > 0 && s.op_offload && copies_experts(e, w, step_tokens)) {
      stages.push_back(weights_over_pcie_stage(s, w, l, hw, ph, cpu_work));
    } else {
      // Hand-overs: one into the CPU's whole blocks, and two per block whose experts alone run
      // here (the hidden state to the CPU and back), each a graph split llama.cpp synchronizes.
      const double hops = stages.empty() ? 0.0 : (cpu.layers > 0 ? 1.0 : 0.0) + 2.0 * offloaded_moe_blocks;
      const double fixed =
          graph * (static_cast<double>(cpu.layers) * pc.layer_seconds +
                   (moe_blocks(w, 0, cpu.layers) + offloaded_moe_blocks) * moe_block_seconds(pc, s, DeviceClass::cpu)) +
          hops * e.performance.hop_seconds;
      std::string name;
      if (ph.named) {
        name = cpu.name;
        if (hw.host.sockets > 1) name += ", " + std::to_string(hw.host.sockets) + " sockets";
        if (hw.host.threads > 0) name += ", " + std::to_string(hw.host.threads) + " threads";
      }
      stages.push_back(stage(name, cpu_work, host_bandwidth(hw.host, pc),
                             Peaks{hw.host.tflops * hw.host.compute_share(), hw.host.tflops * hw.host.compute_share()},
                             pc, fixed * chunks, w, ph, s.quant->default_type, {}, e.cpu_prefill_factor));
    }
  }
  return stages;
}

/// Data-parallel attention: what each rank reads and computes whole (the groups in `whole`), the
/// rest being sharded. Prefill: one rank runs a prompt's attention (its scores too); decode
/// spreads the sequences, so FLOPs stay divided.
Work replicated_work(const ModelWork& w, const DevicePlacement& p, const std::array<bool, k_group_count>& whole,
                     const Phase& ph) {
  Work out;
  const double t = static_cast<double>(ph.tokens);
  for (std::uint64_t b = p.first_layer; b < p.first_layer + p.layers; ++b)
    for (std::size_t g = 0; g < k_group_count; ++g)
      if (whole[g]) {
        out.bytes += w.groups[b].bytes[g];
        out.flops += 2.0 * t * w.groups[b].params[g];
      }
  if (ph.prefill) {
    out.attention_flops =
        static_cast<double>(p.layers) * attention_of(*w.arch).prefill_flops(*w.arch, t, attended_limit(*w.kv));
    out.flops += out.attention_flops;
  }
  if (p.output_head && whole[static_cast<std::size_t>(TensorGroup::output_head)]) {
    out.bytes += w.output_bytes;
    out.flops += 2.0 * w.output_params * (ph.prefill ? 1.0 : t);
  }
  return out;
}

/// Tensor + pipeline parallel: each stage's ranks work in parallel; stages run in turn.
std::vector<StageTime> tensor_parallel_stages(const ResolvedScenario& s, const ModelWork& w, const Layout& l,
                                              const Hardware& hw, const Phase& ph) {
  const EngineSpec& e = *s.engine;
  const std::uint64_t tp = l.tensor_parallel;
  const std::uint64_t step_tokens = ph.prefill ? std::min<std::uint64_t>(ph.tokens, s.ubatch) : ph.tokens;
  const double touched = experts_touched_fraction(w.experts_per_token, w.routed_experts, step_tokens);
  const double kv_layer = kv_bytes_per_layer(w, ph.prefill ? ph.tokens : ph.readers, ph.context, ph.prefill);
  const ModelArch& a = s.model->arch;
  const double kv_share = attention_of(a).kv_share(a, tp);
  const std::uint64_t dp = l.attention_data_parallel;
  const auto whole = replicated_groups(e, dp > 1);
  const bool spans_nodes = tp > hw.gpus.size();
  std::vector<StageTime> stages;
  for (std::uint64_t stage_index = 0; stage_index < l.pipeline_parallel; ++stage_index) {
    const DevicePlacement& p = l.gpus[stage_index * tp];  // placements are stage-major; ranks alike
    Work work = blocks_work(w, p.first_layer, p.layers, ph.tokens, ph.context, true, touched, ph.prefill);
    work.score_bytes = score_bytes_per_block(s, w, ph) * static_cast<double>(p.layers) / static_cast<double>(tp);
    if (p.output_head) {
      work.bytes += w.output_bytes;
      work.flops += 2.0 * w.output_params * (ph.prefill ? 1.0 : static_cast<double>(ph.tokens));
    }
    double rank_local_flops = 0;  // DP attention, prefill: one prompt's replicated FLOPs, on its own rank
    if (dp > 1) {
      // Each rank reads the replicated groups whole and the cache of its own sequences only.
      const Work whole_work = replicated_work(w, p, whole, ph);
      if (ph.prefill) rank_local_flops = whole_work.flops;
      const std::uint64_t readers = ph.prefill ? ph.tokens : ceil_div(ph.readers, dp);
      const double chunks = static_cast<double>(ph.chunks);
      work.bytes = (work.bytes - whole_work.bytes) * chunks / static_cast<double>(tp) + whole_work.bytes * chunks +
                   kv_bytes_per_layer(w, readers, ph.context, ph.prefill) * static_cast<double>(p.layers);
      work.flops = ph.prefill ? (work.flops - whole_work.flops) / static_cast<double>(tp) + whole_work.flops
                              : work.flops / static_cast<double>(tp);
      work.attention_flops = ph.prefill ? whole_work.attention_flops : work.attention_flops / static_cast<double>(tp);
    } else {
      work.bytes = work.bytes * static_cast<double>(ph.chunks) / static_cast<double>(tp) +
                   kv_layer * kv_share * static_cast<double>(p.layers);
      work.flops /= static_cast<double>(tp);
      work.attention_flops /= static_cast<double>(tp);
    }
    const auto& pc = class_factors(e, p.device_class);
    const double per_layer = pc.layer_seconds + (tp > 1 ? e.performance.tp_layer_seconds : 0.0) +
                             (spans_nodes ? e.performance.internode_layer_seconds : 0.0) +
                             (ph.prefill ? e.performance.prefill_layer_seconds : 0.0);
    // t_tp was fitted on tensor-parallel runs, mostly of MoE models, and MoE blocks cost about as
    // much on one GPU (gpt-oss-120b on vLLM: 11.1 ms per token on one A100, 12.8-13.0 on 2-4;
    // vLLM issue #22331): one GPU keeps it for its MoE blocks instead of dropping to t_block.
    const double moe_count = moe_blocks(w, p.first_layer, p.layers);
    const double one_gpu_moe = tp > 1 ? 0.0 : moe_count * e.performance.tp_layer_seconds;
    const double fixed =
        static_cast<double>(p.layers) * per_layer + one_gpu_moe + moe_count * moe_block_seconds(pc, s, p.device_class);
    const Device& d = hw.gpus.front();
    stages.push_back(stage(ph.named ? fmt::format("stage {} ({} x {})", p.stage, tp, d.name) : std::string(), work,
                           static_cast<double>(d.bandwidth_bytes_per_s), device_peak(d, s), pc,
                           fixed * static_cast<double>(ph.chunks), w, ph, s.quant->default_type, d.architecture));
    stages.back().rank_local_flops = rank_local_flops;
    stages.back().attention_ranks = dp;
  }
  return stages;
}

double total_time(const std::vector<StageTime>& stages) {
  double t = 0;
  for (const auto& st : stages) t += st.total_s;
  return t;
}

std::vector<StageTime> stages_for(const ResolvedScenario& s, const ModelWork& w, const Layout& l, const Hardware& hw,
                                  const Phase& ph) {
  return l.strategy == LayoutStrategy::tensor_parallel ? tensor_parallel_stages(s, w, l, hw, ph)
                                                       : layer_split_stages(s, w, l, hw, ph);
}

}  // namespace

double mtp_tokens_per_step(const std::vector<double>& conditional, std::uint64_t drafts) {
  double tokens = 1.0, all_accepted = 1.0;
  for (std::uint64_t i = 0; i < drafts && !conditional.empty(); ++i) {
    all_accepted *= conditional[std::min<std::size_t>(i, conditional.size() - 1)];
    tokens += all_accepted;
  }
  return tokens;
}

std::string mtp_acceptance_words(const std::vector<double>& conditional, std::uint64_t drafts) {
  std::string rates;
  for (std::uint64_t i = 0; i < drafts && !conditional.empty(); ++i)
    rates += (i > 0 ? ", " : "") + fmt::format("{:.2f}", conditional[std::min<std::size_t>(i, conditional.size() - 1)]);
  const bool borrowed = drafts > conditional.size();
  return fmt::format(
      "acceptance {}{}{}", rates, drafts > 1 ? " by draft, each once the drafts before it were" : "",
      borrowed ? fmt::format(" (drafts past the {} published reuse the last rate: an upper bound)", conditional.size())
               : "");
}

namespace {

/// Speculative decoding with the MTP module (--mtp k): the step verifies k drafted tokens per
/// sequence (already in the decode stages: (k + 1) x batch tokens against one read of each cache),
/// after k draft passes of the MTP block, each costing about one block of the step (the MTP
/// module is one transformer block plus the shared head). Draft i is accepted, once drafts
/// 1..i-1 were, at the model's published rate c_i (the last one for later positions), so a step
/// yields 1 + c_1 + c_1 c_2 + ... + c_1...c_k tokens. Returns tokens per step.
double add_speculation(const ResolvedScenario& s, const ModelWork& w, Throughput& t) {
  if (s.speculative_tokens == 0) return 1.0;
  t.speculative_tokens = s.speculative_tokens;
  t.draft_s = static_cast<double>(s.speculative_tokens) * t.decode_step_s / static_cast<double>(w.blocks.size());
  t.decode_step_s += t.draft_s;
  t.tokens_per_step = mtp_tokens_per_step(s.model->arch.traits.mtp_acceptance, s.speculative_tokens);
  return t.tokens_per_step;
}

/// A stage's time as --explain writes it: the larger of its memory and compute times, plus its
/// per-block fixed time, its attention scores (flash attention off) and its batched-decode FLOPs.
/// "7.7e+10 FLOP / (1979.0 TFLOPS": a stage's FLOPs over its peak; where attention runs at another
/// peak, its FLOPs apart: "(5.0e+10 FLOP / 1979.0 TFLOPS + 2.7e+10 FLOP of attention / 989.5 TFLOPS".
std::string flops_over_peak(const StageTime& st) {
  if (st.attention_flops > 0 && st.attention_peak_tflops > 0 && st.attention_peak_tflops != st.peak_tflops)
    return fmt::format("({:.3e} FLOP / {:.1f} TFLOPS + {:.3e} FLOP of attention / {:.1f} TFLOPS (16-bit)) / (MFU",
                       st.flops - st.attention_flops, st.peak_tflops, st.attention_flops, st.attention_peak_tflops);
  return fmt::format("{:.3e} FLOP / ({:.1f} TFLOPS x MFU", st.flops, st.peak_tflops);
}

std::string stage_formula(const StageTime& st) {
  return fmt::format(
      "{:.3f} ms = max({:.3e} B / ({:.1f} GB/s x efficiency {} = {:.3f}) = {:.3f} ms, {} {} = {:.3f}) = {:.3f} "
      "ms) + blocks x fixed = {:.3f} ms{}{}",
      st.total_s * 1e3, st.read_bytes, st.bandwidth_bytes_per_s / 1e9, efficiency_terms(st), st.efficiency,
      st.memory_s * 1e3, flops_over_peak(st), mfu_terms(st), st.mfu, st.compute_s * 1e3, st.fixed_s * 1e3,
      st.score_bytes > 0 ? fmt::format(" + {:.3e} B of attention scores (flash attention off) = {:.3f} ms",
                                       st.score_bytes, st.scores_s * 1e3)
                         : "",
      st.batch_compute_s > 0
          ? fmt::format(" + the FLOPs of the sequences after the first, after the weight reads = {:.3f} ms",
                        st.batch_compute_s * 1e3)
          : "");
}

/// The prefills of one round of `batch` requests, as a server runs them: the engine packs the
/// prompts of several requests into its micro-batches (llama-server's slots, vLLM/SGLang's chunked
/// prefill), so the weights are read, and the per-micro-batch fixed time paid, once per packed
/// micro-batch: ceil(batch x prompt / micro-batch) of them, not batch x ceil(prompt / micro-batch).
/// The FLOPs and the attention scores are each request's own.
double packed_prefill_round_s(const ResolvedScenario& s, const ThroughputRequest& r, const Throughput& t) {
  const double batch = static_cast<double>(s.batch);
  const std::uint64_t chunk = std::max<std::uint64_t>(1, s.ubatch);
  // Micro-batch passes of the packed prompts, per pass of one request's prompt.
  const double passes = static_cast<double>(ceil_div(s.batch * r.prompt_tokens, chunk)) /
                        static_cast<double>(ceil_div(r.prompt_tokens, chunk));
  double prefill = 0;
  for (const auto& st : t.prefill_stages) {
    // Under DP attention the ranks prefill different prompts at once: each runs the replicated
    // part (attention) of ceil(batch / ranks) of them, and all run the sharded part of every one.
    // (the rank-local part holds the attention, whose FLOPs run at the attention peak)
    const double local =
        st.rank_local_flops > 0 ? compute_seconds(st, st.rank_local_flops, st.attention_flops, st.mfu) : 0.0;
    const double per_rank = static_cast<double>(ceil_div(s.batch, st.attention_ranks));
    const double memory = st.memory_s * passes, compute = (st.compute_s - local) * batch + local * per_rank;
    prefill += (st.copy_then_compute ? memory + compute : std::max(memory, compute)) + st.scores_s * batch +
               st.fixed_s * passes;
  }
  return prefill / t.build_prefill_factor;  // an older build's era (--build-date); 1 for a current build
}

/// Output tokens per second of a server with `batch` requests in flight: per round, every request
/// prefills its prompt and then decodes its output.
double served_tokens_per_s(const ResolvedScenario& s, const ThroughputRequest& r, const Throughput& t) {
  const double output = static_cast<double>(r.output_tokens);
  return static_cast<double>(s.batch) * output / (t.prefill_round_s + output / t.tokens_per_step * t.decode_step_s);
}

/// One sequence's speed while the server keeps `batch` requests in flight and admits a new one as
/// each finishes: during a request's output the other batch - 1 requests each arrive and prefill
/// once, between or inside its decode steps, so its time per output token is the decode step plus
/// (batch - 1) / batch of the round's packed prefills spread over its output tokens. At batch 1 it
/// is the decode speed.
double served_decode_tokens_per_s(const ResolvedScenario& s, const ThroughputRequest& r, const Throughput& t) {
  const double batch = static_cast<double>(s.batch);
  const double interleaved = t.prefill_round_s * (batch - 1.0) / batch / static_cast<double>(r.output_tokens);
  return 1.0 / (t.decode_step_s / t.tokens_per_step + interleaved);
}

/// Every block on NVIDIA or AMD GPUs (the layouts the build eras were fitted on).
bool all_on_discrete_gpus(const Layout& l) {
  if (l.cpu.layers > 0 || l.strategy == LayoutStrategy::expert_offload) return false;
  bool any = false;
  for (const auto& p : l.gpus) {
    if (p.layers == 0 && !p.output_head) continue;
    if (!discrete_gpu(p.device_class)) return false;
    any = true;
  }
  return any;
}

/// The speed shares of an older build's era (--build-date), applied to the decode step and the
/// prefill; 1 for current builds and for layouts the eras were not fitted on.
void apply_build_era(const ResolvedScenario& s, const ModelWork& w, const Layout& l, Throughput& t) {
  if (s.build_date.empty()) return;
  t.build_date = s.build_date;
  const bool moe_on_gpus = w.routed_experts > 0 && std::any_of(l.gpus.begin(), l.gpus.end(), [](const auto& p) {
                             return p.layers > 0 && discrete_gpu(p.device_class);
                           });
  // The stages' fixed times already hold it (moe_block_seconds); kept here to name it in the output.
  if (moe_on_gpus) t.build_moe_layer_seconds = era_moe_block_seconds(s).value_or(0.0);
  if (!all_on_discrete_gpus(l)) return;
  const bool f16 = s.quant->default_type == "f16" || s.quant->default_type == "bf16";
  for (const BuildEra& e : s.engine->performance.build_eras) {
    if (s.build_date >= e.before) continue;
    t.build_decode_factor *= e.decode_factor;
    t.build_prefill_factor *= f16 ? e.prefill_f16_factor : e.prefill_factor;
  }
  t.decode_step_s /= t.build_decode_factor;
  t.prefill_s /= t.build_prefill_factor;
}

/// "0.848 x 0.925 (ampere)": a constant times the factors that are not 1, each named by its key.
std::string product_terms(double base, std::initializer_list<std::pair<double, const std::string*>> factors) {
  std::string out = fmt::format("{:.3g}", base);
  for (const auto& [value, key] : factors)
    if (value != 1.0) out += fmt::format(" x {:.3g} ({})", value, *key);
  return out;
}
const std::string k_routed_experts = "routed experts";
const std::string k_pageable = "pageable (mapped) memory";

/// "0.8 (pinned) x 0.549 (pageable (mapped) memory) = 0.439": the copy's share of the link.
std::string link_terms(const StageTime& st, const ResolvedScenario& s) {
  const auto& p = s.engine->performance;
  return product_terms(p.host_link_efficiency, {{st.pageable_copy ? p.pageable_host_link_factor : 1.0, &k_pageable}}) +
         fmt::format(" = {:.3g}", st.efficiency);
}
const std::string k_engine_kernels = "the engine's own CPU kernels";
}  // namespace

std::string efficiency_terms(const StageTime& st) {
  const auto& f = st.factors;
  return product_terms(f.bandwidth_efficiency,
                       {{f.type_bandwidth, &f.main_type}, {f.architecture_bandwidth, &f.architecture}});
}

std::string mfu_terms(const StageTime& st) {
  const auto& f = st.factors;
  return product_terms(f.prefill_mfu, {{f.architecture_mfu, &f.architecture},
                                       {f.type_mfu, &f.main_type},
                                       {f.moe_mfu, &k_routed_experts},
                                       {f.kernel_mfu, &k_engine_kernels}});
}

Throughput estimate_throughput(const ResolvedScenario& s, const MemoryEstimate& m, const Layout& l, const Hardware& hw,
                               const ThroughputRequest& r, Derivation* explain) {
  if (r.prompt_tokens == 0 || r.output_tokens == 0) throw InputError("prompt and output must be at least 1 token");
  const ModelWork w = model_work(s, m, r.inventory, l.attention_data_parallel > 1);
  Throughput t;
  t.decode_context = static_cast<double>(r.prompt_tokens) + static_cast<double>(r.output_tokens) / 2.0;
  t.decode_stages = stages_for(s, w, l, hw, {s.batch * (s.speculative_tokens + 1), t.decode_context, false, 1, s.batch});
  t.decode_step_s = total_time(t.decode_stages);
  const double tokens_per_step = add_speculation(s, w, t);
  const std::uint64_t chunk = std::max<std::uint64_t>(1, s.ubatch);
  t.prefill_stages = stages_for(s, w, l, hw, {r.prompt_tokens, 0, true, ceil_div(r.prompt_tokens, chunk), 1});
  t.prefill_s = total_time(t.prefill_stages);
  apply_build_era(s, w, l, t);
  if (t.decode_step_s <= 0 || t.prefill_s <= 0) throw InternalError("throughput model produced a zero time");
  t.decode_tokens_per_s = tokens_per_step / t.decode_step_s;
  t.aggregate_tokens_per_s = static_cast<double>(s.batch) * tokens_per_step / t.decode_step_s;
  t.prefill_tokens_per_s = static_cast<double>(r.prompt_tokens) / t.prefill_s;
  t.prefill_round_s = packed_prefill_round_s(s, r, t);
  t.served_tokens_per_s = served_tokens_per_s(s, r, t);
  t.served_decode_tokens_per_s = served_decode_tokens_per_s(s, r, t);
  const double first_step =
      total_time(stages_for(s, w, l, hw,
                            {s.batch, static_cast<double>(r.prompt_tokens), false, 1, s.batch, /*named=*/false})) /
      t.build_decode_factor;
  t.ttft_s = t.prefill_s + first_step;
  t.e2e_latency_s = t.ttft_s + static_cast<double>(r.output_tokens - 1) / t.decode_tokens_per_s;
  double memory = 0, compute = 0, fixed = 0;
  for (const auto& st : t.decode_stages) {
    memory += st.memory_s >= st.compute_s ? st.memory_s : 0.0;
    compute += st.compute_s > st.memory_s ? st.compute_s : 0.0;
    fixed += st.fixed_s;
  }
  t.bound = fixed > std::max(memory, compute) ? "overhead" : (compute > memory ? "compute" : "memory");
  if (explain) {
    for (const auto& st : t.decode_stages)
      explain->push_back({"decode step on " + st.device, stage_formula(st),
                          "data/engines.json performance factors; docs/methodology.md section 8"});
    if (t.speculative_tokens > 0)
      explain->push_back({"MTP speculation",
                          fmt::format("{} draft token(s) per step, {}: 1 + c1 + c1 c2 + ... = {:.2f} tokens per "
                                      "step; the step verifies {} tokens per sequence and adds {:.3f} ms of draft "
                                      "passes (one block each)",
                                      t.speculative_tokens,
                                      mtp_acceptance_words(s.model->arch.traits.mtp_acceptance, t.speculative_tokens),
                                      t.tokens_per_step, t.speculative_tokens + 1, t.draft_s * 1e3),
                          s.model->arch.traits.mtp_acceptance_source + "; " + s.engine->source("mtp")});
    if (const ArchTraits& a = s.model->arch.traits;
        a.graph_block_factor != 1.0 && s.engine->parallelism == Parallelism::layer_split)
      explain->push_back({"graph per block",
                          fmt::format("{}'s blocks take x{:.2f} the fixed time per block (in the stages' fixed "
                                      "times): {} launches that many more kernels per block than the blocks "
                                      "its per-block times were fitted on",
                                      s.model->name, a.graph_block_factor, s.engine->name),
                          a.graph_block_factor_source});
    if (!t.build_date.empty())
      explain->push_back({"build " + t.build_date,
                          fmt::format("an older build: decode at {:.3g} and prefill at {:.3g} of a current build's "
                                      "speed (its era's factors, on the stage times above){}",
                                      t.build_decode_factor, t.build_prefill_factor,
                                      t.build_moe_layer_seconds > 0
                                          ? fmt::format("; its MoE blocks on GPUs take {:.1f} us each (in the "
                                                        "stages' fixed times)",
                                                        t.build_moe_layer_seconds * 1e6)
                                          : ""),
                          "data/engines.json build_eras; docs/methodology.md section 8"});
    for (const auto& st : t.prefill_stages)
      if (st.copy_then_compute)
        explain->push_back(
            {"prefill, weights in RAM",
             fmt::format("{:.3f} s = {:.3e} B copied to GPU0 over PCIe / ({:.1f} GB/s x link efficiency {}) = "
                         "{:.3f} s, then GPU0 computes {} {} = {:.3f}) = {:.3f} s",
                         st.total_s, st.read_bytes, st.bandwidth_bytes_per_s / 1e9, link_terms(st, s), st.memory_s,
                         flops_over_peak(st), mfu_terms(st), st.mfu, st.compute_s),
             "llama.cpp runs batches of 32+ tokens on the GPU (ggml-backend op offload); PCIe per direction = GT/s "
             "x lanes x encoding / 8 (docs/methodology.md section 6); data/engines.json host_link_efficiency and "
             "pageable_host_link_factor; docs/methodology.md section 8"});
    for (const auto& st : t.prefill_stages)
      if (!st.copy_then_compute)
        explain->push_back({"prefill on " + st.device, stage_formula(st),
                            "data/engines.json performance factors; docs/methodology.md section 8"});
    double scores_s = 0;
    for (const auto& st : t.prefill_stages) scores_s += st.scores_s;
    explain->push_back({"prefill",
                        fmt::format("{:.3f} s for {} prompt tokens in {} micro-batches of {}{}", t.prefill_s,
                                    r.prompt_tokens, ceil_div(r.prompt_tokens, chunk), chunk,
                                    scores_s > 0 ? fmt::format(", {:.3f} s of it writing and reading the "
                                                               "attention scores (flash attention off)",
                                                               scores_s)
                                                 : ""),
                        "docs/methodology.md section 8"});
    if (s.batch > 1) {
      const double b = static_cast<double>(s.batch), out = static_cast<double>(r.output_tokens);
      explain->push_back(
          {"served",
           fmt::format("{} requests in flight: their packed prefills take {:.3f} s; output {:.1f} "
                       "tokens/s = {} x {} / ({:.3f} s + {} / {:.2f} x {:.3f} ms); per sequence "
                       "{:.1f} tokens/s = 1 / ({:.3f} ms / {:.2f} + ({} - 1) / {} x {:.3f} s / {})",
                       s.batch, t.prefill_round_s, t.served_tokens_per_s, s.batch, r.output_tokens, t.prefill_round_s,
                       r.output_tokens, t.tokens_per_step, t.decode_step_s * 1e3, t.served_decode_tokens_per_s,
                       t.decode_step_s * 1e3, t.tokens_per_step, b, b, t.prefill_round_s, out),
           "docs/methodology.md section 8 (served throughput, speed per user under load)"});
    }
  }
  return t;
}

std::string speed_class(const ResolvedScenario& s, const Layout& l) {
  std::string family = "cpu";
  bool any_gpu = false;
  for (const auto& p : l.gpus)
    if (p.layers > 0 || p.output_head) {
      any_gpu = true;
      family = std::string(device_class_name(p.device_class));
      if (!p.software_stack.empty()) family.append("-").append(p.software_stack);
    }
  if (any_gpu && (l.cpu.layers > 0 || l.strategy == LayoutStrategy::expert_offload)) family = "hybrid";
  // Data-parallel attention reads and syncs differently: its own class.
  if (l.attention_data_parallel > 1) family += "-dpa";
  return s.engine->speed_class + "/" + family + "/" + s.model->arch.traits.speed_family;
}

namespace {
SpeedRange band_for(const Catalog& cat, const std::string& cls, const char* metric, double tokens_per_s) {
  SpeedRange r;
  r.speed_class = cls;
  const SpeedBand* b = cat.find_speed_band(cls + "/" + metric);
  r.calibrated = b != nullptr && b->measurements > 0;
  r.measurements = b ? b->measurements : 0;
  r.low_tokens_per_s = tokens_per_s * (r.calibrated ? b->low : k_uncalibrated_low);
  r.high_tokens_per_s = tokens_per_s * (r.calibrated ? b->high : k_uncalibrated_high);
  if (b) r.sources = b->sources;
  return r;
}

std::string band_text(const SpeedRange& r) {
  if (!r.calibrated)
    return "uncalibrated: fewer than 3 published measurements of this class, too few for a range; default range "
           "0.5x-2x";
  std::string sources;
  for (const auto& id : r.sources) sources += (sources.empty() ? "" : ", ") + id;
  return fmt::format("{:.1f} to {:.1f} tokens/s: 10th-90th percentile of published / predicted over {} measurements "
                     "({})",
                     r.low_tokens_per_s, r.high_tokens_per_s, r.measurements, sources);
}
}  // namespace

void attach_speed_bands(const Catalog& cat, const ResolvedScenario& s, const Layout& l, Throughput& t,
                        Derivation* explain) {
  const std::string cls = speed_class(s, l);
  t.decode_band = band_for(cat, cls, "decode", t.decode_tokens_per_s);
  t.prefill_band = band_for(cat, cls, "prefill", t.prefill_tokens_per_s);
  t.served_band = t.decode_band;
  if (t.decode_tokens_per_s > 0) {
    const double scale = t.served_decode_tokens_per_s / t.decode_tokens_per_s;
    t.served_band.low_tokens_per_s *= scale;
    t.served_band.high_tokens_per_s *= scale;
  }
  if (explain) {
    explain->push_back({"decode range (" + cls + ")", band_text(t.decode_band),
                        "data/speed_bands.json from tests/data/measurements.json (docs/validation.md section 6.10)"});
    explain->push_back({"prefill range (" + cls + ")", band_text(t.prefill_band),
                        "data/speed_bands.json from tests/data/measurements.json (docs/validation.md section 6.10)"});
  }
}

}  // namespace dsplan
