// Model file summaries: tallies by type and group, architecture from metadata, catalog match, KV per token.
#include "dsplan/files/model_file.hpp"

#include "dsplan/model/attention.hpp"
#include "dsplan/scenario/scenario.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "dsplan/model/attention.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/files/hf_config.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan {

namespace {

constexpr std::size_t k_other_group = std::size(k_all_groups);
constexpr std::uint64_t k_kv_average_context = 32'768;

bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

struct Tallies {
  std::map<std::string, TypeTally> types;
  std::vector<GroupTally> groups = std::vector<GroupTally>(k_other_group + 1);

  void add(const std::string& type, std::size_t group, Bytes bytes) {
    auto& t = types[type];
    t.type = type;
    ++t.count;
    t.bytes += bytes;
    ++groups[group].count;
    groups[group].bytes += bytes;
  }
  void store(ModelFileInfo& info) {
    for (auto& [_, t] : types) info.types.push_back(t);
    std::stable_sort(info.types.begin(), info.types.end(),
                     [](const TypeTally& a, const TypeTally& b) { return a.bytes > b.bytes; });
    for (std::size_t i = 0; i < groups.size(); ++i) {
      if (groups[i].count == 0) continue;
      groups[i].group = i == k_other_group ? "other" : std::string(group_name(k_all_groups[i]));
      info.groups.push_back(groups[i]);
    }
  }
};

bool same_shapes(const ModelArch& a, const ModelArch& b) {
  if (a.traits.attention != b.traits.attention) return false;
  if (a.num_layers != b.num_layers || a.hidden_size != b.hidden_size || a.num_heads != b.num_heads ||
      a.intermediate_size != b.intermediate_size || a.vocab_size != b.vocab_size ||
      a.tie_word_embeddings != b.tie_word_embeddings)  // a tied model has no output matrix of its own
    return false;
  const auto& attention = attention_of(a);
  if (attention.config_fields(a) != attention.config_fields(b) || a.is_moe() != b.is_moe()) return false;
  for (std::uint64_t l = 0; l < a.num_layers; ++l)  // DeepSeek-V4's per-layer compression (main layers)
    if (a.compress_ratio(l) != b.compress_ratio(l)) return false;
  if (a.is_moe())
    return a.n_routed_experts == b.n_routed_experts && a.n_shared_experts == b.n_shared_experts &&
           a.experts_per_token == b.experts_per_token && a.moe_intermediate_size == b.moe_intermediate_size &&
           a.first_k_dense_replace == b.first_k_dense_replace;
  return true;
}

std::string letters_and_digits(std::string_view s) {
  std::string out;
  for (char c : to_lower(std::string(s)))
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  return out;
}

/// Among shape-identical catalog models (R1, V3, V3.1 ... share one architecture), the one whose
/// name or repository name is the longest found in `hint` (the file's general.name or path);
/// else the first.
void pick_catalog_model(ModelFileInfo& info, const Catalog& catalog, std::string_view hint) {
  if (info.catalog_matches.empty()) return;
  const std::string h = letters_and_digits(hint);
  std::size_t best_len = 0;
  info.catalog_model = info.catalog_matches.front();
  for (const auto& id : info.catalog_matches) {
    const ModelSpec* m = catalog.find_model(id);
    if (!m) continue;
    const std::string repo_tail = m->hf_repo.substr(m->hf_repo.rfind('/') + 1);
    for (const std::string& label : {m->name, repo_tail}) {
      const std::string l = letters_and_digits(label);
      if (!l.empty() && l.size() > best_len && contains(h, l)) {
        best_len = l.size();
        info.catalog_model = id;
      }
    }
  }
}

void fill_kv(ModelFileInfo& info, const Catalog& catalog, const std::string& engine_id) {
  if (!info.arch) return;
  const EngineSpec* engine = catalog.find_engine(engine_id);
  const BlockType* f16 = catalog.find_block_type("f16");
  if (!engine || !f16) return;
  KvCacheRequest req;
  req.context = 1;
  req.legacy_mla_gguf = info.mla_layout == std::optional<std::string>("legacy");
  auto kv = estimate_kv_cache(*info.arch, *engine, *f16, req);
  if (!kv.per_token_exact()) {  // windows, compressed caches and states: an average over a long context
    req.context = std::min(k_kv_average_context, std::max<std::uint64_t>(info.arch->max_context, 1));
    kv = estimate_kv_cache(*info.arch, *engine, *f16, req);
    info.kv_average_context = req.context;
  }
  info.kv_bytes_per_token = kv.bytes_per_token.count();
  info.kv_engine = engine->id;
}

void fill_match(ModelFileInfo& info, const Catalog& catalog, std::string_view hint) {
  if (!info.arch) return;
  info.catalog_matches = matching_models(*info.arch, catalog);
  pick_catalog_model(info, catalog, hint);
}

/// Whether a GGUF's blocks include dense MLPs (feed_forward_length): unless it has experts from
/// the first block on (DeepSeek-V4).
bool has_dense_layers(const GgufFile& f, const std::string& a) {
  const auto experts = f.u64(a + ".expert_count");
  return !experts || *experts == 0 || f.u64(a + ".leading_dense_block_count").value_or(0) > 0;
}

/// First catalog model_type llama.cpp converts to `gguf_arch`; deepseek2 holds both V2 and V3,
/// told apart by V3's router bias (exp_probs_b).
std::optional<std::string> model_type_for(const std::string& gguf_arch, bool router_bias, const Catalog& catalog) {
  if (gguf_arch == "deepseek2") {
    const std::string t = router_bias ? "deepseek_v3" : "deepseek_v2";
    if (catalog.architectures.count(t)) return t;
  }
  if (const auto it = catalog.architectures.find(gguf_arch); it != catalog.architectures.end() &&
                                                               it->second.llama_cpp_arch == gguf_arch)
    return gguf_arch;
  for (const auto& [type, traits] : catalog.architectures)
    if (traits.llama_cpp_arch == gguf_arch) return type;
  return std::nullopt;
}

}  // namespace

std::string_view format_name(ModelFileFormat format) {
  switch (format) {
    case ModelFileFormat::gguf: return "gguf";
    case ModelFileFormat::safetensors: return "safetensors";
    case ModelFileFormat::config: return "config";
  }
  throw InternalError("unnamed file format");
}

std::vector<std::string> matching_models(const ModelArch& arch, const Catalog& catalog) {
  std::vector<std::string> out;
  for (const auto& m : catalog.models)
    if ((arch.traits.llama_cpp_arch.empty() ? m.arch.model_type == arch.model_type
                                            : m.arch.traits.llama_cpp_arch == arch.traits.llama_cpp_arch) &&
        same_shapes(m.arch, arch))
      out.push_back(m.id);
  return out;
}

std::string gguf_arch_problem(const GgufFile& first, std::span<const GgufFile> parts, const Catalog& catalog) {
  const std::string a = first.str("general.architecture");
  if (a.empty()) return "no general.architecture key";
  bool embd = false, router_bias = false;
  for (const auto& p : parts)
    for (const auto& t : p.tensors) {
      embd = embd || t.name == "token_embd.weight";
      router_bias = router_bias || ends_with(t.name, ".exp_probs_b.bias");
    }
  const auto type = model_type_for(a, router_bias, catalog);
  if (!type) return "architecture '" + a + "' is not one dsplan can build";
  if (!embd) return "no token_embd.weight tensor";
  std::vector<std::string> required = {"block_count", "embedding_length", "attention.head_count"};
  if (has_dense_layers(first, a)) required.push_back("feed_forward_length");
  for (const auto& k : required) {
    const std::string key = a + "." + k;
    const auto v = first.u64(key);
    if (!v) return "key '" + key + "' is missing or not an unsigned integer";
    if (*v == 0) return "key '" + key + "' is 0";
  }
  const ArchTraits& traits = catalog.architectures.at(*type);
  if (const auto nextn = first.u64(a + ".nextn_predict_layers");
      nextn && !traits.gguf_mtp_beyond_block_count && *nextn >= *first.u64(a + ".block_count"))
    return "key '" + a + ".nextn_predict_layers' (" + std::to_string(*nextn) + ") leaves no main block of the " +
           std::to_string(*first.u64(a + ".block_count")) + " in '" + a + ".block_count'";
  if (const auto kv = first.u64(a + ".attention.head_count_kv"); kv && *kv == 0)
    return "key '" + a + ".attention.head_count_kv' is 0";
  if (const auto window = first.u64(a + ".context_length"); window && (*window == 0 || *window > k_max_context))
    return "key '" + a + ".context_length' is " + std::to_string(*window) + ", outside the 1 to " +
           std::to_string(k_max_context) + " tokens a context window may have";
  if (first.find(a + ".attention.compress_ratios") != nullptr) {  // per layer: as many as the blocks
    const auto values = first.u64_array(a + ".attention.compress_ratios");
    if (!values) return "key '" + a + ".attention.compress_ratios' is not an array of non-negative integers";
    if (values->size() < *first.u64(a + ".block_count"))
      return "key '" + a + ".attention.compress_ratios' has " + std::to_string(values->size()) + " ratios for the " +
             std::to_string(*first.u64(a + ".block_count")) + " blocks of '" + a + ".block_count'";
  }
  ModelArch kind;  // the attention kind's own traits say whether an indexer comes with it
  kind.traits = traits;
  for (const auto k : attention_of(kind).gguf_keys) {
    const std::string key = a + "." + std::string(k);
    const GgufKv* kv = first.find(key);
    const bool empty =
        !kv || (kv->type == GgufValueType::array ? kv->array_length == 0 : kv->as_u64().value_or(0) == 0);
    if (empty)
      return "key '" + key + "' is " + (kv ? "0 or empty" : "missing") + " (llama.cpp's " + a + " loader needs it)";
  }
  if (first.u64(a + ".attention.kv_lora_rank") && attention_of(kind).needs_indexer_engine)
    for (const char* k : {"attention.indexer.head_count", "attention.indexer.key_length", "attention.indexer.top_k"})
      if (!first.u64(a + "." + k)) return "key '" + a + "." + k + "' (the sparse-attention indexer) is missing";
  if (first.u64(a + ".attention.kv_lora_rank"))
    return "its MLA keys (attention.key_length[_mla], value_length[_mla], rope.dimension_count) are missing or "
           "inconsistent";
  return "its metadata does not describe a model dsplan can build";
}

std::optional<ModelArch> gguf_model_arch(const GgufFile& first, std::span<const GgufFile> parts, const Catalog& catalog) {
  const std::string a = first.str("general.architecture");
  if (a.empty()) return std::nullopt;
  const auto key = [&](const std::string& k) { return first.u64(a + "." + k); };
  const GgufTensor* embd = nullptr;
  bool has_output = false;
  bool router_bias = false;
  for (const auto& p : parts)
    for (const auto& t : p.tensors) {
      if (t.name == "token_embd.weight") embd = &t;
      if (t.name == "output.weight") has_output = true;
      if (ends_with(t.name, ".exp_probs_b.bias")) router_bias = true;
    }
  const auto type = model_type_for(a, router_bias, catalog);
  if (!type || !embd) return std::nullopt;
  ModelArch m;
  m.model_type = *type;
  m.traits = catalog.architectures.at(*type);
  const auto layers = key("block_count");
  const auto hidden = key("embedding_length");
  const auto heads = key("attention.head_count");
  const auto ffn = key("feed_forward_length");
  const bool dense = has_dense_layers(first, a);
  if (!layers || !hidden || !heads || (dense && !ffn) || *heads == 0 || *layers == 0) return std::nullopt;
  // block_count counts the multi-token-prediction blocks too (nextn_predict_layers, written
  // after the main blocks by convert_hf_to_gguf.py where an architecture keeps them), except
  // where the MTP blocks follow block_count (deepseek4).
  const auto nextn = key("nextn_predict_layers").value_or(0);
  const bool mtp_beyond = m.traits.gguf_mtp_beyond_block_count;
  if (!mtp_beyond && nextn >= *layers) return std::nullopt;
  m.num_layers = mtp_beyond ? *layers : *layers - nextn;
  m.mtp_layers = nextn;
  m.hidden_size = *hidden;
  m.num_heads = *heads;
  m.num_kv_heads = key("attention.head_count_kv").value_or(m.num_heads);
  m.head_dim = key("attention.key_length").value_or(m.hidden_size / m.num_heads);
  m.intermediate_size = dense ? *ffn : 0;
  m.vocab_size = embd->ne[1];
  m.tie_word_embeddings = !has_output;
  m.max_context = key("context_length").value_or(0);  // 0: the file does not say (absent)
  if (const auto window = key("context_length"); window && (*window == 0 || *window > k_max_context))
    return std::nullopt;  // gguf_unbuildable_reason names the key
  m.rope_type = first.str(a + ".rope.scaling.type");
  if (m.rope_type == "none") m.rope_type.clear();
  if (const auto kv_lora = key("attention.kv_lora_rank")) {
    m.kv_lora_rank = *kv_lora;
    m.q_lora_rank = key("attention.q_lora_rank").value_or(0);
    m.qk_rope_head_dim = key("rope.dimension_count").value_or(0);
    // Split-MLA conversions keep the per-head sizes in *_mla keys (key_length is then the latent).
    const auto k_len = key("attention.key_length_mla") ? key("attention.key_length_mla") : key("attention.key_length");
    const auto v_len = key("attention.value_length_mla") ? key("attention.value_length_mla") : key("attention.value_length");
    if (!k_len || !v_len || *k_len <= m.qk_rope_head_dim) return std::nullopt;
    m.qk_nope_head_dim = *k_len - m.qk_rope_head_dim;
    m.v_head_dim = *v_len;
    m.num_kv_heads = m.num_heads;
    m.head_dim = *k_len;
    m.index_n_heads = key("attention.indexer.head_count").value_or(0);  // DSA (deepseek32)
    m.index_head_dim = key("attention.indexer.key_length").value_or(0);
    m.index_topk = key("attention.indexer.top_k").value_or(0);
  }
  if (const auto ratios = first.u64_array(a + ".attention.compress_ratios")) {
    // DeepSeek-V4: per-layer compression, one shared KV head of key_length values, grouped
    // low-rank output, hyper-connections, hash-routed leading layers.
    m.compress_ratios = *ratios;
    m.qk_rope_head_dim = key("rope.dimension_count").value_or(0);
    m.q_lora_rank = key("attention.q_lora_rank").value_or(0);
    m.o_groups = key("attention.output_group_count").value_or(0);
    m.o_lora_rank = key("attention.output_lora_rank").value_or(0);
    m.sliding_window = key("attention.sliding_window").value_or(0);
    m.hc_mult = key("hyper_connection.count").value_or(0);
    m.num_hash_layers = key("hash_layer_count").value_or(0);
    m.index_n_heads = key("attention.indexer.head_count").value_or(0);
    m.index_head_dim = key("attention.indexer.key_length").value_or(0);
    m.index_topk = key("attention.indexer.top_k").value_or(0);
    if (m.compress_ratios.size() < m.num_layers || m.num_hash_layers > m.num_layers) return std::nullopt;
    // The converter writes the checkpoint's list, MTP layer included, into a file without it.
    m.compress_ratios.resize(std::min<std::size_t>(m.compress_ratios.size(), m.num_layers + m.mtp_layers));
  }
  if (const auto experts = key("expert_count"); experts && *experts > 0) {
    m.n_routed_experts = *experts;
    m.n_shared_experts = key("expert_shared_count").value_or(0);
    m.experts_per_token = key("expert_used_count").value_or(0);
    m.moe_intermediate_size = key("expert_feed_forward_length").value_or(0);
    m.first_k_dense_replace = key("leading_dense_block_count").value_or(0);
    m.router_bias = router_bias;
    if (m.experts_per_token == 0 || m.experts_per_token > m.n_routed_experts || m.moe_intermediate_size == 0)
      return std::nullopt;
  }
  if (!attention_of(m).missing_fields(m).empty()) return std::nullopt;
  if (m.num_kv_heads == 0 || m.num_heads % m.num_kv_heads != 0) return std::nullopt;
  if (!arch_limit_violation(m).empty()) return std::nullopt;
  return m;
}

namespace {

/// A tensor of a block past block_count (main and MTP blocks): llama.cpp creates no such tensor,
/// and its loader refuses a file holding tensors it did not create ("wrong number of tensors").
std::string block_past_count(std::span<const GgufFile> parts, const ModelArch& arch, const std::string& gguf_arch) {
  const std::uint64_t blocks = arch.num_layers + arch.mtp_layers;
  for (const auto& p : parts)
    for (const auto& t : p.tensors)
      if (const auto b = file_tensor_block(t.name, TensorNaming::gguf);
          b >= 0 && static_cast<std::uint64_t>(b) >= blocks)
        return "tensor '" + t.name + "' is in block " + std::to_string(b) + ", past the " + std::to_string(blocks) +
               " blocks of key '" + gguf_arch +
               ".block_count' (llama.cpp refuses a file with tensors it does not load)";
  return {};
}

}  // namespace

ModelFileInfo inspect_gguf(std::span<const GgufFile> parts, const Catalog& catalog) {
  if (parts.empty()) throw InternalError("inspect_gguf without a file");
  ModelFileInfo info;
  info.format = ModelFileFormat::gguf;
  const GgufFile& first = parts.front();
  // Split sets (llama.cpp gguf-split): split.count and split.no in every part,
  // split.tensors.count (the whole set's tensors) in the first.
  const auto count = first.u64("split.count");
  if (parts.size() > 1 || (count && *count > 1)) {
    if (!count || *count != parts.size())
      throw InputError(first.name + ": key 'split.count': expected " + std::to_string(parts.size()) + " parts, the file says " +
                       (count ? std::to_string(*count) : std::string("nothing")));
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto no = parts[i].u64("split.no");
      if (!no || *no != i)
        throw InputError(parts[i].name + ": key 'split.no': expected " + std::to_string(i) + " (part " +
                         std::to_string(i + 1) + " of " + std::to_string(parts.size()) + ")");
      // Every part names the set's size (gguf-split writes it in each): parts of two sets disagree.
      if (const auto n = parts[i].u64("split.count"); !n || *n != parts.size())
        throw InputError(parts[i].name + ": key 'split.count': expected " + std::to_string(parts.size()) +
                         " parts, as the first part says, the file says " +
                         (n ? std::to_string(*n) : std::string("nothing")));
    }
  }
  Tallies tallies;
  std::set<std::string_view> names;
  bool legacy = false;
  bool split = false;
  std::uint64_t params = 0;
  for (const auto& p : parts) {
    info.files.push_back(p.name);
    info.file_bytes += p.file_bytes;
    info.tensor_bytes += p.tensor_bytes;
    info.tensor_count += p.tensors.size();
    for (const auto& t : p.tensors) {
      if (!names.insert(t.name).second) throw InputError(p.name + ": tensor '" + t.name + "' is also in an earlier part");
      tallies.add(t.type, file_tensor_group(t.name, TensorNaming::gguf), t.bytes);
      params = checked_add(params, t.elements, "parameter count");
      if (contains(t.name, ".attn_kv_b.")) legacy = true;
      if (contains(t.name, ".attn_k_b.") || contains(t.name, ".attn_v_b.")) split = true;
    }
  }
  if (const auto expected = first.u64("split.tensors.count"); expected && *expected != info.tensor_count)
    throw InputError(first.name + ": key 'split.tensors.count': the parts hold " + std::to_string(info.tensor_count) +
                     " tensors, the key says " + std::to_string(*expected));
  tallies.store(info);
  info.params_total = params;
  if (split) info.mla_layout = "split";
  else if (legacy) info.mla_layout = "legacy";
  info.architecture = printable(first.str("general.architecture"));
  info.name = printable(first.str("general.name"));  // shown in tables: no terminal escapes from a file
  info.arch = gguf_model_arch(first, parts, catalog);
  if (!info.arch) info.arch_problem = printable(gguf_arch_problem(first, parts, catalog));
  if (info.arch) info.arch_problem = printable(block_past_count(parts, *info.arch, info.architecture));
  if (!info.arch_problem.empty()) info.arch.reset();
  fill_match(info, catalog, info.name + " " + first.name);
  fill_kv(info, catalog, "llama.cpp");
  if (info.arch) {
    std::vector<FileTensor> tensors;
    for (const auto& p : parts)
      for (const auto& t : p.tensors) tensors.push_back({t.name, t.type, t.elements, t.bytes});
    info.weights = file_weights(tensors, TensorNaming::gguf, *info.arch,
                                {"gguf", legacy && !split, std::nullopt, legacy && split});
  }
  return info;
}

ModelFileInfo inspect_safetensors(std::span<const SafetensorsFile> shards, const std::optional<SafetensorsIndex>& index,
                                  const std::optional<ModelArch>& config, const std::string& hint,
                                  const Catalog& catalog) {
  ModelFileInfo info;
  info.format = ModelFileFormat::safetensors;
  Tallies tallies;
  std::map<std::string_view, std::string_view> where;  // tensor -> shard
  std::uint64_t params = 0;
  std::uint64_t weights = 0;  // tensors other than scales
  for (const auto& s : shards) {
    info.files.push_back(s.name);
    info.file_bytes += s.file_bytes;
    info.tensor_bytes += s.tensor_bytes;
    info.tensor_count += s.tensors.size();
    for (const auto& t : s.tensors) {
      if (!where.emplace(t.name, s.name).second)
        throw InputError(s.name + ": tensor '" + t.name + "' is also in " + std::string(where[t.name]));
      const bool scale = is_scale_tensor(t.name);
      tallies.add(t.dtype, file_tensor_group(t.name, TensorNaming::hf), t.bytes);
      if (!scale) {
        params = checked_add(params, t.elements, "parameter count");
        ++weights;
      }
    }
  }
  if (index) {
    for (const auto& [tensor, file] : index->weight_map) {
      const auto it = where.find(tensor);
      if (it == where.end()) throw InputError("index: tensor '" + tensor + "' (mapped to " + file + ") is in no shard");
      const std::string_view shard = it->second;
      const std::string_view shard_file = shard.substr(shard.find_last_of('/') + 1);
      if (shard_file != file)
        throw InputError("index: tensor '" + tensor + "' is mapped to " + file + " but found in " + std::string(shard));
    }
    if (index->weight_map.size() != info.tensor_count)
      throw InputError("index: maps " + std::to_string(index->weight_map.size()) + " tensors but the shards hold " +
                       std::to_string(info.tensor_count));
  }
  tallies.store(info);
  info.params_total = params;
  if (config) {
    info.arch = config;
    info.architecture = config->model_type;
    fill_match(info, catalog, hint);
  } else {
    // No config.json: a catalog checkpoint has exactly its inventory's tensors and elements
    // (MTP block included; FP8 scales are not in the inventory).
    for (const auto& m : catalog.models) {
      const auto inv = build_inventory(m.arch);
      if (inv.tensor_count() == weights && (inv.params_total() + inv.params_mtp()).count() == params)
        info.catalog_matches.push_back(m.id);
    }
    pick_catalog_model(info, catalog, hint);
    if (info.catalog_model) {
      info.arch = catalog.find_model(*info.catalog_model)->arch;
      info.architecture = info.arch->model_type;
    }
  }
  if (info.arch && catalog.find_engine("vllm")) fill_kv(info, catalog, "vllm");
  if (info.arch) {
    std::vector<FileTensor> tensors;
    for (const auto& s : shards)
      for (const auto& t : s.tensors) tensors.push_back({t.name, t.dtype, t.elements, t.bytes});
    info.weights = file_weights(tensors, TensorNaming::hf, *info.arch, {"safetensors", false, std::nullopt, false});
  }
  return info;
}

ModelFileInfo inspect_config(const std::string& origin, const ModelArch& arch, const Catalog& catalog) {
  ModelFileInfo info;
  info.format = ModelFileFormat::config;
  info.files.push_back(origin);
  info.arch = arch;
  info.architecture = arch.model_type;
  const auto inv = build_inventory(arch);
  info.tensor_count = inv.tensor_count();
  info.params_total = inv.params_total().count();
  fill_match(info, catalog, origin);
  fill_kv(info, catalog, "vllm");
  return info;
}

}  // namespace dsplan
