// The checker's query parameters: a typo or a hostile value gets a one-line
// reason, never a silent default.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "views/checker/query.h"

using namespace std::chrono_literals;
using namespace observer::checker;

TEST_CASE("parse_checker_query reads wait up to 10s", "[query]") {
  struct Case {
    const char *wait;
    std::chrono::milliseconds expected;
  };
  const auto c = GENERATE(values<Case>({{"0", 0ms}, {"2s", 2000ms}, {"500ms", 500ms}, {"10s", 10000ms}, {"10000ms", 10000ms}}));
  INFO("wait=" << c.wait);
  std::string error;
  const auto q = parse_checker_query({{"wait", c.wait}}, error);
  REQUIRE(q.has_value());
  CHECK(q->wait == c.expected);
  CHECK_FALSE(q->format.has_value());
}

TEST_CASE("parse_checker_query rejects a wait over the limit or unreadable", "[query]") {
  struct Case {
    const char *wait;
    const char *reason;  // part of the error
  };
  const auto c = GENERATE(values<Case>({
      {"10001ms", "limit of 10s"},
      {"11s", "limit of 10s"},
      {"5", "unit"},
      {"-1s", "not a duration"},
      {"", "not a duration"},
  }));
  INFO("wait=" << c.wait);
  std::string error;
  CHECK_FALSE(parse_checker_query({{"wait", c.wait}}, error).has_value());
  CHECK_THAT(error, Catch::StartsWith("wait: ") && Catch::Contains(c.reason));
}

// BUG (userspace/common/durations.cpp:49, reached through query.cpp:36-41):
// a wait too large for int64_t milliseconds wraps to a negative duration, so
// the 10s limit check passes and the request is accepted instead of refused.
TEST_CASE("parse_checker_query rejects a wait too large to represent", "[query]") {
  std::string error;
  const auto q = parse_checker_query({{"wait", "10000000000000000s"}}, error);
  CHECK_FALSE(q.has_value());
  if (q) CHECK(q->wait >= 0ms);
}

TEST_CASE("parse_checker_query passes format on for negotiation", "[query]") {
  std::string error;
  const auto q = parse_checker_query({{"format", "json"}, {"wait", "1s"}}, error);
  REQUIRE(q.has_value());
  CHECK(q->format == std::string("json"));
  CHECK(q->wait == 1000ms);
}

TEST_CASE("parse_checker_query without parameters waits for nothing", "[query]") {
  std::string error;
  const auto q = parse_checker_query({}, error);
  REQUIRE(q.has_value());
  CHECK(q->wait == 0ms);
  CHECK_FALSE(q->format.has_value());
}

TEST_CASE("parse_checker_query rejects an unknown parameter by name", "[query]") {
  const std::string key = GENERATE(as<std::string>{}, "wiat", "size", "Format");
  std::string error;
  CHECK_FALSE(parse_checker_query({{key, "1"}}, error).has_value());
  CHECK_THAT(error, Catch::Contains("unknown parameter '" + key + "'") && Catch::Contains("format, wait"));
}

TEST_CASE("parse_checker_query rejects a parameter given twice", "[query]") {
  const std::string key = GENERATE(as<std::string>{}, "wait", "format");
  std::string error;
  CHECK_FALSE(parse_checker_query({{key, "json"}, {key, "json"}}, error).has_value());
  CHECK_THAT(error, Catch::Contains("'" + key + "'") && Catch::Contains("more than once"));
}

TEST_CASE("parse_download_query defaults to 10 MiB and allows up to 1G", "[query]") {
  struct Case {
    const char *size;  // nullptr: no size parameter
    uint64_t expected;
  };
  const auto c = GENERATE(values<Case>({
      {nullptr, 10ull << 20},
      {"1G", 1ull << 30},
      {"64K", 64ull << 10},
      {"1024", 1024},
      {"0", 0},
  }));
  INFO("size=" << (c.size ? c.size : "(absent)"));
  QueryParams params;
  if (c.size) params.emplace("size", c.size);
  std::string error;
  const auto q = parse_download_query(params, error);
  REQUIRE(q.has_value());
  CHECK(q->size == c.expected);
}

TEST_CASE("parse_download_query rejects sizes over 1G, garbage and other parameters", "[query]") {
  struct Case {
    const char *key, *value, *reason;
  };
  const auto c = GENERATE(values<Case>({
      {"size", "2G", "limit of 1G"},
      {"size", "1025M", "limit of 1G"},
      {"size", "lots", "size: "},
      {"size", "10X", "size: "},
      {"wait", "2s", "unknown parameter 'wait'"},
  }));
  INFO(c.key << "=" << c.value);
  std::string error;
  CHECK_FALSE(parse_download_query({{c.key, c.value}}, error).has_value());
  CHECK_THAT(error, Catch::Contains(c.reason));
}

TEST_CASE("reject_any_params allows none and names the first one given", "[query]") {
  std::string error;
  CHECK(reject_any_params({}, error));
  CHECK(error.empty());
  CHECK_FALSE(reject_any_params({{"verbose", "1"}}, error));
  CHECK_THAT(error, Catch::Contains("'verbose'") && Catch::Contains("takes none"));
}
