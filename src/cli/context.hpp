// Context: global flags, the lazily loaded catalog, the output buffer and the chosen subcommand.
#pragma once

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/exit_code.hpp"
#include "cli/output.hpp"
#include "cli/run.hpp"
#include "dsplan/catalog/catalog.hpp"
#include "dsplan/catalog/catalog_load.hpp"

namespace dsplan::cli {

struct GlobalOptions {
  std::vector<std::string> catalog_files;  ///< --catalog FILE (repeatable), after DSPLAN_CATALOG
  bool json = false;          ///< --json (the same as --format json)
  std::string format_text;   ///< --format as given
  OutputFormat format = OutputFormat::table;
  bool explain = false;
  bool quiet = false;
};

class Context {
 public:
  explicit Context(Env env) : m_env(std::move(env)) {}

  /// The files DSPLAN_CATALOG names, in the order they are layered (before --catalog's).
  [[nodiscard]] std::vector<std::string> env_catalog_files() const;

  GlobalOptions global;
  /// Everything a command prints goes here first; run() copies it out only on success.
  std::ostringstream out;
  /// Warnings that accompany a successful result (printed to stderr after the output).
  std::vector<std::string> warnings;
  /// Files a command writes besides its output (--svg FILE): run() writes them, each by a
  /// temporary file renamed into place, only when the command succeeds, before the output.
  std::vector<OutputFile> files;
  /// Set by the chosen subcommand's parse callback; run() calls it after parsing.
  std::function<ExitCode()> runner;

  /// What the command needs of the catalog; a memory-only estimate sets model_data before the
  /// first catalog() call, which then skips the GPU, price, task and speed-band files.
  CatalogScope catalog_scope = CatalogScope::full;

  /// The embedded catalog plus DSPLAN_CATALOG and --catalog files, loaded on first use.
  const Catalog& catalog();
  /// The same catalog, for adding a --model-file's model and format before anything is resolved.
  Catalog& mutable_catalog() {
    (void)catalog();
    return *m_catalog;
  }
  [[nodiscard]] const Env& env() const { return m_env; }

 private:
  Env m_env;
  std::optional<Catalog> m_catalog;
};

}  // namespace dsplan::cli
