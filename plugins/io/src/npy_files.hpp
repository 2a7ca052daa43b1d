// io.npy_read and io.npy_write: one NumPy .npy file per record.
#pragma once

#include <seqflow/atomic_file.hpp>
#include <seqflow/sdk.hpp>

#include <set>
#include <string>
#include <vector>

namespace seqflow::io {

class NpyRead : public Source<NpyRead> {
 public:
  static constexpr Info info{
      "npy_read",
      "Reads NumPy .npy files, one record per file with `id` = the file name without \".npy\". Dtypes <f4 "
      "(f32), <f2 (f16), <i4 (i32), <i8 (i64), |u1 (u8), |i1 (i8) and |b1 (read as u8), either byte order; "
      "rank 0 to 8; format versions 1.0, 2.0, 3.0; Fortran-order arrays are transposed into C order. A bad "
      "file (bad magic, truncated header or data, unsupported dtype, more than 8 dimensions) is an error "
      "naming the file and byte offset; under on_error = \"skip\" it is logged and skipped.",
      R"([[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["features/*.npy"]
output = "feats"
)",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", nullptr,
                   "Files to read: paths or glob patterns, relative to the pipeline file; each pattern's "
                   "matches in sorted order. A pattern that matches no file is an error."),
      Param::field("output", "\"tensor\"", "Field that receives the array (a tensor of the file's dtype)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "The file name without \".npy\"."),
      Field::writes("output", "tensor", SF_FIELD_TENSOR, SF_DTYPE_ANY, "The array, C order."),
  };

  explicit NpyRead(CreateContext& ctx);
  bool read(Context& ctx, uint32_t max);

 private:
  std::vector<std::string> paths_;
  size_t next_path_ = 0;
  Slot id_slot_, out_slot_;
};

class NpyWrite : public Sink<NpyWrite> {
 public:
  static constexpr Info info{
      "npy_write",
      "Writes each record's tensor to <dir>/<id>.npy, byte-identical to np.save (format 1.0, little-endian, "
      "C order); bf16 tensors are written as float32, which holds them exactly. An id that is empty, \".\", "
      "\"..\", contains '/' or was already written fails its record. The files appear only when the run "
      "succeeds.",
      R"([[stage]]
name = "save"
plugin = "io.npy_write"
dir = "out/features"
input = "fbank"
)",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::path("dir", nullptr, "Output folder, relative to the pipeline file; created when missing."),
      Param::field("input", "\"tensor\"", "Tensor field to write."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "Names the file: <dir>/<id>.npy."),
      Field::reads("input", "tensor", SF_FIELD_TENSOR, SF_DTYPE_ANY, "The array to save."),
  };

  explicit NpyWrite(CreateContext& ctx);
  void process(Context& ctx, Record& r);
  void finish(Context& ctx);

 private:
  std::string dir_;
  std::string input_name_;
  Slot id_slot_, in_slot_;
  std::vector<AtomicFile> pending_;  // written and closed, renamed in finish()
  std::set<std::string> ids_;
  std::vector<float> widened_;
};

}  // namespace seqflow::io
