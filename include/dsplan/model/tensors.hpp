// Tensor inventory: every weight tensor of a model with its role, layer and shape; parameter counts.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// What a tensor does. Names follow llama.cpp's GGUF tensor names (blk.N.<name>.weight) so
/// quantization rules, which key on them, read the same in dsplan's data and in llama.cpp.
enum class TensorRole {
  token_embd, output, output_norm, rope_freqs,
  attn_norm, ffn_norm,
  attn_q, attn_k, attn_v, attn_q_bias, attn_k_bias, attn_v_bias, attn_q_norm, attn_k_norm, attn_output,
  // Multi-head latent attention (DeepSeek-V3).
  attn_q_a, attn_q_a_norm, attn_q_b, attn_kv_a_mqa, attn_kv_a_norm, attn_kv_b, attn_k_b, attn_v_b,
  // DeepSeek Sparse Attention lightning indexer (V3.2).
  indexer_wq_b, indexer_wk, indexer_k_norm, indexer_k_norm_bias, indexer_weights_proj,
  // DeepSeek-V4 attention: one shared KV head, grouped low-rank output, per-head sinks, the KV
  // compressor and the indexer's own compressor.
  attn_kv, attn_output_a, attn_output_b, attn_sinks,
  cmp_ape, cmp_wkv, cmp_wgate, cmp_norm,
  indexer_cmp_ape, indexer_cmp_wkv, indexer_cmp_wgate, indexer_cmp_norm,
  // DeepSeek-V4 manifold hyper-connections (per block: attention and FFN mixing; model: head).
  hc_attn_fn, hc_attn_base, hc_attn_scale, hc_ffn_fn, hc_ffn_base, hc_ffn_scale,
  hc_head_fn, hc_head_base, hc_head_scale,
  ffn_gate, ffn_up, ffn_down,
  ffn_gate_inp, ffn_exp_probs_b,
  ffn_gate_tid2eid,  ///< DeepSeek-V4 hash routing: token id -> experts (int64 buffer, not a parameter)
  ffn_gate_exps, ffn_up_exps, ffn_down_exps,
  ffn_gate_shexp, ffn_up_shexp, ffn_down_shexp,
  // Multi-token prediction module (DeepSeek-V3 checkpoints ship one extra block).
  mtp_embed, mtp_enorm, mtp_hnorm, mtp_eh_proj, mtp_head_norm, mtp_head,
  // DeepSeek-V4's MTP block: embedding and head shared with the main model.
  mtp_e_proj, mtp_h_proj, mtp_norm,
};

inline constexpr std::size_t k_role_count = static_cast<std::size_t>(TensorRole::mtp_norm) + 1;

/// Coarse grouping for breakdowns.
enum class TensorGroup { embeddings, attention, ffn, routed_experts, shared_experts, router, norms, output_head };

/// One tensor's shape. Shapes use GGUF order: `cols` (ne0) is the contiguous input dimension,
/// `rows` (ne1) the output dimension; `stack` (ne2) counts stacked matrices (routed experts,
/// per-head MLA blocks). Vectors have rows = stack = 1.
struct Tensor {
  TensorRole role{};
  std::uint64_t cols = 0;
  std::uint64_t rows = 1;
  std::uint64_t stack = 1;
  bool is_vector = false;  ///< 1-D (norm weights, biases)

  [[nodiscard]] std::uint64_t elements() const;
  [[nodiscard]] bool is_routed_expert() const;
  /// False for lookup tables stored with the weights that are not trained parameters.
  [[nodiscard]] bool is_parameter() const;
};

[[nodiscard]] std::string_view role_name(TensorRole role);
[[nodiscard]] TensorGroup group_of(TensorRole role);
[[nodiscard]] std::string_view group_name(TensorGroup group);
inline constexpr TensorGroup k_all_groups[] = {TensorGroup::embeddings,     TensorGroup::attention,
                                               TensorGroup::ffn,            TensorGroup::routed_experts,
                                               TensorGroup::shared_experts, TensorGroup::router,
                                               TensorGroup::norms,          TensorGroup::output_head};
inline constexpr std::size_t k_group_count = std::size(k_all_groups);

/// The tensors of one transformer block, in the order the checkpoint (and llama.cpp's loader,
/// which sorts by name within a block) lists same-category tensors.
struct BlockLayout {
  std::vector<Tensor> tensors;
};

/// Appends a matrix of `rows` x `cols` (x `stack`) or a vector of `n` values to a block.
void add_matrix(BlockLayout& b, TensorRole role, std::uint64_t cols, std::uint64_t rows, std::uint64_t stack = 1);
void add_vector(BlockLayout& b, TensorRole role, std::uint64_t n);

/// Every tensor of the Hugging Face checkpoint. Blocks repeat a few layouts (dense block, MoE
/// block, MTP block), so each block stores which layout it uses instead of copies.
struct TensorInventory {
  std::vector<Tensor> globals;           ///< model-level tensors: token_embd, output_norm, output
  std::vector<BlockLayout> layouts;      ///< distinct block layouts
  std::vector<std::uint32_t> blocks;     ///< per block: index into `layouts`; main blocks, then MTP blocks
  std::uint64_t main_blocks = 0;         ///< main-model blocks (the MTP blocks follow them)
  std::uint64_t experts_per_token = 0;   ///< routed experts active per token (0 = dense)

  [[nodiscard]] bool is_mtp_block(std::size_t block) const { return block >= main_blocks; }
  [[nodiscard]] const BlockLayout& layout_of(std::size_t block) const { return layouts[blocks[block]]; }
  /// How many main (mtp = false) or MTP blocks use each layout.
  [[nodiscard]] std::vector<std::uint64_t> blocks_per_layout(bool mtp) const;
  /// Tensors in the inventory (globals + every block's tensors).
  [[nodiscard]] std::uint64_t tensor_count() const;

  /// Parameters of the main model (the published "671B"), MTP module excluded.
  [[nodiscard]] ParamCount params_total() const;
  /// Parameters of the multi-token-prediction module (DeepSeek-V3: reported apart, "14B").
  [[nodiscard]] ParamCount params_mtp() const;
  /// Parameters a token passes through: routed experts counted at experts_per_token/routed.
  /// The token embedding is a row lookup, not a matmul; `with_embedding` says whether to count it.
  [[nodiscard]] ParamCount params_active(bool with_embedding) const;
  /// Main-model parameters per group, indexed like k_all_groups.
  [[nodiscard]] std::vector<ParamCount> params_by_group() const;
};

/// Builds the inventory from config.json values. Source of each shape: the Hugging Face
/// modeling code of the architecture (cited per builder in src/core/model/tensors.cpp).
[[nodiscard]] TensorInventory build_inventory(const ModelArch& arch);

}  // namespace dsplan
