// The checker port's request parser, on whatever a stranger sends. The
// input is the bytes on the wire; they are parsed whole, then again as if
// they arrived in pieces whose sizes the first byte picks, and both must
// agree: a head that arrives slowly is not parsed differently.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.h"
#include "http/request_parser.h"

using namespace observer::http;

namespace {
bool within(std::string_view inner, std::string_view outer) {
  return inner.empty() || (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  const std::string_view wire(reinterpret_cast<const char *>(data + 1), size - 1);
  RequestLimits limits;
  limits.max_request_line = 256;  // small limits, so the fuzzer reaches them
  limits.max_header_line = 256;
  limits.max_head = 2048;
  limits.max_fields = 16;

  HeadScan whole_scan;
  const ParsedHead whole = parse_request_head(wire, limits, whole_scan);
  FUZZ_CHECK(whole_scan.scanned <= wire.size());
  if (whole.status == ParsedHead::Status::complete) {
    FUZZ_CHECK(whole.length >= 4 && whole.length <= wire.size() && whole.length <= limits.max_head);
    FUZZ_CHECK(wire.substr(whole.length - 4, 4) == "\r\n\r\n");
    const Request &r = whole.request;
    FUZZ_CHECK(r.method != Method::other);
    FUZZ_CHECK(!r.path.empty() && r.path.front() == '/');
    // The path may be the static "/" of an absolute-form target without one.
    FUZZ_CHECK((within(r.path, wire) || r.path == "/") && within(r.query, wire) && within(r.accept, wire) &&
               within(r.range, wire));
    FUZZ_CHECK(r.minor_version == 0 || r.minor_version == 1);
  }
  if (whole.status == ParsedHead::Status::refused) {
    const int status = refusal_status(whole.refusal);
    FUZZ_CHECK(status >= 400 && status <= 505 && whole.why[0] != '\0');
  }

  // The same bytes in pieces, scanning on from where the last call stopped.
  HeadScan scan;
  ParsedHead last;
  for (size_t n = piece; ; n += piece) {
    const size_t have = n < wire.size() ? n : wire.size();
    last = parse_request_head(wire.substr(0, have), limits, scan);
    if (last.status != ParsedHead::Status::incomplete || have == wire.size()) break;
  }
  FUZZ_CHECK(last.status == whole.status);
  FUZZ_CHECK(last.refusal == whole.refusal);
  FUZZ_CHECK(last.length == whole.length);
  return 0;
}
