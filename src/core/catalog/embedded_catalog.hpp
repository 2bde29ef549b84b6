// Private accessor of the data/*.json bytes that cmake/EmbedFiles.cmake compiles in.
#pragma once

#include <span>
#include <string_view>
#include <utility>

namespace dsplan::detail {
/// (file name, contents) of each embedded data file, in CMake's DSPLAN_DATA_FILES order.
std::span<const std::pair<std::string_view, std::string_view>> embedded_files();
}  // namespace dsplan::detail
