// The CLI's single dispatch and catch site: parse, run the chosen command, map errors to exit codes.
#include "cli/run.hpp"
#include "cli/setting_flags.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/parse_units.hpp"
#include "cli/value_labels.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan::cli {

namespace {

/// Errors are one line of plain text: fold newlines, and show other control characters (a NUL
/// in a catalog key, an ANSI escape in an argument) as \xHH so they never reach the terminal raw.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else
      out += printable(std::string_view(&c, 1));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

/// Names people bring from llama.cpp, vLLM and Ollama that are not dsplan's, and what to use.
constexpr std::pair<std::string_view, std::string_view> k_familiar_flags[] = {
    {"--ctx", "--context"},
    {"--n-ctx", "--context"},
    {"--num-ctx", "--context"},
    {"--num-gpus", "--count N or --gpus N"},
    {"--n-gpus", "--count N or --gpus N"},
    {"--gpu-count", "--count"},
    {"-n", "--output"},
    {"--n-predict", "--output"},
    {"--num-gpu", "--gpu-layers"},
    {"--model", "the model as the first argument"},
    {"--kv-cache-dtype", "--kv-type"},
    {"-np", "--batch"},
    {"--parallel", "--batch"},
    {"--max-num-seqs", "--batch"},
    // estimate prices rent for the cards it is given; only recommend chooses rented cards
    {"--cloud", "--gpu NAME --count auto, which prints the rent; recommend --cloud chooses the cards"},
    {"--hours", "--tokens-per-day, which sets the hours a day of use the cost counts"},
    // a task is recommend's question; the other commands plan the model they are given
    {"--task", "dsplan recommend --task, which chooses a model for a task"},
};

/// Cost flags on a command that prints no cost: where they belong, not a flag of similar spelling.
constexpr std::string_view k_cost_flags[] = {"--price", "--purchase-price", "--host-price",  "--kwh-price",
                                             "--pue",   "--years",          "--maintenance", "--tokens-per-day"};

std::string long_name(const CLI::Option& opt) {
  return opt.get_lnames().empty() ? opt.get_name() : "--" + opt.get_lnames().front();
}

/// Every option name of `app` and of the subcommands that were parsed.
void option_names(const CLI::App& app, std::vector<std::string>& out) {
  for (const auto* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) out.push_back("--" + l);
    for (const auto& s : opt->get_snames()) out.push_back("-" + s);
  }
  for (const auto* sub : app.get_subcommands()) option_names(*sub, out);
}

/// "unexpected argument '--ctx' (did you mean --context?)", in the order the user typed them.
std::string unexpected_message(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> extra = app.remaining(true);
  std::vector<std::string> ordered;
  for (const auto& a : args) {  // CLI11 collects them in reverse; report them as typed
    const auto it = std::find(extra.begin(), extra.end(), a);
    if (it == extra.end()) continue;
    ordered.push_back(a);
    extra.erase(it);
  }
  if (ordered.empty()) return "unexpected arguments";
  std::string hint;
  const std::string flag = ordered.front().substr(0, ordered.front().find('='));
  if (!flag.empty() && flag[0] == '-') {
    for (const auto& [name, use] : k_familiar_flags)
      if (flag == name) hint = std::string(use);
    const auto parsed = app.get_subcommands();
    if (flag == "--model" && !parsed.empty() && parsed.front()->get_name() == "compare")
      hint = "--models, or the models as arguments";
    if (hint.empty() && std::find(std::begin(k_cost_flags), std::end(k_cost_flags), flag) != std::end(k_cost_flags))
      hint = "dsplan estimate, check, recommend or train with " + flag + ": this command prints no cost";
    if (hint.empty()) {
      std::vector<std::string> names;
      option_names(app, names);
      hint = join(closest_names(flag, names, 3), ", ");
    }
  }
  std::string quoted;
  for (const auto& a : ordered) quoted += (quoted.empty() ? "'" : " '") + a + "'";
  return std::string(ordered.size() == 1 ? "unexpected argument " : "unexpected arguments ") + quoted +
         (hint.empty() ? "" : " (did you mean " + hint + "?)");
}

/// A value that cannot be meant is an error, not a default: an empty one (`--gpu ""`), one that
/// names nothing (`--models ,`), or a flag taken as the value (`--link-bandwidth --json`).
void check_option_values(const CLI::App& app) {
  for (const auto* opt : app.get_options()) {
    if (opt->count() == 0 || opt->get_type_size_max() == 0) continue;  // not given, or a flag
    for (const auto& value : opt->results()) {
      const bool blank = value.find_first_not_of(" \t,") == std::string::npos;
      if (blank) throw InputError(long_name(*opt) + ": empty value" + (value.empty() ? "" : " '" + value + "'"));
      if (value.size() > 2 && value.starts_with("--"))
        throw InputError(long_name(*opt) + ": missing value (got the flag '" + value + "')");
    }
  }
  for (const auto* sub : app.get_subcommands()) check_option_values(*sub);
}

/// --format and its synonym --json: one output format; `json` stays the shorthand commands test.
void resolve_format(GlobalOptions& g) {
  if (!g.format_text.empty()) {
    g.format = parse_choice<OutputFormat>(k_output_formats, g.format_text, "--format");
    if (g.json && g.format != OutputFormat::json)
      throw InputError("--json and --format " + g.format_text + " ask for two output formats; give one");
  } else if (g.json) {
    g.format = OutputFormat::json;
  }
  g.json = g.format == OutputFormat::json;
}

/// The output is written only on success; a full disk or closed stdout must not pass as success.
ExitCode write_output(std::ostream& out, std::ostream& err, const std::string& text) {
  errno = 0;
  out << text;
  out.flush();
  if (out) return ExitCode::ok;
  const int code = errno;
  err << "dsplan: error: cannot write the output: " << (code ? std::strerror(code) : "write failed") << '\n';
  return ExitCode::usage;
}

struct CommandSetup {
  std::string_view name;  ///< the subcommand's name, as its setup function registers it
  void (*setup)(CLI::App&, Context&);
};
/// Every command, in the order `dsplan --help` lists them.
constexpr CommandSetup k_commands[] = {
    {"recommend", setup_recommend}, {"list", setup_list},       {"show", setup_show},
    {"estimate", setup_estimate},   {"check", setup_check},     {"compare", setup_compare},
    {"train", setup_train},         {"catalog", setup_catalog}, {"inspect", setup_inspect},
    {"detect", setup_detect},       {"completions", setup_completions}};

void build_app(CLI::App& app, Context& ctx, const std::string& command) {
  app.set_version_flag("--version", std::string("dsplan ") + DSPLAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `dsplan estimate 70b --json`
  app.add_option("--catalog", ctx.global.catalog_files,
                 "Catalog file adding or replacing entries (repeatable; after $DSPLAN_CATALOG)")
      ->type_name("FILE");
  app.add_flag("--json", ctx.global.json, "Print one JSON object (schema in docs/cli.md); same as --format json");
  app.add_option("--format", ctx.global.format_text,
                 "table (default), json, or csv (list, compare, recommend, check, estimate --sweep)")
      ->type_name("FORMAT");
  app.add_flag("--explain", ctx.global.explain, "Show how each figure was derived");
  app.add_flag("-q,--quiet", ctx.global.quiet,
               "Print nothing on stdout; the exit code says it all (errors still go to stderr)");
  app.footer(
      "Exit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 internal error.\n"
      "Sizes: a bare number is GiB (24 = 24 GiB); GB = 10^9 bytes, GiB = 2^30. Tokens: 32k = 32,768.\n");
  // Only the command being run is set up: its options are most of a start-up's CLI work (the
  // estimate options alone are added to four commands). --help without a command, and
  // completions (which describe every command), set up all of them.
  const auto chosen = std::find_if(std::begin(k_commands), std::end(k_commands),
                                   [&](const CommandSetup& c) { return c.name == command; });
  const bool all = chosen == std::end(k_commands) || chosen->name == "completions";
  for (const auto& c : k_commands)
    if (all || &c == chosen) c.setup(app, ctx);
  label_option_values(app);
}

/// The first word that is not an option (nor --catalog's value): the command; "" when none.

/// CLI11 would say "A subcommand is required" for `dsplan estimat`; name the word instead.
void reject_unknown_command(const std::string& word) {
  if (word.empty()) return;
  std::vector<std::string> names;
  for (const auto& c : k_commands) names.emplace_back(c.name);
  if (std::find(names.begin(), names.end(), word) != names.end()) return;
  const auto close = closest_names(word, names, 2);
  throw InputError("unknown command '" + word + "'" + (close.empty() ? "" : " (did you mean: " + join(close) + "?)") +
                   "; commands: " + join(names));
}

/// CLI11's own wording where it reads as a library's: an option given twice, a command group
/// without its command.
std::string parse_error_text(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& e) {
  std::string text = one_line(e.what());
  constexpr std::string_view k_twice = ": At Most 1 required but received ";
  if (const auto at = text.find(k_twice); at != std::string::npos)
    return text.substr(0, at) + " given " + text.substr(at + k_twice.size()) + " times; give it once";
  // "shell is required": say which command lacks which argument, and where its values are listed.
  if (constexpr std::string_view k_required = " is required";
      text.ends_with(k_required) && !text.starts_with("A subcommand") && !app.get_subcommands().empty()) {
    const CLI::App* command = &app;
    for (auto parsed = app.get_subcommands(); !parsed.empty(); parsed = command->get_subcommands())
      command = parsed.front();
    const std::string what = text.substr(0, text.size() - k_required.size());
    const std::string path = command->get_parent() && command->get_parent() != &app
                                 ? command->get_parent()->get_name() + " " + command->get_name()
                                 : command->get_name();
    return "dsplan " + path + " needs its " + what + " argument (dsplan " + path + " --help says what it takes)";
  }
  if (text.rfind("A subcommand is required", 0) == 0) {
    const CLI::App* group = &app;
    for (auto parsed = app.get_subcommands(); !parsed.empty(); parsed = group->get_subcommands())
      group = parsed.front();
    std::vector<std::string> names;
    for (const auto* sub : group->get_subcommands([](const CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (group != &app && !names.empty()) {
      // `dsplan catalog foo`: name the word that is not one of its commands.
      const auto at = std::find(args.begin(), args.end(), group->get_name());
      const auto word = at == args.end() ? at : std::find_if(std::next(at), args.end(), [](const std::string& a) {
        return !a.starts_with("-");
      });
      if (word != args.end())
        return "dsplan " + group->get_name() + " has no command '" + *word + "'; its commands: " + join(names);
      return "dsplan " + group->get_name() + " needs one of its commands: " + join(names);
    }
    if (group == &app && !names.empty()) return "dsplan needs a command: " + join(names) + " (see 'dsplan --help')";
  }
  // "--model-file: 1 required FILE missing": the option was given without its value.
  if (const auto colon = text.find(": 1 required "); colon != std::string::npos && text.ends_with(" missing"))
    return text.substr(0, colon) + " needs a value after it (see 'dsplan --help')";
  return text + " (see 'dsplan --help')";
}

/// --explain writes how estimate's (and check's, and train's) figures were derived; the other
/// commands derive no figure of their own, so there it would be a flag that does nothing.
void reject_explain_without_derivation(const std::string& command, const GlobalOptions& g) {
  if (!g.explain || explains(command)) return;
  throw InputError("--explain: dsplan " + command +
                   " derives no figure of its own; 'dsplan estimate ... --explain' shows how a plan's figures are "
                   "derived (estimate, check and train take it)");
}

/// Global options given before the command whose value is the next word (`--format csv`), so
/// that word is not the command.
bool global_takes_value(const std::string& arg) { return arg == "--catalog" || arg == "--format"; }

/// After a command with a -q format option (estimate, check), `-q` is `--quant`, as in
/// llama.cpp's and vLLM's own `-q`; the global `-q` (quiet) only goes before the command. A `-q`
/// there with no format after it was meant as quiet: say so rather than "--quant: missing value".
void reject_quiet_after_command(CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* command = nullptr;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!command) {
      if (global_takes_value(args[i]))
        ++i;
      else if (!args[i].empty() && args[i][0] != '-') {
        for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
          if (sub->get_name() == args[i]) command = sub;
        if (!command) return;
      }
      continue;
    }
    if (args[i] != "-q" || !command->get_option_no_throw("-q")) continue;
    const bool no_value = i + 1 == args.size() || args[i + 1].starts_with("-");
    if (no_value)
      throw InputError("-q after '" + command->get_name() + "' is --quant and needs a format (-q q4_k_m); to print " +
                       "nothing, write --quiet, or put -q before the command (dsplan -q " + command->get_name() + " ...)");
  }
}

/// --help and --version go through the same checked write as any output.
int print_help(CLI::App& app, const CLI::Error& e, std::ostream& out, std::ostream& err) {
  std::ostringstream text;
  const int code = app.exit(e, text, err);
  // CLI11 2.1 puts two blank lines between option groups (one after a group, one before the next).
  std::string help = text.str();
  for (std::size_t at = help.find("\n\n\n"); at != std::string::npos; at = help.find("\n\n\n", at)) help.erase(at, 1);
  if (write_output(out, err, help) != ExitCode::ok) return static_cast<int>(ExitCode::usage);
  return code;
}

}  // namespace

std::string command_word(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (global_takes_value(a)) {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] != '-') return a;
  }
  return "";
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const Env& env) {
  Context ctx(env);
  CLI::App app("dsplan: which DeepSeek model to run, and the memory, GPUs, speed and money it takes", "dsplan");
  try {
    const std::string command = command_word(args);
    reject_unknown_command(command);
    build_app(app, ctx, command);
    reject_quiet_after_command(app, args);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
    try {
      app.parse(reversed);
    } catch (const CLI::ExtrasError&) {
      throw InputError(unexpected_message(app, args));
    }
    check_option_values(app);
    resolve_format(ctx.global);
    reject_explain_without_derivation(command, ctx.global);
    if (!ctx.runner) throw InternalError("no command was selected");
    const ExitCode code = ctx.runner();
    // The library names settings in its messages; here they become flags (setting_flags.hpp).
    if (code == ExitCode::ok)
      for (auto f : ctx.files) {
        f.text = with_flags(f.text);
        write_output_file(f);
      }
    if (!ctx.global.quiet && write_output(out, err, with_flags(ctx.out.str())) != ExitCode::ok)
      return static_cast<int>(ExitCode::usage);
    for (const auto& w : ctx.warnings)
      if (!ctx.global.quiet) err << "dsplan: warning: " << one_line(with_flags(w)) << '\n';
    return static_cast<int>(code);
  } catch (const CLI::CallForHelp& e) {
    return print_help(app, e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return print_help(app, e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return print_help(app, e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "dsplan: error: " << parse_error_text(app, args, e) << '\n';
    return static_cast<int>(ExitCode::usage);
  } catch (const InputError& e) {
    err << "dsplan: error: " << one_line(with_flags(e.what())) << '\n';
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
  const auto var = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v && *v ? std::optional<std::string>(v) : std::nullopt;
  };
  env.network = true;
  env.hf_token = var("HF_TOKEN");
  env.hf_endpoint = var("HF_ENDPOINT");
  if (const auto t = var("DSPLAN_HTTP_TIMEOUT")) {
    char* end = nullptr;
    const long s = std::strtol(t->c_str(), &end, 10);
    if (end && *end == '\0' && s > 0 && s <= 3600) env.http_timeout_s = s;
  }
  env.path = var("PATH");
  env.proc_root = var("DSPLAN_PROC_ROOT").value_or("/proc");
  if (const auto xdg = var("XDG_CACHE_HOME")) env.cache_dir = *xdg + "/dsplan";
  else if (const auto home = var("HOME")) env.cache_dir = *home + "/.cache/dsplan";
  return env;
}

}  // namespace dsplan::cli
