// load_catalog(layers of {origin, json text}) -> Catalog; schema validation with precise messages.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog.hpp"

namespace dsplan {

/// One catalog file's text and where it came from (a path, or "embedded:models.json").
struct CatalogLayer {
  std::string origin;
  std::string text;
};

/// The data/*.json files compiled into the binary, in load order.
[[nodiscard]] std::vector<CatalogLayer> embedded_catalog_layers();

/// Parses and merges layers in order: an entry whose id matches an earlier one replaces it
/// whole, new ids are added. Then checks every cross-reference. Throws CatalogError naming
/// the file, the JSON pointer of the bad field and what was expected.
[[nodiscard]] Catalog load_catalog(std::span<const CatalogLayer> layers);

/// What a command needs from the embedded catalog.
enum class CatalogScope : std::uint8_t {
  full,        ///< everything
  model_data,  ///< models, quant formats and engines only: a memory-only estimate (no GPU, price, task
               ///< or speed-band file is parsed; Catalog::has_hardware_data is false)
};

/// load_catalog(embedded_catalog_layers() followed by `overrides`), without copying the embedded text.
/// With overrides the scope is always full: a user file may refer to anything.
[[nodiscard]] Catalog load_embedded_catalog(std::span<const CatalogLayer> overrides = {},
                                            CatalogScope scope = CatalogScope::full);

}  // namespace dsplan
