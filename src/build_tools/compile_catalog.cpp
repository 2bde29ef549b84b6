// Build step: parses and checks the embedded data/*.json once per scope and writes each resolved
// catalog (compiled_catalog.hpp) into OUTPUT_DIR, which cmake/EmbedFiles.cmake then compiles in.
// A catalog error fails the build here, naming the file and field, as it would at run time.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/catalog/compiled_catalog.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    for (const auto scope : {dsplan::CatalogScope::full, dsplan::CatalogScope::model_data}) {
      const std::string bytes = dsplan::detail::write_compiled_catalog(dsplan::detail::load_embedded_json(scope));
      const auto path = std::filesystem::path(argv[1]) / dsplan::detail::compiled_catalog_name(scope);
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out.flush()) {
        std::fprintf(stderr, "compile_catalog: cannot write %s\n", path.c_str());
        return 1;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compile_catalog: %s\n", e.what());
    return 1;
  }
  return 0;
}
