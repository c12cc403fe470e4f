#pragma once
// Which answer a client gets: a line for curl, JSON for scripts, a page for
// browsers. ?format= wins over the Accept header.
#include <optional>
#include <string>
#include <string_view>

namespace observer::checker {

enum class Format { text, json, html };
const char *format_name(Format f);

// format_param: the value of ?format= if present. Returns nullopt with a
// one-line `error` for an unknown format.
std::optional<Format> choose_format(std::optional<std::string_view> format_param,
                                    std::string_view accept_header, std::string &error);

}  // namespace observer::checker
