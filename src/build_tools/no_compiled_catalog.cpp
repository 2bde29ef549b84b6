// Builds without a compiled catalog (the compiler itself, libFuzzer builds) parse the embedded JSON.
#include "core/catalog/embedded_catalog.hpp"

namespace dsplan::detail {
std::span<const std::pair<std::string_view, std::string_view>> embedded_compiled_catalogs() { return {}; }
}  // namespace dsplan::detail
