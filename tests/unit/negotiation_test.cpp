// choose_format: a line for curl, a page for browsers, JSON for scripts;
// ?format= wins over the Accept header.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "views/checker/negotiation.h"

using observer::checker::choose_format;
using observer::checker::Format;
using observer::checker::format_name;

namespace {
constexpr const char *kFirefoxAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
constexpr const char *kChromeAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
}  // namespace

TEST_CASE("choose_format follows the Accept header", "[negotiation]") {
  struct Case {
    const char *client;
    const char *accept;
    Format expected;
  };
  const auto c = GENERATE(values<Case>({
      {"curl", "*/*", Format::text},
      {"no Accept header", "", Format::text},
      {"Firefox", kFirefoxAccept, Format::html},
      {"Chrome", kChromeAccept, Format::html},
      {"XHTML only", "application/xhtml+xml", Format::html},
      {"a script", "application/json", Format::json},
      {"upper case", "Application/JSON", Format::json},
      {"text/plain", "text/plain", Format::text},
      {"higher q wins", "text/html;q=0.5, application/json", Format::json},
      {"q=0 means not acceptable", "application/json;q=0, text/html", Format::html},
      {"on a tie the first listed wins", "application/json;q=0.9, text/html;q=0.9", Format::json},
      {"on a tie the first listed wins", "text/html;q=0.9, application/json;q=0.9", Format::html},
      {"q among other parameters", "text/html;level=1;q=0.2, text/plain;q=0.3", Format::text},
      {"only types we do not serve", "image/png, application/xml", Format::text},
  }));
  INFO(c.client << ": Accept: " << c.accept);
  std::string error;
  const auto f = choose_format(std::nullopt, c.accept, error);
  REQUIRE(f.has_value());
  CHECK(format_name(*f) == std::string(format_name(c.expected)));
}

TEST_CASE("choose_format lets the format parameter win over Accept", "[negotiation]") {
  struct Case {
    const char *param;
    Format expected;
  };
  const auto c = GENERATE(values<Case>({
      {"json", Format::json},
      {"html", Format::html},
      {"text", Format::text},
      {"JSON", Format::json},
  }));
  const auto accept = GENERATE(as<std::string>{}, "", "*/*", "application/json", kFirefoxAccept);
  INFO("format=" << c.param << ", Accept: " << accept);
  std::string error;
  const auto f = choose_format(std::string_view(c.param), accept, error);
  REQUIRE(f.has_value());
  CHECK(format_name(*f) == std::string(format_name(c.expected)));
}

TEST_CASE("choose_format rejects an unknown format parameter and names it", "[negotiation]") {
  std::string error;
  CHECK_FALSE(choose_format(std::string_view("xml"), "application/json", error).has_value());
  CHECK_THAT(error, Catch::Contains("'xml'"));
}
