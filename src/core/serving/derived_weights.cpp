// ik_llama.cpp's load-time MLA tensors (src/llama.cpp llm_prepare_mla and llm_compute_wkv_b
// @8337e4cd, 2026-08-15): each stored in the buffer of the projection it came from.
#include "dsplan/serving/derived_weights.hpp"

#include "dsplan/base/error.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan {

namespace {

bool is_quantized(const BlockType& t) { return !t.is_row_block() || t.weights_per_block > 1; }

const BlockType& block_type(const Catalog& cat, const std::string& id) {
  const BlockType* t = cat.find_block_type(id);
  if (!t) throw InputError("cannot size the MLA tensors ik_llama.cpp derives from a '" + id + "' projection");
  return *t;
}

/// From attn_kv_b whole: wk_b [qk_nope, kv_lora, heads] in Q8_0 when attn_kv_b is quantized (else
/// its type), and wv_b [kv_lora, v_head, heads], a copy of attn_kv_b's V rows in its type.
Bytes split_from_whole(const Catalog& cat, const ModelArch& a, const BlockType& kv_b) {
  const BlockType& k_type = is_quantized(kv_b) ? cat.require_block_type("q8_0") : kv_b;
  return stored_bytes(k_type, {TensorRole::attn_k_b, a.qk_nope_head_dim, a.kv_lora_rank, a.num_heads, false}) +
         stored_bytes(kv_b, {TensorRole::attn_v_b, a.kv_lora_rank, a.v_head_dim, a.num_heads, false});
}

/// From attn_k_b and attn_v_b: attn_kv_b [kv_lora, heads x (qk_nope + v_head)], in BF16 or F16
/// when both are, else Q8_0.
Bytes whole_from_split(const Catalog& cat, const ModelArch& a, const std::string& k_b, const std::string& v_b) {
  const bool same_float = k_b == v_b && (k_b == "bf16" || k_b == "f16");
  const BlockType& type = cat.require_block_type(same_float ? k_b : "q8_0");
  return stored_bytes(
      type, {TensorRole::attn_kv_b, a.kv_lora_rank, a.num_heads * (a.qk_nope_head_dim + a.v_head_dim), 1, false});
}

/// Each main block's MLA projection types: a model file's, or those of the format's recipe (listed
/// only here, so that plans on other engines do not pay for the list).
std::vector<MlaProjectionTypes> projection_types(const Catalog& cat, const ResolvedScenario& s,
                                                 const QuantizedModel& q) {
  if (!q.block_mla_types.empty() || s.quant->file) return q.block_mla_types;
  std::vector<MlaProjectionTypes> out(q.block_bytes.size());
  for (const StoredTensor& t : quantize_model(cat, *s.model, *s.quant, s.layout, true).tensors) {
    if (t.block < 0 || t.mtp) continue;
    auto& types = out[static_cast<std::size_t>(t.block)];
    if (t.tensor.role == TensorRole::attn_kv_b) types.kv_b = t.type;
    if (t.tensor.role == TensorRole::attn_k_b) types.k_b = t.type;
    if (t.tensor.role == TensorRole::attn_v_b) types.v_b = t.type;
  }
  return out;
}

}  // namespace

std::vector<Bytes> derived_block_bytes(const Catalog& cat, const ResolvedScenario& s, const QuantizedModel& q) {
  if (!s.engine->derives_mla_projections || s.model->arch.kv_lora_rank == 0 || s.layout.container != "gguf") return {};
  // -mla 0 (the expanded cache) derives nothing; -mla 1 (latent + V) only the split projections.
  if (s.mla_cache == MlaCacheOverride::expanded) return {};
  const bool rebuilds_whole = s.mla_cache != MlaCacheOverride::latent_plus_v;
  const ModelArch& a = s.model->arch;
  const std::vector<MlaProjectionTypes> types = projection_types(cat, s, q);
  std::vector<Bytes> out(types.size(), Bytes(0));
  for (std::size_t b = 0; b < out.size(); ++b) {
    const MlaProjectionTypes& t = types[b];
    if (!t.kv_b.empty() && t.k_b.empty())
      out[b] = split_from_whole(cat, a, block_type(cat, t.kv_b));
    else if (t.kv_b.empty() && !t.k_b.empty() && !t.v_b.empty() && rebuilds_whole)
      out[b] = whole_from_split(cat, a, t.k_b, t.v_b);
  }
  return out;
}

}  // namespace dsplan
