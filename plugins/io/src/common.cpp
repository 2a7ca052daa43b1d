#include "common.hpp"

#include <filesystem>

namespace seqflow::io {

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string stem_name(const std::string& path) { return std::filesystem::path(path).stem().string(); }

void bad_input(Context& ctx, const std::string& where, const std::string& reason) {
  if (!ctx.skip_errors()) throw Error(where + ": " + reason);
  ctx.input_skipped(where, reason);
}

void require_field(const Record& r, Slot s, const std::string& name) {
  if (!r.has(s)) throw Error("the record has no field '" + name + "'");
}

std::string_view text_field(const Record& r, Slot s, const std::string& name) {
  require_field(r, s, name);
  sf_field_type t = r.type(s);
  if (t != SF_FIELD_STRING && t != SF_FIELD_BYTES)
    throw Error("field '" + name + "' is not text (it is " +
                (t == SF_FIELD_INT     ? "an int"
                 : t == SF_FIELD_FLOAT ? "a float"
                                       : "a tensor") +
                ")");
  return r.string(s);
}

}  // namespace seqflow::io
