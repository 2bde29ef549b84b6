// Model files on disk: which files make up the model, read with FileSource, summarised by the core.
#include "cli/model_files.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/file_source.hpp"
#include "cli/remote_files.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/files/hf_config.hpp"
#include "dsplan/files/safetensors_reader.hpp"

namespace dsplan::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t k_max_config_bytes = 16ULL * 1024 * 1024;
constexpr std::uint64_t k_max_index_bytes = 100ULL * 1000 * 1000;
constexpr std::uint64_t k_max_parts = 10'000;

bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::optional<std::vector<std::string>> local_split_parts(const std::string& path) {
  const auto parts = split_part_names(path);
  if (!parts) return parts;
  for (std::size_t i = 0; i < parts->size(); ++i)
    if (!fs::is_regular_file((*parts)[i]))
      throw InputError((*parts)[i] + ": part " + std::to_string(i + 1) + " of " + std::to_string(parts->size()) +
                       " of " + path + "'s split set is missing");
  return parts;
}

ModelFileInfo inspect_gguf_path(const std::string& path, const Catalog& catalog) {
  const auto parts = local_split_parts(path);
  std::vector<GgufFile> files;
  for (const auto& p : parts ? *parts : std::vector<std::string>{path}) {
    const FileSource src(p);
    files.push_back(read_gguf(src, catalog));
  }
  return inspect_gguf(files, catalog);
}

std::optional<ModelArch> sibling_config(const fs::path& dir, const Catalog& catalog) {
  const fs::path config = dir / "config.json";
  if (!fs::is_regular_file(config)) return std::nullopt;
  return parse_hf_config(config.string(), read_text_file(config.string(), k_max_config_bytes), catalog);
}

ModelFileInfo inspect_safetensors_paths(const std::vector<std::string>& paths, const std::optional<SafetensorsIndex>& index,
                                        const fs::path& dir, const std::string& hint, const Catalog& catalog) {
  std::vector<SafetensorsFile> shards;
  for (const auto& p : paths) {
    const FileSource src(p);
    shards.push_back(read_safetensors(src));
  }
  return inspect_safetensors(shards, index, sibling_config(dir, catalog), hint, catalog);
}

ModelFileInfo inspect_index(const fs::path& index_path, const Catalog& catalog) {
  const std::string text = read_text_file(index_path.string(), k_max_index_bytes);
  const SafetensorsIndex index = parse_safetensors_index(index_path.string(), text);
  if (index.files.size() > k_max_parts) throw InputError(index_path.string() + ": more than 10,000 shards");
  const fs::path dir = index_path.parent_path();
  std::vector<std::string> paths;
  for (const auto& f : index.files) {
    paths.push_back((dir / f).string());
    if (!fs::is_regular_file(paths.back()))
      throw InputError(paths.back() + ": shard named by " + index_path.string() + " is missing");
  }
  return inspect_safetensors_paths(paths, index, dir, fs::absolute(dir).string(), catalog);
}

ModelFileInfo inspect_config_path(const std::string& path, const Catalog& catalog) {
  const ModelArch arch = parse_hf_config(path, read_text_file(path, k_max_config_bytes), catalog);
  return inspect_config(path, arch, catalog);
}

ModelFileInfo inspect_directory(const fs::path& dir, const Catalog& catalog) {
  if (fs::is_regular_file(dir / "model.safetensors.index.json"))
    return inspect_index(dir / "model.safetensors.index.json", catalog);
  std::vector<std::string> safetensors;
  std::vector<std::string> gguf;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string p = e.path().string();
    if (ends_with(p, ".safetensors")) safetensors.push_back(p);
    if (ends_with(p, ".gguf")) gguf.push_back(p);
  }
  std::sort(safetensors.begin(), safetensors.end());
  std::sort(gguf.begin(), gguf.end());
  // One model per directory: a second file set is never chosen for the user silently.
  if (!safetensors.empty() && !gguf.empty())
    throw InputError(dir.string() + ": holds both safetensors and GGUF files; name the file you mean");
  if (!safetensors.empty())
    return inspect_safetensors_paths(safetensors, std::nullopt, dir, fs::absolute(dir).string(), catalog);
  if (gguf.size() == 1) return inspect_gguf_path(gguf.front(), catalog);
  if (const auto parts = gguf.empty() ? std::nullopt : split_part_names(gguf.front())) {
    std::vector<std::string> sorted = *parts;
    std::sort(sorted.begin(), sorted.end());
    // Every file a part of the set (a missing part is named there): the set.
    if (std::includes(sorted.begin(), sorted.end(), gguf.begin(), gguf.end()))
      return inspect_gguf_path(gguf.front(), catalog);
  }
  if (gguf.size() > 1)
    throw InputError(dir.string() + ": holds " + std::to_string(gguf.size()) +
                     " GGUF files that are not one split set; name the one you mean");
  if (fs::is_regular_file(dir / "config.json")) return inspect_config_path((dir / "config.json").string(), catalog);
  throw InputError(dir.string() + ": no model.safetensors.index.json, *.safetensors, *.gguf or config.json in it");
}

bool has_gguf_magic(const std::string& path) {
  const FileSource src(path);
  if (src.size() < 4) return false;
  std::uint8_t magic[4];
  src.read(0, magic);
  return magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
}

}  // namespace

std::optional<std::vector<std::string>> split_part_names(const std::string& path) {
  constexpr std::size_t k_tail = std::char_traits<char>::length("-00001-of-00009.gguf");
  if (path.size() < k_tail || !ends_with(path, ".gguf")) return std::nullopt;
  const std::string tail = path.substr(path.size() - k_tail);
  const auto digits = [&](std::size_t from) {
    for (std::size_t i = from; i < from + 5; ++i)
      if (tail[i] < '0' || tail[i] > '9') return false;
    return true;
  };
  if (tail[0] != '-' || tail.compare(6, 4, "-of-") != 0 || !digits(1) || !digits(10)) return std::nullopt;
  const std::uint64_t count = std::stoull(tail.substr(10, 5));
  if (count == 0 || count > k_max_parts) throw InputError(path + ": a split set of " + std::to_string(count) + " parts?");
  const std::string prefix = path.substr(0, path.size() - k_tail);
  std::vector<std::string> parts;
  for (std::uint64_t i = 1; i <= count; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "-%05llu-of-%05llu.gguf", static_cast<unsigned long long>(i),
                  static_cast<unsigned long long>(count));
    parts.push_back(prefix + buf);
  }
  return parts;
}

ModelFileInfo inspect_path(const std::string& path, const Catalog& catalog, const Env& env) {
  if (is_remote_reference(path)) return inspect_remote(path, catalog, env);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path + ": no such file or directory");
  if (fs::is_directory(status)) return inspect_directory(path, catalog);
  if (ends_with(path, ".gguf")) return inspect_gguf_path(path, catalog);
  if (ends_with(path, ".safetensors")) {
    const fs::path p(path);
    return inspect_safetensors_paths({path}, std::nullopt, p.parent_path().empty() ? "." : p.parent_path(),
                                     fs::absolute(p).string(), catalog);
  }
  if (ends_with(path, ".index.json")) return inspect_index(path, catalog);
  if (ends_with(path, ".json")) return inspect_config_path(path, catalog);
  if (has_gguf_magic(path)) return inspect_gguf_path(path, catalog);
  throw InputError(path + ": not a .gguf, .safetensors or .json file, and no GGUF magic");
}

}  // namespace dsplan::cli
