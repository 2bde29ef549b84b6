// A model given as a file (--model-file PATH, or a MODEL argument that is a file, URL or hf:
// reference): read, registered in the context's catalog as a model and a quant format.
#pragma once

#include <optional>
#include <string>

#include "cli/context.hpp"
#include "dsplan/files/file_weights.hpp"

namespace dsplan::cli {

/// True when a MODEL argument is a model file rather than a catalog name: it ends in .gguf or
/// .safetensors, is an https:// or http:// URL or an hf: reference, or is an existing path that
/// names no catalog model.
[[nodiscard]] bool is_model_file_argument(const std::string& arg, const Catalog& catalog);

/// "DeepSeek-R1-UD-IQ1_S" for ".../DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf"; a directory's
/// name for a checkpoint directory.
[[nodiscard]] std::string model_file_label(const std::string& path);

/// Reads `path` and registers it (add_model_file); `model` optionally names the catalog model the
/// file is. Returns the model and quant ids to put in a Scenario.
[[nodiscard]] ModelFileChoice load_model_file(Context& ctx, const std::string& path, const std::string& model);

/// For estimate and check: MODEL and --model-file into a scenario's model and quant. With a file
/// (given either way), `model` becomes the file's model id and `quant` the file's format;
/// --quant alongside a file is an InputError. Without MODEL or a file: "model is required".
void resolve_model_argument(std::string& model, std::string& quant, const std::string& model_file, Context& ctx);

}  // namespace dsplan::cli
