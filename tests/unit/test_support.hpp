// Shared test helpers: the embedded catalog, and the embedded catalog plus the fixture, each loaded once.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/serving/plan.hpp"

namespace dsplan::test {

inline const Catalog& catalog() {
  static const Catalog cat = load_embedded_catalog();
  return cat;
}

/// The embedded catalog with one more catalog file (by path) layered over it.
inline Catalog catalog_with_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  auto layers = embedded_catalog_layers();
  layers.push_back({path.substr(path.find_last_of('/') + 1), text.str()});
  return load_catalog(layers);
}

/// Embedded catalog + tests/fixtures/tiny_catalog.json (the hand-derived toy model).
inline const Catalog& fixture_catalog() {
  static const Catalog cat = catalog_with_file(std::string(DSPLAN_FIXTURES_DIR) + "/tiny_catalog.json");
  return cat;
}

/// A plan of `model` as `quant` ("": its default) on `engine` ("": the default), on `count` of
/// `gpu`, at `context` tokens.
inline PlanRequest plan_request(const char* model, const char* quant, const char* engine, const char* gpu,
                                std::uint64_t count, std::uint64_t context) {
  PlanRequest r;
  r.scenario.model = model;
  r.scenario.quant = quant;
  r.scenario.engine = engine;
  r.scenario.context = context;
  r.hardware = HardwareRequest{};
  r.hardware->gpus = {{gpu, count}};
  return r;
}

}  // namespace dsplan::test
