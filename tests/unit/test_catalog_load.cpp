// Catalog loading: layering, overrides, and precise errors (file, JSON pointer, expectation).
#include <catch2/catch.hpp>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"

using namespace dsplan;

namespace {

Catalog load_with(const std::string& user_json) {
  auto layers = embedded_catalog_layers();
  layers.push_back({"user.json", user_json});
  return load_catalog(layers);
}

std::string error_of(const std::string& user_json) {
  try {
    (void)load_with(user_json);
  } catch (const CatalogError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("the embedded catalog loads", "[catalog]") {
  const auto cat = load_embedded_catalog();
  REQUIRE(cat.models.size() >= 13);
  REQUIRE(cat.gpus.size() >= 30);
  REQUIRE(cat.engines.size() == 5);
}

TEST_CASE("a user file overrides an entry by id and adds new ones", "[catalog]") {
  const auto cat = load_with(R"({"gpus": [
    {"id": "rtx3090", "name": "My 3090", "vendor": "nvidia", "class": "consumer", "memory_bytes": 25769803776,
     "memory_bandwidth_bytes_per_s": 900000000000, "source": "my measurement"},
    {"id": "my-card", "name": "My Card", "vendor": "nvidia", "class": "consumer", "memory_bytes": 12884901888,
     "memory_bandwidth_bytes_per_s": 400000000000, "source": "datasheet"}]})");
  REQUIRE(cat.require_gpu("rtx3090").name == "My 3090");
  REQUIRE(cat.require_gpu("rtx3090").bandwidth_bytes_per_s == 900'000'000'000ULL);
  REQUIRE(cat.require_gpu("my-card").memory.count() == 12'884'901'888ULL);
}

TEST_CASE("schema errors name the file, the JSON pointer and the expectation", "[catalog]") {
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "v", "class": "c", "memory_bytes": -5,
      "memory_bandwidth_bytes_per_s": 1, "source": "s"}]})") ==
          "user.json: /gpus/0/memory_bytes: expected a non-negative integer, got -5");
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "v", "class": "c",
      "memory_bandwidth_bytes_per_s": 1, "source": "s"}]})") == "user.json: /gpus/0: missing required field 'memory_bytes'");
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "v", "class": "c", "memroy_bytes": 5,
      "memory_bytes": 5, "source": "s"}]})") ==
          "user.json: /gpus/0: unknown field 'memroy_bytes' (did you mean 'memory_bytes'?)");
  REQUIRE(error_of(R"({"modles": []})") == "user.json: /: unknown field 'modles' (did you mean 'models'?)");
  REQUIRE(error_of("{\"gpus\": [}").rfind("user.json: /: invalid JSON: parse error at line 1, column 11: syntax error", 0) == 0);
  REQUIRE(error_of(R"({"quants": [{"id": "q", "containers": ["gguf"], "default_type": "q4_KK", "source": "s"}]})") ==
          "user.json: /quants/q/default_type: unknown block type 'q4_KK' (did you mean 'q4_K'?)");
  // Cross-reference errors name the file the entry came from, not "catalog".
  REQUIRE(error_of(R"({"cloud_prices": [{"gpu": "h1000", "provider": "p", "usd_per_gpu_hour": 1, "date": "d",
      "source": "s"}]})") == "user.json: /cloud_prices: price for unknown GPU 'h1000'");
  REQUIRE(error_of(R"({"host_prices": {"cpus": [{"cpu": "epyc-1", "usd": 1, "date": "d", "source": "s"}]}})") ==
          "user.json: /host_prices/cpus: price for unknown CPU 'epyc-1'");
  REQUIRE(error_of(R"({"models": [{"id": "m", "name": "M", "family": "f", "hf_repo": "r", "native_dtype": "bf16",
      "config_source": "s", "config": {"model_type": "mamba", "hidden_size": 8, "num_hidden_layers": 1,
      "num_attention_heads": 1, "intermediate_size": 8, "vocab_size": 8, "max_position_embeddings": 8}}]})") ==
          "user.json: /models/m/config/model_type: unknown model_type 'mamba' (no entry in 'architectures')");
  REQUIRE(error_of(R"({"models": [{"id": "m", "name": "M", "family": "f", "hf_repo": "r", "native_dtype": "bf16",
      "gguf_repo": {"repo": "a/b", "none": "why", "source": "s"}, "config_source": "s", "config": {"model_type": "llama",
      "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 8, "vocab_size": 8,
      "max_position_embeddings": 8}}]})") ==
          "user.json: /models/0/gguf_repo: gguf_repo needs exactly one of 'repo' and 'none'");
  REQUIRE(error_of(R"({"unmodelled_files": {"files": [{"id": "x", "model": "r2", "file": "UD-Q1", "hf": "a/b/UD-Q1/",
      "source": "s"}]}})") == "user.json: /unmodelled_files/files/x/model: unknown model 'r2'");
}

TEST_CASE("a name clash between entries is refused", "[catalog]") {
  const std::string err = error_of(R"({"gpus": [{"id": "my-card", "aliases": ["3090"], "name": "X", "vendor": "v",
      "class": "c", "memory_bytes": 5, "source": "s"}]})");
  REQUIRE(err == "catalog: /: GPU name '3090' is used by both 'rtx3090' and 'my-card'");
}

TEST_CASE("a model-data load parses models, formats and engines only, a user file makes it whole", "[catalog]") {
  const Catalog full = load_embedded_catalog();
  const Catalog models = load_embedded_catalog({}, CatalogScope::model_data);
  REQUIRE(full.has_hardware_data);
  REQUIRE_FALSE(models.has_hardware_data);
  REQUIRE(models.models.size() == full.models.size());
  REQUIRE(models.quants.size() == full.quants.size());
  REQUIRE(models.engines.size() == full.engines.size());
  REQUIRE(models.gpus.empty());
  REQUIRE(models.cloud_prices.empty());
  REQUIRE(models.tasks.empty());
  REQUIRE(models.speed_bands.empty());
  // Looking up what was not loaded is a bug, not an "unknown GPU" for the user.
  REQUIRE_THROWS_AS(models.find_gpu("rtx4090"), InternalError);
  REQUIRE_THROWS_AS(models.find_task("code"), InternalError);
  REQUIRE(full.find_gpu("rtx4090") != nullptr);
  // With a user file, anything may be referred to: everything is loaded.
  const std::vector<CatalogLayer> user{{"user.json", R"({"models": []})"}};
  REQUIRE(load_embedded_catalog(user, CatalogScope::model_data).has_hardware_data);
}

TEST_CASE("the network between nodes is catalog data with a source", "[catalog]") {
  // InfiniBand NDR: 400 Gb/s per port = 400e9 / 8 = 50e9 bytes/s.
  REQUIRE(load_embedded_catalog().internode_bytes_per_s == 400'000'000'000ULL / 8);
  REQUIRE_FALSE(load_embedded_catalog().internode_source.empty());
  REQUIRE(error_of(R"({"internode": {"bytes_per_s": 0, "source": ["x"]}})").find("/internode/bytes_per_s") !=
          std::string::npos);
}
