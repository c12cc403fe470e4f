#pragma once
// The admin listener's (httplib) way to answer 400: a status line a person
// can read, and a reason on exactly one line, whatever the client put in its
// request. The checker port's pipeline answers through response_writer.h.
#include <httplib.h>

#include <string_view>

namespace observer::http {

void bad_request(httplib::Response &res, std::string_view why);

}  // namespace observer::http
