#include <catch2/catch.hpp>

#include "common/log.h"

using namespace observer::log;

TEST_CASE("a log line is text for people or one JSON object for pipelines", "[log]") {
  CHECK(format_line(Format::text, "T", Level::info, "checker", "listening\non x") == "T info  checker: listening on x\n");
  CHECK(format_line(Format::json, "T", Level::warn, "bpf", "say \"no\"\n\\") ==
        "{\"time\":\"T\",\"level\":\"warn\",\"component\":\"bpf\",\"message\":\"say \\\"no\\\"\\u000a\\\\\"}\n");
}
