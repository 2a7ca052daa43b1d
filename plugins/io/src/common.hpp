// Helpers shared by the io module's components: ids, input-error policy, typed field access with
// messages that name the field.
#pragma once

#include "io/line_reader.hpp"

#include <seqflow/sdk.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::io {

/// "data/a.txt" -> "a.txt".
std::string base_name(const std::string& path);
/// "data/a.npy" -> "a".
std::string stem_name(const std::string& path);

/// A bad input record in a reader: under on_error = "skip" it is reported (logged, counted) and the
/// reader goes on; otherwise the run fails with "WHERE: REASON".
void bad_input(Context& ctx, const std::string& where, const std::string& reason);

/// A source's part of its input under --shard-by file or bytes (seqflow/shard.hpp). `paths` keeps this
/// shard's entries; for bytes, `spans` gets each entry's raw [begin, end) (a path may appear once per
/// span) and gzip inputs are refused, since a gzip stream cannot be entered in the middle.
struct InputPlan {
  std::vector<std::string> paths;
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // empty: whole files
  /// Entry `i` opened: the whole file, or the lines of its span (cut with LineReader::line_start_after).
  std::unique_ptr<LineReader> open(size_t i) const;
  /// The raw offset where entry `i` starts (0 for a whole file).
  uint64_t first_byte(size_t i) const;
};
InputPlan plan_input(std::vector<std::string> paths, const Shard& shard);

/// Field values for the writers, with errors that name the field.
void require_field(const Record& r, Slot s, const std::string& name);
std::string_view text_field(const Record& r, Slot s, const std::string& name);

}  // namespace seqflow::io
