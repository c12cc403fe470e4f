// The one Catch2 main, linked into every unit_<layer> executable (CMakeLists.txt).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
