// Tag bits for quant rules: llama.cpp categories, role names, and coarse kinds.
#include "core/model/tensor_tags.hpp"

#include <array>
#include <vector>

namespace dsplan::detail {

namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(LlamaCategory::count)> k_categories = {
    "token_embd", "output", "attn_v", "attn_k", "attn_q", "attn_output", "ffn_up", "ffn_gate", "ffn_down", "other"};

constexpr std::array<std::string_view, 14> k_kinds = {
    "vector", "mtp",  "embedding",  "output_head",  "routed_expert", "shared_expert",  "linear",
    "router", "router_bias", "norm", "rope_freqs", "indexer_proj", "mtp_proj", "compressor_proj"};

/// The tag names in bit order: categories, then role names that are not category names, then kinds.
/// A role named like a category (ffn_down) is matched through its category, as llama.cpp does.
const std::vector<std::string_view>& tag_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out(k_categories.begin(), k_categories.end());
    for (std::size_t r = 0; r < k_role_count; ++r) {
      const auto name = role_name(static_cast<TensorRole>(r));
      bool is_category = false;
      for (auto c : k_categories) is_category = is_category || c == name;
      if (!is_category) out.push_back(name);
    }
    out.insert(out.end(), k_kinds.begin(), k_kinds.end());
    return out;
  }();
  return names;
}

void set(TagMask& mask, std::string_view name) {
  if (const auto i = tag_index(name)) mask.set(*i);
}

}  // namespace

std::optional<std::size_t> tag_index(std::string_view name) {
  const auto& names = tag_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return std::nullopt;
}

// llama.cpp src/llama-quant.cpp llama_tensor_get_type @3cfa9c3f: substring tests on the GGUF
// name. attn_kv_b has no rule of its own (it only counts toward n_attention_wv, which no
// DeepSeek rule reads); every GGUF holding attn_kv_b was quantized under these rules, as the
// type counts of the V3 Q3_K_M file in tests/unit/test_quant.cpp confirm. ffn_gate_inp
// contains "ffn_gate" but is never quantized, so it never reaches the rules.
LlamaCategory llama_category(TensorRole role, bool tied_embeddings) {
  switch (role) {
    case TensorRole::output: return LlamaCategory::output;
    case TensorRole::token_embd: return tied_embeddings ? LlamaCategory::output : LlamaCategory::token_embd;
    case TensorRole::attn_v: return LlamaCategory::attn_v;
    case TensorRole::attn_k:
    case TensorRole::indexer_wk: return LlamaCategory::attn_k;  // "blk.N.indexer.attn_k.weight" holds "attn_k.weight"
    case TensorRole::attn_q: return LlamaCategory::attn_q;
    case TensorRole::attn_output: return LlamaCategory::attn_output;
    case TensorRole::ffn_up:
    case TensorRole::ffn_up_exps:
    case TensorRole::ffn_up_shexp: return LlamaCategory::ffn_up;
    case TensorRole::ffn_gate:
    case TensorRole::ffn_gate_exps:
    case TensorRole::ffn_gate_shexp:
    case TensorRole::ffn_gate_inp: return LlamaCategory::ffn_gate;
    case TensorRole::ffn_down:
    case TensorRole::ffn_down_exps:
    case TensorRole::ffn_down_shexp: return LlamaCategory::ffn_down;
    default: return LlamaCategory::other;
  }
}

namespace {

/// Tags that follow from the role alone (and, for the router, whether it is a vector).
TagMask role_tags(TensorRole role, bool is_vector) {
  TagMask mask;
  mask.set(static_cast<std::size_t>(llama_category(role, false)));
  set(mask, role_name(role));
  if (is_vector) set(mask, "vector");
  switch (group_of(role)) {
    case TensorGroup::embeddings: set(mask, "embedding"); break;
    case TensorGroup::output_head: set(mask, "output_head"); break;
    case TensorGroup::routed_experts: set(mask, "routed_expert"); set(mask, "linear"); break;
    case TensorGroup::shared_experts: set(mask, "shared_expert"); set(mask, "linear"); break;
    case TensorGroup::router: set(mask, is_vector ? "router_bias" : "router"); break;
    case TensorGroup::norms: set(mask, role == TensorRole::rope_freqs ? "rope_freqs" : "norm"); break;
    case TensorGroup::attention:
    case TensorGroup::ffn:
      // Projections checkpoints keep in the activation dtype: the V3.2 indexer's per-head
      // weighting (inference/model.py) and the MTP block's eh_proj (BF16 in the R1 checkpoint).
      // DeepSeek-V4's KV compressors keep their wkv/wgate in BF16 too.
      if (role == TensorRole::indexer_weights_proj) set(mask, "indexer_proj");
      else if (role == TensorRole::mtp_eh_proj) set(mask, "mtp_proj");
      else if (role == TensorRole::cmp_wkv || role == TensorRole::cmp_wgate || role == TensorRole::indexer_cmp_wkv ||
               role == TensorRole::indexer_cmp_wgate)
        set(mask, "compressor_proj");
      else set(mask, "linear");
      break;
  }
  return mask;
}

struct TagTables {
  std::array<TagMask, k_role_count> matrix{};
  std::array<TagMask, k_role_count> vector{};
  std::size_t mtp_bit = 0;
  std::size_t token_embd_bit = 0;
  std::size_t output_bit = 0;
};

/// Computed once: tag lookups by name are too slow for the per-tensor path.
const TagTables& tag_tables() {
  static const TagTables tables = [] {
    TagTables t;
    for (std::size_t r = 0; r < k_role_count; ++r) {
      t.matrix[r] = role_tags(static_cast<TensorRole>(r), false);
      t.vector[r] = role_tags(static_cast<TensorRole>(r), true);
    }
    t.mtp_bit = *tag_index("mtp");
    t.token_embd_bit = static_cast<std::size_t>(LlamaCategory::token_embd);
    t.output_bit = static_cast<std::size_t>(LlamaCategory::output);
    return t;
  }();
  return tables;
}

}  // namespace

TagMask tensor_tags(const Tensor& t, bool tied_embeddings, bool mtp) {
  const auto& tables = tag_tables();
  const auto r = static_cast<std::size_t>(t.role);
  TagMask mask = t.is_vector ? tables.vector[r] : tables.matrix[r];
  if (mtp) mask.set(tables.mtp_bit);
  if (tied_embeddings && t.role == TensorRole::token_embd) {
    mask.reset(tables.token_embd_bit);
    mask.set(tables.output_bit);
  }
  return mask;
}

}  // namespace dsplan::detail
