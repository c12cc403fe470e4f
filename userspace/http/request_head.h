#pragma once
// Finds where one HTTP/1.1 request ends in the bytes received so far,
// without parsing it fully: the event loop must know a request is complete
// before httplib reads it, so that httplib never waits for the network on a
// loop thread. Pure, so the edge cases are unit-tested.
#include <cstddef>
#include <string_view>

namespace observer::http {

enum class HeadStatus {
  incomplete,    // the head (or the body its Content-Length announces) is not all here yet
  complete,      // one whole request is buffered: `length` bytes
  body_unknown,  // the head is here (`length` bytes), and a body of unknown length
                 // (chunked, Expect: 100-continue) would follow: no route takes one,
                 // so the head is answered and the connection closed
  too_large,     // the head exceeds the limit
  body_too_large,  // the body its Content-Length announces would exceed the limit
  bad_length,    // a Content-Length that is unreadable or given twice differently
};

struct RequestHead {
  HeadStatus status = HeadStatus::incomplete;
  size_t length = 0;  // head and body when complete; the head alone when body_unknown
};

// Scans `buffered` (which starts at a request) for one request no larger
// than `max_bytes`. A head ends at an empty line (CRLF CRLF, or a bare LF
// LF, which httplib then rejects with a 400 instead of the client waiting).
// `scanned` carries, between calls for the same request, how far the search
// for the end of the head got, so that a head arriving a byte at a time is
// not searched again from its start each time; 0 for a new request.
RequestHead find_request(std::string_view buffered, size_t max_bytes, size_t &scanned);

}  // namespace observer::http
