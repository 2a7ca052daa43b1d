// dna.fasta_write and dna.fastq_write: the sinks of the dna module.
//
// What it is: SDK sink components over FastxWriter. Records arrive in input order and are written in
// that order to a temporary file that finish() renames onto `path`.
// Lifecycle: the constructor creates the temporary; process() appends; finish() commits. A run that fails
// or is cancelled never calls finish(), and the destructor removes the temporary.
// Threading: serial (one instance, records in order).
// Errors: a record that cannot be written (FASTQ quality length differs from the sequence) fails that
// record under the pipeline's error policy; file errors fail the run.
#pragma once

#include "fastx_writer.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>

namespace seqflow::dna {

inline constexpr sf_param_decl kOutPathParam = Param::path(
    "path", nullptr, "Output file. Written under a temporary name and renamed when the run succeeds.");
inline constexpr sf_param_decl kCompressionParam =
    Param::string("compression", "\"auto\"",
                  "\"gzip\" writes BGZF (gzip-compatible, 64 KiB blocks), \"none\" plain text, \"auto\" gzip "
                  "when the path ends in .gz/.bgz.",
                  "auto|none|gzip");
inline constexpr sf_param_decl kLevelParam =
    Param::integer("level", "6", "Compression level, 1 (fastest) to 12 (smallest); libdeflate's scale.");
inline constexpr sf_param_decl kInputSeqParam =
    Param::field("input", "\"seq\"", "String field holding the sequence.");

inline WriterOptions writer_options(CreateContext& ctx) {
  WriterOptions o;
  const std::string compression = ctx.param("compression").as_string();
  const std::string path = ctx.param("path").as_string();
  o.gzip = compression == "gzip" || (compression == "auto" && has_gzip_extension(path));
  o.level = static_cast<int>(ctx.param("level").as_int());
  if (o.level < 1 || o.level > 12) {
    throw Error("level = " + std::to_string(o.level) + " is out of range; use 1 (fastest) to 12 (smallest)");
  }
  return o;
}

/// The `description` field's slot when the pipeline has one, else an empty slot.
inline Slot optional_field(CreateContext& ctx, const std::string& name) {
  try {
    return ctx.field(name);
  } catch (const Error&) {
    return Slot{};
  }
}

class FastaWrite : public Sink<FastaWrite> {
 public:
  static constexpr Info info{
      "fasta_write",
      "Writes FASTA: '>id description' then the sequence, on one line (line_width = 0, the bytes of `seqtk "
      "seq -A`) or wrapped. Plain or BGZF-compressed.",
      "[[stage]]\nname = \"write\"\nplugin = \"dna.fasta_write\"\npath = \"out/reads.fa\"\nline_width = 60\n",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      kOutPathParam,
      kInputSeqParam,
      Param::integer("line_width", "0", "Bases per sequence line; 0 writes each sequence on one line."),
      kCompressionParam,
      kLevelParam,
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "sequence name"),
      Field::reads_optional(nullptr, "description", SF_FIELD_STRING, SF_DTYPE_ANY,
                            "written after the name and a space when present and not empty"),
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
  };

  explicit FastaWrite(CreateContext& ctx)
      : id_(ctx.field("id")),
        description_(optional_field(ctx, "description")),
        seq_(ctx.field_param("input")) {
    WriterOptions o = writer_options(ctx);
    const int64_t width = ctx.param("line_width").as_int();
    if (width < 0) {
      throw Error("line_width = " + std::to_string(width) +
                  " is negative; use 0 (one line per sequence) or a positive width such as 60");
    }
    o.line_width = static_cast<size_t>(width);
    writer_ = std::make_unique<FastxWriter>(ctx.param("path").as_string(), Format::kFasta, o);
  }

  void process(Context&, Record& r) {
    const std::string_view description =
        description_ && r.has(description_) ? r.string(description_) : std::string_view();
    writer_->write(r.string(id_), description, r.string(seq_), {});
  }
  void finish(Context&) { writer_->commit(); }

 private:
  Slot id_;
  Slot description_;
  Slot seq_;
  std::unique_ptr<FastxWriter> writer_;
};

class FastqWrite : public Sink<FastqWrite> {
 public:
  static constexpr Info info{
      "fastq_write",
      "Writes four-line FASTQ: '@id description', sequence, '+' (or '+id description' with repeat_name), "
      "quality. Records read by dna.fastq_read from single-line files come back byte for byte.",
      "[[stage]]\nname = \"write\"\nplugin = \"dna.fastq_write\"\npath = \"out/trimmed.fq.gz\"\n",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      kOutPathParam,
      kInputSeqParam,
      Param::field("quality", "\"qual\"", "String field holding Phred+33 qualities, one per base."),
      Param::integer("quality_offset", "33", "ASCII offset written: 33, or 64 to convert to Phred+64."),
      Param::boolean("repeat_name", "false", "Repeat the header text on the '+' line."),
      kCompressionParam,
      kLevelParam,
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "read name"),
      Field::reads_optional(nullptr, "description", SF_FIELD_STRING, SF_DTYPE_ANY,
                            "written after the name and a space when present and not empty"),
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the bases"),
      Field::reads("quality", "qual", SF_FIELD_STRING, SF_DTYPE_ANY, "Phred+33 qualities"),
  };

  explicit FastqWrite(CreateContext& ctx)
      : id_(ctx.field("id")),
        description_(optional_field(ctx, "description")),
        seq_(ctx.field_param("input")),
        qual_(ctx.field_param("quality")),
        qual_name_(ctx.param("quality").as_string()) {
    WriterOptions o = writer_options(ctx);
    const int64_t offset = ctx.param("quality_offset").as_int();
    if (offset != 33 && offset != 64) {
      throw Error("quality_offset = " + std::to_string(offset) + " is not supported; use 33 or 64");
    }
    o.quality_offset = static_cast<int>(offset);
    o.repeat_name = ctx.param("repeat_name").as_bool();
    writer_ = std::make_unique<FastxWriter>(ctx.param("path").as_string(), Format::kFastq, o);
  }

  void process(Context&, Record& r) {
    const std::string_view description =
        description_ && r.has(description_) ? r.string(description_) : std::string_view();
    if (!r.has(qual_)) {
      throw Error("the record has no quality field '" + qual_name_ +
                  "' (FASTA input?); write it with dna.fasta_write");
    }
    writer_->write(r.string(id_), description, r.string(seq_), r.string(qual_));
  }
  void finish(Context&) { writer_->commit(); }

 private:
  Slot id_;
  Slot description_;
  Slot seq_;
  Slot qual_;
  std::string qual_name_;
  std::unique_ptr<FastxWriter> writer_;
};

}  // namespace seqflow::dna
