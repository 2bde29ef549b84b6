// Fuzz target: config.json text -> parse_hf_config -> inspect_config (tensor inventory, parameter
// counts, KV bytes). InputError is the expected verdict on bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/hf_config.hpp"
#include "dsplan/files/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dsplan::Catalog catalog = dsplan::load_embedded_catalog();
  try {
    const dsplan::ModelArch arch =
        dsplan::parse_hf_config("fuzz.json", std::string(reinterpret_cast<const char*>(data), size), catalog);
    (void)dsplan::inspect_config("fuzz.json", arch, catalog);
  } catch (const dsplan::InputError&) {
  }
  return 0;
}
