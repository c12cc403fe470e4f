// dump_pretty() must write what nlohmann's dump(2) writes, byte for byte:
// the admin API's pages changed serializer, not format.
#include "views/admin/json_dump.h"

#include <catch2/catch.hpp>

#include <string>

using observer::admin::dump_pretty;
using Json = nlohmann::ordered_json;

TEST_CASE("dump_pretty writes what dump(2) writes", "[json_dump]") {
  struct Case {
    const char *what;
    Json value;
  };
  const auto c = GENERATE(values<Case>({
      {"null", nullptr},
      {"booleans", Json::array({true, false})},
      {"integers, signed and not", Json::array({0, -1, 42, INT64_MIN, INT64_MAX, UINT64_MAX})},
      {"floating point, as nlohmann formats it", Json::array({0.5, -1e300, 3.0, 1.0 / 3})},
      {"empty string, object, array", Json::array({"", Json::object(), Json::array()})},
      {"every escape JSON has", std::string("q\" b\\ \b\f\n\r\t \x01\x1f\x7f /")},
      {"escapes across eight-byte runs", std::string("abcdefg\"hijklmnopq\\rstuvwxy\x02z0123456789abcdef")},
      {"UTF-8 passes through", std::string("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x9a\x80")},
      {"keys escaped too, order kept",
       Json{{"z\"", 1}, {"a\n", Json{{"nested", Json::array({1, Json{{"deep", "x"}}})}}}, {"m", Json::array({Json::array()})}}},
      {"a connection's shape",
       Json{{"connections", Json::array({Json{{"token", "000000ab"},
                                              {"diagnosis", Json::array({Json{{"code", "mptcp_ok"},
                                                                              {"message", "It `works`: all is well."}}})},
                                              {"next", nullptr}}})},
            {"total", 1}}},
  }));
  INFO(c.what);
  CHECK(dump_pretty(c.value) == c.value.dump(2));
  CHECK(dump_pretty(c.value, 1 << 16) == c.value.dump(2));
}

TEST_CASE("dump_pretty refuses invalid UTF-8 as dump(2) does", "[json_dump]") {
  const Json bad = Json::array({std::string("ok"), std::string("\xff\xfe")});
  CHECK_THROWS_AS(bad.dump(2), Json::type_error);
  CHECK_THROWS_AS(dump_pretty(bad), Json::type_error);
}
