#include "common/read_file.h"

#include <fstream>
#include <sstream>

namespace observer {

std::string read_small_file(const char *path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace observer
