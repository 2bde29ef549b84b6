// Shared test helpers: the embedded catalog, and the embedded catalog plus the fixture, each loaded once.
#pragma once

#include <fstream>
#include <sstream>

#include "dsplan/catalog/catalog_load.hpp"

namespace dsplan::test {

inline const Catalog& catalog() {
  static const Catalog cat = load_embedded_catalog();
  return cat;
}

/// Embedded catalog + tests/fixtures/tiny_catalog.json (the hand-derived toy model).
inline const Catalog& fixture_catalog() {
  static const Catalog cat = [] {
    std::ifstream in(std::string(DSPLAN_FIXTURES_DIR) + "/tiny_catalog.json");
    std::ostringstream text;
    text << in.rdbuf();
    auto layers = embedded_catalog_layers();
    layers.push_back({"tiny_catalog.json", text.str()});
    return load_catalog(layers);
  }();
  return cat;
}

}  // namespace dsplan::test
