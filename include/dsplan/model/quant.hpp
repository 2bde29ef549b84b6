// Storage type per tensor from a quant format's rules; bytes per tensor incl. block padding and scales.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/model/tensors.hpp"
#include "dsplan/base/units.hpp"

namespace dsplan {

/// What a weight file holds, beyond the checkpoint's tensor list.
struct FileLayout {
  std::string container = "safetensors";  ///< "safetensors" (HF checkpoint) or "gguf"
  /// GGUF conversions of DeepSeek-V3/R1 made before llama.cpp split attn_kv_b into
  /// attn_k_b/attn_v_b (convert_hf_to_gguf.py, PR #12801, April 2025) keep attn_kv_b whole.
  bool legacy_mla_gguf = false;
  /// Quantized with an importance matrix (llama-quantize --imatrix), which changes some formats'
  /// tensor types; unset: the format's own assumption (QuantFormat::imatrix).
  std::optional<bool> imatrix;
  /// A split-MLA GGUF that keeps attn_kv_b as well (ik_llama.cpp's conversions).
  bool keeps_attn_kv_b = false;
};

/// Whether the file was quantized with an importance matrix, where that changes its tensor types
/// (a format with imatrix-dependent rules, made by dsplan's recipe); unset otherwise.
[[nodiscard]] std::optional<bool> recipe_imatrix(const QuantFormat& quant, const FileLayout& layout);

/// The inventory as `layout` stores it. GGUF (llama.cpp convert_hf_to_gguf.py): the MTP block
/// is not converted; attn_kv_b becomes attn_k_b [qk_nope, kv_lora, heads] and attn_v_b
/// [kv_lora, v_head, heads] unless legacy; Llama-3 RoPE scaling adds rope_freqs [head_dim/2].
[[nodiscard]] TensorInventory file_inventory(const TensorInventory& inv, const ModelArch& arch,
                                             const FileLayout& layout);

/// GGUF tensor name, e.g. "blk.3.ffn_down_exps.weight" (block -1: a model-level tensor).
[[nodiscard]] std::string gguf_name(const Tensor& t, std::int64_t block);

/// Length of gguf_name(t, block), without building the string.
[[nodiscard]] std::uint64_t gguf_name_length(const Tensor& t, std::int64_t block);

/// Bytes of `t` stored as `type` (GGUF row blocks need cols divisible by the block).
[[nodiscard]] Bytes stored_bytes(const BlockType& type, const Tensor& t);

struct StoredTensor {
  Tensor tensor;
  std::int64_t block = -1;  ///< -1 for model-level tensors
  bool mtp = false;
  std::string type;         ///< block type id
  Bytes bytes;
  bool fell_back = false;   ///< the shape forced a fallback type (llama.cpp's incompatible-shape rule)
};

/// Storage types (block type ids) of one block's MLA up-projections; empty where the file has no
/// such tensor: attn_kv_b whole (legacy GGUFs), or attn_k_b and attn_v_b (split since PR #12801).
struct MlaProjectionTypes {
  std::string kv_b;
  std::string k_b;
  std::string v_b;
};

struct TypeUsage {
  std::string type;
  std::uint64_t tensors = 0;
  ParamCount params;
  Bytes bytes;
};

struct GroupUsage {
  TensorGroup group{};
  ParamCount params;
  Bytes bytes;
};

/// A model stored in one quant format: the totals, per block, per group and per storage type.
struct QuantizedModel {
  FileLayout layout;
  Bytes total;                    ///< every tensor in the file
  Bytes mtp;                      ///< of which the multi-token-prediction module
  Bytes globals;                  ///< model-level tensors (embedding, output head, final norm)
  Bytes embedding;                ///< of which token_embd (llama.cpp keeps it in host memory)
  std::vector<Bytes> block_bytes; ///< per main-model block, in order (for placing layers on devices)
  /// Per main-model block, its bytes by tensor group (indexed like k_all_groups): routed experts
  /// for expert offload, the groups an engine replicates under data-parallel attention.
  std::vector<std::array<Bytes, k_group_count>> block_group_bytes;
  /// Per main-model block, its MLA up-projections' types: filled for a GGUF model file of an MLA
  /// model (read from its tensors); a catalog format lists them in `tensors` when asked.
  std::vector<MlaProjectionTypes> block_mla_types;
  /// Per main-model block, tensors the engine derives at load and holds beside the file's
  /// (ik_llama.cpp's MLA projections, serving/derived_weights.hpp); empty: none. Not read per token.
  std::vector<Bytes> block_derived_bytes;
  ParamCount params;              ///< elements in the file (MTP included)
  std::uint64_t tensor_count = 0;
  std::vector<GroupUsage> groups; ///< main model only (MTP apart), indexed like k_all_groups
  std::vector<TypeUsage> types;   ///< every tensor, by storage type, in order of first use
  std::uint64_t fallbacks = 0;
  /// Per-tensor file metadata: GGUF tensor infos (gguf.c: name as u64 length + bytes, n_dims
  /// u32, dims u64 each, type u32, offset u64), or safetensors JSON header entries (~116 bytes
  /// per stored matrix, measured on Qwen2.5-32B-Instruct: 89,048 header bytes over 771 tensors).
  Bytes tensor_info_bytes;
  std::vector<StoredTensor> tensors;  ///< one entry per tensor, only when asked for

  /// Bytes of block `b`'s routed experts.
  [[nodiscard]] Bytes block_routed_bytes(std::size_t b) const {
    return block_group_bytes[b][static_cast<std::size_t>(TensorGroup::routed_experts)];
  }
  /// Block `b`'s bytes in memory: the file's and what the engine derives from them.
  [[nodiscard]] Bytes block_memory(std::size_t b) const {
    return block_derived_bytes.empty() ? block_bytes[b] : block_bytes[b] + block_derived_bytes[b];
  }
  /// Bytes an engine holds in memory when it does not load the MTP module.
  [[nodiscard]] Bytes without_mtp() const;
  /// Average bits per weight over the whole file.
  [[nodiscard]] double bits_per_weight() const;
};

/// Blocks a `layout` file of `a` holds after its main blocks (the MTP block a deepseek32 GGUF
/// carries): llama.cpp skips their weights at load, yet counts each as an -ngl slot and a cache layer.
[[nodiscard]] std::uint64_t skipped_file_blocks(const ModelArch& a, const FileLayout& layout);

/// Resolves each tensor's storage type (container rules, then the format's rules, then shape
/// fallbacks) and sums bytes. `keep_tensors` also lists every tensor (for --explain and tests).
/// Throws InputError when the format cannot store the model.
[[nodiscard]] QuantizedModel quantize_model(const Catalog& catalog, const ModelSpec& model, const QuantFormat& quant,
                                            const FileLayout& layout, bool keep_tensors = false);
/// The same, from the model's inventory (build_inventory(model.arch)) when the caller has it.
[[nodiscard]] QuantizedModel quantize_model(const Catalog& catalog, const ModelSpec& model, const QuantFormat& quant,
                                            const FileLayout& layout, const TensorInventory& inventory,
                                            bool keep_tensors = false);

/// Quantizes every catalog model in every format and container that can hold it, so that
/// `catalog validate` refuses block sizes and rules no estimate could use. Throws InputError
/// naming the format, the model and the tensor.
void check_formats(const Catalog& cat);

}  // namespace dsplan
