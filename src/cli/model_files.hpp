// Finding a model's files on disk (a GGUF or split set, safetensors or shards, config.json) and
// summarising them with the core readers.
#pragma once

#include <string>

#include "dsplan/catalog.hpp"
#include "dsplan/model_file.hpp"

namespace dsplan::cli {

/// `path` is a .gguf (any part of a -0000K-of-0000N.gguf split set brings in every part), a
/// .safetensors file, a model.safetensors.index.json, a config.json, or a directory holding
/// shards, one safetensors file, GGUF files or a config.json (tried in that order).
[[nodiscard]] ModelFileInfo inspect_path(const std::string& path, const Catalog& catalog);

}  // namespace dsplan::cli
