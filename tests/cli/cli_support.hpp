// Helpers for in-process CLI tests: run dsplan::cli::run on arguments, check one-line errors.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace dsplan::test {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline Outcome run_cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = dsplan::cli::run(args, out, err, dsplan::cli::Env{});
  return {code, out.str(), err.str()};
}

/// Runs with --json added, requires `code`, and returns the parsed document.
inline nlohmann::json run_json(std::vector<std::string> args, int code = 0) {
  args.push_back("--json");
  const auto o = run_cli(args);
  INFO(o.err);
  REQUIRE(o.code == code);
  return nlohmann::json::parse(o.out);
}

inline std::string fixture() { return std::string(DSPLAN_FIXTURES_DIR) + "/tiny_catalog.json"; }

/// Exit 2, nothing on stdout, exactly one line on stderr.
inline void require_usage_error(const Outcome& o, const std::string& fragment) {
  CAPTURE(o.err);
  REQUIRE(o.code == 2);
  REQUIRE(o.out.empty());
  REQUIRE(o.err.rfind("dsplan: error: ", 0) == 0);
  REQUIRE(o.err.find('\n') == o.err.size() - 1);
  REQUIRE(o.err.find(fragment) != std::string::npos);
}

/// The note of JSON output `j` that contains `part`; empty if none does.
inline std::string note_with(const nlohmann::json& j, const std::string& part) {
  if (!j.contains("notes")) return {};
  for (const auto& n : j.at("notes"))
    if (n.get<std::string>().find(part) != std::string::npos) return n.get<std::string>();
  return {};
}

}  // namespace dsplan::test
