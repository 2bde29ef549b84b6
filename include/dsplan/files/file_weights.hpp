// A model file's exact tensors as the estimator's weights (per block, routed experts, embedding,
// model-level tensors, groups, types), and the file registered in a catalog as one quant format
// of one model, so estimate, check, compare and recommend place the file's real bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/files/model_file.hpp"
#include "dsplan/model/quant.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// Tensor names of a container: GGUF ("blk.3.attn_q.weight") or Hugging Face
/// ("model.layers.3.self_attn.q_proj.weight").
enum class TensorNaming { gguf, hf };

/// What the estimator needs of one tensor of a file.
struct FileTensor {
  std::string_view name;
  std::string_view type;  ///< "q4_K", "BF16", ...
  std::uint64_t elements = 0;
  Bytes bytes;
};

/// Index into k_all_groups of a tensor's group; std::size(k_all_groups) when it has none
/// ("other"). FP8 scale tensors (…_scale_inv, …weight_scale) go with their weight.
[[nodiscard]] std::size_t file_tensor_group(std::string_view name, TensorNaming naming);

/// N of "blk.N." or "model.layers.N."; -1 for a model-level tensor (or a number past 2^31).
[[nodiscard]] std::int64_t file_tensor_block(std::string_view name, TensorNaming naming);

/// True for FP8 block-scale tensors (stored bytes, no parameters).
[[nodiscard]] bool is_scale_tensor(std::string_view name);

/// The tensors as the estimator's QuantizedModel: blocks 0..num_layers-1 are the main model
/// (block_bytes, block_routed_bytes), later blocks the MTP module (`mtp`); model-level tensors
/// are `globals`, token_embd / embed_tokens also `embedding`. Groups and types cover the main
/// model and the whole file as quantize_model's do. A block the file lacks stays at 0 bytes
/// (add_model_file refuses such a file).
[[nodiscard]] QuantizedModel file_weights(std::span<const FileTensor> tensors, TensorNaming naming,
                                          const ModelArch& arch, const FileLayout& layout);

/// A model file standing in for a quant format (QuantFormat::file): quantize_model returns
/// `weights` for `model_id` instead of applying rules.
struct FileWeights {
  std::string model_id;
  std::vector<std::string> files;
  QuantizedModel weights;
  Bytes file_bytes;        ///< the files on disk (the download)
  std::string stand_in;    ///< catalog format closest in bytes: its engines and quality figure apply
  /// The file's types that only some engines load (ik_llama.cpp's IQ*_K ...): when any, the
  /// engines are those that load them all, not the stand-in's.
  std::vector<std::string> engine_limiting_types;
};

/// Quant id under which add_model_file registers a file.
inline constexpr std::string_view k_file_quant_id = "file";

struct ModelFileChoice {
  std::string model;  ///< model id to put in a Scenario
  std::string quant;  ///< k_file_quant_id
};

/// Registers the file in `catalog`: a quant format `file` named `label` whose weights are the
/// file's (engines and quality from the catalog format closest in bytes), and, when no catalog
/// model has its architecture and shapes, a model built from the file's metadata (no
/// benchmarks). `model` (optional) names which catalog model the file is when several share its
/// shapes (R1, R1-0528, V3 ...). Throws InputError when the file has no tensors (config.json),
/// an architecture dsplan cannot build, or `model` has other shapes.
[[nodiscard]] ModelFileChoice add_model_file(Catalog& catalog, const ModelFileInfo& info, const std::string& model,
                                             const std::string& label);

}  // namespace dsplan
