// Subcommand registration: each setup_<cmd> adds its CLI11 subcommand and sets ctx.runner when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace dsplan::cli {

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
