#pragma once
// Raw ring-buffer records (struct mpo_event) to MptcpEvent: pure, so every
// field rule is tested without loading BPF.
#include <span>

#include "events/mptcp_event.h"

namespace observer::bpf {

// Fills `into`, a freshly made event (its other fields stay as they are),
// from one record; false for a record of the wrong size or an unknown type
// or enum value. Into the caller's event, because an event is several
// hundred bytes and this runs for every record.
bool decode_event(std::span<const std::byte> record, MptcpEvent &into);

}  // namespace observer::bpf
