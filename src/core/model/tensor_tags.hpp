// Private: the tags quant rules match (role names, llama.cpp categories, coarse kinds) as bits.
#pragma once

#include <optional>
#include <string_view>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/model/tensors.hpp"

namespace dsplan::detail {

/// Bit index of a tag name; nullopt for a name no tensor carries (a typo in a rule).
[[nodiscard]] std::optional<std::size_t> tag_index(std::string_view name);

/// Every tag a tensor carries: its role name, llama.cpp's category for it, and its kinds
/// (vector, linear, routed_expert, router, norm, ...). With tied embeddings llama.cpp
/// quantizes token_embd as the output head, so it carries the output category.
[[nodiscard]] TagMask tensor_tags(const Tensor& t, bool tied_embeddings, bool mtp);

/// llama.cpp's category of a tensor (llama_tensor_get_type's name tests), as a small integer
/// for per-category counters; also a tag.
enum class LlamaCategory : unsigned { token_embd, output, attn_v, attn_k, attn_q, attn_output, ffn_up, ffn_gate,
                                      ffn_down, other, count };
[[nodiscard]] LlamaCategory llama_category(TensorRole role, bool tied_embeddings);

}  // namespace dsplan::detail
