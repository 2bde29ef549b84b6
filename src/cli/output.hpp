// One output dispatch: --format table|json|csv (--json = --format json) for every command.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dsplan/base/names.hpp"

namespace dsplan::cli {

enum class OutputFormat { table, json, csv };

inline constexpr EnumName<OutputFormat> k_output_formats[] = {
    {OutputFormat::table, "table", "aligned columns for people (default)"},
    {OutputFormat::json, "json", "one JSON document (schema in docs/cli.md)"},
    {OutputFormat::csv, "csv", "RFC 4180 rows of the JSON document's list (list, compare, recommend, sweeps)"}};

class Context;

/// How a command renders itself: its table, its JSON document, and where in that document its
/// rows are for CSV (JSON pointers; a "*" segment expands an array, and the fields of the objects
/// above it repeat on each row). No row pointers: the command prints one result, not rows.
struct Renderers {
  std::string command;
  std::function<void(std::ostream&)> table;
  std::function<void(std::ostream&)> json;
  std::vector<std::string> csv_rows;
};

/// A file a command writes besides its output (--svg FILE).
struct OutputFile {
  std::string flag;  ///< the option that named it, for messages ("--svg")
  std::string path;
  std::string text;
};

/// Refuses a path that cannot be meant for `flag`: "-" (stdout already holds the output).
void check_output_path(const std::string& flag, const std::string& path);

/// Writes `file.text` to a temporary file next to `file.path` and renames it into place, so a
/// failure never leaves a half-written file; InputError (one line, exit 2) when that fails.
void write_output_file(const OutputFile& file);

/// Writes the command's output in the chosen format to ctx.out.
void render_output(Context& ctx, const Renderers& r);

/// CSV of the rows of a JSON document (exposed for tests): header = the union of the flattened
/// keys in first-seen order (nested objects as a.b, arrays of scalars joined with ';', arrays of
/// objects as compact JSON).
void write_csv(const std::string& json_text, const std::vector<std::string>& rows, std::ostream& out);

}  // namespace dsplan::cli
