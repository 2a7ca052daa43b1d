// Helpers shared by the io module's components: ids, input-error policy, typed field access with
// messages that name the field.
#pragma once

#include <seqflow/sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace seqflow::io {

/// "data/a.txt" -> "a.txt".
std::string base_name(const std::string& path);
/// "data/a.npy" -> "a".
std::string stem_name(const std::string& path);

/// A bad input record in a reader: under on_error = "skip" it is reported (logged, counted) and the
/// reader goes on; otherwise the run fails with "WHERE: REASON".
void bad_input(Context& ctx, const std::string& where, const std::string& reason);

/// Field values for the writers, with errors that name the field.
void require_field(const Record& r, Slot s, const std::string& name);
std::string_view text_field(const Record& r, Slot s, const std::string& name);

}  // namespace seqflow::io
