// KV cache sizing: what each layer caches (the attention table), cache-type block bytes, and
// the engine's allocation granularity.
#include "dsplan/model/kv_cache.hpp"

#include <algorithm>

#include "dsplan/base/error.hpp"

namespace dsplan {

namespace {

/// Bytes of one cached row of `values` in `type` (ggml_row_size: the row is cut into blocks).
Bytes row_bytes(const BlockType& type, std::uint64_t values, std::string_view what) {
  if (values == 0) return Bytes(0);
  if (type.is_row_block()) {
    if (values % type.weights_per_block != 0)
      throw InputError("KV cache type '" + type.id + "' (" + type.name + ") needs rows divisible by " +
                       std::to_string(type.weights_per_block) + ", but this model's " + std::string(what) + " has " +
                       std::to_string(values) + " values per token; choose another %kv_type%");
    return Bytes(values / type.weights_per_block * type.bytes_per_block);
  }
  if (type.scale_rows != 0) throw InputError("'" + type.id + "' is a weight format, not a KV cache type");
  return Bytes(ceil_div(values * type.element_bits, 8));
}

}  // namespace

bool engine_caches(const EngineSpec& engine, const ModelArch& arch) {
  const std::string_view fixed = attention_of(arch).fixed_cache_type;
  return fixed.empty() || engine.compressed_kv_cell_padding > 0 ||
         std::find(engine.kv_cache_types.begin(), engine.kv_cache_types.end(), fixed) != engine.kv_cache_types.end();
}

bool one_entry_per_token(const KvStream& s) {
  return s.tokens_per_entry <= 1 && s.window == 0 && s.cell_padding == 0 && !s.per_sequence;
}

double KvCacheSize::bytes_read(double context) const {
  double n = 0;
  for (const auto& s : streams)
    n += static_cast<double>(s.bytes_per_entry.count()) * static_cast<double>(s.stream.layers) *
         s.stream.entries_read(context);
  return n;
}

bool KvCacheSize::per_token_exact() const {
  return std::all_of(streams.begin(), streams.end(),
                     [](const KvStreamSize& s) { return one_entry_per_token(s.stream); });
}

Bytes KvCacheSize::stream_bytes(const KvStreamSize& s) const {
  if (one_entry_per_token(s.stream)) return s.bytes_per_entry * checked_mul(s.stream.layers, cells, "KV cache entries");
  return s.bytes_per_entry *
         checked_mul(checked_mul(s.stream.layers, s.stream.entries(cells_per_sequence), "KV cache entries"), sequences,
                     "KV cache entries");
}

KvCacheSize estimate_kv_cache(const ModelArch& a, const EngineSpec& engine, const BlockType& type,
                              const KvCacheRequest& req) {
  if (req.context == 0 || req.sequences == 0) throw InputError("context and sequences must be at least 1");
  const AttentionTraits& attention = attention_of(a);
  const KvShape shape = attention.kv_shape(a, engine, req);
  if (shape.streams.empty()) throw InternalError("an attention kind without a KV cache");
  KvCacheSize kv;
  kv.cache_type = type.id;
  kv.layers = a.num_layers;
  kv.layout = shape.layout;
  kv.k_values = shape.streams.front().k_values;
  kv.v_values = shape.streams.front().v_values;
  const bool fixed = !attention.fixed_cache_type.empty() && type.id == attention.fixed_cache_type;
  kv.k_bytes_per_token_layer = fixed ? shape.streams.front().fixed_bytes_per_entry : row_bytes(type, kv.k_values, "K");
  kv.v_bytes_per_token_layer = fixed ? Bytes(0) : row_bytes(type, kv.v_values, "V");
  for (const auto& s : shape.streams) {
    const Bytes entry = s.fixed_bytes_per_entry.count() > 0
                            ? s.fixed_bytes_per_entry
                            : row_bytes(type, s.k_values, "K") + row_bytes(type, s.v_values, "V");
    kv.streams.push_back({s, entry});
  }
  // Paged engines give each sequence whole blocks; llama.cpp pads the total cell count.
  const std::uint64_t block = attention.latent_cache ? engine.kv_block_tokens_mla : engine.kv_block_tokens;
  kv.cells_per_sequence = round_up(req.context, block, "KV cache cells");
  const std::uint64_t cells = checked_mul(kv.cells_per_sequence, req.sequences, "KV cache cells");
  kv.cells = round_up(cells, engine.kv_cell_padding, "KV cache cells");
  kv.sequences = req.sequences;
  // Streams with one entry per token fill every cell; windowed and compressed streams hold
  // their entries for each sequence.
  Bytes per_token;
  Bytes per_sequence_other;
  for (const auto& s : kv.streams) {
    kv.total += kv.stream_bytes(s);
    if (one_entry_per_token(s.stream)) per_token += s.bytes_per_entry * s.stream.layers;
    else per_sequence_other += s.bytes_per_entry * checked_mul(s.stream.layers, s.stream.entries(kv.cells_per_sequence),
                                                               "KV cache entries");
  }
  kv.bytes_per_token = per_token + Bytes(ceil_div(per_sequence_other.count(), kv.cells_per_sequence));
  return kv;
}

}  // namespace dsplan
