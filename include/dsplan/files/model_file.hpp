// What a model file holds: tensor counts and bytes by type and group, architecture, the catalog
// model it matches, MLA layout, parameters and KV bytes per token. One result for GGUF (one file
// or a split set), safetensors (one file or a sharded checkpoint) and config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/files/safetensors_reader.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

enum class ModelFileFormat { gguf, safetensors, config };

[[nodiscard]] std::string_view format_name(ModelFileFormat format);

struct TypeTally {
  std::string type;  ///< llama.cpp type name ("q4_K") or safetensors dtype ("BF16")
  std::uint64_t count = 0;
  Bytes bytes;
};

struct GroupTally {
  std::string group;  ///< group_name() of a TensorGroup, or "other"
  std::uint64_t count = 0;
  Bytes bytes;
};

struct ModelFileInfo {
  ModelFileFormat format = ModelFileFormat::gguf;
  std::vector<std::string> files;
  std::uint64_t tensor_count = 0;
  Bytes tensor_bytes;
  Bytes file_bytes;
  std::vector<TypeTally> types;    ///< by bytes, largest first
  std::vector<GroupTally> groups;  ///< in k_all_groups order, then "other"; empty groups left out
  std::string architecture;        ///< GGUF general.architecture, or config.json model_type
  std::string name;                ///< GGUF general.name, when given
  std::optional<ModelArch> arch;   ///< from config.json or the GGUF metadata, when derivable
  std::string arch_problem;        ///< why `arch` is not derivable from a GGUF (a missing or bad key ...)
  std::vector<std::string> catalog_matches;  ///< every catalog model with the same architecture and shapes
  std::optional<std::string> catalog_model;  ///< the best of them (name closest to the file's), or none
  std::optional<std::string> mla_layout;     ///< "legacy" (attn_kv_b whole) or "split" (attn_k_b + attn_v_b)
  std::optional<std::uint64_t> params_total; ///< files: elements stored (scales excluded); config: main model
  std::optional<std::uint64_t> kv_bytes_per_token;  ///< f16 cache, in kv_engine's layout
  /// 1 where every cache keeps one entry per token (the figure is exact); else the context the
  /// figure is averaged over (windowed and compressed caches, DeepSeek-V4).
  std::uint64_t kv_average_context = 1;
  std::string kv_engine;
  /// The tensors as the estimator places them (file_weights), when the architecture is known.
  std::optional<QuantizedModel> weights;
};

/// A GGUF file, or every part of a split set in order (split.no 0..count-1; checked).
[[nodiscard]] ModelFileInfo inspect_gguf(std::span<const GgufFile> parts, const Catalog& catalog);

/// One safetensors file or every shard of a checkpoint. With an index, every tensor it maps must
/// be in the shard it names; with a config.json, the architecture comes from it.
[[nodiscard]] ModelFileInfo inspect_safetensors(std::span<const SafetensorsFile> shards,
                                                const std::optional<SafetensorsIndex>& index,
                                                const std::optional<ModelArch>& config, const std::string& hint,
                                                const Catalog& catalog);

/// A config.json alone: parameters from the tensor inventory, KV bytes from the architecture.
[[nodiscard]] ModelFileInfo inspect_config(const std::string& origin, const ModelArch& arch, const Catalog& catalog);

/// The architecture a GGUF file's metadata describes (llama, qwen2, qwen3, deepseek2), or
/// nullopt when a needed key is missing or the architecture is not in the catalog.
/// Why gguf_model_arch finds no architecture: the first missing or unusable key or tensor.
[[nodiscard]] std::string gguf_arch_problem(const GgufFile& first, std::span<const GgufFile> parts,
                                            const Catalog& catalog);
[[nodiscard]] std::optional<ModelArch> gguf_model_arch(const GgufFile& first, std::span<const GgufFile> parts,
                                                       const Catalog& catalog);

/// Catalog models with the same llama.cpp architecture and every shape of `arch` equal.
[[nodiscard]] std::vector<std::string> matching_models(const ModelArch& arch, const Catalog& catalog);

}  // namespace dsplan
