// Attention kinds: everything that depends on how a model attends (its tensors, what its KV
// cache holds, the FLOPs per attended position, tensor-parallel rules, training activations,
// what `show` prints) decided in one table, one entry per kind. A new attention is one entry.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/base/names.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

struct BlockLayout;     // dsplan/tensors.hpp
struct KvCacheRequest;  // dsplan/kv_cache.hpp
enum class TensorRole;  // dsplan/tensors.hpp

inline constexpr EnumName<AttentionKind> k_attention_kinds[] = {
    {AttentionKind::gqa, "gqa", "grouped-query attention: K and V per KV head (Llama, Qwen)"},
    {AttentionKind::mla, "mla", "multi-head latent attention (DeepSeek-V2/V3/R1)"},
    {AttentionKind::mla_dsa, "mla_dsa", "MLA with the DeepSeek Sparse Attention lightning indexer (V3.2)"},
    {AttentionKind::csa_hca, "csa_hca",
     "DeepSeek-V4: sliding window plus compressed KV per layer (ratio 4 with the indexer: CSA; 128: HCA)"},
};

/// What a KV cache holds per token and layer.
enum class KvLayout {
  gqa,           ///< K and V per KV head: 2 x n_kv_heads x head_dim values per token and layer
  mla_latent,    ///< DeepSeek MLA cached compressed: kv_lora_rank + qk_rope_head_dim (+ V view)
  mla_expanded,  ///< MLA decompressed to per-head K (qk_nope + qk_rope) and V (v_head_dim)
  v4_compressed, ///< DeepSeek-V4: one head_dim entry per window token and per compressed group
};

inline constexpr EnumName<KvLayout> k_kv_layouts[] = {
    {KvLayout::gqa, "gqa", "K and V per KV head"},
    {KvLayout::mla_latent, "mla_latent", "MLA latent (kv_lora_rank + rope), V read from it"},
    {KvLayout::mla_expanded, "mla_expanded", "MLA decompressed to per-head K and V"},
    {KvLayout::v4_compressed, "v4_compressed", "V4 sliding window plus compressed entries (fp8_ds_mla)"},
};

[[nodiscard]] std::string_view kv_layout_name(KvLayout layout);

/// One cache a group of layers keeps. An entry covers `tokens_per_entry` tokens (a compressed
/// cache; 1 = one entry per token); a sliding window keeps at most `window` entries (0 = all).
/// Values are stored in the cache type unless `fixed_bytes_per_entry` is set (the indexer's keys
/// have their own dtype).
struct KvStream {
  std::string name;
  std::uint64_t layers = 0;
  std::uint64_t k_values = 0;  ///< values per entry stored for K (or the only values)
  std::uint64_t v_values = 0;  ///< ... for V (0 when V is read from K)
  Bytes fixed_bytes_per_entry;
  std::uint64_t tokens_per_entry = 1;
  std::uint64_t window = 0;
  /// Entries attention reads per decoded token (a top-k selection); 0 = every entry it holds.
  std::uint64_t read_limit = 0;
  /// Entries kept beyond the window (llama.cpp's sliding-window cache also holds one micro-batch).
  std::uint64_t window_slack = 0;
  /// llama.cpp's cells (0: none): the sequence's tokens padded to this, entries rounded up
  /// (at least one) and padded to it.
  std::uint64_t cell_padding = 0;
  /// One entry per sequence whatever its length (a compressor's running state).
  bool per_sequence = false;

  /// Entries kept for a sequence of `tokens` tokens.
  [[nodiscard]] std::uint64_t entries(std::uint64_t tokens) const;
  /// Entries a decode step at `context` tokens of context reads (an average context may be fractional).
  [[nodiscard]] double entries_read(double context) const;
};

/// The KV cache of one model in one engine: every cache as a stream, the main K/V first.
struct KvShape {
  KvLayout layout = KvLayout::gqa;
  std::vector<KvStream> streams;
};

/// Bytes per saved activation element in training (shared by the attention entries and training.cpp).
namespace activation {
inline constexpr std::uint64_t k_bf16 = 2;  ///< activations saved in bf16
inline constexpr std::uint64_t k_fp32 = 4;  ///< RMSNorm rstd, attention logsumexp, router scores, fp32 logits
/// RMSNorm (fused kernel): its input and one fp32 rstd per token.
constexpr std::uint64_t norm_bytes(std::uint64_t width) { return k_bf16 * width + k_fp32; }
}  // namespace activation

/// One config.json field an attention kind reads, for `show` and `inspect`.
using ConfigField = std::pair<std::string_view, std::uint64_t>;

struct AttentionTraits {
  AttentionKind kind;
  /// One cache shared by every head (MLA latent): each tensor-parallel rank holds it whole, the
  /// engine's MLA layout options apply, and paged engines use their MLA block size.
  bool latent_cache;
  /// The only cache type engines offer for this kind (empty: the engine's choice).
  std::string_view fixed_cache_type;
  /// Needs an engine that runs its indexer and caches the indexer's keys (EngineSpec::indexer_cache).
  bool needs_indexer_engine;
  /// Config fields the kind needs that are missing, as a message; empty when complete.
  std::string (*missing_fields)(const ModelArch&);
  /// Appends the attention tensors of block `layer` (checkpoint order).
  void (*add_tensors)(BlockLayout&, const ModelArch&, std::uint64_t layer);
  /// A key that differs between blocks whose attention tensors differ (0 when all blocks match).
  std::uint64_t (*layer_variant)(const ModelArch&, std::uint64_t layer);
  KvShape (*kv_shape)(const ModelArch&, const EngineSpec&, const KvCacheRequest&);
  /// Attention FLOPs per layer for one decoded token at `context` cached tokens, cache in `layout`;
  /// `read_limit` is what the engine's main cache stream reads per query (KvStream::read_limit,
  /// 0 = every cached position): V3.2's top-k where the engine selects, all where it masks.
  double (*decode_flops)(const ModelArch&, KvLayout, double context, std::uint64_t read_limit);
  /// Attention FLOPs per layer for a prefill of `tokens` tokens (`read_limit` as for decode).
  double (*prefill_flops)(const ModelArch&, double tokens, std::uint64_t read_limit);
  /// Why tensor parallelism of `tp` ranks cannot shard this attention; empty when it can.
  std::string (*tp_violation)(const ModelArch&, std::uint64_t tp);
  /// Share of the KV cache each of `tp` ranks holds.
  double (*kv_share)(const ModelArch&, std::uint64_t tp);
  /// Training: activation bytes saved for backward per token in a block's attention (without
  /// the attn_norm input and the projections' shared input, common to every kind).
  std::uint64_t (*activation_bytes)(const ModelArch&);
  /// Training: attention FLOPs (forward) per token per layer at sequence length `seq`.
  double (*training_flops)(const ModelArch&, std::uint64_t seq);
  /// Linear tensors PEFT "all-linear" adds beyond the attention and MLP projections.
  bool (*extra_lora_target)(TensorRole);
  /// The config.json fields of this attention (the ones `show` and `inspect` print).
  std::vector<ConfigField> (*config_fields)(const ModelArch&);
  /// One phrase for `show`: "MLA: q_lora 1536, kv_lora 512, ...".
  std::string (*summary)(const ModelArch&);
  /// GGUF keys (after the architecture's prefix) llama.cpp's loader needs for this kind, each a
  /// non-zero integer or a non-empty array; empty where the reader names them itself (MLA, DSA).
  std::span<const std::string_view> gguf_keys = {};
};

[[nodiscard]] const AttentionTraits& attention_traits(AttentionKind kind);
[[nodiscard]] const AttentionTraits& attention_of(const ModelArch& arch);
[[nodiscard]] std::string_view attention_name(AttentionKind kind);
/// Why `tp` tensor-parallel ranks cannot split this model's attention: the heads must divide
/// evenly, then the attention kind's own rule (AttentionTraits::tp_violation); empty when they can.
[[nodiscard]] std::string tensor_parallel_violation(const ModelArch& arch, std::uint64_t tp);

}  // namespace dsplan
