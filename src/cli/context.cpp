// Catalog loading for the CLI: embedded data, then DSPLAN_CATALOG, then --catalog files.
#include "cli/context.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan::cli {

namespace {

/// Catalog files are small (the embedded catalog is ~0.5 MB); a cap keeps /dev/zero or a huge
/// file from exhausting memory.
constexpr std::uintmax_t k_max_catalog_file_bytes = 64ULL << 20;

CatalogLayer read_layer(const std::string& path) {
  // Check the kind first: opening a FIFO would block, and a directory or device is never a catalog.
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec) throw InputError("cannot read catalog file '" + path + "': " + ec.message());
  if (std::filesystem::is_directory(status)) throw InputError("catalog file '" + path + "' is a directory");
  if (!std::filesystem::is_regular_file(status))
    throw InputError("catalog file '" + path + "' is not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError("cannot read catalog file '" + path + "': " + ec.message());
  if (size > k_max_catalog_file_bytes)
    throw InputError("catalog file '" + path + "' is " + std::to_string(size) + " bytes; the limit is " +
                     std::to_string(k_max_catalog_file_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read catalog file '" + path + "': " + std::strerror(errno));
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw InputError("cannot read catalog file '" + path + "'");
  return {path, std::move(text)};
}

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t end = list.find(':', start);
    const std::string item = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!item.empty()) out.push_back(item);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> Context::env_catalog_files() const {
  return m_env.catalog_path ? split_paths(*m_env.catalog_path) : std::vector<std::string>{};
}

const Catalog& Context::catalog() {
  // Loaded once per run, at the scope set before this first call (reloading would drop a
  // --model-file's entries; lookups of data a model-only load skipped are InternalErrors).
  if (m_catalog) return *m_catalog;
  std::vector<CatalogLayer> layers;
  for (const auto& path : env_catalog_files()) layers.push_back(read_layer(path));
  for (const auto& path : global.catalog_files) layers.push_back(read_layer(path));
  m_catalog = load_embedded_catalog(layers, catalog_scope);
  return *m_catalog;
}

}  // namespace dsplan::cli
