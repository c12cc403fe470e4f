#include <catch2/catch.hpp>

#include "views/checker/byte_range.h"

using observer::checker::parse_single_range;

TEST_CASE("one range of bytes within the body is served", "[byte_range]") {
  struct Case {
    const char *header;
    uint64_t first, last;
  };
  const auto c = GENERATE(values<Case>({
      {"bytes=0-9", 0, 9},
      {"bytes=10-", 10, 99},
      {"bytes=-10", 90, 99},
      {"bytes=-1000", 0, 99},
      {"bytes=50-1000", 50, 99},
      {"bytes=99-99", 99, 99},
  }));
  INFO(c.header);
  const auto r = parse_single_range(c.header, 100);
  REQUIRE(r);
  CHECK(r->first == c.first);
  CHECK(r->last == c.last);
}

TEST_CASE("several ranges, unsatisfiable or unreadable ones are refused", "[byte_range]") {
  const auto header = GENERATE("bytes=0-1,2-3", "bytes=-,-,-", "bytes=100-", "bytes=5-4", "bytes=-0", "items=0-1",
                               "bytes=0-9 ", "bytes= 0-9", "bytes=", "bytes=x-1", "");
  INFO(header);
  CHECK_FALSE(parse_single_range(header, 100));
  CHECK_FALSE(parse_single_range("bytes=0-0", 0));
}
