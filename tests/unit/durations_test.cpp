// parse_duration and parse_byte_size: the quantities users type in ?wait=,
// ?size= and flags.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "common/durations.h"

using namespace std::chrono_literals;
using observer::parse_byte_size;
using observer::parse_duration;

TEST_CASE("parse_duration reads milliseconds and seconds", "[durations]") {
  struct Case {
    const char *text;
    std::chrono::milliseconds expected;
  };
  const auto c = GENERATE(values<Case>({
      {"500ms", 500ms},
      {"2s", 2000ms},
      {"1.5s", 1500ms},
      {"0", 0ms},
      {"0ms", 0ms},
      {"10s", 10000ms},
  }));
  INFO("text: '" << c.text << "'");
  std::string error;
  const auto d = parse_duration(c.text, error);
  REQUIRE(d.has_value());
  CHECK(*d == c.expected);
  CHECK(error.empty());
}

TEST_CASE("parse_duration rejects what is not a number with ms or s", "[durations]") {
  // No unit but 0, no sign, no exponent, no other units, no whitespace.
  const std::string text = GENERATE(as<std::string>{}, "", "5", "-1s", "1e3ms", "abc", "1h", " 2s", "2s ", "1.2.3s");
  INFO("text: '" << text << "'");
  std::string error;
  CHECK_FALSE(parse_duration(text, error).has_value());
  CHECK_FALSE(error.empty());
}

// BUG (userspace/common/durations.cpp:49): a number of milliseconds beyond
// int64_t is cast without a range check (undefined behaviour); on x86-64 it
// comes out as INT64_MIN, a negative duration that slips under ?wait='s 10s
// limit. See also "parse_checker_query rejects a wait too large to represent".
TEST_CASE("parse_duration rejects a duration too large to represent", "[durations]") {
  const std::string text = GENERATE(as<std::string>{}, "10000000000000000s", "99999999999999999999ms");
  INFO("text: '" << text << "'");
  std::string error;
  const auto d = parse_duration(text, error);
  CHECK_FALSE(d.has_value());
  CHECK_FALSE(error.empty());
}

TEST_CASE("parse_byte_size reads binary multiples with an optional B or iB", "[durations]") {
  struct Case {
    const char *text;
    uint64_t expected;
  };
  const auto c = GENERATE(values<Case>({
      {"1024", 1024},
      {"0", 0},
      {"10B", 10},
      {"64K", 64ull << 10},
      {"10M", 10ull << 20},
      {"1G", 1ull << 30},
      {"10MB", 10ull << 20},
      {"1GiB", 1ull << 30},
      {"10m", 10ull << 20},
      {"1.5K", 1536},
  }));
  INFO("text: '" << c.text << "'");
  std::string error;
  const auto size = parse_byte_size(c.text, error);
  REQUIRE(size.has_value());
  CHECK(*size == c.expected);
}

TEST_CASE("parse_byte_size rejects signs, unknown units and hex", "[durations]") {
  const std::string text = GENERATE(as<std::string>{}, "-1", "", "10X", "0x10", "K", " 1K", "1T");
  INFO("text: '" << text << "'");
  std::string error;
  CHECK_FALSE(parse_byte_size(text, error).has_value());
  CHECK_FALSE(error.empty());
}

// BUG (userspace/common/durations.cpp:62-64): the suffix is stripped twice
// over ("iB" then "B") before the unit is checked, so a doubled B is taken
// for a plain byte count: "10BB" and "10BiB" both read as 10.
TEST_CASE("parse_byte_size rejects a doubled byte suffix", "[durations]") {
  const std::string text = GENERATE(as<std::string>{}, "10BB", "10BiB");
  INFO("text: '" << text << "'");
  std::string error;
  CHECK_FALSE(parse_byte_size(text, error).has_value());
}
