// The CLI's single dispatch and catch site: parse, run the chosen command, map errors to exit codes.
#include "cli/run.hpp"

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "dsplan/error.hpp"
#include "dsplan/text.hpp"

namespace dsplan::cli {

namespace {

/// Errors are one line: fold any newline a message might carry.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void build_app(CLI::App& app, Context& ctx) {
  app.set_version_flag("--version", std::string("dsplan ") + DSPLAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `dsplan estimate 70b --json`
  app.add_option("--catalog", ctx.global.catalog_files,
                 "Catalog file adding or replacing entries (repeatable; after $DSPLAN_CATALOG)")
      ->type_name("FILE");
  app.add_flag("--json", ctx.global.json, "Print one JSON object (schema in docs/cli.md)");
  app.add_flag("--explain", ctx.global.explain, "Show how each figure was derived");
  app.add_flag("-q,--quiet", ctx.global.quiet, "Print nothing on success; the exit code says it all");
  app.footer(
      "Exit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 internal error.\n"
      "Sizes: a bare number is GiB (24 = 24 GiB); GB = 10^9 bytes, GiB = 2^30. Tokens: 32k = 32,768.\n");
  setup_recommend(app, ctx);
  setup_list(app, ctx);
  setup_show(app, ctx);
  setup_estimate(app, ctx);
  setup_check(app, ctx);
  setup_compare(app, ctx);
  setup_train(app, ctx);
  setup_catalog(app, ctx);
  setup_inspect(app, ctx);
  setup_completions(app, ctx);
}

/// CLI11 would say "A subcommand is required" for `dsplan estimat`; name the word instead.
void reject_unknown_command(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--catalog") {  // the only global option that takes a value
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    if (std::find(names.begin(), names.end(), a) != names.end()) return;
    const auto close = closest_names(a, names, 2);
    throw InputError("unknown command '" + a + "'" + (close.empty() ? "" : " (did you mean: " + join(close) + "?)") +
                     "; commands: " + join(names));
  }
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const Env& env) {
  Context ctx(env);
  CLI::App app("dsplan: which DeepSeek model to run, and the memory, GPUs, speed and money it takes", "dsplan");
  try {
    build_app(app, ctx);
    reject_unknown_command(app, args);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
    app.parse(reversed);
    if (!ctx.runner) throw InternalError("no command was selected");
    const ExitCode code = ctx.runner();
    if (!ctx.global.quiet) out << ctx.out.str();
    for (const auto& w : ctx.warnings)
      if (!ctx.global.quiet) err << "dsplan: warning: " << one_line(w) << '\n';
    return static_cast<int>(code);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "dsplan: error: " << one_line(e.what()) << " (see 'dsplan --help')\n";
    return static_cast<int>(ExitCode::usage);
  } catch (const InputError& e) {
    err << "dsplan: error: " << one_line(e.what()) << '\n';
    return static_cast<int>(ExitCode::usage);
  } catch (const InternalError& e) {
    err << "dsplan: internal error (a bug, please report it): " << one_line(e.what()) << '\n';
    return static_cast<int>(ExitCode::internal);
  } catch (const std::exception& e) {
    err << "dsplan: internal error (a bug, please report it): " << one_line(e.what()) << '\n';
    return static_cast<int>(ExitCode::internal);
  }
}

Env env_from_process() {
  Env env;
  if (const char* path = std::getenv("DSPLAN_CATALOG"); path && *path) env.catalog_path = path;
  const char* no_color = std::getenv("NO_COLOR");
  env.no_color = no_color && *no_color;
  env.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  return env;
}

}  // namespace dsplan::cli
