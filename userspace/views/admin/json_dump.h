#pragma once
// nlohmann's dump(2), byte for byte, at a fraction of its cost on the text a
// page of connections holds. nlohmann passes every byte of every string
// through a UTF-8 decoder; a page of 10,000 connections and their
// diagnoses is 10 to 20 MB of such strings, almost all plain ASCII. Here a
// string of ASCII is copied in runs between the bytes JSON escapes; any
// other string, and every floating-point number, is still written by
// nlohmann itself, so its escaping, its number format and its error on
// invalid UTF-8 stay what they were.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace observer::admin {

// `expected_size` is reserved at once: a page grown by doubling copies
// itself a few times over.
std::string dump_pretty(const nlohmann::ordered_json &j, size_t expected_size = 0);

}  // namespace observer::admin
