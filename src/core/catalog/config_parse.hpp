// Private: config.json values -> ModelArch, shared by the catalog loader and hf_config.
#pragma once

#include "dsplan/catalog/catalog.hpp"
#include "core/catalog/json_node.hpp"

namespace dsplan::detail {

/// The subset of a Hugging Face config.json that dsplan reads (defined in catalog_load.cpp).
/// Traits are not filled: they come from the catalog's `architectures` by model_type.
[[nodiscard]] ModelArch parse_config(const JsonNode& config);

}  // namespace dsplan::detail
