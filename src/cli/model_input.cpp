// --model-file and file-valued MODEL arguments: read the file, register it, point the scenario at it.
#include "cli/model_input.hpp"

#include "dsplan/base/text.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "cli/model_files.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan::cli {

namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

/// "<prefix>-00001-of-00003" -> "<prefix>" (llama.cpp's split naming).
std::string without_split_suffix(const std::string& stem) {
  constexpr std::size_t k_tail = std::char_traits<char>::length("-00001-of-00003");
  if (stem.size() <= k_tail) return stem;
  const std::string tail = stem.substr(stem.size() - k_tail);
  for (std::size_t i : {1u, 2u, 3u, 4u, 5u, 10u, 11u, 12u, 13u, 14u})
    if (tail[i] < '0' || tail[i] > '9') return stem;
  return tail[0] == '-' && tail.compare(6, 4, "-of-") == 0 ? stem.substr(0, stem.size() - k_tail) : stem;
}

}  // namespace

bool is_model_file_argument(const std::string& arg, const Catalog& catalog) {
  if (ends_with(arg, ".gguf") || ends_with(arg, ".safetensors")) return true;
  if (starts_with(arg, "https://") || starts_with(arg, "http://") || starts_with(arg, "hf:")) return true;
  if (catalog.find_model(arg)) return false;
  std::error_code ec;
  return fs::exists(arg, ec);
}

std::string model_file_label(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.find_last_of("/:");
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (name == "model.safetensors.index.json" || name == "config.json" || name.empty() || name == ".") {
    const fs::path parent = fs::path(p).parent_path();
    name = parent.empty() ? fs::absolute(fs::path(".")).parent_path().filename().string() : parent.filename().string();
  }
  for (const char* ext : {".gguf", ".safetensors"})
    if (ends_with(name, ext)) name.resize(name.size() - std::char_traits<char>::length(ext));
  name = without_split_suffix(name);
  return name.empty() ? "model file" : printable(name);  // a file name reaches tables and titles
}

ModelFileChoice load_model_file(Context& ctx, const std::string& path, const std::string& model) {
  const ModelFileInfo info = inspect_path(path, ctx.catalog(), ctx.env());
  return add_model_file(ctx.mutable_catalog(), info, model, model_file_label(path));
}

void resolve_model_argument(std::string& model, std::string& quant, const std::string& model_file, Context& ctx) {
  std::string file = model_file;
  std::string named = model;
  if (!named.empty() && is_model_file_argument(named, ctx.catalog())) {
    if (!file.empty()) throw InputError("give the model file as MODEL or with --model-file, not both");
    file = named;
    named.clear();
  }
  if (file.empty()) {
    if (model.empty()) throw InputError("model is required (a catalog model, or a file with --model-file)");
    if (!quant.empty()) return;
    // A catalog entry that is a user's file (inspect --emit-catalog): that file, exactly.
    const ModelSpec* entry = ctx.catalog().find_model(model);
    if (entry == nullptr || entry->model_file.empty()) return;
    file = entry->model_file;
    named = entry->id;
    try {
      const ModelFileChoice choice = load_model_file(ctx, file, named);
      model = choice.model;
      quant = choice.quant;
    } catch (const InputError& e) {
      throw InputError(
          fmt::format("model '{}' is the file its catalog entry names (model_file): {}; give --quant "
                      "to size its architecture in a catalog format instead",
                      entry->id, e.what()));
    }
    return;
  }
  if (!quant.empty())
    throw InputError("--quant " + quant + " does not apply to a model file: its own tensors are the format");
  const ModelFileChoice choice = load_model_file(ctx, file, named);
  model = choice.model;
  quant = choice.quant;
}

}  // namespace dsplan::cli
