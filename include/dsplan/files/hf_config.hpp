// Hugging Face config.json -> ModelArch, for models outside the catalog.
#pragma once

#include <string>

#include "dsplan/catalog/catalog.hpp"

namespace dsplan {

/// Parses config.json text with the catalog's own config parser (the `config` object of
/// data/models.json) and attaches the traits of its model_type from the catalog's
/// `architectures`. Throws InputError naming `origin` and the JSON pointer of a bad field, or
/// the model_type when the catalog does not know it.
/// The first field of `arch` beyond what any real model has (so a hostile config cannot make the
/// inventory allocate without bound): layers <= 65,536, MTP layers <= 64, every other size
/// <= 2^24. Empty when every field is within bounds.
[[nodiscard]] std::string arch_limit_violation(const ModelArch& arch);

[[nodiscard]] ModelArch parse_hf_config(const std::string& origin, const std::string& text, const Catalog& catalog);

}  // namespace dsplan
