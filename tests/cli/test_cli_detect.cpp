// Hardware detection: the parsers on literal tool outputs, the catalog mapping, and `detect` /
// `--detect` in-process with fake tools on PATH (tests/fixtures/detect) and a fake /proc.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

#include "../unit/test_support.hpp"
#include "cli/detect.hpp"
#include "dsplan/base/text.hpp"
#include "cli_support.hpp"

namespace {

using namespace dsplan;
using namespace dsplan::cli;

constexpr std::uint64_t k_one_mib = 1ULL << 20;

std::string detect_dir(const char* name) { return std::string(DSPLAN_FIXTURES_DIR) + "/detect/" + name; }

/// A fake environment: PATH = one fixture folder of fake tools, /proc = the fixture's proc folder.
cli::Env fake_env(const char* tools, bool proc = true) {
  cli::Env env;
  env.path = detect_dir(tools);
  if (proc) env.proc_root = detect_dir("proc");
  return env;
}

test::Outcome run_with(const cli::Env& env, const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = cli::run(args, out, err, env);
  return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("nvidia-smi CSV: one card per line, MiB", "[detect]") {
  const auto gpus = parse_nvidia_smi(
      "NVIDIA GeForce RTX 4090, 24564, 23012, 550.54.14\n"
      "NVIDIA H100 80GB HBM3, 81559, [N/A], 550.54.15\n");
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].name == "NVIDIA GeForce RTX 4090");
  CHECK(gpus[0].memory_total.count() == 24564 * k_one_mib);  // 25,757,220,864 B
  REQUIRE(gpus[0].memory_free);
  CHECK(gpus[0].memory_free->count() == 23012 * k_one_mib);
  CHECK(gpus[0].driver == "550.54.14");
  CHECK(gpus[1].memory_total.count() == 81559 * k_one_mib);
  CHECK_FALSE(gpus[1].memory_free);  // [N/A]
}

TEST_CASE("nvidia-smi CSV: the PCIe link possible in each slot", "[detect]") {
  const auto gpus = parse_nvidia_smi(
      "NVIDIA GeForce RTX 3090, 24576, 24000, 550.54.14, 4, 8\n"
      "NVIDIA GeForce RTX 3090, 24576, 24000, 550.54.14, [N/A], [N/A]\n");
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].pcie_gen == 4);
  CHECK(gpus[0].pcie_lanes == 8);
  CHECK(gpus[1].pcie_gen == 0);  // not reported
  CHECK(gpus[1].pcie_lanes == 0);
}

TEST_CASE("nvidia-smi CSV: messages, blanks and junk give no cards", "[detect]") {
  CHECK(parse_nvidia_smi("").empty());
  CHECK(parse_nvidia_smi("No devices were found\n").empty());
  CHECK(parse_nvidia_smi("name, memory.total [MiB]\n, 24564\nX, lots, 1, 2\n").empty());
  // CRLF and spaces are tolerated; a missing driver column is not an error.
  const auto g = parse_nvidia_smi("Tesla T4 ,15360 ,15100\r\n");
  REQUIRE(g.size() == 1);
  CHECK(g[0].name == "Tesla T4");
  CHECK(g[0].memory_total.count() == 15360 * k_one_mib);
  CHECK(g[0].driver.empty());
}

TEST_CASE("rocm-smi JSON: cards, used memory, driver, junk gives none", "[detect]") {
  const auto gpus = parse_rocm_smi(
      R"js({"card0": {"Card series": "AMD Instinct MI300X OAM", "VRAM Total Memory (B)": "205822885888",
          "VRAM Total Used Memory (B)": "1073741824"},
          "card1": {"Card Model": "0x74a1", "VRAM Total Memory (B)": 1000},
          "card2": {"Card Series": "no memory"},
          "system": {"Driver version": "6.7.0"}})js");
  REQUIRE(gpus.size() == 2);
  CHECK(gpus[0].name == "AMD Instinct MI300X OAM");
  CHECK(gpus[0].memory_total.count() == 205'822'885'888ULL);
  REQUIRE(gpus[0].memory_free);
  CHECK(gpus[0].memory_free->count() == 205'822'885'888ULL - 1'073'741'824ULL);
  CHECK(gpus[0].driver == "6.7.0");
  CHECK(gpus[1].name == "0x74a1");
  CHECK_FALSE(gpus[1].memory_free);
  CHECK(parse_rocm_smi("WARNING: no AMD GPUs").empty());
  CHECK(parse_rocm_smi("[1, 2]").empty());
}

TEST_CASE("/proc/meminfo and /proc/cpuinfo", "[detect]") {
  const auto m = parse_meminfo("MemTotal:       65536000 kB\nMemFree: 1 kB\nMemAvailable:   52428800 kB\n");
  REQUIRE(m.total);
  CHECK(m.total->count() == 65'536'000ULL * 1024);  // 62.5 GiB
  REQUIRE(m.available);
  CHECK(m.available->count() == 52'428'800ULL * 1024);  // 50 GiB
  CHECK_FALSE(parse_meminfo("garbage\n").total);
  CHECK(parse_cpuinfo("processor\t: 0\nmodel name\t: AMD Ryzen 9 7950X 16-Core Processor\n") ==
        "AMD Ryzen 9 7950X 16-Core Processor");
  CHECK(parse_cpuinfo("processor : 0\nBogoMIPS : 50.00\n").empty());
  // Two sockets: logical CPUs 0-1 on physical id 0, 2-3 on physical id 1.
  CHECK(parse_cpuinfo_sockets("processor\t: 0\nphysical id\t: 0\nprocessor\t: 1\nphysical id\t: 0\n"
                              "processor\t: 2\nphysical id\t: 1\nprocessor\t: 3\nphysical id\t: 1\n") == 2);
  CHECK(parse_cpuinfo_sockets("processor\t: 0\nphysical id\t: 0\n") == 1);
  CHECK(parse_cpuinfo_sockets("processor : 0\nBogoMIPS : 50.00\n") == 0);  // ARM kernels often omit it
}

TEST_CASE("sysctl on Apple silicon, and elsewhere", "[detect]") {
  const auto a = parse_sysctl_apple("68719476736\nApple M3 Max\n");
  REQUIRE(a);
  CHECK(a->memsize.count() == 68'719'476'736ULL);  // 64 GiB
  CHECK(a->chip == "Apple M3 Max");
  CHECK_FALSE(parse_sysctl_apple("68719476736\nIntel(R) Core(TM) i9-9880H CPU @ 2.30GHz\n"));
  CHECK_FALSE(parse_sysctl_apple("sysctl: unknown oid 'hw.memsize'\n"));
  CHECK(parse_wired_limit("57344\n")->count() == 57344 * k_one_mib);
  CHECK_FALSE(parse_wired_limit("0\n"));
}

TEST_CASE("detected names map to catalog entries", "[detect]") {
  const auto& cat = test::catalog();
  const auto id = [&](const char* name, std::uint64_t mib, bool apple = false) -> std::string {
    DetectedGpu g;
    g.name = name;
    g.memory_total = Bytes(mib * k_one_mib);
    const auto* s = match_gpu(cat, g, apple);
    return s ? s->id : "none";
  };
  CHECK(id("NVIDIA GeForce RTX 4090", 24564) == "rtx4090");
  CHECK(id("NVIDIA H100 80GB HBM3", 81559) == "h100-sxm");      // without "HBM3": alias h100-80g
  CHECK(id("AMD Instinct MI300X OAM", 196288) == "mi300x");     // without "OAM"
  CHECK(id("NVIDIA GeForce RTX 3060", 8192) == "none");         // the 8 GB card is not the catalog's 12 GB one
  CHECK(id("Matrox G200eW", 16) == "none");
  // ROCm's names (llama.cpp's ROCm device line): the card, and Strix Halo's iGPU with its GTT size.
  CHECK(id("AMD Radeon RX 7900 XTX", 24560) == "rx7900xtx");
  CHECK(id("Radeon RX 7900 XTX", 24560) == "rx7900xtx");
  CHECK(id("AMD Radeon 8060S Graphics", 126976) == "ryzen-ai-max-395");  // without "Graphics"
  // rocm-smi's card series: the chip and its boards; 24 GiB is the XTX (the XT has 20 GB).
  CHECK(id("Navi 31 [Radeon RX 7900 XT/7900 XTX]", 24560) == "rx7900xtx");
  CHECK(id("Navi 31 [Radeon RX 7900 XT/7900 XTX]", 20464) == "none");  // the XT: not in the catalog
  CHECK(id("Apple M3 Max", 65536, true) == "apple-m3-max");     // any memory size
  CHECK(match_cpu(cat, "AMD Ryzen 9 7950X 16-Core Processor")->id == "ryzen-7950x");
  CHECK(match_cpu(cat, "Intel(R) Xeon(R) Platinum 8480+")->id == "xeon-8480plus");
  CHECK(match_cpu(cat, "Some Future CPU 1") == nullptr);
}

// A Ryzen AI Max's ROCm reports the GPU's share of its one memory: the BIOS carve-out (96 GiB, what
// the GPU may use), or a small one when Linux's GTT maps the rest (then nothing about the share).
TEST_CASE("map_detection: a unified-memory APU is its catalog machine whatever share ROCm reports", "[detect]") {
  const auto& cat = test::catalog();
  const auto apu = [&](std::uint64_t vram_mib) {
    Detection d;
    d.source = "rocm-smi";
    DetectedGpu g;
    g.name = "AMD Radeon 8060S Graphics";
    g.memory_total = Bytes(vram_mib * k_one_mib);
    d.gpus.push_back(g);
    d.ram_total = Bytes(31ULL * 1024 * 1024 * 1024);
    d.cpu = "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S";
    return map_detection(cat, d, false);
  };
  const auto carve = apu(98304);  // 96 GiB
  REQUIRE(carve.request);
  REQUIRE(carve.request->gpus.size() == 1);
  CHECK(carve.request->gpus[0].name == "ryzen-ai-max-395");
  CHECK(carve.request->gpus[0].usable->count() == 96 * k_gib);
  CHECK_FALSE(carve.request->gpus[0].installed);
  CHECK_FALSE(carve.request->ram);  // the system's share is what the GPU leaves of the one memory
  CHECK(join(carve.flags, " ") == "--gpu ryzen-ai-max-395 --gpu-usable 96");
  const auto gtt = apu(512);
  REQUIRE(gtt.request);
  CHECK(gtt.request->gpus[0].name == "ryzen-ai-max-395");
  CHECK_FALSE(gtt.request->gpus[0].usable);
  CHECK(join(gtt.flags, " ") == "--gpu ryzen-ai-max-395");
}

TEST_CASE("map_detection: requests and flags", "[detect]") {
  const auto& cat = test::catalog();
  Detection d;
  d.source = "nvidia-smi";
  d.gpus = parse_nvidia_smi("NVIDIA GeForce RTX 4090, 24564, 23012, 1\nNVIDIA GeForce RTX 4090, 24564, 24000, 1\n");
  d.ram_total = Bytes(65'536'000ULL * 1024);
  d.ram_available = Bytes(52'428'800ULL * 1024);
  d.cpu = "AMD Ryzen 9 7950X 16-Core Processor";

  const auto total = map_detection(cat, d, false);
  REQUIRE(total.request);
  REQUIRE(total.request->gpus.size() == 1);
  CHECK(total.request->gpus[0].name == "rtx4090");
  CHECK(total.request->gpus[0].count == 2);
  CHECK_FALSE(total.request->gpus[0].usable);
  CHECK(total.request->ram->count() == 65'536'000ULL * 1024);
  CHECK(total.request->cpu == "ryzen-7950x");
  CHECK(join(total.flags, " ") == "--gpus 2xrtx4090 --ram 62.5 --cpu ryzen-7950x");
  Detection server = d;
  server.cpu = "AMD EPYC 9654 96-Core Processor";
  server.sockets = 2;
  const auto dual = map_detection(cat, server, false);
  REQUIRE(dual.request);
  CHECK(dual.request->sockets == 2u);
  CHECK(join(dual.flags, " ") == "--gpus 2xrtx4090 --ram 62.5 --cpu epyc-9654 --sockets 2");

  const auto free = map_detection(cat, d, true);
  REQUIRE(free.request);
  REQUIRE(free.request->gpus.size() == 2);  // different free memory: two entries
  CHECK(free.request->gpus[0].usable->count() == 23012 * k_one_mib);
  CHECK(free.request->gpus[1].usable->count() == 24000 * k_one_mib);
  CHECK(free.request->ram->count() == 52'428'800ULL * 1024);

  // Unknown cards: generic cards of the smallest reported size, as --vram.
  Detection u;
  u.source = "nvidia-smi";
  u.gpus = parse_nvidia_smi("Future Card 9000, 40960, 40000, 1\nFuture Card 9000, 40960, 30720, 1\n");
  const auto generic = map_detection(cat, u, false);
  REQUIRE(generic.request);
  CHECK(generic.request->gpus.empty());
  CHECK(generic.request->vram->count() == 40960 * k_one_mib);
  CHECK(generic.request->vram_count == 2);
  CHECK(join(generic.flags, " ") == "--vram 40960MiB --gpus 2");
  CHECK(map_detection(cat, u, true).request->vram->count() == 30720 * k_one_mib);

  // The PCIe links the slots allow: --pcie takes the slowest generation and the fewest lanes, and
  // only when every card reports its link.
  Detection slots = d;
  slots.gpus = parse_nvidia_smi(
      "NVIDIA GeForce RTX 4090, 24564, 23012, 1, 4, 16\n"
      "NVIDIA GeForce RTX 4090, 24564, 24000, 1, 3, 8\n");
  const auto linked = map_detection(cat, slots, false);
  REQUIRE(linked.request);
  REQUIRE(linked.request->pcie);
  CHECK(linked.request->pcie->gen == 3);
  CHECK(linked.request->pcie->lanes == 8);
  CHECK(join(linked.flags, " ") == "--gpus 2xrtx4090 --pcie 3x8 --ram 62.5 --cpu ryzen-7950x");
  slots.gpus[1].pcie_gen = 0;
  CHECK_FALSE(map_detection(cat, slots, false).request->pcie);

  // Catalog and unknown cards together cannot be written as flags.
  u.gpus.push_back(d.gpus[0]);
  const auto mixed = map_detection(cat, u, false);
  CHECK_FALSE(mixed.request);
  CHECK(mixed.problem.find("partly in the catalog") != std::string::npos);

  CHECK_FALSE(map_detection(cat, Detection{}, false).request);
}

TEST_CASE("map_detection: a card whose driver reports another size is planned on that size", "[detect]") {
  const auto& cat = test::catalog();
  Detection d;
  d.source = "nvidia-smi";
  // An L40S with ECC switched off reports all 48 GiB (49152 MiB), 6.7 % above the catalog's
  // 46068 MiB with ECC on: the plan and the flags use what the driver reports.
  d.gpus = parse_nvidia_smi("NVIDIA L40S, 49152, 49000, 1\n");
  const auto off = map_detection(cat, d, false);
  REQUIRE(off.request);
  REQUIRE(off.request->gpus.at(0).installed);
  CHECK(off.request->gpus[0].installed->count() == 49152 * k_one_mib);
  CHECK(join(off.flags, " ") == "--gpu l40s --gpu-memory 48");
  // Within 1 % of the catalog (an RTX 4090's 24564 MiB against 24576): the catalog's card as it is.
  d.gpus = parse_nvidia_smi("NVIDIA GeForce RTX 4090, 24564, 23012, 1\n");
  const auto same = map_detection(cat, d, false);
  REQUIRE(same.request);
  CHECK_FALSE(same.request->gpus.at(0).installed);
  CHECK(join(same.flags, " ") == "--gpu rtx4090");
}

TEST_CASE("detect --json with a fake nvidia-smi and /proc", "[detect][cli]") {
  const auto o = run_with(fake_env("nvidia"), {"detect", "--json"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  const auto j = nlohmann::json::parse(o.out);
  CHECK(j["schema_version"] == 1);
  CHECK(j["source"] == "nvidia-smi");
  REQUIRE(j["gpus"].size() == 2);
  CHECK(j["gpus"][0]["name"] == "NVIDIA GeForce RTX 4090");
  CHECK(j["gpus"][0]["catalog_id"] == "rtx4090");
  CHECK(j["gpus"][0]["memory_total_bytes"] == 24564 * k_one_mib);
  CHECK(j["gpus"][0]["memory_free_bytes"] == 23012 * k_one_mib);
  CHECK(j["gpus"][1]["memory_free_bytes"] == 24000 * k_one_mib);
  CHECK(j["gpus"][0]["driver"] == "550.54.14");
  CHECK(j["ram_bytes"] == 65'536'000ULL * 1024);
  CHECK(j["ram_available_bytes"] == 52'428'800ULL * 1024);
  CHECK(j["cpu"] == "AMD Ryzen 9 7950X 16-Core Processor");
  CHECK(j["cpu_catalog_id"] == "ryzen-7950x");
  // The fake's second card sits in an x8 slot: one --pcie for both, the slower.
  CHECK(j["gpus"][0]["pcie_gen"] == 4);
  CHECK(j["gpus"][0]["pcie_lanes"] == 16);
  CHECK(j["gpus"][1]["pcie_lanes"] == 8);
  CHECK(j["flags"] == "--gpus 2xrtx4090 --pcie 4x8 --ram 62.5 --cpu ryzen-7950x");
}

TEST_CASE("detect: table, rocm-smi and Apple", "[detect][cli]") {
  const auto t = run_with(fake_env("nvidia"), {"detect"});
  REQUIRE(t.code == 0);
  CHECK(t.out.find("NVIDIA GeForce RTX 4090 -> rtx4090") != std::string::npos);
  CHECK(t.out.find("PCIe 4 x8 (nvidia-smi)") != std::string::npos);
  CHECK(t.out.find("Flags: --gpus 2xrtx4090 --pcie 4x8 --ram 62.5 --cpu ryzen-7950x") != std::string::npos);

  const auto r = run_with(fake_env("rocm", false), {"detect", "--json"});
  REQUIRE(r.code == 0);
  const auto rj = nlohmann::json::parse(r.out);
  CHECK(rj["gpus"][0]["catalog_id"] == "mi300x");
  CHECK(rj["gpus"][0]["driver"] == "6.7.0");
  CHECK(rj["ram_bytes"].is_null());

  const auto a = run_with(fake_env("apple", false), {"detect", "--json"});
  REQUIRE(a.code == 0);
  const auto aj = nlohmann::json::parse(a.out);
  CHECK(aj["source"] == "sysctl");
  CHECK(aj["gpus"][0]["catalog_id"] == "apple-m3-max");
  CHECK(aj["gpus"][0]["memory_total_bytes"] == 68'719'476'736ULL);
  CHECK(aj["gpus"][0]["memory_free_bytes"].is_null());
  CHECK(aj["ram_bytes"] == 68'719'476'736ULL);
  // The catalog's M3 Max is the 128 GB one; the flags name this Mac's 64 GiB (the wired limit the
  // fake also sets has no flag: --detect plans on it, the flags on macOS's default 3/4).
  const auto at = run_with(fake_env("apple", false), {"detect"});
  CHECK(at.out.find("Flags: --gpu apple-m3-max --gpu-memory 64\n") != std::string::npos);
}

TEST_CASE("estimate --detect plans on the detected hardware", "[detect][cli]") {
  const auto o = run_with(fake_env("nvidia"), {"estimate", "8b", "--detect", "--json"});
  INFO(o.err);
  REQUIRE(o.code == 0);
  // The same plan as the flags detect prints.
  const auto flags = run_with(cli::Env{}, {"estimate", "8b", "--gpus", "2xrtx4090", "--pcie", "4x8", "--ram", "62.5",
                                           "--cpu", "ryzen-7950x", "--json"});
  REQUIRE(flags.code == 0);
  auto a = nlohmann::json::parse(o.out);
  auto b = nlohmann::json::parse(flags.out);
  // --ram 62.5 is exactly MemTotal here (65,536,000 KiB = 62.5 GiB), so the documents agree.
  CHECK(a == b);

  // The x8 slot the fake reports carries the layers kept in RAM to the GPU for a prompt
  // (gen 4 x8: 16 GT/s x 8 x 128/130 / 8 = 15.75 GB/s); an explicit --pcie replaces it.
  const std::vector<std::string> partial{"estimate", "70b",          "-q", "q4_k_m",
                                         "--detect", "--gpu-layers", "40", "--explain"};
  const auto slot = run_with(fake_env("nvidia"), partial);
  REQUIRE(slot.code == 0);
  CHECK(slot.out.find("copied to GPU0 over PCIe / (15.8 GB/s") != std::string::npos);
  auto wider = partial;
  wider.insert(wider.end(), {"--pcie", "4x16"});
  const auto full = run_with(fake_env("nvidia"), wider);
  REQUIRE(full.code == 0);
  CHECK(full.out.find("copied to GPU0 over PCIe / (31.5 GB/s") != std::string::npos);

  // --use-free: each card's free memory is what the runtime may use, so the plan changes.
  const auto f = run_with(fake_env("nvidia"), {"estimate", "8b", "--detect", "--use-free", "--json"});
  REQUIRE(f.code == 0);
  CHECK(nlohmann::json::parse(f.out) != a);
}

TEST_CASE("detect flag errors: nothing found, conflicting flags, use-free alone", "[detect][cli]") {
  test::require_usage_error(run_with(fake_env("empty", false), {"estimate", "8b", "--detect"}), "no hardware detected");
  test::require_usage_error(run_with(fake_env("empty", false), {"detect"}), "no hardware detected");
  test::require_usage_error(run_with(fake_env("nvidia"), {"estimate", "8b", "--detect", "--gpu", "rtx4090"}),
                            "drop --gpu, --gpus and --vram");
  test::require_usage_error(run_with(fake_env("nvidia"), {"check", "8b", "--detect", "--vram", "24"}),
                            "drop --gpu, --gpus and --vram");
  test::require_usage_error(run_with(fake_env("nvidia"), {"estimate", "8b", "--use-free"}), "--use-free goes with --detect");
  test::require_usage_error(run_with(fake_env("nvidia"), {"recommend", "--detect", "--cloud"}), "--cloud");
}

TEST_CASE("detect flag on check, compare and recommend", "[detect][cli]") {
  const auto c = run_with(fake_env("nvidia"), {"check", "8b", "--detect", "--json"});
  INFO(c.err);
  CHECK(c.code == 0);
  const auto m = run_with(fake_env("nvidia"), {"compare", "--models", "8b", "--detect", "--json"});
  INFO(m.err);
  CHECK(m.code == 0);
  const auto r = run_with(fake_env("nvidia"), {"recommend", "--detect", "--json"});
  INFO(r.err);
  CHECK(r.code == 0);
}

// DGX Spark: the GB10's memory is the machine's, and nvidia-smi reports its size as [N/A]. The
// card is then known by its name alone; an unknown card without a size is a clear problem.
TEST_CASE("a GPU that reports no memory size is mapped by name", "[detect]") {
  const auto& cat = test::catalog();
  Detection d;
  d.source = "nvidia-smi";
  d.gpus = parse_nvidia_smi("NVIDIA GB10, [N/A], [N/A], 580.95.05\n");
  REQUIRE(d.gpus.size() == 1);
  CHECK(d.gpus[0].memory_total.count() == 0);
  const auto mapped = map_detection(cat, d, false);
  REQUIRE(mapped.request);
  CHECK(mapped.request->gpus.at(0).name == "dgx-spark");
  // /proc/meminfo on a Spark reports the same memory the GPU uses: no --ram beside the card.
  Detection with_ram = d;
  with_ram.ram_total = Bytes(119ULL * k_gib);
  const auto spark = map_detection(cat, with_ram, false);
  REQUIRE(spark.request);
  CHECK_FALSE(spark.request->ram);
  CHECK(spark.flags == std::vector<std::string>{"--gpu dgx-spark"});
  // Through detect with a fake tool: the size not reported is null in JSON and said so in the
  // table, not 0 bytes; the flags plan on the card alone, and --detect plans as they do.
  const auto table = run_with(fake_env("spark"), {"detect"});
  REQUIRE(table.code == 0);
  CHECK(table.out.find("NVIDIA GB10 -> dgx-spark, no size reported ([N/A])") != std::string::npos);
  CHECK(table.out.find("Flags: --gpu dgx-spark\n") != std::string::npos);
  const auto js = run_with(fake_env("spark"), {"detect", "--json"});
  CHECK(nlohmann::json::parse(js.out)["gpus"][0]["memory_total_bytes"].is_null());
  const auto planned = run_with(fake_env("spark"), {"estimate", "r1", "-q", "q2_k", "--detect", "--json"});
  REQUIRE(planned.code == 0);
  CHECK(nlohmann::json::parse(planned.out)["fits"] == false);
  Detection unknown = d;
  unknown.gpus = parse_nvidia_smi("NVIDIA Future 1, [N/A], [N/A], 1\n");
  const auto refused = map_detection(cat, unknown, false);
  CHECK_FALSE(refused.request);
  CHECK(refused.problem.find("'NVIDIA Future 1' reports no memory size") != std::string::npos);
}
