#pragma once
// One client connection of the checker port, owned by the event loop that
// accepted it (no lock): its socket and the channel its bytes cross it by
// (plain or TLS, channel.h), what it sent that is not answered yet, what is
// held for it to read, and the request in progress when an answer waits (a
// ?wait, a download). Every read and write of the port goes through here.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/socket_address.h"
#include "common/unique_fd.h"
#include "http/channel.h"
#include "http/query_string.h"
#include "http/request_parser.h"

namespace observer::http {

class Exchange;

using Clock = std::chrono::steady_clock;

// Gives the body of a streamed answer: up to `max` bytes starting at
// `offset` of the body, as a view that stays valid until the next call.
using BodySource = std::function<std::string_view(uint64_t offset, size_t max)>;
// Called again and again for an answer that waits, until it sends one.
using Poll = std::function<void(Exchange &)>;

// What a request that waits holds of the server's limits: one of
// --max-waiting in all and one of the client's --max-waiting-per-client.
struct WaitPermit {
  bool held = false;
};

struct Connection {
  enum class State {
    handshaking,  // TLS only: the handshake must complete within io_timeout
    reading,      // waiting for (the rest of) a request; idle when nothing is buffered
    writing,      // an answer is held until the socket takes it
    streaming,    // a body is sent as the socket takes it
    deferred,     // an answer waits (Poll); the socket is watched for a hang-up only
    closing,      // answered and shut for writing; what the client still sends is dropped
  };

  UniqueFd fd;
  std::unique_ptr<Channel> channel;  // on fd; destroyed before it
  // What the channel's last blocked read and write wait for: TLS can need
  // the socket writable to read, or readable to write. EventLoop::arm asks
  // epoll for that instead.
  bool read_waits_for_write = false;
  bool write_waits_for_read = false;
  SocketAddress peer, local;
  std::string peer_text, local_text;  // format_endpoint() of each, done once
  // What per-client limits count this connection under: its IPv4 address
  // (mapped ones too), or its IPv6 /64, which one host usually holds whole.
  std::string client;
  State state = State::reading;
  Clock::time_point deadline;  // when waiting in this state ends the connection
  Clock::time_point drain_end;  // closing: the latest the drain may last
  uint32_t armed = 0;          // the epoll events asked for now
  size_t requests = 0;

  std::string in;  // received, not yet answered
  size_t in_pos = 0;
  bool input_held = false;  // the channel holds more input epoll will not announce (TLS)
  HeadScan scan;
  bool waiting_for_request = false;  // the deadline counts from the first byte of a request

  std::string out;  // answers held until the socket takes them
  size_t out_pos = 0;
  bool close_when_written = false;
  // The parser refused what the client sent: it may still be sending (a
  // body, more requests), so the close drains it first.
  bool drain_before_close = false;

  // The request whose answer is in progress, for a streamed or deferred answer.
  struct Pending {
    bool head_only = false;
    bool keep_alive = true;
    bool http10 = false;
    QueryParams params;
    WaitPermit permit;
    // streaming
    BodySource source;
    uint64_t offset = 0, end = 0;
    Clock::time_point window_start;  // the slow-reader check's current window
    uint64_t window_delivered = 0;   // stream_delivered() when it began
    // deferred
    Poll poll;
    std::chrono::milliseconds period{0};
    Clock::time_point next_poll;
  } pending;

  Connection(UniqueFd socket, std::unique_ptr<Channel> channel);

  // Moves the channel's handshake on without waiting.
  enum class Handshake { done, again, failed };
  Handshake handshake();
  // Reads what the socket has without waiting, up to `limit` bytes held in
  // all: `again` when it has nothing more now, `closed` at the peer's FIN.
  enum class Fill { more, again, closed, error };
  Fill fill(size_t limit);
  // Reads and drops what the socket has, up to `budget` bytes.
  Fill drop_incoming(size_t budget);
  std::string_view unanswered() const { return std::string_view(in).substr(in_pos); }
  void consume(size_t n);
  void discard_input();
  // Sends what is held without waiting: `again` when the socket is full.
  enum class Flush { done, again, error };
  Flush flush();
  // Sends a streamed body's next pieces, up to `budget` bytes this turn.
  Flush push_stream(size_t budget);
  // How much of the streamed body the client has acknowledged: what was
  // sent less what the socket still holds. What we pushed into a socket
  // buffer of megabytes says nothing of how fast the client reads.
  uint64_t stream_delivered() const;
  // A write that moved nothing: again (noting which way it waits) or error.
  Flush blocked_write(IoResult::Status status);
  // Ends the sending side in order (TLS: close_notify, then FIN).
  void shut_write() { channel->shut_write(); }
  // Gives back memory an idle connection does not need.
  void trim();
};

}  // namespace observer::http
