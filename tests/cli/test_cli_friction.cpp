// What a new user hit (issue 11, item 6), each reproduced on the command line: RAM that was never
// given, Ollama tags, --count auto with no answer, GPU names as printed, suffixes, -q, notes.
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

using dsplan::test::note_with;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;
using nlohmann::json;

// V3 at Q4_K_M is ~377 GiB of weights; 4 x 80 GB hold ~300 of them, so blocks spill to system RAM.
// Without --ram that RAM was never given: not "fits", but "fits only with >= X GiB".
TEST_CASE("spilling to RAM that was not given does not fit", "[cli][friction]") {
  const auto j = run_json({"estimate", "v3", "-q", "q4_k_m", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(j["fits"] == false);
  REQUIRE(j["layout"]["fits"] == true);  // the placement itself works, given the RAM
  REQUIRE(j["layout"]["needs_ram_bytes"] == j["layout"]["cpu"]["total_bytes"]);
  REQUIRE(j["layout"]["needs_ram_bytes"].get<double>() > 0);
  const auto table = run_cli({"estimate", "v3", "-q", "q4_k_m", "--gpu", "a100-80g", "--count", "4"});
  REQUIRE(table.out.find("fits only with >= ") != std::string::npos);
  REQUIRE(table.out.find("-> fits\n") == std::string::npos);
  // With the RAM given (and enough of it) it fits, and nothing is missing.
  const auto given = run_json({"estimate", "v3", "-q", "q4_k_m", "--gpu", "a100-80g", "--count", "4", "--ram", "256"});
  REQUIRE(given["fits"] == true);
  REQUIRE(given["layout"]["needs_ram_bytes"].is_null());
  // 100,000 sequences of 4,096 tokens at 128 KiB per token (8B: 32 layers x 2 x 1,024 x 2 B) is
  // 50,000 GiB of KV cache: never a silent "fits".
  const auto huge = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--batch", "100000"});
  REQUIRE(huge["fits"] == false);
  REQUIRE(huge["layout"]["needs_ram_bytes"].get<double>() >= 50000.0 * 1024 * 1024 * 1024);
}

// `ollama run deepseek-r1:70b` pulls the Q4_K_M file: 42,520,397,873 B (Ollama /api/tags).
TEST_CASE("an Ollama tag means what Ollama serves", "[cli][friction]") {
  const auto j = run_json({"estimate", "deepseek-r1:70b"});
  REQUIRE(j["engine"]["id"] == "ollama");
  REQUIRE(j["quant"]["id"] == "q4_k_m");
  REQUIRE(j["disk_bytes"].get<double>() == Approx(42'520'397'873.0).epsilon(0.001));
  REQUIRE(run_json({"estimate", "70b", "--engine", "ollama"})["quant"]["id"] == "q4_k_m");
  REQUIRE(run_json({"estimate", "deepseek-r1:70b", "--quant", "q8_0"})["quant"]["id"] == "q8_0");
}

TEST_CASE("GPUs by the name 'list gpus' prints, and loose spellings", "[cli][friction]") {
  const auto by_id = run_json({"estimate", "8b", "--gpu", "rtx4090"});
  const auto by_name = run_json({"estimate", "8b", "--gpu", "RTX 4090"});
  REQUIRE(by_name["layout"]["devices"][0]["id"] == "rtx4090");
  REQUIRE(by_name["layout"] == by_id["layout"]);
  REQUIRE(run_json({"estimate", "8b", "--gpu", "h100-80gb"})["layout"]["devices"][0]["id"] == "h100-sxm");
}

TEST_CASE("tokens per day take 2M (--tokens-per-day) like train --tokens", "[cli][friction]") {
  const auto j = run_json({"estimate", "8b", "--gpu", "rtx4090", "--tokens-per-day", "2M"});
  REQUIRE(j["cost"]["tokens_per_day"].get<double>() == 2e6);
}

TEST_CASE("check ... -q without a format says to write --quiet", "[cli][friction]") {
  require_usage_error(run_cli({"check", "8b", "--gpu", "rtx4090", "-q"}), "write --quiet");
  require_usage_error(run_cli({"check", "8b", "-q", "--gpu", "rtx4090"}), "write --quiet");
  // Before the command -q is quiet; after it, with a format, it is --quant.
  const auto quiet = run_cli({"-q", "check", "8b", "--gpu", "rtx4090"});
  REQUIRE(quiet.code == 0);
  REQUIRE(quiet.out.empty());
  REQUIRE(run_json({"check", "8b", "--gpu", "rtx4090", "-q", "q8_0"})["estimate"]["quant"]["id"] == "q8_0");
}

// R1 in FP8 is 641 GiB of weights; vLLM claims 90% of each 80 GiB H100, 576 GiB on 8 of them:
// too little. Tensor-parallel sizes are powers of two, so 16 (two nodes of 8) is the next count.
TEST_CASE("one note per run of identical GPUs, and the count that would fit", "[cli][friction]") {
  const auto j = run_json({"estimate", "r1", "--gpu", "h100-sxm", "--count", "8"});
  REQUIRE(j["fits"] == false);
  REQUIRE(j["layout"]["reasons"].size() == 1);
  REQUIRE(j["layout"]["reasons"][0].get<std::string>().rfind("GPU0-7 ", 0) == 0);
  bool hinted = false;
  for (const auto& n : j["notes"])
    if (n.get<std::string>().find("16 x") != std::string::npos &&
        n.get<std::string>().find("--count auto, or --count 8 --nodes 2") != std::string::npos)
      hinted = true;
  REQUIRE(hinted);
}

TEST_CASE("compare offers only the flags it uses", "[cli][friction]") {
  const auto help = run_cli({"compare", "--help"});
  REQUIRE(help.code == 0);
  for (const char* flag : {"-q,--quant", "--quant ", "--price", "--tokens-per-day", "--users", "--target-tps"})
    REQUIRE(help.out.find(flag) == std::string::npos);
  REQUIRE(help.out.find("--quants") != std::string::npos);
  require_usage_error(run_cli({"compare", "--quant", "q4_k_m"}), "--quants");
}

// QLoRA of the 70B distill: the NF4 base alone is ~37 GiB, more than a 24 GB card, and plain
// data parallelism copies it to every card, so no count fits. ZeRO-3 with FSDP-QLoRA shards it.
TEST_CASE("train --count auto with no answer exits 1 and names the flags that fit", "[cli][friction]") {
  const auto o = run_cli({"train", "70b", "--method", "qlora", "--gpu", "rtx4090", "--count", "auto", "--tokens", "10M"});
  REQUIRE(o.code == 1);
  REQUIRE(o.out.find("Does not fit") != std::string::npos);
  REQUIRE(o.out.find("It fits with --zero 3 --fsdp-qlora") != std::string::npos);
  REQUIRE(o.out.find("Cost:") == std::string::npos);
  const auto j = run_json({"train", "70b", "--method", "qlora", "--gpu", "rtx4090", "--count", "auto"}, 1);
  REQUIRE(j["auto_count"].is_null());
  REQUIRE(j["fits"] == false);
  REQUIRE(j["fit_hint"]["flags"][0] == "--zero 3");
  REQUIRE(j["fit_hint"]["gpus"].get<int>() >= 2);
}

// Full fine-tuning of the 7B distill needs ~126 GiB per GPU with AdamW at any data-parallel count
// (each rank keeps all states); on one GPU ZeRO-3 shards nothing, so a hint that fits on one GPU
// must not carry it, and each flag it names is one the fit needs.
TEST_CASE("train's fit hint names only the flags the count needs", "[cli][friction]") {
  const auto j = run_json({"train", "7b", "--method", "full", "--gpu", "a100-80g", "--count", "auto"}, 1);
  REQUIRE(j["fit_hint"]["gpus"].get<int>() == 1);
  std::vector<std::string> flags;
  for (const auto& f : j["fit_hint"]["flags"]) flags.push_back(f.get<std::string>());
  REQUIRE(std::find(flags.begin(), flags.end(), "--zero 3") == flags.end());
  // Dropping any named flag leaves it without a count on one GPU.
  for (std::size_t i = 0; i < flags.size(); ++i) {
    std::vector<std::string> args = {"train", "7b", "--method", "full", "--gpu", "a100-80g", "--count", "auto"};
    for (std::size_t k = 0; k < flags.size(); ++k) {
      if (k == i) continue;
      const auto space = flags[k].find(' ');
      args.push_back(flags[k].substr(0, space));
      if (space != std::string::npos) args.push_back(flags[k].substr(space + 1));
    }
    args.push_back("--json");
    const auto o = run_cli(args);
    INFO(flags[i]);
    REQUIRE(o.code == 1);  // no count fits without it
    REQUIRE(nlohmann::json::parse(o.out)["auto_count"].is_null());
  }
}

// Full fine-tuning past one node: whole 8-GPU nodes, and 5% of every card left free.
TEST_CASE("train --count auto picks whole nodes and keeps headroom", "[cli][friction]") {
  const auto j = run_json({"train", "70b", "--method", "full", "--gpu", "h100-sxm", "--count", "auto", "--zero", "3"});
  const auto n = j["auto_count"].get<std::uint64_t>();
  REQUIRE((n <= 8 || n % 8 == 0));
  REQUIRE(j["memory_per_gpu"]["total_bytes"].get<double>() <= 0.95 * j["gpu"]["memory_bytes"].get<double>());
}

TEST_CASE("recommend with RAM only says CPU only, not 0 of 0 GiB", "[cli][friction]") {
  const auto o = run_cli({"recommend", "--ram", "64", "--task", "chat"});
  REQUIRE(o.out.find("0.00 of 0.00") == std::string::npos);
}

// An 8B model fits on either card; the RTX 3090 reads memory at 936 GB/s, the RTX 3060 at 360 GB/s,
// and a layer split runs the two one after the other: the 3090 alone decodes fastest.
TEST_CASE("recommend tries parts of a mixed GPU list", "[cli][friction]") {
  const auto j = run_json({"recommend", "--gpus", "rtx3090,rtx3060", "--model", "8b", "--quant", "q4_k_m", "--task", "chat"});
  REQUIRE(j["pick"]["gpus"] == 1);
  REQUIRE(j["pick"]["hardware"].get<std::string>().find("RTX 3090") != std::string::npos);
}

// unsloth's R1-0528 / V3-0324 / V3.1 dynamic quants follow unpublished recipes (issue 10 item 4):
// asked by name they are refused with the flag that sizes the file itself, and `list quants` names them.
TEST_CASE("a UD file without a published recipe says how to size it", "[cli][friction]") {
  require_usage_error(run_cli({"estimate", "r1-0528", "-q", "UD-Q3_K_XL"}),
                      "--model-file hf:unsloth/DeepSeek-R1-0528-GGUF/UD-Q3_K_XL/");
  const auto j = run_json({"list", "quants", "--json"});
  bool listed = false;
  for (const auto& f : j["unmodelled_files"])
    if (f["file"] == "UD-Q2_K_XL" && f["model"] == "deepseek-v3.1") {
      listed = true;
      REQUIRE(f["hf"] == "hf:unsloth/DeepSeek-V3.1-GGUF/UD-Q2_K_XL/");
    }
  REQUIRE(listed);
  REQUIRE(run_cli({"list", "quants"}).out.find("UD-Q4_K_XL  deepseek-r1-0528") != std::string::npos);
}

// R1 at 1.56 bits (IQ1_S) on one 24 GB card and 192 GiB RAM: without a layout option dsplan places it as
// llama.cpp's own fitting does (PR #16653: dense weights on the GPUs first), the first blocks'
// routed experts in RAM, and says what whole blocks in RAM (an explicit -ngl) would decode at.
TEST_CASE("a MoE model that does not fit its GPUs keeps its experts in RAM by default", "[cli][friction]") {
  const auto j = run_json({"estimate", "r1", "-q", "iq1_s", "--gpu", "rtx4090", "--ram", "192"});
  REQUIRE(j["layout"]["strategy"] == "expert_offload");
  const auto moe_blocks = j["layout"]["experts_in_ram_blocks"].get<int>();
  REQUIRE(moe_blocks > 0);
  REQUIRE(moe_blocks <= 61);
  REQUIRE(j["launch"]["command"].get<std::string>().find("--n-cpu-moe " + std::to_string(moe_blocks)) !=
          std::string::npos);
  bool said = false;
  for (const auto& n : j["notes"])
    if (n.get<std::string>().find("as llama.cpp's own fitting places it; --gpu-layers") != std::string::npos)
      said = true;
  REQUIRE(said);
  // Whole blocks in RAM, asked for: that layout, slower, and no note.
  const auto asked =
      run_json({"estimate", "r1", "-q", "iq1_s", "--gpu", "rtx4090", "--ram", "192", "--gpu-layers", "9"});
  REQUIRE(asked["layout"]["strategy"] == "layer_split");
  REQUIRE(asked["throughput"]["decode_tokens_per_s"].get<double>() <
          j["throughput"]["decode_tokens_per_s"].get<double>());
  for (const auto& n : asked.value("notes", json::array()))
    REQUIRE(n.get<std::string>().find("--n-cpu-moe") == std::string::npos);
  // A dense model spills whole blocks: there are no experts to keep apart.
  const auto dense = run_json({"estimate", "70b", "-q", "q8_0", "--gpu", "rtx4090", "--ram", "192"});
  REQUIRE(dense["layout"]["strategy"] == "layer_split");
  REQUIRE(dense["layout"]["cpu"]["layers"].get<int>() > 0);
  for (const auto& n : dense.value("notes", json::array()))
    REQUIRE(n.get<std::string>().find("--n-cpu-moe") == std::string::npos);
  // A MoE model that fits its GPU whole: nothing in RAM.
  const auto fits = run_json({"estimate", "r1", "-q", "iq1_s", "--gpu", "h200", "--count", "2", "--ram", "192"});
  REQUIRE(fits["layout"]["cpu"]["layers"].get<int>() == 0);
  REQUIRE(fits["layout"]["experts_in_ram_blocks"].get<int>() == 0);
}

namespace {

/// The flags a "fits this hardware: --quant ... (~N tokens/s ...)" note gives, as arguments.
std::vector<std::string> flags_in(const std::string& note) {
  const auto from = note.find(": --quant ") + 2;
  std::istringstream words(note.substr(from, note.find(" (~") - from));
  std::vector<std::string> out;
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

}  // namespace

// "Can I run it on my card?" answered with the file that does fit, not only with more GPUs.
TEST_CASE("an estimate that does not fit names a quant of the same model that does", "[cli][friction]") {
  // R1-Distill-Llama-70B in BF16 (141 GB of weights) does not fit one 24 GB card; a ~2-bit file does.
  const std::vector<std::string> base = {"estimate", "70b", "--gpu", "rtx4090"};
  const auto j = run_json(base);
  REQUIRE(j["fits"] == false);
  const std::string note = note_with(j, " fits this hardware: --quant ");
  REQUIRE(!note.empty());
  // What the note says fits does fit, on the same hardware.
  std::vector<std::string> args = base;
  for (const auto& f : flags_in(note)) args.push_back(f);
  const auto suggested = run_json(args);
  REQUIRE(suggested["fits"] == true);
  // DeepSeek-R1's smallest file, IQ1_S (124.55 GiB of weights), is larger than a 24 GB card and
  // 64 GiB of RAM together: no quant fits, and the note says which is smallest.
  const auto r1 = run_json({"estimate", "r1", "--gpu", "rtx4090", "--ram", "64"});
  REQUIRE(r1["fits"] == false);
  REQUIRE(note_with(r1, "no quant of DeepSeek-R1 fits this hardware").find("the smallest, IQ1_S,") !=
          std::string::npos);
}

// "Can my PC run it?" with RAM and no GPU, or on a Mac: vLLM (the default engine of the distills' BF16
// checkpoint) needs a CUDA or ROCm GPU, so the default is the first layer-split GGUF engine,
// llama.cpp, which runs on the CPU and on Apple's GPUs.
TEST_CASE("hardware without a CUDA or ROCm GPU defaults to an engine that runs there", "[cli][friction]") {
  const auto cpu = run_json({"estimate", "7b", "--ram", "64"});
  REQUIRE(cpu["engine"]["id"] == "llama.cpp");
  REQUIRE(cpu["fits"] == true);
  REQUIRE(cpu["defaults_applied"][0].get<std::string>().find("no CUDA or ROCm GPU given") != std::string::npos);
  // R1's FP8 checkpoint has no GGUF: llama.cpp's default quant stands in, as for any GGUF engine.
  REQUIRE(run_json({"estimate", "r1", "--ram", "512"})["quant"]["id"] == "q4_k_m");
  // A named engine is kept, and says why it cannot run there.
  const auto vllm = run_json({"estimate", "7b", "--ram", "64", "--engine", "vllm"});
  REQUIRE(vllm["engine"]["id"] == "vllm");
  REQUIRE(vllm["fits"] == false);
  // A GPU given: the format's first engine, as before.
  REQUIRE(run_json({"estimate", "7b", "--gpu", "rtx4090"})["engine"]["id"] == "vllm");
  // A Mac's GPU runs llama.cpp (Metal), not vLLM: the same default, and vLLM named says why not.
  const auto mac = run_json({"estimate", "7b", "--gpu", "m4-max"});
  REQUIRE(mac["engine"]["id"] == "llama.cpp");
  REQUIRE(mac["fits"] == true);
  const auto mac_vllm = run_cli({"estimate", "7b", "--gpu", "m4-max", "--engine", "vllm"});
  REQUIRE(mac_vllm.code == 0);
  REQUIRE(mac_vllm.out.find("vLLM needs CUDA or ROCm GPUs, not Apple's") != std::string::npos);
}

// "How much context can I have?" where the model's default file holds none: R1-Distill-Qwen-32B in
// BF16 (61 GiB of weights) on a 24 GB card. The note names a file that fits at the default 4096
// tokens, and --context max with it finds a longer context that fits.
TEST_CASE("context max that finds no context names a file to search with", "[cli][friction]") {
  const std::vector<std::string> base = {"estimate", "32b", "--gpu", "rtx3090", "--context", "max"};
  const auto j = run_json(base);
  REQUIRE(j["fits"] == false);
  const std::string note = note_with(j, " fits this hardware at 4096 tokens: --quant ");
  REQUIRE(!note.empty());
  REQUIRE(note.find("--context max then finds its longest") != std::string::npos);
  std::vector<std::string> args = base;
  for (const auto& f : flags_in(note.substr(0, note.find(';')))) args.push_back(f);
  const auto suggested = run_json(args);
  REQUIRE(suggested["fits"] == true);
  REQUIRE(suggested["context_search"]["found"] == true);
  REQUIRE(suggested["context"].get<std::uint64_t>() >= 4096);
}

TEST_CASE("the fitting-quant note keeps a named engine and stays out of pinned layouts", "[cli][friction]") {
  // On vLLM the smallest 70B file is NF4 (~4.5 bits, ~37 GiB of weights): more than a 24 GB card.
  const auto vllm = run_json({"estimate", "70b", "--engine", "vllm", "--gpu", "rtx4090"});
  REQUIRE(vllm["fits"] == false);
  REQUIRE(
      !note_with(vllm, "no quant of DeepSeek-R1-Distill-Llama-70B fits this hardware at this context on vLLM").empty());
  // vLLM shards evenly, so it cannot use a 24 GB and a 12 GB card together; what fits runs on one
  // of them, and the note's flags say which (running them again fits).
  const auto mixed = run_json({"estimate", "7b", "--engine", "vllm", "--gpus", "rtx4090,rtx3060"});
  REQUIRE(mixed["fits"] == false);
  const std::string part = note_with(mixed, " fits this hardware: --quant ");
  REQUIRE(part.find(" --gpus rtx") != std::string::npos);
  std::vector<std::string> args = {"estimate", "7b"};
  for (const auto& f : flags_in(part)) args.push_back(f);
  REQUIRE(run_json(args)["fits"] == true);
  // A layout the user pinned (-ngl) is their question; no search over other files answers it.
  const auto pinned = run_json({"estimate", "70b", "-q", "q8_0", "--gpu", "rtx4090", "--gpu-layers", "81"});
  REQUIRE(pinned["fits"] == false);
  REQUIRE(note_with(pinned, "fits this hardware").empty());
  // So is a setting the search leaves at the engine's default (here the KV cache type): a note
  // sized with f16 caches could call a file too large that q8_0 caches fit.
  const auto kv = run_json({"estimate", "70b", "-q", "q8_0", "--gpu", "rtx4090", "--kv-type", "q8_0"});
  REQUIRE(kv["fits"] == false);
  REQUIRE(note_with(kv, "fits this hardware").empty());
  REQUIRE(!note_with(run_json({"estimate", "70b", "-q", "q8_0", "--gpu", "rtx4090"}), "fits this hardware").empty());
}

// A Mac's memory is chosen at purchase (an M4 Max: 36, 48, 64 or 128 GB); the catalog lists the
// largest. --gpu-memory says which one the user has.
TEST_CASE("gpu-memory sets a named card's memory, a Mac's unified memory included", "[cli][friction]") {
  const auto mac = run_json({"estimate", "7b", "-q", "q4_k_m", "--gpu", "m4-max", "--gpu-memory", "64"});
  // macOS wires about 3/4 of a Mac's memory for the GPU (the catalog's usable share, 0.75); the rest
  // is the system's: 64 GiB -> 48 GiB for the GPU, 16 GiB of RAM.
  REQUIRE(mac["layout"]["devices"][0]["capacity_bytes"] == 48ULL << 30);
  REQUIRE(mac["layout"]["cpu"]["capacity_bytes"] == 16ULL << 30);
  // Cards sold in more than one size (a 48 GB RTX 4090): each named card gets it.
  const auto two = run_json({"estimate", "7b", "-q", "q4_k_m", "--gpus", "2xrtx4090", "--gpu-memory", "48GiB"});
  for (const auto& d : two["layout"]["devices"]) REQUIRE(d["capacity_bytes"] == 48ULL << 30);
  require_usage_error(run_cli({"estimate", "7b", "--gpu-memory", "64"}), "--gpu-memory goes with --gpu or --gpus");
  require_usage_error(run_cli({"estimate", "7b", "--vram", "24", "--gpu-memory", "64"}), "--vram gives its own size");
  require_usage_error(run_cli({"estimate", "7b", "--gpu", "m4-max", "--gpu-memory", "0"}), "--gpu-memory: '0'");
}

// What the GPU of a unified memory may take is a system setting: a Mac's wired limit (sudo sysctl
// iogpu.wired_limit_mb), a Ryzen AI Max's GTT on Linux (amdgpu.gttsize). The catalog's share is the
// default; --gpu-usable gives the user's.
TEST_CASE("gpu-usable sets what a card's runtime may use of its memory", "[cli][friction]") {
  // Ryzen AI Max+ 395, 128 GiB: AMD's 96 GB of Variable Graphics Memory by default (0.75 of it),
  // the other 32 GiB the system's.
  const auto halo = run_json({"estimate", "7b", "-q", "q4_k_m", "--gpu", "strix-halo"});
  REQUIRE(halo["layout"]["devices"][0]["capacity_bytes"] == 96ULL << 30);
  REQUIRE(halo["layout"]["cpu"]["capacity_bytes"] == 32ULL << 30);
  // Linux with amdgpu.gttsize=126976 (MiB): 124 GiB for the GPU, 4 GiB left to the system.
  const auto gtt = run_json({"estimate", "7b", "-q", "q4_k_m", "--gpu", "strix-halo", "--gpu-usable", "124"});
  REQUIRE(gtt["layout"]["devices"][0]["capacity_bytes"] == 124ULL << 30);
  REQUIRE(gtt["layout"]["cpu"]["capacity_bytes"] == 4ULL << 30);
  // A 64 GB M4 Max with its wired limit raised to 56 GiB.
  const auto mac =
      run_json({"estimate", "7b", "-q", "q4_k_m", "--gpu", "m4-max", "--gpu-memory", "64", "--gpu-usable", "56"});
  REQUIRE(mac["layout"]["devices"][0]["capacity_bytes"] == 56ULL << 30);
  REQUIRE(mac["layout"]["cpu"]["capacity_bytes"] == 8ULL << 30);
  require_usage_error(run_cli({"estimate", "7b", "--gpu", "strix-halo", "--gpu-usable", "200"}),
                      "--gpu-usable 200.0 GiB: more than the 128.0 GiB");
  require_usage_error(run_cli({"estimate", "7b", "--gpu-usable", "64"}), "--gpu-usable goes with --gpu or --gpus");
  require_usage_error(run_cli({"estimate", "7b", "--vram", "24", "--gpu-usable", "20"}), "--vram gives its own size");
}

// A Mac, a DGX Spark or a Ryzen AI Max is a machine with one GPU: two of them are two machines,
// which a layer split in one llama.cpp process cannot span (its launch line would not run).
TEST_CASE("a whole-machine GPU is planned one per machine", "[cli][friction]") {
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "strix-halo", "--count", "2"}),
                      "is a whole machine, its GPU the only one in it");
  require_usage_error(run_cli({"estimate", "70b", "--gpus", "m4-max,rtx4090"}), "Apple M4 Max is a whole machine");
  // Its system RAM is what the GPU leaves of the one memory, which the note says instead of a --ram
  // the user never gave: 128 GiB - 96 GiB = 32 GiB.
  const auto j = run_json({"estimate", "r1", "--quant", "ud-iq1_s", "--gpu", "strix-halo"});
  const auto& reasons = j["layout"]["reasons"];
  REQUIRE(!reasons.empty());
  const std::string first = reasons[0].get<std::string>();
  CAPTURE(first);
  REQUIRE(first.find("but the system keeps 32.00 GiB of AMD Ryzen AI Max+ 395") != std::string::npos);
  REQUIRE(first.find("--ram is") == std::string::npos);
}

// Weights in RAM run at the CPU's speed; with no --cpu that is the catalog's default desktop
// (2 channels x 5,600 MT/s x 8 B = 89.6 GB/s), which the output names instead of using silently.
TEST_CASE("a plan with weights in RAM names the CPU it assumed", "[cli]") {
  const auto notes_of = [](const std::vector<std::string>& args) {
    const auto j = run_json(args);  // kept: a range-for over a temporary's member would dangle
    std::string all;
    for (const auto& n : j.value("notes", json::array())) all += n.get<std::string>() + "\n";
    return all;
  };
  const std::string assumed = "run on an assumed CPU, the catalog's Generic desktop, dual-channel DDR5-5600 (89.6 GB/s";
  CHECK(notes_of({"estimate", "8b", "--ram", "32"}).find(assumed) != std::string::npos);
  CHECK(notes_of({"estimate", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256"}).find(assumed) !=
        std::string::npos);
  // A named CPU, or everything on the GPU, has nothing to say.
  CHECK(notes_of({"estimate", "8b", "--ram", "32", "--cpu", "epyc-9654"}).find("assumed CPU") == std::string::npos);
  CHECK(notes_of({"estimate", "8b", "--gpu", "rtx4090", "--ram", "32"}).find("assumed CPU") == std::string::npos);
  // recommend, whose placements may keep weights in RAM, says it once for all of them.
  const auto rec = run_cli({"recommend", "--gpu", "rtx4090", "--ram", "512", "--task", "reasoning"});
  CHECK(rec.out.find("placements with weights in system RAM assume the catalog's Generic desktop") !=
        std::string::npos);
  const auto named =
      run_cli({"recommend", "--gpu", "rtx4090", "--ram", "512", "--cpu", "epyc-9654", "--task", "reasoning"});
  CHECK(named.out.find("placements with weights in system RAM assume") == std::string::npos);
}

// docs/cli.md's usage line puts global options before the command: `--format csv` there takes its
// value, which is not the command (it had said "unknown command 'csv'").
TEST_CASE("global --format with its value before the command", "[cli]") {
  const auto csv = run_cli({"--format", "csv", "list"});
  REQUIRE(csv.code == 0);
  REQUIRE(csv.out.rfind("id,name,", 0) == 0);
  const auto as_json = run_cli({"--format", "json", "estimate", "8b"});
  REQUIRE(as_json.code == 0);
  REQUIRE(as_json.out.rfind("{", 0) == 0);
  require_usage_error(run_cli({"--format", "xml", "list"}), "--format: 'xml' is not one of");
}

// With no --cpu, the bill of materials prices a Ryzen 9 9950X while the speeds of the weights in
// RAM assume the catalog's generic desktop: the line says so rather than leave the two apart.
TEST_CASE("the priced representative CPU says which CPU the speeds assume", "[cli]") {
  const auto hybrid = run_cli({"estimate", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256"});
  REQUIRE(hybrid.code == 0);
  REQUIRE(hybrid.out.find("speeds assume the Generic desktop, dual-channel DDR5-5600") != std::string::npos);
  const auto named =
      run_cli({"estimate", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256", "--cpu", "ryzen-9950x"});
  REQUIRE(named.out.find("speeds assume") == std::string::npos);
}

TEST_CASE("formats vLLM does not run on AMD GPUs are refused there as hardware limits", "[cli][amd]") {
  // vLLM's Supported Hardware table: AWQ, GPTQ, INT8 (W8A8) and bitsandbytes have no AMD GPU kernels.
  for (const char* quant : {"awq", "gptq", "int8", "nf4"}) {
    CAPTURE(quant);
    const auto j = run_json({"estimate", "70b", "--quant", quant, "--engine", "vllm", "--gpu", "mi300x"});
    REQUIRE(j["layout"]["unsupported"].is_string());
    REQUIRE(j["layout"]["unsupported"].get<std::string>().find("is not supported on AMD GPUs") != std::string::npos);
  }
  const auto nvidia = run_json({"estimate", "70b", "--quant", "awq", "--engine", "vllm", "--gpu", "h100-sxm"});
  REQUIRE(nvidia["layout"]["unsupported"].is_null());
  // recommend on a Ryzen AI Max no longer picks a vLLM format it cannot load.
  const auto pick = run_json({"recommend", "--gpu", "strix-halo", "--task", "reasoning"});
  const std::string quant = pick["pick"]["quant"].get<std::string>();
  CAPTURE(quant);
  for (const char* refused : {"awq", "gptq", "int8", "nf4"}) REQUIRE(quant != refused);
}

TEST_CASE("a gpu-layers count above the slots means all of them as llama.cpp reads -ngl 999", "[cli][friction]") {
  // The 8B distill has 32 blocks; with the output layer llama.cpp offloads at most 33 slots.
  const json all = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--gpu-layers", "999"});
  const json exact = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--gpu-layers", "33"});
  REQUIRE(all["layout"]["gpu_layers"] == 33);
  REQUIRE(all["throughput"]["decode_tokens_per_s"] == exact["throughput"]["decode_tokens_per_s"]);
  bool noted = false;
  for (const auto& n : all["notes"])
    noted = noted ||
            n.get<std::string>().find("--gpu-layers 999: all 33 (32 blocks + the output layer)") != std::string::npos;
  REQUIRE(noted);
}

TEST_CASE("a micro-batch above the context says llama.cpp runs it at the context", "[cli][friction]") {
  // llama_context: n_batch = min(n_ctx, n_batch), n_ubatch = min(n_batch, n_ubatch).
  const json capped = run_json({"estimate", "8b", "-q", "q4_k_m", "-c", "1024", "--ubatch", "4096"});
  bool noted = false;
  for (const auto& n : capped["notes"])
    noted = noted || n.get<std::string>().find(
                         "caps the micro-batch at the context (1024 tokens in all), so it runs "
                         "micro-batches of 1024") != std::string::npos;
  REQUIRE(noted);
  const json within = run_json({"estimate", "8b", "-q", "q4_k_m", "-c", "1024", "--ubatch", "1024"});
  for (const auto& n : within.value("notes", json::array()))
    REQUIRE(n.get<std::string>().find("caps the micro-batch") == std::string::npos);
  // The compute buffer is the one of a 1024-token micro-batch either way.
  REQUIRE(capped["memory"]["compute_buffer_bytes"] == within["memory"]["compute_buffer_bytes"]);
}

TEST_CASE("count auto that finds no count says so on the layout line and in JSON", "[cli][friction]") {
  // R1 Q4_K_M is 376.7 GiB of weights; eight 24 GiB cards (one machine for llama.cpp) hold 192.
  const auto args = std::vector<std::string>{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--count", "auto"};
  const auto o = run_cli(args);
  REQUIRE(o.out.find("--count auto: no count up to 8 holds it on the GPUs alone, so 8 are planned") !=
          std::string::npos);
  const json j = run_json(args);
  REQUIRE(j["count_auto_none_up_to"] == 8);
  REQUIRE(j["hardware"]["gpu_count"] == 8);
  REQUIRE_FALSE(j.contains("gpu_count"));
}

TEST_CASE("a per-node count above what a node holds is refused with nodes as without", "[cli][friction]") {
  // An HGX H100 board holds 8 SXM GPUs (gpus_per_node); with --nodes, --count is each node's.
  require_usage_error(run_cli({"estimate", "r1", "--gpu", "h100-sxm", "--count", "16", "--nodes", "2"}),
                      "--count 16 with --nodes 2: a node holds 8 NVIDIA H100 SXM5 80 GB (gpus_per_node), and --count "
                      "is each node's; give --count 8 --nodes 4");
  require_usage_error(run_cli({"estimate", "r1", "--gpu", "h100-sxm", "--count", "9", "--nodes", "2"}),
                      "give --count 8 --nodes 3");
  REQUIRE(run_json({"estimate", "r1", "--gpu", "h100-sxm", "--count", "8", "--nodes", "2"})["hardware"]["gpu_count"] ==
          16);
}

TEST_CASE("flags that would do nothing for the engine or model are refused", "[cli][friction]") {
  require_usage_error(
      run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--gpu-memory-utilization", "0.8"}),
      "--gpu-memory-utilization is the share of each GPU vLLM and SGLang claim");
  require_usage_error(run_cli({"estimate", "70b", "--gpu", "h100-sxm", "--count", "8", "--dp-attention"}),
                      "DeepSeek-R1-Distill-Llama-70B is dense, so that is whole replicas: --users plans them");
}

TEST_CASE("a named CPU in two sockets is two CPUs in the bill of materials", "[cli][friction]") {
  const auto one = run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--cpu", "epyc-9654"});
  const auto two =
      run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--cpu", "epyc-9654", "--sockets", "2"});
  const auto cpu_line = [](const json& j) {
    for (const auto& l : j["cost"]["owned"]["bom"])
      if (l["unit"] == "CPU") return l;
    return json();
  };
  REQUIRE(cpu_line(one)["quantity"] == 1);
  REQUIRE(cpu_line(two)["quantity"] == 2);
  REQUIRE(cpu_line(two)["usd"].get<double>() == Approx(2 * cpu_line(one)["usd"].get<double>()));
}

TEST_CASE("small costs read as counts and cents, not as zeros", "[cli][friction]") {
  const auto o = run_cli({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--tokens-per-day", "1k"});
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("Cost (1,000 output tokens/day = ") != std::string::npos);
  REQUIRE(o.out.find("0.00 M output tokens/day") == std::string::npos);
  REQUIRE(o.out.find("$0/month") == std::string::npos);
  // Without --tokens-per-day the deployment serves around the clock: 24 hours, not 23.999...
  REQUIRE(run_json({"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090"})["cost"]["hours_per_day"] == 24.0);
}

TEST_CASE("unknown power and missing prices are said, not printed as zeros", "[cli][friction]") {
  // The catalog has no power figure for the M3 Ultra (its note says so): no "0 W at the wall".
  const auto mac = run_cli({"estimate", "70b", "--gpu", "apple-m3-ultra"});
  REQUIRE(mac.code == 0);
  REQUIRE(mac.out.find("power unknown") != std::string::npos);
  REQUIRE(mac.out.find(" 0 W at the wall") == std::string::npos);
  // A generic --vram card has no price: "the cheapest candidate" would name nothing real.
  const auto cost = run_cli({"recommend", "--vram", "24", "--prefer", "cost"});
  REQUIRE(cost.out.find("Prefer cost: no candidate has a price on this hardware") != std::string::npos);
}

TEST_CASE("a generic card's tensor rate says which accumulation it is", "[cli][friction]") {
  // The RTX 3090 (GA102): 142 TFLOPS FP16 with FP16 accumulation, 71 BF16 (NVIDIA Ampere GA102
  // whitepaper), the figure 'list gpus' prints.
  const auto o = run_cli({"estimate", "8b", "-q", "q4_k_m", "--vram", "24"});
  REQUIRE(o.out.find("142 TFLOPS 16-bit with FP16 accumulation (71 BF16)") != std::string::npos);
}
