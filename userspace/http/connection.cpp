#include "http/connection.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>

namespace observer::http {
namespace {
// One read's worth: most requests arrive whole in one.
constexpr size_t kReadChunk = 4096;

std::string client_key(const SocketAddress &peer) {
  const sockaddr *sa = peer.get();
  if (sa->sa_family == AF_INET) {
    const auto *in = reinterpret_cast<const sockaddr_in *>(sa);
    return std::string("4") + std::string(reinterpret_cast<const char *>(&in->sin_addr), 4);
  }
  if (sa->sa_family == AF_INET6) {
    const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(sa);
    const auto *bytes = reinterpret_cast<const char *>(&in6->sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return std::string("4") + std::string(bytes + 12, 4);
    return std::string("6") + std::string(bytes, 8);
  }
  return "?";
}

SocketAddress address_of(int fd, int (*get)(int, sockaddr *, socklen_t *)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (get(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0) return {};
  return SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
}
}  // namespace

Connection::Connection(UniqueFd socket, std::unique_ptr<Channel> channel_)
    : fd(std::move(socket)),
      channel(std::move(channel_)),
      peer(address_of(fd.get(), ::getpeername)),
      local(address_of(fd.get(), ::getsockname)),
      peer_text(format_endpoint(peer)),
      local_text(format_endpoint(local)),
      client(client_key(peer)) {}

Connection::Handshake Connection::handshake() {
  const IoResult r = channel->handshake();
  read_waits_for_write = r.status == IoResult::Status::want_write;
  switch (r.status) {
    case IoResult::Status::progress: return Handshake::done;
    case IoResult::Status::want_read:
    case IoResult::Status::want_write: return Handshake::again;
    default: return Handshake::failed;
  }
}

Connection::Fill Connection::fill(size_t limit) {
  // Drop what earlier requests consumed before the buffer grows.
  if (in_pos > 0) {
    in.erase(0, in_pos);
    in_pos = 0;
  }
  read_waits_for_write = false;
  input_held = false;
  char chunk[kReadChunk];
  while (in.size() < limit) {
    const size_t want = std::min(sizeof chunk, limit - in.size());
    const IoResult r = channel->read(chunk, want);
    switch (r.status) {
      case IoResult::Status::progress:
        in.append(chunk, r.bytes);
        input_held = r.held;
        if (r.drained) return Fill::more;
        continue;
      case IoResult::Status::want_write: input_held = false; read_waits_for_write = true; return Fill::again;
      case IoResult::Status::want_read: input_held = false; return Fill::again;
      case IoResult::Status::closed: return Fill::closed;
      case IoResult::Status::error: return Fill::error;
    }
  }
  return Fill::more;
}

Connection::Fill Connection::drop_incoming(size_t budget) {
  char chunk[16384];
  while (budget > 0) {
    const ssize_t n = ::recv(fd.get(), chunk, std::min(sizeof chunk, budget), MSG_DONTWAIT);
    if (n > 0) {
      budget -= std::min(budget, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return Fill::closed;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Fill::again : Fill::error;
  }
  return Fill::more;
}

void Connection::consume(size_t n) {
  in_pos = std::min(in.size(), in_pos + n);
  scan = HeadScan{};
}

void Connection::discard_input() {
  in.clear();
  in_pos = 0;
  scan = HeadScan{};
}

Connection::Flush Connection::blocked_write(IoResult::Status status) {
  if (status == IoResult::Status::want_read) write_waits_for_read = true;
  return status == IoResult::Status::want_read || status == IoResult::Status::want_write ? Flush::again
                                                                                         : Flush::error;
}

Connection::Flush Connection::flush() {
  write_waits_for_read = false;
  while (out_pos < out.size()) {
    const IoResult r = channel->write(out.data() + out_pos, out.size() - out_pos);
    if (r.status != IoResult::Status::progress) return blocked_write(r.status);
    out_pos += r.bytes;
  }
  out.clear();
  out_pos = 0;
  return Flush::done;
}

Connection::Flush Connection::push_stream(size_t budget) {
  const Flush held = flush();  // the head first
  if (held != Flush::done) return held;
  while (pending.offset < pending.end && budget > 0) {
    // After a blocked write the same offset is asked again with at least
    // the same budget, so a TLS retry sees at least the bytes it saw.
    const size_t want = static_cast<size_t>(std::min<uint64_t>(pending.end - pending.offset, budget));
    const std::string_view piece = pending.source(pending.offset, want);
    if (piece.empty()) return Flush::error;
    const IoResult r = channel->write(piece.data(), piece.size());
    if (r.status != IoResult::Status::progress) return blocked_write(r.status);
    pending.offset += r.bytes;
    budget -= std::min(budget, r.bytes);
  }
  // Out of budget with body left: the loop comes back on its next turn.
  return pending.offset < pending.end ? Flush::again : Flush::done;
}

uint64_t Connection::stream_delivered() const {
  int queued = 0;  // unsent and unacknowledged bytes, MPTCP sockets included
  if (::ioctl(fd.get(), SIOCOUTQ, &queued) != 0 || queued < 0) return pending.offset;
  const uint64_t held = static_cast<uint64_t>(queued) + (out.size() - out_pos);
  return pending.offset > held ? pending.offset - held : 0;
}

void Connection::trim() {
  if (in_pos == in.size()) {
    in.clear();
    in_pos = 0;
  }
  // Keep small buffers for the next request; give back large ones.
  if (in.empty() && in.capacity() > 2 * kReadChunk) std::string().swap(in);
  if (out.empty() && out.capacity() > 2 * kReadChunk) std::string().swap(out);
}

}  // namespace observer::http
