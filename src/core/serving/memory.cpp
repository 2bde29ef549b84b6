// Memory estimate: weights (per tensor), KV cache, runtime buffers and overhead, disk and RAM.
#include "dsplan/serving/memory.hpp"

#include <fmt/format.h>

#include "dsplan/base/text.hpp"

#include "dsplan/files/file_weights.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/serving/derived_weights.hpp"

namespace dsplan {

namespace {

void explain_weights(const ResolvedScenario& s, const QuantizedModel& q, Bytes loaded, Bytes derived, Derivation& d) {
  std::string types;
  for (const auto& t : q.types)
    types += fmt::format("{}{} {} tensors = {} B", types.empty() ? "" : "; ", t.type, t.tensors, t.bytes.count());
  const Bytes from_file(loaded.count() - derived.count());
  d.push_back(
      {"weights",
       fmt::format(
           "{} B in memory = sum over {} tensors of rows x blocks per row x bytes per block ({}){}", from_file.count(),
           q.tensor_count, types,
           q.mtp.count() > 0 && from_file < q.total ? fmt::format(", minus the MTP module ({} B)", q.mtp.count()) : ""),
       s.quant->source});
  if (derived.count() > 0)
    d.push_back({"weights derived at load",
                 fmt::format("{} B of MLA projections {} computes from the file's and keeps beside them: {} B of "
                             "weights in memory",
                             derived.count(), s.engine->id, loaded.count()),
                 s.engine->source("derived_weights")});
}

void explain_kv(const KvCacheSize& kv, const ResolvedScenario& s, Derivation& d) {
  if (!kv.per_token_exact()) {  // V4: each stream's entries per sequence, in its own cache type
    std::string sum;
    for (const auto& st : kv.streams)
      sum += fmt::format("{}{} {} B ({} layers x {} B x {} entries{})", sum.empty() ? "" : " + ", st.stream.name,
                         kv.stream_bytes(st).count(), st.stream.layers, st.bytes_per_entry.count(),
                         one_entry_per_token(st.stream) ? kv.cells : st.stream.entries(kv.cells_per_sequence),
                         one_entry_per_token(st.stream) ? " cells" : fmt::format(" per sequence x {}", kv.sequences));
    d.push_back({"KV cache",
                 fmt::format("{} B = {}, {} ({}); context {} rounded up to {}", kv.total.count(), sum, kv.cache_type,
                             kv_layout_name(kv.layout), s.context, kv.cells_per_sequence),
                 s.engine->compressed_kv_pages_source.empty() ? s.model->arch.traits.source
                                                              : s.engine->compressed_kv_pages_source});
    return;
  }
  // Caches beside the main K/V (V3.2's indexer keys, V4's compressed streams), by their entries.
  std::string others;
  for (std::size_t i = 1; i < kv.streams.size(); ++i) {
    const auto& st = kv.streams[i];
    const auto per = st.stream.tokens_per_entry > 1 ? fmt::format("{} tokens", st.stream.tokens_per_entry) : "token";
    others +=
        fmt::format(" + {} {} layers x {} B per {}", st.stream.name, st.stream.layers, st.bytes_per_entry.count(), per);
  }
  d.push_back(
      {"KV cache",
       fmt::format("{} B = {} cells x ({} layers x (K {} values = {} B + V {} values = {} B){}) in {} ({}); "
                   "cells = {} {} x context {} rounded up to {}",
                   kv.total.count(), kv.cells, kv.layers, kv.k_values, kv.k_bytes_per_token_layer.count(), kv.v_values,
                   kv.v_bytes_per_token_layer.count(), others, kv.cache_type, kv_layout_name(kv.layout), s.batch,
                   plural(s.batch, "sequence", "sequences"), s.context, kv.cells_per_sequence),
       s.engine->source("kv")});
}

}  // namespace

Bytes file_metadata_bytes(const ModelSpec& model, const QuantizedModel& q) {
  if (q.layout.container != "gguf") return q.tensor_info_bytes;
  // The GGUF key-value section, mostly the tokenizer: measured per model where a real file
  // was compared (models.json gguf_kv_bytes), else ~50 bytes per vocabulary entry.
  const std::uint64_t kv = model.gguf_kv_bytes ? *model.gguf_kv_bytes : model.arch.vocab_size * 50;
  return q.tensor_info_bytes + Bytes(kv);
}

ModelWeights estimate_weights(const Catalog& cat, const ResolvedScenario& s) {
  return estimate_weights(cat, s, build_inventory(s.model->arch));
}

ModelWeights estimate_weights(const Catalog& cat, const ResolvedScenario& s, const TensorInventory& inventory) {
  ModelWeights w;
  w.params_total = inventory.params_total();
  w.params_active = inventory.params_active(false);
  w.params_active_with_embedding = inventory.params_active(true);
  w.params_mtp = inventory.params_mtp();
  w.weights = quantize_model(cat, *s.model, *s.quant, s.layout, inventory);
  w.download = s.quant->file ? s.quant->file->file_bytes : w.weights.total + file_metadata_bytes(*s.model, w.weights);
  return w;
}

MemoryEstimate estimate_memory(const Catalog& cat, const ResolvedScenario& s, bool explain) {
  return estimate_memory(cat, s, estimate_weights(cat, s), explain);
}

MemoryEstimate estimate_memory(const Catalog& cat, const ResolvedScenario& s, const ModelWeights& w, bool explain) {
  MemoryEstimate m;
  const ModelArch& a = s.model->arch;
  m.params_total = w.params_total;
  m.params_active = w.params_active;
  m.params_active_with_embedding = w.params_active_with_embedding;
  m.params_mtp = w.params_mtp;
  m.weights = w.weights;
  // Engines load the MTP module only to draft with it (--mtp); its layer then caches like the others.
  const bool mtp = s.speculative_tokens > 0;
  m.weights.block_derived_bytes = derived_block_bytes(cat, s, m.weights);
  for (const Bytes b : m.weights.block_derived_bytes) m.weights_derived += b;
  m.weights_loaded = (mtp ? m.weights.total : m.weights.without_mtp()) + m.weights_derived;
  // llama.cpp allocates cache for every block of the file (n_layer_all), so the MTP block a
  // deepseek32 GGUF carries gets cache cells though its weights are skipped at load.
  ModelArch cached = a;
  cached.num_layers += mtp ? a.mtp_layers : skipped_file_blocks(a, s.layout);
  m.kv =
      estimate_kv_cache(cached, *s.engine, *s.kv_type, {s.context, s.batch, s.legacy_mla_gguf, s.mla_cache, s.ubatch});
  Derivation* d = explain ? &m.derivation : nullptr;
  m.runtime = estimate_runtime(a, *s.engine, m.kv, {s.ubatch, s.batch, s.flash_attention}, d);
  m.total = m.weights_loaded + m.kv.total + m.runtime.compute_buffer + m.runtime.overhead;
  m.download = w.download;
  m.cpu_ram = m.weights_loaded + m.kv.total + m.runtime.compute_buffer;
  if (explain) {
    explain_weights(s, m.weights, m.weights_loaded, m.weights_derived, m.derivation);
    explain_kv(m.kv, s, m.derivation);
    m.derivation.push_back({"total", fmt::format("{} B = weights {} + KV {} + compute {} + overhead {}",
                                                 m.total.count(), m.weights_loaded.count(), m.kv.total.count(),
                                                 m.runtime.compute_buffer.count(), m.runtime.overhead.count()),
                            "sum"});
  }
  return m;
}

}  // namespace dsplan
