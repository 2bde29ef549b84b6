// Fuzz target: safetensors bytes -> read_safetensors -> inspect_safetensors; the same bytes as a
// shard index. InputError is the expected verdict on bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/model_file.hpp"
#include "dsplan/files/safetensors_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dsplan::Catalog catalog = dsplan::load_embedded_catalog();
  const dsplan::MemorySource source("fuzz.safetensors", {data, size});
  try {
    const dsplan::SafetensorsFile file = dsplan::read_safetensors(source);
    (void)dsplan::inspect_safetensors({&file, 1}, std::nullopt, std::nullopt, "fuzz", catalog);
  } catch (const dsplan::InputError&) {
  }
  try {
    (void)dsplan::parse_safetensors_index("fuzz.index.json", std::string(reinterpret_cast<const char*>(data), size));
  } catch (const dsplan::InputError&) {
  }
  return 0;
}
