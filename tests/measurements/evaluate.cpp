// Measurement set -> dsplan predictions -> accuracy tables and speed bands (see evaluate.hpp).
#include "measurements/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/run.hpp"

namespace dsplan::measure {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

/// Predicted value in the published unit, and predicted / published as a speed ratio.
void predict(Evaluated& e, const nlohmann::json& t) {
  const double decode = t.at("decode_tokens_per_s").get<double>();
  if (e.metric == "decode_tokens_per_s") {
    e.predicted = decode;
  } else if (e.metric == "tpot_ms") {
    e.predicted = 1000.0 / t.at("served_decode_tokens_per_s").get<double>();  // metric_rule, 2026-12-07
  } else if (e.metric == "aggregate_output_tokens_per_s") {
    e.predicted = t.at("aggregate_tokens_per_s").get<double>();
  } else if (e.metric == "served_output_tokens_per_s") {
    e.predicted = t.at("served_tokens_per_s").get<double>();
  } else if (e.metric == "prefill_tokens_per_s") {
    e.predicted = t.at("prefill_tokens_per_s").get<double>();
  } else if (e.metric == "ttft_s") {
    e.predicted = t.at("ttft_s").get<double>();
  } else {
    throw std::runtime_error("unknown metric " + e.metric);
  }
  const bool is_time = e.metric == "tpot_ms" || e.metric == "ttft_s";
  e.ratio = is_time ? e.published / e.predicted : e.predicted / e.published;
  e.kind = e.metric == "prefill_tokens_per_s" || e.metric == "ttft_s" ? "prefill" : "decode";
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 1.0;
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

struct Stats {
  std::size_t n = 0, within20 = 0, within25 = 0, within35 = 0, within2x = 0;
  std::vector<double> ratios;
  void add(double r) {
    ++n;
    within20 += std::abs(r - 1.0) <= 0.20 + 1e-12;
    within25 += std::abs(r - 1.0) <= 0.25 + 1e-12;
    within35 += std::abs(r - 1.0) <= 0.35 + 1e-12;
    within2x += r >= 0.5 && r <= 2.0;
    ratios.push_back(r);
  }
  /// "43 (79.6 %)": rounded down, so a share just under a target never prints as reaching it.
  [[nodiscard]] std::string share(std::size_t k) const {
    if (n == 0) return "-";
    const double tenths = std::floor(1000.0 * static_cast<double>(k) / static_cast<double>(n));
    return fmt::format("{} ({:.1f} %)", k, tenths / 10.0);
  }
  [[nodiscard]] std::string bias() const {
    return n == 0 ? "-" : fmt::format("{:+.0f} %", (quantile(ratios, 0.5) - 1.0) * 100.0);
  }
};

std::string cells(const Stats& s) {
  return fmt::format("{} | {} | {} | {} | {}", s.n, s.share(s.within20), s.share(s.within35), s.share(s.within2x),
                     s.bias());
}

/// The class a measured run belongs to: measured engine / hardware family / model kind.
std::string run_class(const Evaluated& r) { return r.engine + "/" + r.family + "/" + r.model_kind; }

/// A command's "/tmp/NAME.json" (a shape override for a model outside the catalog, docs/validation.md
/// section 6) is tests/data/NAME.json; any other word stays as it is.
std::string shape_override(const Paths& paths, const std::string& word) {
  const std::string tmp = "/tmp/";
  if (word.rfind(tmp, 0) != 0 || word.substr(word.size() - 5) != ".json") return word;  // "/tmp/" has 5 chars
  return paths.shape_overrides + "/" + word.substr(tmp.size());
}

/// Issue 8's accuracy targets, each against the validate side as it stands.
std::string targets_markdown(const std::vector<Evaluated>& rows) {
  Stats decode, big_decode, prefill;
  std::map<std::string, Stats> by_class;
  for (const auto& r : rows) {
    if (!r.evaluated || r.side != "validate") continue;
    (r.kind == "decode" ? decode : prefill).add(r.ratio);
    if (r.kind == "decode" && r.model_kind == "moe-671b") big_decode.add(r.ratio);
    by_class[run_class(r) + " " + r.kind].add(r.ratio);
  }
  std::string biased;
  for (const auto& [name, st] : by_class)
    if (std::abs(quantile(st.ratios, 0.5) - 1.0) > 0.15 + 1e-12)
      biased += fmt::format("{}{} ({}, n={})", biased.empty() ? "" : "; ", name, st.bias(), st.n);
  std::ostringstream md;
  md << "\nIssue 8's targets, validate side:\n\n| target | goal | now |\n|---|---|---|\n";
  md << "| decode within ±20 % | ≥ 80 % | " << decode.share(decode.within20) << " of " << decode.n << " |\n";
  md << "| decode within 0.5-2x | every row | " << decode.share(decode.within2x) << " of " << decode.n << " |\n";
  md << "| DeepSeek 671B decode within ±35 % | ≥ 70 % | " << big_decode.share(big_decode.within35) << " of "
     << big_decode.n << " |\n";
  md << "| prefill and TTFT within ±25 % | ≥ 70 % | " << prefill.share(prefill.within25) << " of " << prefill.n
     << " |\n";
  md << "| classes with a median bias beyond ±15 % | none | " << (biased.empty() ? "none" : biased) << " |\n";
  return md.str();
}

}  // namespace

std::vector<Evaluated> evaluate_all(const Paths& paths) {
  const auto doc = nlohmann::json::parse(read_file(paths.measurements));
  std::map<std::string, std::string> side;
  for (const auto& s : doc.at("sources")) side[s.at("id").get<std::string>()] = s.at("split").get<std::string>();
  std::vector<Evaluated> out;
  std::size_t index = 0;
  for (const auto& row : doc.at("rows")) {
    Evaluated e;
    e.index = index++;
    e.source = row.at("source").get<std::string>();
    e.side = side.at(e.source);
    e.engine = row.at("engine").get<std::string>();
    e.metric = row.at("metric").get<std::string>();
    e.model = row.at("model").get<std::string>();
    e.published = row.at("value").get<double>();
    if (!paths.only_side.empty() && e.side != paths.only_side) continue;
    if (!paths.only_rows.empty() &&
        std::find(paths.only_rows.begin(), paths.only_rows.end(), e.index) == paths.only_rows.end())
      continue;
    if (row.at("dsplan").is_null()) {
      e.error = "no dsplan mapping";
      out.push_back(e);
      continue;
    }
    std::vector<std::string> args;
    for (const auto& c : paths.extra_catalogs) args.insert(args.end(), {"--catalog", c});
    auto command = words(row.at("dsplan").get<std::string>());
    if (!command.empty() && command.front() == "dsplan") command.erase(command.begin());
    for (auto& w : command) args.push_back(shape_override(paths, w));
    args.push_back("--json");
    std::ostringstream o, err;
    const int code = cli::run(args, o, err, cli::Env{});
    if (code != 0) {
      e.error = "exit " + std::to_string(code) + ": " + err.str();
      out.push_back(e);
      continue;
    }
    const auto j = nlohmann::json::parse(o.str());
    if (!j.contains("throughput")) {
      e.error = "does not fit";
      out.push_back(e);
      continue;
    }
    const auto& t = j.at("throughput");
    predict(e, t);
    e.speed_class = t.at("decode_band").at("speed_class").get<std::string>();
    const auto slash1 = e.speed_class.find('/');
    const auto slash2 = e.speed_class.find('/', slash1 + 1);
    e.family = e.speed_class.substr(slash1 + 1, slash2 - slash1 - 1);
    e.model_kind = e.speed_class.substr(slash2 + 1);
    // Bands of a dsplan engine come only from runs of that engine (not ik_llama.cpp, KTransformers, ...).
    if (j.at("engine").at("id").get<std::string>() != e.engine) e.speed_class.clear();
    e.evaluated = true;
    out.push_back(e);
  }
  return out;
}

std::string accuracy_markdown(const std::vector<Evaluated>& rows) {
  std::ostringstream md;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> sides;
  for (const auto& r : rows) {
    if (!r.evaluated) ++skipped;
    else ++sides[r.side];
  }
  md << fmt::format("{} rows: {} on the fit side, {} on the validate side, {} not evaluated (no dsplan mapping "
                    "or the command does not fit). Ratio = dsplan / published speed (for TPOT and TTFT: published / "
                    "dsplan time); bias = median ratio - 1.\n\n",
                    rows.size(), sides["fit"], sides["validate"], skipped);
  md << "| rows | side | n | within ±20 % | within ±35 % | within 0.5-2x | median bias |\n";
  md << "|---|---|---|---|---|---|---|\n";
  for (const char* kind : {"decode", "prefill"})
    for (const bool big : {false, true})
      for (const char* s : {"fit", "validate"}) {
        Stats st;
        for (const auto& r : rows)
          if (r.evaluated && r.side == s && r.kind == kind && (!big || r.model_kind == "moe-671b")) st.add(r.ratio);
        md << "| " << kind << (big ? ", DeepSeek 671B" : ", all") << " | " << s << " | " << cells(st) << " |\n";
      }
  md << targets_markdown(rows);
  md << "\nBy class (measured engine / hardware family / model kind):\n\n";
  md << "| class | metric | fit n | fit ±20 % | fit ±35 % | fit 0.5-2x | fit bias | validate n | validate ±20 % | "
        "validate ±35 % | validate 0.5-2x | validate bias |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::pair<std::string, std::string>, std::map<std::string, Stats>> by_class;
  for (const auto& r : rows)
    if (r.evaluated) by_class[{run_class(r), r.kind}][r.side].add(r.ratio);
  for (auto& [key, s] : by_class)
    md << "| " << key.first << " | " << key.second << " | " << cells(s["fit"]) << " | " << cells(s["validate"]) << " |\n";
  return md.str();
}

std::string speed_bands_json(const std::vector<Evaluated>& rows) {
  struct Acc {
    std::vector<double> q;
    std::set<std::string> sources;
  };
  std::map<std::string, Acc> groups;
  for (const auto& r : rows)
    if (r.evaluated && !r.speed_class.empty()) {
      auto& g = groups[r.speed_class + "/" + r.kind];
      g.q.push_back(1.0 / r.ratio);
      g.sources.insert(r.source);
    }
  nlohmann::ordered_json bands = nlohmann::ordered_json::array();
  // Beyond 1/100..100 a band says only "off by more than 100x" (the catalog's range for a band):
  // queued burst TTFTs of 1,000 concurrent requests against one prompt's prefill reach it.
  const auto round2 = [](double v) { return std::clamp(std::round(v * 100.0) / 100.0, 0.01, 100.0); };
  for (const auto& [id, g] : groups) {
    if (g.q.size() < k_min_band_rows) continue;
    const auto slash = id.rfind('/');
    bands.push_back({{"id", id},
                     {"class", id.substr(0, slash)},
                     {"metric", id.substr(slash + 1)},
                     {"measurements", g.q.size()},
                     {"low", round2(std::min(quantile(g.q, 0.1), 1.0 - k_min_band_halfwidth))},
                     {"high", round2(std::max(quantile(g.q, 0.9), 1.0 + k_min_band_halfwidth))},
                     {"median", round2(quantile(g.q, 0.5))},
                     {"sources", std::vector<std::string>(g.sources.begin(), g.sources.end())}});
  }
  nlohmann::ordered_json doc{
      {"about",
       "Speed bands: for each class of runs (engine / hardware family / model kind) and metric, the 10th and 90th "
       "percentile and the median of published / dsplan speed over the published measurements of that engine in "
       "tests/data/measurements.json, fit and validate sides together; at least 3 rows, at least +-10 %, within "
       "1/100..100. Generated, "
       "do not edit: scripts/calibrate.sh (docs/validation.md section 6.10)."},
      {"generated_by", "dsplan_calibrate (tests/measurements)"},
      {"speed_bands", bands}};
  return doc.dump(2) + "\n";
}

std::string residuals_tsv(const std::vector<Evaluated>& rows) {
  std::ostringstream out;
  out << "index\tside\tsource\tengine\tclass\tmetric\tpublished\tpredicted\tratio\terror\n";
  for (const auto& r : rows)
    out << fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.4g}\t{:.3f}\t{}\n", r.index, r.side, r.source, r.engine,
                       r.evaluated ? run_class(r) : "-", r.metric, r.published,
                       r.predicted, r.ratio, r.error.substr(0, r.error.find('\n')));
  return out.str();
}

std::string doc_section(const std::string& doc) {
  const auto b = doc.find(k_doc_begin);
  const auto e = doc.find(k_doc_end);
  if (b == std::string::npos || e == std::string::npos || e < b) return {};
  const auto start = b + std::string(k_doc_begin).size() + 1;
  return doc.substr(start, e - start);
}

std::string replace_doc_section(const std::string& doc, const std::string& section) {
  const auto b = doc.find(k_doc_begin);
  const auto e = doc.find(k_doc_end);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw std::runtime_error("docs/validation.md has no generated-section markers");
  const auto start = b + std::string(k_doc_begin).size() + 1;
  return doc.substr(0, start) + section + doc.substr(e);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace dsplan::measure
