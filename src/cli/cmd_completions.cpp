// `dsplan completions bash|zsh`: shell completion scripts generated from the command definitions
// and the catalog, so they never fall out of step with the options or the ids.
#include <map>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/parse_units.hpp"
#include "cli/value_labels.hpp"
#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/kv_cache.hpp"
#include "dsplan/recommend/recommend.hpp"
#include "dsplan/training/training.hpp"

namespace dsplan::cli {

namespace {

template <typename T>
std::string ids(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.id);
  return join(out, " ");
}

/// Every KV cache type some engine offers, and vLLM's "fp8" spelling.
std::string kv_types(const Catalog& cat) {
  std::set<std::string> types{"fp8"};
  for (const auto& e : cat.engines) types.insert(e.kv_cache_types.begin(), e.kv_cache_types.end());
  return join(std::vector<std::string>(types.begin(), types.end()), " ");
}

/// Values an option takes, by option name: catalog ids or fixed choices.
std::map<std::string, std::string> option_values(const Catalog& cat) {
  const std::string models = ids(cat.models);
  std::map<std::string, std::string> values{{"--gpu", ids(cat.gpus)},
                                            {"--cpu", ids(cat.cpus)},
                                            {"--quant", ids(cat.quants)},
                                            {"-q", ids(cat.quants)},
                                            {"--quants", ids(cat.quants) + " native"},
                                            {"--engine", ids(cat.engines)},
                                            {"-e", ids(cat.engines)},
                                            {"--model", models},
                                            {"--models", models},
                                            {"--task", ids(cat.tasks)},
                                            {"-t", ids(cat.tasks)},
                                            {"--kv-type", kv_types(cat)},
                                            {"--count", "auto 1 2 4 8"},
                                            {"--zero", "0 1 2 3"},
                                            {"--format", "table json csv"},
                                            {"--sweep", "context"},
                                            {"--imatrix", "on off"},
                                            {"--n-cpu-moe", "auto"},
                                            {"--context", "max 4k 8k 32k 128k"},
                                            {"-c", "max 4k 8k 32k 128k"}};
  for (const auto& [flag, words] : option_choices()) values.emplace(flag, words);
  return values;
}

/// Options whose value is a path.
bool takes_path(const std::string& flag) { return flag == "--catalog" || flag == "--svg" || flag == "--model-file"; }

/// The global flags, which may also follow the command.
constexpr const char* k_global_flags = "--json --format --explain --quiet --catalog --help";

/// The global flags a command takes after it: --explain only where it derives figures.
std::string global_flags_of(const std::string& command) {
  return explains(command) ? k_global_flags : "--json --format --quiet --catalog --help";
}

/// Positional values per command.
std::string positional_values(const std::string& command, const Catalog& cat) {
  if (command == "list") return "models quants gpus cpus engines tasks";
  if (command == "estimate" || command == "check" || command == "show" || command == "train" || command == "compare")
    return ids(cat.models);
  if (command == "catalog") return "validate";
  if (command == "completions") return "bash zsh man";
  return "";
}

struct OptionInfo {
  std::vector<std::string> names;  ///< "--quant", "-q"
  std::string description;
  bool takes_value = false;
};

std::vector<OptionInfo> options_of(const CLI::App* app) {
  std::vector<OptionInfo> out;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_lnames().empty() && o->get_snames().empty()) continue;  // positional
    OptionInfo info;
    for (const auto& l : o->get_lnames()) info.names.push_back("--" + l);
    for (const auto& s : o->get_snames()) info.names.push_back("-" + s);
    info.description = o->get_description();
    info.takes_value = o->get_items_expected_max() > 0;
    out.push_back(info);
  }
  return out;
}

std::string bash_script(CLI::App& app, const Catalog& cat) {
  std::string commands;
  std::string cases;
  const auto listed = option_values(cat);
  std::set<std::string> free_values;  // value-taking options with no list: complete nothing, not the positionals
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    commands += (commands.empty() ? "" : " ") + sub->get_name();
    std::vector<std::string> names;
    for (const auto& o : options_of(sub))
      for (const auto& n : o.names) {
        names.push_back(n);
        if (o.takes_value && !listed.count(n) && !takes_path(n)) free_values.insert(n);
      }
    names.push_back(global_flags_of(sub->get_name()));  // global flags may follow the command
    cases += fmt::format("    {}) opts=\"{}\"; words=\"{}\" ;;\n", sub->get_name(), join(names, " "),
                         positional_values(sub->get_name(), cat));
  }
  std::string values;
  for (const auto& [flag, list] : listed)
    // Before a command, -q is --quiet and takes no value.
    values += flag == "-q"
                  ? fmt::format(
                        "    -q) if [[ -n \"$cmd\" ]]; then COMPREPLY=($(compgen -W \"{}\" -- "
                        "\"$cur\")); return; fi ;;\n",
                        list)
                  : fmt::format("    {}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;\n", flag, list);
  if (!free_values.empty())  // an empty pattern would be a syntax error
    values +=
        fmt::format("    {}) return ;;\n", join(std::vector<std::string>(free_values.begin(), free_values.end()), "|"));
  return fmt::format(R"(# bash completion for dsplan (generated by `dsplan completions bash`)
_dsplan() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  local commands="{0}" cmd="" opts="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case " $commands " in *" ${{COMP_WORDS[i]}} "*) cmd="${{COMP_WORDS[i]}}"; break ;; esac
  done
  case "$prev" in
    --catalog|--svg|--model-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
{1}  esac
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands --version {3}" -- "$cur"))
    return
  fi
  case "$cmd" in
{2}  esac
  # inspect and catalog validate take files
  if [[ "$cur" != -* && ( "$cmd" == inspect || ( "$cmd" == catalog && " ${{COMP_WORDS[*]:1:COMP_CWORD-1}} " == *" validate "* ) ) ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}}
complete -F _dsplan dsplan
)",
                     commands, values, cases, k_global_flags);
}

/// zsh _arguments wants [] and : escaped in descriptions, and single quotes closed and reopened.
std::string zsh_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
    if (c == '\'') out += "'\\'";
    out += c;
  }
  return out;
}

std::string zsh_script(CLI::App& app, const Catalog& cat) {
  const auto values = option_values(cat);
  std::string described;
  std::string cases;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    described += fmt::format("    '{}:{}'\n", sub->get_name(), zsh_escape(sub->get_description()));
    std::string specs;
    const std::string positional = positional_values(sub->get_name(), cat);
    if (!positional.empty()) specs += fmt::format("        '1:argument:({})' \\\n", positional);
    if (sub->get_name() == "inspect") specs += "        '1:path:_files' \\\n";
    for (const auto& o : options_of(sub)) {
      for (const auto& n : o.names) {
        std::string spec = fmt::format("{}[{}]", n, zsh_escape(o.description));
        if (o.takes_value) {
          const auto it = values.find(n);
          spec += takes_path(n)                               ? std::string(":file:_files")
                  : it != values.end() && !it->second.empty() ? fmt::format(":value:({})", it->second)
                                                              : std::string(":value:");
        }
        specs += "        '" + spec + "' \\\n";
      }
    }
    specs += "        '--json[Print one JSON object]'";
    cases += fmt::format("    {})\n      _arguments \\\n{} ;;\n", sub->get_name(), specs);
  }
  return fmt::format(R"(#compdef dsplan
# zsh completion for dsplan (generated by `dsplan completions zsh`); put it in a directory of
# $fpath as _dsplan.
_dsplan() {{
  local -a commands
  commands=(
{0}  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd="$words[2]"
  shift words
  (( CURRENT-- ))
  case "$cmd" in
{1}  esac
}}
_dsplan "$@"
)",
                     described, cases);
}

/// troff text: backslashes escaped, hyphens literal, no line starting with a control character.
std::string troff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  std::string lines;
  std::size_t start = 0;
  while (start <= out.size()) {
    const std::size_t end = out.find('\n', start);
    std::string line = out.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && (line[0] == '.' || line[0] == '\'')) lines += "\\&";
    lines += line;
    if (end == std::string::npos) break;
    lines += '\n';
    start = end + 1;
  }
  return lines;
}

void man_options(const CLI::App* app, std::string& out) {
  for (const auto& o : options_of(app)) {
    if (o.names.front() == "--help") continue;
    out += ".TP\n.B " + troff(join(o.names, ", ")) + (o.takes_value ? " \\fIVALUE\\fR" : "") + "\n";
    out += troff(o.description) + "\n";
  }
}

/// dsplan.1 from the command definitions: every command with its description, options and footer.
std::string man_page(CLI::App& app) {
  std::string out = ".TH DSPLAN 1 \"\" \"dsplan " DSPLAN_VERSION "\" \"User Commands\"\n";
  out += ".SH NAME\ndsplan \\- " + troff(app.get_description().substr(std::string("dsplan: ").size())) + "\n";
  out += ".SH SYNOPSIS\n.B dsplan\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  out += ".SH GLOBAL OPTIONS\n";
  man_options(&app, out);
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    out += ".SS " + troff(sub->get_name()) + "\n" + troff(sub->get_description()) + "\n";
    man_options(sub, out);
    if (!sub->get_footer().empty()) out += ".PP\n.nf\n" + troff(sub->get_footer()) + "\n.fi\n";
  }
  out += ".SH EXIT STATUS\n0 ok, 1 a check failed (check, recommend with no pick, train \\-\\-count auto with no count), "
         "2 usage or input error (one line on stderr, nothing on stdout), 3 internal error.\n";
  out +=
      ".SH ENVIRONMENT\n.TP\n.B DSPLAN_CATALOG\nCatalog files (':'-separated) layered over the embedded one (before "
      "\\-\\-catalog).\n"
      ".TP\n.B NO_COLOR\nNo colour in the terminal output.\n"
      ".TP\n.B HF_TOKEN\nSent to HF_ENDPOINT's host only, for gated or private repositories (hf: references).\n"
      ".TP\n.B HF_ENDPOINT\nThe Hugging Face server hf: references resolve against (default https://huggingface.co).\n"
      ".TP\n.B DSPLAN_HTTP_TIMEOUT\nSeconds to connect and without a byte for remote files (default 15 and 20).\n"
      ".TP\n.B XDG_CACHE_HOME\nThe header cache of remote files lives in its dsplan/ (default ~/.cache/dsplan/).\n";
  out += ".SH SEE ALSO\nThe documentation installed with dsplan: cli.md (options, JSON schema), methodology.md, "
         "validation.md, catalog.md.\n";
  return out;
}

}  // namespace

void setup_completions(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("completions", "Print a shell completion script (bash, zsh) or the man page (man)");
  auto shell = std::make_shared<std::string>();
  sub->add_option("shell", *shell, "bash, zsh or man")->required();
  sub->footer(
      "Examples:\n"
      "  source <(dsplan completions bash)\n"
      "  dsplan completions zsh > \"${fpath[1]}/_dsplan\"\n"
      "  dsplan completions man > dsplan.1 && man -l dsplan.1");
  sub->callback([&app, &ctx, shell] {
    ctx.runner = [&app, &ctx, shell] {
      if (ctx.global.format != OutputFormat::table)
        throw InputError("completions prints a script or a man page; --json and --format do not apply");
      if (*shell == "bash")
        ctx.out << bash_script(app, ctx.catalog());
      else if (*shell == "zsh")
        ctx.out << zsh_script(app, ctx.catalog());
      else if (*shell == "man")
        ctx.out << man_page(app);
      else
        throw InputError("completions: '" + *shell + "' is not bash, zsh or man");
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
