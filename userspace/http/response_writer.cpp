#include "http/response_writer.h"

#include <charconv>
#include <cstdio>

#include "common/text.h"

namespace observer::http {

const char *status_message(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void append_response_head(std::string &out, const ResponseHead &head) {
  const std::string_view reason = status_message(head.status);
  constexpr size_t kFixed = 128;  // the fixed text, the status and the length
  size_t room = kFixed + reason.size() + head.server.size() + head.content_type.size();
  for (const auto &f : head.fields) room += f.name.size() + f.value.size() + 4;
  const size_t start = out.size();
  out.resize(start + room);
  RoomWriter p{out.data() + start};
  p.put("HTTP/1.1 ");
  p.put_number(static_cast<uint64_t>(head.status));
  p.put(" ");
  p.put(reason);
  p.put("\r\n");
  if (!head.server.empty()) {
    p.put("Server: ");
    p.put(head.server);
    p.put("\r\n");
  }
  for (const auto &f : head.fields) {
    p.put(f.name);
    p.put(": ");
    p.put(f.value);
    p.put("\r\n");
  }
  p.put("Content-Type: ");
  p.put(head.content_type);
  p.put("\r\nContent-Length: ");
  p.put_number(head.content_length);
  p.put("\r\n");
  if (head.close) p.put("Connection: close\r\n");
  else if (head.http10_keep_alive) p.put("Connection: keep-alive\r\n");
  p.put("\r\n");
  out.resize(static_cast<size_t>(p.at - out.data()));
}

void append_text_answer(std::string &out, int status, std::string_view why, std::string_view server,
                        std::span<const HeaderField> fields, bool close, bool head_only) {
  std::string body = std::to_string(status) + " " + status_message(status);
  if (!why.empty()) body += ": " + one_line(why);
  body += "\n";
  HeaderField all[8];
  size_t n = 0;
  for (const auto &f : fields) {
    if (n < std::size(all) - 2) all[n++] = f;
  }
  if (status == 405) all[n++] = {"Allow", "GET, HEAD"};
  if (status == 429 || status == 503) all[n++] = {"Retry-After", "1"};
  ResponseHead head;
  head.status = status;
  head.server = server;
  head.fields = std::span(all, n);
  head.content_type = "text/plain; charset=utf-8";
  head.content_length = body.size();
  head.close = close;
  append_response_head(out, head);
  if (!head_only) out.append(body);
}

std::string one_line(std::string_view text, size_t limit) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace observer::http
