// The compiled catalog (parsed and checked at build time) is the catalog the JSON gives, and user
// files on top of it give what they give on top of the JSON.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/catalog/compiled_catalog.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/catalog/catalog_load.hpp"

using namespace dsplan;

TEST_CASE("the compiled catalog is the parsed embedded catalog, field for field", "[compiled-catalog]") {
  for (const auto scope : {CatalogScope::full, CatalogScope::model_data}) {
    const std::string_view bytes = detail::compiled_catalog_bytes(scope);
    REQUIRE_FALSE(bytes.empty());  // this build compiles it (libFuzzer builds do not run these tests)
    const Catalog parsed = detail::load_embedded_json(scope);
    const Catalog compiled = detail::read_compiled_catalog(bytes);
    // Spot checks first, so a failure names a place; then every field of every entry.
    REQUIRE(compiled.models.size() == parsed.models.size());
    REQUIRE(compiled.quants.size() == parsed.quants.size());
    REQUIRE(compiled.has_hardware_data == (scope == CatalogScope::full));
    REQUIRE(compiled.quants.front().rules == parsed.quants.front().rules);
    REQUIRE(compiled.engines.front() == parsed.engines.front());
    REQUIRE(compiled == parsed);
    REQUIRE(load_embedded_catalog({}, scope) == parsed);
  }
}

TEST_CASE("the compiled catalog refuses bytes it did not write", "[compiled-catalog]") {
  const std::string bytes = detail::write_compiled_catalog(detail::load_embedded_json(CatalogScope::model_data));
  REQUIRE(detail::read_compiled_catalog(bytes) == detail::load_embedded_json(CatalogScope::model_data));
  REQUIRE_THROWS_AS(detail::read_compiled_catalog(bytes.substr(0, bytes.size() - 1)), InternalError);
  REQUIRE_THROWS_AS(detail::read_compiled_catalog(bytes.substr(0, bytes.size() / 2)), InternalError);
  REQUIRE_THROWS_AS(detail::read_compiled_catalog(bytes + "x"), InternalError);
  REQUIRE_THROWS_AS(detail::read_compiled_catalog("not a catalog"), InternalError);
  REQUIRE_THROWS_AS(detail::read_compiled_catalog(""), InternalError);
}

TEST_CASE("user files on the compiled catalog give what they give on the parsed one", "[compiled-catalog]") {
  // A replaced engine that another engine borrows its speed constants from (ik_llama.cpp's
  // "performance": "llama.cpp"), a new GPU, and a replaced model: the borrowed constants follow the
  // replacement, as when every layer is parsed and checked together.
  nlohmann::json engines;
  for (const auto& layer : embedded_catalog_layers())
    if (layer.origin == "embedded:engines.json") engines = nlohmann::json::parse(layer.text);
  nlohmann::json llama;
  for (const auto& e : engines.at("engines"))
    if (e.at("id") == "llama.cpp") llama = e;
  REQUIRE_FALSE(llama.is_null());
  llama["performance"]["classes"]["gddr"]["bandwidth_efficiency"] = 0.123;
  const std::vector<CatalogLayer> user{
      {"user.json", nlohmann::json{{"engines", {llama}}}.dump()},
      {"more.json", R"({"gpus": [{"id": "my-card", "name": "My Card", "vendor": "nvidia", "class": "consumer",
        "memory_bytes": 12884901888, "memory_bandwidth_bytes_per_s": 400000000000, "source": "datasheet"}]})"}};
  const Catalog on_compiled = load_embedded_catalog(user);
  auto layers = embedded_catalog_layers();
  layers.insert(layers.end(), user.begin(), user.end());
  const Catalog on_parsed = load_catalog(layers);
  REQUIRE(on_compiled.require_engine("ik_llama.cpp").performance.classes.at("gddr").bandwidth_efficiency == 0.123);
  REQUIRE(on_compiled.find_gpu("my-card") != nullptr);
  REQUIRE(on_compiled == on_parsed);
}
