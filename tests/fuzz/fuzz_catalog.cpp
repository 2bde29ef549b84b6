// libFuzzer harness: a catalog layer over the embedded catalog, then every check `catalog validate`
// runs and a plan of each model the layer adds. Input errors are expected; anything else (an
// InternalError, another exception, a crash) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/serving/plan.hpp"
#include "dsplan/model/quant.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto embedded = dsplan::embedded_catalog_layers();
  std::vector<dsplan::CatalogLayer> layers = embedded;
  layers.push_back({"fuzz.json", std::string(reinterpret_cast<const char*>(data), size)});
  try {
    const dsplan::Catalog cat = dsplan::load_catalog(layers);
    dsplan::check_formats(cat);
    for (const auto& model : cat.models) {
      if (model.origin != "fuzz.json") continue;  // the embedded models are covered by the unit tests
      dsplan::PlanRequest r;
      r.scenario.model = model.id;
      r.hardware = dsplan::HardwareRequest{};
      r.hardware->vram = dsplan::Bytes(24 * dsplan::k_gib);
      (void)dsplan::run_plan(cat, r);
    }
  } catch (const dsplan::InputError&) {
    // a refused catalog or request: the expected outcome for most inputs
  }
  return 0;
}
