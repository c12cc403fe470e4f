#include "http/bad_request.h"

#include "http/response_writer.h"

namespace observer::http {

void bad_request(httplib::Response &res, std::string_view why) {
  res.status = 400;
  res.set_content("400 Bad Request: " + one_line(why) + "\n", "text/plain; charset=utf-8");
}

}  // namespace observer::http
