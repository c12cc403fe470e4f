#include "views/checker/query.h"

#include <initializer_list>

#include "common/durations.h"

namespace observer::checker {
bool check_param_names(const QueryParams &params, std::initializer_list<const char *> allowed, std::string &error) {
  for (const auto &[key, value] : params) {
    bool known = false;
    for (const char *a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const char *a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      error = "unknown parameter '" + key.substr(0, 64) + "'" +
              (list.empty() ? " (this page takes none)" : " (known: " + list + ")");
      return false;
    }
    if (params.count(key) > 1) {
      error = "parameter '" + key + "' given more than once";
      return false;
    }
  }
  return true;
}

std::optional<CheckerQuery> parse_checker_query(const QueryParams &params, std::string &error) {
  if (!check_param_names(params, {"format", "wait"}, error)) return std::nullopt;
  CheckerQuery q;
  if (auto it = params.find("format"); it != params.end()) q.format = it->second;
  if (auto it = params.find("wait"); it != params.end()) {
    std::string why;
    const auto wait = parse_duration(it->second, why);
    if (!wait) {
      error = "wait: " + why;
      return std::nullopt;
    }
    if (*wait > kMaxWait) {
      error = "wait: '" + it->second + "' is longer than the limit of 10s";
      return std::nullopt;
    }
    q.wait = *wait;
  }
  return q;
}

std::optional<DownloadQuery> parse_download_query(const QueryParams &params, std::string &error) {
  if (!check_param_names(params, {"size"}, error)) return std::nullopt;
  DownloadQuery q;
  if (auto it = params.find("size"); it != params.end()) {
    std::string why;
    const auto size = parse_byte_size(it->second, why);
    if (!size) {
      error = "size: " + why;
      return std::nullopt;
    }
    if (*size > kMaxDownloadBytes) {
      error = "size: '" + it->second + "' is larger than the limit of 1G";
      return std::nullopt;
    }
    q.size = *size;
  }
  return q;
}

bool reject_any_params(const QueryParams &params, std::string &error) {
  return check_param_names(params, {}, error);
}

}  // namespace observer::checker
