// Manifest pass-through for the io readers and writers (the convention of seqflow/passthrough.hpp).
//
// What it is: how io.jsonl_read / io.tsv_read encode a line's keys (declared ones as references to their
// record fields, the others as their original text) and how io.jsonl_write / io.tsv_write write them
// back: every key in its original order, a key the writer also lists (or a declared one) with the
// record's current value, then the listed fields the input did not have. Also the create-time check of
// a reader without pass-through: which keys of the first line or header it will ignore.
// Threading: plain objects, one per component instance. Errors: seqflow::Error naming the key.
#pragma once

#include "io/json_members.hpp"

#include <seqflow/passthrough.hpp>
#include <seqflow/sdk.hpp>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace seqflow::io {

/// The pass-through field's slot when this pipeline has it and something reads it, else an empty Slot.
Slot passthrough_slot(CreateContext& ctx, bool wanted);

/// Builds one record's pass-through entries, keeping the first position of a key given twice and its
/// last value (the value the readers themselves use).
class PassthroughBuilder {
 public:
  void begin();
  void add(passthrough::Kind kind, std::string_view key, std::string_view value);
  const std::string& encode();

 private:
  struct Item {
    passthrough::Kind kind;
    std::string_view key, value;
  };
  std::vector<Item> items_;
  std::unordered_map<std::string_view, size_t> index_;
  passthrough::Encoder encoder_;
};

/// "keys a, b are ignored" for the keys of `present` that are not in `used`, or "" when none is.
std::string ignored_keys(const std::vector<std::string>& present, const std::vector<std::string>& used);

/// The text of one pass-through value as a JSON value (a TSV cell becomes a JSON string).
void append_entry_as_json(std::string& out, const passthrough::Entry& e);
/// The text of one pass-through value as a TSV cell (a JSON string is unescaped, other JSON kept).
void append_entry_as_tsv(std::string& out, const passthrough::Entry& e);

}  // namespace seqflow::io
