// dna.fasta_read and dna.fastq_read: the sources of the dna module.
//
// What it is: SDK source components over FastxReader. Each reads its files in the order given (globs
// expand in sorted order), emitting one record per sequence with fields id, description, seq and (FASTQ)
// qual. Compression is detected from the content, not the name.
// Lifecycle: the constructor expands the paths and checks that they exist; read() opens one file at a time.
// Threading: sources are serial; one instance.
// Errors: a malformed record throws seqflow::Error "FILE:record N (line L): what; what to do". With
// on_error = "skip" a malformed record is reported with ctx.input_skipped() and reading goes on with the
// next record; a damaged stream (truncated gzip, binary data) is reported and reading goes on with the
// next file. A missing file is always an error.
#pragma once

#include "fastx_reader.hpp"
#include "fastx_resync.hpp"

#include <seqflow/sdk.hpp>
#include <seqflow/shard.hpp>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace seqflow::dna {

/// Expands glob patterns (sorted) and checks that plain paths exist. Throws seqflow::Error.
inline std::vector<std::string> expand_paths(const std::vector<std::string>& patterns) {
  std::vector<std::string> files;
  for (const std::string& p : patterns) {
    if (p.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      const int rc = ::glob(p.c_str(), 0, nullptr, &g);
      std::vector<std::string> found(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
      globfree(&g);
      if (found.empty()) {
        throw Error("the pattern '" + p + "' matches no file; check the path");
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
      continue;
    }
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      throw Error(
          "input file '" + p +
              "' does not exist; check the path (relative paths resolve against the pipeline file's folder)",
          SF_ERR_IO);
    }
    files.push_back(p);
  }
  if (files.empty()) throw Error("paths is empty; name at least one file");
  return files;
}

template <class Self, Format kFormat>
class FastxSource : public Source<Self> {
 public:
  // Fields no stage reads (qualities on the way to FASTA, say) are not filled: less copying, and fewer
  // cache lines crossing to the cores that run the other stages.
  explicit FastxSource(CreateContext& ctx)
      : files_(expand_paths(ctx.param("paths").as_strings())), id_(ctx.field("id")) {
    if (ctx.field_is_read("seq")) seq_ = ctx.field("seq");
    const std::string description = ctx.param("description_field").as_string();
    if (!description.empty() && ctx.field_is_read(description)) description_ = ctx.field(description);
    if constexpr (kFormat == Format::kFastq) {
      if (ctx.field_is_read("qual")) qual_ = ctx.field("qual");
      const int64_t offset = ctx.param("quality_offset").as_int();
      if (offset != 33 && offset != 64) {
        throw Error("quality_offset = " + std::to_string(offset) +
                    " is not supported; use 33 (Sanger/Illumina 1.8+) or 64 (Illumina 1.3-1.7)");
      }
      options_.quality_offset = static_cast<int>(offset);
    }
    const int64_t max_bytes = ctx.param("max_record_bytes").as_int();
    if (max_bytes < 4096) {
      throw Error("max_record_bytes = " + std::to_string(max_bytes) + " is too small; use 4096 or more");
    }
    options_.max_record_bytes = static_cast<size_t>(max_bytes);
    options_.prefetch = ctx.param("decompress_thread").as_bool();
    plan_shard(ctx.shard());
  }

  bool read(Context& ctx, uint32_t max) {
    uint32_t emitted = 0;
    FastxRecord r;
    while (emitted < max) {
      if (!reader_) {
        if (next_file_ == files_.size()) return false;
        try {
          reader_ = open_next();
        } catch (const FormatError& e) {
          throw Error(e.reason(), SF_ERR_IO);
        } catch (const InputError& e) {
          throw Error(e.what(), SF_ERR_IO);
        }
      }
      bool got = false;
      try {
        got = reader_->next(r);
      } catch (const FormatError& e) {
        if (!ctx.skip_errors()) {
          throw Error(e.recoverable()
                          ? std::string(e.what()) + " (on_error = \"skip\" would skip this record)"
                          : std::string(e.what()));
        }
        ctx.input_skipped(e.where(),
                          e.recoverable() ? e.reason() : e.reason() + " (the rest of the file is skipped)");
        if (!e.recoverable()) reader_.reset();
        continue;
      }
      if (!got) {
        reader_.reset();
        continue;
      }
      Record out = ctx.emit();
      out.set_string(id_, r.id);
      if (description_) out.set_string(description_, r.description);
      if (seq_) out.set_string(seq_, r.seq);
      if constexpr (kFormat == Format::kFastq) {
        if (qual_) out.set_string(qual_, r.qual);
      }
      ++emitted;
    }
    return true;
  }

 private:
  // --shard-by file keeps this shard's whole files; --shard-by bytes keeps its byte spans (plain or BGZF
  // files only: a gzip stream cannot be entered in the middle), whose record boundaries are found when a
  // span is opened.
  void plan_shard(const Shard& shard) {
    if (!shard.split()) return;
    const std::vector<uint64_t> sizes = file_sizes(files_);
    std::vector<std::string> mine;
    if (shard.by == SF_SHARD_FILE) {
      for (size_t j : shard_files(sizes, shard.index, shard.count)) mine.push_back(files_[j]);
      files_ = std::move(mine);
      return;
    }
    for (const std::string& f : files_) {
      const Compression kind = sniff_compression(f);
      if (kind == Compression::kGzip)
        throw ParamError("paths", "'" + f +
                                      "' is gzip but not BGZF, so --shard-by bytes cannot enter it in the "
                                      "middle; recompress it with bgzip (or dna.fastq_write to a .gz path), "
                                      "or use --shard-by file or record");
    }
    for (const ByteSpan& span : shard_byte_spans(sizes, shard.index, shard.count)) {
      mine.push_back(files_[span.file]);
      spans_.push_back({span.begin, span.end});
    }
    files_ = std::move(mine);
  }

  std::unique_ptr<FastxReader> open_next() {
    const std::string& path = files_[next_file_];
    if (spans_.empty()) return FastxReader::open(files_[next_file_++], kFormat, options_);
    const auto [begin, end] = spans_[next_file_++];
    const Compression kind = sniff_compression(path);
    const VirtualOffset from = resync(path, kind, kFormat, begin), to = resync(path, kind, kFormat, end);
    ReaderOptions o = options_;
    if (kind == Compression::kNone) o.prefetch = false;
    return std::make_unique<FastxReader>(open_input_range(path, kind, from, to), path, kFormat, o);
  }

  std::vector<std::string> files_;
  std::vector<std::pair<uint64_t, uint64_t>> spans_;  // --shard-by bytes: the raw range of each files_ entry
  size_t next_file_ = 0;
  ReaderOptions options_;
  std::unique_ptr<FastxReader> reader_;
  Slot id_;
  Slot seq_;
  Slot description_;
  Slot qual_;
};

// Parameters both readers take.
inline constexpr sf_param_decl kPathsParam =
    Param::paths("paths", nullptr,
                 "Files to read, in order; plain, gzip or BGZF (detected from the content). Glob patterns "
                 "(*, ?, [..]) expand in sorted order.");
inline constexpr sf_param_decl kDescriptionParam = Param::field(
    "description_field", "\"description\"",
    "Field for the header text after the name (\"\" when there is none); set it to \"\" to skip the field.");
inline constexpr sf_param_decl kMaxRecordParam =
    Param::integer("max_record_bytes", "4294967296",
                   "Longest FASTQ record or FASTA line accepted, in bytes: a guard against binary input.");
inline constexpr sf_param_decl kThreadParam = Param::boolean(
    "decompress_thread", "true", "Decompress gzip/BGZF input on a separate thread, overlapping parsing.");

class FastaRead : public FastxSource<FastaRead, Format::kFasta> {
 public:
  using FastxSource::FastxSource;
  static constexpr Info info{
      "fasta_read",
      "Reads FASTA files (multi-line, CRLF, lower case and IUPAC codes kept as they are, empty sequences) in "
      "bounded memory. The header splits at the first space or tab into id and description. Splits by file "
      "or by bytes (plain or BGZF) under --shard-by.",
      "[[stage]]\nname = \"read\"\nplugin = \"dna.fasta_read\"\npaths = [\"genomes/*.fa.gz\"]\n",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES | SF_FLAG_SHARDS_BYTES, 1};
  static constexpr sf_param_decl params[] = {kPathsParam, kDescriptionParam, kMaxRecordParam, kThreadParam};
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "sequence name: header text up to the first space"),
      Field::writes("description_field", "description", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "header text after the name"),
      Field::writes(nullptr, "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence, lines joined"),
  };
};

class FastqRead : public FastxSource<FastqRead, Format::kFastq> {
 public:
  using FastxSource::FastxSource;
  static constexpr Info info{
      "fastq_read",
      "Reads FASTQ files (single- or multi-line, CRLF, the name repeated on the '+' line, Phred+33 or +64) "
      "in bounded memory. Qualities reach the record as Phred+33 whatever the input offset. Splits by file "
      "or "
      "by bytes (plain or BGZF; a record boundary is found even where qualities start with '@') under "
      "--shard-by.",
      "[[stage]]\nname = \"read\"\nplugin = \"dna.fastq_read\"\npaths = [\"reads_1.fq.gz\"]\n",
      SF_FLAG_SERIAL | SF_FLAG_SHARDS_FILES | SF_FLAG_SHARDS_BYTES, 1};
  static constexpr sf_param_decl params[] = {
      kPathsParam,
      kDescriptionParam,
      kMaxRecordParam,
      kThreadParam,
      Param::integer("quality_offset", "33",
                     "ASCII offset of the input qualities: 33 (Sanger, Illumina 1.8+) or 64 (Illumina "
                     "1.3-1.7); 64 is converted to Phred+33."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "read name: header text up to the first space"),
      Field::writes("description_field", "description", SF_FIELD_STRING, SF_DTYPE_ANY,
                    "header text after the name"),
      Field::writes(nullptr, "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the bases"),
      Field::writes(nullptr, "qual", SF_FIELD_STRING, SF_DTYPE_ANY, "Phred+33 qualities, one per base"),
  };
};

}  // namespace seqflow::dna
