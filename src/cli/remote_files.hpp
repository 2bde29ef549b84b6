// Model files on a web server or the Hugging Face Hub, read by HTTP range requests (headers only).
#pragma once

#include <string>
#include <vector>

#include "cli/run.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/files/model_file.hpp"

namespace dsplan::cli {

/// An https:// (or http://) URL or an hf: reference.
[[nodiscard]] bool is_remote_reference(const std::string& ref);

/// The file URLs `ref` stands for: a URL as given (every part of a -0000K-of-0000N.gguf split
/// set); hf:OWNER/REPO/PATH under HF_ENDPOINT's /OWNER/REPO/resolve/main/, where a PATH that is
/// no .gguf/.safetensors file is a prefix looked up in the repository's file list (the GGUF
/// split set or the safetensors shards whose path starts with it).
[[nodiscard]] std::vector<std::string> remote_file_urls(const std::string& ref, const Env& env);

/// Reads the headers of the files `ref` stands for (and a config.json beside safetensors
/// shards) and summarises them as inspect_path does for local files.
[[nodiscard]] ModelFileInfo inspect_remote(const std::string& ref, const Catalog& catalog, const Env& env);

}  // namespace dsplan::cli
