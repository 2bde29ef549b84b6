// A model file's tensors as QuantizedModel, and the file registered in a catalog as a quant format.
#include "dsplan/files/file_weights.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/scenario/scenario.hpp"

namespace dsplan {

namespace {

constexpr std::size_t k_other_group = std::size(k_all_groups);

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }
std::size_t index_of(TensorGroup g) { return static_cast<std::size_t>(g); }

/// "blk.N.<role>.weight|bias" or "<role>.weight" with llama.cpp's role names (role_name());
/// biases of attention projections count with the norms, as the tensor inventory does.
std::size_t gguf_group(std::string_view name) {
  std::string_view rest = name;
  if (starts_with(rest, "blk.")) {
    rest.remove_prefix(4);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) return k_other_group;
    rest.remove_prefix(dot + 1);
  }
  const auto dot = rest.rfind('.');
  if (dot == std::string_view::npos) return k_other_group;
  const std::string_view base = rest.substr(0, dot);
  const std::string_view suffix = rest.substr(dot + 1);
  for (std::size_t r = 0; r < k_role_count; ++r) {
    const auto role = static_cast<TensorRole>(r);
    if (role_name(role) != base) continue;
    if (suffix == "bias" && role != TensorRole::ffn_exp_probs_b) return index_of(TensorGroup::norms);
    return index_of(group_of(role));
  }
  if (base == "exp_probs_b") return index_of(TensorGroup::router);
  return k_other_group;
}

std::size_t hf_group(std::string_view name) {
  if (contains(name, "embed_tokens")) return index_of(TensorGroup::embeddings);
  if (starts_with(name, "lm_head") || contains(name, "shared_head.head")) return index_of(TensorGroup::output_head);
  if (contains(name, "norm")) return index_of(TensorGroup::norms);
  if (contains(name, "self_attn.") && ends_with(name, ".bias")) return index_of(TensorGroup::norms);
  if (contains(name, "mlp.experts.")) return index_of(TensorGroup::routed_experts);
  if (contains(name, "mlp.shared_experts.")) return index_of(TensorGroup::shared_experts);
  if (contains(name, "mlp.gate.")) return index_of(TensorGroup::router);
  if (contains(name, "mlp.")) return index_of(TensorGroup::ffn);
  if (contains(name, "self_attn.") || contains(name, "eh_proj")) return index_of(TensorGroup::attention);
  return k_other_group;
}

bool is_embedding(std::string_view name, TensorNaming naming) {
  return naming == TensorNaming::gguf ? name == "token_embd.weight" : name == "model.embed_tokens.weight";
}

/// The catalog format of the file's container whose bytes for `model` come closest to the file's.
const QuantFormat* closest_format(const Catalog& cat, const ModelSpec& model, const std::string& container,
                                  Bytes file_bytes) {
  const QuantFormat* best = nullptr;
  std::uint64_t best_gap = UINT64_MAX;
  for (const auto& q : cat.quants) {
    if (q.file || std::find(q.containers.begin(), q.containers.end(), container) == q.containers.end()) continue;
    // A publisher's files of named models (unsloth's, ubergarm's) stand in for those models only.
    if (!q.models.empty() && std::find(q.models.begin(), q.models.end(), model.id) == q.models.end()) continue;
    FileLayout layout;
    layout.container = container;
    try {
      const Bytes b = quantize_model(cat, model, q, layout).total;
      const std::uint64_t gap = b > file_bytes ? b.count() - file_bytes.count() : file_bytes.count() - b.count();
      if (gap < best_gap) {
        best_gap = gap;
        best = &q;
      }
    } catch (const InputError&) {
      // The format cannot store this model: not a candidate.
    }
  }
  return best;
}

std::string slug(const std::string& text) {
  std::string out;
  for (char c : to_lower(text)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
    if (keep) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "model" : out;
}

/// A model spec for a file whose architecture no catalog model has.
ModelSpec model_from_file(const Catalog& cat, const ModelFileInfo& info, const std::string& label) {
  ModelSpec m;
  const std::string name = info.name.empty() ? label : info.name;
  m.id = slug(name);
  while (cat.find_model(m.id)) m.id += "-file";
  m.name = name;
  m.family = "custom";
  m.hf_repo = "local/" + m.id;
  m.native_quant = "bf16";
  for (const auto& t : info.types)
    if (t.type == "F8_E4M3") m.native_quant = "fp8";
  m.arch = *info.arch;
  if (m.arch.max_context == 0) m.arch.max_context = k_max_context;  // the file does not say
  m.config_source = info.files.front() + " (file metadata)";
  m.origin = info.files.front();
  return m;
}

}  // namespace

bool is_scale_tensor(std::string_view name) {
  return ends_with(name, "_scale_inv") || ends_with(name, ".weight_scale");
}

std::size_t file_tensor_group(std::string_view name, TensorNaming naming) {
  if (naming == TensorNaming::gguf) return gguf_group(name);
  if (is_scale_tensor(name)) name = name.substr(0, name.rfind('.'));
  return hf_group(name);
}

std::int64_t file_tensor_block(std::string_view name, TensorNaming naming) {
  const std::string_view prefix = naming == TensorNaming::gguf ? "blk." : "model.layers.";
  if (!starts_with(name, prefix)) return -1;
  name.remove_prefix(prefix.size());
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec != std::errc() || end == name.data() || end == name.data() + name.size() || *end != '.' ||
      n > INT32_MAX)
    return -1;
  return static_cast<std::int64_t>(n);
}

namespace {

/// Records the storage type of a GGUF block's MLA up-projection (any other tensor is not one).
void note_mla_type(MlaProjectionTypes& types, std::string_view name, std::string_view type) {
  const auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".attn_kv_b.weight")) types.kv_b = std::string(type);
  if (ends(".attn_k_b.weight")) types.k_b = std::string(type);
  if (ends(".attn_v_b.weight")) types.v_b = std::string(type);
}

}  // namespace

QuantizedModel file_weights(std::span<const FileTensor> tensors, TensorNaming naming, const ModelArch& arch,
                            const FileLayout& layout) {
  QuantizedModel q;
  q.layout = layout;
  const auto layers = static_cast<std::size_t>(arch.num_layers);
  q.block_bytes.assign(layers, Bytes(0));
  q.block_group_bytes.assign(layers, {});
  const bool mla_file = naming == TensorNaming::gguf && arch.kv_lora_rank > 0;
  if (mla_file) q.block_mla_types.assign(layers, {});
  for (const auto g : k_all_groups) q.groups.push_back({g, ParamCount(0), Bytes(0)});
  std::map<std::string_view, std::size_t> type_index;
  for (const auto& t : tensors) {
    const ParamCount params(is_scale_tensor(t.name) ? 0 : t.elements);
    const auto [it, added] = type_index.emplace(t.type, q.types.size());
    if (added) q.types.push_back({std::string(t.type), 0, ParamCount(0), Bytes(0)});
    TypeUsage& u = q.types[it->second];
    ++u.tensors;
    u.params += params;
    u.bytes += t.bytes;
    q.total += t.bytes;
    q.params += params;
    ++q.tensor_count;
    const std::int64_t block = file_tensor_block(t.name, naming);
    if (block >= 0 && static_cast<std::uint64_t>(block) >= arch.num_layers) {
      q.mtp += t.bytes;  // the multi-token-prediction block(s) follow the main model's
      continue;
    }
    const std::size_t group = file_tensor_group(t.name, naming);
    if (group < q.groups.size()) {
      q.groups[group].params += params;
      q.groups[group].bytes += t.bytes;
    }
    if (block < 0) {
      q.globals += t.bytes;
      if (is_embedding(t.name, naming)) q.embedding += t.bytes;
      continue;
    }
    const auto b = static_cast<std::size_t>(block);
    if (mla_file) note_mla_type(q.block_mla_types[b], t.name, t.type);
    q.block_bytes[b] += t.bytes;
    if (group < k_group_count) q.block_group_bytes[b][group] += t.bytes;
  }
  return q;
}

namespace {

/// The engines that load a file: its stand-in format's, unless the file stores types that only
/// some engines load (ik_llama.cpp's IQ*_K and _R4 types, listed in `limiting`): then those that
/// load every such type.
std::vector<std::string> file_engines(const Catalog& cat, const QuantizedModel& w,
                                      const std::vector<std::string>& stand_in_engines, const std::string& file,
                                      std::vector<std::string>& limiting) {
  std::vector<std::string> out;
  std::vector<std::string> which;  // "type (engines)", for the error
  for (const auto& e : cat.engines) out.push_back(e.id);
  for (const auto& t : w.types)
    if (const BlockType* b = cat.find_block_type(t.type); b && !b->engines.empty()) {
      limiting.push_back(t.type);
      which.push_back(t.type + " (" + join(b->engines) + ")");
      std::erase_if(out, [&](const std::string& e) { return !b->loaded_by(e); });
    }
  if (limiting.empty()) return stand_in_engines;
  if (out.empty()) throw InputError(file + ": no engine loads all of its types " + join(which));
  return out;
}

}  // namespace

ModelFileChoice add_model_file(Catalog& cat, const ModelFileInfo& info, const std::string& model,
                               const std::string& label) {
  const std::string& file = info.files.front();
  if (info.format == ModelFileFormat::config)
    throw InputError(file + ": a config.json holds no tensors; give the model's .gguf or .safetensors file(s)");
  if (!info.arch || !info.weights)
    throw InputError(file + ": " +
                     (info.arch_problem.empty() ? "architecture '" + info.architecture + "' is not one dsplan can build"
                                                : info.arch_problem) +
                     ", so dsplan cannot size it (dsplan inspect shows what it found)");
  const QuantizedModel& w = *info.weights;
  for (std::size_t b = 0; b < w.block_bytes.size(); ++b)
    if (w.block_bytes[b].count() == 0)
      throw InputError(file + ": no tensors for block " + std::to_string(b) + " of the " +
                       std::to_string(w.block_bytes.size()) + " its metadata declares");
  if (w.embedding.count() == 0) throw InputError(file + ": no token embedding tensor");

  std::string model_id;
  if (!model.empty()) {
    const ModelSpec& named = cat.require_model(model);
    if (std::find(info.catalog_matches.begin(), info.catalog_matches.end(), named.id) == info.catalog_matches.end())
      throw InputError(file + ": the file does not have " + named.name + "'s architecture and shapes" +
                       (info.catalog_model ? " (it matches " + *info.catalog_model + ")" : std::string(" (no catalog model has them)")));
    model_id = named.id;
  } else if (info.catalog_model) {
    model_id = *info.catalog_model;
  } else {
    cat.models.push_back(model_from_file(cat, info, label));
    model_id = cat.models.back().id;
  }
  const ModelSpec& spec = *cat.find_model(model_id);

  const std::string container(format_name(info.format));
  const QuantFormat* stand_in = closest_format(cat, spec, container, w.total);
  if (!stand_in) throw InputError(file + ": no catalog format of the " + container + " container can hold " + spec.name);
  auto fw = std::make_shared<FileWeights>();
  fw->model_id = model_id;
  fw->files = info.files;
  fw->weights = w;
  fw->file_bytes = info.file_bytes;
  fw->stand_in = stand_in->id;

  QuantFormat q;
  q.id = std::string(k_file_quant_id);
  q.name = label;
  q.containers = {container};
  q.default_type = stand_in->default_type;
  q.default_type_index = stand_in->default_type_index;
  q.imatrix = stand_in->imatrix;
  for (const auto& e : file_engines(cat, w, stand_in->engines, file, fw->engine_limiting_types))
    if (const EngineSpec* engine = cat.find_engine(e);
        engine &&
        std::find(engine->containers.begin(), engine->containers.end(), container) != engine->containers.end() &&
        engine_caches(*engine, spec.arch))
      q.engines.push_back(e);
  q.description = "the tensors of " + file + (info.files.size() > 1 ? " and its other parts" : "");
  q.source = file + " (tensor infos)";
  q.quality = stand_in->quality;
  if (stand_in->id == spec.native_quant) {
    q.quality = QuantQuality{0.0, "reference", "the file is the size of " + spec.name + "'s published " + stand_in->id};
  } else if (q.quality) {
    q.quality->basis = "proxy";
    q.quality->source = stand_in->id + "'s figure (the catalog format closest in size); " + q.quality->source;
  }
  q.file = std::move(fw);
  std::erase_if(cat.quants, [](const QuantFormat& x) { return x.id == k_file_quant_id; });
  cat.quants.push_back(std::move(q));
  return {model_id, std::string(k_file_quant_id)};
}

}  // namespace dsplan
