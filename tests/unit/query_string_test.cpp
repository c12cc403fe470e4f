#include <catch2/catch.hpp>

#include "http/query_string.h"

using namespace observer::http;

TEST_CASE("a query string is decoded into its parameters", "[query_string]") {
  std::string error;
  const auto p = parse_query("wait=1s&format=json&x=a%20b+c&flag&&", error);
  REQUIRE(p);
  CHECK(p->size() == 4);
  CHECK(p->find("wait")->second == "1s");
  CHECK(p->find("x")->second == "a b c");
  CHECK(p->find("flag")->second.empty());
  CHECK(parse_query("", error)->empty());
  CHECK(parse_query("a=%0A", error)->find("a")->second == "\n");
}

TEST_CASE("a malformed escape or too many parameters is an error", "[query_string]") {
  std::string error;
  CHECK_FALSE(parse_query("a=%zz", error));
  CHECK(error.find("percent") != std::string::npos);
  CHECK_FALSE(parse_query("a=%4", error));
  CHECK_FALSE(parse_query("a%=1", error));
  std::string many;
  for (size_t i = 0; i <= kMaxQueryParams; ++i) many += "p" + std::to_string(i) + "=1&";
  CHECK_FALSE(parse_query(many, error));
  CHECK(error.find("parameters") != std::string::npos);
}
