// The compiled catalog: every catalog struct's fields, listed once (fields() below) and walked by
// a writer and a reader, so the two cannot disagree on an order. Integers and doubles are 8 bytes
// little-endian, strings and containers a count then their elements; the bytes are this build's
// own, read back by the same binary, so the format needs no versioning beyond a magic word.
#include "core/catalog/compiled_catalog.hpp"

#include <bit>
#include <concepts>
#include <cstring>
#include <type_traits>

#include "core/catalog/embedded_catalog.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan::detail {

namespace {

constexpr std::string_view k_magic = "dsplan-catalog-1";

template <typename S, typename T>
concept entry_of = std::same_as<std::remove_const_t<S>, T>;

// ---- the fields of each struct, in one order for writing and reading ------------------------

template <typename F, entry_of<ArchGpuSupport> S>
void fields(F&& f, S& s) {
  f(s.engines, s.gpu_architectures, s.source);
}
template <typename F, entry_of<ArchTraits> S>
void fields(F&& f, S& s) {
  f(s.attention, s.qkv_bias, s.qk_norm, s.mtp_shares_embedding, s.speed_family, s.llama_cpp_arch, s.gguf_mtp_blocks,
    s.gguf_mtp_beyond_block_count, s.gguf_files_only, s.graph_block_factor, s.graph_block_factor_source, s.gguf_since,
    s.gguf_since_source, s.mtp_acceptance, s.mtp_acceptance_source, s.runs_on, s.formats, s.formats_source, s.source);
}
template <typename F, entry_of<ModelArch> S>
void fields(F&& f, S& s) {
  f(s.model_type, s.traits, s.hidden_size, s.num_layers, s.num_heads, s.num_kv_heads, s.head_dim, s.intermediate_size,
    s.vocab_size, s.tie_word_embeddings, s.max_context, s.rope_type, s.q_lora_rank, s.kv_lora_rank, s.qk_nope_head_dim,
    s.qk_rope_head_dim, s.v_head_dim, s.moe_intermediate_size, s.n_routed_experts, s.n_shared_experts,
    s.experts_per_token, s.first_k_dense_replace, s.moe_layer_freq, s.mtp_layers, s.router_bias, s.index_n_heads,
    s.index_head_dim, s.index_topk, s.sliding_window, s.compress_ratios, s.o_groups, s.o_lora_rank, s.hc_mult,
    s.num_hash_layers);
}
template <typename F, entry_of<Benchmarks> S>
void fields(F&& f, S& s) {
  f(s.scores, s.source, s.context_tokens, s.context_source);
}
template <typename F, entry_of<ModelSpec> S>
void fields(F&& f, S& s) {
  f(s.id, s.name, s.aliases, s.family, s.reasoning, s.hf_repo, s.model_file, s.gguf_repo, s.gguf_repo_source,
    s.gguf_repo_legacy_mla, s.base_model, s.license, s.release_date, s.native_quant, s.arch, s.config_source,
    s.published_params, s.published_params_source, s.checkpoint_bytes, s.checkpoint_bytes_source, s.gguf_kv_bytes,
    s.gguf_kv_bytes_source, s.llama_cpp_type, s.llama_cpp_type_source, s.benchmarks, s.notes, s.origin);
}
template <typename F, entry_of<BlockType> S>
void fields(F&& f, S& s) {
  f(s.id, s.name, s.weights_per_block, s.bytes_per_block, s.bytes_per_row, s.element_bits, s.scale_rows, s.scale_cols,
    s.scale_bits, s.second_level_tiles, s.second_level_bits, s.per_input_column_bits, s.per_tensor_bytes, s.engines,
    s.attention, s.source);
}
template <typename F, entry_of<RuleCondition> S>
void fields(F&& f, S& s) {
  f(s.layer, s.index_lt, s.use_ordinal, s.gqa_min, s.experts_min, s.experts_eq, s.model_type, s.imatrix,
    s.default_block_fits, s.gqa_or_experts);
}
template <typename F, entry_of<QuantRule> S>
void fields(F&& f, S& s) {
  f(s.match, s.when, s.type, s.mask, s.type_index);
}
template <typename F, entry_of<QuantQuality> S>
void fields(F&& f, S& s) {
  f(s.kld, s.basis, s.source);
}
template <typename F, entry_of<QuantFormat> S>
void fields(F&& f, S& s) {
  // `file` (a model file's own weights) is never set on a catalog entry.
  f(s.origin, s.id, s.default_type_index, s.name, s.aliases, s.containers, s.default_type, s.imatrix,
    s.imatrix_sensitive, s.rules, s.engines, s.compute, s.description, s.source, s.quality, s.quality_unknown, s.models,
    s.gguf_repos, s.gpu_architectures, s.gpu_architectures_source, s.legacy_mla_gguf, s.keeps_attn_kv_b, s.recipe_note);
}
template <typename F, entry_of<UnmodelledFile> S>
void fields(F&& f, S& s) {
  f(s.origin, s.id, s.model, s.file, s.hf, s.published_size, s.source);
}
template <typename F, entry_of<ContainerRules> S>
void fields(F&& f, S& s) {
  f(s.origin, s.id, s.unquantized, s.converter_types, s.converter_outtypes, s.fallback, s.final_fallback,
    s.fallback_index, s.final_fallback_index, s.source);
}
template <typename F, entry_of<PerformanceClass> S>
void fields(F&& f, S& s) {
  f(s.bandwidth_efficiency, s.layer_seconds, s.moe_layer_seconds, s.prefill_mfu, s.moe_mfu_factor, s.decode_batch_mfu,
    s.thread_bytes_per_s, s.socket_scaling, s.type_bandwidth_factor, s.type_mfu_factor, s.architecture_mfu_factor,
    s.architecture_bandwidth_factor);
}
template <typename F, entry_of<BuildEra> S>
void fields(F&& f, S& s) {
  f(s.before, s.decode_factor, s.prefill_factor, s.prefill_f16_factor, s.moe_layer_seconds, s.moe_families, s.source);
}
template <typename F, entry_of<EnginePerformance> S>
void fields(F&& f, S& s) {
  f(s.classes, s.tp_layer_seconds, s.internode_layer_seconds, s.prefill_layer_seconds, s.hop_seconds,
    s.expert_prefill_over_pcie, s.host_link_efficiency, s.pageable_host_link_factor, s.fp32_accumulate, s.build_eras,
    s.sources);
}
template <typename F, entry_of<EngineSpec> S>
void fields(F&& f, S& s) {
  f(s.origin, s.id, s.name, s.aliases, s.containers, s.default_quant_gguf, s.registry_quant_default, s.experts_in_ram,
    s.mla_cache, s.mla_cache_legacy_gguf, s.mla_v_is_view_of_k, s.indexer_cache, s.indexer_keys_in_cache_type,
    s.indexer_reads_top_k, s.kv_cache_types, s.default_kv_type, s.kv_cell_padding, s.kv_block_tokens,
    s.kv_block_tokens_mla, s.compressed_kv_page_tokens, s.window_kv_page_tokens, s.kv_page_align_bytes,
    s.compressed_kv_pages_source, s.compressed_kv_cell_padding, s.window_kv_adds_ubatch, s.compressor_state_value_bytes,
    s.compressed_kv_cells_source, s.default_ubatch, s.sampler_sequences);
  f(s.flash_attention, s.quantized_v_needs_flash_attention, s.gpu_memory_utilization, s.mtp_draft,
    s.dp_attention_replicated, s.dp_attention_expert_parallel, s.runtime_overhead_bytes, s.runtime_overhead_tp_bytes,
    s.compute_buffer_model, s.parallelism, s.output_layer_first_since, s.speed_class, s.recommend,
    s.derives_mla_projections, s.gpu_backends, s.expert_offload_min_batch, s.expert_offload_per_expert,
    s.op_offload_off_server_flag, s.op_offload_off_bench_flag, s.cpu_prefill_factor, s.pinned_host_weights,
    s.performance_of, s.performance, s.sources, s.notes);
}
template <typename F, entry_of<GpuSpec> S>
void fields(F&& f, S& s) {
  f(s.id, s.name, s.aliases, s.vendor, s.device_class, s.architecture, s.memory, s.memory_marketing,
    s.bandwidth_bytes_per_s, s.bf16_tflops, s.fp16_tflops, s.fp16_acc16_tflops, s.fp8_tflops, s.int8_tops,
    s.fp32_tflops, s.tdp_watts, s.pcie_gen, s.pcie_lanes, s.nvlink_bytes_per_s, s.launch_price_usd, s.launch_price_date,
    s.usable_memory_fraction, s.whole_system, s.gpus_per_node, s.sources, s.notes, s.origin);
}
template <typename F, entry_of<CpuSpec> S>
void fields(F&& f, S& s) {
  f(s.id, s.name, s.aliases, s.vendor, s.cores, s.memory_channels, s.memory_type, s.bandwidth_bytes_per_s,
    s.max_memory_bytes, s.fp32_tflops, s.bf16_tflops, s.tdp_watts, s.sources, s.notes, s.origin);
}
template <typename F, entry_of<CloudPrice> S>
void fields(F&& f, S& s) {
  f(s.origin, s.where, s.gpu, s.provider, s.offering, s.usd_per_gpu_hour, s.date, s.source, s.max_gpus_per_instance,
    s.multi_node);
}
template <typename F, entry_of<PurchasePrice> S>
void fields(F&& f, S& s) {
  f(s.origin, s.where, s.gpu, s.usd, s.kind, s.date, s.source);
}
template <typename F, entry_of<HostPrice> S>
void fields(F&& f, S& s) {
  f(s.origin, s.where, s.key, s.usd, s.what, s.date, s.source);
}
template <typename F, entry_of<HostPrices> S>
void fields(F&& f, S& s) {
  f(s.cpus, s.ram_per_gib, s.platforms, s.storage_per_tb);
}
template <typename F, entry_of<CostDefaults> S>
void fields(F&& f, S& s) {
  f(s.electricity_usd_per_kwh, s.pue_datacenter, s.pue_desk, s.amortization_years, s.maintenance_fraction_per_year,
    s.gpu_power_fraction, s.host_power_fraction, s.host_cpu_desktop, s.host_cpu_large_memory, s.desktop_max_ram_gib,
    s.host_cpu_server, s.host_cpus_per_server, s.sources);
}
template <typename F, entry_of<TaskMetric> S>
void fields(F&& f, S& s) {
  f(s.weight, s.keys, s.divide_by);
}
template <typename F, entry_of<TaskSpec> S>
void fields(F&& f, S& s) {
  f(s.origin, s.id, s.aliases, s.name, s.metrics, s.blend_of, s.short_answers, s.why);
}
template <typename F, entry_of<SpeedBand> S>
void fields(F&& f, S& s) {
  f(s.id, s.speed_class, s.metric, s.measurements, s.low, s.high, s.median, s.sources);
}
template <typename F, entry_of<Catalog> S>
void fields(F&& f, S& s) {
  f(s.models, s.block_types, s.quants, s.unmodelled_files, s.containers, s.engines, s.gpus, s.cpus, s.cloud_prices,
    s.purchase_prices, s.host_prices, s.cost_defaults, s.architectures, s.tasks, s.tasks_source, s.speed_bands,
    s.internode_bytes_per_s, s.internode_source, s.has_hardware_data);
}

// ---- value kinds --------------------------------------------------------------------------

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};
template <typename T>
struct is_map : std::false_type {};
template <typename K, typename V>
struct is_map<std::map<K, V>> : std::true_type {};
template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};

/// A number that fits in 8 bytes: integers, enums, bools and doubles (as their bits).
template <typename T>
concept scalar = std::is_arithmetic_v<T> || std::is_enum_v<T>;

template <scalar T>
std::uint64_t to_word(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::bit_cast<std::uint64_t>(static_cast<double>(v));
  else if constexpr (std::is_enum_v<T>)
    return static_cast<std::uint64_t>(v);
  else
    return static_cast<std::uint64_t>(v);
}
template <scalar T>
T from_word(std::uint64_t w) {
  if constexpr (std::is_floating_point_v<T>)
    return static_cast<T>(std::bit_cast<double>(w));
  else if constexpr (std::is_same_v<T, bool>)
    return w != 0;
  else
    return static_cast<T>(w);
}

class Writer {
 public:
  template <typename... T>
  void operator()(const T&... values) {
    (put(values), ...);
  }
  std::string take() { return std::move(m_out); }

 private:
  void word(std::uint64_t w) {
    char bytes[8];
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((w >> (8 * i)) & 0xFF);
    m_out.append(bytes, 8);
  }

  template <typename T>
  void put(const T& v) {
    if constexpr (scalar<T>) {
      word(to_word(v));
    } else if constexpr (std::is_same_v<T, std::string>) {
      word(v.size());
      m_out.append(v);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      word(v.count());
    } else if constexpr (std::is_same_v<T, TagMask>) {
      word((v >> 64).to_ullong());
      word((v & TagMask(~0ULL)).to_ullong());
    } else if constexpr (is_optional<T>::value) {
      word(v.has_value());
      if (v) put(*v);
    } else if constexpr (is_vector<T>::value) {
      word(v.size());
      for (const auto& e : v) put(e);
    } else if constexpr (is_map<T>::value) {
      word(v.size());
      for (const auto& [key, value] : v) {
        put(key);
        put(value);
      }
    } else {
      fields(*this, v);
    }
  }

  std::string m_out;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}

  template <typename... T>
  void operator()(T&... values) {
    (get(values), ...);
  }
  [[nodiscard]] bool at_end() const { return m_pos == m_bytes.size(); }

 private:
  std::uint64_t word() {
    need(8);
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < 8; ++i)
      w |= static_cast<std::uint64_t>(static_cast<unsigned char>(m_bytes[m_pos + i])) << (8 * i);
    m_pos += 8;
    return w;
  }
  /// A count of elements, each at least one byte: a corrupt count fails here, not in an allocation.
  std::size_t count() {
    const std::uint64_t n = word();
    need(n);
    return static_cast<std::size_t>(n);
  }
  void need(std::uint64_t n) const {
    if (n > m_bytes.size() - m_pos) throw InternalError("the compiled catalog is truncated");
  }

  template <typename T>
  void get(T& v) {
    if constexpr (scalar<T>) {
      v = from_word<T>(word());
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::size_t n = count();
      v.assign(m_bytes.data() + m_pos, n);
      m_pos += n;
    } else if constexpr (std::is_same_v<T, Bytes>) {
      v = Bytes(word());
    } else if constexpr (std::is_same_v<T, TagMask>) {
      const std::uint64_t high = word(), low = word();
      v = (TagMask(high) << 64) | TagMask(low);
    } else if constexpr (is_optional<T>::value) {
      v.reset();
      if (word() != 0) get(v.emplace());
    } else if constexpr (is_vector<T>::value) {
      v.resize(count());
      for (auto& e : v) get(e);
    } else if constexpr (is_map<T>::value) {
      v.clear();
      for (std::size_t n = count(); n > 0; --n) {
        typename T::key_type key{};
        get(key);
        get(v[key]);
      }
    } else {
      fields(*this, v);
    }
  }

  std::string_view m_bytes;
  std::size_t m_pos = 0;
};

}  // namespace

std::string write_compiled_catalog(const Catalog& catalog) {
  for (const auto& q : catalog.quants)
    if (q.file) throw InternalError("quant '" + q.id + "' holds a model file's weights, which are not compiled");
  Writer w;
  w(std::string(k_magic), catalog);
  return w.take();
}

Catalog read_compiled_catalog(std::string_view bytes) {
  Reader r(bytes);
  std::string magic;
  Catalog catalog;
  r(magic);
  if (magic != k_magic) throw InternalError("the compiled catalog does not start with '" + std::string(k_magic) + "'");
  r(catalog);
  if (!r.at_end()) throw InternalError("the compiled catalog has bytes after its end");
  return catalog;
}

std::string_view compiled_catalog_name(CatalogScope scope) {
  return scope == CatalogScope::model_data ? "model_data.bin" : "full.bin";
}

std::string_view compiled_catalog_bytes(CatalogScope scope) {
  for (const auto& [name, bytes] : embedded_compiled_catalogs())
    if (name == compiled_catalog_name(scope)) return bytes;
  return {};
}

}  // namespace dsplan::detail
