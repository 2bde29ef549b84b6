// Rendering of `dsplan inspect`: table, JSON, and a catalog models entry (--emit-catalog).
#pragma once

#include <ostream>

#include "dsplan/files/model_file.hpp"

namespace dsplan::cli {

void render_inspect_table(const ModelFileInfo& info, std::ostream& out);
void render_inspect_json(const ModelFileInfo& info, std::ostream& out);
/// {"models": [entry]} for --catalog; throws InputError when the file does not give the architecture.
/// A catalog models entry for the file, its id unused by `catalog` (loading it adds a model).
void render_catalog_entry(const ModelFileInfo& info, const Catalog& catalog, std::ostream& out);

}  // namespace dsplan::cli
