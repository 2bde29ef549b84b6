// dsplan_calibrate: runs the measurement set through dsplan and prints or writes the accuracy
// section of docs/validation.md and data/speed_bands.json (scripts/calibrate.sh).
//   dsplan_calibrate SOURCE_DIR [--write] [--residuals] [--side fit|validate] [--rows I,J,...] [--catalog FILE]...
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "measurements/evaluate.hpp"

namespace {
void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: dsplan_calibrate SOURCE_DIR [--write] [--residuals] [--side fit|validate] [--rows I,J,...] [--catalog FILE]...\n";
    return 2;
  }
  const std::string root = argv[1];
  dsplan::measure::Paths paths{root + "/tests/data/measurements.json", root + "/tests/data", {}, {}, {}};
  bool write_files = false, residuals = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--write") write_files = true;
    else if (a == "--residuals") residuals = true;
    else if (a == "--catalog" && i + 1 < argc) paths.extra_catalogs.emplace_back(argv[++i]);
    else if (a == "--side" && i + 1 < argc) paths.only_side = argv[++i];
    else if (a == "--rows" && i + 1 < argc) {
      std::istringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) paths.only_rows.push_back(std::stoul(item));
    }
    else {
      std::cerr << "dsplan_calibrate: unknown argument " << a << '\n';
      return 2;
    }
  }
  try {
    const auto rows = dsplan::measure::evaluate_all(paths);
    const std::string table = dsplan::measure::accuracy_markdown(rows);
    const std::string bands = dsplan::measure::speed_bands_json(rows);
    if (residuals) std::cout << dsplan::measure::residuals_tsv(rows);
    else std::cout << table;
    if (write_files) {
      const std::string doc_path = root + "/docs/validation.md";
      write(doc_path, dsplan::measure::replace_doc_section(dsplan::measure::read_text_file(doc_path), table));
      write(root + "/data/speed_bands.json", bands);
      std::cerr << "wrote docs/validation.md (generated section) and data/speed_bands.json; rebuild to embed the bands\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "dsplan_calibrate: " << e.what() << '\n';
    return 3;
  }
  return 0;
}
