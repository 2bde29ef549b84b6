// Hardware: GPU counts as nodes, from the catalog's gpus_per_node fact.
#include <catch2/catch.hpp>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/scenario/hardware.hpp"
#include "test_support.hpp"

using namespace dsplan;
using dsplan::test::catalog;

TEST_CASE("a GPU count is one node of the part's gpus_per_node, then whole nodes", "[hardware]") {
  HardwareRequest h;
  h.gpus.push_back({"h200", 1});
  REQUIRE(catalog().require_gpu("h200").gpus_per_node == 8);  // HGX H200 baseboard
  const auto one_node = with_gpu_count(catalog(), h, 4, true);
  REQUIRE(one_node.gpus.front().count == 4);
  REQUIRE(one_node.nodes == 1);
  const auto two_nodes = with_gpu_count(catalog(), h, 16, true);
  REQUIRE(two_nodes.gpus.front().count == 8);
  REQUIRE(two_nodes.nodes == 2);
  REQUIRE(build_hardware(catalog(), two_nodes).gpu_count() == 16);
  // A layer split keeps every card in one machine.
  const auto split = with_gpu_count(catalog(), h, 6, false);
  REQUIRE(split.gpus.front().count == 6);
  REQUIRE(split.nodes == 1);
}

TEST_CASE("gpus_per_node is catalog data a user file can change", "[hardware]") {
  auto layers = embedded_catalog_layers();
  layers.push_back({"user.json", R"({"gpus": [{"id": "four-way", "name": "Four-way card", "vendor": "nvidia",
    "class": "datacenter", "memory_bytes": 85899345920, "memory_bandwidth_bytes_per_s": 2000000000000,
    "gpus_per_node": 4, "source": "test"}]})"});
  const Catalog cat = load_catalog(layers);
  HardwareRequest h;
  h.gpus.push_back({"four-way", 1});
  const auto r = with_gpu_count(cat, h, 8, true);
  REQUIRE(r.gpus.front().count == 4);
  REQUIRE(r.nodes == 2);
}

// Ada whitepaper, Appendix A (dense): RTX 4090 FP16 tensor 330.3 TFLOPS with FP16 accumulate, 165.2
// with FP32 accumulate. H100 SXM has one rate, 989.5 (NVIDIA's 1,979 with sparsity, halved).
TEST_CASE("a GPU carries its FP16-accumulate and FP32-accumulate tensor rates", "[hardware]") {
  const Device geforce = device_from(catalog().require_gpu("rtx4090"));
  CHECK(geforce.peak_tflops == Approx(330.3));
  CHECK(geforce.peak_fp32_accumulate_tflops == Approx(165.2));
  const Device datacenter = device_from(catalog().require_gpu("h100-sxm"));
  CHECK(datacenter.peak_tflops == Approx(989.5));
  CHECK(datacenter.peak_fp32_accumulate_tflops == Approx(989.5));
}

TEST_CASE("architecture factors are keyed by the family name, with AMD's generation number", "[hardware]") {
  // Descriptions as data/gpus.json words them.
  CHECK(architecture_family("Ada Lovelace AD102") == "ada");
  CHECK(architecture_family("Hopper GH100") == "hopper");
  CHECK(architecture_family("Apple M3 Max") == "apple");
  CHECK(architecture_family("CDNA 3 (gfx942, 304 CUs, 8 XCDs)") == "cdna3");
  CHECK(architecture_family("CDNA 4 (gfx950, 256 CUs, 8 XCDs)") == "cdna4");
  CHECK(architecture_family("Volta") == "volta");
  // RDNA 3.5 (Strix Halo's iGPU) is not RDNA 3 (the RX 7900 XTX): a point release is a generation.
  CHECK(architecture_family("RDNA 3.5 Radeon 8060S (gfx1151, 40 CUs)") == "rdna3.5");
  CHECK(architecture_family("RDNA 3 Navi 31 (gfx1100, 96 CUs)") == "rdna3");
  CHECK(architecture_family("Blackwell Ultra") == "blackwell");
  CHECK(architecture_family("") == "");
  CHECK(device_from(catalog().require_gpu("mi325x")).architecture == "cdna3");
  CHECK(device_from(catalog().require_gpu("mi355x")).architecture == "cdna4");
  CHECK(device_from(catalog().require_gpu("rtx3090")).architecture == "ampere");
}

TEST_CASE("the MI350X is the MI355X's chip at 2200 MHz instead of 2400 MHz", "[hardware]") {
  // AMD at Hot Chips 2025 (wccftech): MI350X 2.2 GHz and 1000 W, MI355X 2.4 GHz and 1400 W, the same
  // gfx950 with 288 GB of HBM3E at 8 TB/s. Tensor peaks scale with the engine clock.
  const auto& a = catalog().require_gpu("mi350x");
  const auto& b = catalog().require_gpu("mi355x");
  CHECK(a.fp16_tflops == Approx(b.fp16_tflops * 2200.0 / 2400.0).margin(0.05));
  CHECK(a.fp8_tflops == Approx(b.fp8_tflops * 2200.0 / 2400.0).margin(0.05));
  CHECK(a.bandwidth_bytes_per_s == b.bandwidth_bytes_per_s);
  CHECK(a.memory == b.memory);
  CHECK(a.tdp_watts == 1000);
  // An 8-GPU MI350-series platform quoted at 18.5 PF FP16 and 37 PF FP8 (kontronn.com): per GPU
  // 2.31 and 4.63 PF, to the 2-3 digits quoted.
  CHECK(a.fp16_tflops == Approx(18500.0 / 8).epsilon(0.01));
  CHECK(a.fp8_tflops == Approx(37000.0 / 8).epsilon(0.01));
  CHECK(device_from(a).architecture == "cdna4");
}

TEST_CASE("unified memory: the system RAM is what the GPU leaves and no more", "[hardware]") {
  // A 64 GB M4 Max: macOS lets the GPU wire 3/4 (48 GiB), the system has the other 16 GiB.
  HardwareRequest mac;
  mac.gpus.push_back({"apple-m4-max", 1});
  mac.gpus.front().installed = Bytes(64 * k_gib);
  REQUIRE(build_hardware(catalog(), mac).host.ram == Bytes(16 * k_gib));
  mac.ram = Bytes(12 * k_gib);  // less free is a fact the user may state
  REQUIRE(build_hardware(catalog(), mac).host.ram == Bytes(12 * k_gib));
  mac.ram = Bytes(32 * k_gib);  // more is memory the machine does not have
  REQUIRE_THROWS_WITH(build_hardware(catalog(), mac), Catch::Contains("the system has the other 16.0 GiB"));
  // DGX Spark: the GPU may use all 128 GiB, so there is no RAM to keep layers in, and none to add.
  HardwareRequest spark;
  spark.gpus.push_back({"dgx-spark", 1});
  REQUIRE(catalog().require_gpu("dgx-spark").unified_memory());
  REQUIRE_FALSE(catalog().require_gpu("rtx4090").unified_memory());
  const Hardware hw = build_hardware(catalog(), spark);
  REQUIRE_FALSE(hw.host.ram);
  REQUIRE(ram_is_gpu_memory(hw));
  spark.ram = Bytes(119 * k_gib);
  REQUIRE_THROWS_WITH(build_hardware(catalog(), spark), Catch::Contains("one memory for CPU and GPU"));
  // A discrete card's --ram is the host's own.
  HardwareRequest card;
  card.gpus.push_back({"rtx4090", 1});
  card.ram = Bytes(64 * k_gib);
  REQUIRE(build_hardware(catalog(), card).host.ram == Bytes(64 * k_gib));
  REQUIRE_FALSE(ram_is_gpu_memory(build_hardware(catalog(), card)));
}

TEST_CASE("a card's memory is what its driver reports, not the marketing GB read as GiB", "[hardware]") {
  // nvidia-smi "FB Memory Usage: Total" (thamada/nvidia-smi: L4_smi.py, L40S_smi.py,
  // H100SXMx8_smi.py): ECC, on by default on these parts, takes about 1/16 of a GDDR6 card.
  constexpr std::uint64_t mib = 1024 * 1024;
  REQUIRE(catalog().require_gpu("l4").memory.count() == 23034 * mib);
  REQUIRE(catalog().require_gpu("l40s").memory.count() == 46068 * mib);
  REQUIRE(catalog().require_gpu("h100-sxm").memory.count() == 81559 * mib);
  REQUIRE(catalog().require_gpu("h200").memory.count() == 143771 * mib);
  // B300 SXM6 AC: "0MiB / 275040MiB" in public nvidia-smi logs (NVIDIA's aiconfigurator b300_sxm.yaml:
  // mem_capacity 288400343040, "275040MiB reported by nvidia-smi"); 268.6 GiB, sold as 270 GB.
  REQUIRE(catalog().require_gpu("b300").memory.count() == 275040 * mib);
  REQUIRE(catalog().require_gpu("NVIDIA B300 SXM6 AC").id == "b300");
  // ECC on: 46068 MiB is 6.3 % (about 1/16) below the L40S's 48 GiB of GDDR6, the size it had here.
  REQUIRE(catalog().require_gpu("l40s").memory.count() < 48 * 1024 * mib);
}
