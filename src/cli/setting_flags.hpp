// How the CLI words the settings the library's messages name: as the flag that sets each one.
#pragma once

#include <string>
#include <string_view>

#include "dsplan/base/setting.hpp"

namespace dsplan::cli {

/// The flag that sets `s`: "--ram", "--gpu-layers".
[[nodiscard]] std::string flag_of(Setting s);

/// A library message or output with each setting marker replaced by its flag.
[[nodiscard]] std::string with_flags(std::string_view text);

}  // namespace dsplan::cli
