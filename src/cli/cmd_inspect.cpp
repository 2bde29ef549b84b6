// `dsplan inspect PATH`: what a GGUF, safetensors checkpoint or config.json holds, and the catalog model it is.
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/model_files.hpp"
#include "cli/render_inspect.hpp"

namespace dsplan::cli {

void setup_inspect(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand(
      "inspect", "Read a model file's header: tensors, bytes per type and group, architecture, catalog match");
  auto path = std::make_shared<std::string>();
  auto emit = std::make_shared<bool>(false);
  sub->add_option("path", *path,
                  "A .gguf (a split set from any part), .safetensors, model.safetensors.index.json, config.json, "
                  "a directory holding them, an https:// URL, or hf:OWNER/REPO/FILE-OR-PREFIX (headers by range requests)")
      ->required();
  sub->add_flag("--emit-catalog", *emit, "Print a catalog models entry for the file (use it with --catalog)");
  sub->footer(
      "Only headers are read, never tensor data.\n"
      "Examples:\n  dsplan inspect DeepSeek-R1-Q4_K_M-00001-of-00009.gguf\n"
      "  dsplan inspect ./DeepSeek-R1 --json\n  dsplan inspect hf:unsloth/DeepSeek-R1-GGUF/DeepSeek-R1-UD-IQ1_S\n  dsplan inspect my-model/config.json --emit-catalog > my.json");
  sub->callback([&ctx, path, emit] {
    ctx.runner = [&ctx, path, emit] {
      const ModelFileInfo info = inspect_path(*path, ctx.catalog(), ctx.env());
      if (*emit)
        render_catalog_entry(info, ctx.catalog(), ctx.out);
      else
        render_output(ctx, {"inspect", [&](std::ostream& out) { render_inspect_table(info, out); },
                            [&](std::ostream& out) { render_inspect_json(info, out); }, {}});
      return ExitCode::ok;
    };
  });
}

}  // namespace dsplan::cli
