// The whole CLI in-process: JSON fields and types, exit codes, one-line errors, no partial output.
#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using nlohmann::json;

using dsplan::test::fixture;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;

TEST_CASE("estimate --json carries the documented fields as integers", "[cli]") {
  const auto o = run_cli({"estimate", "70b", "--quant", "q4_k_m", "--json"});
  REQUIRE(o.code == 0);
  REQUIRE(o.err.empty());
  const auto j = json::parse(o.out);
  REQUIRE(j["schema_version"] == 1);
  REQUIRE(j["model"]["id"] == "r1-distill-llama-70b");
  REQUIRE(j["model"]["params_total"].get<std::uint64_t>() == 70'553'706'496ULL);
  REQUIRE(j["model"]["params_active"].is_number_unsigned());
  REQUIRE(j["quant"]["id"] == "q4_k_m");
  REQUIRE(j["engine"]["id"] == "llama.cpp");
  REQUIRE(j["context"] == 4096);
  REQUIRE(j["batch"] == 1);
  REQUIRE(j["kv_bytes_per_token"].get<std::uint64_t>() == 327'680);
  const auto& m = j["memory"];
  for (const char* key : {"weights_bytes", "kv_cache_bytes", "compute_buffer_bytes", "overhead_bytes", "total_bytes"})
    REQUIRE(m[key].is_number_unsigned());
  REQUIRE(m["total_bytes"].get<std::uint64_t>() ==
          m["weights_bytes"].get<std::uint64_t>() + m["kv_cache_bytes"].get<std::uint64_t>() +
              m["compute_buffer_bytes"].get<std::uint64_t>() + m["overhead_bytes"].get<std::uint64_t>());
  std::uint64_t by_role = 0;
  for (const auto& r : m["weights"]["by_role"]) by_role += r["bytes"].get<std::uint64_t>();
  REQUIRE(by_role == m["weights_bytes"].get<std::uint64_t>());
  REQUIRE(j["disk_bytes"].get<std::uint64_t>() > m["weights_bytes"].get<std::uint64_t>());
}

TEST_CASE("defaults: native dtype, context 4096, batch 1, engine follows the quant", "[cli]") {
  const auto j = json::parse(run_cli({"estimate", "14b", "--json"}).out);
  REQUIRE(j["quant"]["id"] == "bf16");
  REQUIRE(j["engine"]["id"] == "vllm");
  REQUIRE(j["context"] == 4096);
  REQUIRE(j["batch"] == 1);
  const auto r1 = json::parse(run_cli({"estimate", "r1", "--json"}).out);
  REQUIRE(r1["quant"]["id"] == "fp8");
  REQUIRE(r1["memory"]["kv_cache"]["layout"] == "mla_latent");
  const auto ollama = json::parse(run_cli({"estimate", "r1", "--engine", "ollama", "--json"}).out);
  REQUIRE(ollama["quant"]["id"] == "q4_k_m");
}

TEST_CASE("usage and input errors: exit 2, one line, nothing on stdout", "[cli]") {
  require_usage_error(run_cli({"estimate", "70x"}), "unknown model '70x' (did you mean: 70b");
  require_usage_error(run_cli({"estimate", "70b", "--quant", "q4kz"}), "unknown quant 'q4kz'");  // q4km is q4_k_m, loosely
  require_usage_error(run_cli({"estimate", "70b", "--engine", "lama.cpp"}), "unknown engine 'lama.cpp'");
  require_usage_error(run_cli({"estimate", "70b", "--context", "-1"}), "--context");
  require_usage_error(run_cli({"estimate", "70b", "--context", "lots"}), "is not a token count");
  require_usage_error(run_cli({"estimate", "70b", "--context", "0"}), "out of range");
  require_usage_error(run_cli({"estimate", "70b", "--context", "999999999"}), "out of range");
  require_usage_error(run_cli({"estimate", "70b", "--context", "1m"}), "exceeds");
  require_usage_error(run_cli({"estimate", "70b", "--batch", "0"}), "--batch");
  require_usage_error(run_cli({"estimate", "70b", "--batch", "2.5"}), "not a whole number");
  require_usage_error(run_cli({"estimate", "70b", "--engine", "vllm", "--quant", "q4_k_m"}), "cannot load quant");
  require_usage_error(run_cli({"estimate", "70b", "--quant", "q4_k_m", "--kv-type", "q8_0", "--no-flash-attn"}),
                      "flash attention");
  require_usage_error(run_cli({"estimate", "70b", "--kv-type", "q4_0"}), "not offered by vllm");
  // 'auto' is vLLM's name for the model's dtype; llama.cpp has none, and used to get bf16 silently.
  require_usage_error(run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--kv-type", "auto"}),
                      "llama.cpp has no 'auto' cache type");
  REQUIRE(run_cli({"estimate", "70b", "--gpu", "h100-sxm", "--kv-type", "auto"}).code == 0);
  require_usage_error(run_cli({"estimate", "70b", "--no-mmap"}), "--no-mmap is a llama-server flag");  // vLLM's default
  require_usage_error(run_cli({"estimate", "70b", "-e", "ollama", "--no-mmap"}), "does not take it");
  require_usage_error(run_cli({"estimate", "70b", "--legacy-mla-gguf"}), "MLA");
  // V4's catalog architecture has no llama_cpp_arch (no merged llama.cpp support to follow).
  require_usage_error(run_cli({"estimate", "v4-flash", "--quant", "q4_k_m"}),
                      "DeepSeek-V4-Flash's GGUF files are sized from the files themselves: give one with --model-file");
  // DeepSeek Sparse Attention needs an engine that runs the indexer; Ollama's catalog entry does not.
  require_usage_error(run_cli({"estimate", "v3.2", "--quant", "q4_k_m", "--engine", "ollama"}),
                      "Ollama is not known to run it");
  require_usage_error(run_cli({"estimate", "8b", "-q", "q4_k_m", "--build-date", "2025-13"}), "expected YYYY-MM");
  require_usage_error(run_cli({"estimate", "8b", "-q", "q4_k_m", "--build-date", "last year"}), "expected YYYY-MM");
  require_usage_error(run_cli({"estimate", "8b", "-q", "q4_k_m", "--build-date", "2025-02-29"}), "expected YYYY-MM");
  require_usage_error(run_cli({"estimate", "8b", "--engine", "vllm", "--build-date", "2024-05"}),
                      "no older builds of vLLM");
  // llama.cpp's first commit is of March 2023: that month is a build date, the one before is not.
  REQUIRE(run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--build-date", "2023-03"}).code == 0);
  require_usage_error(run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--build-date", "2023-02"}),
                      "before llama.cpp's first release");
  require_usage_error(run_cli({"estimate"}), "model is required");
  require_usage_error(run_cli({"estimat", "70b"}), "unknown command 'estimat' (did you mean: estimate?)");
  require_usage_error(run_cli({}), "dsplan needs a command: recommend");
  require_usage_error(run_cli({"estimate", "70b", "--frobnicate"}), "frobnicate");
  require_usage_error(run_cli({"--catalog", "/nonexistent/x.json", "list"}), "cannot read catalog file");
  require_usage_error(run_cli({"list", "cows"}), "cannot list 'cows'");
}

TEST_CASE("absurd but valid requests are computed exactly, in integers", "[cli]") {
  // R1 with Transformers' expanded cache: 163,840 tokens x 1,000,000 sequences x 4,997,120 B.
  const auto o = run_cli({"estimate", "r1", "--engine", "transformers", "--context", "160k", "--batch", "1000000", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["memory"]["kv_cache_bytes"].get<std::uint64_t>() == 163'840ULL * 1'000'000ULL * 4'997'120ULL);
  // Arithmetic past 2^64 is refused in the core (test_kv_cache.cpp), never wrapped.
}

TEST_CASE("help and version exit 0", "[cli]") {
  const auto help = run_cli({"--help"});
  REQUIRE(help.code == 0);
  REQUIRE(help.out.find("Usage: dsplan") != std::string::npos);
  const auto sub = run_cli({"estimate", "--help"});
  REQUIRE(sub.code == 0);
  REQUIRE(sub.out.find("--kv-type") != std::string::npos);
  const auto version = run_cli({"--version"});
  REQUIRE(version.code == 0);
  REQUIRE(version.out.rfind("dsplan ", 0) == 0);
}

TEST_CASE("list, show and catalog validate", "[cli]") {
  const auto models = json::parse(run_cli({"list", "models", "--json"}).out);
  REQUIRE(models["models"].size() >= 13);
  const auto gpus = run_cli({"list", "gpus"});
  REQUIRE(gpus.out.find("Memory [GiB]") != std::string::npos);
  const auto show = json::parse(run_cli({"show", "1.5b", "--json"}).out);
  REQUIRE(show["params_total"] == 1'777'088'000ULL);
  REQUIRE(show["published_params"]["total"] == 1'777'088'000ULL);
  REQUIRE(show["benchmarks"]["scores"]["aime_2024"] == 28.9);
  const auto ok = run_cli({"catalog", "validate", fixture()});
  REQUIRE(ok.code == 0);
  REQUIRE(ok.out.find("valid") == 0);
  const auto with_fixture = json::parse(run_cli({"--catalog", fixture(), "estimate", "tiny", "--json"}).out);
  REQUIRE(with_fixture["model"]["params_total"] == 106'816);
}

TEST_CASE("catalog validate names the DSPLAN_CATALOG files it layered", "[cli]") {
  std::ostringstream out, err;
  dsplan::cli::Env env;
  env.catalog_path = fixture();
  REQUIRE(dsplan::cli::run({"catalog", "validate", fixture(), "--json"}, out, err, env) == 0);
  const auto j = json::parse(out.str());
  REQUIRE(j["env_files"] == json::array({fixture()}));
  REQUIRE(j["files"] == json::array({fixture()}));
  std::ostringstream table, table_err;
  REQUIRE(dsplan::cli::run({"catalog", "validate", fixture()}, table, table_err, env) == 0);
  REQUIRE(table.str().find("and DSPLAN_CATALOG's " + fixture()) != std::string::npos);
}

TEST_CASE("quiet mode prints nothing and keeps the exit code", "[cli]") {
  const auto o = run_cli({"estimate", "7b", "--quiet"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.empty());
  REQUIRE(o.err.empty());
}

TEST_CASE("estimate with hardware: layout, throughput and cost in JSON", "[cli]") {
  const auto o = run_cli({"estimate", "70b", "--quant", "q4_k_m", "--gpu", "rtx3090", "--count", "2", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["fits"] == true);
  const auto& devices = j["layout"]["devices"];
  REQUIRE(devices.size() == 2);
  std::uint64_t weights = j["layout"]["cpu"]["weights_bytes"].get<std::uint64_t>();
  for (const auto& d : devices) {
    for (const char* key : {"weights_bytes", "kv_cache_bytes", "total_bytes", "capacity_bytes"})
      REQUIRE(d[key].is_number_unsigned());
    REQUIRE(d["total_bytes"].get<std::uint64_t>() <= d["capacity_bytes"].get<std::uint64_t>());
    weights += d["weights_bytes"].get<std::uint64_t>();
  }
  REQUIRE(weights == j["memory"]["weights_bytes"].get<std::uint64_t>());
  REQUIRE(j["layout"]["cpu_bytes"].is_number_unsigned());
  REQUIRE(j["throughput"]["decode_tokens_per_s"].get<double>() > 0);
  REQUIRE(j["throughput"]["prefill_tokens_per_s"].get<double>() > 0);
  REQUIRE(j["throughput"]["ttft_s"].get<double>() > 0);
  REQUIRE(j["cost"]["usd_per_million_tokens"].get<double>() > 0);
}

// docs/cli.md: byte counts are integers. A stage's bytes are a share of the file per device, a
// fraction where 8 tensor-parallel ranks split V4-Pro's tensors (4982451833.5 was printed).
TEST_CASE("estimate JSON: stage byte counts are whole bytes", "[cli]") {
  const auto o = run_cli({"estimate", "v4-pro", "--gpu", "b200", "--count", "8", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  for (const char* stages : {"decode_stages", "prefill_stages"}) {
    REQUIRE_FALSE(j["throughput"][stages].empty());
    for (const auto& st : j["throughput"][stages]) {
      REQUIRE(st["read_bytes"].is_number_unsigned());
      REQUIRE(st["score_bytes"].is_number_unsigned());
    }
  }
}

TEST_CASE("a request that does not fit is an answer, not an error", "[cli]") {
  const auto o = run_cli({"estimate", "r1", "--gpu", "rtx4090", "--json"});
  REQUIRE(o.code == 0);
  const auto j = json::parse(o.out);
  REQUIRE(j["fits"] == false);
  REQUIRE_FALSE(j["layout"]["reasons"].empty());
  REQUIRE_FALSE(j.contains("throughput"));
  // A split that cannot shard the heads is a reason too: --pp 1 puts all 8 GPUs in one
  // tensor-parallel group, and 8 does not divide R1-Distill-Qwen-7B's 28 heads.
  const auto heads =
      json::parse(run_cli({"estimate", "7b", "--gpu", "rtx4090", "--count", "8", "--pp", "1", "--json"}).out);
  REQUIRE(heads["fits"] == false);
  REQUIRE(heads["layout"]["reasons"][0].get<std::string>().find("attention heads") != std::string::npos);
}

TEST_CASE("hardware flag errors", "[cli]") {
  require_usage_error(run_cli({"estimate", "70b", "--count", "2"}), "--count needs --gpu");
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "rtx309"}), "unknown GPU 'rtx309' (did you mean: rtx3090");
  require_usage_error(run_cli({"estimate", "70b", "--gpus", "2xrtx3090,,rtx4090"}), "--gpus: empty entry");
  require_usage_error(run_cli({"estimate", "70b", "--gpus", "0xrtx3090"}), "count must be 1 to 72");
  require_usage_error(run_cli({"estimate", "70b", "--quant", "q4_k_m", "--gpu", "rtx3090", "--tp", "2"}), "--tp, --pp");
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "rtx3090", "--prompt", "5000"}), "--prompt 5000");
  require_usage_error(run_cli({"estimate", "70b", "--vram", "24", "--gpu", "rtx3090"}), "--vram");
  require_usage_error(run_cli({"estimate", "70b", "--users", "10"}), "--users needs hardware");
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "ascend-910b"}), "no published memory bandwidth");
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "rtx3090", "--cpu", "epyc-965"}), "unknown CPU");
}

// data/engines.json compute_buffer_model: SGLang and Ollama are sized by vLLM's and llama.cpp's
// formulas; the table names whose formula it is rather than calling SGLang's buffer "vllm".
TEST_CASE("estimate table: the compute buffer names the formula that sized it", "[cli]") {
  const auto row = [](const std::vector<std::string>& args) {
    const auto o = run_cli(args);
    REQUIRE(o.code == 0);
    const auto at = o.out.find("Compute buffer");
    REQUIRE(at != std::string::npos);
    return o.out.substr(at, o.out.find('\n', at) - at);
  };
  const auto sglang = row({"estimate", "8b", "--engine", "sglang"});
  CHECK(sglang.find("activations (vLLM's formula)") != std::string::npos);
  CHECK(sglang.find("vllm") == std::string::npos);
  CHECK(row({"estimate", "8b", "--engine", "vllm"}).find("vLLM activations") != std::string::npos);
  CHECK(row({"estimate", "8b", "-q", "q4_k_m", "--engine", "ollama"}).find("activations (llama.cpp's formula)") !=
        std::string::npos);
  CHECK(row({"estimate", "8b", "-q", "q4_k_m", "--engine", "llama.cpp"}).find("llama.cpp activations") !=
        std::string::npos);
}
