// `dsplan catalog validate FILE...`: check user catalog files against the schema and the embedded data.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "dsplan/base/text.hpp"
#include "dsplan/model/quant.hpp"

namespace dsplan::cli {

void setup_catalog(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("catalog", "Work with catalog files (data/*.json schema, docs/catalog.md)");
  sub->require_subcommand(1);
  sub->footer("Example:\n  dsplan catalog validate my-gpus.json");
  auto* validate = sub->add_subcommand("validate", "Check catalog files: schema, cross-references, name clashes");
  auto files = std::make_shared<std::vector<std::string>>();
  validate->add_option("files", *files, "Catalog JSON files, layered over the embedded catalog in order")
      ->required()
      ->type_name("FILE");
  validate->footer("Example:\n  dsplan catalog validate my-gpus.json && dsplan --catalog my-gpus.json list gpus");
  validate->callback([&ctx, files] {
    ctx.runner = [&ctx, files] {
      for (const auto& f : *files) ctx.global.catalog_files.push_back(f);
      const Catalog& cat = ctx.catalog();  // throws CatalogError (exit 2) naming file and field
      check_formats(cat);                  // a block size or rule no estimate could use
      render_output(ctx, {"catalog validate",
                          [&](std::ostream& out) {
                            const auto env = ctx.env_catalog_files();
                            out << "valid: " << files->size() << " " << plural(files->size(), "file", "files")
                                << " over the embedded catalog"
                                << (env.empty() ? "" : " and DSPLAN_CATALOG's " + join(env)) << "; now "
                                << cat.models.size() << " models, " << cat.quants.size() << " quants, "
                                << cat.gpus.size() << " GPUs, " << cat.engines.size() << " engines\n";
                          },
                          [&](std::ostream& out) {
                            out << nlohmann::ordered_json{{"schema_version", 1},
                                                          {"valid", true},
                                                          {"files", *files},
                                                          {"env_files", ctx.env_catalog_files()},
                                                          {"models", cat.models.size()},
                                                          {"quants", cat.quants.size()},
                                                          {"gpus", cat.gpus.size()},
                                                          {"engines", cat.engines.size()}}
                                       .dump(2)
                                << '\n';
                          },
                          {}});
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
