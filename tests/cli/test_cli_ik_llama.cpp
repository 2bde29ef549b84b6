// ik_llama.cpp: llama.cpp's fork caches DeepSeek's MLA latent for every GGUF (-mla 3), names
// its files, and is recommended only when named.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using dsplan::test::note_with;
using dsplan::test::require_usage_error;
using dsplan::test::run_cli;
using dsplan::test::run_json;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// DeepSeek-R1 config: 61 layers, 128 heads, qk_nope 128 + qk_rope 64 = 192 K and v_head 128 values
// per head, kv_lora_rank 512. unsloth's UD-IQ1_S keeps attn_kv_b whole (January 2025).
TEST_CASE("ik_llama.cpp caches the MLA latent also for files that keep attn_kv_b whole", "[cli][ik_llama]") {
  const auto mainline = run_json({"estimate", "r1", "-q", "ud-iq1_s", "-e", "llama.cpp", "-c", "4096"});
  const auto fork = run_json({"estimate", "r1", "-q", "ud-iq1_s", "-e", "ik_llama.cpp", "-c", "4096"});
  REQUIRE(mainline["kv_bytes_per_token"] == 61ULL * 128 * (192 + 128) * 2);
  REQUIRE(fork["kv_bytes_per_token"] == 61ULL * (512 + 64) * 2);
  REQUIRE(fork["memory"]["kv_cache"]["v_values_per_token_layer"] == 0);
  // The same file on disk; the fork holds what it derives from attn_kv_b beside it.
  REQUIRE(fork["disk_bytes"] == mainline["disk_bytes"]);
  REQUIRE(fork["memory"]["weights"]["file_tensor_bytes"] == mainline["memory"]["weights"]["file_tensor_bytes"]);
  REQUIRE(fork["memory"]["weights_bytes"].get<std::uint64_t>() ==
          mainline["memory"]["weights_bytes"].get<std::uint64_t>() +
              fork["memory"]["weights"]["derived_bytes"].get<std::uint64_t>());
  // --mla-cache still names another layout (the fork's -mla 0 caches per-head K and V).
  const auto expanded =
      run_json({"estimate", "r1", "-q", "ud-iq1_s", "-e", "ik_llama.cpp", "-c", "4096", "--mla-cache", "expanded"});
  REQUIRE(expanded["kv_bytes_per_token"] == mainline["kv_bytes_per_token"]);
}

// The fork pads n_ctx, all slots together, to 256 cells with flash attention; current llama.cpp
// pads each slot's share.
TEST_CASE("ik_llama.cpp pads the whole cache, not each slot", "[cli][ik_llama]") {
  const auto fork = run_json({"estimate", "8b", "-q", "q4_k_m", "-e", "ik_llama.cpp", "-c", "900", "--batch", "3"});
  const auto mainline = run_json({"estimate", "8b", "-q", "q4_k_m", "-e", "llama.cpp", "-c", "900", "--batch", "3"});
  REQUIRE(fork["memory"]["kv_cache"]["cells"] == 2816);      // 2,700 up to 11 x 256
  REQUIRE(mainline["memory"]["kv_cache"]["cells"] == 3072);  // 3 x (900 up to 1,024)
}

TEST_CASE("ik_llama.cpp's launch command names the file and the MLA mode it was sized for", "[cli][ik_llama]") {
  const auto r1 = run_json(
      {"estimate", "r1", "-q", "ud-iq1_s", "-e", "ik_llama.cpp", "--gpu", "rtx3090", "--count", "8", "-c", "8192"});
  const std::string command = r1["launch"]["command"];
  // No -hf repo:tag download in the fork (only -hfr/-hff): the file is named.
  REQUIRE(command.rfind("llama-server -m <UD-IQ1_S .gguf of unsloth/DeepSeek-R1-GGUF> -c 8192 -np 1 -fa on -mla 3",
                        0) == 0);
  REQUIRE(has(r1["launch"]["verify"], " -mla 3"));
  // A dense model has no MLA mode to name.
  const auto dense = run_json({"estimate", "8b", "-q", "q4_k_m", "-e", "ik_llama.cpp", "--gpu", "rtx3090"});
  REQUIRE_FALSE(has(dense["launch"]["command"], "-mla"));
}

TEST_CASE("recommend leaves ik_llama.cpp out unless it is named", "[cli][ik_llama]") {
  const auto plain = run_json({"recommend", "--vram", "24", "--task", "code"});
  REQUIRE(plain["pick"]["engine"] != "ik_llama.cpp");
  for (const auto& r : plain["runners_up"]) REQUIRE(r["engine"] != "ik_llama.cpp");
  const auto named = run_json({"recommend", "--vram", "24", "--task", "code", "--engine", "ik_llama.cpp"});
  REQUIRE(named["pick"]["engine"] == "ik_llama.cpp");
}

TEST_CASE("ik_llama.cpp is refused for DeepSeek Sparse Attention", "[cli][ik_llama]") {
  // The fork has no deepseek32 architecture (src/llama-arch.cpp), hence no indexer cache.
  require_usage_error(run_cli({"estimate", "v3.2", "-q", "q4_k_m", "-e", "ik_llama.cpp"}), "is not known to run it");
}

// Its speeds are llama.cpp's formulas; how far off they are comes from the fork's own published
// runs (16 x RTX 3090, DeepSeek-R1, ik_llama.cpp issue #263 and discussion #266).
TEST_CASE("ik_llama.cpp's speed bands come from its own measurements", "[cli][ik_llama]") {
  const auto fork = run_json(
      {"estimate", "r1", "-q", "q3_k_m", "-e", "ik_llama.cpp", "--gpu", "rtx3090", "--count", "16", "-c", "4096"});
  const auto& band = fork["throughput"]["decode_band"];
  REQUIRE(band["class"] == "ik_llama.cpp/gddr/moe-671b");
  REQUIRE(band["measurements"].get<std::uint64_t>() >= 2);
  const auto mainline = run_json(
      {"estimate", "r1", "-q", "q3_k_m", "-e", "llama.cpp", "--gpu", "rtx3090", "--count", "16", "-c", "4096"});
  REQUIRE(mainline["throughput"]["decode_band"]["speed_class"] == "llama.cpp/gddr/moe-671b");
}

// llm_prepare_mla, per block of R1 (heads 128, qk_nope 128, v_head 128, kv_lora 512). From
// attn_kv_b whole: wk_b [128, 512, 128] in Q8_0 (65,536 rows of 128 = 4 blocks of 34 B) and wv_b
// [512, 128, 128] in attn_kv_b's type; from attn_k_b and attn_v_b: attn_kv_b [512, 32,768].
TEST_CASE("ik_llama.cpp holds the MLA projections it derives at load", "[cli][ik_llama]") {
  const auto derived = [](std::initializer_list<std::string> extra) {
    std::vector<std::string> args = {"estimate", "r1", "-e", "ik_llama.cpp", "-c", "4096"};
    args.insert(args.end(), extra);
    return run_json(args)["memory"]["weights"]["derived_bytes"].get<std::uint64_t>();
  };
  const std::uint64_t wk_b_q8 = 65'536ULL * 4 * 34;
  const std::uint64_t wv_b_q8 = 16'384ULL * 16 * 34;  // rows of 512: 16 blocks
  REQUIRE(derived({"-q", "q8_0", "--legacy-mla-gguf"}) == 61 * (wk_b_q8 + wv_b_q8));
  REQUIRE(derived({"-q", "q8_0"}) == 61 * 32'768ULL * 16 * 34);  // attn_kv_b again, Q8_0
  // BF16 projections stay BF16: 2 bytes per weight either way.
  REQUIRE(derived({"-q", "bf16"}) == 61 * 32'768ULL * 512 * 2);
  // -mla 1 (latent + V) rebuilds no attn_kv_b; -mla 0 (expanded) derives nothing.
  REQUIRE(derived({"-q", "q8_0", "--mla-cache", "latent+v"}) == 0);
  REQUIRE(derived({"-q", "q8_0", "--legacy-mla-gguf", "--mla-cache", "expanded"}) == 0);
  // llama.cpp derives nothing, and the derived tensors are placed with their blocks.
  REQUIRE(run_json({"estimate", "r1", "-q", "q8_0", "-c", "4096"})["memory"]["weights"]["derived_bytes"] == 0);
  const auto placed =
      run_json({"estimate", "r1", "-q", "q8_0", "-e", "ik_llama.cpp", "-c", "4096", "--gpu", "h200", "--count", "8"});
  std::uint64_t on_devices = placed["layout"]["cpu"]["weights_bytes"].get<std::uint64_t>();
  for (const auto& d : placed["layout"]["devices"]) on_devices += d["weights_bytes"].get<std::uint64_t>();
  REQUIRE(on_devices == placed["memory"]["weights_bytes"].get<std::uint64_t>());
  // --explain derives the file's weights and the derived ones apart, and their sum.
  const auto explained = run_json({"estimate", "r1", "-q", "q8_0", "-e", "ik_llama.cpp", "-c", "4096", "--explain"});
  const auto& w = explained["memory"]["weights"];
  const std::uint64_t file_in_memory =
      w["file_tensor_bytes"].get<std::uint64_t>() - w["mtp_bytes"].get<std::uint64_t>();
  std::string weights_line;
  std::string derived_line;
  for (const auto& d : explained["derivation"]) {
    if (d["figure"] == "weights") weights_line = d["formula"];
    if (d["figure"] == "weights derived at load") derived_line = d["formula"];
  }
  REQUIRE(weights_line.rfind(std::to_string(file_in_memory) + " B in memory", 0) == 0);
  REQUIRE(derived_line.rfind("1087373312 B of MLA projections", 0) == 0);
  REQUIRE(has(derived_line, std::to_string(file_in_memory + 1'087'373'312ULL) + " B of weights in memory"));
  REQUIRE(has(run_cli({"estimate", "r1", "-q", "q8_0", "-e", "ik_llama.cpp", "-c", "4096"}).out,
              "derived at load    1,087,373,312    1.01 GiB  ik_llama.cpp: attn_kv_b from attn_k_b and attn_v_b"));
}

// 32,768 cells x 61 x 128 x (192 + 128) x 2 B = 152.50 GiB in llama.cpp; x 61 x 576 x 2 B = 2.14 GiB.
TEST_CASE("a file that keeps attn_kv_b whole points to the engine that caches its latent", "[cli][ik_llama]") {
  const auto legacy = run_json({"estimate", "r1", "-q", "ud-iq1_s", "-c", "32768"});
  bool named = false;
  for (const auto& n : legacy["notes"])
    named = named || has(n.get<std::string>(),
                         "keeps attn_kv_b whole, so llama.cpp caches per-head K and V: 4.77 MiB per token, 152.50 GiB "
                         "at this context; ik_llama.cpp caches the latent of the same file: 68.6 KiB per token, 2.14 "
                         "GiB (--engine ik_llama.cpp)");
  REQUIRE(named);
  // A split file caches the latent in llama.cpp already; the fork itself needs no pointer.
  for (const auto& args : {std::vector<std::string>{"estimate", "r1", "-q", "q4_k_m", "-c", "32768"},
                           std::vector<std::string>{"estimate", "r1", "-q", "ud-iq1_s", "-e", "ik", "-c", "32768"}}) {
    const auto plan = run_json(args);
    for (const auto& n : plan.value("notes", nlohmann::json::array()))
      REQUIRE_FALSE(has(n.get<std::string>(), "keeps attn_kv_b whole"));
  }
}

// ik_llama.cpp's README: "The only fully functional and performant compute backends are CPU ... and CUDA".
TEST_CASE("ik_llama.cpp on a GPU backend its authors call unsupported says so", "[cli][ik_llama]") {
  const auto note_of = [](const std::string& gpu) {
    std::string found;
    const auto plan = run_json({"estimate", "8b", "-q", "q4_k_m", "-e", "ik_llama.cpp", "--gpu", gpu});
    for (const auto& n : plan.value("notes", nlohmann::json::array()))
      if (has(n.get<std::string>(), "authors support")) found = n.get<std::string>();
    return found;
  };
  REQUIRE(has(note_of("m4-max"), "ik_llama.cpp's authors support its CUDA GPU backend fully, not Metal"));
  REQUIRE(has(note_of("mi300x"), "not ROCm"));
  REQUIRE(note_of("rtx4090").empty());
}

// ubergarm's mixes are published for ik_llama.cpp only, in his own repositories; his R1-0528 and
// V3-0324 files keep attn_kv_b beside attn_k_b/attn_v_b, so the fork derives nothing at load.
TEST_CASE("ubergarm files plan on ik_llama.cpp from his repository with nothing derived", "[cli][ik_llama]") {
  const auto j = run_json({"estimate", "r1-0528", "-q", "ubergarm-iq2_k_r4", "--gpu", "rtx4090", "--ram", "256"});
  REQUIRE(j["engine"]["id"] == "ik_llama.cpp");
  REQUIRE(j["memory"]["weights"]["derived_bytes"] == 0);
  REQUIRE(j["kv_bytes_per_token"] == 61ULL * (512 + 64) * 2);  // the latent, -mla 3
  REQUIRE(has(j["launch"]["command"].get<std::string>(), "-m <IQ2_K_R4 .gguf of ubergarm/DeepSeek-R1-0528-GGUF>"));
  // The V3-0324 file of the same name is his other recipe (226.003 GiB against 219.019).
  const auto v3 = run_json({"estimate", "v3-0324", "-q", "ubergarm-iq2_k_r4"});
  REQUIRE(v3["quant"]["id"] == "ubergarm-iq2_k_r4-v3-0324");
  require_usage_error(run_cli({"estimate", "r1-0528", "-q", "ubergarm-iq2_k_r4", "-e", "llama.cpp"}),
                      "stores IQ2_K_R4 tensors, which llama.cpp does not load; engines that do: ik_llama.cpp");
}

// R1's routed experts in RAM on one RTX 4090: at the fork's default 512-token batch the CPU computes
// them (PR #520 copies them only from 32 x 256 / 8 = 1,024 tokens); a 4,096-token batch copies them
// to the GPU once per batch. The note's figures are those of the run it suggests.
TEST_CASE("a larger micro-batch is suggested where it moves the prompt's experts onto the GPU", "[cli][ik_llama]") {
  const std::vector<std::string> base = {"estimate", "r1",      "-q",    "q2_k", "-e", "ik_llama.cpp",
                                         "--gpu",    "rtx4090", "--ram", "256",  "-c", "32768"};
  const auto now = run_json(base);
  std::vector<std::string> larger = base;
  larger.insert(larger.end(), {"--ubatch", "4096"});
  const auto then = run_json(larger);
  const double slow = now["throughput"]["prefill_tokens_per_s"].get<double>();
  const double fast = then["throughput"]["prefill_tokens_per_s"].get<double>();
  REQUIRE(fast > 1.5 * slow);
  const std::string note = note_with(now, "--ubatch 4096");
  REQUIRE(has(note, "(at 512 tokens per batch ik_llama.cpp leaves them to the CPU)"));
  REQUIRE(has(note, fmt::format("~{:.0f} tokens/s instead of {:.0f}", fast, slow)));
  REQUIRE(has(then["launch"]["command"].get<std::string>(), "-b 4096 -ub 4096"));
  // Asked for explicitly, the batch is the user's: no suggestion.
  std::vector<std::string> asked = base;
  asked.insert(asked.end(), {"--ubatch", "512"});
  const auto asked_json = run_json(asked);
  for (const auto& n : asked_json.value("notes", nlohmann::json::array()))
    REQUIRE_FALSE(has(n.get<std::string>(), "--ubatch 4096"));
}

// check, for CI: a time-to-first-token limit missed at the default batch says what the larger one gives.
TEST_CASE("check repeats the larger micro-batch when a limit fails", "[cli][ik_llama]") {
  const auto failed = run_cli({"check", "r1", "-q", "q2_k", "-e", "ik_llama.cpp", "--gpu", "rtx4090", "--ram", "256",
                               "-c", "8192", "--max-ttft-ms", "60000"});
  REQUIRE(failed.code == 1);
  REQUIRE(has(failed.out, "FAIL  time to first token"));
  REQUIRE(has(failed.out, "note  prompt speed: --ubatch 4096"));
  // Passing, it has nothing to add.
  const auto passed = run_cli({"check", "r1", "-q", "q2_k", "-e", "ik_llama.cpp", "--gpu", "rtx4090", "--ram", "256",
                               "-c", "8192", "--max-ttft-ms", "100000000"});
  REQUIRE(passed.code == 0);
  REQUIRE_FALSE(has(passed.out, "prompt speed"));
}

// Mainline with R1's experts in RAM copies them from the mapped file; --no-mmap pins them, which the
// launch lines carry and the table's prompt line names.
TEST_CASE("no-mmap: pinned weights in the plan, the launch lines and the prompt note", "[cli]") {
  const std::vector<std::string> base = {"estimate", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256"};
  std::vector<std::string> pinned = base;
  pinned.push_back("--no-mmap");
  const auto mapped_json = run_json(base);
  const auto pinned_json = run_json(pinned);
  REQUIRE(pinned_json["throughput"]["prefill_tokens_per_s"].get<double>() >
          mapped_json["throughput"]["prefill_tokens_per_s"].get<double>());
  REQUIRE(has(pinned_json["launch"]["command"].get<std::string>(), " --no-mmap"));
  REQUIRE(has(pinned_json["launch"]["verify"].get<std::string>(), " -mmp 0"));
  REQUIRE_FALSE(has(mapped_json["launch"]["command"].get<std::string>(), "mmap"));
  const auto table = run_cli(base);
  REQUIRE(table.code == 0);
  REQUIRE(has(table.out, "from mapped (pageable) memory"));
  // The plan's note gives the pinned run's figure.
  REQUIRE(has(
      note_with(mapped_json, "--no-mmap reads the weights"),
      fmt::format("~{:.0f} tokens/s instead of {:.0f}", pinned_json["throughput"]["prefill_tokens_per_s"].get<double>(),
                  mapped_json["throughput"]["prefill_tokens_per_s"].get<double>())));
  REQUIRE(note_with(pinned_json, "--no-mmap reads").empty());
  const auto pinned_table = run_cli(pinned);
  REQUIRE(has(pinned_table.out, "from pinned memory"));
}

// Mainline with R1's experts in RAM: a time-to-first-token limit missed on the mapped file names
// both faster settings, the larger micro-batch and pinned memory.
TEST_CASE("check repeats the pinned-memory note when a limit fails", "[cli]") {
  const auto failed = run_cli(
      {"check", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256", "-c", "8192", "--max-ttft-ms", "60000"});
  REQUIRE(failed.code == 1);
  REQUIRE(has(failed.out, "note  prompt speed: --ubatch 4096"));
  REQUIRE(has(failed.out, "note  prompt speed: --no-mmap reads the weights"));
  const auto pinned = run_cli({"check", "r1", "-q", "q2_k", "--gpu", "rtx4090", "--ram", "256", "-c", "8192",
                               "--max-ttft-ms", "60000", "--no-mmap"});
  REQUIRE_FALSE(has(pinned.out, "--no-mmap reads"));
}

// Mainline with R1's experts in RAM on a 128-core Xeon: its CPU computes the prompt's experts faster
// than the GPU gets them over PCIe 512 tokens at a time, so the plan says what --no-op-offload gives,
// which the launch lines carry; with the flag on a desktop CPU, the note points the other way.
TEST_CASE("no-op-offload: the CPU computes the prompt's experts, in the plan, the launch lines and the notes",
          "[cli]") {
  const std::vector<std::string> base = {"estimate", "r1",    "-q",         "q2_k",  "--gpu",
                                         "rtx4090",  "--cpu", "xeon-6980p", "--ram", "512"};
  std::vector<std::string> on_cpu = base;
  on_cpu.push_back("--no-op-offload");
  const auto copied_json = run_json(base);
  const auto on_cpu_json = run_json(on_cpu);
  REQUIRE(has(on_cpu_json["launch"]["command"].get<std::string>(), " --no-op-offload"));
  REQUIRE(on_cpu_json["engine"]["op_offload"] == false);
  REQUIRE(copied_json["engine"]["op_offload"] == true);
  REQUIRE(has(on_cpu_json["launch"]["verify"].get<std::string>(), " -nopo 1"));
  REQUIRE_FALSE(has(copied_json["launch"]["command"].get<std::string>(), "op-offload"));
  const double copied = copied_json["throughput"]["prefill_tokens_per_s"].get<double>();
  const double computed = on_cpu_json["throughput"]["prefill_tokens_per_s"].get<double>();
  REQUIRE(computed > 1.2 * copied);
  REQUIRE(has(note_with(copied_json, "--no-op-offload has the CPU compute"),
              fmt::format("~{:.0f} tokens/s instead of {:.0f}", computed, copied)));
  // The desktop CPU is slower than the copy: with the flag, the note says what leaving it off gives.
  const std::vector<std::string> desktop = {"estimate", "r1",    "-q",  "q2_k",           "--gpu",
                                            "rtx4090",  "--ram", "256", "--no-op-offload"};
  const auto desktop_json = run_json(desktop);
  std::vector<std::string> desktop_copied = desktop;
  desktop_copied.pop_back();
  const auto desktop_copied_json = run_json(desktop_copied);
  REQUIRE(has(note_with(desktop_json, "without --no-op-offload the GPU computes"),
              fmt::format("~{:.0f} tokens/s instead of {:.0f}",
                          desktop_copied_json["throughput"]["prefill_tokens_per_s"].get<double>(),
                          desktop_json["throughput"]["prefill_tokens_per_s"].get<double>())));
  REQUIRE(note_with(desktop_copied_json, "--no-op-offload").empty());
  require_usage_error(run_cli({"estimate", "r1", "-q", "q2_k", "-e", "ik_llama.cpp", "--gpu", "rtx4090", "--ram", "256",
                               "--no-op-offload"}),
                      "--no-op-offload is a llama.cpp flag; ik_llama.cpp");
}
