#include "lines.hpp"

#include "common.hpp"
#include "io/glob.hpp"
#include "io/text_format.hpp"

namespace seqflow::io {

LinesRead::LinesRead(CreateContext& ctx)
    : paths_(plan_input(expand_paths(ctx.param("paths").as_strings()), ctx.shard()).paths),
      skip_empty_(ctx.param("skip_empty").as_bool()),
      id_slot_(ctx.field("id")),
      out_slot_(ctx.field_param("output")) {}

bool LinesRead::read(Context& ctx, uint32_t max) {
  uint32_t emitted = 0;
  std::string_view line;
  while (emitted < max) {
    if (reader_ == nullptr) {
      if (next_path_ == paths_.size()) return emitted > 0;
      const std::string& path = paths_[next_path_++];
      reader_ = std::make_unique<LineReader>(path);
      id_prefix_ = base_name(path) + ":";
    }
    if (!reader_->next(line)) {
      reader_.reset();
      continue;
    }
    if (skip_empty_ && line.empty()) continue;
    id_.assign(id_prefix_);
    append_int(id_, static_cast<int64_t>(reader_->line_number()));
    Record r = ctx.emit();
    r.set_string(id_slot_, id_);
    r.set_string(out_slot_, line);
    ++emitted;
  }
  return true;
}

LinesWrite::LinesWrite(CreateContext& ctx)
    : input_name_(ctx.param("input").as_string()),
      in_slot_(ctx.field(input_name_)),
      out_(ctx.param("path").as_string(), has_gzip_suffix(ctx.param("path").as_string())) {}

void LinesWrite::process(Context&, Record& r) {
  std::string_view v = text_field(r, in_slot_, input_name_);
  size_t nl = v.find('\n');
  if (nl != std::string_view::npos)
    throw Error(
        "field '" + input_name_ + "' contains a newline (at byte " + std::to_string(nl) +
        "); io.lines_write writes one line per record: use io.jsonl_write or io.tsv_write, which escape it");
  if (!v.empty() && v.back() == '\r')
    throw Error(
        "field '" + input_name_ +
        "' ends with a carriage return, which line readers drop as part of a CRLF ending; strip it first");
  out_.write(v);
  out_.write("\n");
}

void LinesWrite::finish(Context&) { out_.commit(); }

}  // namespace seqflow::io
