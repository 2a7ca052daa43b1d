// seqflow/passthrough.hpp: the convention by which a manifest reader carries the keys it does not declare
// to a manifest writer, so that "manifest in, manifest plus predictions out" needs no list of every key.
//
// What it is: a record field named kField ("_passthrough", bytes) holding every key of one input line in
// its original order, each with its original value, untouched: JSON text (from a JSONL line) or an
// escaped TSV cell (from a TSV row). A writer writes the keys back in that order, a key it lists itself
// with the record's current value at the key's position, then the listed fields the line lacked. No ABI is
// involved: it is an ordinary bytes field, so any module's reader (io.jsonl_read, io.tsv_read, a
// manifest-driven audio reader) and writer can speak it. Encoding, per key: kind (1 byte) | key length (4
// bytes, little-endian) | key | value length | value.
//
// Lifecycle: a reader fills an Encoder per record and stores encoded() in the field; a writer walks the
// field with Decoder::next().
// Threading: plain values; one thread at a time per object.
// Ownership: Decoder's entries view the field's bytes, valid while the field is.
// Errors: Decoder::next() throws seqflow::Error when the bytes are not this encoding (a field of that
// name written by something else).
#pragma once

#include <seqflow/sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace seqflow {
inline namespace sdk_v1 {
namespace passthrough {

/// The record field that carries the keys.
inline constexpr const char* kField = "_passthrough";

enum class Kind : uint8_t {
  kJson = 1,     // value: the key's JSON value as it was written in the input line
  kTsvCell = 2,  // value: the TSV cell as it was in the input row (escapes not undone)
};

struct Entry {
  Kind kind = Kind::kJson;
  std::string_view key;
  std::string_view value;
};

class Encoder {
 public:
  void clear() { data_.clear(); }
  void add(Kind kind, std::string_view key, std::string_view value) {
    data_.push_back(static_cast<char>(kind));
    put(key);
    put(value);
  }
  const std::string& encoded() const { return data_; }

 private:
  void put(std::string_view s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) data_.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    data_.append(s);
  }
  std::string data_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view data) : rest_(data) {}
  /// The next key in input order; false at the end.
  bool next(Entry& e) {
    if (rest_.empty()) return false;
    const uint8_t kind = static_cast<uint8_t>(rest_[0]);
    if (kind != static_cast<uint8_t>(Kind::kJson) && kind != static_cast<uint8_t>(Kind::kTsvCell)) bad();
    rest_.remove_prefix(1);
    e.kind = static_cast<Kind>(kind);
    e.key = take();
    e.value = take();
    return true;
  }

 private:
  std::string_view take() {
    if (rest_.size() < 4) bad();
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<uint8_t>(rest_[i])) << (8 * i);
    rest_.remove_prefix(4);
    if (rest_.size() < n) bad();
    std::string_view s = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return s;
  }
  [[noreturn]] static void bad() {
    throw Error(std::string("field '") + kField +
                "' does not hold pass-through keys (was it written by something other than a reader's "
                "passthrough = true?)");
  }
  std::string_view rest_;
};

}  // namespace passthrough
}  // namespace sdk_v1
}  // namespace seqflow
