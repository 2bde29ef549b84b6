// Human rendering: tables with the unit in every header, memory in GiB, downloads in GB.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cli/format.hpp"
#include "cli/render.hpp"
#include "cli/table.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/serving/launch.hpp"

namespace dsplan::cli {

namespace {

/// The compute buffer's detail: whose activation formula sized it (EngineSpec::compute_buffer_model).
/// An engine sized by another's formula says so: SGLang's buffer is vLLM's profile-run model.
std::string compute_buffer_label(const EngineSpec& e) {
  constexpr std::pair<std::string_view, std::string_view> k_names[] = {
      {"llama.cpp", "llama.cpp"}, {"vllm", "vLLM"}, {"transformers", "Transformers"}};
  std::string name = e.compute_buffer_model;
  for (const auto& [id, shown] : k_names)
    if (id == e.compute_buffer_model) name = shown;
  if (e.id == e.compute_buffer_model) return name + " activations";
  return "activations (" + name + "'s formula)";
}

/// One cache stream: "csa: 21 layers x 585 B per 4 tokens (reads the top 512)".
std::string stream_text(const KvStreamSize& s) {
  std::string text = fmt::format("{}: {} layers x {} B", s.stream.name, s.stream.layers, with_commas(s.bytes_per_entry.count()));
  if (s.stream.per_sequence) return text + " per sequence";
  text += s.stream.tokens_per_entry > 1 ? fmt::format(" per {} tokens", s.stream.tokens_per_entry) : " per token";
  if (s.stream.window > 0) text += fmt::format(", last {} tokens", with_commas(s.stream.window));
  if (s.stream.window_slack > 0) text += fmt::format(" and a micro-batch of {}", with_commas(s.stream.window_slack));
  if (s.stream.cell_padding > 0) text += fmt::format(", in cells padded to {}", s.stream.cell_padding);
  if (s.stream.read_limit > 0) text += fmt::format(" (reads the top {})", with_commas(s.stream.read_limit));
  return text;
}

std::string kv_shape(const KvCacheSize& kv) {
  if (!kv.per_token_exact()) {  // windowed or compressed streams: each with its bytes, which sum to the total
    std::string text = fmt::format("~{} B on average over {} tokens, {}, {}", with_commas(kv.bytes_per_token.count()),
                                   with_commas(kv.cells_per_sequence), kv.cache_type, kv_layout_name(kv.layout));
    for (const auto& s : kv.streams)
      text += fmt::format("\n    {} = {} B", stream_text(s), with_commas(kv.stream_bytes(s).count()));
    return text;
  }
  std::string v = kv.v_values > 0 ? fmt::format(" + V {}", with_commas(kv.v_values)) : " (V read from K)";
  std::string text = fmt::format("{} B = {} layers x (K {}{}) values, {}, {}", with_commas(kv.bytes_per_token.count()),
                                 kv.layers, with_commas(kv.k_values), v, kv.cache_type, kv_layout_name(kv.layout));
  if (kv.streams.size() > 1) {  // V3.2's indexer keys beside the latent: the caches below sum to the total
    text += fmt::format(" + {}; each cache:", kv.streams.size() == 2 ? "the other cache" : "the other caches");
    for (const auto& s : kv.streams) text += "\n    " + stream_text(s);
  }
  return text;
}

/// The backend whose context the overhead is: CUDA, ROCm (HIP) or Metal, as the GPUs run.
std::string runtime_label(const PlanResult& r) {
  if (!r.hardware || r.hardware->gpus.empty()) return "a GPU's context, workspaces (none on the CPU alone)";
  return gpu_context_label(gpu_backend(r.hardware->gpus.front())) + ", workspaces";
}

void memory_table(const PlanResult& r, std::ostream& out) {
  const auto& m = r.memory;
  Table t({{"Memory"}, {"Bytes", Table::Align::right}, {"Size", Table::Align::right}, {"Detail"}});
  const auto row = [&](const std::string& label, Bytes b, const std::string& detail) {
    t.add_row({label, with_commas(b.count()), gib(b), detail});
  };
  row("Weights", m.weights_loaded, fmt::format("{:.2f} bits/weight", m.weights.bits_per_weight()));
  for (const auto& g : m.weights.groups)
    if (g.params.count() > 0) row("  " + std::string(group_name(g.group)), g.bytes, params_short(g.params.count()) + " params");
  if (m.weights_derived.count() > 0)
    row("  derived at load", m.weights_derived,
        r.scenario.engine->id + (r.scenario.legacy_mla_gguf ? ": wk_b and wv_b from attn_kv_b, beside it"
                                                            : ": attn_kv_b from attn_k_b and attn_v_b, beside them"));
  row("KV cache", m.kv.total,
      m.kv.per_token_exact()
          ? fmt::format("{} cells x {} B/token", with_commas(m.kv.cells), with_commas(m.kv.bytes_per_token.count()))
          : fmt::format("{} cells; windowed and compressed caches (KV per token below)", with_commas(m.kv.cells)));
  row("Compute buffer", m.runtime.compute_buffer, compute_buffer_label(*r.scenario.engine));
  row("Runtime overhead", m.runtime.overhead, runtime_label(r));
  row("Total", m.total, "one device holding everything");
  t.render(out, "  ");
}

/// Where weights kept in RAM cross PCIe for a prompt (llama.cpp), the share of the prefill the copy
/// takes, the link it assumes and the memory it reads, when the copy is most of it: the figures a
/// narrower slot and pinned memory (--no-mmap, a plan note) change.
void pcie_copy_note(const Throughput& t, const Device& gpu0, std::ostream& out) {
  double total = 0;
  const StageTime* copy = nullptr;
  for (const auto& st : t.prefill_stages) {
    total += st.total_s;
    if (st.copy_then_compute) copy = &st;
  }
  if (copy == nullptr || copy->memory_s < 0.5 * total) return;
  out << "  Prompt: " << fixed(100.0 * copy->memory_s / total, 0)
      << " % of it copies weights kept in RAM to GPU0 over PCIe " << gpu0.pcie_gen << " x" << gpu0.pcie_lanes << " at "
      << fixed(copy->bandwidth_bytes_per_s / 1e9, 1) << " GB/s x " << fixed(copy->efficiency, 2)
      << (copy->pageable_copy ? " from mapped (pageable) memory" : " from pinned memory")
      << " (--pcie sets the slot's link)\n";
}

}  // namespace

std::string blocks_text(const DevicePlacement& p) {
  std::string text = p.layers == 0 ? "-" : fmt::format("{}-{}", p.first_layer, p.first_layer + p.layers - 1);
  if (p.output_head) text += " +output";
  if (p.embedding) text += " +embd";
  if (p.routed_experts) text += " +experts";
  return text;
}

/// "[WWWWWWWWKK.BO......] 17.9 / 24.0 GiB": one device's memory on a bar of `width` characters
/// spanning its capacity (or its total, when that is larger). A host of unknown size gets no bar:
/// a full one would read as full.
static std::string memory_bar(const DevicePlacement& p, bool color, bool ram_is_gpu_memory) {
  if (p.capacity.count() == 0)
    return fixed(p.total.gib(), 1) + (ram_is_gpu_memory ? " GiB (in the same memory as the GPU's, one for CPU and GPU)"
                                                        : " GiB (size not given: --ram)");
  constexpr std::size_t width = 40;
  const Bytes parts[] = {p.weights, p.kv_cache, p.compute_buffer, p.overhead};
  constexpr char marks[] = {'W', 'K', 'B', 'O'};
  constexpr const char* colors[] = {"\x1b[34m", "\x1b[33m", "\x1b[32m", "\x1b[35m"};
  const double scale = static_cast<double>(std::max(p.capacity, p.total).count());
  std::string bar = "[";
  std::size_t at = 0;
  double sum = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    sum += static_cast<double>(parts[k].count());
    const auto end = scale > 0 ? std::min(width, static_cast<std::size_t>(std::lround(sum / scale * width))) : 0;
    if (end <= at) continue;
    if (color) bar += colors[k];
    bar.append(end - at, marks[k]);
    if (color) bar += "\x1b[0m";
    at = end;
  }
  bar.append(width - at, '.');
  bar += "] ";
  bar += fixed(p.total.gib(), 1);
  bar += " / ";
  bar += fixed(p.capacity.gib(), 1);
  bar += " GiB";
  if (p.total > p.capacity) bar += " (over by " + gib(Bytes(p.total.count() - p.capacity.count())) + ")";
  return bar;
}

/// Why llama.cpp's -ngl is more than the layers on GPUs: a block the file holds but llama.cpp skips.
static std::string skipped_slots_note(const PlanResult& r) {
  const LaunchSpec s = launch_spec(r);
  const std::uint64_t ngl = llama_gpu_layers(s);
  if (s.skipped_file_blocks == 0 || ngl == s.gpu_layers || ngl == k_llama_all_layers) return "";
  return fmt::format("; llama.cpp -ngl {}, with the file's MTP block, which it does not load", ngl);
}

void layout_section(const PlanResult& r, std::ostream& out, bool color) {
  const Layout& l = *r.layout;
  out << "\nLayout: " << strategy_name(l.strategy);
  if (l.strategy == LayoutStrategy::tensor_parallel)
    out << " (tensor parallel " << l.tensor_parallel << " x pipeline parallel " << l.pipeline_parallel
        << (l.attention_data_parallel > 1 ? fmt::format(", data-parallel attention {}", l.attention_data_parallel) : "")
        << ")";
  else
    out << " (" << l.gpu_layers << " of " << r.memory.weights.block_bytes.size() + 1 << " layers on GPUs"
        << skipped_slots_note(r) << ")";
  if (r.auto_count) out << ", --count auto chose " << *r.auto_count;
  if (r.auto_count_none_up_to)
    out << ", --count auto: no count up to " << *r.auto_count_none_up_to << " holds it on the GPUs alone, so "
        << *r.auto_count_none_up_to << " are planned";
  if (!l.unsupported.empty())
    out << " -> CANNOT RUN ON THIS HARDWARE (not a memory limit: the first note says why)\n";
  else if (!l.fits)
    out << " -> DOES NOT FIT\n";
  else if (r.needs_ram && ram_is_gpu_memory(*r.hardware))
    out << " -> does not fit: it needs " << gib(*r.needs_ram) << " more, and " << r.hardware->gpus.front().name
        << "'s one memory for CPU and GPU is all the GPU's\n";
  else if (r.needs_ram) out << " -> fits only with >= " << gib(*r.needs_ram) << " of system RAM (give --ram)\n";
  else out << " -> fits\n";
  // Ranks of a tensor-parallel stage hold the same: one row per run of identical placements.
  std::vector<DevicePlacement> rows;
  for (std::size_t i = 0; i < l.gpus.size();) {
    std::size_t j = i + 1;
    while (j < l.gpus.size() && l.gpus[j].stage == l.gpus[i].stage && l.gpus[j].total == l.gpus[i].total &&
           l.gpus[j].first_layer == l.gpus[i].first_layer && l.gpus[j].layers == l.gpus[i].layers &&
           l.gpus[j].id == l.gpus[i].id)
      ++j;
    DevicePlacement p = l.gpus[i];
    if (j - i > 1) p.name = fmt::format("GPU{}-{} {}", i, j - 1, p.name.substr(p.name.find(' ') + 1));
    rows.push_back(std::move(p));
    i = j;
  }
  if (l.cpu.total.count() > 0) rows.push_back(l.cpu);
  if (rows.empty()) {  // nothing placed (a GPU engine on a machine without GPUs): only why
    for (const auto& why : l.reasons) out << "  Note: " << why << '\n';
    return;
  }
  Table t({{"Device"}, {"Blocks"}, {"Weights [GiB]", Table::Align::right}, {"KV [GiB]", Table::Align::right},
           {"Buffers [GiB]", Table::Align::right}, {"Total [GiB]", Table::Align::right},
           {"Capacity [GiB]", Table::Align::right}, {"Fits"}});
  for (const auto& p : rows)
    t.add_row({p.name, blocks_text(p), fixed(p.weights.gib(), 2), fixed(p.kv_cache.gib(), 2),
               fixed((p.compute_buffer + p.overhead).gib(), 2), fixed(p.total.gib(), 2),
               p.capacity.count() == 0 ? (ram_is_gpu_memory(*r.hardware) ? "shared" : "?") : fixed(p.capacity.gib(), 2),
               p.fits ? "yes" : "NO"});
  t.render(out, "  ");
  std::size_t name_width = 0;
  for (const auto& p : rows) name_width = std::max(name_width, p.name.size());
  out << "  Memory per device: W weights, K KV cache, B compute buffer, O overhead, . free\n";
  for (const auto& p : rows) {
    out << "    " << p.name << std::string(name_width - p.name.size(), ' ') << "  "
        << memory_bar(p, color, ram_is_gpu_memory(*r.hardware)) << '\n';
  }
  if (l.strategy == LayoutStrategy::tensor_parallel)
    out << "  KV pool: " << gib(l.kv_pool_per_gpu) << " per GPU = "
        << (l.attention_data_parallel > 1
                ? with_commas(l.kv_pool_tokens / l.attention_data_parallel) + " tokens on each of " +
                      std::to_string(l.attention_data_parallel) + " data-parallel ranks = "
                : std::string())
        << with_commas(l.kv_pool_tokens) << " tokens, " << count_of(l.max_sequences, "sequence", "sequences") << " of "
        << with_commas(r.memory.kv.cells_per_sequence) << " tokens at once\n";
  for (const auto& why : l.reasons) out << "  Note: " << why << '\n';
}

std::string band_note(const SpeedRange& b, double value) {
  const auto pct = [&](double v) { return fmt::format("{:+.0f}%", (v / value - 1.0) * 100.0); };
  if (!b.calibrated) return "(uncalibrated: " + pct(b.low_tokens_per_s) + "..." + pct(b.high_tokens_per_s) + ")";
  // Past the 0.5x-2x an uncalibrated figure gets, the class's runs are too spread to call typical.
  const bool spread = b.low_tokens_per_s < 0.5 * value || b.high_tokens_per_s > 2.0 * value;
  return std::string(spread ? "(unreliable: published runs like it fall " : "(typically ") + pct(b.low_tokens_per_s) +
         "..." + pct(b.high_tokens_per_s) + "; " + std::to_string(b.measurements) + " similar measurement" +
         (b.measurements == 1 ? "" : "s") + ")";
}

std::string ttft_range(double ttft_s, double prefill_tokens_per_s, const SpeedRange& b) {
  if (!(b.low_tokens_per_s > 0) || !(b.high_tokens_per_s > 0)) return "";
  const double fast = ttft_s * prefill_tokens_per_s / b.high_tokens_per_s;
  const double slow = ttft_s * prefill_tokens_per_s / b.low_tokens_per_s;
  return fmt::format(" ({:.2f}-{:.2f} s{})", fast, slow, b.calibrated ? "" : ", uncalibrated");
}

void throughput_section(const PlanResult& r, std::ostream& out) {
  const Throughput& t = *r.throughput;
  const auto& req = *r.throughput_request;
  out << "\nThroughput (prompt " << with_commas(req.prompt_tokens) << " + output " << with_commas(req.output_tokens)
      << " tokens; decode at " << count_of(static_cast<std::uint64_t>(t.decode_context), "token", "tokens")
      << " of context)\n";
  out << "  Decode: ~ " << fixed(t.decode_tokens_per_s, 1) << " tokens/s per sequence "
      << band_note(t.decode_band, t.decode_tokens_per_s) << ", " << fixed(t.aggregate_tokens_per_s, 1)
      << " tokens/s for " << count_of(r.scenario.batch, "sequence", "sequences") << " ("
      << fixed(t.decode_step_s * 1e3, 1) << " ms per step, " << t.bound << "-bound)\n";
  if (!t.build_date.empty())
    out << "  Build of " << t.build_date << ": decode x" << fixed(t.build_decode_factor, 3) << ", prefill x"
        << fixed(t.build_prefill_factor, 3) << " of a current build's speed"
        << (t.build_moe_layer_seconds > 0
                ? ", " + fixed(t.build_moe_layer_seconds * 1e6, 0) + " us per MoE block on GPUs (its era's)"
                : std::string())
        << " (data/engines.json build_eras)\n";
  if (t.speculative_tokens > 0)
    out << "  MTP speculation: " << t.speculative_tokens << " draft token" << (t.speculative_tokens == 1 ? "" : "s")
        << " per step -> " << fixed(t.tokens_per_step, 2) << " tokens per step ("
        << mtp_acceptance_words(r.scenario.model->arch.traits.mtp_acceptance, t.speculative_tokens)
        << "); draft passes " << fixed(t.draft_s * 1e3, 2) << " ms of the step\n";
  if (r.scenario.batch > 1)
    out << "  Served: ~ " << fixed(t.served_tokens_per_s, 1) << " output tokens/s with " << r.scenario.batch
        << " requests in flight, each also prefilling its " << with_commas(req.prompt_tokens) << "-token prompt; ~ "
        << fixed(t.served_decode_tokens_per_s, 1) << " tokens/s per sequence "
        << band_note(t.served_band, t.served_decode_tokens_per_s) << " (TPOT "
        << fixed(1e3 / t.served_decode_tokens_per_s, 1) << " ms) while the others' prompts are prefilled between its "
        << "decode steps\n";
  out << "  Prefill: ~ " << fixed(t.prefill_tokens_per_s, 0) << " tokens/s "
      << band_note(t.prefill_band, t.prefill_tokens_per_s) << "; time to first token " << fixed(t.ttft_s, 2) << " s"
      << ttft_range(t.ttft_s, t.prefill_tokens_per_s, t.prefill_band) << "; request end to end "
      << fixed(t.e2e_latency_s, 1) << " s\n";
  if (r.hardware && !r.hardware->gpus.empty()) pcie_copy_note(t, r.hardware->gpus.front(), out);
  if (!t.decode_band.calibrated && !t.prefill_band.calibrated)
    out << "  Warning: fewer than 3 published measurements of a " << t.decode_band.speed_class
        << " run in dsplan's measurement set, too few for a range; these speeds are uncalibrated (docs/validation.md "
           "section 6.10)\n";
  else if (!t.decode_band.calibrated || !t.prefill_band.calibrated)  // one phase measured, not the other
    out << "  Warning: fewer than 3 published " << (t.decode_band.calibrated ? "prefill" : "decode")
        << " measurements of a " << t.decode_band.speed_class
        << " run in dsplan's measurement set, too few for a range; that speed is uncalibrated (docs/validation.md "
           "section 6.10)\n";
}

void launch_lines(const PlanResult& r, std::ostream& out, const std::string& indent) {
  const LaunchCommand c = launch(launch_spec(r));
  out << indent << "Run:    " << c.shown() << '\n';
  if (!c.verify.empty()) out << indent << "Verify: " << c.verify << '\n';
}

/// Tokens a day: "11.09 M", or the count where millions would print as 0.00.
static std::string tokens_per_day_text(double tokens) {
  return tokens >= 1e5 ? fixed(tokens / 1e6, 2) + " M" : with_commas(static_cast<std::uint64_t>(std::llround(tokens)));
}

/// Dollars a month: whole dollars, cents where whole dollars would print $0.
static std::string usd_per_month_text(double usd) { return "$" + fixed(usd, usd < 10 ? 2 : 0) + "/month"; }

void cost_section(const PlanResult& r, std::ostream& out) {
  const CostEstimate& c = *r.cost;
  out << "\nCost (" << tokens_per_day_text(c.tokens_per_day) << " output tokens/day = "
      << (c.hours_per_day < 0.1 ? fmt::format("{:.1f} min", c.hours_per_day * 60) : fixed(c.hours_per_day, 1) + " h")
      << "/day of this deployment"
      << (c.deployments > 1 ? ": " + std::to_string(c.deployments) + " of them, owned, or as many rented"
                            : std::string())
      << ")\n";
  if (c.cloud)
    out << "  Cloud: $" << fixed(c.cloud->usd_per_hour, 2) << "/h -> $" << fixed(c.cloud->usd_per_million_tokens, 2)
        << " per 1M output tokens, " << usd_per_month_text(c.cloud->usd_per_month) << "\n";
  // Purchase and power are one deployment's; the month and the TCO pay for all it takes.
  const std::string each = c.deployments > 1 ? std::to_string(c.deployments) + " x (" : std::string();
  if (c.owned)
    out << "  Owned: " << each
        << (c.owned->purchase_usd > 0 ? "$" + fixed(c.owned->purchase_usd, 0) + " of GPUs + " : std::string()) << "$"
        << fixed(c.owned->host_usd, 0) << " of host, "
        << (c.owned->power_watts > 0 ? fixed(c.owned->power_watts, 0) + " W at the wall" : std::string("power unknown"))
        << (each.empty() ? "" : ")") << " -> $" << fixed(c.owned->usd_per_million_tokens, 2)
        << " per 1M output tokens, " << usd_per_month_text(c.owned->usd_per_month) << ", "
        << fmt::format("{:g}", c.owned->years) << "-year TCO $" << fixed(c.owned->tco_usd, 0) << '\n';
  if (c.break_even_tokens_per_day)
    out << "  Owning beats the cloud where each deployment serves more than "
        << fixed(*c.break_even_tokens_per_day / 1e6, 2) << " M output tokens/day (one serves at most "
        << fixed(c.tokens_per_day / c.hours_per_day * 24.0 / 1e6, 2) << " M)\n";
  if (c.owned && c.owned->bom.size() > 1) {
    out << "  Bill of materials (owned):\n";
    for (const auto& l : c.owned->bom) {
      out << "    " << fixed(l.quantity, l.quantity == std::floor(l.quantity) ? 0 : 1) << ' ' << l.unit << "  " << l.item
          << ": ";
      if (l.priced) out << '$' << fixed(l.usd, 0) << " ($" << fixed(l.usd_each, l.usd_each < 100 ? 2 : 0) << " each)\n";
      else out << "not priced\n";
    }
  }
  for (const auto& n : c.notes) out << "  Note: " << n << '\n';
  if (c.cloud)
    for (const auto& src : c.cloud->price_sources) out << "  Price: " << src << '\n';
}

void capacity_section(const PlanResult& r, std::ostream& out) {
  const CapacityPlan& c = *r.capacity;
  out << "\nCapacity: " << with_commas(c.users) << " users";
  if (c.target_tokens_per_s > 0) out << " at >= " << fixed(c.target_tokens_per_s, 1) << " tokens/s each";
  if (!c.replica_fits) {
    out << ": not planned, one replica does not fit this hardware (the layout and the notes say why)\n";
    return;
  }
  if (c.replicas == 0) {
    out << ": not even one user reaches that speed on this hardware\n";
    return;
  }
  out << ": " << c.sequences_per_replica << " per replica (" << fixed(c.tokens_per_s_at_that_batch, 1)
      << " tokens/s each) -> " << c.replicas << (c.replicas == 1 ? " replica, " : " replicas, ") << c.gpus
      << (c.gpus == 1 ? " GPU" : " GPUs");
  if (c.cloud_usd_per_hour)
    out << ", $" << fixed(*c.cloud_usd_per_hour, 2) << "/h ($" << fixed(*c.cloud_usd_per_month, 0) << "/month)";
  if (c.cloud_usd_per_million_tokens)
    out << " -> $" << fixed(*c.cloud_usd_per_million_tokens, 2) << " per 1M output tokens at this load";
  out << '\n';
}

void render_estimate_table(const PlanResult& r, std::ostream& out, bool explain, bool color) {
  const auto& s = r.scenario;
  const auto& m = r.memory;
  out << s.model->name << " | " << s.quant->name << " (" << s.layout.container
      << (s.layout.legacy_mla_gguf ? ", legacy attn_kv_b layout" : "")
      << (recipe_imatrix(*s.quant, s.layout).value_or(false) ? ", imatrix" : "") << ") | " << s.engine->name << '\n';
  out << "Context " << count_of(s.context, "token", "tokens") << " x " << count_of(s.batch, "sequence", "sequences")
      << ", KV cache " << s.kv_type->id << ", flash attention " << (s.flash_attention ? "on" : "off") << '\n';
  if (const auto& cs = r.context_search) {
    if (cs->limited_by == "unsupported")
      out << "Context max: none: this hardware cannot run it at any context (the first note says why)\n";
    else if (!cs->found)
      out << "Context max: not even " << with_commas(s.context) << " tokens fit (limited by " << cs->limited_by
          << (cs->headroom_rules_out
                  ? fmt::format(", with {:.0f}% of each device left free; they fit with none: --headroom 0",
                                *cs->headroom_rules_out * 100)
                  : std::string())
          << ")\n";
    else
      out << "Context max: " << with_commas(s.context) << " tokens fit with KV cache " << cs->kv_type << " (window "
          << with_commas(cs->limit) << "; limited by "
          << (cs->limited_by == "model" ? std::string("the model's window") : cs->limited_by) << ")\n";
    if (cs->gpu_only_context > 0)
      out << "  with every layer on the GPUs"
          << (r.layout && r.layout->strategy == LayoutStrategy::expert_offload ? " (routed experts in RAM)" : "")
          << ": " << with_commas(cs->gpu_only_context) << " tokens"
          << (cs->gpu_only_decode_tokens_per_s ? fmt::format(" at {:.1f} tokens/s", *cs->gpu_only_decode_tokens_per_s)
                                               : std::string())
          << "; past it, layers move to system RAM (decode below)\n";
  }
  out << '\n';

  out << "  Parameters: " << params_full(m.params_total.count()) << "; active per token "
      << params_short(m.params_active.count()) << " without the embedding lookup, "
      << params_short(m.params_active_with_embedding.count()) << " with it";
  const bool file_without_mtp = s.quant->file && m.weights.mtp.count() == 0;
  if (m.params_mtp.count() > 0)
    out << "; MTP module " << params_short(m.params_mtp.count())
        << (file_without_mtp           ? " (not in this file)"
            : s.speculative_tokens > 0 ? " (loaded: it drafts, --mtp)"
                                       : " (not loaded)");
  out << "\n\n";
  memory_table(r, out);

  out << "\n  KV per token: " << kv_shape(m.kv) << '\n';
  auto by_bytes = m.weights.types;
  std::stable_sort(by_bytes.begin(), by_bytes.end(), [](const TypeUsage& x, const TypeUsage& y) { return x.bytes > y.bytes; });
  std::string types;
  for (const auto& t : by_bytes)
    types += fmt::format("{}{} x{} ({})", types.empty() ? "" : ", ", t.type, t.tensors, gib(t.bytes));
  // The file's tensors: with the MTP module where the file has one, loaded or not.
  out << "  Tensor types"
      << (m.weights.mtp.count() > 0 ? " (the file's, with the MTP module's " + gib(m.weights.mtp) + ")" : std::string())
      << ": " << types << '\n';
  if (m.weights.fallbacks > 0)
    out << "  Shape fallbacks: " << m.weights.fallbacks << " tensors whose rows the chosen block does not divide\n";
  out << "  Download: " << gb(m.download) << " (" << s.layout.container << " file"
      << (m.weights.mtp.count() > 0 ? ", MTP module included" : "") << ")\n";
  if (const auto& f = s.quant->file)
    out << "  File: " << printable(f->files.front())
        << (f->files.size() > 1 ? " (+" + count_of(f->files.size() - 1, "more part", "more parts") + ")"
                                : std::string())
        << "; its exact tensors; "
        << (f->engine_limiting_types.empty()
                ? "engines and quality figure"
                : "engines: those that load " + join(f->engine_limiting_types) + "; quality figure")
        << " as " << f->stand_in << " (the catalog format closest in size)\n";
  out << "  CPU only: " << gib(m.cpu_ram) << " of system RAM (weights + KV + compute buffer)\n";
  if (s.engine->gpu_memory_utilization < 1.0)
    out << "  " << s.engine->name << " claims " << fixed(s.engine->gpu_memory_utilization * 100, 0)
        << "% of a card: this needs one of at least " << gib(Bytes(static_cast<std::uint64_t>(
               static_cast<double>(m.total.count()) / s.engine->gpu_memory_utilization)))
        << '\n';
  if (!s.defaults_applied.empty()) {
    out << "  Defaults:";
    for (std::size_t i = 0; i < s.defaults_applied.size(); ++i) out << (i ? "; " : " ") << s.defaults_applied[i];
    out << '\n';
  }
  if (r.hardware && !r.hardware->assumed.empty()) out << "  Assumed: " << r.hardware->assumed << '\n';
  if (r.layout) layout_section(r, out, color);
  if (r.throughput) throughput_section(r, out);
  if (r.layout && r.layout->fits) {
    out << "\nLaunch (this layout; Verify measures it)\n";
    launch_lines(r, out, "  ");
  }
  if (r.cost) cost_section(r, out);
  if (r.capacity) capacity_section(r, out);
  for (const auto& n : r.notes) out << "Note: " << n << '\n';
  if (explain) derivation_section(m.derivation, out);
}

void derivation_section(const Derivation& d, std::ostream& out) {
  out << "\nHow these figures were derived\n";
  for (const auto& line : d)
    out << "  " << line.figure << ": " << line.formula << "\n    source: " << line.source << '\n';
}

}  // namespace dsplan::cli
