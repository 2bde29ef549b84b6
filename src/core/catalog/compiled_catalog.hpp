// Private: the embedded catalog compiled at build time. Parsing and checking 518 KB of JSON was
// three quarters of a whole `dsplan estimate` (docs/performance.md); the build parses and checks
// it once (src/build_tools/compile_catalog.cpp) and the binary reads back the resolved Catalog.
#pragma once

#include <string>
#include <string_view>

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/catalog/catalog_load.hpp"

namespace dsplan::detail {

/// The embedded data/*.json, parsed, merged and checked as load_catalog does, for one scope.
[[nodiscard]] Catalog load_embedded_json(CatalogScope scope);

/// A resolved catalog as bytes, every field of every entry (the field lists in
/// compiled_catalog.cpp; a field missing there makes the [compiled-catalog] test fail).
[[nodiscard]] std::string write_compiled_catalog(const Catalog& catalog);
/// The catalog write_compiled_catalog wrote; throws InternalError on bytes it did not write.
[[nodiscard]] Catalog read_compiled_catalog(std::string_view bytes);

/// The compiled catalog of a scope built into this binary (embedded_compiled_catalogs()); empty
/// where the build has none (the compiler itself, libFuzzer builds): the JSON is parsed instead.
[[nodiscard]] std::string_view compiled_catalog_bytes(CatalogScope scope);
/// The file name the build gives a scope's compiled catalog ("full.bin", "model_data.bin").
[[nodiscard]] std::string_view compiled_catalog_name(CatalogScope scope);

}  // namespace dsplan::detail
