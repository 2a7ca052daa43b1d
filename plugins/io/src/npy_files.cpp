#include "npy_files.hpp"

#include "common.hpp"
#include "io/glob.hpp"
#include "io/npy.hpp"

#include <seqflow/half.hpp>

#include <bit>
#include <cstring>
#include <filesystem>

namespace seqflow::io {

NpyRead::NpyRead(CreateContext& ctx)
    : paths_(plan_input(expand_paths(ctx.param("paths").as_strings()), ctx.shard()).paths),
      id_slot_(ctx.field("id")),
      out_slot_(ctx.field_param("output")) {}

bool NpyRead::read(Context& ctx, uint32_t max) {
  uint32_t emitted = 0;
  while (emitted < max) {
    if (next_path_ == paths_.size()) return emitted > 0;
    const std::string& path = paths_[next_path_++];
    std::unique_ptr<NpyFileReader> file;
    try {
      file = std::make_unique<NpyFileReader>(path);
    } catch (const Error& e) {
      // A malformed file is bad input (skippable); a file that cannot be opened or read fails the run.
      if (e.code() == SF_ERR_IO) throw;
      std::string message = e.what();
      std::string prefix = path + ": ";
      bad_input(ctx, path, message.starts_with(prefix) ? message.substr(prefix.size()) : message);
      continue;
    }
    const NpyHeader& h = file->header();
    Record r = ctx.emit();
    r.set_string(id_slot_, stem_name(path));
    void* data = r.make_tensor_raw(out_slot_, h.dtype, h.shape);
    file->read_data(data);
    ++emitted;
  }
  return true;
}

NpyWrite::NpyWrite(CreateContext& ctx)
    : dir_(ctx.param("dir").as_string()),
      input_name_(ctx.param("input").as_string()),
      id_slot_(ctx.field("id")),
      in_slot_(ctx.field(input_name_)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw Error("cannot create folder '" + dir_ + "': " + ec.message(), SF_ERR_IO);
}

void NpyWrite::process(Context&, Record& r) {
  std::string id(text_field(r, id_slot_, "id"));
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
      id.find('\0') != std::string::npos)
    throw Error("id '" + id + "' cannot name a file (it is empty, \".\", \"..\" or contains '/' or NUL)");
  if (ids_.count(id) != 0)
    throw Error("id '" + id + "' was already written to " + id + ".npy (ids must be unique)");
  require_field(r, in_slot_, input_name_);
  if (r.type(in_slot_) != SF_FIELD_TENSOR) throw Error("field '" + input_name_ + "' is not a tensor");
  Tensor t = r.tensor(in_slot_);
  sf_dtype dtype = t.dtype();
  const void* data = t.raw();
  size_t nbytes = t.nbytes();
  if (dtype == SF_DTYPE_BF16) {
    // numpy has no bfloat16; float32 holds every bf16 value exactly.
    const auto* h = static_cast<const uint16_t*>(data);
    widened_.resize(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < widened_.size(); ++i) widened_[i] = bf16_to_float(h[i]);
    dtype = SF_DTYPE_F32;
    data = widened_.data();
    nbytes = widened_.size() * sizeof(float);
  }
  static_assert(std::endian::native == std::endian::little, "npy_write writes native little-endian data");
  AtomicFile file((std::filesystem::path(dir_) / (id + ".npy")).string());
  file.write(make_npy_header(dtype, t.shape()));
  file.write(data, nbytes);
  file.close();
  pending_.push_back(std::move(file));
  ids_.insert(std::move(id));
}

void NpyWrite::finish(Context&) {
  for (AtomicFile& f : pending_) f.commit();
  pending_.clear();
}

}  // namespace seqflow::io
