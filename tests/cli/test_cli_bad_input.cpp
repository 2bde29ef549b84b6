// Regression tests for the fuzz campaign's findings (issue 9): every bad input is exit 2 with one
// line naming the problem and nothing on stdout; never a crash, an exit 3, or a silent default.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

using dsplan::test::require_usage_error;
using dsplan::test::run_cli;

namespace {

std::string corpus(const std::string& name) {
  return std::string(DSPLAN_FIXTURES_DIR) + "/../fuzz/corpus/catalog/" + name;
}

}  // namespace

TEST_CASE("bad command lines are one-line input errors", "[cli][fuzz]") {
  using Args = std::vector<std::string>;
  auto [args, fragment] = GENERATE(table<Args, std::string>({
      // --gpu-layers without a GPU indexed an empty device list (SIGSEGV).
      {{"estimate", "7b", "-q", "q4_k_m", "--ram", "64", "--ngl", "1"}, "--gpu-layers 1 needs GPUs"},
      {{"check", "7b", "-q", "q4_k_m", "--ram", "64", "--ngl", "5"}, "--gpu-layers 5 needs GPUs"},
      {{"estimate", "r1", "-q", "q4_k_m", "--ram", "1024", "--ngl", "3"}, "needs GPUs"},
      {{"compare", "--ram", "64", "--ngl", "1"}, "needs GPUs"},
      {{"compare", "--cpu", "epyc-9654", "--gpu-layers", "1"}, "needs GPUs"},
      // A value that is missing, empty or names nothing is not a default.
      {{"estimate", "70b", "--link-bandwidth", "abc"}, "--link-bandwidth: 'abc' is not a number"},
      {{"estimate", "70b", "--link-bandwidth", "900"}, "--link-bandwidth goes with GPUs"},
      // --pcie: a generation 1-6 and a lane count PCIe has, on cards with a PCIe link.
      {{"estimate", "70b", "--pcie", "4x8"}, "--pcie goes with GPUs"},
      {{"estimate", "70b", "--gpu", "rtx4090", "--pcie", "4x7"}, "--pcie: '4x7' is not GEN or GENxLANES"},
      {{"estimate", "70b", "--gpu", "rtx4090", "--pcie", "7"}, "--pcie: '7' is not GEN or GENxLANES"},
      {{"estimate", "70b", "--gpu", "rtx4090", "--pcie", "x16"}, "--pcie: 'x16' is not GEN or GENxLANES"},
      {{"estimate", "70b", "--gpu", "rtx4090", "--pcie", "4x"}, "--pcie: '4x' is not GEN or GENxLANES"},
      {{"estimate", "70b", "--gpu", "rtx4090", "--pcie", "4x0"}, "--pcie: '4x0' is not GEN or GENxLANES"},
      {{"estimate", "r1", "--gpu", "apple-m3-ultra", "--pcie", "4"}, "has no PCIe link to system RAM"},
      {{"estimate", "70b", "--bandwidth", "900"}, "--bandwidth goes with GPUs"},
      {{"estimate", "70b", "--nodes", "2"}, "--nodes goes with GPUs"},
      // CPU threads: a count of at least 1, on hardware that runs the model.
      {{"estimate", "70b", "--threads", "8"}, "--threads goes with hardware"},
      {{"estimate", "70b", "--cpu", "epyc-9654", "--threads", "0"}, "--threads"},
      {{"estimate", "70b", "--cpu", "epyc-9654", "--threads", "many"}, "--threads"},
      {{"estimate", "70b", "--cpu", "epyc-9654", "--threads", "513"}, "--threads"},
      {{"estimate", "70b", "--sockets", "2"}, "--sockets goes with hardware"},
      {{"estimate", "70b", "--cpu", "epyc-9654", "--sockets", "0"}, "--sockets"},
      {{"estimate", "70b", "--cpu", "epyc-9654", "--sockets", "9"}, "--sockets"},
      {{"estimate", "70b", "--gpu", "apple-m3-ultra", "--sockets", "2"}, "--sockets goes with --cpu"},
      // --n-cpu-moe: 1 to the model's blocks, a MoE model, llama.cpp's layer split, not with --offload-experts.
      {{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "0"},
       "--n-cpu-moe: DeepSeek-R1 has 61 blocks, so 1 to 61"},
      {{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "62"}, "so 1 to 61"},
      {{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "-1"}, "--n-cpu-moe"},
      {{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "8", "--offload-experts"},
       "give one"},
      // --tensor-split: numbers of 0 or more, at most one per GPU, not all 0, llama.cpp's option only.
      {{"estimate", "32b", "-q", "q4_k_m", "--gpus", "rtx3090,rtx3060", "--tensor-split", "3,x"},
       "--tensor-split: 'x' is not a number"},
      {{"estimate", "32b", "-q", "q4_k_m", "--gpus", "rtx3090,rtx3060", "--ts", "1,-1"}, "--tensor-split"},
      {{"estimate", "32b", "-q", "q4_k_m", "--gpus", "rtx3090,rtx3060", "--ts", "1,1,1"},
       "--tensor-split has 3 shares for 2 GPUs"},
      {{"estimate", "32b", "-q", "q4_k_m", "--gpus", "rtx3090,rtx3060", "--ts", "0/0"}, "every share is 0"},
      {{"estimate", "32b", "-q", "q4_k_m", "--ts", "1,1"}, "--tensor-split"},
      {{"estimate", "32b", "-q", "awq", "--engine", "vllm", "--gpu", "rtx3090", "--count", "2", "--ts", "1,1"},
       "llama.cpp options"},
      {{"estimate", "70b", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "8"},
       "--n-cpu-moe needs a mixture-of-experts model"},
      {{"estimate", "r1", "-q", "fp8", "--engine", "vllm", "--gpu", "h200", "--count", "8", "--n-cpu-moe", "8"},
       "llama.cpp options"},
      {{"estimate", "r1", "--n-cpu-moe", "8"}, "--n-cpu-moe needs hardware"},
      // They time the weights kept in RAM: without hardware they were accepted and did nothing.
      {{"estimate", "8b", "-q", "q4_k_m", "--no-op-offload"}, "--no-op-offload needs hardware"},
      {{"estimate", "8b", "-q", "q4_k_m", "--no-mmap"}, "--no-mmap needs hardware"},
      // Ollama offloads whole layers (num_gpu) and has no option for experts in RAM.
      {{"estimate", "r1", "-q", "q4_k_m", "-e", "ollama", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "auto"},
       "--n-cpu-moe: Ollama places whole layers only"},
      {{"estimate", "r1", "-q", "q4_k_m", "-e", "ollama", "--gpu", "rtx4090", "--ram", "512", "--offload-experts"},
       "--offload-experts: Ollama places whole layers only"},
      {{"estimate", "r1", "-q", "q4_k_m", "--ram", "512", "--n-cpu-moe", "auto"}, "--n-cpu-moe places experts on GPUs"},
      {{"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--n-cpu-moe", "most"}, "--n-cpu-moe"},
      {{"estimate", "70b", "--link-bandwidth", "--json"}, "--link-bandwidth: missing value (got the flag '--json')"},
      {{"estimate", "70b", "--gpu", ""}, "--gpu: empty value"},
      {{"estimate", "70b", "--quant", ""}, "--quant: empty value"},
      {{"estimate", "70b", "--engine", ""}, "--engine: empty value"},
      {{"estimate", "70b", "--vram", ""}, "--vram: empty value"},
      {{"recommend", "--vram", "24", "--model", ""}, "--model: empty value"},
      {{"recommend", "--vram", "24", "--model", ","}, "--model: empty value ','"},
      {{"compare", "--quants", ""}, "--quants: empty value"},
      // An empty item in a list names nothing either (it was dropped silently).
      {{"compare", "--models", "8b,,70b"}, "--models: empty item in '8b,,70b'"},
      {{"compare", "--models", "8b,70b,"}, "--models: empty item in '8b,70b,'"},
      {{"compare", "8b,,70b"}, "MODEL: empty item in '8b,,70b'"},
      {{"compare", "--quants", ",q4_k_m"}, "--quants: empty item"},
      {{"recommend", "--vram", "24", "--engine", "vllm,,sglang"}, "--engine: empty item"},
      // Flags that would do nothing: refused, as --rank with --method full is.
      {{"train", "8b", "--method", "full", "--targets", "attn"}, "--targets applies to --method lora or qlora"},
      {{"train", "8b", "--method", "lora", "--fsdp-qlora"}, "--fsdp-qlora applies to --method qlora"},
      {{"train", "8b", "--tokens", "1e9", "--price", "2"}, "--price needs --gpu NAME"},
      {{"train", "8b", "--tokens", "1e9", "--mfu", "0.3"}, "--mfu needs --gpu NAME"},
      {{"recommend", "--vram", "24", "--max-gpus", "4"}, "--max-gpus goes with --cloud"},
      {{"recommend", "--vram", "24", "--all"}, "--all lists every candidate in --json or --format csv"},
      {{"recommend", "--gpu", "rtx4090", "--budget-period", "upfront"}, "--budget-period goes with --budget-usd"},
      // compare: a request no cell can use is an error, not a matrix of n/a.
      {{"compare", "--cpu", "nope"}, "unknown CPU 'nope'"},
      {{"compare", "--vram", "24", "--kv-type", "nope"}, "KV cache type 'nope'"},
      {{"compare", "--vram", "24", "--prompt", "100000"}, "--prompt 100000 leaves no room"},
      // An explicit tensor/pipeline split that cannot exist (train already refused it).
      {{"estimate", "70b", "--engine", "vllm", "--gpu", "h100-sxm", "--tp", "4096"},
       "--tp/--pp: tensor parallel 4096 does not divide the 1 GPUs"},
      {{"estimate", "70b", "--engine", "vllm", "--gpu", "h100-sxm", "--count", "8", "--tp", "3"},
       "tensor parallel 3 does not divide the 8 GPUs"},
      {{"estimate", "70b", "--engine", "vllm", "--gpu", "h100-sxm", "--count", "8", "--tp", "4", "--pp", "4"},
       "tensor parallel 4 x pipeline parallel 4 must equal the 8 GPUs"},
      // CLI11's wording, and a limit nothing can meet.
      {{"estimate", "8b", "--gpu", "rtx4090", "--gpu", "h100-sxm"}, "--gpu given 2 times; give it once"},
      {{"catalog", "foo"}, "dsplan catalog has no command 'foo'; its commands: validate"},
      {{"recommend", "--ram", "64", "--gpus", "2"}, "--gpus 2 (a count) goes with --gpu NAME or --vram SIZE"},
      {{"check", "8b", "--gpu", "rtx4090", "--max-ttft-ms", "0"}, "--max-ttft-ms: 0 is out of range"},
      {{"train", "8b", "--gpu", "h100-sxm", "--tokens", "-5"}, "--tokens: -5 is out of range (1 to 1e+18)"},
      // Training whose activations pass 2^64 bytes printed "0 B" (float-to-integer overflow). A
      // 16m sequence is now refused first (the 70B's window is 131,072 tokens), so the overflow
      // case uses V4-Pro's 1m window with every s x s score stored.
      {{"train", "70b", "--gpu", "h100-sxm", "--seq", "16m", "--micro-batch", "65536"},
       "--seq 16777216 exceeds DeepSeek-R1-Distill-Llama-70B's maximum of 131072 tokens (max_position_embeddings)"},
      {{"train", "v4-pro", "--gpu", "h100-sxm", "--seq", "1m", "--micro-batch", "65536", "--no-flash-attn",
        "--checkpointing", "none"},
       "too large to represent"},
      // Work is bounded: a node holds at most 72 GPUs (these took 12-26 s).
      {{"compare", "--gpu", "h100-sxm", "--count", "4096", "--nodes", "1024"},
       "--count: 4096 is out of range (1 to 72)"},
      {{"recommend", "--count", "4096", "--vram", "2b"}, "--count: 4096 is out of range (1 to 72)"},
      {{"estimate", "70b", "--gpus", "40xrtx3090,40xrtx4090"}, "at most 72 GPUs per node"},
      // A build date no build has: before llama.cpp's first release (March 2023), or after today.
      {{"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--build-date", "2023-02-28"},
       "--build-date: 2023-02-28 is before llama.cpp's first release (2023-03)"},
      {{"estimate", "8b", "-q", "q4_k_m", "--gpu", "rtx4090", "--build-date", "2999-01"},
       "--build-date: 2999-01 is after today"},
      // Unexpected arguments in the order typed, with a suggestion.
      {{"estimate", "70b", "--foo", "1", "--ngl", "2"}, "unexpected arguments '--foo' '1'"},
      {{"estimate", "70b", "--ctx", "4096"}, "(did you mean --context?)"},
      {{"estimate", "70b", "--contxt", "4096"}, "(did you mean --context"},
      // Only recommend chooses rented GPUs; estimate prices the cards it is given.
      {{"estimate", "r1", "--cloud"}, "unexpected argument '--cloud' (did you mean --gpu NAME --count auto"},
  }));
  CAPTURE(args);
  require_usage_error(run_cli(args), fragment);
}

TEST_CASE("control characters in an argument are shown escaped, never raw", "[cli][fuzz]") {
  const auto o = run_cli({"estimate", "70b\x1b[31m"});
  require_usage_error(o, "unknown model '70b\\x1b[31m'");
  REQUIRE(o.err.find('\x1b') == std::string::npos);
}

TEST_CASE("minus zero is read as 0 and 1PiB is inside the documented size range", "[cli][fuzz]") {
  const auto zero = run_cli({"recommend", "--vram", "24", "--min-tps", "-0", "--json"});
  REQUIRE(zero.code == 0);
  const auto j = nlohmann::json::parse(zero.out);
  REQUIRE_FALSE(std::signbit(j["min_tokens_per_s"].get<double>()));
  const auto table = run_cli({"recommend", "--vram", "24", "--min-tps", "-0"});
  REQUIRE(table.out.find("at least 0 tokens/s") != std::string::npos);
  // Whole numbers and sizes too: --zero -0 is ZeRO stage 0; --vram -0 is 0 bytes, below the range.
  const auto stage = run_cli({"train", "8b", "--zero", "-0", "--json"});
  REQUIRE(stage.code == 0);
  REQUIRE(nlohmann::json::parse(stage.out)["zero"] == 0);
  require_usage_error(run_cli({"estimate", "8b", "--ram", "-0"}), "--ram: '-0' is out of range (1 byte to 1 PiB)");
  // 'max' in any case; digits past 64 bits are a number out of range, not "not a token count".
  REQUIRE(dsplan::test::run_json(
              {"estimate", "8b", "--gpu", "rtx4090", "--context", "MAX"})["context_search"]["found"] == true);
  require_usage_error(run_cli({"estimate", "8b", "--context", "99999999999999999999"}),
                      "--context: '99999999999999999999' is out of range (1 to 16777216)");
  // Numbers are decimal: 0x10 is not sixteen tokens.
  require_usage_error(run_cli({"train", "8b", "--gpu", "h100-sxm", "--tokens", "0x10"}),
                      "--tokens: '0x10' is not a number");
  // The message gives the range: 1 PiB itself is accepted, one byte more is not.
  REQUIRE(run_cli({"estimate", "70b", "--vram", "1PiB"}).code == 0);
  require_usage_error(run_cli({"estimate", "70b", "--vram", "1125899906842625b"}), "out of range (64 MiB to 1 PiB)");
  require_usage_error(run_cli({"estimate", "70b", "--ram", "0"}), "out of range (1 byte to 1 PiB)");
  // A GPU of one byte (whose usable 90% rounds to nothing, once shown as unknown and fitting) is
  // no GPU: at least 64 MiB, which the range of 0 says too (audit 53: "1 byte to 1 PiB").
  require_usage_error(run_cli({"estimate", "1.5b", "--vram", "1b"}),
                      "--vram: '1b' is out of range (64 MiB to 1 PiB: no GPU has less)");
  require_usage_error(run_cli({"estimate", "1.5b", "--vram", "0"}),
                      "--vram: '0' is out of range (64 MiB to 1 PiB: no GPU has less)");
  require_usage_error(run_cli({"estimate", "1.5b", "--gpu", "rtx4090", "--gpu-memory", "63MiB"}),
                      "--gpu-memory: '63MiB' is out of range (64 MiB to 1 PiB: no GPU has less)");
  REQUIRE(run_cli({"estimate", "1.5b", "--vram", "64MiB"}).code == 0);
}

TEST_CASE("a failed write of the output is an error, not success", "[cli][fuzz]") {
  std::ostringstream out, err;
  out.setstate(std::ios::badbit);  // as std::cout is after writing to /dev/full or a closed descriptor
  const int code = dsplan::cli::run({"list", "--json"}, out, err, dsplan::cli::Env{});
  REQUIRE(code == 2);
  REQUIRE(err.str().rfind("dsplan: error: cannot write the output", 0) == 0);
}

TEST_CASE("bad catalog files are one-line input errors", "[cli][fuzz][catalog]") {
  auto [file, fragment] = GENERATE(table<std::string, std::string>({
      // nlohmann's number overflow escaped as exit 3.
      {"repro_number_overflow.json", "invalid JSON: number overflow parsing '1e400'"},
      // describe() dumped the whole value: 100,000 nested arrays overflowed the stack. The
      // catalog parser now stops at 64 levels (the catalog nests 6), naming line and column.
      {"repro_deep_nesting.json", "/: invalid JSON: parse error at line 1, column 65: nested deeper than 64 levels"},
      {"repro_deep_in_gpu.json", "invalid JSON: parse error at line 1, column 77: nested deeper than 64 levels"},
      // Figures outside their physical range overflowed, exhausted memory or divided by ~0.
      {"repro_tflops_denormal.json", "/gpus/0/fp16_tflops: expected a number from 0.001 to 1000000"},
      {"repro_tflops_tiny.json", "_tflops: expected a number from 0.001 to 1000000"},
      {"repro_memory_near_2_64.json", "/gpus/0/memory_bytes: expected an integer from 1 to 1125899906842624"},
      {"repro_usable_fraction_tiny.json", "/gpus/0/usable_memory_fraction: expected a number from 0.01 to 1"},
      {"repro_pcie_gen_67.json", "/gpus/0/interconnect/pcie_gen: expected an integer from 0 to 7, got 67"},
      {"repro_pcie_lanes_huge.json", "/gpus/0/interconnect/pcie_lanes: expected an integer from 0 to 32"},
      {"repro_layers_1e9.json", "/models/0/config/num_hidden_layers: expected an integer from 1 to 1024"},
      {"repro_layers_2_64.json", "/models/0/config/num_hidden_layers: expected an integer from 1 to 1024"},
      {"repro_heads_over_hidden.json", "more attention heads than hidden_size"},
      {"repro_first_k_dense_huge.json", "/models/0/config/first_k_dense_replace: expected an integer from 0 to 61"},
      {"repro_moe_freq_huge.json", "/models/0/config/moe_layer_freq: expected an integer from 1 to 61"},
      {"repro_task_divide_tiny.json", "/tasks/0/metrics/0/divide_by: expected a number from 0.001 to 1000000000"},
      {"repro_f32_block_1e9.json", "/block_types/0/weights_per_block: expected an integer from 1 to 1024"},
      // A NUL in a key cut the message short; it is shown escaped.
      {"repro_nul_in_key.json", "unknown field 'na\\x00me'"},
      // validate refuses a block size no estimate can use (estimates exited 3 with it).
      {"repro_f32_block_1000.json", "'f32' cannot store"},
  }));
  CAPTURE(file);
  require_usage_error(run_cli({"catalog", "validate", corpus(file)}), fragment);
}

TEST_CASE("a catalog block size no estimate can use is an input error in estimates too", "[cli][fuzz][catalog]") {
  require_usage_error(run_cli({"--catalog", corpus("repro_f32_block_1000.json"), "estimate", "7b", "-q", "q4_k_m"}),
                      "block type 'f32' stores blocks of 1000 weights");
}

TEST_CASE("a catalog path that is not a regular file is named as such", "[cli][fuzz][catalog]") {
  const auto dir = std::filesystem::temp_directory_path() / "dsplan-test-catalog-kinds";
  std::filesystem::create_directories(dir);
  require_usage_error(run_cli({"catalog", "validate", dir.string()}), "is a directory");
  require_usage_error(run_cli({"catalog", "validate", "/dev/zero"}), "is not a regular file");
  const auto fifo = dir / "fifo";
  std::filesystem::remove(fifo);
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);  // opening it to read would block forever
  require_usage_error(run_cli({"catalog", "validate", fifo.string()}), "is not a regular file");
  // A model file given as a FIFO is refused the same way (its reader opened it first and waited
  // for a writer forever).
  require_usage_error(run_cli({"inspect", fifo.string()}), fifo.string() + ": not a regular file");
  require_usage_error(run_cli({"estimate", "8b", "--model-file", fifo.string(), "--vram", "24"}), "not a regular file");
  std::filesystem::remove_all(dir);
}

TEST_CASE("flags that would do nothing there are refused rather than ignored", "[cli][fuzz]") {
  require_usage_error(run_cli({"estimate", "7b", "--explain", "--sweep", "context"}),
                      "--explain derives one plan's figures; --sweep context lists many");
  require_usage_error(run_cli({"completions", "bash", "--json"}), "--json and --format do not apply");
  require_usage_error(run_cli({"completions", "zsh", "--format", "csv"}), "--json and --format do not apply");
}

TEST_CASE("a missing argument or another command's flag is named with where it belongs", "[cli][fuzz]") {
  require_usage_error(run_cli({"completions"}), "dsplan completions needs its shell argument");
  require_usage_error(run_cli({"show"}), "dsplan show needs its model argument");
  require_usage_error(run_cli({"estimate", "7b", "--task", "code"}), "did you mean dsplan recommend --task");
  require_usage_error(run_cli({"compare", "--model", "7b"}), "did you mean --models, or the models as arguments?");
}

TEST_CASE("a word that is no command of catalog is named", "[cli][fuzz]") {
  require_usage_error(run_cli({"catalog", "foo"}), "dsplan catalog has no command 'foo'; its commands: validate");
  require_usage_error(run_cli({"catalog"}), "dsplan catalog needs one of its commands: validate");
}

TEST_CASE("an unknown name suggests each catalog entry once", "[cli][fuzz]") {
  // rtx-4090 is an alias of rtx4090: one GPU, suggested once, not as two spellings.
  const auto o = run_cli({"estimate", "8b", "--gpu", "rtx409"});
  require_usage_error(o, "did you mean: rtx4090,");
  CHECK(o.err.find("rtx-4090") == std::string::npos);
}

TEST_CASE("a catalog file saved with a UTF-8 byte-order mark is read", "[cli][catalog]") {
  // RFC 8259 8.1: a reader may ignore a BOM; Windows editors write one.
  const auto path = std::filesystem::temp_directory_path() / "dsplan-test-bom.json";
  std::ofstream(path, std::ios::binary) << "\xEF\xBB\xBF{\"models\": []}";
  const auto o = run_cli({"catalog", "validate", path.string()});
  CHECK(o.code == 0);
  CHECK(o.out.find("valid: 1 file over") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("a KV cache type of the sparse-attention kernels is refused for other attention", "[cli][fuzz]") {
  // fp8_ds_mla is the FlashMLA sparse kernels' layout (DeepSeek-V3.2 and V4; data/quants.json):
  // the 8B distill (GQA) and R1 (dense MLA, whose vLLM FP8 cache is fp8_e4m3) cannot use it.
  require_usage_error(run_cli({"estimate", "8b", "--kv-type", "fp8_ds_mla", "--gpu", "rtx4090", "--engine", "vllm"}),
                      "--kv-type fp8_ds_mla: FP8 DeepSeek MLA cache is read only by the kernels of mla_dsa and "
                      "csa_hca attention (DeepSeek-V3.2, V4), and DeepSeek-R1-Distill-Llama-8B has gqa; give one of "
                      "bf16, f16, fp8_e4m3");
  require_usage_error(run_cli({"estimate", "r1", "--kv-type", "fp8_ds_mla", "--gpu", "h200", "--count", "8"}),
                      "and DeepSeek-R1 has mla; give one of bf16, f16, fp8_e4m3");
  REQUIRE(run_cli({"estimate", "v3.2", "--kv-type", "fp8_ds_mla", "--gpu", "h200", "--count", "8"}).code == 0);
}

TEST_CASE("parse errors name the option or value at fault", "[cli][bad_input]") {
  require_usage_error(run_cli({"estimate", "--model-file"}), "--model-file needs a value after it");
  require_usage_error(run_cli({}), "dsplan needs a command: recommend, list, show, estimate");
  require_usage_error(run_cli({"train", "8b", "--precision", "fp4"}), "--precision: 'fp4' is not one of bf16 or fp8");
  require_usage_error(run_cli({"estimate", "8b", "--ram", "64", "--gpu-memory", "8"}),
                      "--gpu-memory sets the memory of --gpu or --gpus cards, and none is given");
}

TEST_CASE("a catalog GPU missing both speed figures names both at once", "[cli][bad_input]") {
  // data/gpus.json gives the Ascend 910B neither a memory bandwidth nor a tensor rate.
  require_usage_error(run_cli({"estimate", "8b", "--gpu", "ascend-910b"}),
                      "Huawei Ascend 910B has no published memory bandwidth; give one with --bandwidth, and no dense "
                      "FP16/BF16 tensor rate in the catalog: add bf16_tflops");
}

TEST_CASE("a per-node count past every node --nodes plans says so instead of advising more nodes", "[cli][bad_input]") {
  // 72 B300s per node x 1024 nodes = 73,728 GPUs = 9,216 nodes of 8: past the 1,024 --nodes takes.
  require_usage_error(run_cli({"estimate", "v4-pro", "--gpu", "b300", "--count", "72", "--nodes", "1024"}),
                      "73728 GPUs in all would take 9216 nodes, more than the 1024 --nodes plans");
  // Within the cap the advice stands: 16 per node x 2 nodes = 32 GPUs = 4 nodes of 8.
  require_usage_error(run_cli({"estimate", "r1", "--gpu", "h100-sxm", "--count", "16", "--nodes", "2"}),
                      "give --count 8 --nodes 4");
}

TEST_CASE("negative counts are out of range and --mtp -1 is not a wrapped huge count", "[cli][bad_input]") {
  require_usage_error(run_cli({"estimate", "r1", "--mtp", "-1"}), "--mtp: '-1' is out of range (0 to 8)");
  require_usage_error(run_cli({"estimate", "7b", "--gpu", "rtx4090", "--count", "-1"}),
                      "--count: '-1' is out of range (1 to 72)");
  require_usage_error(run_cli({"train", "7b", "--zero", "-1"}), "--zero: '-1' is out of range (0 to 3)");
}

TEST_CASE("a llama.cpp build from before DeepSeek-V3 support cannot run R1", "[cli][bad_input]") {
  // llama.cpp PR #11049 (DeepSeek-V3) merged 2025-01-04; a month is any build of it.
  require_usage_error(
      run_cli({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--build-date", "2024-12"}),
      "--build-date 2024-12: llama.cpp loads deepseek2 GGUF files (DeepSeek-R1) since 2025-01-04");
  require_usage_error(
      run_cli({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--build-date", "2025-01-03"}),
      "since 2025-01-04");
  REQUIRE(
      run_cli({"estimate", "r1", "-q", "q4_k_m", "--gpu", "rtx4090", "--ram", "512", "--build-date", "2025-01"}).code ==
      0);
}
