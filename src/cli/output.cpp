// --format dispatch and the CSV projection of a command's JSON document.
#include "cli/output.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/context.hpp"
#include "dsplan/base/error.hpp"

namespace dsplan::cli {

namespace {

using json = nlohmann::ordered_json;
using Row = std::vector<std::pair<std::string, std::string>>;

std::string scalar_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

/// Flattens `v` into `row` under `prefix`.
void flatten(const json& v, const std::string& prefix, Row& row) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) flatten(child, prefix.empty() ? key : prefix + "." + key, row);
    return;
  }
  if (v.is_array()) {
    // Scalars joined with ';' unless one holds a ';' itself (a reason quoting a source): then, as a
    // list of objects, the list's JSON, which splits unambiguously.
    const bool scalars = std::all_of(v.begin(), v.end(), [](const json& e) {
      return !e.is_structured() && scalar_text(e).find(';') == std::string::npos;
    });
    std::string text;
    if (scalars)
      for (const auto& e : v) {
        if (!text.empty()) text += ';';
        text += scalar_text(e);
      }
    else
      text = v.dump();
    row.emplace_back(prefix, text);
    return;
  }
  row.emplace_back(prefix, scalar_text(v));
}

bool is_record(const json& v) {
  return v.is_object() && std::none_of(v.begin(), v.end(), [](const json& e) { return e.is_structured(); });
}

/// The scalar fields of an object, and of its records of scalars (recommend's task: task.id, task.name),
/// which are the context repeated on the rows below it.
Row scalars_of(const json& object) {
  Row out;
  if (!object.is_object()) return out;
  for (const auto& [key, child] : object.items()) {
    if (key == "schema_version") continue;
    if (!child.is_structured())
      out.emplace_back(key, scalar_text(child));
    else if (is_record(child))
      flatten(child, key, out);
  }
  return out;
}

std::vector<std::string> split_pointer(const std::string& pointer) {
  std::vector<std::string> parts;
  std::string part;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      parts.push_back(part);
      part.clear();
    } else {
      part += pointer[i];
    }
  }
  return parts;
}

void collect(const json& node, const std::vector<std::string>& parts, std::size_t at, const Row& context,
             std::vector<Row>& rows) {
  if (at == parts.size()) {
    if (node.is_null()) return;
    Row row = context;
    flatten(node, "", row);
    rows.push_back(std::move(row));
    return;
  }
  const std::string& part = parts[at];
  if (part == "*") {
    if (!node.is_array()) return;
    for (const auto& e : node) collect(e, parts, at + 1, context, rows);
    return;
  }
  if (!node.is_object() || !node.contains(part)) return;
  // The scalar fields of the object we descend through label every row below it.
  Row inner = context;
  const Row own = scalars_of(node);
  inner.insert(inner.end(), own.begin(), own.end());
  collect(node[part], parts, at + 1, inner, rows);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out(1, '"');
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

void write_csv(const std::string& json_text, const std::vector<std::string>& pointers, std::ostream& out) {
  const json doc = json::parse(json_text);
  std::vector<Row> rows;
  for (const auto& p : pointers) collect(doc, split_pointer(p), 0, {}, rows);
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  for (const auto& row : rows)
    for (const auto& [key, _] : row)
      if (column.emplace(key, header.size()).second) header.push_back(key);
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_field(header[i]);
  out << "\r\n";
  for (const auto& row : rows) {
    std::vector<std::string> cells(header.size());
    for (const auto& [key, value] : row) cells[column[key]] = value;
    for (std::size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_field(cells[i]);
    out << "\r\n";
  }
}

void check_output_path(const std::string& flag, const std::string& path) {
  if (path == "-")
    throw InputError(flag + " -: standard output holds the command's output; give a file name (" + flag + " plot.svg)");
  // The file is written beside the path and renamed over it: that would replace a device, a FIFO
  // or a symbolic link itself, and a read-only file its owner protected, so only a new path or a
  // writable regular file is taken.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISLNK(st.st_mode))
    throw InputError(flag + " " + path + ": a symbolic link; give the file it points to, or a new file name");
  if (!S_ISREG(st.st_mode))
    throw InputError(flag + " " + path + ": not a regular file (a directory, device or FIFO); give a file name");
  if ((st.st_mode & 0222) == 0) throw InputError(flag + " " + path + ": the file is read-only; give another file name");
}

void write_output_file(const OutputFile& file) {
  check_output_path(file.flag, file.path);
  const auto fail = [&](int code) {
    return InputError(file.flag + ": cannot write '" + file.path + "': " + std::strerror(code));
  };
  std::string temp = file.path;
  temp += ".tmp.";
  temp += std::to_string(getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw fail(errno);
  const char* data = file.text.data();
  std::size_t left = file.text.size();
  int code = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      code = errno;
      break;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && code == 0) code = errno;
  if (code == 0 && std::rename(temp.c_str(), file.path.c_str()) != 0) code = errno;
  if (code != 0) {
    ::unlink(temp.c_str());
    throw fail(code);
  }
}

void render_output(Context& ctx, const Renderers& r) {
  switch (ctx.global.format) {
    case OutputFormat::table: r.table(ctx.out); return;
    case OutputFormat::json: r.json(ctx.out); return;
    case OutputFormat::csv: {
      if (r.csv_rows.empty())
        throw InputError(
            "--format csv: dsplan " + r.command +
            " prints one result, not rows (csv: list, compare, recommend, check, estimate --sweep); use --format json");
      std::ostringstream doc;
      r.json(doc);
      write_csv(doc.str(), r.csv_rows, ctx.out);
      return;
    }
  }
}

}  // namespace dsplan::cli
