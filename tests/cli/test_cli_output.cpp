// --format table|json|csv: one dispatch for every command; CSV rows from the JSON document.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cli/output.hpp"
#include "cli_support.hpp"

using namespace dsplan::test;

namespace {
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}
}  // namespace

TEST_CASE("format: --format json is --json", "[cli][format]") {
  const auto a = run_cli({"list", "gpus", "--json"});
  const auto b = run_cli({"list", "gpus", "--format", "json"});
  REQUIRE(a.code == 0);
  REQUIRE(a.out == b.out);
}

TEST_CASE("format csv: a header and one row per catalog entry, raw numbers", "[cli][format]") {
  const auto o = run_cli({"list", "models", "--format", "csv"});
  REQUIRE(o.code == 0);
  const auto l = lines(o.out);
  REQUIRE(l.front() == "id,name,family,params_total,params_active,native_quant,max_context,aliases");
  REQUIRE(l.size() == 1 + 17);  // the catalog's 17 models
  // R1-Distill-Llama-8B: 8,030,261,248 parameters (Llama-3.1-8B total_size / 2), aliases joined by ';'.
  REQUIRE(l[3] == "r1-distill-llama-8b,DeepSeek-R1-Distill-Llama-8B,r1-distill,8030261248,7504924672,bf16,131072,"
                  "8b;r1-llama-8b;llama-8b");
}

TEST_CASE("format csv of compare: one row per model and quant, the model repeated", "[cli][format]") {
  const auto o = run_cli({"compare", "--models", "8b,70b", "--quants", "q4_k_m,q8_0", "--gpu", "rtx4090", "--format", "csv"});
  REQUIRE(o.code == 0);
  const auto l = lines(o.out);
  REQUIRE(l.size() == 5);
  REQUIRE(l[0].rfind("model,column,quant,applicable,engine,memory_total_bytes,fits", 0) == 0);
  REQUIRE(l[1].rfind("r1-distill-llama-8b,q4_k_m,q4_k_m,true,llama.cpp,", 0) == 0);
  REQUIRE(l[4].rfind("r1-distill-llama-70b,q8_0,q8_0,", 0) == 0);
  // Two columns that resolve to one format stay told apart (audit 53: two identical fp8 rows).
  const auto r1 = lines(run_cli({"compare", "r1", "--quants", "fp8,native", "--format", "csv"}).out);
  REQUIRE(r1[1].rfind("deepseek-r1,fp8,fp8,", 0) == 0);
  REQUIRE(r1[2].rfind("deepseek-r1,native,fp8,", 0) == 0);
}

TEST_CASE("format csv of check: one row per limit, for CI", "[cli][format]") {
  const auto o = run_cli({"check", "8b", "--gpu", "rtx4090", "--format", "csv"});
  REQUIRE(o.code == 0);
  REQUIRE(lines(o.out).front() == "pass,name,passed,measured,required,unit,text");
}

TEST_CASE("format csv of recommend: each row names the task it was ranked for", "[cli][format]") {
  // Rows of two tasks pasted into one sheet must stay apart: the task is the first column.
  const auto o = run_cli({"recommend", "--vram", "24", "--task", "code", "--format", "csv"});
  REQUIRE(o.code == 0);
  const auto l = lines(o.out);
  REQUIRE(l[0].rfind("task.id,task.name,", 0) == 0);
  REQUIRE(l[1].rfind("code,Writing and fixing code,", 0) == 0);
}

TEST_CASE("CSV context: a record of scalars on the path labels the rows below it", "[cli][format]") {
  std::ostringstream out;
  dsplan::cli::write_csv(R"({"task": {"id": "t"}, "deep": {"x": {"y": 1}}, "rows": [{"a": 1}]})", {"/rows/*"}, out);
  REQUIRE(out.str() == "task.id,a\r\nt,1\r\n");
}

TEST_CASE("format errors: one result is not rows, two formats, unknown names", "[cli][format]") {
  require_usage_error(run_cli({"estimate", "8b", "--format", "csv"}), "dsplan estimate prints one result, not rows");
  require_usage_error(run_cli({"show", "8b", "--format", "csv"}), "dsplan show prints one result");
  // The list of commands that do print rows includes check (one row per limit, docs/cli.md).
  require_usage_error(run_cli({"train", "8b", "--format", "csv"}),
                      "(csv: list, compare, recommend, check, estimate --sweep)");
  REQUIRE(run_cli({"check", "8b", "--gpu", "h100-sxm", "--format", "csv"}).code == 0);
  require_usage_error(run_cli({"list", "--json", "--format", "csv"}), "two output formats");
  require_usage_error(run_cli({"list", "--format", "xml"}), "--format: 'xml' is not one of table, json or csv");
}

TEST_CASE("CSV fields: RFC 4180 quoting, nested keys, empty nulls", "[cli][format]") {
  std::ostringstream out;
  dsplan::cli::write_csv(R"({"rows": [{"a": "x,y", "b": {"c": "say \"hi\""}, "d": null, "e": [1, 2]}, {"f": 3}]})",
                         {"/rows/*"}, out);
  REQUIRE(out.str() == "a,b.c,d,e,f\r\n\"x,y\",\"say \"\"hi\"\"\",,1;2,\r\n,,,,3\r\n");
}

TEST_CASE("estimate table: a prompt that mostly copies weights in RAM over PCIe says so and names the link",
          "[cli][format]") {
  // R1 Q4_K_M with every routed expert in RAM on one RTX 4090: the prompt's copy is most of the
  // prefill. PCIe 3.0 x8 = 8 GT/s x 8 x 128/130 / 8 = 7.88 GB/s.
  const auto o = run_cli(
      {"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--offload-experts", "--pcie", "3x8"});
  REQUIRE(o.code == 0);
  CHECK(o.out.find("of it copies weights kept in RAM to GPU0 over PCIe 3 x8 at 7.9 GB/s") != std::string::npos);
  // All on the GPU: no copy, no line.
  const auto g = run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090"});
  REQUIRE(g.code == 0);
  CHECK(g.out.find("copies weights kept in RAM") == std::string::npos);
}

// --explain writes each stage as max(memory, compute) + fixed (+ scores, + batched FLOPs); the JSON
// stages carry the same terms, so they add up to each stage's time, decode and prefill alike.
TEST_CASE("json stages: the terms of each stage add up to its time", "[cli][format]") {
  for (const auto& args :
       {std::vector<std::string>{"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--batch", "8"},
        std::vector<std::string>{"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx3090", "--count", "2",
                                 "--no-flash-attn"}}) {
    const auto j = run_json(args);
    for (const char* phase : {"decode_stages", "prefill_stages"})
      for (const auto& st : j["throughput"][phase]) {
        const double terms = std::max(st["memory_s"].get<double>(), st["compute_s"].get<double>()) +
                             st["fixed_s"].get<double>() + st["scores_s"].get<double>() +
                             st["batch_compute_s"].get<double>();
        REQUIRE(st["total_s"].get<double>() == Approx(terms).epsilon(1e-9));
      }
    REQUIRE(j["throughput"]["decode_stages"][0]["batch_compute_s"].get<double>() >= 0);
  }
  // Batched decode on llama.cpp: the sequences after the first add FLOPs after the weight reads.
  const auto batched = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--batch", "8"});
  REQUIRE(batched["throughput"]["decode_stages"][0]["batch_compute_s"].get<double>() > 0);
}

TEST_CASE("format csv: a list one of whose values holds a semicolon is written as JSON", "[cli][format]") {
  // recommend's reasons quote sources that hold ';': joined with ';' they would split wrongly.
  const auto o = run_cli({"recommend", "--vram", "24", "--task", "code", "--all", "--format", "csv"});
  REQUIRE(o.code == 0);
  const auto l = lines(o.out);
  std::size_t json_lists = 0;
  for (const auto& row : l)
    if (row.find("\"[\"\"") != std::string::npos) ++json_lists;  // a quoted cell starting ["
  REQUIRE(json_lists > 0);
}

TEST_CASE("the KV per token line of a model with two caches says the second is in its total", "[cli][output]") {
  // V3.2: the latent 61 x 576 values x 2 B = 70,272 B plus the indexer keys 61 x 132 B = 8,052 B
  // (128 fp8 values + an fp32 scale) = 78,324 B; the line's product alone is the first.
  const auto o = run_cli({"estimate", "v3.2"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("KV per token: 78,324 B = 61 layers x (K 576 (V read from K)) values, bf16, mla_latent + the "
                     "other cache; each cache:") != std::string::npos);
  REQUIRE(o.out.find("indexer_keys: 61 layers x 132 B per token") != std::string::npos);
}

TEST_CASE("list quants JSON gives each format's aliases as every list does", "[cli][output]") {
  // docs/cli.md: every list entry has id, name and aliases; -q half names FP16 (data/quants.json).
  const auto j = run_json({"list", "quants"});
  bool fp16 = false;
  for (const auto& q : j["quants"]) {
    REQUIRE(q.contains("aliases"));
    if (q["id"] == "fp16") fp16 = std::find(q["aliases"].begin(), q["aliases"].end(), "half") != q["aliases"].end();
  }
  REQUIRE(fp16);
}
