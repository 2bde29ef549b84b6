// JSON rendering: nlohmann::ordered_json from the result structs; integer bytes, units in keys.
#include <nlohmann/json.hpp>

#include "cli/json_optional.hpp"
#include "cli/render.hpp"
#include "cli/render_json.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/serving/launch.hpp"

#include <cmath>
#include <cstdint>

namespace dsplan::cli {

namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json weights_json(const QuantizedModel& q, Bytes loaded, Bytes derived) {
  ordered_json by_role = ordered_json::array();
  for (const auto& g : q.groups)
    if (g.params.count() > 0)
      by_role.push_back({{"role", std::string(group_name(g.group))}, {"params", g.params.count()},
                         {"bytes", g.bytes.count()}});
  ordered_json by_type = ordered_json::array();
  for (const auto& t : q.types)
    by_type.push_back({{"type", t.type}, {"tensors", t.tensors}, {"params", t.params.count()},
                       {"bytes", t.bytes.count()}});
  return {{"loaded_bytes", loaded.count()},
          {"file_tensor_bytes", q.total.count()},
          {"derived_bytes", derived.count()},
          {"mtp_bytes", q.mtp.count()},
          {"tensor_info_bytes", q.tensor_info_bytes.count()},
          {"bits_per_weight", q.bits_per_weight()},
          {"shape_fallbacks", q.fallbacks},
          {"by_role", by_role},
          {"by_type", by_type}};
}

ordered_json kv_json(const KvCacheSize& kv) {
  ordered_json streams = ordered_json::array();
  for (const auto& s : kv.streams)
    streams.push_back({{"name", s.stream.name},
                       {"layers", s.stream.layers},
                       {"bytes_per_entry", s.bytes_per_entry.count()},
                       {"tokens_per_entry", s.stream.tokens_per_entry},
                       {"window_entries", s.stream.window},
                       {"window_slack_entries", s.stream.window_slack},
                       {"cell_padding", s.stream.cell_padding},
                       {"per_sequence", s.stream.per_sequence},
                       {"read_limit_entries", s.stream.read_limit}});
  return {{"layout", std::string(kv_layout_name(kv.layout))},
          {"cache_type", kv.cache_type},
          {"layers", kv.layers},
          {"k_values_per_token_layer", kv.k_values},
          {"v_values_per_token_layer", kv.v_values},
          {"bytes_per_token", kv.bytes_per_token.count()},
          {"cells_per_sequence", kv.cells_per_sequence},
          {"cells", kv.cells},
          {"total_bytes", kv.total.count()},
          {"streams", streams}};
}

ordered_json derivation_json(const Derivation& d) {
  ordered_json out = ordered_json::array();
  for (const auto& line : d) out.push_back({{"figure", line.figure}, {"formula", line.formula}, {"source", line.source}});
  return out;
}

ordered_json placement_json(const DevicePlacement& p) {
  return {{"name", p.name},
          {"id", p.id},
          {"class", std::string(device_class_name(p.device_class))},
          {"first_layer", p.first_layer},
          {"layers", p.layers},
          {"output_head", p.output_head},
          {"embedding", p.embedding},
          {"routed_experts", p.routed_experts},
          {"stage", p.stage},
          {"weights_bytes", p.weights.count()},
          {"kv_cache_bytes", p.kv_cache.count()},
          {"compute_buffer_bytes", p.compute_buffer.count()},
          {"overhead_bytes", p.overhead.count()},
          {"total_bytes", p.total.count()},
          {"capacity_bytes", positive_or_null(p.capacity.count())},  // system RAM not given: unknown
          {"fits", p.fits}};
}

ordered_json layout_json(const PlanResult& r) {
  const Layout& l = *r.layout;
  ordered_json devices = ordered_json::array();
  for (const auto& g : l.gpus) devices.push_back(placement_json(g));
  ordered_json j{{"strategy", std::string(strategy_name(l.strategy))},
                 {"tensor_parallel", l.tensor_parallel},
                 {"pipeline_parallel", l.pipeline_parallel},
                 {"attention_data_parallel", l.attention_data_parallel},
                 {"gpu_layers", l.gpu_layers},
                 {"experts_in_ram_blocks", l.experts_in_ram_blocks},
                 {"devices", devices},
                 {"cpu", placement_json(l.cpu)},
                 {"cpu_bytes", l.cpu.total.count()},
                 {"fits", l.fits},
                 {"unsupported", l.unsupported.empty() ? ordered_json(nullptr) : ordered_json(l.unsupported)},
                 {"needs_ram_bytes", r.needs_ram ? ordered_json(r.needs_ram->count()) : ordered_json(nullptr)},
                 {"reasons", l.reasons}};
  if (l.strategy == LayoutStrategy::tensor_parallel)
    j["kv_pool"] = {{"bytes_per_gpu", l.kv_pool_per_gpu.count()}, {"tokens", l.kv_pool_tokens},
                    {"max_sequences", l.max_sequences}};
  return j;
}

/// A byte count the speed model carries as a double (a share of a file per device): whole bytes in
/// JSON, as docs/cli.md promises every byte count is.
std::uint64_t whole_bytes(double bytes) { return bytes > 0 ? static_cast<std::uint64_t>(std::llround(bytes)) : 0; }

ordered_json stages_json(const std::vector<StageTime>& stages) {
  ordered_json out = ordered_json::array();
  for (const auto& st : stages)
    out.push_back({{"device", st.device},
                   {"read_bytes", whole_bytes(st.read_bytes)},
                   {"flops", st.flops},
                   {"memory_s", st.memory_s},
                   {"compute_s", st.compute_s},
                   {"fixed_s", st.fixed_s},
                   {"score_bytes", whole_bytes(st.score_bytes)},
                   {"scores_s", st.scores_s},
                   {"batch_compute_s", st.batch_compute_s},
                   {"total_s", st.total_s},
                   {"bandwidth_bytes_per_s", st.bandwidth_bytes_per_s},
                   {"efficiency", st.efficiency},
                   {"peak_tflops", st.peak_tflops},
                   {"mfu", st.mfu}});
  return out;
}

/// null for a current build; else the older build's date and the speed shares applied.
ordered_json build_json(const Throughput& t) {
  if (t.build_date.empty()) return nullptr;
  return {{"date", t.build_date},
          {"decode_factor", t.build_decode_factor},
          {"prefill_factor", t.build_prefill_factor},
          {"moe_layer_seconds", t.build_moe_layer_seconds > 0 ? ordered_json(t.build_moe_layer_seconds) : nullptr}};
}

ordered_json throughput_json(const PlanResult& r) {
  const Throughput& t = *r.throughput;
  return {{"prompt_tokens", r.throughput_request->prompt_tokens},
          {"output_tokens", r.throughput_request->output_tokens},
          {"decode_context_tokens", t.decode_context},
          {"decode_tokens_per_s", t.decode_tokens_per_s},
          {"decode_band", speed_band_json(t.decode_band)},
          {"aggregate_tokens_per_s", t.aggregate_tokens_per_s},
          {"served_tokens_per_s", t.served_tokens_per_s},
          {"served_decode_tokens_per_s", t.served_decode_tokens_per_s},
          {"served_band", speed_band_json(t.served_band)},
          {"prefill_round_s", t.prefill_round_s},
          {"decode_step_s", t.decode_step_s},
          {"speculative_tokens", t.speculative_tokens},
          {"tokens_per_step", t.tokens_per_step},
          {"prefill_tokens_per_s", t.prefill_tokens_per_s},
          {"prefill_band", speed_band_json(t.prefill_band)},
          {"prefill_s", t.prefill_s},
          {"ttft_s", t.ttft_s},
          {"e2e_latency_s", t.e2e_latency_s},
          {"bound", t.bound},
          {"build", build_json(t)},
          {"decode_stages", stages_json(t.decode_stages)},
          {"prefill_stages", stages_json(t.prefill_stages)}};
}

ordered_json cost_json(const CostEstimate& c) {
  ordered_json j{{"tokens_per_day", c.tokens_per_day},
                 {"hours_per_day", c.hours_per_day},
                 {"deployments", c.deployments},
                 {"notes", c.notes}};
  // Every key is always there, null where no price gave a figure (as recommend's cost object).
  j["cloud"] = nullptr;
  j["owned"] = nullptr;
  if (c.cloud)
    j["cloud"] = {{"usd_per_hour", c.cloud->usd_per_hour},
                  {"usd_per_million_tokens", c.cloud->usd_per_million_tokens},
                  {"usd_per_month", c.cloud->usd_per_month},
                  {"price_sources", c.cloud->price_sources}};
  if (c.owned) {
    ordered_json bom = ordered_json::array();
    for (const auto& l : c.owned->bom)
      bom.push_back({{"item", l.item}, {"quantity", l.quantity}, {"unit", l.unit},
                     {"usd_each", l.priced ? ordered_json(l.usd_each) : ordered_json(nullptr)},
                     {"usd", l.priced ? ordered_json(l.usd) : ordered_json(nullptr)}, {"source", l.source}});
    j["owned"] = {{"purchase_usd", c.owned->purchase_usd},       {"host_usd", c.owned->host_usd},
                  {"bom", bom},                                  {"power_watts", c.owned->power_watts},
                  {"usd_per_hour", c.owned->usd_per_hour},       {"usd_per_million_tokens", c.owned->usd_per_million_tokens},
                  {"usd_per_month", c.owned->usd_per_month},     {"tco_usd", c.owned->tco_usd},
                  {"years", c.owned->years},                     {"price_sources", c.owned->price_sources}};
  }
  // The headline figure: the cloud price where there is one, else owning.
  j["usd_per_million_tokens"] = c.cloud   ? ordered_json(c.cloud->usd_per_million_tokens)
                                : c.owned ? ordered_json(c.owned->usd_per_million_tokens)
                                          : ordered_json(nullptr);
  j["break_even_tokens_per_day"] =
      c.break_even_tokens_per_day ? ordered_json(*c.break_even_tokens_per_day) : ordered_json(nullptr);
  return j;
}

ordered_json capacity_json(const CapacityPlan& c) {
  ordered_json j{{"users", c.users},
                 {"target_tokens_per_s", c.target_tokens_per_s},
                 {"replica_fits", c.replica_fits},
                 {"sequences_per_replica", c.sequences_per_replica},
                 {"tokens_per_s_per_user", c.tokens_per_s_at_that_batch},
                 {"replicas", c.replicas},
                 {"gpus", c.gpus}};
  if (c.cloud_usd_per_hour) j["cloud_usd_per_hour"] = *c.cloud_usd_per_hour;
  if (c.cloud_usd_per_month) j["cloud_usd_per_month"] = *c.cloud_usd_per_month;
  if (c.cloud_usd_per_million_tokens) j["cloud_usd_per_million_tokens"] = *c.cloud_usd_per_million_tokens;
  return j;
}

}  // namespace

ordered_json speed_band_json(const SpeedRange& b) {
  return {{"low_tokens_per_s", b.low_tokens_per_s}, {"high_tokens_per_s", b.high_tokens_per_s},
          {"measurements", b.measurements},         {"class", b.calibrated ? b.speed_class : "uncalibrated"},
          {"speed_class", b.speed_class},           {"sources", b.sources}};
}

nlohmann::ordered_json estimate_to_json(const PlanResult& r, bool explain) {
  const auto& s = r.scenario;
  const auto& m = r.memory;
  const auto imatrix = recipe_imatrix(*s.quant, s.layout);
  ordered_json j{{"schema_version", 1},
                 {"model",
                  {{"id", s.model->id},
                   {"name", s.model->name},
                   {"params_total", m.params_total.count()},
                   {"params_active", m.params_active.count()},
                   {"params_active_with_embedding", m.params_active_with_embedding.count()},
                   {"params_mtp", m.params_mtp.count()}}},
                 {"quant",
                  {{"id", s.quant->id},
                   {"name", s.quant->name},
                   {"container", s.layout.container},
                   {"legacy_mla_gguf", s.layout.legacy_mla_gguf},
                   {"imatrix", imatrix ? ordered_json(*imatrix) : ordered_json(nullptr)}}},
                 {"engine",
                  {{"id", s.engine->id},
                   {"flash_attention", s.flash_attention},
                   {"ubatch", s.ubatch},
                   {"mmap", s.mmap},
                   {"op_offload", s.op_offload},
                   {"gpu_memory_utilization", s.engine->gpu_memory_utilization}}},
                 {"context", s.context},
                 {"batch", s.batch},
                 {"kv_type", s.kv_type->id},
                 {"kv_bytes_per_token", m.kv.bytes_per_token.count()},
                 {"memory",
                  {{"weights_bytes", m.weights_loaded.count()},
                   {"kv_cache_bytes", m.kv.total.count()},
                   {"compute_buffer_bytes", m.runtime.compute_buffer.count()},
                   {"overhead_bytes", m.runtime.overhead.count()},
                   {"total_bytes", m.total.count()},
                   {"weights", weights_json(m.weights, m.weights_loaded, m.weights_derived)},
                   {"kv_cache", kv_json(m.kv)}}},
                 {"disk_bytes", m.download.count()},
                 {"cpu_ram_bytes", m.cpu_ram.count()},
                 {"defaults_applied", s.defaults_applied}};
  if (r.context_search)
    j["context_search"] = {
        {"limit", r.context_search->limit},
        {"kv_type", r.context_search->kv_type},
        {"limited_by", r.context_search->limited_by},
        {"found", r.context_search->found},
        {"headroom_rules_out", json_or_null(r.context_search->headroom_rules_out)},
        {"gpu_only_context", r.context_search->gpu_only_context},
        {"gpu_only_decode_tokens_per_s", json_or_null(r.context_search->gpu_only_decode_tokens_per_s)}};
  if (const auto& f = s.quant->file) {
    j["quant"]["files"] = f->files;
    j["quant"]["file_bytes"] = f->file_bytes.count();
    j["quant"]["stand_in"] = f->stand_in;
    j["quant"]["engine_limiting_types"] = f->engine_limiting_types;
  }
  if (r.layout) {
    j["fits"] = r.fits;
    if (r.auto_count) j["gpu_count"] = *r.auto_count;
    if (r.auto_count_none_up_to) j["count_auto_none_up_to"] = *r.auto_count_none_up_to;
    j["layout"] = layout_json(r);
  }
  if (r.hardware) {
    const Host& host = r.hardware->host;
    j["hardware"] = {{"gpu_count", r.hardware->gpu_count()},
                     {"assumed", r.hardware->assumed.empty() ? ordered_json(nullptr) : ordered_json(r.hardware->assumed)},
                     {"host", {{"cpu", host.cpu},
                               {"sockets", host.sockets},
                               {"cores", host.cores > 0 ? ordered_json(host.cores) : ordered_json(nullptr)},
                               {"threads", host.threads > 0 ? ordered_json(host.threads) : ordered_json(nullptr)},
                               {"memory_bandwidth_bytes_per_s", host.bandwidth_bytes_per_s}}}};
  }
  if (r.throughput) j["throughput"] = throughput_json(r);
  if (r.layout && r.layout->fits) {
    const LaunchCommand c = launch(launch_spec(r));
    j["launch"] = {{"command", c.command.empty() ? ordered_json(nullptr) : ordered_json(c.command)},
                   {"verify", c.verify.empty() ? ordered_json(nullptr) : ordered_json(c.verify)}};
  }
  if (r.cost) j["cost"] = cost_json(*r.cost);
  if (r.capacity) j["capacity"] = capacity_json(*r.capacity);
  if (!r.notes.empty()) j["notes"] = r.notes;
  if (explain) j["derivation"] = derivation_json(m.derivation);
  return j;
}

void render_estimate_json(const PlanResult& r, std::ostream& out, bool explain) {
  out << estimate_to_json(r, explain).dump(2) << '\n';
}

}  // namespace dsplan::cli
