#pragma once
// Decodes a request's query string ("a=1&b=%20x") into its parameters.
// Pure. Bounded: at most kMaxQueryParams parameters, and the query itself
// is bounded by the request line's limit (request_parser.h).
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace observer::http {

// The shape httplib::Params has, so that the views validate parameters one
// way whichever server parsed them.
using QueryParams = std::multimap<std::string, std::string>;

inline constexpr size_t kMaxQueryParams = 32;

// nullopt with a one-line `error` for a malformed percent-escape or too
// many parameters. '+' is a space (HTML forms); an empty piece ("a&&b") is
// skipped; "name" alone has an empty value.
std::optional<QueryParams> parse_query(std::string_view query, std::string &error);

}  // namespace observer::http
