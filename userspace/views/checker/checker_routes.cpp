#include "views/checker/checker_routes.h"

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>

#include "common/timestamp.h"
#include "sources/getsockopt/mptcp_sockopt_reader.h"
#include "views/checker/byte_range.h"
#include "views/checker/negotiation.h"
#include "views/checker/query.h"
#include "views/checker/report.h"

namespace observer::checker {
namespace {
using Clock = std::chrono::steady_clock;

constexpr const char *kTextType = "text/plain; charset=utf-8";
// A verdict depends on the Accept header; its error does not.
constexpr http::HeaderField kVary{"Vary", "Accept"};

// The headers mptcp-go's webserver sends on every answer, and a few more.
std::array<http::HeaderField, 4> checker_headers(const CheckerReport &r) {
  return {{{"X-MPTCP", r.status.uses_mptcp() ? "true" : "false"},
           {"X-Client-Address", r.client},
           {"X-Timestamp", r.timestamp},
           {"Cache-Control", "no-store"}}};
}

CheckerReport observe(const http::Exchange &ex) {
  CheckerReport r;
  r.status = sockopt::read_mptcp_status(ex.socket(), ex.peer());
  r.client = ex.peer_text();
  r.server = ex.local_text();
  r.timestamp = rfc3339_now();
  return r;
}

// Host counters over this much time before the answer stand in for "since
// the connection began" when nothing says when it did (a plain TCP or
// fallen-back connection, which the table does not track, or a later
// request when tracing is off).
constexpr auto kLookbackWithoutStart = std::chrono::seconds(10);

// Completes the status with what the daemon knows, then says why it is what it is.
void diagnose_into(CheckerReport &r, const CheckerHooks &hooks) {
  ConnectionContext context;
  if (hooks.enrich) context = hooks.enrich(r.status);
  DiagnosisInput in{r.status, hooks.listener_mptcp, r.waited, {}};
  if (hooks.host && needs_host_view(r.status)) {
    in.host = hooks.host(context.joins_since.value_or(Clock::now() - kLookbackWithoutStart));
  }
  r.diagnosis = diagnose(in);
}

// The answer to the verdict once the status is final: the 500 when the
// kernel could not say, else the page in `format`. Counted as it is sent.
void send_verdict(http::Exchange &ex, const CheckerHooks &hooks, CheckerReport &r, Format format) {
  const auto fields = checker_headers(r);
  const char *result = r.status.verdict == Verdict::error ? "error" : r.status.uses_mptcp() ? "mptcp" : "tcp";
  if (r.status.verdict == Verdict::error) {
    ex.send(500, fields, kTextType,
            std::string("500 Internal Server Error: the kernel did not report this connection's MPTCP status: ") +
                std::strerror(r.status.error_number) + "\n");
  } else {
    diagnose_into(r, hooks);
    const std::array<http::HeaderField, 5> with_vary{fields[0], fields[1], fields[2], fields[3], kVary};
    switch (format) {
      case Format::json: ex.send(200, with_vary, "application/json", render_json(r)); break;
      case Format::html: ex.send(200, with_vary, "text/html; charset=utf-8", render_html(r)); break;
      case Format::text: {
        // The most asked-for answer: rendered into this thread's buffer,
        // which keeps its capacity from one answer to the next.
        thread_local std::string body;
        body.clear();
        render_text(r, body);
        ex.send(200, with_vary, kTextType, body);
        break;
      }
    }
  }
  if (hooks.on_answer) hooks.on_answer(result, format_name(format));
}

// A 400 on "/" or "/download" still says what the connection is.
void send_bad_request(http::Exchange &ex, const CheckerReport &r, std::string_view why) {
  const auto fields = checker_headers(r);
  ex.send_text(400, why, fields);
}

// A join getsockopt shows may not be in the table yet: tracing reports it
// (and whether it is a backup) a moment later. An answer that saw a join
// arrive waits up to this much longer for that report.
constexpr auto kTracingSettle = std::chrono::milliseconds(100);

// MP_JOINs come after the first data, so usually after the request. Polls
// the subflow set until it grows, the kernel's limit says no join can come,
// the deadline passes, or the server stops; then answers.
struct JoinWait {
  CheckerHooks hooks;
  CheckerReport report;
  Format format;
  Clock::time_point start, deadline;
  size_t initial_subflows;
  std::optional<Clock::time_point> settle_deadline;  // set once a join arrived

  void operator()(http::Exchange &ex) {
    if (!settle_deadline) {
      bool done = ex.stopping() || Clock::now() >= deadline ||
                  report.status.extra_subflows >= report.status.subflows_max;
      bool grew = false;
      if (!done) {
        MptcpStatus now = sockopt::read_mptcp_status(ex.socket(), ex.peer());
        done = now.verdict == Verdict::error;
        if (!done) {
          report.status = std::move(now);
          grew = report.status.subflows.size() > initial_subflows;
          done = grew || !report.status.uses_mptcp();
        }
      }
      if (!done) return;
      if (grew && hooks.enrich) settle_deadline = Clock::now() + kTracingSettle;
    }
    if (settle_deadline && !ex.stopping() && Clock::now() < *settle_deadline &&
        hooks.enrich(report.status).tracing_pending) {
      return;
    }
    report.timestamp = rfc3339_now();
    report.waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    send_verdict(ex, hooks, report, format);
  }
};

constexpr auto kJoinPollPeriod = std::chrono::milliseconds(20);

void serve_check(const CheckerHooks &hooks, http::Exchange &ex) {
  CheckerReport r = observe(ex);
  std::string error;
  const auto query = parse_checker_query(ex.params(), error);
  if (!query) {
    if (hooks.on_answer) hooks.on_answer("error", format_name(Format::text));
    return send_bad_request(ex, r, error);
  }
  const auto format = choose_format(query->format ? std::optional<std::string_view>(*query->format) : std::nullopt,
                                    ex.request().accept, error);
  if (!format) {
    if (hooks.on_answer) hooks.on_answer("error", format_name(Format::text));
    return send_bad_request(ex, r, error);
  }
  const bool can_grow = r.status.uses_mptcp() && r.status.extra_subflows < r.status.subflows_max;
  if (query->wait.count() > 0 && can_grow) {
    const auto now = Clock::now();
    const size_t initial = r.status.subflows.size();
    return ex.defer(kJoinPollPeriod, JoinWait{hooks, std::move(r), *format, now, now + query->wait, initial});
  }
  send_verdict(ex, hooks, r, *format);
}

// One static block of filler, sent as often as needed: memory does not
// grow with the size asked for.
const std::array<char, 64 * 1024> &filler() {
  static const std::array<char, 64 * 1024> block = [] {
    std::array<char, 64 * 1024> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>('a' + i % 26);
    return a;
  }();
  return block;
}

void serve_download(http::Exchange &ex) {
  const CheckerReport r = observe(ex);
  std::string error;
  const auto query = parse_download_query(ex.params(), error);
  if (!query) return send_bad_request(ex, r, error);
  const auto fields = checker_headers(r);
  std::optional<ByteRange> range;
  if (ex.request().has_range) {
    range = parse_single_range(ex.request().range, query->size);
    if (!range) {
      const std::string unsatisfied = "bytes */" + std::to_string(query->size);
      const std::array<http::HeaderField, 5> with_range{fields[0], fields[1], fields[2], fields[3],
                                                        {"Content-Range", unsatisfied}};
      return ex.refuse(http::Refusal::range, "one range of bytes=FIRST-LAST within the size, or none", with_range);
    }
  }
  const uint64_t first = range ? range->first : 0;
  const uint64_t length = range ? range->last - range->first + 1 : query->size;
  const std::string content_range =
      range ? "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                  std::to_string(query->size)
            : std::string();
  std::array<http::HeaderField, 7> all{fields[0], fields[1], fields[2], fields[3],
                                       {"Content-Disposition", "attachment; filename=\"mptcp-download.bin\""},
                                       {"Accept-Ranges", "bytes"}};
  size_t n = 6;
  if (range) all[n++] = {"Content-Range", content_range};
  ex.send_stream(range ? 206 : 200, std::span(all.data(), n), "application/octet-stream", length,
                 [first](uint64_t offset, size_t max) {
                   const auto &block = filler();
                   const size_t at = (first + offset) % block.size();
                   return std::string_view(block.data() + at, std::min(max, block.size() - at));
                 });
}

}  // namespace

void install_checker_routes(http::HttpServer &server, CheckerHooks hooks) {
  server.route("/", [hooks](http::Exchange &ex) { serve_check(hooks, ex); },
               [](const http::QueryParams &params) { return params.count("wait") > 0; });
  server.route("/download", serve_download, http::HttpServer::always, /*accepts_range=*/true);
}

}  // namespace observer::checker
