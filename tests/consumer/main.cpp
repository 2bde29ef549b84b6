// Uses the installed library as another tool would: the embedded catalog, a tensor inventory
// and a memory estimate. Prints DeepSeek-R1's parameter count and the 8B distill's Q4_K_M total.
#include <iostream>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/serving/memory.hpp"
#include "dsplan/scenario/scenario.hpp"
#include "dsplan/model/tensors.hpp"

int main() {
  const dsplan::Catalog catalog = dsplan::load_embedded_catalog();
  const auto& r1 = catalog.require_model("deepseek-r1");
  std::cout << "r1 params " << dsplan::build_inventory(r1.arch).params_total().count() << '\n';
  dsplan::Scenario s;
  s.model = "8b";
  s.quant = "q4_k_m";
  const auto resolved = dsplan::resolve_scenario(catalog, s);
  std::cout << "8b q4_k_m weights " << dsplan::estimate_memory(catalog, resolved).weights.total.count() << '\n';
}
