// Settings -> flags: a setting's flag is its name with dashes (gpu_layers -> --gpu-layers).
#include "cli/setting_flags.hpp"

namespace dsplan::cli {

std::string flag_of(Setting s) {
  std::string flag = "--";
  flag.append(name_in<Setting>(setting_names(), s));
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

std::string with_flags(std::string_view text) { return word_settings(text, flag_of); }

}  // namespace dsplan::cli
