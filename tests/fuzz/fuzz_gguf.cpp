// Fuzz target: GGUF bytes -> read_gguf -> inspect_gguf. InputError is the expected verdict on bad
// input; anything else (another exception, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>

#include "dsplan/catalog/catalog_load.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/files/gguf_reader.hpp"
#include "dsplan/files/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dsplan::Catalog catalog = dsplan::load_embedded_catalog();
  const dsplan::MemorySource source("fuzz.gguf", {data, size});
  try {
    const dsplan::GgufFile file = dsplan::read_gguf(source, catalog);
    (void)dsplan::inspect_gguf({&file, 1}, catalog);
  } catch (const dsplan::InputError&) {
  }
  return 0;
}
