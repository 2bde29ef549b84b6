// Text helpers behind "did you mean" suggestions.
#include <catch2/catch.hpp>

#include "dsplan/base/text.hpp"

using namespace dsplan;

TEST_CASE("edit distance is Levenshtein's, case-insensitive", "[text]") {
  REQUIRE(edit_distance("kitten", "sitting") == 3);  // the textbook example
  REQUIRE(edit_distance("RTX4090", "rtx4090") == 0);
  REQUIRE(edit_distance("", "abc") == 3);
}

TEST_CASE("closest names: near misses and substrings, best first", "[text]") {
  const std::vector<std::string> gpus{"rtx3090", "rtx4090", "h100-sxm", "a100-80g"};
  const auto near = closest_names("rtx409", gpus);
  REQUIRE_FALSE(near.empty());
  REQUIRE(near.front() == "rtx4090");  // one deletion away
  REQUIRE(closest_names("h100", gpus).front() == "h100-sxm");  // contained
  REQUIRE(closest_names("zzzzzzzz", gpus).empty());
  REQUIRE(join({"a", "b", "c"}) == "a, b, c");
  REQUIRE(to_lower("DeepSeek-R1") == "deepseek-r1");
}
