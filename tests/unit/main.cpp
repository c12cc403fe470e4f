// The one Catch2 main for unit_tests; each area's cases live in <area>_test.cpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
