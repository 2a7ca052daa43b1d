#include "common.hpp"

#include <seqflow/shard.hpp>

#include <filesystem>

namespace seqflow::io {

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string stem_name(const std::string& path) { return std::filesystem::path(path).stem().string(); }

InputPlan plan_input(std::vector<std::string> paths, const Shard& shard) {
  InputPlan plan;
  if (!shard.split()) {
    plan.paths = std::move(paths);
    return plan;
  }
  const std::vector<uint64_t> sizes = file_sizes(paths);
  if (shard.by == SF_SHARD_FILE) {
    for (size_t j : shard_files(sizes, shard.index, shard.count)) plan.paths.push_back(paths[j]);
    return plan;
  }
  for (const std::string& p : paths)
    if (LineReader::is_gzip_file(p))
      throw ParamError("paths", "'" + p +
                                    "' is gzip: a gzip stream can only be read from its start, so --shard-by "
                                    "bytes cannot split it; decompress it or use --shard-by file or record");
  for (const ByteSpan& s : shard_byte_spans(sizes, shard.index, shard.count)) {
    plan.paths.push_back(paths[s.file]);
    plan.spans.emplace_back(s.begin, s.end);
  }
  return plan;
}

std::unique_ptr<LineReader> InputPlan::open(size_t i) const {
  if (spans.empty()) return std::make_unique<LineReader>(paths[i]);
  return std::make_unique<LineReader>(
      paths[i], LineReader::Range{first_byte(i), LineReader::line_start_after(paths[i], spans[i].second)});
}

uint64_t InputPlan::first_byte(size_t i) const {
  return spans.empty() ? 0 : LineReader::line_start_after(paths[i], spans[i].first);
}

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
