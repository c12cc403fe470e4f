#pragma once
// Raw ring-buffer records (struct mpo_event) to MptcpEvent: pure, so every
// field rule is tested without loading BPF.
#include <optional>
#include <span>

#include "events/mptcp_event.h"

namespace observer::bpf {

// nullopt for a record of the wrong size or an unknown type or enum value.
std::optional<MptcpEvent> decode_event(std::span<const std::byte> record);

}  // namespace observer::bpf
