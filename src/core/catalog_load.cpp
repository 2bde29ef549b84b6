// Catalog loading: parse each layer's JSON, merge by id, resolve and check cross-references.
#include "dsplan/catalog_load.hpp"

#include <algorithm>
#include <set>

#include "dsplan/error.hpp"
#include "dsplan/text.hpp"
#include "config_parse.hpp"
#include "embedded_catalog.hpp"
#include "json_node.hpp"
#include "tensor_tags.hpp"

namespace dsplan {

using detail::JsonNode;

namespace {

std::string join_sources(const JsonNode& node) {
  std::string out;
  for (const auto& s : node.sources()) out += (out.empty() ? "" : "; ") + s;
  return out;
}

ArchKind parse_arch_kind(const JsonNode& node) {
  const std::string kind = node.str();
  if (kind == "dense") return ArchKind::dense;
  if (kind == "mla_moe") return ArchKind::mla_moe;
  node.fail("expected \"dense\" or \"mla_moe\", got \"" + kind + "\"");
}

ArchTraits parse_arch_traits(const JsonNode& node) {
  node.check_keys({"kind", "qkv_bias", "qk_norm", "dsa_indexer", "llama_cpp_arch", "source"});
  ArchTraits t;
  t.kind = parse_arch_kind(node.at("kind"));
  t.qkv_bias = node.bool_or("qkv_bias", false);
  t.qk_norm = node.bool_or("qk_norm", false);
  t.dsa_indexer = node.bool_or("dsa_indexer", false);
  t.llama_cpp_arch = node.str_or("llama_cpp_arch", "");
  t.source = join_sources(node.at("source"));
  return t;
}

}  // namespace

/// The subset of config.json dsplan reads. Other keys are allowed (configs are copied verbatim).
/// Also used by hf_config.cpp for a config.json read from disk (config_parse.hpp).
ModelArch detail::parse_config(const JsonNode& c) {
  ModelArch a;
  a.model_type = c.str("model_type");
  a.hidden_size = c.positive("hidden_size");
  a.num_layers = c.positive("num_hidden_layers");
  a.num_heads = c.positive("num_attention_heads");
  a.num_kv_heads = c.has("num_key_value_heads") ? c.positive("num_key_value_heads") : a.num_heads;
  if (a.num_heads % a.num_kv_heads != 0)
    c.at("num_key_value_heads").fail("num_attention_heads (" + std::to_string(a.num_heads) +
                                     ") must be a multiple of num_key_value_heads");
  a.head_dim = c.has("head_dim") ? c.positive("head_dim") : a.hidden_size / a.num_heads;
  a.intermediate_size = c.positive("intermediate_size");
  a.vocab_size = c.positive("vocab_size");
  a.tie_word_embeddings = c.bool_or("tie_word_embeddings", false);
  a.max_context = c.positive("max_position_embeddings");
  if (const auto rope = c.find("rope_scaling")) {
    rope->expect_object();
    a.rope_type = rope->str_or("rope_type", rope->str_or("type", ""));
  }
  if (c.has("kv_lora_rank")) {
    a.q_lora_rank = c.u64_or("q_lora_rank", 0);
    a.kv_lora_rank = c.positive("kv_lora_rank");
    a.qk_nope_head_dim = c.positive("qk_nope_head_dim");
    a.qk_rope_head_dim = c.positive("qk_rope_head_dim");
    a.v_head_dim = c.positive("v_head_dim");
  }
  if (c.has("n_routed_experts")) {
    a.moe_intermediate_size = c.positive("moe_intermediate_size");
    a.n_routed_experts = c.positive("n_routed_experts");
    a.n_shared_experts = c.u64_or("n_shared_experts", 0);
    a.experts_per_token = c.positive("num_experts_per_tok");
    if (a.experts_per_token > a.n_routed_experts)
      c.at("num_experts_per_tok").fail("more experts per token than routed experts");
    a.first_k_dense_replace = c.u64_or("first_k_dense_replace", 0);
    a.moe_layer_freq = c.has("moe_layer_freq") ? c.positive("moe_layer_freq") : 1;
    a.router_bias = c.str_or("topk_method", "") == "noaux_tc";
  }
  a.mtp_layers = c.u64_or("num_nextn_predict_layers", 0);
  if (c.has("index_n_heads")) {
    a.index_n_heads = c.positive("index_n_heads");
    a.index_head_dim = c.positive("index_head_dim");
    a.index_topk = c.positive("index_topk");
  }
  return a;
}

namespace {

Benchmarks parse_benchmarks(const JsonNode& node) {
  Benchmarks b;
  for (const auto& [key, value] : node.members()) {
    if (key == "source") b.source = join_sources(value);
    else b.scores[key] = value.non_negative();
  }
  if (b.source.empty()) node.fail("benchmark scores need a 'source'");
  return b;
}

ModelSpec parse_model(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "family", "hf_repo", "base_model", "license", "release_date",
                "native_dtype", "config", "config_source", "published_params", "checkpoint_total_size_bytes",
                "checkpoint_total_size_source", "gguf_kv_bytes", "llama_cpp", "benchmarks", "notes"});
  ModelSpec m;
  m.id = n.str("id");
  m.name = n.str("name");
  m.aliases = n.strings_or_empty("aliases");
  m.family = n.str("family");
  m.hf_repo = n.str("hf_repo");
  m.base_model = n.str_or("base_model", "");
  m.license = n.str_or("license", "");
  m.release_date = n.str_or("release_date", "");
  m.native_quant = n.str("native_dtype");
  m.arch = detail::parse_config(n.at("config"));
  m.config_source = n.str("config_source");
  if (const auto p = n.find("published_params")) {
    p->check_keys({"total", "source"});
    m.published_params = p->positive("total");
    m.published_params_source = join_sources(p->at("source"));
  }
  if (n.has("checkpoint_total_size_bytes")) {
    m.checkpoint_bytes = n.positive("checkpoint_total_size_bytes");
    m.checkpoint_bytes_source = n.str("checkpoint_total_size_source");
  }
  if (const auto g = n.find("gguf_kv_bytes")) {
    g->check_keys({"bytes", "source"});
    m.gguf_kv_bytes = g->positive("bytes");
    m.gguf_kv_bytes_source = join_sources(g->at("source"));
  }
  if (const auto l = n.find("llama_cpp")) {
    l->check_keys({"type", "source"});
    m.llama_cpp_type = l->str("type");
    m.llama_cpp_type_source = join_sources(l->at("source"));
  }
  if (const auto b = n.find("benchmarks")) m.benchmarks = parse_benchmarks(*b);
  m.notes = n.str_or("notes", "");
  m.origin = n.origin();
  return m;
}

BlockType parse_block_type(const JsonNode& n) {
  n.check_keys({"id", "name", "weights_per_block", "bytes_per_block", "element_bits", "scale_tile", "scale_bits",
                "second_level", "per_input_column_bits", "per_tensor_bytes", "source"});
  BlockType b;
  b.id = n.str("id");
  b.name = n.str_or("name", b.id);
  if (n.has("weights_per_block")) {
    b.weights_per_block = n.positive("weights_per_block");
    b.bytes_per_block = n.positive("bytes_per_block");
  } else {
    b.element_bits = n.positive("element_bits");
    if (const auto tile = n.find("scale_tile")) {
      const auto dims = tile->elements();
      if (dims.size() != 2) tile->fail("expected [rows, cols] (cols 0 = whole row)");
      b.scale_rows = dims[0].positive();
      b.scale_cols = dims[1].u64();
      b.scale_bits = n.positive("scale_bits");
    }
    if (const auto second = n.find("second_level")) {
      second->check_keys({"tiles", "bits"});
      b.second_level_tiles = second->positive("tiles");
      b.second_level_bits = second->positive("bits");
    }
    b.per_input_column_bits = n.u64_or("per_input_column_bits", 0);
    b.per_tensor_bytes = n.u64_or("per_tensor_bytes", 0);
  }
  b.source = join_sources(n.at("source"));
  return b;
}

RuleCondition parse_condition(const JsonNode& n) {
  n.check_keys({"layer", "index_lt", "index", "gqa_min", "experts_min", "experts_eq", "model_type", "imatrix",
                "default_block_fits", "gqa_or_experts"});
  RuleCondition c;
  if (const auto layer = n.find("layer")) {
    const std::string v = layer->str();
    if (v == "more_bits") c.layer = LayerSelector::more_bits;
    else if (v == "first_eighth") c.layer = LayerSelector::first_eighth;
    else if (v == "first_sixteenth") c.layer = LayerSelector::first_sixteenth;
    else if (v == "middle") c.layer = LayerSelector::middle;
    else layer->fail("expected more_bits, first_eighth, first_sixteenth or middle");
  }
  if (n.has("index_lt")) c.index_lt = n.u64("index_lt");
  const std::string index = n.str_or("index", "layer");
  if (index != "layer" && index != "ordinal") n.at("index").fail("expected \"layer\" or \"ordinal\"");
  c.use_ordinal = index == "ordinal";
  if (n.has("gqa_min")) c.gqa_min = n.u64("gqa_min");
  if (n.has("experts_min")) c.experts_min = n.u64("experts_min");
  if (n.has("experts_eq")) c.experts_eq = n.u64("experts_eq");
  c.model_type = n.str_or("model_type", "");
  if (n.has("imatrix")) c.imatrix = n.at("imatrix").boolean();
  if (n.has("default_block_fits")) c.default_block_fits = n.at("default_block_fits").boolean();
  if (n.has("gqa_or_experts")) c.gqa_or_experts = n.at("gqa_or_experts").boolean();
  return c;
}

QuantRule parse_rule(const JsonNode& n) {
  n.check_keys({"match", "when", "type", "why"});
  QuantRule r;
  r.match = n.at("match").strings();
  if (r.match.empty()) n.at("match").fail("expected at least one tag");
  if (const auto w = n.find("when")) r.when = parse_condition(*w);
  r.type = n.str("type");
  return r;
}

std::vector<QuantRule> parse_rules(const JsonNode& n) {
  std::vector<QuantRule> out;
  for (const auto& e : n.elements()) out.push_back(parse_rule(e));
  return out;
}

ContainerRules parse_container(const std::string& id, const JsonNode& n) {
  n.check_keys({"unquantized", "fallback", "final_fallback", "source"});
  ContainerRules c;
  c.id = id;
  if (const auto u = n.find("unquantized")) c.unquantized = parse_rules(*u);
  if (const auto f = n.find("fallback"))
    for (const auto& [from, to] : f->members()) c.fallback[from] = to.str();
  c.final_fallback = n.str_or("final_fallback", "");
  c.source = join_sources(n.at("source"));
  return c;
}

QuantFormat parse_quant(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "containers", "default_type", "imatrix", "rules", "engines", "description",
                "source", "quality"});
  QuantFormat q;
  q.id = n.str("id");
  q.name = n.str_or("name", q.id);
  q.aliases = n.strings_or_empty("aliases");
  q.containers = n.at("containers").strings();
  if (q.containers.empty()) n.at("containers").fail("expected at least one container");
  q.default_type = n.str("default_type");
  q.imatrix = n.bool_or("imatrix", false);
  if (const auto r = n.find("rules")) q.rules = parse_rules(*r);
  q.engines = n.strings_or_empty("engines");
  q.description = n.str_or("description", "");
  q.source = join_sources(n.at("source"));
  if (const auto quality = n.find("quality")) {
    quality->check_keys({"kld", "basis", "source"});
    q.quality = QuantQuality{quality->at("kld").non_negative(), quality->str("basis"), join_sources(quality->at("source"))};
  }
  return q;
}

TaskMetric parse_task_metric(const JsonNode& n) {
  n.check_keys({"weight", "keys", "divide_by"});
  TaskMetric m;
  m.weight = n.at("weight").non_negative();
  m.keys = n.at("keys").strings();
  if (m.keys.empty()) n.at("keys").fail("expected at least one benchmark key");
  if (const auto d = n.find("divide_by")) {
    m.divide_by = d->non_negative();
    if (m.divide_by <= 0) d->fail("expected a positive divisor");
  }
  return m;
}

TaskSpec parse_task(const JsonNode& n) {
  n.check_keys({"id", "aliases", "description", "metrics", "blend_of", "short_answers", "why"});
  TaskSpec t;
  t.id = n.str("id");
  t.aliases = n.strings_or_empty("aliases");
  t.name = n.str_or("description", t.id);
  if (const auto metrics = n.find("metrics"))
    for (const auto& m : metrics->elements()) t.metrics.push_back(parse_task_metric(m));
  t.blend_of = n.strings_or_empty("blend_of");
  if (t.metrics.empty() == t.blend_of.empty()) n.fail("a task needs either metrics or blend_of");
  t.short_answers = n.bool_or("short_answers", false);
  t.why = n.str_or("why", "");
  return t;
}

MlaCacheLayout parse_mla_layout(const JsonNode& n) {
  const std::string v = n.str();
  if (v == "latent") return MlaCacheLayout::latent;
  if (v == "expanded") return MlaCacheLayout::expanded;
  n.fail("expected \"latent\" or \"expanded\", got \"" + v + "\"");
}

EnginePerformance parse_performance(const JsonNode& n) {
  n.check_keys({"classes", "tp_layer_seconds", "internode_layer_seconds", "expert_prefill_over_pcie", "source"});
  EnginePerformance p;
  for (const auto& [name, c] : n.at("classes").members()) {
    if (name != "gddr" && name != "hbm" && name != "apple" && name != "cpu")
      c.fail("expected a device class: gddr, hbm, apple or cpu");
    c.check_keys({"bandwidth_efficiency", "layer_seconds", "prefill_mfu"});
    PerformanceClass pc;
    pc.bandwidth_efficiency = c.at("bandwidth_efficiency").non_negative();
    pc.layer_seconds = c.at("layer_seconds").non_negative();
    pc.prefill_mfu = c.at("prefill_mfu").non_negative();
    if (pc.bandwidth_efficiency <= 0 || pc.bandwidth_efficiency > 1 || pc.prefill_mfu <= 0 || pc.prefill_mfu > 1)
      c.fail("efficiencies must be fractions in (0, 1]");
    p.classes[name] = pc;
  }
  for (const char* required : {"gddr", "hbm", "apple", "cpu"})
    if (!p.classes.count(required)) n.at("classes").fail(std::string("missing device class '") + required + "'");
  p.tp_layer_seconds = n.number_or("tp_layer_seconds", 0);
  p.internode_layer_seconds = n.number_or("internode_layer_seconds", 0);
  p.expert_prefill_over_pcie = n.bool_or("expert_prefill_over_pcie", false);
  for (const auto& [topic, text] : n.at("source").members()) p.sources[topic] = text.str();
  return p;
}

EngineSpec parse_engine(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "containers", "default_quant_gguf", "mla_cache", "mla_cache_legacy_gguf",
                "mla_v_is_view_of_k", "indexer_cache", "kv_cache_types", "default_kv_type", "kv_cell_padding", "kv_block_tokens",
                "kv_block_tokens_mla", "default_ubatch", "sampler_sequences", "flash_attention", "quantized_v_needs_flash_attention",
                "gpu_memory_utilization", "runtime_overhead_bytes", "runtime_overhead_tp_bytes", "compute_buffer_model", "parallelism",
                "performance", "source", "notes"});
  EngineSpec e;
  e.id = n.str("id");
  e.name = n.str_or("name", e.id);
  e.aliases = n.strings_or_empty("aliases");
  e.containers = n.at("containers").strings();
  e.default_quant_gguf = n.str_or("default_quant_gguf", "");
  e.mla_cache = parse_mla_layout(n.at("mla_cache"));
  e.mla_cache_legacy_gguf = n.has("mla_cache_legacy_gguf") ? parse_mla_layout(n.at("mla_cache_legacy_gguf"))
                                                           : e.mla_cache;
  e.mla_v_is_view_of_k = n.bool_or("mla_v_is_view_of_k", true);
  e.indexer_cache = n.bool_or("indexer_cache", false);
  e.kv_cache_types = n.at("kv_cache_types").strings();
  e.default_kv_type = n.str("default_kv_type");
  e.kv_cell_padding = n.has("kv_cell_padding") ? n.positive("kv_cell_padding") : 1;
  e.kv_block_tokens = n.has("kv_block_tokens") ? n.positive("kv_block_tokens") : 1;
  e.kv_block_tokens_mla = n.has("kv_block_tokens_mla") ? n.positive("kv_block_tokens_mla") : e.kv_block_tokens;
  e.default_ubatch = n.u64_or("default_ubatch", 512);
  e.sampler_sequences = n.u64_or("sampler_sequences", 0);
  e.flash_attention = n.bool_or("flash_attention", true);
  e.quantized_v_needs_flash_attention = n.bool_or("quantized_v_needs_flash_attention", false);
  e.gpu_memory_utilization = n.number_or("gpu_memory_utilization", 1.0);
  if (e.gpu_memory_utilization <= 0 || e.gpu_memory_utilization > 1)
    n.at("gpu_memory_utilization").fail("expected a fraction in (0, 1]");
  e.runtime_overhead_bytes = n.u64("runtime_overhead_bytes");
  e.runtime_overhead_tp_bytes = n.u64_or("runtime_overhead_tp_bytes", 0);
  e.compute_buffer_model = n.str("compute_buffer_model");
  e.parallelism = n.str_or("parallelism", "layer_split");
  if (e.parallelism != "layer_split" && e.parallelism != "tensor_parallel")
    n.at("parallelism").fail("expected \"layer_split\" or \"tensor_parallel\"");
  static const std::set<std::string> k_models = {"llama.cpp", "vllm", "transformers"};
  if (!k_models.count(e.compute_buffer_model))
    n.at("compute_buffer_model").fail("expected llama.cpp, vllm or transformers");
  e.performance = parse_performance(n.at("performance"));
  for (const auto& [topic, text] : n.at("source").members()) e.sources[topic] = text.str();
  for (const char* topic : {"kv", "compute", "overhead"})
    if (!e.sources.count(topic)) n.at("source").fail(std::string("missing the '") + topic + "' source");
  e.notes = n.str_or("notes", "");
  return e;
}

GpuSpec parse_gpu(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "vendor", "class", "architecture", "memory_bytes", "memory_marketing",
                "memory_bandwidth_bytes_per_s", "bf16_tflops", "fp16_tflops", "fp16_acc16_tflops", "fp8_tflops",
                "int8_tops", "fp32_tflops", "tdp_watts", "interconnect", "launch_price_usd", "launch_price_date",
                "usable_memory_fraction", "source", "notes"});
  GpuSpec g;
  g.id = n.str("id");
  g.name = n.str("name");
  g.aliases = n.strings_or_empty("aliases");
  g.vendor = n.str("vendor");
  g.device_class = n.str("class");
  g.architecture = n.str_or("architecture", "");
  g.memory = Bytes(n.positive("memory_bytes"));
  g.memory_marketing = n.str_or("memory_marketing", "");
  g.bandwidth_bytes_per_s = n.u64_or("memory_bandwidth_bytes_per_s", 0);  // 0: not published
  g.bf16_tflops = n.number_or("bf16_tflops", 0);
  g.fp16_tflops = n.number_or("fp16_tflops", g.bf16_tflops);
  g.fp16_acc16_tflops = n.number_or("fp16_acc16_tflops", 0);
  g.fp8_tflops = n.number_or("fp8_tflops", 0);
  g.int8_tops = n.number_or("int8_tops", 0);
  g.fp32_tflops = n.number_or("fp32_tflops", 0);
  g.tdp_watts = n.number_or("tdp_watts", 0);
  if (const auto ic = n.find("interconnect")) {
    ic->check_keys({"pcie_gen", "pcie_lanes", "nvlink_bytes_per_s", "infinity_fabric_bytes_per_s", "notes"});
    g.pcie_gen = ic->u64_or("pcie_gen", 0);
    g.pcie_lanes = ic->u64_or("pcie_lanes", 0);
    // The scale-up link between GPUs of a node: NVLink, or AMD's Infinity Fabric.
    g.nvlink_bytes_per_s = ic->u64_or("nvlink_bytes_per_s", ic->u64_or("infinity_fabric_bytes_per_s", 0));
  }
  if (n.has("launch_price_usd")) g.launch_price_usd = n.at("launch_price_usd").non_negative();
  g.launch_price_date = n.str_or("launch_price_date", "");
  g.usable_memory_fraction = n.number_or("usable_memory_fraction", 1.0);
  if (g.usable_memory_fraction <= 0 || g.usable_memory_fraction > 1)
    n.at("usable_memory_fraction").fail("expected a fraction in (0, 1]");
  g.sources = n.at("source").sources();
  g.notes = n.str_or("notes", "");
  return g;
}

CpuSpec parse_cpu(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "vendor", "cores", "sockets", "memory_channels", "memory_type", "memory_mts",
                "memory_bandwidth_bytes_per_s", "max_memory_bytes", "fp32_tflops", "bf16_tflops", "isa", "tdp_watts",
                "source", "notes"});
  CpuSpec c;
  c.id = n.str("id");
  c.name = n.str("name");
  c.aliases = n.strings_or_empty("aliases");
  c.vendor = n.str_or("vendor", "");
  c.cores = n.u64_or("cores", 0);
  c.memory_channels = n.u64_or("memory_channels", 0);
  c.memory_type = n.str_or("memory_type", "");
  c.bandwidth_bytes_per_s = n.positive("memory_bandwidth_bytes_per_s");
  c.max_memory_bytes = n.u64_or("max_memory_bytes", 0);
  c.fp32_tflops = n.number_or("fp32_tflops", 0);
  c.bf16_tflops = n.number_or("bf16_tflops", 0);
  c.tdp_watts = n.number_or("tdp_watts", 0);
  c.sources = n.at("source").sources();
  c.notes = n.str_or("notes", "");
  return c;
}

CostDefaults parse_cost_defaults(const JsonNode& n) {
  n.check_keys({"electricity_usd_per_kwh", "pue_datacenter", "pue_desk", "amortization_years",
                "maintenance_fraction_per_year", "gpu_power_fraction", "host_power_fraction", "source"});
  CostDefaults c;
  c.electricity_usd_per_kwh = n.at("electricity_usd_per_kwh").non_negative();
  c.pue_datacenter = n.at("pue_datacenter").non_negative();
  c.pue_desk = n.at("pue_desk").non_negative();
  c.amortization_years = n.at("amortization_years").non_negative();
  c.maintenance_fraction_per_year = n.at("maintenance_fraction_per_year").non_negative();
  c.gpu_power_fraction = n.at("gpu_power_fraction").non_negative();
  c.host_power_fraction = n.at("host_power_fraction").non_negative();
  if (c.pue_datacenter < 1 || c.pue_desk < 1) n.fail("a PUE is at least 1");
  if (c.amortization_years <= 0) n.at("amortization_years").fail("expected more than 0 years");
  for (const auto& [topic, text] : n.at("source").members()) c.sources[topic] = text.str();
  return c;
}

CloudPrice parse_cloud_price(const JsonNode& n) {
  n.check_keys({"gpu", "provider", "offering", "usd_per_gpu_hour", "date", "source", "via", "notes"});
  CloudPrice p;
  p.gpu = n.str("gpu");
  p.provider = n.str("provider");
  p.offering = n.str_or("offering", "");
  p.usd_per_gpu_hour = n.at("usd_per_gpu_hour").non_negative();
  p.date = n.str("date");
  p.source = join_sources(n.at("source"));
  return p;
}

PurchasePrice parse_purchase_price(const JsonNode& n) {
  n.check_keys({"gpu", "usd", "kind", "date", "source", "notes"});
  PurchasePrice p;
  p.gpu = n.str("gpu");
  p.usd = n.at("usd").non_negative();
  p.kind = n.str_or("kind", "");
  p.date = n.str("date");
  p.source = join_sources(n.at("source"));
  return p;
}

/// Replace the entry with the same key, or append.
template <typename T, typename Key>
void upsert(std::vector<T>& items, T item, Key key) {
  const auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return key(x) == key(item); });
  if (it != items.end()) *it = std::move(item);
  else items.push_back(std::move(item));
}

template <typename T, typename Parse>
void merge_list(std::vector<T>& items, const JsonNode& root, std::string_view key, Parse parse) {
  const auto list = root.find(key);
  if (!list) return;
  std::set<std::string> seen;
  for (const auto& e : list->elements()) {
    T item = parse(e);
    if (!seen.insert(item.id).second) e.at("id").fail("duplicate id '" + item.id + "' in this file");
    upsert(items, std::move(item), [](const T& x) { return x.id; });
  }
}

void merge_layer(Catalog& cat, const CatalogLayer& layer) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(layer.text);
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string what = e.what();
    const auto at = what.find("parse error");
    throw CatalogError(layer.origin, "", "invalid JSON: " + (at == std::string::npos ? what : what.substr(at)));
  }
  const JsonNode root(doc, "", layer.origin);
  root.check_keys({"$schema", "about", "architectures", "models", "block_types", "containers", "quants", "engines",
                   "gpus", "cpus", "cloud_prices", "purchase_prices", "cost_defaults", "tasks", "tasks_source"});
  if (const auto archs = root.find("architectures"))
    for (const auto& [id, node] : archs->members()) cat.architectures[id] = parse_arch_traits(node);
  merge_list(cat.models, root, "models", parse_model);
  merge_list(cat.block_types, root, "block_types", parse_block_type);
  if (const auto containers = root.find("containers"))
    for (const auto& [id, node] : containers->members()) cat.containers[id] = parse_container(id, node);
  merge_list(cat.quants, root, "quants", parse_quant);
  merge_list(cat.engines, root, "engines", parse_engine);
  merge_list(cat.gpus, root, "gpus", parse_gpu);
  merge_list(cat.cpus, root, "cpus", parse_cpu);
  merge_list(cat.tasks, root, "tasks", parse_task);
  if (const auto src = root.find("tasks_source")) cat.tasks_source = join_sources(*src);
  if (const auto defaults = root.find("cost_defaults")) cat.cost_defaults = parse_cost_defaults(*defaults);
  if (const auto prices = root.find("cloud_prices"))
    for (const auto& e : prices->elements())
      upsert(cat.cloud_prices, parse_cloud_price(e),
             [](const CloudPrice& p) { return p.gpu + "\n" + p.provider + "\n" + p.offering; });
  if (const auto prices = root.find("purchase_prices"))
    for (const auto& e : prices->elements())
      upsert(cat.purchase_prices, parse_purchase_price(e),
             [](const PurchasePrice& p) { return p.gpu + "\n" + p.kind; });
}

// ---- cross-reference checks after all layers are merged ------------------------------------

[[noreturn]] void reference_error(const std::string& origin, const std::string& where, const std::string& problem) {
  throw CatalogError(origin, where, problem);
}

void check_unique_names(const std::vector<std::pair<std::string, std::string>>& names_and_owners,
                        std::string_view kind) {
  std::map<std::string, std::string> seen;
  for (const auto& [name, owner] : names_and_owners) {
    const auto [it, inserted] = seen.emplace(to_lower(name), owner);
    if (!inserted && it->second != owner)
      throw CatalogError("catalog", "", std::string(kind) + " name '" + name + "' is used by both '" + it->second +
                                            "' and '" + owner + "'");
  }
}

template <typename T>
std::vector<std::pair<std::string, std::string>> names_of(const std::vector<T>& items) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& item : items) {
    out.emplace_back(item.id, item.id);
    for (const auto& a : item.aliases) out.emplace_back(a, item.id);
  }
  return out;
}

std::size_t check_type_ref(const Catalog& cat, const std::string& type, const std::string& origin,
                           const std::string& where) {
  if (const auto i = cat.block_type_index(type)) return *i;
  std::vector<std::string> ids;
  for (const auto& b : cat.block_types) ids.push_back(b.id);
  const auto close = closest_names(type, ids, 1);
  reference_error(origin, where,
                  "unknown block type '" + type + "'" + (close.empty() ? "" : " (did you mean '" + close[0] + "'?)"));
}

/// Resolves a rule's tag names to bits and its type to a block-type index.
void compile_rule(const Catalog& cat, QuantRule& r, const std::string& where) {
  r.mask.reset();
  for (const auto& name : r.match) {
    const auto bit = detail::tag_index(name);
    if (!bit) reference_error("catalog", where, "rule matches unknown tag '" + name + "' (docs/catalog.md lists the tags)");
    r.mask.set(*bit);
  }
  r.type_index = check_type_ref(cat, r.type, "catalog", where);
}

void resolve_and_check(Catalog& cat) {
  for (auto& m : cat.models) {
    const auto it = cat.architectures.find(m.arch.model_type);
    if (it == cat.architectures.end())
      reference_error(m.origin, "/models/" + m.id + "/config/model_type",
                      "unknown model_type '" + m.arch.model_type + "' (no entry in 'architectures')");
    m.arch.traits = it->second;
    if (m.arch.traits.kind == ArchKind::mla_moe && !(m.arch.is_mla() && m.arch.is_moe()))
      reference_error(m.origin, "/models/" + m.id + "/config",
                      "model_type '" + m.arch.model_type + "' needs kv_lora_rank and n_routed_experts");
    if (!cat.find_quant(m.native_quant))
      reference_error(m.origin, "/models/" + m.id + "/native_dtype", "unknown quant '" + m.native_quant + "'");
  }
  for (auto& [id, c] : cat.containers) {
    for (auto& r : c.unquantized) compile_rule(cat, r, "/containers/" + id + "/unquantized");
    c.fallback_index.clear();
    for (const auto& [from, to] : c.fallback)
      c.fallback_index[check_type_ref(cat, from, "catalog", "/containers/" + id + "/fallback")] =
          check_type_ref(cat, to, "catalog", "/containers/" + id + "/fallback");
    if (!c.final_fallback.empty())
      c.final_fallback_index = check_type_ref(cat, c.final_fallback, "catalog", "/containers/" + id);
  }
  for (auto& q : cat.quants) {
    const std::string where = "/quants/" + q.id;
    for (const auto& c : q.containers)
      if (!cat.containers.count(c)) reference_error("catalog", where + "/containers", "unknown container '" + c + "'");
    q.default_type_index = check_type_ref(cat, q.default_type, "catalog", where + "/default_type");
    for (auto& r : q.rules) compile_rule(cat, r, where + "/rules");
  }
  for (const auto& e : cat.engines) {
    const std::string where = "/engines/" + e.id;
    for (const auto& t : e.kv_cache_types) check_type_ref(cat, t, "catalog", where + "/kv_cache_types");
    if (e.default_kv_type != "model") check_type_ref(cat, e.default_kv_type, "catalog", where + "/default_kv_type");
    if (!e.default_quant_gguf.empty() && !cat.find_quant(e.default_quant_gguf))
      reference_error("catalog", where + "/default_quant_gguf", "unknown quant '" + e.default_quant_gguf + "'");
  }
  for (const auto& p : cat.cloud_prices)
    if (!cat.find_gpu(p.gpu)) reference_error("catalog", "/cloud_prices", "price for unknown GPU '" + p.gpu + "'");
  for (const auto& p : cat.purchase_prices)
    if (!cat.find_gpu(p.gpu)) reference_error("catalog", "/purchase_prices", "price for unknown GPU '" + p.gpu + "'");
  for (const auto& t : cat.tasks)
    for (const auto& other : t.blend_of)
      if (const auto* o = cat.find_task(other); !o || !o->blend_of.empty())
        reference_error("catalog", "/tasks/" + t.id, "blend_of must name tasks scored by metrics, not '" + other + "'");
  check_unique_names(names_of(cat.models), "model");
  check_unique_names(names_of(cat.quants), "quant");
  check_unique_names(names_of(cat.engines), "engine");
  check_unique_names(names_of(cat.gpus), "GPU");
  check_unique_names(names_of(cat.cpus), "CPU");
  check_unique_names(names_of(cat.tasks), "task");
}

}  // namespace

std::vector<CatalogLayer> embedded_catalog_layers() {
  std::vector<CatalogLayer> layers;
  for (const auto& [name, text] : detail::embedded_files())
    layers.push_back({"embedded:" + std::string(name), std::string(text)});
  return layers;
}

Catalog load_catalog(std::span<const CatalogLayer> layers) {
  Catalog cat;
  for (const auto& layer : layers) merge_layer(cat, layer);
  resolve_and_check(cat);
  return cat;
}

Catalog load_embedded_catalog() {
  const auto layers = embedded_catalog_layers();
  return load_catalog(layers);
}

}  // namespace dsplan
