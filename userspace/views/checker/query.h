#pragma once
// The checker's query parameters, checked strictly: a typo or a hostile
// value gets a one-line reason, never a silent default.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "http/query_string.h"

namespace observer::checker {

using QueryParams = http::QueryParams;

inline constexpr std::chrono::milliseconds kMaxWait{10000};
inline constexpr uint64_t kMaxDownloadBytes = 1ull << 30;
inline constexpr uint64_t kDefaultDownloadBytes = 10ull << 20;

struct CheckerQuery {
  std::optional<std::string> format;
  std::chrono::milliseconds wait{0};
};

struct DownloadQuery {
  uint64_t size = kDefaultDownloadBytes;
};

// Every key must be one of `allowed` and appear once; else a one-line error.
bool check_param_names(const QueryParams &params, std::initializer_list<const char *> allowed, std::string &error);

std::optional<CheckerQuery> parse_checker_query(const QueryParams &params, std::string &error);
std::optional<DownloadQuery> parse_download_query(const QueryParams &params, std::string &error);
// For pages that take no parameters (/healthz): any parameter is an error.
bool reject_any_params(const QueryParams &params, std::string &error);

}  // namespace observer::checker
