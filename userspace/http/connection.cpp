#include "http/connection.h"

#include <sys/socket.h>

#include <algorithm>

namespace observer::http {
namespace {
// One read's worth: most requests arrive whole in one.
constexpr size_t kReadChunk = 4096;

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
      local_text(format_endpoint(local)) {}

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
