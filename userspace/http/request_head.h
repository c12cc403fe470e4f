#pragma once
// Finds where one HTTP/1.1 request ends in the bytes received so far,
// without parsing it fully: the event loop must know a request is complete
// before httplib reads it, so that httplib never waits for the network on a
// loop thread. Pure, so the edge cases are unit-tested.
#include <cstddef>
#include <string_view>

namespace observer::http {

enum class HeadStatus {
  incomplete,  // the head (or the body its Content-Length announces) is not all here yet
  complete,    // one whole request is buffered: `length` bytes
  too_large,   // the request would exceed the limit
  streamed,    // a body of unknown length (chunked, Expect: 100-continue): read it on a worker
};

struct RequestHead {
  HeadStatus status = HeadStatus::incomplete;
  size_t length = 0;  // head and body, when complete
};

// Scans `buffered` (which starts at a request) for one request no larger
// than `max_bytes`. A head ends at an empty line (CRLF CRLF, or a bare LF
// LF, which httplib then rejects with a 400 instead of the client waiting).
RequestHead find_request(std::string_view buffered, size_t max_bytes);

}  // namespace observer::http
