#include "tsv_table.hpp"

#include "common.hpp"
#include "io/glob.hpp"
#include "io/text_format.hpp"
#include "io/tsv.hpp"

#include <algorithm>

namespace seqflow::io {
namespace {

std::string join_names(const std::vector<std::string_view>& cells) {
  std::string s;
  for (std::string_view c : cells) {
    if (!s.empty()) s += ", ";
    s += c;
  }
  return s;
}

}  // namespace

TsvRead::TsvRead(CreateContext& ctx)
    : input_(plan_input(expand_paths(ctx.param("paths").as_strings()), ctx.shard())),
      header_(ctx.param("header").as_bool()),
      id_column_(ctx.param("id_column").as_string()),
      id_slot_(ctx.field("id")) {
  Value table = ctx.param("columns");
  if (table.size() == 0)
    throw Error("parameter 'columns' is empty: declare at least one column and its type");
  for (size_t i = 0; i < table.size(); ++i) {
    std::string name(table.key(i));
    FieldKind kind;
    try {
      kind = parse_field_kind(table.item(i).as_string());
    } catch (const Error& e) {
      throw Error("parameter 'columns', column '" + name + "': " + e.what());
    }
    if (kind.type != SF_FIELD_STRING && kind.type != SF_FIELD_INT && kind.type != SF_FIELD_FLOAT)
      throw Error("parameter 'columns', column '" + name + "': type '" + field_kind_name(kind) +
                  "' cannot be read from a TSV cell; use string, int or float");
    if (name == "id" && id_column_ != "id")
      throw Error(
          "parameter 'columns': a column named 'id' would overwrite the record id taken from id_column '" +
          id_column_ + "'; rename the column or set id_column = \"id\"");
    if (name == id_column_ && kind.type != SF_FIELD_STRING)
      throw Error("parameter 'columns': the id column '" + name + "' must be declared as \"string\"");
    columns_.push_back({name, kind, ctx.field(name)});
  }
  ints_.resize(columns_.size());
  floats_.resize(columns_.size());
  if (ctx.param("passthrough").as_bool()) passthrough_ = passthrough_slot(ctx, true);
  else if (header_) warn_ignored_columns(ctx);
}

// Without pass-through, columns outside `columns` are dropped: say which, from the first file's header.
void TsvRead::warn_ignored_columns(CreateContext& ctx) {
  std::vector<std::string> used{id_column_};
  for (const Column& col : columns_) used.push_back(col.name);
  if (input_.paths.empty()) return;  // a shard without files
  try {
    LineReader peek(input_.paths.front());
    std::string_view line;
    if (!peek.next(line)) return;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    split_tabs(line, cells_);
    const std::vector<std::string> names(cells_.begin(), cells_.end());
    const std::string ignored = ignored_keys(names, used);
    if (!ignored.empty())
      ctx.warn(peek.path() + ":1: columns " + ignored +
               " are not in `columns` and will be ignored; set passthrough = true to carry them to the "
               "writer, or declare them in `columns`");
  } catch (const std::exception&) {
    // The run reports an unreadable file with its position; a warning cannot add to that.
  }
}

void TsvRead::open_next() {
  const size_t entry = next_path_++;
  const std::string& path = input_.paths[entry];
  reader_ = input_.open(entry);
  file_name_ = base_name(path);
  // A byte range after the file's first line reads the header from the start of the file.
  std::unique_ptr<LineReader> header_reader;
  LineReader* header_source = reader_.get();
  if (header_ && input_.first_byte(entry) > 0) {
    header_reader = std::make_unique<LineReader>(path);
    header_source = header_reader.get();
  }
  id_index_ = -1;
  header_names_.clear();
  if (!header_) {
    for (const Column& col : columns_) header_names_.push_back(col.name);
    expected_cells_ = columns_.size();
    for (size_t i = 0; i < columns_.size(); ++i) {
      columns_[i].index = i;
      if (columns_[i].name == id_column_) id_index_ = static_cast<std::ptrdiff_t>(i);
    }
    if (id_index_ < 0 && !input_.spans.empty())
      throw Error(path + ": `columns` has no id column '" + id_column_ +
                  "': under --shard-by bytes ids cannot be line numbers; declare it or use --shard-by file");
    return;
  }
  std::string_view line;
  if (!header_source->next(line)) return;                       // an empty file: no header, no rows
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 byte order mark
  split_tabs(line, cells_);
  expected_cells_ = cells_.size();
  header_names_.assign(cells_.begin(), cells_.end());
  auto find = [&](const std::string& name) -> std::ptrdiff_t {
    auto it = std::find(cells_.begin(), cells_.end(), name);
    if (it == cells_.end()) return -1;
    if (std::find(it + 1, cells_.end(), name) != cells_.end())
      throw Error(path + ":1: the header names column '" + name + "' more than once");
    return it - cells_.begin();
  };
  for (Column& col : columns_) {
    std::ptrdiff_t i = find(col.name);
    if (i < 0)
      throw Error(path + ":1: column '" + col.name +
                  "' is declared in `columns` but missing from the header (" +
                  "the header has: " + join_names(cells_) + ")");
    col.index = static_cast<size_t>(i);
  }
  id_index_ = find(id_column_);
  if (id_index_ < 0 && !input_.spans.empty())
    throw Error(path + ":1: the header has no id column '" + id_column_ +
                "': under --shard-by bytes ids cannot be line numbers (a byte range does not know how many "
                "lines come before it); add the column or use --shard-by file or record");
}

bool TsvRead::read(Context& ctx, uint32_t max) {
  uint32_t emitted = 0;
  std::string_view line;
  while (emitted < max) {
    if (reader_ == nullptr) {
      if (next_path_ == input_.paths.size()) return emitted > 0;
      open_next();
      continue;
    }
    if (!reader_->next(line)) {
      reader_.reset();
      continue;
    }
    if (line.empty()) continue;
    if (convert_row(ctx, line)) ++emitted;
  }
  return true;
}

bool TsvRead::convert_row(Context& ctx, std::string_view line) {
  // Built only when a line is bad: most lines never need it.
  auto where = [&] { return reader_->path() + ":" + std::to_string(reader_->line_number()); };
  split_tabs(line, cells_);
  if (cells_.size() != expected_cells_) {
    bad_input(ctx, where(),
              "expected " + std::to_string(expected_cells_) + " tab-separated columns, found " +
                  std::to_string(cells_.size()) + (header_ ? " (the header has " : " (`columns` declares ") +
                  std::to_string(expected_cells_) + ")");
    return false;
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    std::string_view cell = cells_[col.index];
    bool ok = true;
    if (col.kind.type == SF_FIELD_INT) ok = parse_int(cell, ints_[c]);
    else if (col.kind.type == SF_FIELD_FLOAT) ok = parse_double(cell, floats_[c]);
    if (!ok) {
      bad_input(ctx, where(),
                "column '" + col.name + "': cannot parse '" + std::string(cell) + "' as " +
                    field_kind_name(col.kind));
      return false;
    }
  }
  Record r = ctx.emit();
  if (id_index_ >= 0) r.set_string(id_slot_, tsv_unescape(cells_[static_cast<size_t>(id_index_)]));
  else r.set_string(id_slot_, file_name_ + ":" + std::to_string(reader_->line_number()));
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& col = columns_[c];
    switch (col.kind.type) {
      case SF_FIELD_INT: r.set_int(col.slot, ints_[c]); break;
      case SF_FIELD_FLOAT: r.set_float(col.slot, floats_[c]); break;
      default: r.set_string(col.slot, tsv_unescape(cells_[col.index]));
    }
  }
  if (passthrough_) {
    pass_.begin();
    for (size_t i = 0; i < cells_.size(); ++i)
      pass_.add(passthrough::Kind::kTsvCell, header_names_[i], cells_[i]);
    r.set_bytes(passthrough_, pass_.encode());
  }
  return true;
}

TsvWrite::TsvWrite(CreateContext& ctx)
    : names_(ctx.param("fields").as_strings()),
      out_(ctx.param("path").as_string(), has_gzip_suffix(ctx.param("path").as_string())),
      header_(ctx.param("header").as_bool()) {
  if (names_.empty()) throw Error("parameter 'fields' is empty: list the fields to write");
  for (size_t i = 0; i < names_.size(); ++i) {
    for (size_t k = 0; k < i; ++k)
      if (names_[i] == names_[k])
        throw Error("parameter 'fields': field '" + names_[i] + "' is listed twice");
    slots_.push_back(ctx.field(names_[i]));
  }
  try {
    passthrough_ = ctx.field(passthrough::kField);
  } catch (const Error&) {
    // No reader of this pipeline carries pass-through keys.
  }
}

void TsvWrite::write_header(const std::vector<std::string>& names) {
  planned_ = true;
  if (!header_) return;
  line_.clear();
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) line_ += '\t';
    append_tsv_escaped(line_, names[i]);
  }
  line_ += '\n';
  out_.write(line_);
}

void TsvWrite::plan_columns(const std::vector<passthrough::Entry>& entries) {
  std::vector<std::string> header;
  std::vector<bool> used(names_.size(), false);
  for (const passthrough::Entry& e : entries) {
    input_keys_.emplace_back(e.key);
    header.emplace_back(e.key);
    auto it = std::find(names_.begin(), names_.end(), e.key);
    const std::ptrdiff_t field = it == names_.end() ? -1 : it - names_.begin();
    key_field_.push_back(field);
    if (field >= 0) used[static_cast<size_t>(field)] = true;
  }
  for (size_t i = 0; i < names_.size(); ++i) {
    if (used[i]) continue;
    extra_fields_.push_back(i);
    header.push_back(names_[i]);
  }
  write_header(header);
}

void TsvWrite::append_value(Record& r, size_t i) {
  Slot s = slots_[i];
  require_field(r, s, names_[i]);
  switch (r.type(s)) {
    case SF_FIELD_STRING: append_tsv_escaped(line_, r.string(s)); break;
    case SF_FIELD_BYTES: line_ += base64_encode(r.string(s)); break;
    case SF_FIELD_INT: append_int(line_, r.integer(s)); break;
    case SF_FIELD_FLOAT: append_double(line_, r.real(s)); break;
    default:
      throw Error(
          "field '" + names_[i] +
          "' is a tensor, which a TSV cell cannot hold; write it with io.jsonl_write or io.npy_write");
  }
}

void TsvWrite::process(Context&, Record& r) {
  line_.clear();
  if (!passthrough_ || !r.has(passthrough_)) {
    if (!planned_) {
      write_header(names_);
      line_.clear();
    }
    if (!input_keys_.empty())
      throw Error("the record has no pass-through keys, but the first record had them (" +
                  std::to_string(input_keys_.size()) + " input columns): a TSV file has one header");
    for (size_t i = 0; i < names_.size(); ++i) {
      if (i > 0) line_ += '\t';
      append_value(r, i);
    }
    line_ += '\n';
    out_.write(line_);
    return;
  }
  entries_.clear();
  passthrough::Decoder keys(r.string(passthrough_));
  for (passthrough::Entry e; keys.next(e);) entries_.push_back(e);
  if (!planned_) {
    plan_columns(entries_);
    line_.clear();
  }
  bool same = entries_.size() == input_keys_.size();
  for (size_t i = 0; same && i < entries_.size(); ++i) same = entries_[i].key == input_keys_[i];
  if (!same)
    throw Error(
        "its pass-through keys differ from the first record's (a TSV file has one header): write "
        "records whose inputs have different keys with io.jsonl_write");
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) line_ += '\t';
    if (key_field_[i] >= 0) append_value(r, static_cast<size_t>(key_field_[i]));
    else append_entry_as_tsv(line_, entries_[i]);
  }
  for (size_t k = 0; k < extra_fields_.size(); ++k) {
    if (!entries_.empty() || k > 0) line_ += '\t';
    append_value(r, extra_fields_[k]);
  }
  line_ += '\n';
  out_.write(line_);
}

void TsvWrite::finish(Context&) {
  if (!planned_) write_header(names_);
  out_.commit();
}

}  // namespace seqflow::io
