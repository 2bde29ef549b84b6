// cli::run: parse arguments, dispatch to a subcommand, render, map every error to an exit code.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace dsplan::cli {

/// What the CLI reads from its environment, passed in so tests control it.
struct Env {
  std::optional<std::string> catalog_path;  ///< DSPLAN_CATALOG: extra catalog file(s), ':'-separated
  bool no_color = false;                    ///< NO_COLOR set
  bool stdout_is_tty = false;
  std::optional<std::string> hf_token;     ///< HF_TOKEN: sent only to the Hugging Face host
  std::optional<std::string> hf_endpoint;  ///< HF_ENDPOINT: the Hugging Face host (default https://huggingface.co)
  std::optional<std::string> cache_dir;    ///< $XDG_CACHE_HOME/dsplan or ~/.cache/dsplan: fetched headers
  std::optional<long> http_timeout_s;
  /// Remote files may be read. Off unless the environment comes from the process (in-process
  /// tests and the fuzzers never reach the network).
  bool network = false;      ///< DSPLAN_HTTP_TIMEOUT: connect and stall limit of remote reads
  /// PATH: where `detect` and --detect look for nvidia-smi, rocm-smi and sysctl (none when unset).
  std::optional<std::string> path;
  /// Where `detect` reads meminfo and cpuinfo: /proc, or DSPLAN_PROC_ROOT (for tests); none when unset.
  std::optional<std::string> proc_root;
};

/// Runs dsplan with `args` (without the program name). Output goes to `out` only when the
/// command succeeds (never half-written); errors are one line on `err`. Returns the exit code.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const Env& env);

/// The subcommand word in `args` ("estimate"), or "" when there is none.
[[nodiscard]] std::string command_word(const std::vector<std::string>& args);

/// Env from the process environment.
Env env_from_process();

}  // namespace dsplan::cli
