// Subcommand registration: each setup_<cmd> adds its CLI11 subcommand and sets ctx.runner when chosen.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace dsplan::cli {

/// The commands that derive figures of their own, which --explain shows; the others refuse it.
inline constexpr std::array<std::string_view, 3> k_explained_commands{"estimate", "check", "train"};

/// Whether `command` takes --explain.
[[nodiscard]] inline bool explains(std::string_view command) {
  return std::find(k_explained_commands.begin(), k_explained_commands.end(), command) != k_explained_commands.end();
}

void setup_list(CLI::App& app, Context& ctx);
void setup_show(CLI::App& app, Context& ctx);
void setup_estimate(CLI::App& app, Context& ctx);
void setup_catalog(CLI::App& app, Context& ctx);
void setup_train(CLI::App& app, Context& ctx);
void setup_recommend(CLI::App& app, Context& ctx);
void setup_check(CLI::App& app, Context& ctx);
void setup_compare(CLI::App& app, Context& ctx);
void setup_completions(CLI::App& app, Context& ctx);
void setup_inspect(CLI::App& app, Context& ctx);
void setup_detect(CLI::App& app, Context& ctx);

}  // namespace dsplan::cli
