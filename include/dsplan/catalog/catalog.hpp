// Catalog: ModelSpec, BlockType, QuantFormat, GpuSpec, EngineSpec; lookup by id or alias, with suggestions.
#pragma once

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsplan/base/names.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// How an engine spreads a model over GPUs.
enum class Parallelism {
  layer_split,      ///< whole layers per device, devices in turn (llama.cpp, Transformers)
  tensor_parallel,  ///< every layer sharded over the ranks, plus pipeline stages (vLLM, SGLang)
};

/// The dtype a format's matmuls run in (sets which peak FLOPS apply).
enum class ComputeDtype {
  activation,  ///< dequantized to the activations' 16-bit type
  fp8,         ///< FP8 GEMMs on GPUs with FP8 tensor cores (w8a8)
};

/// When recommend considers an engine it is not told to use (--engine names any engine back in).
enum class RecommendScope {
  always,  ///< local and rented hardware
  local,   ///< a desktop wrapper: not for rented GPUs (Ollama)
  named,   ///< only when named: a reference implementation (Transformers), or a fork whose speeds are another engine's
           ///< (ik_llama.cpp)
};

inline constexpr EnumName<RecommendScope> k_recommend_scopes[] = {
    {RecommendScope::always, "always", "local and rented hardware"},
    {RecommendScope::local, "local", "local hardware only"},
    {RecommendScope::named, "named", "only when --engine names it"}};

/// When an engine keeps the weights in system RAM in pinned (page-locked) memory, by catalog name
/// (engines.json pinned_host_weights).
enum class PinnedHostWeights { never, no_mmap, no_mmap_or_overrides };
inline constexpr EnumName<PinnedHostWeights> k_pinned_host_weights[] = {
    {PinnedHostWeights::never, "never", "always pageable"},
    {PinnedHostWeights::no_mmap, "no_mmap", "pinned with --no-mmap"},
    {PinnedHostWeights::no_mmap_or_overrides, "no_mmap_or_overrides",
     "pinned with --no-mmap or with routed experts kept in RAM"}};

/// GPU backends an engine can name as fully supported (engines.json gpu_backends), as spelled in messages.
inline constexpr std::pair<std::string_view, std::string_view> k_gpu_backends[] = {
    {"cuda", "CUDA"}, {"rocm", "ROCm"}, {"metal", "Metal"}};

inline constexpr EnumName<Parallelism> k_parallelisms[] = {
    {Parallelism::layer_split, "layer_split", "whole layers per device, devices in turn"},
    {Parallelism::tensor_parallel, "tensor_parallel", "layers sharded over ranks, plus pipeline stages"}};
inline constexpr EnumName<ComputeDtype> k_compute_dtypes[] = {
    {ComputeDtype::activation, "activation", "dequantized to the 16-bit activation type"},
    {ComputeDtype::fp8, "fp8", "FP8 GEMMs where the GPU has FP8 tensor cores"}};

/// How a model attends; every consequence is one entry in dsplan/attention.hpp.
enum class AttentionKind {
  gqa,      ///< Llama/Qwen: grouped-query attention.
  mla,      ///< DeepSeek-V2/V3/R1: multi-head latent attention.
  mla_dsa,  ///< DeepSeek-V3.2: MLA plus the DeepSeek Sparse Attention lightning indexer.
  csa_hca,  ///< DeepSeek-V4: one shared KV head; a sliding window in every layer plus, per layer,
            ///< a compressed cache (ratio 4 with the indexer's top-k: CSA; ratio 128: HCA).
};

/// Engines that run an architecture on some GPU architectures only (DeepSeek-V4's kernels), as
/// the engines' recipes and support matrices state it.
struct ArchGpuSupport {
  std::vector<std::string> engines;
  std::vector<std::string> gpu_architectures;  ///< prefixes of GpuSpec::architecture
  std::string source;
  bool operator==(const ArchGpuSupport&) const = default;
};

/// Architecture traits of a Hugging Face `model_type` that config.json does not spell out
/// (e.g. Qwen2 always has q/k/v biases). Catalog data: `architectures` in models.json.
struct ArchTraits {
  AttentionKind attention = AttentionKind::gqa;
  bool qkv_bias = false;       ///< q_proj, k_proj, v_proj carry a bias vector.
  bool qk_norm = false;        ///< per-head RMSNorm on q and k (Qwen3).
  /// The MTP block reuses the main model's embedding and head and projects with e_proj and
  /// h_proj (DeepSeek-V4); otherwise it has its own embedding, eh_proj and head (DeepSeek-V3).
  bool mtp_shares_embedding = false;
  /// Which speed band class measurements of this architecture fall in (data/speed_bands.json):
  /// "dense", "moe-671b" (DeepSeek-V2/V3 stack), "moe-v4"; a class without measurements is
  /// reported as uncalibrated.
  std::string speed_family = "dense";
  std::string llama_cpp_arch;  ///< llama.cpp's architecture name (general.architecture in GGUF).
  /// convert_hf_to_gguf.py writes the MTP blocks too (DeepseekV32Model: skip_mtp = False); llama.cpp
  /// skips them at load. Otherwise GGUF files end at num_hidden_layers.
  bool gguf_mtp_blocks = false;
  /// GGUF block_count counts the main blocks only; nextn_predict_layers MTP blocks follow them
  /// (llama.cpp's deepseek4). Otherwise block_count includes them.
  bool gguf_mtp_beyond_block_count = false;
  /// Why dsplan sizes this architecture's GGUF files only from the files themselves
  /// (--model-file), not from its quant presets; empty when the presets size them.
  std::string gguf_files_only;
  /// llama.cpp's ggml graph nodes per block relative to the blocks its per-block times were
  /// fitted on (DeepSeek-V3's MoE blocks): layer-split engines launch that many more kernels per
  /// block (DeepSeek-V4's hyper-connections, compressors and indexer); 1 elsewhere.
  double graph_block_factor = 1.0;
  std::string graph_block_factor_source;
  /// The first llama.cpp build (YYYY-MM-DD) that loads its GGUF files; empty: any in the catalog.
  std::string gguf_since;
  std::string gguf_since_source;
  /// The catalog's GGUF quant presets size this architecture.
  [[nodiscard]] bool gguf_presets() const { return !llama_cpp_arch.empty() && gguf_files_only.empty(); }
  /// MTP drafting (--mtp): the share of steps whose draft i is accepted once drafts 1..i-1 were,
  /// per position as published; the last value stands for later positions. Empty: no published
  /// rate, so dsplan does not time drafting with this architecture's MTP module.
  std::vector<double> mtp_acceptance;
  std::string mtp_acceptance_source;
  /// Where GPU engines run it; empty: wherever the engine and format run. A GPU engine not
  /// listed in any entry does not run it on any GPU.
  std::vector<ArchGpuSupport> runs_on;
  /// The quant formats its checkpoints are published and loaded in; empty: any that holds it.
  std::vector<std::string> formats;
  std::string formats_source;
  std::string source;
  bool operator==(const ArchTraits&) const = default;
};

/// Exact architecture of one checkpoint, from its config.json.
struct ModelArch {
  std::string model_type;  ///< config.json model_type (qwen2, llama, qwen3, deepseek_v3, deepseek_v32).
  ArchTraits traits;
  std::uint64_t hidden_size = 0;
  std::uint64_t num_layers = 0;  ///< num_hidden_layers (the MTP module is counted separately).
  std::uint64_t num_heads = 0;
  std::uint64_t num_kv_heads = 0;
  std::uint64_t head_dim = 0;    ///< config head_dim, else hidden_size / num_heads.
  std::uint64_t intermediate_size = 0;  ///< dense MLP width.
  std::uint64_t vocab_size = 0;
  bool tie_word_embeddings = false;
  std::uint64_t max_context = 0;  ///< max_position_embeddings.
  std::string rope_type;          ///< rope_scaling.rope_type / type ("llama3", "yarn", "" for none).
  // Multi-head latent attention (0 when absent).
  std::uint64_t q_lora_rank = 0;
  std::uint64_t kv_lora_rank = 0;
  std::uint64_t qk_nope_head_dim = 0;
  std::uint64_t qk_rope_head_dim = 0;
  std::uint64_t v_head_dim = 0;
  // Mixture of experts (0 when absent).
  std::uint64_t moe_intermediate_size = 0;
  std::uint64_t n_routed_experts = 0;
  std::uint64_t n_shared_experts = 0;
  std::uint64_t experts_per_token = 0;
  std::uint64_t first_k_dense_replace = 0;
  std::uint64_t moe_layer_freq = 1;
  std::uint64_t mtp_layers = 0;  ///< num_nextn_predict_layers.
  bool router_bias = false;      ///< e_score_correction_bias (scoring_func sigmoid, topk_method noaux_tc).
  // DeepSeek Sparse Attention indexer (0 when absent).
  std::uint64_t index_n_heads = 0;
  std::uint64_t index_head_dim = 0;
  std::uint64_t index_topk = 0;
  // DeepSeek-V4 (0 / empty when absent).
  std::uint64_t sliding_window = 0;
  std::vector<std::uint64_t> compress_ratios;  ///< per layer, main layers then MTP (0: window only)
  std::uint64_t o_groups = 0;     ///< grouped low-rank output projection: groups
  std::uint64_t o_lora_rank = 0;  ///< ... and the rank of each
  std::uint64_t hc_mult = 0;      ///< manifold hyper-connections: residual streams
  std::uint64_t num_hash_layers = 0;  ///< leading MoE layers routed by a token-id hash table

  /// Compression ratio of layer `layer` (main layers, then MTP); 0 beyond the list.
  [[nodiscard]] std::uint64_t compress_ratio(std::uint64_t layer) const {
    return layer < compress_ratios.size() ? compress_ratios[layer] : 0;
  }
  [[nodiscard]] bool is_moe() const { return n_routed_experts > 0; }
  /// True when layer `layer` (0-based) holds routed experts.
  [[nodiscard]] bool layer_is_moe(std::uint64_t layer) const {
    return is_moe() && layer >= first_k_dense_replace && (layer % moe_layer_freq) == 0;
  }
  bool operator==(const ModelArch&) const = default;
};

/// Published benchmark scores (percent, except the Codeforces rating). Missing = not published.
struct Benchmarks {
  std::map<std::string, double> scores;  ///< key: aime_2024, math_500, gpqa_diamond, livecodebench, codeforces_rating, ...
  std::string source;
  /// The context the scores' reasoning mode needs (V4's Think Max: 393,216 tokens); 0: not stated.
  std::uint64_t context_tokens = 0;
  std::string context_source;
  bool operator==(const Benchmarks&) const = default;
};

struct ModelSpec {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::string family;  ///< r1-distill, r1, v3, v4
  /// Its published scores are with a chain of thought before the answer (R1 line; V4's
  /// thinking-mode figures): recommend weighs the extra tokens for short-answer tasks.
  bool reasoning = false;
  std::string hf_repo;  ///< "" for a model known only from its model_file
  /// A user's model that is one GGUF file (an absolute path, URL or hf: reference; `inspect
  /// --emit-catalog` writes it): estimate and check size that file when no --quant is given.
  std::string model_file;
  /// The Hugging Face repository of GGUF files in the layout dsplan sizes (llama.cpp -hf, Ollama
  /// hf.co/): unsloth/<checkpoint name>-GGUF unless the catalog says otherwise; "" when no public
  /// repository holds that layout (the launch command then names the conversion to make).
  std::string gguf_repo;
  std::string gguf_repo_source;  ///< why this repository (or why none)
  /// Its files keep attn_kv_b whole (converted before llama.cpp PR #12801, April 2025): loading
  /// them, llama.cpp caches per-head K and V, not the latent dsplan sizes by default.
  bool gguf_repo_legacy_mla = false;
  std::string base_model;
  std::string license;
  std::string release_date;
  std::string native_quant;  ///< quant id of the published checkpoint (bf16, fp8)
  ModelArch arch;
  std::string config_source;
  std::optional<std::uint64_t> published_params;  ///< exact published total, when one is published
  std::string published_params_source;
  std::optional<std::uint64_t> checkpoint_bytes;  ///< safetensors index metadata.total_size
  std::string checkpoint_bytes_source;
  std::optional<std::uint64_t> gguf_kv_bytes;  ///< measured GGUF key-value section (tokenizer, template)
  std::string gguf_kv_bytes_source;
  std::string llama_cpp_type;  ///< llama.cpp's size class (LLM_TYPE_70B -> "70B"); quant rules key on it
  std::string llama_cpp_type_source;
  Benchmarks benchmarks;
  std::string notes;
  std::string origin;  ///< catalog file this entry came from
  bool operator==(const ModelSpec&) const = default;
};

/// How one storage type lays out weights. Two layouts cover every format dsplan knows:
/// GGUF row blocks (a row of ne0 weights is cut into blocks of `weights_per_block`, each
/// `bytes_per_block` bytes; ne0 must divide) and "grouped" checkpoints (a payload of
/// `element_bits` per weight plus one scale of `scale_bits` per tile of scale_rows x scale_cols).
struct BlockType {
  std::string id;
  std::string name;
  // Row-block layout (GGUF, and plain dense types with 1 weight per block).
  std::uint64_t weights_per_block = 0;
  std::uint64_t bytes_per_block = 0;
  /// Bytes a row stores besides its blocks: ik_llama.cpp's row_meta_size (a float scale per
  /// row for IQ4_KS, the trellis types, ...); its ggml_row_size is this plus the blocks.
  std::uint64_t bytes_per_row = 0;
  // Grouped layout (safetensors quantizers); used when weights_per_block == 0.
  std::uint64_t element_bits = 0;
  std::uint64_t scale_rows = 0;  ///< tile height in output rows (1 = per row)
  std::uint64_t scale_cols = 0;  ///< tile width in input columns (0 = the whole row)
  std::uint64_t scale_bits = 0;  ///< bits stored per tile (scale + zero point)
  std::uint64_t second_level_tiles = 0;  ///< double quantization: tiles per second-level scale
  std::uint64_t second_level_bits = 0;
  std::uint64_t per_input_column_bits = 0;  ///< e.g. GPTQ g_idx: one int32 per input column
  std::uint64_t per_tensor_bytes = 0;       ///< constant per quantized tensor (codebooks)
  /// Engines that load this type; empty: every engine of its container. A fork's own types
  /// (ik_llama.cpp's IQ*_K, the _R4 repacks) load nowhere else.
  std::vector<std::string> engines;
  /// A KV cache type only some attention kinds' kernels read (fp8_ds_mla: the sparse kernels of
  /// V3.2 and V4); empty: any.
  std::vector<AttentionKind> attention;
  std::string source;

  [[nodiscard]] bool is_row_block() const { return weights_per_block > 0; }
  [[nodiscard]] bool loaded_by(std::string_view engine) const {
    return engines.empty() || std::find(engines.begin(), engines.end(), engine) != engines.end();
  }
  bool operator==(const BlockType&) const = default;
};

/// llama.cpp's layer-position tests (llama-quant.cpp): use_more_bits, i < n/8, i < n/16, and
/// n/8 <= i < 7n/8.
enum class LayerSelector { any, more_bits, first_eighth, first_sixteenth, middle };

/// When a quant rule applies. Empty fields do not constrain.
struct RuleCondition {
  LayerSelector layer = LayerSelector::any;
  std::optional<std::uint64_t> index_lt;  ///< index < value
  bool use_ordinal = false;             ///< index = position among tensors of the same category
  std::optional<std::uint64_t> gqa_min;
  std::optional<std::uint64_t> experts_min;
  std::optional<std::uint64_t> experts_eq;
  std::string model_type;               ///< llama.cpp size class, e.g. "70B"
  std::optional<bool> imatrix;
  std::optional<bool> default_block_fits;  ///< ne0 divisible by the default type's block
  std::optional<bool> gqa_or_experts;   ///< n_gqa >= 4 || n_expert >= 4 (llama.cpp IQ1/IQ2 attn_v rule)
  bool operator==(const RuleCondition&) const = default;
};

/// Tags as bits (role names, llama.cpp categories, kinds); resolved when the catalog loads.
using TagMask = std::bitset<128>;

/// One rule: tensors carrying any of `match` tags and meeting `when` get `type`. First match wins.
struct QuantRule {
  std::vector<std::string> match;
  RuleCondition when;
  std::string type;
  TagMask mask;                ///< `match` as bits, filled by load_catalog
  std::size_t type_index = 0;  ///< `type` as an index into Catalog::block_types, filled by load_catalog
  bool operator==(const QuantRule&) const = default;
};

/// A quantization format: a default storage type and per-tensor rules, as the real tool applies them.
/// Measured quality loss of a format: mean KL divergence from the 16-bit model's next-token
/// distribution (llama.cpp's perplexity tool), with how the figure was obtained.
struct QuantQuality {
  double kld = 0;
  std::string basis;  ///< measured, proxy (another format's figure), derived, reference
  std::string source;
  bool operator==(const QuantQuality&) const = default;
};

struct FileWeights;  // dsplan/file_weights.hpp

struct QuantFormat {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string id;
  std::size_t default_type_index = 0;  ///< filled by load_catalog
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::string> containers;  ///< file containers that hold it (gguf, safetensors), preferred first
  std::string default_type;
  /// Assume an importance matrix was used: the formats llama-quantize refuses to make without one
  /// (IQ1, IQ2, IQ3_XXS, Q2_K_S); the others as llama-quantize writes them when given none.
  bool imatrix = false;
  /// Some rule depends on the importance matrix (Q4_0, Q5_0, IQ4_XS, IQ4_NL, IQ3_XXS): the recipe
  /// changes the file's tensor types. Filled by load_catalog.
  bool imatrix_sensitive = false;
  std::vector<QuantRule> rules;
  std::vector<std::string> engines;  ///< engines that load it
  ComputeDtype compute = ComputeDtype::activation;
  std::string description;
  std::string source;
  std::optional<QuantQuality> quality;
  /// Why no quality figure exists (no KLD published on the yardstick); required when `quality` is absent.
  std::string quality_unknown;
  /// A published file of these models only (unsloth's dynamic quants); empty: any model.
  std::vector<std::string> models;
  /// The repository that publishes the files, by model id, where it is not the model's gguf_repo
  /// (a publisher's own mixes, such as ubergarm's for ik_llama.cpp).
  std::map<std::string, std::string> gguf_repos;
  /// GPUs whose catalog `architecture` starts with one of these run it (kernels that exist only
  /// there); empty: any GPU the engine supports.
  std::vector<std::string> gpu_architectures;
  std::string gpu_architectures_source;
  /// The published files keep DeepSeek's attn_kv_b whole (converted before llama.cpp PR #12801).
  bool legacy_mla_gguf = false;
  /// The published files keep attn_kv_b beside attn_k_b/attn_v_b (ik_llama.cpp's conversions:
  /// 1,147 tensors for R1, where llama.cpp's have 1,086).
  bool keeps_attn_kv_b = false;
  /// Set when the per-tensor recipe is fitted to published file sizes rather than transcribed
  /// from code: what is exact and what is not. Shown by `list quants` and with every estimate.
  std::string recipe_note;
  /// Set for a model file given with --model-file (add_model_file): its exact tensors replace the rules.
  std::shared_ptr<const FileWeights> file;
  bool operator==(const QuantFormat&) const = default;
};

/// A published file whose per-tensor recipe is unknown (unsloth's later dynamic quants): no format
/// sizes it, so dsplan names it, says what was published about its size, and points the user at
/// the file's own header, which sizes it exactly.
struct UnmodelledFile {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string id;
  std::string model;           ///< catalog model id
  std::string file;            ///< the name users type: "UD-Q3_K_XL"
  std::string hf;              ///< OWNER/REPO/PREFIX of the file or split set on the Hugging Face Hub
  std::string published_size;  ///< what was published about its size, with units; empty: nothing found
  std::string source;
  bool operator==(const UnmodelledFile&) const = default;
};

/// The one-line refusal for a format asked of an unmodelled file: what was published and how to
/// size the file itself. Names the model-file setting by marker.
[[nodiscard]] std::string unmodelled_file_error(const UnmodelledFile& f);

/// Rules shared by every format of one container (GGUF: what stays F32, the shape fallbacks).
struct ContainerRules {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string id;
  std::vector<QuantRule> unquantized;           ///< tensors stored as converted, never quantized
  /// Tensors the converter writes in another type than the format's when it writes the file itself
  /// (formats whose default type is in `converter_outtypes`); a quantizer re-quantizes them.
  std::vector<QuantRule> converter_types;
  /// Default types the converter writes itself (convert_hf_to_gguf.py --outtype).
  std::vector<std::string> converter_outtypes;
  std::map<std::string, std::string> fallback;  ///< type -> type when ne0 does not divide the block
  std::string final_fallback;                   ///< when the fallback does not divide either
  std::map<std::size_t, std::size_t> fallback_index;  ///< `fallback` as block-type indices (load_catalog)
  std::size_t final_fallback_index = 0;
  std::string source;
  bool operator==(const ContainerRules&) const = default;
};

/// Memory layout of the cache an engine keeps for multi-head latent attention.
enum class MlaCacheLayout {
  latent,    ///< kv_lora_rank + qk_rope_head_dim values per token and layer
  expanded,  ///< per-head K (qk_nope + qk_rope) and V (v_head_dim), as for plain MHA
};

/// Calibrated throughput factors of an engine on one device class (docs/methodology.md section 6).
struct PerformanceClass {
  double bandwidth_efficiency = 1.0;  ///< achieved fraction of peak memory bandwidth in decode
  double layer_seconds = 0;           ///< fixed time per block per step (kernel launches, sync)
  double moe_layer_seconds = 0;       ///< extra fixed time per MoE block per step (per-expert kernels)
  double prefill_mfu = 1.0;           ///< achieved fraction of the dense 16-bit peak in prefill
  /// Prefill MFU of a model with routed experts relative to prefill_mfu: a batch's tokens split
  /// over the experts make many small matrix products (llama.cpp's mul_mat_id), not one large one.
  double moe_mfu_factor = 1.0;
  /// Batched decode: each sequence beyond the first adds its FLOPs at this fraction of the peak,
  /// after the weight reads instead of overlapped with them (llama.cpp's small-batch kernels
  /// dequantize per column). 0: not modelled, a step is max(memory, compute).
  double decode_batch_mfu = 0;
  /// CPU: memory bytes per second one compute thread reads at most; fewer threads than the
  /// bandwidth needs leave it unused (llama.cpp -t). 0: not modelled, threads never limit.
  double thread_bytes_per_s = 0;
  /// CPU: what each socket beyond the first adds to the achieved memory bandwidth, as a share
  /// of one socket's (1: all of it; below 0: a second socket slows decode, as llama.cpp without
  /// NUMA-aware placement reads across the socket link).
  double socket_scaling = 1;
  /// Decode bandwidth relative to bandwidth_efficiency by the format's main block type
  /// (dequantisation cost of its kernels); 1 for a type not listed.
  std::map<std::string, double> type_bandwidth_factor;
  /// Prefill MFU relative to prefill_mfu by the format's main block type: llama.cpp multiplies
  /// f16 weights with cuBLAS but quantized ones with its own MMQ kernels; 1 when not listed.
  std::map<std::string, double> type_mfu_factor;
  /// Prefill MFU relative to prefill_mfu by GPU architecture (ampere, ada, hopper, ...); 1 when not listed.
  std::map<std::string, double> architecture_mfu_factor;
  /// Decode bandwidth relative to bandwidth_efficiency by GPU architecture: the share of the
  /// datasheet bandwidth a generation's memory system delivers to these kernels; 1 when not listed.
  std::map<std::string, double> architecture_bandwidth_factor;
  bool operator==(const PerformanceClass&) const = default;
};

/// How builds older than `before` (YYYY-MM-DD) ran against a current build (--build-date;
/// docs/methodology.md section 8: fitted on the fit side's old runs). The factors apply with all
/// blocks on NVIDIA or AMD GPUs, the MoE block time to such GPUs in any layout.
struct BuildEra {
  std::string before;
  double decode_factor = 1;       ///< decode speed, every model
  double prefill_factor = 1;      ///< prefill speed, quantized weights (llama.cpp's MMQ kernels)
  double prefill_f16_factor = 1;  ///< prefill speed, f16/bf16 weights (cuBLAS)
  /// Fixed time per MoE block on NVIDIA or AMD GPUs in place of the class's (moe_layer_seconds), in
  /// any layout: the per-expert launches such builds made.
  std::optional<double> moe_layer_seconds;
  /// Speed families the MoE terms were measured on (empty: every model with routed experts).
  std::vector<std::string> moe_families;
  std::string source;
  bool operator==(const BuildEra&) const = default;
};

struct EnginePerformance {
  std::map<std::string, PerformanceClass> classes;  ///< by device class: gddr, hbm, apple, cpu
  double tp_layer_seconds = 0;         ///< extra per block and step with tensor parallelism
  double internode_layer_seconds = 0;  ///< extra per block and step when ranks span nodes
  /// Tensor-parallel serving engines: extra per block and prefill chunk. Their prefill pass runs
  /// eagerly (decode replays CUDA graphs), and time to first token carries the scheduler's
  /// per-request work; both show as a floor of 0.2-0.4 s on DeepSeek 671B whatever the prompt.
  double prefill_layer_seconds = 0;
  double hop_seconds = 0;              ///< layer split: per step and hand-over between devices
  bool expert_prefill_over_pcie = false;  ///< prefill streams RAM-resident experts to the GPU
  /// That stream's achieved share of the link's rate when the weights sit in pinned (page-locked)
  /// host memory, which the GPU reads by DMA.
  double host_link_efficiency = 1;
  /// The rate from pageable memory (an mmap-ed file) against pinned: CUDA stages each copy through
  /// a pinned buffer of its own. Which memory the weights sit in: EngineSpec::pinned_host_weights.
  double pageable_host_link_factor = 1;
  /// 16-bit GEMMs accumulate in FP32 (PyTorch engines), so they run at the card's FP32-accumulate
  /// tensor rate; llama.cpp's kernels use the FP16-accumulate (or int8) rate where a card has one.
  bool fp32_accumulate = false;
  /// Any order: every era whose cut-off is later than the build applies its factors; the MoE block
  /// time is the first such era's that sets one and covers the model.
  std::vector<BuildEra> build_eras;
  std::map<std::string, std::string> sources;
  bool operator==(const EnginePerformance&) const = default;
};

struct EngineSpec {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::string> containers;  ///< weight containers it loads (gguf, safetensors)
  std::string default_quant_gguf;       ///< when the model's native format cannot be loaded
  /// The engine pulls models from its own registry, whose tags serve default_quant_gguf (Ollama:
  /// Q4_K_M), so that is the default format even when the native one would load.
  bool registry_quant_default = false;
  /// Keeps routed experts in system RAM apart from the rest of their blocks (llama.cpp's -ot
  /// exps=CPU and --n-cpu-moe); an engine without it places whole layers only (Ollama's num_gpu).
  bool experts_in_ram = false;
  MlaCacheLayout mla_cache = MlaCacheLayout::latent;
  MlaCacheLayout mla_cache_legacy_gguf = MlaCacheLayout::expanded;
  bool mla_v_is_view_of_k = true;       ///< latent layout: V read from the K cache, not stored twice
  bool indexer_cache = false;           ///< caches DeepSeek Sparse Attention indexer keys (V3.2)
  bool indexer_keys_in_cache_type = false;  ///< indexer keys in the K cache type (else fp8 + fp32 scale)
  bool indexer_reads_top_k = true;      ///< attention reads the indexer's top-k latents (else all, masked)
  std::vector<std::string> kv_cache_types;
  std::string default_kv_type;          ///< "model" = the activations' dtype
  std::uint64_t kv_cell_padding = 1;    ///< total cache cells are a multiple of this
  std::uint64_t kv_block_tokens = 1;    ///< each sequence gets whole blocks (pages) of this many tokens
  std::uint64_t kv_block_tokens_mla = 1;  ///< same for MLA models (FlashMLA pages are 64 tokens)
  /// Pages of compressed caches (DeepSeek-V4): tokens per page of the compressed and the
  /// sliding-window caches, and the byte alignment each page is padded to (0 = unpadded).
  std::uint64_t compressed_kv_page_tokens = 0;
  std::uint64_t window_kv_page_tokens = 0;
  std::uint64_t kv_page_align_bytes = 0;
  std::string compressed_kv_pages_source;  ///< where the compressed caches' page layout comes from
  /// Cells of compressed caches (llama.cpp's DeepSeek-V4): rows of the cache type, each
  /// sequence's cells padded to this (0: paged as above); the window cache also holds one
  /// micro-batch; compressor states kept per sequence at this many bytes a value (0: none).
  std::uint64_t compressed_kv_cell_padding = 0;
  bool window_kv_adds_ubatch = false;
  std::uint64_t compressor_state_value_bytes = 0;
  std::string compressed_kv_cells_source;
  std::uint64_t default_ubatch = 512;   ///< tokens per forward pass when sizing activations
  std::uint64_t sampler_sequences = 0;  ///< sequences whose logits the memory profile samples (vLLM max_num_seqs)
  bool flash_attention = true;          ///< default attention kernel does not materialize scores
  bool quantized_v_needs_flash_attention = false;
  double gpu_memory_utilization = 1.0;  ///< fraction of device memory the engine claims
  /// Runs the model's MTP module as a speculative draft (sources["mtp"]); how often its drafts
  /// are accepted is the model's (ArchTraits::mtp_acceptance).
  bool mtp_draft = false;
  /// Data-parallel attention (SGLang --enable-dp-attention, vLLM --data-parallel-size): the
  /// tensor groups (group_name) each rank holds whole while the rest stays sharded; each rank
  /// caches only its own sequences. Empty: the engine has no such mode.
  std::vector<std::string> dp_attention_replicated;
  /// With data-parallel attention, the routed experts are split whole over the ranks (expert
  /// parallelism: vLLM's --enable-expert-parallel), not each one cut along its width (SGLang's MoE TP).
  bool dp_attention_expert_parallel = false;
  std::uint64_t runtime_overhead_bytes = 0;  ///< per device: CUDA context, library workspaces
  std::uint64_t runtime_overhead_tp_bytes = 0;  ///< extra per device with tensor parallelism (NCCL buffers)
  std::string compute_buffer_model;     ///< which activation formula applies (docs/methodology.md)
  Parallelism parallelism = Parallelism::layer_split;
  /// Layer split: from builds of this date ("YYYY-MM-DD") -ngl N offloads the output layer first and
  /// then the last N-1 blocks (llama.cpp PR #18148); before it, or when empty, the last N blocks
  /// and the output layer only with N = blocks + 1.
  std::string output_layer_first_since;
  std::string speed_class;              ///< whose measurements its speed bands come from (Ollama: llama.cpp); default id
  RecommendScope recommend = RecommendScope::always;
  /// Computes the other layout's MLA up-projections when it loads a DeepSeek GGUF and keeps both
  /// (ik_llama.cpp's llm_prepare_mla; sources["derived_weights"]).
  bool derives_mla_projections = false;
  /// GPU backends it supports fully (cuda, rocm, metal; sources["backends"]); a plan on others
  /// says so. Empty: every backend the catalog's GPUs use.
  std::vector<std::string> gpu_backends;
  /// Prefill micro-batches copy RAM-resident routed experts to the GPU only from this many tokens
  /// (ggml's op offload); counted per routed expert when `expert_offload_per_expert` (ik_llama.cpp
  /// PR #520: ubatch x experts per token >= this x routed experts). Smaller ones leave the experts
  /// to the CPU. sources["expert_offload"].
  std::uint64_t expert_offload_min_batch = 32;
  bool expert_offload_per_expert = false;
  /// The flags that turn that offload off, so the CPU computes at any batch (llama-server
  /// --no-op-offload, llama-bench -nopo 1); empty: the engine offers no such switch.
  std::string op_offload_off_server_flag;
  std::string op_offload_off_bench_flag;
  /// The engine's own CPU matrix kernels' prefill rate against those of the engine whose
  /// performance constants it runs with (ik_llama.cpp's iqk kernels against mainline's);
  /// sources["cpu_prefill"].
  double cpu_prefill_factor = 1;
  /// When the weights kept in system RAM sit in pinned memory (else pageable): never (the engine
  /// offers no such setting), with --no-mmap (llama.cpp), or also whenever tensors are overridden
  /// to the CPU (ik_llama.cpp PR #1510). sources["pinned_host"].
  PinnedHostWeights pinned_host_weights = PinnedHostWeights::never;
  /// The engine whose performance constants this one runs with ("performance": "<id>" in the
  /// catalog: a fork with the same kernels); empty: its own. Resolved when the catalog loads.
  std::string performance_of;
  EnginePerformance performance;
  /// Sources by topic: "kv", "compute", "overhead" always; "cells", "mla", ... where relevant.
  std::map<std::string, std::string> sources;
  std::string notes;

  /// The source for `topic`, or every source joined when the topic has none of its own.
  [[nodiscard]] std::string source(const std::string& topic) const;
  bool operator==(const EngineSpec&) const = default;
};

struct GpuSpec {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::string vendor;
  std::string device_class;  ///< consumer, workstation, datacenter, apple, npu
  std::string architecture;
  Bytes memory;
  std::string memory_marketing;
  std::uint64_t bandwidth_bytes_per_s = 0;  ///< 0 when no trustworthy figure is published
  double bf16_tflops = 0;
  double fp16_tflops = 0;
  double fp16_acc16_tflops = 0;  ///< GeForce: FP16 tensor rate with FP16 accumulate (llama.cpp's prefill path)
  double fp8_tflops = 0;
  double int8_tops = 0;
  double fp32_tflops = 0;
  double tdp_watts = 0;
  std::uint64_t pcie_gen = 0;
  std::uint64_t pcie_lanes = 0;
  std::uint64_t nvlink_bytes_per_s = 0;  ///< scale-up link: NVLink, or Infinity Fabric (AMD); 0 = PCIe only
  std::optional<double> launch_price_usd;
  std::string launch_price_date;
  double usable_memory_fraction = 1.0;  ///< Apple: macOS lets the GPU wire only part of unified memory
  /// A whole computer (Apple silicon, DGX Spark): its price and power are the machine's, so the
  /// owned cost adds no host parts and tdp_watts is the machine's draw at the wall.
  bool whole_system = false;
  /// One memory for CPU and GPU (a whole computer with no PCIe link: Apple silicon, DGX Spark):
  /// what the GPU does not take is the system's RAM, not an addition to it.
  [[nodiscard]] bool unified_memory() const { return whole_system && pcie_lanes == 0; }
  /// GPUs one node (server, scale-up domain) of this part holds; tensor parallelism spans a node
  /// before it spans nodes. Catalog default 8 (HGX/DGX baseboards; 8-slot servers).
  std::uint64_t gpus_per_node = 8;
  std::vector<std::string> sources;
  std::string notes;
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  bool operator==(const GpuSpec&) const = default;
};

/// A host CPU and its memory system (for layers or experts kept in system RAM).
struct CpuSpec {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  std::string vendor;
  std::uint64_t cores = 0;
  std::uint64_t memory_channels = 0;
  std::string memory_type;
  std::uint64_t bandwidth_bytes_per_s = 0;  ///< theoretical: channels x MT/s x 8 bytes
  std::uint64_t max_memory_bytes = 0;
  double fp32_tflops = 0;
  double bf16_tflops = 0;
  double tdp_watts = 0;
  std::vector<std::string> sources;
  std::string notes;
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  bool operator==(const CpuSpec&) const = default;
};

struct CloudPrice {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string where;   ///< its JSON pointer in that file ("/cloud_prices/3")
  std::string gpu;
  std::string provider;
  std::string offering;
  double usd_per_gpu_hour = 0;
  std::string date;
  std::string source;
  /// Most GPUs of this type one instance of the offering holds (a "1x" listing: 1; an 8-GPU
  /// node, or a per-GPU price for pods of 1-8 GPUs: 8). A tensor-parallel group needs them in one box.
  std::uint64_t max_gpus_per_instance = 1;
  /// Instances can be rented as a cluster with a GPU fabric (InfiniBand, EFA) for multi-node runs.
  bool multi_node = false;
  bool operator==(const CloudPrice&) const = default;
};

/// What a deployment needs of a cloud offering: GPUs of one type per instance, and whether it spans nodes.
struct CloudShape {
  std::uint64_t gpus_per_instance = 1;
  bool multi_node = false;
};

/// The cheapest price for a shape; `shape_met` false when no offering provides the shape and
/// `price` is the cheapest offering of the GPU at all (the caller says so).
struct CloudPriceMatch {
  const CloudPrice* price = nullptr;
  bool shape_met = false;
};

struct PurchasePrice {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string where;   ///< its JSON pointer in that file ("/cloud_prices/3")
  std::string gpu;
  double usd = 0;
  std::string kind;
  std::string date;
  std::string source;
  bool operator==(const PurchasePrice&) const = default;
};

/// One priced part of a host (prices.json host_prices): a CPU (`key` = its catalog id), RAM per
/// GiB, a platform (board, chassis, PSU, cooling) per node, or storage per TB (`key` = the kind).
struct HostPrice {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string where;   ///< its JSON pointer in that file ("/cloud_prices/3")
  std::string key;
  double usd = 0;
  std::string what;
  std::string date;
  std::string source;
  bool operator==(const HostPrice&) const = default;
};

/// Host parts by kind. RAM kinds: "server" (registered DDR5), "desktop" (unbuffered DDR5);
/// platform kinds: "server" (a GPU server without GPUs, CPU, RAM or disks), "workstation".
struct HostPrices {
  std::vector<HostPrice> cpus;
  std::vector<HostPrice> ram_per_gib;
  std::vector<HostPrice> platforms;
  std::vector<HostPrice> storage_per_tb;
  [[nodiscard]] const HostPrice* find(const std::vector<HostPrice>& list, std::string_view key) const;
  bool operator==(const HostPrices&) const = default;
};

/// Defaults of the cost model, each with its source (prices.json cost_defaults).
struct CostDefaults {
  double electricity_usd_per_kwh = 0;
  double pue_datacenter = 1;
  double pue_desk = 1;
  double amortization_years = 1;
  double maintenance_fraction_per_year = 0;
  double gpu_power_fraction = 1;   ///< GPU draw as a fraction of TDP while serving
  double host_power_fraction = 0;  ///< CPU, RAM, fans, PSU losses, as a fraction of the GPUs' draw
  // The host priced when the user names no CPU: a part per platform (catalog CPU ids).
  std::string host_cpu_desktop;
  /// A desk-side host with more than desktop_max_ram_gib of RAM (0: no limit), which a desktop
  /// platform cannot hold: this part, on registered DIMMs.
  std::string host_cpu_large_memory;
  std::uint64_t desktop_max_ram_gib = 0;
  std::string host_cpu_server;
  std::uint64_t host_cpus_per_server = 1;
  std::map<std::string, std::string> sources;
  bool operator==(const CostDefaults&) const = default;
};

/// One group of a task's quality score: the first benchmark key a model has, over `divide_by`.
struct TaskMetric {
  double weight = 1;
  std::vector<std::string> keys;  ///< equivalent benchmarks, preferred first
  double divide_by = 1;           ///< a Codeforces rating / 30 puts it on a 0-100 scale
  bool operator==(const TaskMetric&) const = default;
};

/// What a user asks a model to do, and how published benchmarks score a model for it.
struct TaskSpec {
  std::string origin;  ///< catalog file this entry came from (for cross-reference errors)
  std::string id;
  std::vector<std::string> aliases;
  std::string name;                     ///< what the task is, in words (JSON: description)
  std::vector<TaskMetric> metrics;      ///< weighted metrics, or ...
  std::vector<std::string> blend_of;    ///< ... the mean of other tasks' scores
  bool short_answers = false;           ///< thinking tokens buy little: non-reasoning models preferred
  std::string why;
  bool operator==(const TaskSpec&) const = default;
};

/// How far published speeds fall from dsplan's for one class of runs (engine x hardware family
/// x model kind x decode/prefill): quantiles of published / predicted over the measurement set
/// (tests/data/measurements.json), generated by dsplan_calibrate into data/speed_bands.json.
struct SpeedBand {
  std::string id;                    ///< "<class>/<metric>", e.g. "llama.cpp/gddr/dense/decode"
  std::string speed_class;           ///< "llama.cpp/gddr/dense"
  std::string metric;                ///< decode or prefill
  std::uint64_t measurements = 0;
  double low = 1.0;                  ///< 10th percentile of published / predicted
  double high = 1.0;                 ///< 90th percentile
  double median = 1.0;
  std::vector<std::string> sources;  ///< measurement source ids (tests/data/measurements.json)
  bool operator==(const SpeedBand&) const = default;
};

/// Everything dsplan knows, merged from the embedded data and any user files.
class Catalog {
 public:
  std::vector<ModelSpec> models;
  std::vector<BlockType> block_types;
  std::vector<QuantFormat> quants;
  std::vector<UnmodelledFile> unmodelled_files;
  std::map<std::string, ContainerRules> containers;
  std::vector<EngineSpec> engines;
  std::vector<GpuSpec> gpus;
  std::vector<CpuSpec> cpus;
  std::vector<CloudPrice> cloud_prices;
  std::vector<PurchasePrice> purchase_prices;
  HostPrices host_prices;
  CostDefaults cost_defaults;
  std::map<std::string, ArchTraits> architectures;
  std::vector<TaskSpec> tasks;
  std::string tasks_source;
  std::vector<SpeedBand> speed_bands;
  /// The network between the nodes of a cluster (gpus.json "internode"), per node, and its source;
  /// HardwareRequest::internode_bandwidth overrides it.
  std::uint64_t internode_bytes_per_s = 0;
  std::string internode_source;
  /// False for a catalog loaded with CatalogScope::model_data (a memory-only estimate): GPUs,
  /// CPUs, prices, tasks and speed bands were not parsed, and looking one up is a bug.
  bool has_hardware_data = true;

  /// Lookup by id, alias or display name, case-insensitive. nullptr when absent.
  [[nodiscard]] const ModelSpec* find_model(std::string_view name) const;
  [[nodiscard]] const QuantFormat* find_quant(std::string_view name) const;
  /// The unmodelled file of `model_id` that `name` names ("UD-Q3_K_XL", "ud-q3_k_xl", "q3_k_xl");
  /// nullptr when none. An empty model_id matches any model's.
  [[nodiscard]] const UnmodelledFile* find_unmodelled_file(std::string_view model_id, std::string_view name) const;
  [[nodiscard]] const EngineSpec* find_engine(std::string_view name) const;
  [[nodiscard]] const GpuSpec* find_gpu(std::string_view name) const;
  /// By catalog id exactly (a Device's id; "generic" cards have none): no name matching, for
  /// the estimators' hot paths.
  [[nodiscard]] const GpuSpec* gpu_by_id(std::string_view id) const;
  [[nodiscard]] const CpuSpec* find_cpu(std::string_view name) const;
  [[nodiscard]] const TaskSpec* find_task(std::string_view name) const;
  [[nodiscard]] const BlockType* find_block_type(std::string_view id) const;
  /// Speed band by id ("llama.cpp/gddr/dense/decode"); nullptr when the class has none.
  [[nodiscard]] const SpeedBand* find_speed_band(std::string_view id) const;
  /// The cheapest dated cloud price for a GPU id, of any shape (a lower bound of what any
  /// deployment of it pays); nullptr when none is listed.
  [[nodiscard]] const CloudPrice* cheapest_cloud_price(std::string_view gpu) const;
  /// Cheapest offering of `gpu` that provides `shape` (see CloudPriceMatch).
  [[nodiscard]] CloudPriceMatch cloud_price_for(std::string_view gpu, CloudShape shape) const;
  /// Index of a block type in block_types; nullopt when absent.
  [[nodiscard]] std::optional<std::size_t> block_type_index(std::string_view id) const;

  /// Like find_*, but throw InputError "unknown model 'x' (did you mean: a, b?)".
  [[nodiscard]] const ModelSpec& require_model(std::string_view name) const;
  [[nodiscard]] const QuantFormat& require_quant(std::string_view name) const;
  [[nodiscard]] const EngineSpec& require_engine(std::string_view name) const;
  [[nodiscard]] const GpuSpec& require_gpu(std::string_view name) const;
  [[nodiscard]] const CpuSpec& require_cpu(std::string_view name) const;
  [[nodiscard]] const TaskSpec& require_task(std::string_view name) const;
  [[nodiscard]] const BlockType& require_block_type(std::string_view id) const;
  bool operator==(const Catalog&) const = default;
};

}  // namespace dsplan
