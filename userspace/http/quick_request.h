#pragma once
// The few requests the server answers without httplib: a bare GET or HEAD
// of a path, HTTP/1.1, no query, no body, nothing that changes how httplib
// would shape its answer. Everything else (HTTP/1.0, a query, a Range, an
// Accept-Encoding httplib would compress for, a body, a malformed line, a
// value httplib would percent-decode) is left to httplib, so that its
// answers and its errors stay exactly what they were. Pure, so the edge
// cases are unit-tested.
#include <optional>
#include <string_view>

namespace observer::http {

struct QuickRequest {
  bool head = false;             // HEAD: the answer's head only
  std::string_view path;         // starts with '/', no '?', no '%'
  std::string_view accept;       // the Accept header's value; empty when absent
  bool connection_close = false;  // "Connection: close", compared as httplib does (exactly)
};

// `head` is one whole request as find_request framed it (request line,
// headers, the empty line, and nothing after). nullopt: let httplib answer.
std::optional<QuickRequest> parse_quick_request(std::string_view head);

}  // namespace observer::http
