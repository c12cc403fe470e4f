#include "http/request_parser.h"

#include <array>
#include <charconv>

#include "common/text.h"

namespace observer::http {
namespace {
using Status = ParsedHead::Status;

ParsedHead refused(Refusal r, const char *why) {
  ParsedHead p;
  p.status = Status::refused;
  p.refusal = r;
  p.why = why;
  return p;
}

// Byte classes as tables: the parser looks at every byte of every request.
struct ByteClasses {
  std::array<bool, 256> tchar{};  // RFC 9110 tchar: what a method or a field name may be made of
  std::array<bool, 256> ends_text{};  // a control byte other than HTAB: ends a line's text (CR) or is refused
  constexpr ByteClasses() {
    for (int c = 'a'; c <= 'z'; ++c) tchar[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) tchar[c] = true;
    for (int c = '0'; c <= '9'; ++c) tchar[c] = true;
    for (const char c : std::string_view("!#$%&'*+-.^_`|~")) tchar[static_cast<unsigned char>(c)] = true;
    for (int c = 0; c < 0x20; ++c) ends_text[c] = c != '\t';
    ends_text[0x7f] = true;
  }
};
constexpr ByteClasses kBytes;

bool is_tchar(char c) { return kBytes.tchar[static_cast<unsigned char>(c)]; }

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated list.
template <typename F>
void for_each_list_element(std::string_view list, F f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    f(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Scans for the end of the head. Returns the head's length once its empty
// line is here; 0 while incomplete; a refusal in `out` otherwise. Runs of
// ordinary bytes are skipped in a tight loop: this is on every request.
size_t scan_head(std::string_view b, const RequestLimits &limits, HeadScan &scan, ParsedHead &out) {
  const char *d = b.data();
  const size_t n = b.size();
  size_t i = scan.scanned, line_start = scan.line_start, lines = scan.lines;
  const auto save = [&](size_t scanned) {
    scan.scanned = scanned;
    scan.line_start = line_start;
    scan.lines = lines;
  };
  while (i < n) {
    size_t j = i;
    for (; j < n; ++j) {
      if (kBytes.ends_text[static_cast<unsigned char>(d[j])]) break;
    }
    // The line, or the head, cannot end within its limit any more (its
    // CRLF still to come): known at the first byte too many.
    const size_t line_limit = lines == 0 ? limits.max_request_line : limits.max_header_line;
    if (j > i && j - line_start + 2 > line_limit) {
      out = lines == 0 ? refused(Refusal::uri_too_long, "the request line is too long")
                       : refused(Refusal::head_too_large, "a header field line is too long");
      return 0;
    }
    if (j > i && j + 2 > limits.max_head) {
      out = refused(Refusal::head_too_large, "the request head is too large");
      return 0;
    }
    if (j == n) break;
    const char c = d[j];
    if (c == '\n') {
      out = refused(Refusal::malformed, "a line ends in a bare LF, not CRLF");
      return 0;
    }
    if (c != '\r') {
      out = refused(Refusal::malformed, "a control character in the request head");
      return 0;
    }
    if (j + 1 == n) {  // the LF may still come: look at this CR again then
      save(j);
      return 0;
    }
    if (d[j + 1] != '\n') {
      out = refused(Refusal::malformed, "a bare CR in the request head");
      return 0;
    }
    if (j == line_start) {  // an empty line
      if (lines == 0) {
        out = refused(Refusal::malformed, "an empty line where the request line belongs");
        return 0;
      }
      save(j + 2);
      return j + 2;
    }
    if (lines > limits.max_fields) {
      out = refused(Refusal::head_too_large, "too many header fields");
      return 0;
    }
    ++lines;
    line_start = i = j + 2;
  }
  save(n);
  return 0;
}

// "METHOD SP target SP HTTP/x.y", one space each.
bool parse_request_line(std::string_view line, Request &r, ParsedHead &out) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    out = refused(Refusal::malformed, "the request line is not METHOD TARGET HTTP/VERSION");
    return false;
  }
  r.method_text = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(r.method_text) || target.empty()) {
    out = refused(Refusal::malformed, "the request line is not METHOD TARGET HTTP/VERSION");
    return false;
  }
  // "HTTP/" then a digit, or digit.digit: HTTP/2 and HTTP/3 are versions
  // we do not serve (505), anything else is not HTTP (400).
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  const bool known_form = version.starts_with("HTTP/") &&
                          ((version.size() == 6 && is_digit(version[5])) ||
                           (version.size() == 8 && is_digit(version[5]) && version[6] == '.' && is_digit(version[7])));
  if (!known_form) {
    out = refused(Refusal::malformed, "the request line is not METHOD TARGET HTTP/VERSION");
    return false;
  }
  if (version.size() != 8 || version[5] != '1' || version[7] > '1') {
    out = refused(Refusal::version, "only HTTP/1.0 and HTTP/1.1 are served");
    return false;
  }
  r.minor_version = version[7] - '0';
  r.method = r.method_text == "GET" ? Method::get : r.method_text == "HEAD" ? Method::head : Method::other;
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      out = refused(Refusal::malformed, "the request target has a character that must be percent-encoded");
      return false;
    }
  }
  // absolute-form (RFC 9112 3.2.2), which a server must accept: keep the path.
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (!starts_with_ignoring_case(target, scheme)) continue;
    target.remove_prefix(scheme.size());
    const size_t slash = target.find_first_of("/?");
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    if (target.front() == '?') {
      // "http://host?x": the path is "/", and the query stays; a view into
      // the line cannot hold both, so such a target is refused.
      out = refused(Refusal::malformed, "an absolute request target without a path");
      return false;
    }
    break;
  }
  if (target.front() != '/') {
    out = refused(Refusal::malformed, "the request target must be a path");
    return false;
  }
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string_view::npos) r.query = target.substr(q + 1);
  return true;
}

struct BodyFraming {
  bool transfer_encoding = false;
  bool has_length = false;
  uint64_t length = 0;
};

bool parse_field(std::string_view line, Request &r, BodyFraming &body, bool &keep_alive_asked, bool &close_asked,
                 ParsedHead &out) {
  if (is_ows(line.front())) {
    out = refused(Refusal::malformed, "a folded header line (obs-fold)");
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    out = refused(Refusal::malformed, "a header line that is not NAME: VALUE");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (equals_ignoring_case(name, "content-length")) {
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    // A length read two ways frames the next request two ways.
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
        (body.has_length && body.length != n)) {
      out = refused(Refusal::malformed, "an unreadable or conflicting Content-Length");
      return false;
    }
    body.has_length = true;
    body.length = n;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    body.transfer_encoding = true;
  } else if (equals_ignoring_case(name, "connection")) {
    for_each_list_element(value, [&](std::string_view option) {
      if (equals_ignoring_case(option, "close")) close_asked = true;
      if (equals_ignoring_case(option, "keep-alive")) keep_alive_asked = true;
    });
  } else if (equals_ignoring_case(name, "accept")) {
    if (r.accept.empty()) r.accept = value;
  } else if (equals_ignoring_case(name, "range")) {
    // Two Range fields are two ranges: leave none readable, so it is refused.
    r.range = r.has_range ? std::string_view() : value;
    r.has_range = true;
  }
  return true;
}
}  // namespace

const char *refusal_name(Refusal r) {
  switch (r) {
    case Refusal::none: return "none";
    case Refusal::malformed: return "malformed";
    case Refusal::uri_too_long: return "uri_too_long";
    case Refusal::head_too_large: return "head_too_large";
    case Refusal::version: return "version";
    case Refusal::method: return "method";
    case Refusal::body: return "body";
    case Refusal::range: return "range";
    case Refusal::busy: return "busy";
    case Refusal::client_limit: return "client_limit";
  }
  return "none";
}

int refusal_status(Refusal r) {
  switch (r) {
    case Refusal::none: return 200;
    case Refusal::malformed: return 400;
    case Refusal::uri_too_long: return 414;
    case Refusal::head_too_large: return 431;
    case Refusal::version: return 505;
    case Refusal::method: return 405;
    case Refusal::body: return 413;
    case Refusal::range: return 416;
    case Refusal::busy: return 503;
    case Refusal::client_limit: return 429;
  }
  return 500;
}

ParsedHead parse_request_head(std::string_view buffered, const RequestLimits &limits, HeadScan &scan) {
  ParsedHead out;
  const size_t length = scan_head(buffered, limits, scan, out);
  if (out.status == Status::refused || length == 0) return out;

  const std::string_view head = buffered.substr(0, length - 2);  // without the empty line
  Request r;
  size_t pos = head.find("\r\n");
  if (!parse_request_line(head.substr(0, pos), r, out)) return out;
  BodyFraming body;
  bool keep_alive_asked = false, close_asked = false;
  for (pos += 2; pos < head.size();) {
    const size_t end = head.find("\r\n", pos);
    if (!parse_field(head.substr(pos, end - pos), r, body, keep_alive_asked, close_asked, out)) return out;
    pos = end + 2;
  }
  // Framing errors first, then what the request asks for: a client that
  // sent a body and a PUT learns about the PUT, and its body is never read.
  if (body.transfer_encoding && body.has_length) {
    return refused(Refusal::malformed, "both Content-Length and Transfer-Encoding");
  }
  if (r.method == Method::other) return refused(Refusal::method, "only GET and HEAD are served");
  if (body.transfer_encoding || body.length > 0) return refused(Refusal::body, "the checker takes no request body");
  r.keep_alive = !close_asked && (r.minor_version == 1 || keep_alive_asked);
  out.status = Status::complete;
  out.length = length;
  out.request = r;
  return out;
}

}  // namespace observer::http
