// Finding a model's files on disk (a GGUF or split set, safetensors or shards, config.json) and
// summarising them with the core readers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/run.hpp"

#include "dsplan/catalog/catalog.hpp"
#include "dsplan/files/model_file.hpp"

namespace dsplan::cli {

/// `path` is a .gguf (any part of a -0000K-of-0000N.gguf split set brings in every part), a
/// .safetensors file, a model.safetensors.index.json, a config.json, or a directory holding
/// shards, one safetensors file, GGUF files or a config.json (tried in that order); or a remote
/// reference (https:// URL, hf:OWNER/REPO/FILE-OR-PREFIX), read by inspect_remote.
[[nodiscard]] ModelFileInfo inspect_path(const std::string& path, const Catalog& catalog, const Env& env);

/// Every part's name of the split set "<prefix>-0000K-of-0000N.gguf" (llama.cpp
/// llama_split_path: "%s-%05d-of-%05d.gguf"); nullopt when `path` is not so named.
[[nodiscard]] std::optional<std::vector<std::string>> split_part_names(const std::string& path);

}  // namespace dsplan::cli
