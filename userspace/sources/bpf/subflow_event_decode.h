#pragma once
// Raw ring-buffer records to SubflowEvent: pure, so every field rule is
// tested without loading BPF.
#include <optional>
#include <span>

#include "sources/bpf/subflow_event.h"

namespace observer::bpf {

// nullopt for a record of the wrong size or an unknown type or enum value.
std::optional<SubflowEvent> decode_event(std::span<const std::byte> record);

}  // namespace observer::bpf
