// Catalog loading: parse each layer's JSON, merge by id, resolve and check cross-references.
#include "dsplan/catalog/catalog_load.hpp"

#include <algorithm>
#include <set>

#include "core/catalog/compiled_catalog.hpp"
#include "core/catalog/config_parse.hpp"
#include "core/catalog/embedded_catalog.hpp"
#include "core/catalog/json_node.hpp"
#include "core/model/tensor_tags.hpp"
#include "dsplan/base/build_date.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/attention.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

using detail::JsonNode;

namespace {

// Physical ranges of catalog figures. Real entries sit far inside them; a figure outside is a
// typo that would overflow 64-bit byte counts, exhaust memory (a billion layers) or divide by ~0
// in the estimators, so the loader refuses it with the field's JSON pointer.
constexpr std::uint64_t k_max_dim = 1ULL << 20;      // hidden, intermediate and head sizes, ranks
constexpr std::uint64_t k_max_layers = 1024;         // DeepSeek-V3 has 61, Llama-3.1-405B 126
constexpr std::uint64_t k_max_count = 65'536;        // heads, experts
constexpr std::uint64_t k_max_vocab = 1ULL << 24;
constexpr std::uint64_t k_max_device_bytes = 1ULL << 50;  // 1 PiB
constexpr std::uint64_t k_max_bytes_per_s = 1'000'000'000'000'000;  // 1 PB/s
constexpr double k_max_tflops = 1e6;
constexpr double k_min_tflops = 1e-3;  // a published figure is never below 1 GFLOPS
constexpr double k_max_watts = 1e5;
constexpr double k_max_usd = 1e9;

/// A rate that may be absent (0: not published) but is otherwise within [min, max].
double optional_rate(const JsonNode& n, std::string_view key, double fallback, double min, double max) {
  const auto node = n.find(key);
  if (!node) return fallback;
  const double v = node->number();
  if (v == 0) return 0;
  return node->number_in(min, max);
}

std::string join_sources(const JsonNode& node) {
  std::string out;
  for (const auto& s : node.sources()) out += (out.empty() ? "" : "; ") + s;
  return out;
}

/// A string that must be one spelling of an enum's name table.
template <typename E>
E parse_enum(const JsonNode& node, std::span<const EnumName<E>> table) {
  const std::string name = node.str();
  if (const auto value = parse_name<E>(table, name)) return *value;
  node.fail("expected " + names_list<E>(table) + ", got \"" + name + "\"");
}

AttentionKind parse_attention(const JsonNode& node) { return parse_enum<AttentionKind>(node, k_attention_kinds); }

/// Before "attention" an architecture said "kind": "dense" | "mla_moe" and "dsa_indexer": true;
/// catalog overrides written then still load.
AttentionKind parse_legacy_kind(const JsonNode& node) {
  const std::string kind = node.at("kind").str();
  const bool indexer = node.bool_or("dsa_indexer", false);
  if (kind == "dense" && !indexer) return AttentionKind::gqa;
  if (kind == "mla_moe") return indexer ? AttentionKind::mla_dsa : AttentionKind::mla;
  node.at("kind").fail("expected \"dense\" or \"mla_moe\" (the old spelling of \"attention\"), got \"" + kind + "\"");
}

ArchTraits parse_arch_traits(const JsonNode& node) {
  node.check_keys({"attention", "kind", "qkv_bias", "qk_norm", "dsa_indexer", "mtp_shares_embedding", "speed_family",
                   "llama_cpp_arch", "gguf_mtp_blocks", "gguf_mtp_beyond_block_count", "gguf_files_only",
                   "graph_block_factor", "gguf_since", "mtp_acceptance", "runs_on", "formats", "formats_source",
                   "source"});
  ArchTraits t;
  if (node.has("attention") == node.has("kind")) 
    node.fail("needs \"attention\" (" + names_list<AttentionKind>(k_attention_kinds) + "), and not also the old \"kind\"");
  t.attention = node.has("attention") ? parse_attention(node.at("attention")) : parse_legacy_kind(node);
  t.qkv_bias = node.bool_or("qkv_bias", false);
  t.qk_norm = node.bool_or("qk_norm", false);
  t.mtp_shares_embedding = node.bool_or("mtp_shares_embedding", false);
  t.speed_family = node.str_or("speed_family", "dense");
  t.llama_cpp_arch = node.str_or("llama_cpp_arch", "");
  t.gguf_mtp_blocks = node.bool_or("gguf_mtp_blocks", false);
  if (t.gguf_mtp_blocks && t.llama_cpp_arch.empty()) node.at("gguf_mtp_blocks").fail("needs a llama_cpp_arch");
  t.gguf_mtp_beyond_block_count = node.bool_or("gguf_mtp_beyond_block_count", false);
  t.gguf_files_only = node.str_or("gguf_files_only", "");
  if (const auto since = node.find("gguf_since")) {
    since->check_keys({"date", "source"});
    t.gguf_since = since->str("date");
    if (parse_build_date(t.gguf_since) != t.gguf_since) since->at("date").fail("expected YYYY-MM-DD");
    t.gguf_since_source = join_sources(since->at("source"));
  }
  if (const auto g = node.find("graph_block_factor")) {
    g->check_keys({"factor", "source"});
    t.graph_block_factor = g->number_in("factor", 0.1, 100);
    t.graph_block_factor_source = join_sources(g->at("source"));
  }
  for (const char* k : {"gguf_mtp_beyond_block_count", "gguf_files_only", "gguf_since"})
    if (node.has(k) && t.llama_cpp_arch.empty()) node.at(k).fail("needs a llama_cpp_arch");
  if (const auto mtp = node.find("mtp_acceptance")) {
    mtp->check_keys({"per_position", "source"});
    for (const auto& rate : mtp->at("per_position").elements()) t.mtp_acceptance.push_back(rate.number_in(0.01, 0.99));
    if (t.mtp_acceptance.empty() || t.mtp_acceptance.size() > 8) mtp->at("per_position").fail("expected 1 to 8 rates");
    t.mtp_acceptance_source = join_sources(mtp->at("source"));
  }
  if (const auto runs_on = node.find("runs_on"))
    for (const auto& entry : runs_on->elements()) {
      entry.check_keys({"engines", "gpu_architectures", "source"});
      ArchGpuSupport g{entry.strings_or_empty("engines"), entry.strings_or_empty("gpu_architectures"),
                       join_sources(entry.at("source"))};
      if (g.engines.empty() || g.gpu_architectures.empty()) entry.fail("needs engines and gpu_architectures");
      t.runs_on.push_back(std::move(g));
    }
  t.formats = node.strings_or_empty("formats");
  t.formats_source = node.str_or("formats_source", "");
  if (!t.formats.empty() && t.formats_source.empty()) node.fail("formats needs a formats_source");
  t.source = join_sources(node.at("source"));
  return t;
}

}  // namespace

/// The subset of config.json dsplan reads. Other keys are allowed (configs are copied verbatim).
/// Also used by hf_config.cpp for a config.json read from disk (config_parse.hpp).
ModelArch detail::parse_config(const JsonNode& c) {
  ModelArch a;
  a.model_type = c.str("model_type");
  a.hidden_size = c.u64_in("hidden_size", 1, k_max_dim);
  a.num_layers = c.u64_in("num_hidden_layers", 1, k_max_layers);
  a.num_heads = c.u64_in("num_attention_heads", 1, k_max_count);
  a.num_kv_heads = c.u64_in_or("num_key_value_heads", a.num_heads, 1, k_max_count);
  if (a.num_heads % a.num_kv_heads != 0)
    c.at("num_key_value_heads").fail("num_attention_heads (" + std::to_string(a.num_heads) +
                                     ") must be a multiple of num_key_value_heads");
  if (!c.has("head_dim") && a.num_heads > a.hidden_size)
    c.at("num_attention_heads").fail("more attention heads than hidden_size (give head_dim)");
  a.head_dim = c.u64_in_or("head_dim", a.hidden_size / a.num_heads, 1, k_max_dim);
  // MoE-only configs (DeepSeek-V4) have no dense MLP width; a dense layer needs one (checked below).
  a.intermediate_size = c.u64_in_or("intermediate_size", 0, 1, k_max_dim);
  a.vocab_size = c.u64_in("vocab_size", 1, k_max_vocab);
  a.tie_word_embeddings = c.bool_or("tie_word_embeddings", false);
  a.max_context = c.u64_in("max_position_embeddings", 1, k_max_context);
  if (const auto rope = c.find("rope_scaling")) {
    rope->expect_object();
    a.rope_type = rope->str_or("rope_type", rope->str_or("type", ""));
  }
  if (c.has("kv_lora_rank")) {
    a.q_lora_rank = c.u64_in_or("q_lora_rank", 0, 0, k_max_dim);
    a.kv_lora_rank = c.u64_in("kv_lora_rank", 1, k_max_dim);
    a.qk_nope_head_dim = c.u64_in("qk_nope_head_dim", 1, k_max_dim);
    a.qk_rope_head_dim = c.u64_in("qk_rope_head_dim", 1, k_max_dim);
    a.v_head_dim = c.u64_in("v_head_dim", 1, k_max_dim);
  } else if (c.has("q_lora_rank")) {  // DeepSeek-V4: low-rank queries, one full-width KV head
    a.q_lora_rank = c.u64_in("q_lora_rank", 1, k_max_dim);
    a.qk_rope_head_dim = c.u64_in_or("qk_rope_head_dim", 0, 0, k_max_dim);
  }
  if (c.has("n_routed_experts")) {
    a.moe_intermediate_size = c.u64_in("moe_intermediate_size", 1, k_max_dim);
    a.n_routed_experts = c.u64_in("n_routed_experts", 1, k_max_count);
    a.n_shared_experts = c.u64_in_or("n_shared_experts", 0, 0, k_max_count);
    a.experts_per_token = c.u64_in("num_experts_per_tok", 1, k_max_count);
    if (a.experts_per_token > a.n_routed_experts)
      c.at("num_experts_per_tok").fail("more experts per token than routed experts");
    a.first_k_dense_replace = c.u64_in_or("first_k_dense_replace", 0, 0, a.num_layers);
    a.moe_layer_freq = c.u64_in_or("moe_layer_freq", 1, 1, a.num_layers);
    a.router_bias = c.str_or("topk_method", "") == "noaux_tc";
  }
  if (a.intermediate_size == 0 && (!a.is_moe() || a.first_k_dense_replace > 0 || a.moe_layer_freq > 1))
    c.fail("needs intermediate_size: the model has dense MLP layers");
  a.mtp_layers = c.u64_in_or("num_nextn_predict_layers", 0, 0, k_max_layers);
  a.sliding_window = c.u64_in_or("sliding_window", 0, 0, k_max_context);
  if (const auto ratios = c.find("compress_ratios")) {
    const auto list = ratios->elements();
    if (list.size() < a.num_layers) ratios->fail("needs one ratio per layer (" + std::to_string(a.num_layers) + ")");
    if (list.size() > a.num_layers + a.mtp_layers) ratios->fail("more ratios than layers and MTP layers");
    for (const auto& r : list) a.compress_ratios.push_back(r.u64_in(0, k_max_context));
  }
  a.o_groups = c.u64_in_or("o_groups", 0, 0, k_max_count);
  a.o_lora_rank = c.u64_in_or("o_lora_rank", 0, 0, k_max_dim);
  a.hc_mult = c.u64_in_or("hc_mult", 0, 0, 64);
  a.num_hash_layers = c.u64_in_or("num_hash_layers", 0, 0, a.num_layers);
  if (c.has("index_n_heads")) {
    a.index_n_heads = c.u64_in("index_n_heads", 1, k_max_count);
    a.index_head_dim = c.u64_in("index_head_dim", 1, k_max_dim);
    a.index_topk = c.u64_in("index_topk", 1, k_max_context);
  }
  return a;
}

namespace {

Benchmarks parse_benchmarks(const JsonNode& node) {
  Benchmarks b;
  for (const auto& [key, value] : node.members()) {
    if (key == "source") b.source = join_sources(value);
    else if (key == "context_tokens")
      b.context_tokens = value.u64_in(1, 1ULL << 24);
    else if (key == "context_source")
      b.context_source = join_sources(value);
    else b.scores[key] = value.number_in(0, 1e5);  // percentages and Codeforces ratings
  }
  if (b.source.empty()) node.fail("benchmark scores need a 'source'");
  if ((b.context_tokens > 0) != !b.context_source.empty()) node.fail("context_tokens and context_source go together");
  return b;
}

ModelSpec parse_model(const JsonNode& n) {
  n.check_keys({"id",
                "name",
                "aliases",
                "family",
                "reasoning",
                "hf_repo",
                "model_file",
                "gguf_repo",
                "base_model",
                "license",
                "release_date",
                "native_dtype",
                "config",
                "config_source",
                "published_params",
                "checkpoint_total_size_bytes",
                "checkpoint_total_size_source",
                "gguf_kv_bytes",
                "llama_cpp",
                "benchmarks",
                "notes"});
  ModelSpec m;
  m.id = n.str("id");
  m.name = n.str("name");
  m.aliases = n.strings_or_empty("aliases");
  m.family = n.str("family");
  m.reasoning = n.bool_or("reasoning", false);
  m.model_file = n.str_or("model_file", "");
  if (!m.model_file.empty() && m.model_file.front() != '/' && m.model_file.rfind("https://", 0) != 0 &&
      m.model_file.rfind("http://", 0) != 0 && m.model_file.rfind("hf:", 0) != 0)
    n.at("model_file").fail("'" + m.model_file + "' is not an absolute path, an http(s):// URL or an hf: reference");
  // A model known from its GGUF file alone has no checkpoint repository to name.
  m.hf_repo = m.model_file.empty() ? n.str("hf_repo") : n.str_or("hf_repo", "");
  if (const auto g = n.find("gguf_repo")) {
    // "repo" names one; "none" says why no public repository holds the layout dsplan sizes.
    g->check_keys({"repo", "none", "legacy_mla", "source"});
    if (g->has("repo") == g->has("none")) g->fail("gguf_repo needs exactly one of 'repo' and 'none'");
    m.gguf_repo = g->has("repo") ? g->str("repo") : std::string();
    m.gguf_repo_legacy_mla = g->bool_or("legacy_mla", false);
    m.gguf_repo_source = (g->has("none") ? g->str("none") + " " : std::string()) + join_sources(g->at("source"));
  } else if (!m.model_file.empty()) {
    m.gguf_repo_source = "a local model: its model_file";
  } else {  // Unsloth converts every DeepSeek checkpoint under its own name
    m.gguf_repo = "unsloth/" + m.hf_repo.substr(m.hf_repo.rfind('/') + 1) + "-GGUF";
    m.gguf_repo_source = "the default: unsloth/<checkpoint name>-GGUF (the catalog names no gguf_repo)";
  }
  m.base_model = n.str_or("base_model", "");
  m.license = n.str_or("license", "");
  m.release_date = n.str_or("release_date", "");
  m.native_quant = n.str("native_dtype");
  m.arch = detail::parse_config(n.at("config"));
  m.config_source = n.str("config_source");
  if (const auto p = n.find("published_params")) {
    p->check_keys({"total", "source"});
    m.published_params = p->u64_in("total", 1, 1'000'000'000'000'000);
    m.published_params_source = join_sources(p->at("source"));
  }
  if (n.has("checkpoint_total_size_bytes")) {
    m.checkpoint_bytes = n.u64_in("checkpoint_total_size_bytes", 1, k_max_device_bytes);
    m.checkpoint_bytes_source = n.str("checkpoint_total_size_source");
  }
  if (const auto g = n.find("gguf_kv_bytes")) {
    g->check_keys({"bytes", "source"});
    m.gguf_kv_bytes = g->u64_in("bytes", 1, k_max_device_bytes);
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
  n.check_keys({"id", "name", "weights_per_block", "bytes_per_block", "bytes_per_row", "element_bits", "scale_tile",
                "scale_bits", "second_level", "per_input_column_bits", "per_tensor_bytes", "engines", "attention",
                "source"});
  BlockType b;
  b.id = n.str("id");
  b.name = n.str_or("name", b.id);
  if (n.has("weights_per_block")) {
    // ggml's largest block is QK_K = 256 weights (ggml-common.h); 1024 leaves room.
    b.weights_per_block = n.u64_in("weights_per_block", 1, 1024);
    b.bytes_per_block = n.u64_in("bytes_per_block", 1, 8 * 1024);
    b.bytes_per_row = n.u64_in_or("bytes_per_row", 0, 0, 1024);
  } else {
    if (n.has("bytes_per_row"))
      n.at("bytes_per_row").fail("bytes_per_row needs the row-block layout (weights_per_block)");
    b.element_bits = n.u64_in("element_bits", 1, 64);
    if (const auto tile = n.find("scale_tile")) {
      const auto dims = tile->elements();
      if (dims.size() != 2) tile->fail("expected [rows, cols] (cols 0 = whole row)");
      b.scale_rows = dims[0].u64_in(1, k_max_dim);
      b.scale_cols = dims[1].u64_in(0, k_max_dim);
      b.scale_bits = n.u64_in("scale_bits", 1, 64);
    }
    if (const auto second = n.find("second_level")) {
      second->check_keys({"tiles", "bits"});
      b.second_level_tiles = second->u64_in("tiles", 1, k_max_dim);
      b.second_level_bits = second->u64_in("bits", 1, 64);
    }
    b.per_input_column_bits = n.u64_in_or("per_input_column_bits", 0, 0, 64);
    b.per_tensor_bytes = n.u64_in_or("per_tensor_bytes", 0, 0, 1ULL << 20);
  }
  if (const auto e = n.find("engines")) b.engines = e->strings();
  if (const auto kinds = n.find("attention"))
    for (const auto& k : kinds->elements()) b.attention.push_back(parse_attention(k));
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
  if (n.has("index_lt")) c.index_lt = n.u64_in("index_lt", 0, k_max_layers);
  const std::string index = n.str_or("index", "layer");
  if (index != "layer" && index != "ordinal") n.at("index").fail("expected \"layer\" or \"ordinal\"");
  c.use_ordinal = index == "ordinal";
  if (n.has("gqa_min")) c.gqa_min = n.u64_in("gqa_min", 0, k_max_count);
  if (n.has("experts_min")) c.experts_min = n.u64_in("experts_min", 0, k_max_count);
  if (n.has("experts_eq")) c.experts_eq = n.u64_in("experts_eq", 0, k_max_count);
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
  n.check_keys({"unquantized", "converter_types", "converter_outtypes", "fallback", "final_fallback", "source"});
  ContainerRules c;
  c.origin = n.origin();
  c.id = id;
  if (const auto u = n.find("unquantized")) c.unquantized = parse_rules(*u);
  if (const auto u = n.find("converter_types")) c.converter_types = parse_rules(*u);
  if (const auto u = n.find("converter_outtypes"))
    for (const auto& t : u->elements()) c.converter_outtypes.push_back(t.str());
  if (const auto f = n.find("fallback"))
    for (const auto& [from, to] : f->members()) c.fallback[from] = to.str();
  c.final_fallback = n.str_or("final_fallback", "");
  c.source = join_sources(n.at("source"));
  return c;
}

QuantFormat parse_quant(const JsonNode& n) {
  n.check_keys({"id",
                "name",
                "aliases",
                "containers",
                "default_type",
                "imatrix",
                "rules",
                "engines",
                "description",
                "source",
                "quality",
                "quality_unknown",
                "models",
                "gguf_repos",
                "legacy_mla_gguf",
                "keeps_attn_kv_b",
                "recipe_note",
                "compute",
                "gpu_architectures",
                "gpu_architectures_source"});
  QuantFormat q;
  q.origin = n.origin();
  q.id = n.str("id");
  q.name = n.str_or("name", q.id);
  q.aliases = n.strings_or_empty("aliases");
  q.containers = n.at("containers").strings();
  if (q.containers.empty()) n.at("containers").fail("expected at least one container");
  q.default_type = n.str("default_type");
  q.imatrix = n.bool_or("imatrix", false);
  if (const auto r = n.find("rules")) q.rules = parse_rules(*r);
  q.imatrix_sensitive = std::any_of(q.rules.begin(), q.rules.end(), [](const QuantRule& r) { return r.when.imatrix; });
  q.engines = n.strings_or_empty("engines");
  if (const auto c = n.find("compute")) q.compute = parse_enum<ComputeDtype>(*c, k_compute_dtypes);
  q.description = n.str_or("description", "");
  q.source = join_sources(n.at("source"));
  if (const auto quality = n.find("quality")) {
    quality->check_keys({"kld", "basis", "source"});
    q.quality = QuantQuality{quality->number_in("kld", 0, 100), quality->str("basis"), join_sources(quality->at("source"))};
  }
  q.quality_unknown = n.str_or("quality_unknown", "");
  if (q.quality && !q.quality_unknown.empty()) n.at("quality_unknown").fail("a format has a quality figure or says why none exists, not both");
  q.models = n.strings_or_empty("models");
  q.gpu_architectures = n.strings_or_empty("gpu_architectures");
  q.gpu_architectures_source = n.str_or("gpu_architectures_source", "");
  if (!q.gpu_architectures.empty() && q.gpu_architectures_source.empty())
    n.fail("gpu_architectures needs a gpu_architectures_source");
  q.legacy_mla_gguf = n.bool_or("legacy_mla_gguf", false);
  q.keeps_attn_kv_b = n.bool_or("keeps_attn_kv_b", false);
  if (const auto r = n.find("gguf_repos"))
    for (const auto& [model, repo] : r->members()) q.gguf_repos[model] = repo.str();
  if (q.legacy_mla_gguf && q.keeps_attn_kv_b)
    n.at("keeps_attn_kv_b")
        .fail("a legacy GGUF keeps attn_kv_b only: legacy_mla_gguf and keeps_attn_kv_b exclude each other");
  q.recipe_note = n.str_or("recipe_note", "");
  return q;
}

TaskMetric parse_task_metric(const JsonNode& n) {
  n.check_keys({"weight", "keys", "divide_by"});
  TaskMetric m;
  m.weight = n.number_in("weight", 0, 1e6);
  m.keys = n.at("keys").strings();
  if (m.keys.empty()) n.at("keys").fail("expected at least one benchmark key");
  if (const auto d = n.find("divide_by")) {
    m.divide_by = d->number_in(1e-3, 1e9);  // near 0 made task scores infinite
  }
  return m;
}

TaskSpec parse_task(const JsonNode& n) {
  n.check_keys({"id", "aliases", "description", "metrics", "blend_of", "short_answers", "why"});
  TaskSpec t;
  t.origin = n.origin();
  t.id = n.str("id");
  t.aliases = n.strings_or_empty("aliases");
  t.name = n.str_or("description", t.id);
  if (const auto metrics = n.find("metrics")) {
    for (const auto& m : metrics->elements()) t.metrics.push_back(parse_task_metric(m));
    // A weighted mean with no weight scores every model as missing its benchmarks.
    if (!t.metrics.empty() &&
        std::all_of(t.metrics.begin(), t.metrics.end(), [](const TaskMetric& m) { return m.weight == 0; }))
      metrics->fail("every metric has weight 0: give at least one a weight above 0");
  }
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

BuildEra parse_build_era(const JsonNode& n) {
  n.check_keys({"before", "decode_factor", "prefill_factor", "prefill_f16_factor", "moe_layer_seconds", "moe_families",
                "source"});
  BuildEra e;
  e.before = n.str("before");
  if (!is_build_date(e.before)) n.at("before").fail("expected a date YYYY-MM-DD");
  // Shares of a current build's speed; 0.05..2 spans any build a measurement describes.
  e.decode_factor = n.number_in_or("decode_factor", 1, 0.05, 2);
  e.prefill_factor = n.number_in_or("prefill_factor", 1, 0.05, 2);
  e.prefill_f16_factor = n.number_in_or("prefill_f16_factor", 1, 0.05, 2);
  if (n.has("moe_layer_seconds")) e.moe_layer_seconds = n.number_in("moe_layer_seconds", 0, 1);
  if (const auto f = n.find("moe_families")) e.moe_families = f->strings();
  e.source = n.str("source");
  return e;
}

EnginePerformance parse_performance(const JsonNode& n) {
  n.check_keys({"classes", "tp_layer_seconds", "internode_layer_seconds", "prefill_layer_seconds", "hop_seconds",
                "expert_prefill_over_pcie", "host_link_efficiency", "pageable_host_link_factor", "fp32_accumulate",
                "build_eras", "source"});
  EnginePerformance p;
  for (const auto& [name, c] : n.at("classes").members()) {
    if (name != "gddr" && name != "hbm" && name != "apple" && name != "cpu")
      c.fail("expected a device class: gddr, hbm, apple or cpu");
    c.check_keys({"bandwidth_efficiency", "layer_seconds", "moe_layer_seconds", "prefill_mfu", "moe_mfu_factor",
                  "decode_batch_mfu", "thread_bytes_per_s", "socket_scaling", "type_bandwidth_factor",
                  "type_mfu_factor", "architecture_mfu_factor", "architecture_bandwidth_factor"});
    PerformanceClass pc;
    // Efficiencies are fractions; 1e-3 is far below any measured engine and keeps speeds finite.
    pc.bandwidth_efficiency = c.number_in("bandwidth_efficiency", 1e-3, 1);
    pc.layer_seconds = c.number_in("layer_seconds", 0, 1);
    pc.moe_layer_seconds = c.number_in_or("moe_layer_seconds", 0, 0, 1);
    pc.prefill_mfu = c.number_in("prefill_mfu", 1e-3, 1);
    pc.moe_mfu_factor = c.number_in_or("moe_mfu_factor", 1, 0.01, 5);
    pc.decode_batch_mfu = c.number_in_or("decode_batch_mfu", 0, 0, 1);
    pc.thread_bytes_per_s = c.number_in_or("thread_bytes_per_s", 0, 0, 1e13);
    pc.socket_scaling = c.number_in_or("socket_scaling", 1, -0.9, 1);  // -0.9: a second socket never stops it
    if (const auto f = c.find("type_bandwidth_factor"))
      for (const auto& [type, v] : f->members()) pc.type_bandwidth_factor[type] = v.number_in(0.05, 2);
    if (const auto f = c.find("type_mfu_factor"))
      for (const auto& [type, v] : f->members()) pc.type_mfu_factor[type] = v.number_in(0.05, 5);
    if (const auto f = c.find("architecture_mfu_factor"))
      for (const auto& [arch, v] : f->members()) pc.architecture_mfu_factor[arch] = v.number_in(0.05, 5);
    if (const auto f = c.find("architecture_bandwidth_factor"))
      for (const auto& [arch, v] : f->members()) pc.architecture_bandwidth_factor[arch] = v.number_in(0.05, 2);
    p.classes[name] = pc;
  }
  for (const char* required : {"gddr", "hbm", "apple", "cpu"})
    if (!p.classes.count(required)) n.at("classes").fail(std::string("missing device class '") + required + "'");
  p.tp_layer_seconds = n.number_in_or("tp_layer_seconds", 0, 0, 1);
  p.internode_layer_seconds = n.number_in_or("internode_layer_seconds", 0, 0, 1);
  p.prefill_layer_seconds = n.number_in_or("prefill_layer_seconds", 0, 0, 1);
  p.hop_seconds = n.number_in_or("hop_seconds", 0, 0, 1);
  p.expert_prefill_over_pcie = n.bool_or("expert_prefill_over_pcie", false);
  p.host_link_efficiency = n.number_in_or("host_link_efficiency", 1, 1e-3, 1);
  p.pageable_host_link_factor = n.number_in_or("pageable_host_link_factor", 1, 1e-3, 1);
  p.fp32_accumulate = n.bool_or("fp32_accumulate", false);
  if (const auto eras = n.find("build_eras"))
    for (const auto& e : eras->elements()) p.build_eras.push_back(parse_build_era(e));
  for (const auto& [topic, text] : n.at("source").members()) p.sources[topic] = text.str();
  return p;
}

SpeedBand parse_speed_band(const JsonNode& n) {
  n.check_keys({"id", "class", "metric", "measurements", "low", "high", "median", "sources"});
  SpeedBand b;
  b.id = n.str("id");
  b.speed_class = n.str("class");
  b.metric = n.str("metric");
  if (b.metric != "decode" && b.metric != "prefill") n.at("metric").fail("expected decode or prefill");
  if (b.id != b.speed_class + "/" + b.metric) n.at("id").fail("expected '" + b.speed_class + "/" + b.metric + "'");
  b.measurements = n.u64_in("measurements", 0, 1'000'000);
  // Ratios of published to predicted speed; outside 1/100..100 a band says nothing.
  b.low = n.number_in("low", 0.01, 100);
  b.high = n.number_in("high", 0.01, 100);
  b.median = n.number_in("median", 0.01, 100);
  if (b.low > b.high) n.at("low").fail("low is above high");
  b.sources = n.strings_or_empty("sources");
  return b;
}

EngineSpec parse_engine(const JsonNode& n) {
  n.check_keys({"id",
                "name",
                "aliases",
                "containers",
                "default_quant_gguf",
                "registry_quant_default",
                "experts_in_ram",
                "mla_cache",
                "mla_cache_legacy_gguf",
                "mla_v_is_view_of_k",
                "indexer_cache",
                "indexer_keys",
                "indexer_reads",
                "kv_cache_types",
                "default_kv_type",
                "kv_cell_padding",
                "kv_block_tokens",
                "kv_block_tokens_mla",
                "compressed_kv_cells",
                "compressed_kv_pages",
                "default_ubatch",
                "sampler_sequences",
                "flash_attention",
                "quantized_v_needs_flash_attention",
                "gpu_memory_utilization",
                "mtp_draft",
                "mtp_acceptance",
                "dp_attention",
                "runtime_overhead_bytes",
                "runtime_overhead_tp_bytes",
                "compute_buffer_model",
                "parallelism",
                "output_layer_first_since",
                "speed_class",
                "recommend",
                "derives_mla_projections",
                "gpu_backends",
                "expert_offload",
                "cpu_prefill_factor",
                "pinned_host_weights",
                "performance",
                "source",
                "notes"});
  EngineSpec e;
  e.origin = n.origin();
  e.id = n.str("id");
  e.name = n.str_or("name", e.id);
  e.aliases = n.strings_or_empty("aliases");
  e.containers = n.at("containers").strings();
  e.default_quant_gguf = n.str_or("default_quant_gguf", "");
  e.registry_quant_default = n.bool_or("registry_quant_default", false);
  e.experts_in_ram = n.bool_or("experts_in_ram", false);
  e.mla_cache = parse_mla_layout(n.at("mla_cache"));
  e.mla_cache_legacy_gguf = n.has("mla_cache_legacy_gguf") ? parse_mla_layout(n.at("mla_cache_legacy_gguf"))
                                                           : e.mla_cache;
  e.mla_v_is_view_of_k = n.bool_or("mla_v_is_view_of_k", true);
  e.indexer_cache = n.bool_or("indexer_cache", false);
  const std::string keys = n.str_or("indexer_keys", "fp8_scaled");
  if (keys != "fp8_scaled" && keys != "cache_type") n.at("indexer_keys").fail("expected \"fp8_scaled\" or \"cache_type\"");
  e.indexer_keys_in_cache_type = keys == "cache_type";
  const std::string reads = n.str_or("indexer_reads", "top_k");
  if (reads != "top_k" && reads != "whole_cache") n.at("indexer_reads").fail("expected \"top_k\" or \"whole_cache\"");
  e.indexer_reads_top_k = reads == "top_k";
  e.kv_cache_types = n.at("kv_cache_types").strings();
  e.default_kv_type = n.str("default_kv_type");
  e.kv_cell_padding = n.u64_in_or("kv_cell_padding", 1, 1, k_max_count);
  e.kv_block_tokens = n.u64_in_or("kv_block_tokens", 1, 1, k_max_count);
  e.kv_block_tokens_mla = n.u64_in_or("kv_block_tokens_mla", e.kv_block_tokens, 1, k_max_count);
  if (const auto pages = n.find("compressed_kv_pages")) {
    pages->check_keys({"tokens", "window_tokens", "align_bytes", "source"});
    e.compressed_kv_page_tokens = pages->u64_in("tokens", 1, k_max_count);
    e.window_kv_page_tokens = pages->u64_in("window_tokens", 1, k_max_count);
    e.kv_page_align_bytes = pages->u64_in("align_bytes", 1, k_max_count);
    e.compressed_kv_pages_source = pages->str("source");
  }
  if (const auto c = n.find("compressed_kv_cells")) {
    c->check_keys({"padding", "window_adds_ubatch", "state_value_bytes", "source"});
    e.compressed_kv_cell_padding = c->u64_in("padding", 1, k_max_count);
    e.window_kv_adds_ubatch = c->bool_or("window_adds_ubatch", false);
    e.compressor_state_value_bytes = c->u64_in_or("state_value_bytes", 0, 0, 8);
    e.compressed_kv_cells_source = c->str("source");
    if (e.compressed_kv_page_tokens > 0) c->fail("an engine keeps compressed caches in pages or in cells, not both");
  }
  e.default_ubatch = n.u64_in_or("default_ubatch", 512, 0, 1ULL << 20);  // 0: the whole prompt
  e.sampler_sequences = n.u64_in_or("sampler_sequences", 0, 0, k_max_count);
  e.flash_attention = n.bool_or("flash_attention", true);
  e.quantized_v_needs_flash_attention = n.bool_or("quantized_v_needs_flash_attention", false);
  e.gpu_memory_utilization = n.number_in_or("gpu_memory_utilization", 1.0, 0.01, 1);
  e.mtp_draft = n.bool_or("mtp_draft", false);
  if (const auto a = n.find("mtp_acceptance"))  // an engine's key until 2026-12-06
    a->fail(
        "the MTP acceptance rate is the model's now: \"mtp_acceptance\" in models.json's architectures; "
        "an engine says \"mtp_draft\": true");
  if (const auto dp = n.find("dp_attention")) {
    dp->check_keys({"replicated_groups", "routed_experts", "source"});
    e.dp_attention_replicated = dp->at("replicated_groups").strings();
    if (const auto experts = dp->find("routed_experts")) {
      const std::string how = experts->str();
      if (how != "expert_parallel" && how != "tensor_parallel")
        experts->fail("routed_experts is expert_parallel or tensor_parallel");
      e.dp_attention_expert_parallel = how == "expert_parallel";
    }
    for (const auto& g : e.dp_attention_replicated)
      if (std::none_of(std::begin(k_all_groups), std::end(k_all_groups),
                       [&](TensorGroup t) { return group_name(t) == g; }))
        dp->at("replicated_groups").fail("unknown tensor group '" + g + "'");
    e.sources["dp_attention"] = dp->str("source");
  }
  e.runtime_overhead_bytes = n.u64_in("runtime_overhead_bytes", 0, k_max_device_bytes);
  e.runtime_overhead_tp_bytes = n.u64_in_or("runtime_overhead_tp_bytes", 0, 0, k_max_device_bytes);
  e.compute_buffer_model = n.str("compute_buffer_model");
  if (const auto p = n.find("parallelism")) e.parallelism = parse_enum<Parallelism>(*p, k_parallelisms);
  if (const auto since = n.find("output_layer_first_since")) {
    e.output_layer_first_since = since->str();
    if (!is_build_date(e.output_layer_first_since)) since->fail("expected a date YYYY-MM-DD");
  }
  static const std::set<std::string> k_models = {"llama.cpp", "vllm", "transformers"};
  if (!k_models.count(e.compute_buffer_model))
    n.at("compute_buffer_model").fail("expected llama.cpp, vllm or transformers");
  e.speed_class = n.str_or("speed_class", e.id);
  if (const auto r = n.find("recommend")) e.recommend = parse_enum<RecommendScope>(*r, k_recommend_scopes);
  e.derives_mla_projections = n.bool_or("derives_mla_projections", false);
  e.gpu_backends = n.strings_or_empty("gpu_backends");
  for (const auto& b : e.gpu_backends)
    if (std::none_of(std::begin(k_gpu_backends), std::end(k_gpu_backends), [&](const auto& k) { return k.first == b; }))
      n.at("gpu_backends").fail("expected cuda, rocm or metal, not '" + b + "'");
  if (const auto offload = n.find("expert_offload")) {
    offload->check_keys({"min_batch", "per_routed_expert", "off_flags", "source"});
    e.expert_offload_min_batch = offload->u64_in("min_batch", 1, 1ULL << 20);
    e.expert_offload_per_expert = offload->bool_or("per_routed_expert", false);
    if (const auto off = offload->find("off_flags")) {
      off->check_keys({"server", "bench"});
      e.op_offload_off_server_flag = off->str("server");
      e.op_offload_off_bench_flag = off->str("bench");
    }
    e.sources["expert_offload"] = offload->str("source");
  }
  e.cpu_prefill_factor = n.number_in_or("cpu_prefill_factor", 1.0, 0.1, 10);
  if (const auto pinned = n.find("pinned_host_weights"))
    e.pinned_host_weights = parse_enum<PinnedHostWeights>(*pinned, k_pinned_host_weights);
  if (n.at("performance").is_string())
    e.performance_of = n.str("performance");
  else
    e.performance = parse_performance(n.at("performance"));
  for (const auto& [topic, text] : n.at("source").members()) e.sources[topic] = text.str();
  for (const char* topic : {"kv", "compute", "overhead"})
    if (!e.sources.count(topic)) n.at("source").fail(std::string("missing the '") + topic + "' source");
  if (e.derives_mla_projections && !e.sources.count("derived_weights"))
    n.at("source").fail("missing the 'derived_weights' source");
  if (!e.gpu_backends.empty() && !e.sources.count("backends")) n.at("source").fail("missing the 'backends' source");
  if (n.has("cpu_prefill_factor") && !e.sources.count("cpu_prefill"))
    n.at("source").fail("missing the 'cpu_prefill' source");
  if (n.has("pinned_host_weights") && !e.sources.count("pinned_host"))
    n.at("source").fail("missing the 'pinned_host' source");
  e.notes = n.str_or("notes", "");
  return e;
}

GpuSpec parse_gpu(const JsonNode& n) {
  n.check_keys({"id",
                "name",
                "aliases",
                "vendor",
                "class",
                "architecture",
                "memory_bytes",
                "memory_marketing",
                "memory_bandwidth_bytes_per_s",
                "bf16_tflops",
                "fp16_tflops",
                "fp16_acc16_tflops",
                "fp8_tflops",
                "int8_tops",
                "fp32_tflops",
                "tdp_watts",
                "interconnect",
                "launch_price_usd",
                "launch_price_date",
                "usable_memory_fraction",
                "gpus_per_node",
                "whole_system",
                "source",
                "notes"});
  GpuSpec g;
  g.origin = n.origin();
  g.id = n.str("id");
  g.name = n.str("name");
  g.aliases = n.strings_or_empty("aliases");
  g.vendor = n.str("vendor");
  g.device_class = n.str("class");
  // Both pick behaviour (the software stack, the --vram stand-in, the cost's platform): a typo
  // would pass as another kind of card.
  constexpr std::string_view k_vendors[] = {"nvidia", "amd", "apple", "huawei", "intel"};
  constexpr std::string_view k_classes[] = {"consumer", "workstation", "datacenter", "apple", "npu"};
  if (std::find(std::begin(k_vendors), std::end(k_vendors), g.vendor) == std::end(k_vendors))
    n.at("vendor").fail("expected nvidia, amd, apple, huawei or intel, not '" + g.vendor + "'");
  if (std::find(std::begin(k_classes), std::end(k_classes), g.device_class) == std::end(k_classes))
    n.at("class").fail("expected consumer, workstation, datacenter, apple or npu, not '" + g.device_class + "'");
  g.architecture = n.str_or("architecture", "");
  g.memory = Bytes(n.u64_in("memory_bytes", 1, k_max_device_bytes));
  g.gpus_per_node = n.u64_in_or("gpus_per_node", g.gpus_per_node, 1, k_max_gpus_per_node);
  g.memory_marketing = n.str_or("memory_marketing", "");
  g.bandwidth_bytes_per_s = n.u64_in_or("memory_bandwidth_bytes_per_s", 0, 0, k_max_bytes_per_s);  // 0: not published
  g.bf16_tflops = optional_rate(n, "bf16_tflops", 0, k_min_tflops, k_max_tflops);
  g.fp16_tflops = optional_rate(n, "fp16_tflops", g.bf16_tflops, k_min_tflops, k_max_tflops);
  g.fp16_acc16_tflops = optional_rate(n, "fp16_acc16_tflops", 0, k_min_tflops, k_max_tflops);
  g.fp8_tflops = optional_rate(n, "fp8_tflops", 0, k_min_tflops, k_max_tflops);
  g.int8_tops = optional_rate(n, "int8_tops", 0, k_min_tflops, k_max_tflops);
  g.fp32_tflops = optional_rate(n, "fp32_tflops", 0, k_min_tflops, k_max_tflops);
  g.tdp_watts = n.number_in_or("tdp_watts", 0, 0, k_max_watts);
  if (const auto ic = n.find("interconnect")) {
    ic->check_keys({"pcie_gen", "pcie_lanes", "nvlink_bytes_per_s", "infinity_fabric_bytes_per_s", "notes"});
    g.pcie_gen = ic->u64_in_or("pcie_gen", 0, 0, 7);  // PCIe 7.0 is the newest PCI-SIG spec
    g.pcie_lanes = ic->u64_in_or("pcie_lanes", 0, 0, 32);
    // The scale-up link between GPUs of a node: NVLink, or AMD's Infinity Fabric.
    g.nvlink_bytes_per_s =
        ic->u64_in_or("nvlink_bytes_per_s", ic->u64_in_or("infinity_fabric_bytes_per_s", 0, 0, k_max_bytes_per_s), 0,
                      k_max_bytes_per_s);
  }
  if (n.has("launch_price_usd")) g.launch_price_usd = n.number_in("launch_price_usd", 0, k_max_usd);
  g.launch_price_date = n.str_or("launch_price_date", "");
  g.usable_memory_fraction = n.number_in_or("usable_memory_fraction", 1.0, 0.01, 1);
  g.whole_system = n.bool_or("whole_system", false);
  if (g.whole_system && !n.find("gpus_per_node")) g.gpus_per_node = 1;  // a machine holds its one GPU
  g.sources = n.at("source").sources();
  g.notes = n.str_or("notes", "");
  return g;
}

CpuSpec parse_cpu(const JsonNode& n) {
  n.check_keys({"id", "name", "aliases", "vendor", "cores", "sockets", "memory_channels", "memory_type", "memory_mts",
                "memory_bandwidth_bytes_per_s", "max_memory_bytes", "fp32_tflops", "bf16_tflops", "isa", "tdp_watts",
                "source", "notes"});
  CpuSpec c;
  c.origin = n.origin();
  c.id = n.str("id");
  c.name = n.str("name");
  c.aliases = n.strings_or_empty("aliases");
  c.vendor = n.str_or("vendor", "");
  c.cores = n.u64_in_or("cores", 0, 0, k_max_count);
  c.memory_channels = n.u64_in_or("memory_channels", 0, 0, 1024);
  c.memory_type = n.str_or("memory_type", "");
  c.bandwidth_bytes_per_s = n.u64_in("memory_bandwidth_bytes_per_s", 1'000'000, k_max_bytes_per_s);
  c.max_memory_bytes = n.u64_in_or("max_memory_bytes", 0, 0, k_max_device_bytes);
  c.fp32_tflops = optional_rate(n, "fp32_tflops", 0, k_min_tflops, k_max_tflops);
  c.bf16_tflops = optional_rate(n, "bf16_tflops", 0, k_min_tflops, k_max_tflops);
  c.tdp_watts = n.number_in_or("tdp_watts", 0, 0, k_max_watts);
  c.sources = n.at("source").sources();
  c.notes = n.str_or("notes", "");
  return c;
}

CostDefaults parse_cost_defaults(const JsonNode& n) {
  n.check_keys({"electricity_usd_per_kwh", "pue_datacenter", "pue_desk", "amortization_years",
                "maintenance_fraction_per_year", "gpu_power_fraction", "host_power_fraction", "host_cpu_desktop",
                "host_cpu_large_memory", "desktop_max_ram_gib", "host_cpu_server", "host_cpus_per_server", "source"});
  CostDefaults c;
  // The same ranges the CLI's --kwh-price, --pue, --years and --maintenance accept.
  c.electricity_usd_per_kwh = n.number_in("electricity_usd_per_kwh", 0, 100);
  c.pue_datacenter = n.number_in("pue_datacenter", 1, 5);
  c.pue_desk = n.number_in("pue_desk", 1, 5);
  c.amortization_years = n.number_in("amortization_years", 0.1, 50);
  c.maintenance_fraction_per_year = n.number_in("maintenance_fraction_per_year", 0, 1);
  c.gpu_power_fraction = n.number_in("gpu_power_fraction", 0, 1);
  c.host_power_fraction = n.number_in("host_power_fraction", 0, 10);
  c.host_cpu_desktop = n.str_or("host_cpu_desktop", "");
  c.host_cpu_large_memory = n.str_or("host_cpu_large_memory", "");
  c.desktop_max_ram_gib = n.u64_in_or("desktop_max_ram_gib", 0, 0, 1'000'000);
  c.host_cpu_server = n.str_or("host_cpu_server", "");
  c.host_cpus_per_server = n.u64_in_or("host_cpus_per_server", 1, 1, 8);
  for (const auto& [topic, text] : n.at("source").members()) c.sources[topic] = text.str();
  return c;
}

CloudPrice parse_cloud_price(const JsonNode& n) {
  n.check_keys({"gpu", "provider", "offering", "usd_per_gpu_hour", "date", "source", "via", "notes",
                "max_gpus_per_instance", "multi_node", "shape_source"});
  CloudPrice p;
  p.origin = n.origin();
  p.where = n.pointer();
  p.gpu = n.str("gpu");
  p.provider = n.str("provider");
  p.offering = n.str_or("offering", "");
  p.usd_per_gpu_hour = n.number_in("usd_per_gpu_hour", 0, 1e5);
  p.date = n.str("date");
  p.source = join_sources(n.at("source"));
  p.max_gpus_per_instance = n.u64_in_or("max_gpus_per_instance", 1, 1, 1024);
  p.multi_node = n.bool_or("multi_node", false);
  return p;
}

PurchasePrice parse_purchase_price(const JsonNode& n) {
  n.check_keys({"gpu", "usd", "kind", "date", "source", "notes"});
  PurchasePrice p;
  p.origin = n.origin();
  p.where = n.pointer();
  p.gpu = n.str("gpu");
  p.usd = n.number_in("usd", 0, k_max_usd);
  p.kind = n.str_or("kind", "");
  p.date = n.str("date");
  p.source = join_sources(n.at("source"));
  return p;
}

/// Replace the entry that `same` matches, or append. (A predicate, not a key function: building a
/// key string per comparison made merging the cloud prices a tenth of a process's start-up.)
template <typename T, typename Same>
void upsert(std::vector<T>& items, T item, Same same) {
  const auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return same(x, item); });
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
    upsert(items, std::move(item), [](const T& a, const T& b) { return a.id == b.id; });
  }
}

UnmodelledFile parse_unmodelled_file(const JsonNode& n) {
  n.check_keys({"id", "model", "file", "hf", "published_size", "source"});
  UnmodelledFile f;
  f.origin = n.origin();
  f.id = n.str("id");
  f.model = n.str("model");
  f.file = n.str("file");
  f.hf = n.str("hf");
  f.published_size = n.str_or("published_size", "");
  f.source = join_sources(n.at("source"));
  return f;
}

HostPrice parse_host_price(const JsonNode& n, const char* key_field, const char* usd_field) {
  n.check_keys({key_field, usd_field, "what", "date", "source", "notes"});
  HostPrice p;
  p.origin = n.origin();
  p.where = n.pointer();
  p.key = n.str(key_field);
  p.usd = n.number_in(usd_field, 0, 1e7);
  p.what = n.str_or("what", "");
  p.date = n.str("date");
  p.source = join_sources(n.at("source"));
  return p;
}

void merge_host_prices(HostPrices& h, const JsonNode& n) {
  n.check_keys({"about", "cpus", "ram", "platforms", "storage"});
  const auto merge = [&](std::vector<HostPrice>& list, const char* field, const char* key, const char* usd) {
    if (const auto items = n.find(field))
      for (const auto& e : items->elements()) upsert(list, parse_host_price(e, key, usd), [](const HostPrice& a, const HostPrice& b) { return a.key == b.key; });
  };
  merge(h.cpus, "cpus", "cpu", "usd");
  merge(h.ram_per_gib, "ram", "kind", "usd_per_gib");
  merge(h.platforms, "platforms", "kind", "usd");
  merge(h.storage_per_tb, "storage", "kind", "usd_per_tb");
}

/// `doc` is scratch space, reused from layer to layer.
void merge_layer(Catalog& cat, const std::string& origin, std::string_view text, detail::JsonDoc& doc) {
  try {
    detail::JsonLimits limits;
    limits.unique_keys = true;  // a key given twice would drop its first value unseen
    doc.reparse(text, limits);
  } catch (const detail::JsonDuplicateKey& e) {
    throw CatalogError(origin, e.pointer(),
                       "duplicate key '" + e.key() + "': only one value per key is read; merge the two or remove one");
  } catch (const detail::JsonParseError& e) {
    throw CatalogError(origin, "", std::string("invalid JSON: ") + e.what());
  }
  const JsonNode root(doc, origin);
  root.check_keys({"$schema",      "about",           "architectures", "models",        "block_types",
                   "containers",   "quants",          "engines",       "gpus",          "cpus",
                   "cloud_prices", "purchase_prices", "host_prices",   "cost_defaults", "tasks",
                   "tasks_source", "speed_bands",     "generated_by",  "internode",     "unmodelled_files"});
  if (const auto archs = root.find("architectures"))
    for (const auto& [id, node] : archs->members()) cat.architectures[id] = parse_arch_traits(node);
  merge_list(cat.models, root, "models", parse_model);
  merge_list(cat.block_types, root, "block_types", parse_block_type);
  if (const auto containers = root.find("containers"))
    for (const auto& [id, node] : containers->members()) cat.containers[id] = parse_container(id, node);
  merge_list(cat.quants, root, "quants", parse_quant);
  if (const auto files = root.find("unmodelled_files")) {
    files->check_keys({"about", "files"});
    merge_list(cat.unmodelled_files, *files, "files", parse_unmodelled_file);
  }
  merge_list(cat.engines, root, "engines", parse_engine);
  merge_list(cat.gpus, root, "gpus", parse_gpu);
  if (const auto net = root.find("internode")) {
    net->check_keys({"bytes_per_s", "what", "source"});
    cat.internode_bytes_per_s = net->u64_in("bytes_per_s", 1'000'000, 100'000'000'000'000ULL);
    cat.internode_source = join_sources(net->at("source"));
  }
  merge_list(cat.cpus, root, "cpus", parse_cpu);
  merge_list(cat.tasks, root, "tasks", parse_task);
  merge_list(cat.speed_bands, root, "speed_bands", parse_speed_band);
  if (const auto src = root.find("tasks_source")) cat.tasks_source = join_sources(*src);
  if (const auto defaults = root.find("cost_defaults")) cat.cost_defaults = parse_cost_defaults(*defaults);
  if (const auto prices = root.find("cloud_prices"))
    for (const auto& e : prices->elements())
      upsert(cat.cloud_prices, parse_cloud_price(e),
             [](const CloudPrice& a, const CloudPrice& b) {
               return a.gpu == b.gpu && a.provider == b.provider && a.offering == b.offering;
             });
  if (const auto host = root.find("host_prices")) merge_host_prices(cat.host_prices, *host);
  if (const auto prices = root.find("purchase_prices"))
    for (const auto& e : prices->elements())
      upsert(cat.purchase_prices, parse_purchase_price(e),
             [](const PurchasePrice& a, const PurchasePrice& b) { return a.gpu == b.gpu && a.kind == b.kind; });
}

// ---- cross-reference checks after all layers are merged ------------------------------------

[[noreturn]] void reference_error(const std::string& origin, const std::string& where, const std::string& problem) {
  throw CatalogError(origin, where, problem);
}

/// A name an entry answers to: its id or one of its aliases.
struct EntryName {
  std::string name;
  std::string owner;   ///< the entry's id
  std::string origin;  ///< the catalog file of the entry
  std::string field;   ///< "id" or "aliases"
};

/// A name used by two entries is refused at the later one (a user file's, as layers come after the
/// embedded catalog): its file, and the pointer /COLLECTION/ID/FIELD, as other reference errors.
void check_unique_names(const std::vector<EntryName>& names, std::string_view kind, std::string_view collection) {
  std::map<std::string, const EntryName*> seen;
  for (const auto& n : names) {
    const auto [it, inserted] = seen.emplace(to_lower(n.name), &n);
    if (inserted || it->second->owner == n.owner) continue;
    const EntryName& first = *it->second;
    throw CatalogError(n.origin, "/" + std::string(collection) + "/" + n.owner + "/" + n.field,
                       std::string(kind) + " name '" + n.name + "' is used by both '" + first.owner + "' (" +
                           first.origin + ") and '" + n.owner + "'");
  }
}

template <typename T>
std::vector<EntryName> names_of(const std::vector<T>& items) {
  std::vector<EntryName> out;
  for (const auto& item : items) {
    out.push_back({item.id, item.id, item.origin, "id"});
    // Lookups answer to the display name too (any case), and to a model's Hugging Face repository.
    if (!item.name.empty()) out.push_back({item.name, item.id, item.origin, "name"});
    for (const auto& a : item.aliases) out.push_back({a, item.id, item.origin, "aliases"});
    // A repository id ("owner/name"); a local checkpoint's directory (an emitted entry's) is shared
    // by every model in it and is not a name to look up by.
    if constexpr (std::is_same_v<T, ModelSpec>)
      if (!item.hf_repo.empty() && item.hf_repo.front() != '/' && item.hf_repo.front() != '.')
        out.push_back({item.hf_repo, item.id, item.origin, "hf_repo"});
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

/// A format may list only engines that load every type its rules and default store.
void check_engines_load_types(const Catalog& cat, const QuantFormat& q, const std::string& where) {
  auto check = [&](std::size_t type_index) {
    const BlockType& t = cat.block_types[type_index];
    for (const auto& e : q.engines)
      if (!t.loaded_by(e))
        reference_error(
            q.origin, where + "/engines",
            "engine '" + e + "' does not load block type '" + t.id + "' (only " + join(t.engines, ", ") + ")");
  };
  check(q.default_type_index);
  for (const auto& r : q.rules) check(r.type_index);
}

/// Resolves a rule's tag names to bits and its type to a block-type index.
void compile_rule(const Catalog& cat, QuantRule& r, const std::string& origin, const std::string& where) {
  r.mask.reset();
  for (const auto& name : r.match) {
    const auto bit = detail::tag_index(name);
    if (!bit) reference_error(origin, where, "rule matches unknown tag '" + name + "' (docs/catalog.md lists the tags)");
    r.mask.set(*bit);
  }
  r.type_index = check_type_ref(cat, r.type, origin, where);
}

void resolve_and_check(Catalog& cat) {
  for (auto& m : cat.models) {
    const auto it = cat.architectures.find(m.arch.model_type);
    if (it == cat.architectures.end())
      reference_error(m.origin, "/models/" + m.id + "/config/model_type",
                      "unknown model_type '" + m.arch.model_type + "' (no entry in 'architectures')");
    m.arch.traits = it->second;
    if (const auto missing = attention_of(m.arch).missing_fields(m.arch); !missing.empty())
      reference_error(m.origin, "/models/" + m.id + "/config", "model_type '" + m.arch.model_type + "' " + missing);
    if (!cat.find_quant(m.native_quant))
      reference_error(m.origin, "/models/" + m.id + "/native_dtype", "unknown quant '" + m.native_quant + "'");
  }
  for (const auto& f : cat.unmodelled_files)
    if (!cat.find_model(f.model))
      reference_error(f.origin, "/unmodelled_files/files/" + f.id + "/model", "unknown model '" + f.model + "'");
  for (auto& [id, c] : cat.containers) {
    for (auto& r : c.unquantized) compile_rule(cat, r, c.origin, "/containers/" + id + "/unquantized");
    for (auto& r : c.converter_types) compile_rule(cat, r, c.origin, "/containers/" + id + "/converter_types");
    for (const auto& t : c.converter_outtypes)
      check_type_ref(cat, t, c.origin, "/containers/" + id + "/converter_outtypes");
    c.fallback_index.clear();
    for (const auto& [from, to] : c.fallback)
      c.fallback_index[check_type_ref(cat, from, c.origin, "/containers/" + id + "/fallback")] =
          check_type_ref(cat, to, c.origin, "/containers/" + id + "/fallback");
    if (!c.final_fallback.empty())
      c.final_fallback_index = check_type_ref(cat, c.final_fallback, c.origin, "/containers/" + id);
  }
  for (const auto& [id, t] : cat.architectures) {
    for (const auto& g : t.runs_on)
      for (const auto& e : g.engines)
        if (!cat.find_engine(e))
          reference_error("catalog", "/architectures/" + id + "/runs_on", "unknown engine '" + e + "'");
    for (const auto& f : t.formats)
      if (!cat.quants.empty() && !cat.find_quant(f))
        reference_error("catalog", "/architectures/" + id + "/formats", "unknown quant '" + f + "'");
  }
  for (const auto& b : cat.block_types)
    for (const auto& e : b.engines)
      if (!cat.find_engine(e))
        reference_error("catalog", "/block_types/" + b.id + "/engines", "unknown engine '" + e + "'");
  for (auto& q : cat.quants) {
    const std::string where = "/quants/" + q.id;
    for (const auto& c : q.containers)
      if (!cat.containers.count(c)) reference_error(q.origin, where + "/containers", "unknown container '" + c + "'");
    q.default_type_index = check_type_ref(cat, q.default_type, q.origin, where + "/default_type");
    for (auto& r : q.rules) compile_rule(cat, r, q.origin, where + "/rules");
    check_engines_load_types(cat, q, where);
    for (const auto& m : q.models)
      if (!cat.find_model(m)) reference_error(q.origin, where + "/models", "unknown model '" + m + "'");
    for (const auto& [m, repo] : q.gguf_repos)
      if (!cat.find_model(m)) reference_error(q.origin, where + "/gguf_repos", "unknown model '" + m + "'");
  }
  for (auto& e : cat.engines) {
    const std::string where = "/engines/" + e.id;
    if (!e.performance_of.empty()) {
      const EngineSpec* of = cat.find_engine(e.performance_of);
      if (!of || !of->performance_of.empty())
        reference_error(e.origin, where + "/performance",
                        "'" + e.performance_of + "' is not an engine with performance constants of its own");
      e.performance = of->performance;
    }
    for (const auto& t : e.kv_cache_types)
      if (cat.block_types[check_type_ref(cat, t, e.origin, where + "/kv_cache_types")].bytes_per_row > 0)
        reference_error(e.origin, where + "/kv_cache_types",
                        "'" + t + "' stores per-row bytes, which a KV cache size does not model");
    if (e.default_kv_type != "model") check_type_ref(cat, e.default_kv_type, e.origin, where + "/default_kv_type");
    if (!e.default_quant_gguf.empty() && !cat.find_quant(e.default_quant_gguf))
      reference_error(e.origin, where + "/default_quant_gguf", "unknown quant '" + e.default_quant_gguf + "'");
  }
  for (const auto& p : cat.cloud_prices)
    if (!cat.find_gpu(p.gpu)) reference_error(p.origin, p.where + "/gpu", "price for unknown GPU '" + p.gpu + "'");
  for (const auto& p : cat.purchase_prices)
    if (!cat.find_gpu(p.gpu)) reference_error(p.origin, p.where + "/gpu", "price for unknown GPU '" + p.gpu + "'");
  for (const auto& p : cat.host_prices.cpus)
    if (!cat.find_cpu(p.key)) reference_error(p.origin, p.where + "/cpu", "price for unknown CPU '" + p.key + "'");
  for (const auto& t : cat.tasks)
    for (const auto& other : t.blend_of)
      if (const auto* o = cat.find_task(other); !o || !o->blend_of.empty())
        reference_error(t.origin, "/tasks/" + t.id, "blend_of must name tasks scored by metrics, not '" + other + "'");
  check_unique_names(names_of(cat.models), "model", "models");
  check_unique_names(names_of(cat.quants), "quant", "quants");
  check_unique_names(names_of(cat.engines), "engine", "engines");
  check_unique_names(names_of(cat.gpus), "GPU", "gpus");
  check_unique_names(names_of(cat.cpus), "CPU", "cpus");
  check_unique_names(names_of(cat.tasks), "task", "tasks");
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
  detail::JsonDoc doc;
  for (const auto& layer : layers) merge_layer(cat, layer.origin, layer.text, doc);
  resolve_and_check(cat);
  return cat;
}

Catalog detail::load_embedded_json(CatalogScope scope) {
  // Parsed in place: copying 318 KB of text into layers cost 5% of a process's time.
  Catalog cat;
  detail::JsonDoc doc;
  // Model data cross-references nothing in the other files (prices name GPUs and CPUs, not the
  // reverse), so skipping those files leaves every check of what is loaded intact.
  const bool model_data_only = scope == CatalogScope::model_data;
  const auto is_model_data = [](std::string_view name) {
    return name == "models.json" || name == "quants.json" || name == "engines.json";
  };
  for (const auto& [name, text] : detail::embedded_files())
    if (!model_data_only || is_model_data(name)) merge_layer(cat, "embedded:" + std::string(name), text, doc);
  cat.has_hardware_data = !model_data_only;
  resolve_and_check(cat);
  return cat;
}

Catalog load_embedded_catalog(std::span<const CatalogLayer> overrides, CatalogScope scope) {
  if (!overrides.empty()) scope = CatalogScope::full;  // a user file may refer to anything
  // The build parsed and checked the embedded files (compiled_catalog.hpp); builds without a
  // compiled catalog parse them here.
  const std::string_view compiled = detail::compiled_catalog_bytes(scope);
  Catalog cat = compiled.empty() ? detail::load_embedded_json(scope) : detail::read_compiled_catalog(compiled);
  if (overrides.empty()) return cat;
  detail::JsonDoc doc;
  for (const auto& layer : overrides) merge_layer(cat, layer.origin, layer.text, doc);
  resolve_and_check(cat);  // again: the layers' entries, and the embedded ones they replaced or refer to
  return cat;
}

}  // namespace dsplan
