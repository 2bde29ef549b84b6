// Private accessors of the bytes cmake/EmbedFiles.cmake compiles in: data/*.json and the compiled catalogs.
#pragma once

#include <span>
#include <string_view>
#include <utility>

namespace dsplan::detail {
/// (file name, contents) of each embedded data file, in CMake's DSPLAN_DATA_FILES order.
std::span<const std::pair<std::string_view, std::string_view>> embedded_files();
/// (file name, bytes) of each compiled catalog (compiled_catalog.hpp), or none: defined by the
/// file cmake/EmbedFiles.cmake makes of the build's compiled catalogs, or by
/// src/build_tools/no_compiled_catalog.cpp in builds without them.
std::span<const std::pair<std::string_view, std::string_view>> embedded_compiled_catalogs();
}  // namespace dsplan::detail
