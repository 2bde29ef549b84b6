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
  REQUIRE(cat.engines.size() == 6);
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
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "nvidia", "class": "datacenter", "memory_bytes": -5,
      "memory_bandwidth_bytes_per_s": 1, "source": "s"}]})") ==
          "user.json: /gpus/0/memory_bytes: expected a non-negative integer, got -5");
  // A whole number with an exponent is a floating-point token to JSON: the message says how to write it.
  REQUIRE(
      error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "nvidia", "class": "datacenter", "memory_bytes": 1e12,
      "memory_bandwidth_bytes_per_s": 1, "source": "s"}]})") ==
      "user.json: /gpus/0/memory_bytes: expected a non-negative integer written in digits, got 1e12 (write "
      "1000000000000)");
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "nvidia", "class": "datacenter",
      "memory_bandwidth_bytes_per_s": 1, "source": "s"}]})") ==
          "user.json: /gpus/0: missing required field 'memory_bytes'");
  REQUIRE(error_of(R"({"gpus": [{"id": "x", "name": "X", "vendor": "nvidia", "class": "datacenter", "memroy_bytes": 5,
      "memory_bytes": 5, "source": "s"}]})") ==
          "user.json: /gpus/0: unknown field 'memroy_bytes' (did you mean 'memory_bytes'?)");
  REQUIRE(error_of(R"({"modles": []})") == "user.json: /: unknown field 'modles' (did you mean 'models'?)");
  REQUIRE(error_of("{\"gpus\": [}").rfind("user.json: /: invalid JSON: parse error at line 1, column 11: syntax error", 0) == 0);
  REQUIRE(error_of(R"({"quants": [{"id": "q", "containers": ["gguf"], "default_type": "q4_KK", "source": "s"}]})") ==
          "user.json: /quants/q/default_type: unknown block type 'q4_KK' (did you mean 'q4_K'?)");
  // Cross-reference errors name the file the entry came from, not "catalog", and the field at fault
  // in it (audit 54: "/cloud_prices", the whole array).
  REQUIRE(error_of(R"({"cloud_prices": [{"gpu": "h100-sxm", "provider": "p", "usd_per_gpu_hour": 1, "date": "d",
      "source": "s"}, {"gpu": "h1000", "provider": "p", "usd_per_gpu_hour": 1, "date": "d",
      "source": "s"}]})") == "user.json: /cloud_prices/1/gpu: price for unknown GPU 'h1000'");
  REQUIRE(error_of(R"({"host_prices": {"cpus": [{"cpu": "epyc-1", "usd": 1, "date": "d", "source": "s"}]}})") ==
          "user.json: /host_prices/cpus/0/cpu: price for unknown CPU 'epyc-1'");
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
  const std::string err = error_of(R"({"gpus": [{"id": "my-card", "aliases": ["3090"], "name": "X", "vendor": "nvidia",
      "class": "datacenter", "memory_bytes": 5, "source": "s"}]})");
  // The later entry's file and place (/COLLECTION/ID/FIELD, as other reference errors), and the
  // earlier entry's file.
  REQUIRE(err ==
          "user.json: /gpus/my-card/aliases: GPU name '3090' is used by both 'rtx3090' (embedded:gpus.json) and "
          "'my-card'");
}

TEST_CASE("a key given twice in a catalog file is refused with its pointer", "[catalog]") {
  REQUIRE(error_of(R"({"gpus": [], "gpus": []})") ==
          "user.json: /gpus: duplicate key 'gpus': only one value per key is read; merge the two or remove one");
  REQUIRE(error_of(R"({"gpus": [{"id": "my-card", "name": "X", "name": "Y", "vendor": "nvidia", "class": "datacenter",
      "memory_bytes": 5, "source": "s"}]})")
              .rfind("user.json: /gpus/0/name: duplicate key 'name'", 0) == 0);
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

namespace {

/// A fork declared as users would: the fields an engine needs, and "performance" naming another engine.
std::string fork_engine(const std::string& performance, const std::string& extra = "",
                        const std::string& extra_source = "") {
  return R"({"engines": [{"id": "my-fork", "containers": ["gguf"], "mla_cache": "latent", "kv_cache_types": ["f16"],
      "default_kv_type": "f16", "runtime_overhead_bytes": 0, "compute_buffer_model": "llama.cpp", )" +
         extra + R"("performance": ")" + performance + R"(", "source": {"kv": "k", "compute": "c", "overhead": "o")" +
         extra_source + "}}]}";
}

}  // namespace

TEST_CASE("an engine can run with another engine's performance constants", "[catalog]") {
  const auto cat = load_with(fork_engine("llama.cpp"));
  const auto& fork = cat.require_engine("my-fork");
  const auto& llama = cat.require_engine("llama.cpp");
  REQUIRE(fork.performance_of == "llama.cpp");
  REQUIRE(fork.performance.classes.at("gddr").bandwidth_efficiency ==
          llama.performance.classes.at("gddr").bandwidth_efficiency);
  REQUIRE(fork.performance.build_eras.size() == llama.performance.build_eras.size());
  REQUIRE(fork.speed_class == "my-fork");  // its bands come from its own runs
  // The embedded fork does the same.
  REQUIRE(cat.require_engine("ik_llama.cpp").performance.hop_seconds == llama.performance.hop_seconds);
  REQUIRE(error_of(fork_engine("nope")) ==
          "user.json: /engines/my-fork/performance: 'nope' is not an engine with performance constants of its own");
  REQUIRE(error_of(fork_engine("ik_llama.cpp")) ==
          "user.json: /engines/my-fork/performance: 'ik_llama.cpp' is not an engine with performance constants of its "
          "own");
}

TEST_CASE("a fork's expert offload rule and CPU kernel factor are engine data with their sources", "[catalog]") {
  const auto cat = load_with(fork_engine(
      "llama.cpp",
      R"("expert_offload": {"min_batch": 64, "per_routed_expert": true, "source": "s"}, "cpu_prefill_factor": 1.5, )",
      R"(, "cpu_prefill": "fit")"));
  const auto& fork = cat.require_engine("my-fork");
  REQUIRE(fork.expert_offload_min_batch == 64);
  REQUIRE(fork.expert_offload_per_expert);
  REQUIRE(fork.cpu_prefill_factor == 1.5);
  REQUIRE(fork.source("expert_offload") == "s");
  // Mainline's defaults: ggml's 32 tokens, whatever the experts, and its own kernels.
  const auto& llama = cat.require_engine("llama.cpp");
  REQUIRE(llama.expert_offload_min_batch == 32);
  REQUIRE_FALSE(llama.expert_offload_per_expert);
  REQUIRE(llama.cpu_prefill_factor == 1.0);
  REQUIRE(error_of(fork_engine("llama.cpp", R"("cpu_prefill_factor": 1.5, )")) ==
          "user.json: /engines/0/source: missing the 'cpu_prefill' source");
  REQUIRE(error_of(fork_engine("llama.cpp", R"("cpu_prefill_factor": 0, )", R"(, "cpu_prefill": "fit")"))
              .find("/engines/0/cpu_prefill_factor") != std::string::npos);
  REQUIRE(error_of(fork_engine("llama.cpp", R"("expert_offload": {"min_batch": 32}, )"))
              .find("/engines/0/expert_offload: missing required field 'source'") != std::string::npos);
}

TEST_CASE("the flags that turn an engine's op offload off are engine data", "[catalog]") {
  const auto cat = load_with(fork_engine(
      "llama.cpp", R"("expert_offload": {"min_batch": 32, "off_flags": {"server": "--off", "bench": "-off 1"}, )"
                   R"("source": "s"}, )"));
  REQUIRE(cat.require_engine("my-fork").op_offload_off_server_flag == "--off");
  REQUIRE(cat.require_engine("my-fork").op_offload_off_bench_flag == "-off 1");
  // llama.cpp PR #13386: llama-server --no-op-offload, llama-bench -nopo 1; the fork has neither.
  REQUIRE(cat.require_engine("llama.cpp").op_offload_off_server_flag == "--no-op-offload");
  REQUIRE(cat.require_engine("llama.cpp").op_offload_off_bench_flag == "-nopo 1");
  REQUIRE(cat.require_engine("ik_llama.cpp").op_offload_off_server_flag.empty());
  REQUIRE(error_of(fork_engine("llama.cpp", R"("expert_offload": {"min_batch": 32, "off_flags": )"
                                            R"({"server": "--off", "bench": ""}, "source": "s"}, )"))
              .find("/engines/0/expert_offload/off_flags/bench: expected a non-empty string") != std::string::npos);
  REQUIRE(error_of(fork_engine("llama.cpp", R"("expert_offload": {"min_batch": 32, "off_flags": )"
                                            R"({"server": "--off"}, "source": "s"}, )"))
              .find("/engines/0/expert_offload/off_flags") != std::string::npos);
}

TEST_CASE("MTP acceptance is the architecture's data and drafting the engine's", "[catalog][mtp]") {
  const auto cat = load_with(fork_engine("llama.cpp", R"("mtp_draft": true, )"));
  REQUIRE(cat.require_engine("my-fork").mtp_draft);
  REQUIRE_FALSE(cat.require_engine("llama.cpp").mtp_draft);
  // DeepSeek-V3 report: 85-90 % for the second token; V4: InferenceX's curve, 4 positions.
  REQUIRE(cat.architectures.at("deepseek_v3").mtp_acceptance == std::vector<double>{0.85});
  REQUIRE(cat.architectures.at("deepseek_v4").mtp_acceptance.size() == 4);
  REQUIRE(cat.architectures.at("qwen2").mtp_acceptance.empty());
  // An engine's acceptance rate (the schema before 2026-12-06) says where it went.
  REQUIRE(error_of(fork_engine("llama.cpp", R"("mtp_acceptance": 0.8, )")).find("models.json's architectures") !=
          std::string::npos);
  REQUIRE(error_of(R"({"architectures": {"x": {"attention": "mla", "mtp_acceptance": {"per_position": [], )"
                   R"("source": "s"}, "source": "s"}}})")
              .find("/architectures/x/mtp_acceptance/per_position: expected 1 to 8 rates") != std::string::npos);
  REQUIRE(error_of(R"({"architectures": {"x": {"attention": "mla", "mtp_acceptance": {"per_position": [1.5], )"
                   R"("source": "s"}, "source": "s"}}})")
              .find("/architectures/x/mtp_acceptance/per_position/0") != std::string::npos);
}

TEST_CASE("when an engine pins the weights it keeps in RAM is engine data with its source", "[catalog]") {
  const auto cat = load_with(
      fork_engine("llama.cpp", R"("pinned_host_weights": "no_mmap_or_overrides", )", R"(, "pinned_host": "s")"));
  REQUIRE(cat.require_engine("my-fork").pinned_host_weights == PinnedHostWeights::no_mmap_or_overrides);
  REQUIRE(cat.require_engine("my-fork").source("pinned_host") == "s");
  const auto embedded = load_embedded_catalog();
  REQUIRE(embedded.require_engine("llama.cpp").pinned_host_weights == PinnedHostWeights::no_mmap);
  REQUIRE(embedded.require_engine("ik_llama.cpp").pinned_host_weights == PinnedHostWeights::no_mmap_or_overrides);
  REQUIRE(embedded.require_engine("ollama").pinned_host_weights == PinnedHostWeights::never);
  REQUIRE(embedded.require_engine("vllm").pinned_host_weights == PinnedHostWeights::never);
  REQUIRE(error_of(fork_engine("llama.cpp", R"("pinned_host_weights": "no_mmap", )")) ==
          "user.json: /engines/0/source: missing the 'pinned_host' source");
  REQUIRE(error_of(fork_engine("llama.cpp", R"("pinned_host_weights": "always", )", R"(, "pinned_host": "s")"))
              .find("/engines/0/pinned_host_weights") != std::string::npos);
}

TEST_CASE("a fork's own block types bind the formats and engines that use them", "[catalog]") {
  const auto cat = load_embedded_catalog();
  // ik_llama.cpp's IQ4_KS: 136 bytes per 256 weights plus a 4-byte float per row (its
  // ggml-common.h and type_traits row_meta_size); a 7,168 x 2,048 matrix is 2,048 x (4 + 28 x 136).
  const BlockType& iq4_ks = cat.require_block_type("iq4_ks");
  REQUIRE(iq4_ks.bytes_per_row == 4);
  REQUIRE(iq4_ks.loaded_by("ik_llama.cpp"));
  REQUIRE_FALSE(iq4_ks.loaded_by("llama.cpp"));
  REQUIRE(cat.require_block_type("q4_K").loaded_by("llama.cpp"));
  REQUIRE(
      error_of(R"({"quants": [{"id": "ik-only", "containers": ["gguf"], "default_type": "iq2_k",
      "engines": ["ik_llama.cpp", "llama.cpp"], "source": "s"}]})") ==
      "user.json: /quants/ik-only/engines: engine 'llama.cpp' does not load block type 'iq2_k' (only ik_llama.cpp)");
  REQUIRE(error_of(R"({"block_types": [{"id": "x", "weights_per_block": 32, "bytes_per_block": 20,
      "engines": ["nope"], "source": "s"}]})") == "catalog: /block_types/x/engines: unknown engine 'nope'");
  REQUIRE_THAT(error_of(R"({"block_types": [{"id": "x", "element_bits": 4, "bytes_per_row": 2, "source": "s"}]})"),
               Catch::Contains("bytes_per_row needs the row-block layout"));
}

TEST_CASE("a task whose metrics all weigh 0 is a catalog error and not a task no model can rank on", "[catalog]") {
  REQUIRE(error_of(R"({"tasks": [{"id": "t", "metrics": [{"weight": 0, "keys": ["aime_2024"]}]}]})") ==
          "user.json: /tasks/0/metrics: every metric has weight 0: give at least one a weight above 0");
  // One weighted metric beside a zero one is a task.
  REQUIRE(error_of(R"({"tasks": [{"id": "t", "metrics": [{"weight": 0, "keys": ["aime_2024"]},
      {"weight": 1, "keys": ["math_500"]}]}]})") == "no error");
}
