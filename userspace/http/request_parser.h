#pragma once
// Frames and parses one HTTP/1.x request head from the bytes received so
// far. The checker's port is open to anyone, so the parser accepts only
// what the checker serves and refuses everything else with the status that
// says why: it never reads a body, never decodes one, and never waits for
// more than its limits allow. Pure, so every edge case is unit-tested and
// fuzzed (tests/fuzz).
//
// Strict where RFC 9112 lets a server choose: lines end in CRLF (a bare LF
// or CR is a framing ambiguity other parts of a path may read differently,
// the root of request smuggling), no obs-fold, no control bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace observer::http {

struct RequestLimits {
  size_t max_request_line = 8 * 1024;  // with its CRLF; longer: 414
  size_t max_header_line = 8 * 1024;   // with its CRLF; longer: 431
  size_t max_head = 64 * 1024;         // request line, fields and the empty line; more: 431
  size_t max_fields = 100;             // more: 431
};

enum class Method { get, head, other };

// Why a request is refused: each is counted apart (mptcp_observer_http_refusals_total).
enum class Refusal {
  none,
  malformed,       // 400: not HTTP, bare LF/CR, control bytes, obs-fold, bad Content-Length
  uri_too_long,    // 414
  head_too_large,  // 431: a field line, the whole head, or too many fields
  version,         // 505: HTTP/ but not 1.0 or 1.1
  method,          // 405: anything but GET and HEAD
  body,            // 413: a body announced (Content-Length > 0, Transfer-Encoding)
  range,           // 416: set by the router, not the parser
  busy,            // 503: set by the server (waiting requests at their cap)
  client_limit,    // 429: set by the server (this client's waiting requests at their cap)
};
const char *refusal_name(Refusal r);
int refusal_status(Refusal r);

// Views into the buffer the head was parsed from, valid while it is
// unchanged; but for the path of an absolute-form target without one
// ("GET http://host HTTP/1.1"), which is a static "/".
struct Request {
  Method method = Method::other;
  std::string_view method_text;
  std::string_view path;   // origin-form, up to '?'; an absolute-form target's path
  std::string_view query;  // after '?', raw (query_string.h decodes it)
  int minor_version = 1;   // HTTP/1.<minor_version>
  bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"
  std::string_view accept;  // the first Accept field; empty if none
  std::string_view range;   // the first Range field; empty if none
  bool has_range = false;
};

struct ParsedHead {
  enum class Status { incomplete, complete, refused } status = Status::incomplete;
  Refusal refusal = Refusal::none;  // when refused
  const char *why = "";             // one line for the refusal's body
  size_t length = 0;                // bytes of the head, when complete
  Request request;                  // when complete
};

// Progress of the scan for the end of a head, kept between calls for the
// same request so that a head arriving a byte at a time is scanned once,
// not again from its start at every byte. Zero for a new request.
struct HeadScan {
  size_t scanned = 0;     // bytes checked so far
  size_t line_start = 0;  // offset of the line being scanned
  size_t lines = 0;       // complete lines so far
};

// `buffered` starts at a request. Checks each byte once: a refusal is known
// as soon as its byte arrives, not when the head is complete.
ParsedHead parse_request_head(std::string_view buffered, const RequestLimits &limits, HeadScan &scan);

}  // namespace observer::http
