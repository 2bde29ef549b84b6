// --svg FILE (estimate, estimate --sweep context, compare) and the terminal memory bars: the
// pictures are well-formed XML, their geometry matches the JSON figures of the same command, and
// the file is written only when the command succeeds.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli/render_svg.hpp"
#include "cli_support.hpp"

using namespace dsplan::test;
namespace fs = std::filesystem;

namespace {

/// A scratch directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("dsplan-svg-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Empty when `s` is well-formed XML of the subset the builder writes (declaration, elements,
/// attributes in double quotes, text, the five predefined entities); otherwise the first problem.
std::string xml_problem(const std::string& s) {
  static const char* const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
  for (std::size_t at = s.find('&'); at != std::string::npos; at = s.find('&', at + 1)) {
    bool known = false;
    for (const char* e : entities) known = known || s.compare(at, std::strlen(e), e) == 0;
    if (!known) return "bare & at byte " + std::to_string(at);
  }
  std::size_t i = 0;
  if (s.rfind("<?xml", 0) == 0) {
    i = s.find("?>");
    if (i == std::string::npos) return "unterminated declaration";
    i += 2;
  }
  std::vector<std::string> open;
  bool root_done = false;
  while (i < s.size()) {
    if (s[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return "text outside the root element";
      if (s[i] == '>') return "bare > in text at byte " + std::to_string(i);
      ++i;
      continue;
    }
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    const std::string tag = s.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) return "< inside a tag at byte " + std::to_string(i);
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return "unbalanced quotes in <" + tag + ">";
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return "</" + tag.substr(1) + "> closes nothing open";
      open.pop_back();
      if (open.empty()) root_done = true;
    } else {
      if (root_done || (open.empty() && tag.rfind("svg", 0) != 0)) return "second root or root not <svg>";
      const bool self_closing = !tag.empty() && tag.back() == '/';
      const std::string name = tag.substr(0, tag.find_first_of(" /"));
      if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return "bad element name in <" + tag + ">";
      if (!self_closing) open.push_back(name);
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> not closed";
  if (!root_done) return "no root element";
  return "";
}

double attribute(const std::string& element, const std::string& name) {
  const std::regex re(" " + name + "=\"([-0-9.]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(element, m, re));
  return std::stod(m[1].str());
}

/// Every element `<tag class="cls" ...>` in document order.
std::vector<std::string> elements(const std::string& svg, const std::string& tag, const std::string& cls) {
  std::vector<std::string> out;
  const std::string start = "<" + tag + " class=\"" + cls + "\"";
  for (std::size_t at = svg.find(start); at != std::string::npos; at = svg.find(start, at + 1))
    out.push_back(svg.substr(at, svg.find('>', at) - at + 1));
  return out;
}

/// Runs a command with --svg FILE, requires exit 0, and returns the file's text.
std::string svg_of(std::vector<std::string> args, const TempDir& dir) {
  const std::string path = dir.file("out.svg");
  args.push_back("--svg");
  args.push_back(path);
  const auto o = run_cli(args);
  INFO(o.err);
  REQUIRE(o.code == 0);
  REQUIRE(!o.out.empty());
  return read_text(path);
}

}  // namespace

TEST_CASE("svg: text is escaped", "[cli][svg]") {
  REQUIRE(dsplan::cli::xml_escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  REQUIRE(dsplan::cli::xml_escape("plain 24.0 GiB") == "plain 24.0 GiB");
  REQUIRE(dsplan::cli::xml_escape(std::string("bell\x07")) == "bell\xEF\xBF\xBD");
  REQUIRE(xml_problem("<svg><text>a & b</text></svg>") != "");  // the checker itself catches a bare &
  REQUIRE(xml_problem("<svg><g></svg>") != "");
}

TEST_CASE("svg: every picture is well-formed with matching width, height and viewBox", "[cli][svg]") {
  const std::vector<std::vector<std::string>> commands{
      {"estimate", "8b", "--quant", "q4_k_m"},
      {"estimate", "70b", "--quant", "q4_k_m", "--gpus", "2xrtx3090"},
      {"estimate", "r1", "--quant", "iq1_s", "--gpu", "rtx4090", "--ram", "256", "--offload-experts"},
      {"estimate", "8b", "--quant", "q4_k_m", "--gpu", "rtx4090", "--sweep", "context"},
      {"estimate", "8b", "--quant", "q4_k_m", "--sweep", "context"},
      {"compare", "--vram", "24", "--quants", "q4_k_m,q8_0,native"},
      {"compare", "--models", "8b,70b"},
      {"compare", "--gpu", "rtx4090", "--models", "8b,70b", "--context", "max"},
      {"--catalog", fixture(), "estimate", "tiny", "--quant", "tiny-q8", "--context", "1000"},
  };
  TempDir dir;
  for (const auto& args : commands) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    CAPTURE(joined);
    const std::string svg = svg_of(args, dir);
    REQUIRE(xml_problem(svg).empty());
    std::smatch m;
    REQUIRE(std::regex_search(svg, m, std::regex("<svg [^>]*width=\"(\\d+)\" height=\"(\\d+)\" viewBox=\"0 0 (\\d+) (\\d+)\"")));
    REQUIRE(m[1] == m[3]);
    REQUIRE(m[2] == m[4]);
    REQUIRE(svg.find("nan") == std::string::npos);
    REQUIRE(svg.find("inf") == std::string::npos);
  }
}

TEST_CASE("svg estimate: bar lengths are the JSON figures on one scale", "[cli][svg]") {
  // Two RTX 3090s holding the 70B at Q4_K_M: each bar's segments and capacity line against the
  // per-device bytes of the same command's JSON.
  const std::vector<std::string> args{"estimate", "70b", "--quant", "q4_k_m", "--gpus", "2xrtx3090"};
  const auto j = run_json(args);
  const auto& devices = j["layout"]["devices"];
  REQUIRE(devices.size() == 2);
  TempDir dir;
  const std::string svg = svg_of(args, dir);
  const auto weights = elements(svg, "rect", "seg weights");
  const auto kv = elements(svg, "rect", "seg kv");
  const auto caps = elements(svg, "line", "capacity");
  REQUIRE(weights.size() >= 2);  // and the host's, when it holds the token embedding
  REQUIRE(caps.size() == 2);      // the host has no capacity line without --ram
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    const double w_bytes = devices[i]["weights_bytes"].get<double>();
    const double kv_bytes = devices[i]["kv_cache_bytes"].get<double>();
    const double cap_bytes = devices[i]["capacity_bytes"].get<double>();
    const double left = attribute(weights[i], "x");
    const double cap_len = attribute(caps[i], "x1") - left;
    // Coordinates carry two decimals: within 1% for bars of tens to hundreds of pixels.
    REQUIRE(attribute(weights[i], "width") / cap_len == Approx(w_bytes / cap_bytes).epsilon(0.01));
    REQUIRE(attribute(kv[i], "width") / cap_len == Approx(kv_bytes / cap_bytes).epsilon(0.01));
    REQUIRE(attribute(kv[i], "x") == Approx(left + attribute(weights[i], "width")).margin(0.02));
  }
}

TEST_CASE("svg compare: one cell per model and format, coloured by the JSON fit", "[cli][svg]") {
  const std::vector<std::string> args{"compare", "--models", "8b,70b,671b", "--quants", "q4_k_m,q8_0", "--gpu", "rtx4090"};
  const auto j = run_json(args);
  std::size_t fits = 0, fits_ram = 0, no_fit = 0;
  for (const auto& row : j["rows"])
    for (const auto& c : row["cells"]) {
      if (!c["applicable"].get<bool>()) continue;
      // Amber: the layout fits with part of it in system RAM (given, or needed and not given).
      if (c["uses_ram"].get<bool>() && (c["fits"].get<bool>() || !c["needs_ram_bytes"].is_null()))
        ++fits_ram;
      else if (c["fits"].get<bool>())
        ++fits;
      else
        ++no_fit;
    }
  TempDir dir;
  const std::string svg = svg_of(args, dir);
  REQUIRE(elements(svg, "rect", "cell fits").size() == fits);
  REQUIRE(elements(svg, "rect", "cell fits-ram").size() == fits_ram);
  REQUIRE(elements(svg, "rect", "cell no-fit").size() == no_fit);
  REQUIRE(fits + fits_ram + no_fit == 6);
  // Each cell shows its total in GiB.
  const double first = j["rows"][0]["cells"][0]["memory_total_bytes"].get<double>() / 1073741824.0;
  REQUIRE(svg.find(fmt::format("{:.2f} GiB</text>", first)) != std::string::npos);
}

TEST_CASE("svg sweep: one point per context and the device limit as a line", "[cli][svg]") {
  const std::vector<std::string> args{"estimate", "8b", "--quant", "q4_k_m", "--gpu", "rtx4090", "--sweep", "context"};
  const auto j = run_json(args);
  TempDir dir;
  const std::string svg = svg_of(args, dir);
  const auto limits = elements(svg, "line", "limit");
  REQUIRE(limits.size() == 1);
  const auto series = elements(svg, "polyline", "series");
  REQUIRE(!series.empty());  // the GPU, and the host when it holds the embedding
  const std::string points = series[0].substr(series[0].find("points=\""));
  REQUIRE(static_cast<std::size_t>(std::count(points.begin(), points.end(), ',')) == j["points"].size());
  REQUIRE(elements(svg, "polyline", "decode").size() == 1);
}

TEST_CASE("svg: written only on success, refused for stdout, one line for an unwritable path", "[cli][svg]") {
  TempDir dir;
  const std::string path = dir.file("plot.svg");
  require_usage_error(run_cli({"estimate", "8b", "--svg", "-"}), "--svg -: standard output holds");
  require_usage_error(run_cli({"compare", "--svg", "-"}), "--svg -");
  require_usage_error(run_cli({"estimate", "70x", "--svg", path}), "unknown model");
  REQUIRE(!fs::exists(path));
  require_usage_error(run_cli({"estimate", "8b", "--sweep", "context", "--context", "8k", "--svg", path}), "--context");
  REQUIRE(!fs::exists(path));
  const std::string missing = dir.file("no/such/dir/plot.svg");
  require_usage_error(run_cli({"estimate", "8b", "--svg", missing}), "--svg: cannot write '" + missing + "'");
  require_usage_error(run_cli({"estimate", "8b", "--svg", dir.path.string()}), "not a regular file");
  // Nothing but the directory's own content is left behind (no temporary files).
  REQUIRE(fs::is_empty(dir.path));
  // The picture is renamed over the path: a FIFO, a symbolic link or a read-only file would be
  // replaced itself, so each is refused and left as it was.
  const std::string fifo = dir.file("fifo.svg"), link = dir.file("link.svg"), locked = dir.file("ro.svg");
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  fs::create_symlink(dir.file("target.svg"), link);
  { std::ofstream(locked) << "keep"; }
  fs::permissions(locked, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  require_usage_error(run_cli({"estimate", "8b", "--svg", fifo}), "--svg " + fifo + ": not a regular file");
  require_usage_error(run_cli({"estimate", "8b", "--svg", link}), "--svg " + link + ": a symbolic link");
  require_usage_error(run_cli({"compare", "--svg", locked}), "--svg " + locked + ": the file is read-only");
  REQUIRE(fs::is_fifo(fifo));
  REQUIRE(fs::is_symlink(link));
  REQUIRE(read_text(locked) == "keep");
  fs::remove(fifo);
  fs::remove(link);
  fs::remove(locked);
  // An existing file is replaced whole.
  { std::ofstream(path) << std::string(100000, 'x'); }
  const auto o = run_cli({"estimate", "8b", "--svg", path});
  REQUIRE(o.code == 0);
  REQUIRE(xml_problem(read_text(path)).empty());
}

namespace {
dsplan::test::Outcome run_env(const std::vector<std::string>& args, dsplan::cli::Env env) {
  std::ostringstream out, err;
  const int code = dsplan::cli::run(args, out, err, env);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("memory bars: one per device, lengths from the JSON figures, colour only on a terminal", "[cli][svg]") {
  const std::vector<std::string> args{"estimate", "70b", "--quant", "q4_k_m", "--gpus", "2xrtx3090"};
  const auto o = run_cli(args);
  REQUIRE(o.code == 0);
  REQUIRE(o.out.find("Memory per device: W weights, K KV cache, B compute buffer, O overhead, . free") !=
          std::string::npos);
  REQUIRE(o.out.find('\x1b') == std::string::npos);
  const auto j = run_json(args);
  std::istringstream lines(o.out);
  std::size_t bars = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("  \\[([WKBO.]+)\\] [0-9]"))) continue;
    const std::string bar = m[1].str();
    REQUIRE(bar.size() == 40);
    const auto& devices = j["layout"]["devices"];
    const auto& d = bars < devices.size() ? devices[bars] : j["layout"]["cpu"];
    // The bar spans the capacity, or the total when larger.
    const double capacity = d["capacity_bytes"].is_null() ? 0.0 : d["capacity_bytes"].get<double>();
    const double cap = std::max(capacity, d["total_bytes"].get<double>());
    const auto w = static_cast<double>(std::count(bar.begin(), bar.end(), 'W'));
    const auto k = static_cast<double>(std::count(bar.begin(), bar.end(), 'K'));
    // Each boundary is rounded to a character: within one character of the exact share.
    REQUIRE(std::abs(w - d["weights_bytes"].get<double>() / cap * 40) <= 1.0);
    REQUIRE(std::abs(w + k - (d["weights_bytes"].get<double>() + d["kv_cache_bytes"].get<double>()) / cap * 40) <= 0.5);
    if (bars < devices.size())
      REQUIRE(line.find(fmt::format("{:.1f} / {:.1f} GiB", d["total_bytes"].get<double>() / 1073741824.0,
                                    d["capacity_bytes"].get<double>() / 1073741824.0)) != std::string::npos);
    ++bars;
  }
  // A host of unknown size (no --ram) gets its total and no bar: a bar of its own total reads as full.
  REQUIRE(j["layout"]["cpu_bytes"].get<std::uint64_t>() > 0);
  REQUIRE(bars == 2);
  REQUIRE(o.out.find(fmt::format("{:.1f} GiB (size not given: --ram)",
                                 j["layout"]["cpu_bytes"].get<double>() / 1073741824.0)) != std::string::npos);

  dsplan::cli::Env tty;
  tty.stdout_is_tty = true;
  REQUIRE(run_env(args, tty).out.find("\x1b[34mW") != std::string::npos);
  tty.no_color = true;
  REQUIRE(run_env(args, tty).out.find('\x1b') == std::string::npos);
}
