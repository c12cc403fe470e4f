#pragma once
#include <string>

namespace observer {

// The whole of a small file (/proc, /sys); empty when it cannot be read.
std::string read_small_file(const char *path);

}  // namespace observer
