// Command-line numbers: tokens, integers, sizes (GB vs GiB), with one-line errors.
#include <catch2/catch.hpp>

#include "cli/parse_units.hpp"
#include "dsplan/base/error.hpp"

using namespace dsplan;
using namespace dsplan::cli;

TEST_CASE("token counts", "[parse]") {
  REQUIRE(parse_tokens("4096", "--context", 1, 1 << 24) == 4096);
  REQUIRE(parse_tokens("32k", "--context", 1, 1 << 24) == 32768);
  REQUIRE(parse_tokens("128K", "--context", 1, 1 << 24) == 131072);
  REQUIRE(parse_tokens("1m", "--context", 1, 1 << 24) == 1048576);
  REQUIRE_THROWS_WITH(parse_tokens("abc", "--context", 1, 100), "--context: 'abc' is not a token count (examples: 4096, 32k, 128k)");
  REQUIRE_THROWS_WITH(parse_tokens("0", "--context", 1, 100), "--context: 0 is out of range (1 to 100)");
  // A whole number past 64 bits is a count out of range, not something other than a count.
  REQUIRE_THROWS_WITH(parse_tokens("99999999999999999999", "--context", 1, 100),
                      "--context: '99999999999999999999' is out of range (1 to 100)");
  REQUIRE_THROWS_AS(parse_tokens("1.5k", "--context", 1, 100000), InputError);
  REQUIRE_THROWS_AS(parse_tokens("-5", "--context", 1, 100), InputError);
}

TEST_CASE("sizes: bare = GiB, GB = 10^9, GiB = 2^30", "[parse]") {
  REQUIRE(parse_size("24", "--vram").count() == 24ULL << 30);
  REQUIRE(parse_size("24GiB", "--vram").count() == 24ULL << 30);
  REQUIRE(parse_size("24 GB", "--vram").count() == 24'000'000'000ULL);
  REQUIRE(parse_size("80gb", "--vram").count() == 80'000'000'000ULL);
  REQUIRE(parse_size("512MiB", "--vram").count() == 512ULL << 20);
  REQUIRE(parse_size("1.5", "--vram").count() == 3ULL << 29);
  REQUIRE_THROWS_AS(parse_size("24XB", "--vram"), InputError);
  REQUIRE_THROWS_AS(parse_size("", "--vram"), InputError);
  REQUIRE_THROWS_AS(parse_size("0", "--vram"), InputError);
  REQUIRE_THROWS_AS(parse_size("9999999", "--vram"), InputError);
}

TEST_CASE("amounts: K, M, B/G, T are powers of ten", "[parse]") {
  REQUIRE(parse_amount("2M", "--tokens-per-day", 1, 1e18) == 2e6);
  REQUIRE(parse_amount("500k", "--tokens", 1, 1e18) == 5e5);
  REQUIRE(parse_amount("14.8T", "--tokens", 1, 1e18) == Approx(14.8e12));
  REQUIRE(parse_amount("3B", "--tokens", 1, 1e18) == 3e9);
  REQUIRE(parse_amount("2e9", "--tokens", 1, 1e18) == 2e9);
  REQUIRE(parse_amount("1000", "--tokens", 1, 1e18) == 1000);
  REQUIRE_THROWS_WITH(parse_amount("2X", "--tokens-per-day", 1, 1e18), "--tokens-per-day: '2X' is not a number");
  REQUIRE_THROWS_AS(parse_amount("M", "--tokens-per-day", 1, 1e18), InputError);
  REQUIRE_THROWS_AS(parse_amount("0.5", "--tokens-per-day", 1, 1e18), InputError);
  REQUIRE_THROWS_AS(parse_amount("2000T", "--tokens-per-day", 1, 1e12), InputError);
}

TEST_CASE("integers and numbers", "[parse]") {
  REQUIRE(parse_integer("16", "--batch", 1, 100) == 16);
  REQUIRE_THROWS_WITH(parse_integer("1e3", "--batch", 1, 100), "--batch: '1e3' is not a whole number");
  REQUIRE(parse_number("0.35", "--mfu", 0, 1) == Approx(0.35));
  REQUIRE_THROWS_AS(parse_number("nan", "--mfu", 0, 1), InputError);
  REQUIRE_THROWS_AS(parse_number("2", "--mfu", 0, 1), InputError);
}

// docs/cli.md: "-0 is read as 0", and numbers are decimal (2e9, 14.8T), so hex is refused.
TEST_CASE("minus zero is zero and hex is not a number", "[parse]") {
  REQUIRE(parse_integer("-0", "--zero", 0, 3) == 0);
  REQUIRE(parse_integer("-00", "--zero", 0, 3) == 0);
  // A negative whole number is out of range, as a negative size is, not "not a whole number".
  REQUIRE_THROWS_WITH(parse_integer("-1", "--zero", 0, 3), "--zero: '-1' is out of range (0 to 3)");
  REQUIRE_THROWS_WITH(parse_integer("-x", "--zero", 0, 3), "--zero: '-x' is not a whole number");
  REQUIRE(parse_tokens("-0", "--ubatch", 0, 100) == 0);
  REQUIRE_THROWS_WITH(parse_size("-0", "--vram"), "--vram: '-0' is out of range (1 byte to 1 PiB)");
  REQUIRE_THROWS_WITH(parse_size("-5", "--vram"), "--vram: '-5' is out of range (1 byte to 1 PiB)");
  REQUIRE_THROWS_WITH(parse_amount("0x10", "--tokens", 1, 1e18), "--tokens: '0x10' is not a number");
  REQUIRE_THROWS_WITH(parse_number("0x1p4", "--price", 0, 1e6), "--price: '0x1p4' is not a number");
  REQUIRE_THROWS_WITH(parse_number("inf", "--price", 0, 1e6), "--price: 'inf' is not a number");
  REQUIRE_THROWS_WITH(parse_number("1e", "--price", 0, 1e6), "--price: '1e' is not a number");
  REQUIRE_THROWS_WITH(parse_number(".", "--price", 0, 1e6), "--price: '.' is not a number");
  REQUIRE(parse_number("2.5e-1", "--mfu", 0, 1) == Approx(0.25));
  REQUIRE(parse_number(".5", "--mfu", 0, 1) == Approx(0.5));
  REQUIRE(parse_number("+1", "--mfu", 0, 1) == 1);
}
