// dna.revcomp, dna.window and dna.filter: the sequence transforms of the dna module.
//
// What it is: SDK transform components over seq_ops.hpp. Each reads a string field named by `input` and
// writes the field named by `output` (the same field by default). A FASTQ quality field (`quality`,
// optional: FASTA records simply lack it) follows its sequence: reversed by revcomp, cut by window.
// Lifecycle: parameters are checked in the constructor; process() handles one record.
// Threading: dna.filter keeps no state and serves every worker from one instance; dna.revcomp and
// dna.window keep a scratch buffer, so the engine makes one instance per worker.
// Errors: a bad parameter fails stage creation with a message naming the stage; a record whose quality
// length differs from its sequence fails that record.
#pragma once

#include "seq_ops.hpp"

#include <seqflow/sdk.hpp>

#include <string>

namespace seqflow::dna {

inline constexpr sf_param_decl kQualityParam = Param::field(
    "quality", "\"qual\"",
    "Quality field that follows the sequence when a record has it (FASTQ); \"\" to leave qualities alone.");

/// Slot of the field a FIELD parameter names, or an empty slot when the value is "".
inline Slot optional_field_param(CreateContext& ctx, const char* param) {
  const std::string name = ctx.param(param).as_string();
  return name.empty() ? Slot{} : ctx.field(name);
}

inline std::string_view checked_quality(const Record& r, Slot quality, std::string_view seq) {
  if (!quality || !r.has(quality)) return {};
  std::string_view q = r.string(quality);
  if (q.size() != seq.size()) {
    throw Error("the quality has " + std::to_string(q.size()) + " characters but the sequence has " +
                std::to_string(seq.size()) + " bases");
  }
  return q;
}

class RevComp : public Transform<RevComp> {
 public:
  static constexpr Info info{"revcomp",
                             "Reverse complement with IUPAC codes (R<->Y, K<->M, B<->V, D<->H; S, W, N stay; "
                             "U -> A; case kept; other bytes such as gaps are kept in place in the reversed "
                             "order). The quality, when present, is reversed.",
                             "[[stage]]\nname = \"minus_strand\"\nplugin = \"dna.revcomp\"\n", 0, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::field("output", "\"seq\"", "String field for the reverse complement; may equal input."),
      kQualityParam,
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
      Field::writes("output", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "its reverse complement"),
      Field::reads_optional("quality", "qual", SF_FIELD_STRING, SF_DTYPE_ANY, "qualities, reversed in place"),
  };

  explicit RevComp(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        quality_(optional_field_param(ctx, "quality")) {}

  void process(Context&, Record& r) {
    const std::string_view seq = r.string(input_);
    const std::string_view qual = checked_quality(r, quality_, seq);
    scratch_.resize(seq.size() + qual.size());
    reverse_complement(seq, scratch_.data());
    reverse(qual, scratch_.data() + seq.size());
    // Set the sequence last: when output == input it replaces the field `seq` points into.
    if (!qual.empty()) r.set_string(quality_, std::string_view(scratch_).substr(seq.size()));
    r.set_string(output_, std::string_view(scratch_).substr(0, seq.size()));
  }

 private:
  Slot input_;
  Slot output_;
  Slot quality_;
  std::string scratch_;
};

class Window : public Transform<Window> {
 public:
  static constexpr Info info{
      "window",
      "Cuts each sequence into windows of `length` bases starting at 0, stride, 2*stride, ...; the windows "
      "stop with the first one that reaches the end of the sequence (it may be shorter than `length`). Each "
      "window becomes a record (other fields copied) with id '<source id>:<offset>', the 0-based offset and "
      "the source id; the input record is replaced. An empty sequence gives no window.",
      "[[stage]]\nname = \"tiles\"\nplugin = \"dna.window\"\nlength = 512\nstride = 256\n", SF_FLAG_SPLITS,
      0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::field("output", "\"seq\"", "String field for the window's bases; may equal input."),
      kQualityParam,
      Param::integer("length", nullptr, "Window length L in bases (1 or more)."),
      Param::integer("stride", "0", "Distance S between window starts; 0 means S = L (no overlap)."),
      Param::field("offset_output", "\"offset\"", "Int field for the window's 0-based start in its source."),
      Param::field("source_output", "\"source_id\"", "String field for the source record's id."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
      Field::reads_optional("quality", "qual", SF_FIELD_STRING, SF_DTYPE_ANY,
                            "qualities, cut like the sequence"),
      Field::writes("output", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the window's bases"),
      Field::writes("offset_output", "offset", SF_FIELD_INT, SF_DTYPE_ANY, "0-based start of the window"),
      Field::writes("source_output", "source_id", SF_FIELD_STRING, SF_DTYPE_ANY, "id of the source record"),
  };

  explicit Window(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        quality_(optional_field_param(ctx, "quality")),
        offset_(optional_field_param(ctx, "offset_output")),
        source_(optional_field_param(ctx, "source_output")),
        id_(ctx.field("id")),
        plan_{0, 0} {
    const int64_t length = ctx.param("length").as_int();
    const int64_t stride = ctx.param("stride").as_int();
    if (length < 1) {
      throw Error("length = " + std::to_string(length) + " must be 1 or more");
    }
    if (stride < 0) {
      throw Error("stride = " + std::to_string(stride) +
                  " is negative; use 0 (= length, no overlap) or a positive step");
    }
    plan_.length = static_cast<size_t>(length);
    plan_.stride = stride == 0 ? plan_.length : static_cast<size_t>(stride);
  }

  void process(Context& ctx, Record& r) {
    // The copies made by emit() share the source's field storage, so these views stay valid.
    const std::string_view seq = r.string(input_);
    const std::string_view qual = checked_quality(r, quality_, seq);
    const std::string_view id = r.string(id_);
    const size_t n = seq.size();
    const size_t count = plan_.count(n);
    for (size_t i = 0; i < count; ++i) {
      const size_t start = plan_.start(i);
      const size_t size = plan_.size(i, n);
      Record w = ctx.emit(&r);
      w.set_string(output_, seq.substr(start, size));
      if (!qual.empty()) w.set_string(quality_, qual.substr(start, size));
      if (offset_) w.set_int(offset_, static_cast<int64_t>(start));
      if (source_) w.set_string(source_, id);
      name_.assign(id).append(1, ':').append(std::to_string(start));
      w.set_string(id_, name_);
    }
    ctx.drop(r);
  }

 private:
  Slot input_;
  Slot output_;
  Slot quality_;
  Slot offset_;
  Slot source_;
  Slot id_;
  WindowPlan plan_;
  std::string name_;
};

class Filter : public Transform<Filter> {
 public:
  static constexpr Info info{
      "filter",
      "Keeps records whose sequence length lies in [min_length, max_length] and whose fraction of N/n bases "
      "is at most max_n_fraction; drops the others (counted as filtered).",
      "[[stage]]\nname = \"clean\"\nplugin = \"dna.filter\"\nmin_length = 50\nmax_n_fraction = 0.1\n",
      SF_FLAG_THREAD_SAFE | SF_FLAG_FILTERS, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::integer("min_length", "0", "Shortest sequence kept, in bases."),
      Param::integer("max_length", "0", "Longest sequence kept, in bases; 0 means no limit."),
      Param::real(
          "max_n_fraction", "1.0",
          "Largest fraction of N bases kept, 0 to 1 (1 keeps all; an empty sequence has fraction 0)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence tested"),
  };

  explicit Filter(CreateContext& ctx) : input_(ctx.field_param("input")) {
    const std::string stage = "";
    const int64_t min = ctx.param("min_length").as_int();
    const int64_t max = ctx.param("max_length").as_int();
    max_n_ = ctx.param("max_n_fraction").as_float();
    if (min < 0) throw Error("min_length = " + std::to_string(min) + " is negative; use 0 or more");
    if (max < 0)
      throw Error("max_length = " + std::to_string(max) + " is negative; use 0 (no limit) or more");
    if (max > 0 && max < min) {
      throw Error("max_length = " + std::to_string(max) + " is below min_length = " + std::to_string(min) +
                  ", which would drop every record");
    }
    if (!(max_n_ >= 0.0 && max_n_ <= 1.0)) {
      throw Error("max_n_fraction = " + std::to_string(max_n_) + " must lie between 0 and 1");
    }
    min_ = static_cast<size_t>(min);
    max_ = max == 0 ? SIZE_MAX : static_cast<size_t>(max);
  }

  void process(Context& ctx, Record& r) {
    const std::string_view seq = r.string(input_);
    const size_t n = seq.size();
    const bool keep = n >= min_ && n <= max_ &&
                      (n == 0 || static_cast<double>(count_n(seq)) <= max_n_ * static_cast<double>(n));
    if (!keep) ctx.drop(r);
  }

 private:
  Slot input_;
  size_t min_ = 0;
  size_t max_ = SIZE_MAX;
  double max_n_ = 1.0;
};

}  // namespace seqflow::dna
