// What each option's value is, as --help, the man page and completions show it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace dsplan::cli {

/// Options whose value is one of an enum's spellings, with them, space-separated, from the tables
/// the options are parsed with: the help labels and the shell completions list them.
[[nodiscard]] const std::vector<std::pair<std::string_view, std::string>>& option_choices();

/// The label of the value an option or positional named `name` takes ("GiB", "N|auto", "USD"),
/// "" when the table has none.
[[nodiscard]] std::string_view value_label(std::string_view name);

/// Gives every option of `app` and its commands that CLI11 would show as TEXT (dsplan reads
/// values as text to check them itself) its label from value_label.
void label_option_values(CLI::App& app);

}  // namespace dsplan::cli
