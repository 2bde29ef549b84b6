// Scenario resolution: names to catalog entries, defaults, and the checks that make a request valid.
#include "dsplan/scenario/scenario.hpp"

#include <algorithm>

#include "dsplan/base/build_date.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/files/file_weights.hpp"
#include "dsplan/model/attention.hpp"

namespace dsplan {

namespace {

/// A storage type of the format (of the file's tensors, for a model file) the engine cannot load.
const BlockType* type_not_loaded(const Catalog& cat, const QuantFormat& q, const EngineSpec& e) {
  const auto refused = [&](const BlockType& t) { return !t.loaded_by(e.id); };
  if (q.file) {
    for (const auto& u : q.file->weights.types)
      if (const BlockType* t = cat.find_block_type(u.type); t && refused(*t)) return t;
    return nullptr;
  }
  if (refused(cat.block_types[q.default_type_index])) return &cat.block_types[q.default_type_index];
  for (const auto& rule : q.rules)
    if (refused(cat.block_types[rule.type_index])) return &cat.block_types[rule.type_index];
  return nullptr;
}

/// "llama.cpp, vLLM, SGLang": the engines that run a DSA indexer.
std::string indexer_engines(const Catalog& cat) {
  std::vector<std::string> names;
  for (const auto& e : cat.engines)
    if (e.indexer_cache) names.push_back(e.id);
  return join(names);
}

/// First container of the quant that the engine loads; empty when none.
std::string shared_container(const QuantFormat& q, const EngineSpec& e) {
  for (const auto& c : q.containers)
    if (contains(e.containers, c)) return c;
  return {};
}

/// A registry tag such as Ollama's `deepseek-r1:70b` names a model as that engine serves it: the
/// engine whose registry the tag comes from, in its default format.
const EngineSpec* registry_of_tag(const Catalog& cat, const std::string& model) {
  if (model.find(':') == std::string::npos || model.find('/') != std::string::npos) return nullptr;
  for (const auto& e : cat.engines)
    if (e.registry_quant_default && !e.default_quant_gguf.empty()) return &e;
  return nullptr;
}

/// A publisher's file named like `quant` but made for `model` with its own recipe
/// (ud-iq2_xxs -> ud-iq2_xxs-v3-0324); nullptr when none.
const QuantFormat* models_own_file(const Catalog& cat, const QuantFormat& quant, const ModelSpec& model) {
  for (const auto& q : cat.quants)
    if (contains(q.models, model.id) && q.id.starts_with(quant.id + "-")) return &q;
  return nullptr;
}

/// Why a GGUF preset of this model is not sized: no GGUF layout at all, or files only.
std::string gguf_presets_refused(const ModelSpec& m) {
  const ArchTraits& t = m.arch.traits;
  if (t.llama_cpp_arch.empty())
    return m.id + " (" + m.arch.model_type +
           ") has no GGUF layout in dsplan's catalog, so its GGUF files cannot be sized (llama.cpp's own support for "
           "it is not modelled); dsplan sizes its safetensors formats on vLLM and SGLang";
  return m.name +
         "'s GGUF files are sized from the files themselves: give one with %model_file% (a path, a URL or "
         "hf:OWNER/REPO/FILE, whose header dsplan reads); " +
         t.gguf_files_only;
}

void pick_quant_and_engine(const Catalog& cat, const Scenario& s, ResolvedScenario& r) {
  if (!s.quant.empty() && !cat.find_quant(s.quant))
    if (const auto* file = cat.find_unmodelled_file(r.model->id, s.quant))
      throw InputError(unmodelled_file_error(*file));
  if (!s.quant.empty()) r.quant = &cat.require_quant(s.quant);
  if (r.quant && !quant_holds_model(*r.quant, *r.model))
    if (const auto* own = models_own_file(cat, *r.quant, *r.model)) {
      r.defaults_applied.push_back("quant: " + own->id + " (" + r.model->id + "'s own " + r.quant->id + " recipe)");
      r.quant = own;
    }
  if (!s.engine.empty()) r.engine = &cat.require_engine(s.engine);
  if (!r.engine && (s.layer_split_options || s.no_tensor_parallel_gpus))
    for (const auto& e : cat.engines)
      if (e.parallelism == Parallelism::layer_split && !e.default_quant_gguf.empty() &&
          (!r.quant || !shared_container(*r.quant, e).empty())) {
        r.engine = &e;
        r.defaults_applied.push_back("engine: " + e.id +
                                     (s.layer_split_options
                                          ? " (the layout options given are a layer split's)"
                                          : " (no CUDA or ROCm GPU given, which tensor-parallel engines need)"));
        break;
      }
  const EngineSpec* registry = registry_of_tag(cat, s.model);
  if (!r.engine && registry) {
    r.engine = registry;
    r.defaults_applied.push_back("engine: " + r.engine->id + " ('" + s.model + "' is an " + r.engine->name + " tag)");
  }
  if (!r.quant) {
    const QuantFormat& native = cat.require_quant(r.model->native_quant);
    if (r.engine && r.engine->registry_quant_default) {
      r.quant = &cat.require_quant(r.engine->default_quant_gguf);
      r.defaults_applied.push_back("quant: " + r.quant->id + " (what " + r.engine->name + " serves for " +
                                   (registry ? "'" + s.model + "'" : "a model tag without a quant suffix") + ")");
    } else if (r.engine && shared_container(native, *r.engine).empty() && !r.engine->default_quant_gguf.empty()) {
      r.quant = &cat.require_quant(r.engine->default_quant_gguf);
      r.defaults_applied.push_back("quant: " + r.quant->id + " (" + r.engine->id + "'s default)");
    } else {
      r.quant = &native;
      r.defaults_applied.push_back("quant: " + r.quant->id + " (the model's native format)");
    }
  }
  if (!r.engine) {
    if (r.quant->engines.empty()) throw InputError("quant '" + r.quant->id + "' lists no engine that loads it");
    r.engine = &cat.require_engine(r.quant->engines.front());
    r.defaults_applied.push_back("engine: " + r.engine->id + " (first engine that loads " + r.quant->id + ")");
  }
  const std::string container = shared_container(*r.quant, *r.engine);
  if (container.empty()) throw InputError(cannot_load_text({r.engine->id}, *r.quant));
  if (const BlockType* t = type_not_loaded(cat, *r.quant, *r.engine))
    throw InputError(r.quant->name + " stores " + t->name + " tensors, which " + r.engine->id +
                     " does not load; engines that do: " + join(t->engines));
  if (container == "gguf" && !r.quant->file && !r.model->arch.traits.gguf_presets())
    throw InputError(gguf_presets_refused(*r.model));
  if (attention_of(r.model->arch).needs_indexer_engine && !r.engine->indexer_cache)
    throw InputError(r.model->id + " uses DeepSeek Sparse Attention, whose indexer keeps its own key cache, and " +
                     r.engine->name + " is not known to run it; engines that do: " + indexer_engines(cat));
  r.layout.container = container;
}

void pick_kv_type(const Catalog& cat, const Scenario& s, ResolvedScenario& r) {
  // DeepSeek-V4: vLLM asserts an fp8 cache (fp8_ds_mla layout) and SGLang sizes the same layout;
  // llama.cpp keeps rows of its own cache types in cells (compressed_kv_cells).
  if (const auto fixed = attention_of(r.model->arch).fixed_cache_type;
      !fixed.empty() && r.engine->compressed_kv_cell_padding == 0) {
    if (!s.kv_type.empty() && s.kv_type != "fp8" && s.kv_type != "auto" && s.kv_type != fixed)
      throw InputError("%kv_type% " + s.kv_type + ": " + r.model->name + " caches only in " + std::string(fixed) +
                       " (the engines assert an FP8 KV cache)");
    if (!engine_caches(*r.engine, r.model->arch)) {
      std::vector<std::string> paged, cells;  // the engines whose caches of this model dsplan sizes
      for (const auto& e : cat.engines) {
        if (contains(e.kv_cache_types, fixed)) paged.push_back(e.name);
        if (e.compressed_kv_cell_padding > 0) cells.push_back(e.name);
      }
      throw InputError("dsplan models " + r.model->name + "'s cache as " + join(paged, " and ") + " keep it (" +
                       std::string(fixed) + ")" + (cells.empty() ? "" : " and as " + join(cells, " and ") + " does") +
                       ", and " + r.engine->name + " keeps another (its own implementation is not modelled)");
    }
    r.kv_type = &cat.require_block_type(std::string(fixed));
    if (s.kv_type.empty()) r.defaults_applied.push_back("kv-type: " + std::string(fixed) + " (the only cache " + r.model->name + " has)");
    return;
  }
  std::string id = s.kv_type.empty() ? r.engine->default_kv_type : s.kv_type;
  if (id == "fp8") id = "fp8_e4m3";  // vLLM's --kv-cache-dtype spelling
  // 'auto' is vLLM's and SGLang's name for the model's dtype; llama.cpp has no such cache type.
  if (id == "auto" && r.engine->default_kv_type != "model")
    throw InputError("%kv_type% auto: " + r.engine->id +
                     " has no 'auto' cache type ('auto' is vLLM's and SGLang's "
                     "name for the model's dtype); give one of " +
                     join(r.engine->kv_cache_types) +
                     ", or %context% max %kv_type% auto for the type that fits the most context");
  // An FP16 run of a BF16 checkpoint (-q fp16 on a safetensors engine): the engine casts it at
  // load only when told (vLLM and SGLang --dtype half); it runs the checkpoint's dtype otherwise.
  const auto type_of = [&](const QuantFormat& q) { return cat.require_block_type(q.default_type).id; };
  if (r.layout.container == "safetensors" && type_of(*r.quant) == "f16" &&
      type_of(cat.require_quant(r.model->native_quant)) != "f16")
    r.half_precision = true;
  if (id == "model" || id == "auto") {
    // The activations' dtype: FP16 checkpoints (AWQ/GPTQ) run in FP16, everything else in BF16.
    id = cat.require_block_type(r.quant->default_type).id == "f16" ? "f16" : "bf16";
    if (id == "bf16" && !s.gpu_without_bf16.empty()) {  // vLLM refuses BF16 below compute capability 8.0
      id = "f16";
      r.half_precision = true;
      r.defaults_applied.push_back("dtype: half (" + s.gpu_without_bf16 + " has no BF16, so " + r.engine->name +
                                   " runs the model in FP16)");
    }
    if (s.kv_type.empty()) r.defaults_applied.push_back("kv-type: " + id + " (the model's activation dtype)");
  } else if (s.kv_type.empty()) {
    r.defaults_applied.push_back("kv-type: " + id + " (" + r.engine->id + "'s default)");
  }
  if (!contains(r.engine->kv_cache_types, id) || !cat.find_block_type(id))
    throw InputError("KV cache type '" + (s.kv_type.empty() ? id : s.kv_type) + "' is not offered by " +
                     r.engine->id + " (choose from: " + join(r.engine->kv_cache_types) + ")");
  r.kv_type = cat.find_block_type(id);
  const auto& kinds = r.kv_type->attention;
  if (const AttentionKind own = r.model->arch.traits.attention;
      !kinds.empty() && std::find(kinds.begin(), kinds.end(), own) == kinds.end()) {
    std::vector<std::string> names, usable;
    for (const auto k : kinds) names.emplace_back(name_in<AttentionKind>(k_attention_kinds, k));
    for (const auto& t : r.engine->kv_cache_types)
      if (const auto& a = cat.require_block_type(t).attention;
          a.empty() || std::find(a.begin(), a.end(), own) != a.end())
        usable.push_back(t);
    throw InputError("%kv_type% " + id + ": " + r.kv_type->name + " is read only by the kernels of " +
                     join(names, " and ") + " attention (DeepSeek-V3.2, V4), and " + r.model->name + " has " +
                     std::string(name_in<AttentionKind>(k_attention_kinds, own)) + "; give one of " + join(usable));
  }
}

}  // namespace

namespace {
/// The architecture's checkpoints exist in these formats only (DeepSeek-V4: its FP4+FP8 release
/// and FP8); a user's file is its own checkpoint.
bool arch_publishes(const QuantFormat& quant, const ModelSpec& model) {
  const auto& formats = model.arch.traits.formats;
  return quant.file || formats.empty() || contains(formats, quant.id);
}
}  // namespace

bool quant_holds_model(const QuantFormat& quant, const ModelSpec& model) {
  return (quant.models.empty() || contains(quant.models, model.id)) && arch_publishes(quant, model);
}

namespace {
/// A publisher's file of another model: this model's file of that name, if any, follows a recipe
/// that was never published.
[[noreturn]] void refuse_other_models_file(const Catalog& cat, const QuantFormat& quant, const ModelSpec& model) {
  if (!arch_publishes(quant, model))
    throw InputError(model.name + " is published and loaded in " + join(model.arch.traits.formats, " and ") +
                     " only, not " + quant.name + " (" + model.arch.traits.formats_source + ")");
  if (const auto* file = cat.find_unmodelled_file(model.id, quant.id)) throw InputError(unmodelled_file_error(*file));
  throw InputError(quant.name + " is a published file of " + join(quant.models) + " only, not of " + model.id);
}
}  // namespace

namespace {
/// MTP speculation needs the model's MTP module, a published acceptance rate for it, and an
/// engine that drafts with it. The MTP layer caches as one more layer of the model's attention
/// kind (V4's compress_ratios name its ratio: window only).
std::uint64_t checked_speculative_tokens(const Scenario& s, const ResolvedScenario& r) {
  if (s.speculative_tokens == 0) return 0;
  if (s.speculative_tokens > 8) throw InputError("%mtp%: at most 8 draft tokens per step");
  if (r.model->arch.mtp_layers == 0)
    throw InputError("%mtp% drafts with the model's multi-token-prediction module; " + r.model->name + " has none");
  if (r.model->arch.traits.mtp_acceptance.empty())
    throw InputError("%mtp%: no published acceptance rate for " + r.model->name +
                     "'s MTP module, so dsplan does not time its drafts");
  if (!r.engine->mtp_draft)
    throw InputError("%mtp%: " + r.engine->name + " does not draft with the MTP module (vLLM and SGLang do)");
  return s.speculative_tokens;
}
}  // namespace

namespace {
/// The build date as YYYY-MM-DD, for an engine whose older builds the catalog describes.
std::string checked_build_date(const Scenario& s, const ResolvedScenario& r) {
  if (s.build_date.empty()) return {};
  const auto date = parse_build_date(s.build_date);
  if (!date) throw InputError("%build_date%: expected YYYY-MM or YYYY-MM-DD, got '" + s.build_date + "'");
  if (date->substr(0, 7) < k_first_build_month)
    throw InputError("%build_date%: " + s.build_date + " is before llama.cpp's first release (" +
                     std::string(k_first_build_month) + "); no build is that old");
  if (r.engine->performance.build_eras.empty())
    throw InputError("%build_date%: the catalog describes no older builds of " + r.engine->name +
                     " (it does for llama.cpp and Ollama)");
  // A month (YYYY-MM) is any build of it: refused only when the whole month precedes support.
  const bool month_only = s.build_date.size() == 7;
  if (const ArchTraits& t = r.model->arch.traits;
      r.layout.container == "gguf" && (month_only ? s.build_date < t.gguf_since.substr(0, 7) : *date < t.gguf_since))
    throw InputError("%build_date% " + s.build_date + ": llama.cpp loads " + t.llama_cpp_arch + " GGUF files (" +
                     r.model->name + ") since " + t.gguf_since + " (" + t.gguf_since_source + "); this build does not");
  return *date;
}

/// The GGUF recipe's importance matrix: the user's --imatrix, else the format's assumption, said
/// where it changes the file (a model file's tensors are read as they are).
std::optional<bool> checked_imatrix(const Scenario& s, ResolvedScenario& r) {
  const QuantFormat& q = *r.quant;
  if (!s.imatrix) {
    if (q.imatrix_sensitive && !q.file)
      r.defaults_applied.push_back(
          q.imatrix ? "imatrix: yes (llama-quantize makes " + q.name + " only with one)"
                    : "imatrix: no (llama-quantize's recipe without one; %imatrix% on for imatrix files)");
    return std::nullopt;
  }
  if (q.file) throw InputError("%imatrix%: " + q.name + " is sized from its own tensors, as they were quantized");
  if (r.layout.container != "gguf") throw InputError("%imatrix% applies to GGUF formats, not " + q.name);
  return s.imatrix;
}

}  // namespace

std::string cannot_load_text(const std::vector<std::string>& engines, const QuantFormat& quant) {
  return std::string(engines.size() == 1 ? "engine '" : "engines '") + join(engines, "', '") + "' cannot load quant '" +
         quant.id + "' (" + join(quant.containers) + "); engines that can: " + join(quant.engines);
}

ResolvedScenario resolve_scenario(const Catalog& cat, const Scenario& s) {
  ResolvedScenario r;
  r.model = &cat.require_model(s.model);
  if (s.context == 0 || s.context > k_max_context)
    throw InputError("context must be between 1 and " + std::to_string(k_max_context) + " tokens, got " +
                     std::to_string(s.context));
  const bool shorter_window = s.context > r.model->arch.max_context;
  if (shorter_window && !s.context_is_default)
    throw InputError("context " + std::to_string(s.context) + " exceeds " + r.model->name + "'s maximum of " +
                     std::to_string(r.model->arch.max_context) + " tokens (max_position_embeddings)");
  if (s.batch == 0 || s.batch > k_max_batch)
    throw InputError("batch must be between 1 and " + std::to_string(k_max_batch) + ", got " +
                     std::to_string(s.batch));
  r.context = shorter_window ? r.model->arch.max_context : s.context;
  if (shorter_window)
    r.defaults_applied.push_back("context: " + std::to_string(r.context) +
                                 " tokens (the model's window; the default is " + std::to_string(s.context) + ")");
  r.batch = s.batch;
  pick_quant_and_engine(cat, s, r);
  if (!quant_holds_model(*r.quant, *r.model)) refuse_other_models_file(cat, *r.quant, *r.model);
  pick_kv_type(cat, s, r);
  r.legacy_mla_gguf = s.legacy_mla_gguf || r.quant->legacy_mla_gguf;
  if (r.quant->legacy_mla_gguf && !s.legacy_mla_gguf)
    r.defaults_applied.push_back("layout: attn_kv_b whole (the published " + r.quant->name + " files predate the split)");
  const bool latent_cache = attention_of(r.model->arch).latent_cache;
  if (r.legacy_mla_gguf && !(r.layout.container == "gguf" && latent_cache))
    throw InputError("%legacy_mla_gguf% applies only to GGUF files of MLA models (DeepSeek-V3/R1)");
  if (r.quant->file) {  // a model file says which MLA layout it has
    const bool legacy = r.quant->file->weights.layout.legacy_mla_gguf;
    if (s.legacy_mla_gguf && !legacy)
      throw InputError("%legacy_mla_gguf%: " + r.quant->name + " has the split MLA tensors (attn_k_b, attn_v_b)");
    r.legacy_mla_gguf = legacy;
  }
  r.layout.legacy_mla_gguf = r.legacy_mla_gguf;
  r.layout.keeps_attn_kv_b = r.quant->keeps_attn_kv_b;
  if (r.layout.keeps_attn_kv_b && s.legacy_mla_gguf)
    throw InputError("%legacy_mla_gguf%: " + r.quant->name + " has the split MLA tensors (attn_k_b, attn_v_b) as well");
  r.layout.imatrix = checked_imatrix(s, r);
  if (s.mla_cache != MlaCacheOverride::engine && !latent_cache)
    throw InputError("%mla_cache% applies only to MLA models (DeepSeek-V3/R1); " + r.model->name + " uses " +
                     std::string(attention_name(r.model->arch.traits.attention)));
  r.mla_cache = s.mla_cache;
  // An engine that caches a legacy file's MLA per head cannot be told to cache its latent: the
  // file has no attn_k_b / attn_v_b to absorb into the queries.
  if (r.legacy_mla_gguf && r.engine->mla_cache_legacy_gguf == MlaCacheLayout::expanded &&
      (s.mla_cache == MlaCacheOverride::latent || s.mla_cache == MlaCacheOverride::latent_plus_v))
    throw InputError("%mla_cache% latent: " + r.quant->name + " keeps attn_kv_b whole (the legacy layout), which " +
                     r.engine->name +
                     " caches per head; ik_llama.cpp caches the latent of either layout (%engine% "
                     "ik_llama.cpp)");
  r.ubatch = s.ubatch != 0 ? s.ubatch : r.engine->default_ubatch;
  r.flash_attention = s.flash_attention.value_or(r.engine->flash_attention);
  const bool quantized_cache = r.kv_type->is_row_block() && r.kv_type->weights_per_block > 1;
  if (quantized_cache && !r.flash_attention && r.engine->quantized_v_needs_flash_attention)
    throw InputError(r.engine->id + " needs flash attention for a quantized V cache ('" + r.kv_type->id +
                     "'); drop %no_flash_attn% or use %kv_type% f16");
  if (s.no_mmap && r.engine->pinned_host_weights == PinnedHostWeights::never)
    throw InputError("%no_mmap% is a llama-server flag (llama.cpp, ik_llama.cpp); " + r.engine->name +
                     " does not take it");
  r.mmap = !s.no_mmap;
  if (s.no_op_offload && r.engine->op_offload_off_server_flag.empty())
    throw InputError("%no_op_offload% is a llama.cpp flag; " + r.engine->name + " does not take it" +
                     (r.engine->expert_offload_per_expert
                          ? " (it copies the experts kept in RAM to the GPU only for micro-batches that give each "
                            "routed expert " +
                                std::to_string(r.engine->expert_offload_min_batch) +
                                " tokens on average: a smaller %ubatch% leaves them to the CPU)"
                          : std::string()));
  r.op_offload = !s.no_op_offload;
  r.speculative_tokens = checked_speculative_tokens(s, r);
  r.build_date = checked_build_date(s, r);
  return r;
}

}  // namespace dsplan
