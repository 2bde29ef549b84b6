// KV cache: bytes per token and in total, for GQA and MLA (latent or expanded), per engine and cache type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/model/attention.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// What an MLA cache stores per token and layer, when the user overrides the engine's choice.
enum class MlaCacheOverride {
  engine,         ///< the engine's layout (data/engines.json)
  latent,         ///< kv_lora_rank + qk_rope_head_dim, V read from K
  latent_plus_v,  ///< the latent plus a separate kv_lora_rank V (llama.cpp April 2025 - January 2026)
  expanded,       ///< per-head K and V
};

inline constexpr EnumName<MlaCacheOverride> k_mla_cache_overrides[] = {
    {MlaCacheOverride::engine, "engine", "the engine's layout"},
    {MlaCacheOverride::latent, "latent", "kv_lora_rank + rope, V read from it"},
    {MlaCacheOverride::latent_plus_v, "latent+v", "the latent plus a separate V (llama.cpp 2025 builds)"},
    {MlaCacheOverride::expanded, "expanded", "per-head K and V"}};

struct KvCacheRequest {
  std::uint64_t context = 4096;  ///< tokens per sequence
  std::uint64_t sequences = 1;   ///< sequences cached at once (batch / concurrent users)
  bool legacy_mla_gguf = false;  ///< GGUF with attn_kv_b whole: llama.cpp caches expanded K/V
  MlaCacheOverride mla = MlaCacheOverride::engine;
  std::uint64_t ubatch = 512;  ///< tokens per micro-batch (llama.cpp's window cache holds one more)
};

/// One cache stream with its bytes per entry in the chosen cache type.
struct KvStreamSize {
  KvStream stream;
  Bytes bytes_per_entry;
};

/// A stream that keeps one entry per token of every cell (no window, no compression).
[[nodiscard]] bool one_entry_per_token(const KvStream& s);

struct KvCacheSize {
  KvLayout layout = KvLayout::gqa;
  std::string cache_type;            ///< block type id of the cache (f16, q8_0, fp8_e4m3, ...)
  std::uint64_t layers = 0;
  std::uint64_t k_values = 0;        ///< main cache: values per token and layer for K
  std::uint64_t v_values = 0;        ///< ... for V (0 when V is read from the K cache)
  Bytes k_bytes_per_token_layer;
  Bytes v_bytes_per_token_layer;
  std::vector<KvStreamSize> streams;  ///< every cache (the main K/V first; the V3.2 indexer keys, ...)
  /// All layers and streams, per token. Exact when every stream keeps one entry per token;
  /// otherwise (sliding windows, compressed caches) the average over cells_per_sequence tokens.
  Bytes bytes_per_token;
  std::uint64_t cells_per_sequence = 0;  ///< context rounded up to the engine's block (page)
  std::uint64_t cells = 0;           ///< token slots allocated after the engine's padding/paging
  std::uint64_t sequences = 0;
  Bytes total;  ///< every stream's entries for every sequence (the sum of stream_bytes)

  /// Whether every stream keeps one entry per token (no window, no compression): then total is
  /// cells x bytes_per_token exactly.
  [[nodiscard]] bool per_token_exact() const;
  /// Bytes stream `s` holds: one entry per cell and layer, or a windowed or compressed stream's
  /// entries of each sequence.
  [[nodiscard]] Bytes stream_bytes(const KvStreamSize& s) const;

  /// Bytes a decode step at `context` cached tokens reads from one sequence's cache, all layers.
  [[nodiscard]] double bytes_read(double context) const;
};

/// KV cache the engine allocates for `request`. Which layout an engine uses for MLA, its cell
/// padding and paging are engine data (data/engines.json, docs/methodology.md).
/// Whether dsplan sizes this model's cache as `engine` keeps it: any engine for most attention
/// kinds; for a kind with a fixed cache layout (DeepSeek-V4's fp8_ds_mla), engines that keep that
/// layout or keep its caches in cells of their own types (llama.cpp).
[[nodiscard]] bool engine_caches(const EngineSpec& engine, const ModelArch& arch);

[[nodiscard]] KvCacheSize estimate_kv_cache(const ModelArch& arch, const EngineSpec& engine, const BlockType& type,
                                            const KvCacheRequest& request);

}  // namespace dsplan
