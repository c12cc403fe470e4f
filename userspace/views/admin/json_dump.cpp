#include "views/admin/json_dump.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace observer::admin {
namespace {
constexpr size_t kIndentStep = 2;

// What a byte needs: nothing, an escape, or nlohmann (outside ASCII).
enum class ByteClass : uint8_t { plain, escape, other };
constexpr std::array<ByteClass, 256> kByteClass = [] {
  std::array<ByteClass, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = ByteClass::escape;
  t['"'] = t['\\'] = ByteClass::escape;
  for (int c = 0x80; c < 0x100; ++c) t[c] = ByteClass::other;
  return t;
}();

// Whether any of eight bytes is one write_string() must look at: below
// 0x20, a quote, a backslash, or outside ASCII (the bit tricks of
// graphics.stanford.edu/~seander/bithacks.html, "haszero" and "hasless").
bool any_special(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  return (((w - kOnes * 0x20) & ~w & kHigh) | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) |
          (w & kHigh)) != 0;
}

// As nlohmann's serializer::dump_escaped (RFC 8259 7) with ensure_ascii off.
void write_string(std::string &out, const std::string &s) {
  const size_t start = out.size();
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight plain bytes at a time: most of a page is.
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, sizeof w);
      if (any_special(w)) break;
      i += 8;
    }
    if (i == s.size()) break;
    const auto byte = static_cast<unsigned char>(s[i]);
    const ByteClass kind = kByteClass[byte];
    if (kind == ByteClass::plain) continue;
    if (kind == ByteClass::other) {
      out.resize(start);
      out += nlohmann::ordered_json(s).dump();
      return;
    }
    out.append(s, run, i - run);
    run = i + 1;
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
      }
    }
  }
  out.append(s, run);
  out += '"';
}

template <typename Integer>
void write_integer(std::string &out, Integer v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void write(std::string &out, const nlohmann::ordered_json &j, size_t indent) {
  using value_t = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it != j.begin()) out += ",\n";
        out.append(indent + kIndentStep, ' ');
        write_string(out, it.key());
        out += ": ";
        write(out, it.value(), indent + kIndentStep);
      }
      out += '\n';
      out.append(indent, ' ');
      out += '}';
      return;
    }
    case value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (const auto &value : j) {
        if (!first) out += ",\n";
        first = false;
        out.append(indent + kIndentStep, ' ');
        write(out, value, indent + kIndentStep);
      }
      out += '\n';
      out.append(indent, ' ');
      out += ']';
      return;
    }
    case value_t::string: write_string(out, j.get_ref<const std::string &>()); return;
    case value_t::boolean: out += j.get<bool>() ? "true" : "false"; return;
    case value_t::null: out += "null"; return;
    case value_t::number_integer: write_integer(out, j.get<int64_t>()); return;
    case value_t::number_unsigned: write_integer(out, j.get<uint64_t>()); return;
    // Floating point as nlohmann writes it (a page has none, nor binary).
    default: out += j.dump(); return;
  }
}
}  // namespace

std::string dump_pretty(const nlohmann::ordered_json &j, size_t expected_size) {
  std::string out;
  out.reserve(expected_size);
  write(out, j, 0);
  return out;
}

}  // namespace observer::admin
