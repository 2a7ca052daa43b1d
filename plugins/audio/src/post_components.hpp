// audio.cmvn, audio.chunk and audio.vad_energy: what runs on features before a model.
//
// audio.cmvn: mean (and variance) normalisation of an f32 [T, D] field, per record or with global
// statistics (see cmvn.hpp for the file formats). audio.chunk: fixed windows of length rows along time of
// an f32 [T] waveform or [T, D] features, with overlap; each window becomes a record. audio.vad_energy:
// Kaldi's compute-vad on one column of log energies (column 0 of MFCC with use_energy, or of fbank with
// use_energy), writing 0/1 per frame and optionally keeping only the voiced frames
// (Kaldi's select-voiced-frames).
// Lifecycle: parameters and statistics files are checked/loaded in the constructors; process() per record.
// Threading: audio.cmvn and audio.vad_energy keep no per-record state and are shared by all workers;
// audio.chunk too. Errors: bad parameters or statistics fail stage creation naming the file; a record of
// the wrong shape (or a dimension differing from the statistics) fails alone.
#pragma once

#include "cmvn.hpp"
#include "sound_file.hpp"
#include "vad.hpp"

#include <seqflow/sdk.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace seqflow::audio {

/// The [rows, cols] view of a 1-D or 2-D f32 tensor field.
struct Matrix {
  const float* data;
  int64_t rows;
  int64_t cols;
  bool vector;
};

inline Matrix matrix_of(const Record& r, Slot field, const std::string& name) {
  const Tensor t = r.tensor(field);
  if (t.dtype() != SF_DTYPE_F32 || t.ndim() < 1 || t.ndim() > 2) {
    throw Error("field '" + name + "' must be f32 [T] or [T, D]; it is " + dtype_name(t.dtype()) + " with " +
                std::to_string(t.ndim()) + " dimension(s)");
  }
  return Matrix{t.data<float>().data(), t.dim(0), t.ndim() == 2 ? t.dim(1) : 1, t.ndim() == 1};
}

class Cmvn : public Transform<Cmvn> {
 public:
  static constexpr Info info{
      "cmvn",
      "Cepstral mean (and variance) normalisation of f32 [T, D] features: per record (Kaldi's apply-cmvn "
      "with per-utterance stats) or with global statistics: a Kaldi cmvn-stats text matrix, a JSON of "
      "\"mean\"/\"std\" (or WeNet's mean_stat/var_stat/frame_num) or a .npy of shape [2, D] (mean; std).",
      "[[stage]]\nname = \"cmvn\"\nplugin = \"audio.cmvn\"\ninput = \"fbank\"\nstats = \"global_cmvn.json\"\n"
      "norm_vars = true\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"fbank\"", "f32 [T, D] feature field."),
      Param::field("output", "\"\"", "Field for the normalised features; \"\" = the input field."),
      Param::path("stats", "\"\"", "Global statistics file; \"\" = each record's own mean and variance."),
      Param::boolean("norm_means", "true", "Subtract the mean."),
      Param::boolean("norm_vars", "false", "Divide by the standard deviation (needs norm_means)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "fbank", SF_FIELD_TENSOR, SF_DTYPE_F32, "features f32 [T, D]"),
      Field::writes("output", "", SF_FIELD_TENSOR, SF_DTYPE_F32, "normalised features f32 [T, D]"),
  };

  explicit Cmvn(CreateContext& ctx)
      : input_name_(ctx.param("input").as_string()),
        input_(ctx.field(input_name_)),
        output_(ctx.param("output").as_string().empty() ? input_ : ctx.field_param("output")),
        norm_means_(ctx.param("norm_means").as_bool()),
        norm_vars_(ctx.param("norm_vars").as_bool()) {
    if (norm_vars_ && !norm_means_)
      throw Error("norm_vars = true needs norm_means = true (as Kaldi's apply-cmvn)");
    const std::string stats = ctx.param("stats").as_string();
    if (!stats.empty()) {
      try {
        global_ = load_cmvn_stats(stats);
      } catch (const AudioError& e) {
        throw Error(e.what(), SF_ERR_IO);
      }
      have_global_ = true;
    }
  }

  void process(Context&, Record& r) {
    const Matrix m = matrix_of(r, input_, input_name_);
    if (m.vector) throw Error("field '" + input_name_ + "' is 1-D; audio.cmvn normalises [T, D] features");
    if (have_global_ && static_cast<size_t>(m.cols) != global_.mean.size()) {
      throw Error("the features have " + std::to_string(m.cols) + " columns but the CMVN statistics have " +
                  std::to_string(global_.mean.size()));
    }
    std::vector<float> data(m.data, m.data + m.rows * m.cols);
    const CmvnStats stats = have_global_ ? global_ : utterance_stats(data.data(), m.rows, m.cols);
    if (m.rows > 0) apply_cmvn(data.data(), m.rows, m.cols, stats, norm_means_, norm_vars_);
    std::span<float> dst = r.make_tensor<float>(output_, {m.rows, m.cols});
    std::copy(data.begin(), data.end(), dst.begin());
  }

 private:
  std::string input_name_;
  Slot input_;
  Slot output_;
  bool norm_means_;
  bool norm_vars_;
  bool have_global_ = false;
  CmvnStats global_;
};

class Chunk : public Transform<Chunk> {
 public:
  static constexpr Info info{
      "chunk",
      "Cuts an f32 [T] waveform or [T, D] features into windows of `length` rows starting at 0, length - "
      "overlap, ...; each window becomes a record (other fields copied) with id '<id>:<index>' and its first "
      "row in chunk_start. The last window may be shorter (keep_last) or is dropped when shorter; a record "
      "with T = 0 gives no window.",
      "[[stage]]\nname = \"windows\"\nplugin = \"audio.chunk\"\ninput = \"fbank\"\nlength = 1000\noverlap = "
      "100\n",
      SF_FLAG_SPLITS | SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"audio\"", "f32 [T] or [T, D] field to cut along its first dimension."),
      Param::integer("length", nullptr, "Rows (samples or frames) per window, 1 or more."),
      Param::integer("overlap", "0", "Rows shared by consecutive windows, below length."),
      Param::boolean("keep_last", "true",
                     "Keep a shorter last window (false: drop it, every window is full)."),
      Param::field("start_output", "\"chunk_start\"", "Int field for the window's first row in its record."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "the sequence to cut"),
      Field::reads(nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY, "source id; windows get '<id>:<index>'"),
      Field::writes("start_output", "chunk_start", SF_FIELD_INT, SF_DTYPE_ANY, "first row of the window"),
  };

  explicit Chunk(CreateContext& ctx)
      : input_name_(ctx.param("input").as_string()),
        input_(ctx.field(input_name_)),
        start_(ctx.field_param("start_output")),
        id_(ctx.field("id")),
        length_(ctx.param("length").as_int()),
        overlap_(ctx.param("overlap").as_int()),
        keep_last_(ctx.param("keep_last").as_bool()) {
    if (length_ < 1) throw Error("length = " + std::to_string(length_) + " must be 1 or more");
    if (overlap_ < 0 || overlap_ >= length_) {
      throw Error("overlap = " + std::to_string(overlap_) +
                  " must be 0 or more and below length = " + std::to_string(length_));
    }
  }

  void process(Context& ctx, Record& r) {
    const Matrix m = matrix_of(r, input_, input_name_);
    const std::string id(r.string(id_));
    const int64_t step = length_ - overlap_;
    int64_t index = 0;
    for (int64_t start = 0; start < m.rows; start += step, ++index) {
      const int64_t rows = std::min(length_, m.rows - start);
      if (rows < length_ && !keep_last_) break;
      Record w = ctx.emit(&r);
      const float* src = m.data + start * m.cols;
      std::span<float> dst =
          m.vector ? w.make_tensor<float>(input_, {rows}) : w.make_tensor<float>(input_, {rows, m.cols});
      std::copy(src, src + rows * m.cols, dst.begin());
      w.set_int(start_, start);
      w.set_string(id_, id + ":" + std::to_string(index));
      if (start + rows >= m.rows) break;
    }
    ctx.drop(r);
  }

 private:
  std::string input_name_;
  Slot input_;
  Slot start_;
  Slot id_;
  int64_t length_;
  int64_t overlap_;
  bool keep_last_;
};

class VadEnergy : public Transform<VadEnergy> {
 public:
  static constexpr Info info{
      "vad_energy",
      "Kaldi's compute-vad energy rule on one column of log energies (MFCC or fbank computed with "
      "use_energy, "
      "column 0): writes f32 [T] of 1 (voiced) / 0; with select = true the input keeps only the voiced "
      "frames "
      "(Kaldi's select-voiced-frames).",
      "[[stage]]\nname = \"vad\"\nplugin = \"audio.vad_energy\"\ninput = \"mfcc\"\nselect = true\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"mfcc\"", "f32 [T, D] features holding the log energy."),
      Param::field("output", "\"vad\"", "Field for the f32 [T] decisions (1 voiced, 0 not)."),
      Param::integer("energy_column", "0", "Column of the log energy (the last one with htk_compat)."),
      Param::real("vad_energy_threshold", "5.0", "Constant term of the energy threshold."),
      Param::real("vad_energy_mean_scale", "0.5",
                  "Times the record's mean log energy, added to the threshold."),
      Param::integer("vad_frames_context", "0", "Frames on each side that vote with a frame."),
      Param::real("vad_proportion_threshold", "0.6",
                  "Share of the voting frames that must exceed the threshold."),
      Param::boolean("select", "false", "Keep only the voiced frames in the input field."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "mfcc", SF_FIELD_TENSOR, SF_DTYPE_F32, "features f32 [T, D]"),
      Field::writes("output", "vad", SF_FIELD_TENSOR, SF_DTYPE_F32, "f32 [T]: 1 voiced, 0 not"),
  };

  explicit VadEnergy(CreateContext& ctx)
      : input_name_(ctx.param("input").as_string()),
        input_(ctx.field(input_name_)),
        output_(ctx.field_param("output")),
        column_(ctx.param("energy_column").as_int()),
        select_(ctx.param("select").as_bool()) {
    o_.vad_energy_threshold = ctx.param("vad_energy_threshold").as_float();
    o_.vad_energy_mean_scale = ctx.param("vad_energy_mean_scale").as_float();
    const int64_t context = ctx.param("vad_frames_context").as_int();
    o_.vad_proportion_threshold = ctx.param("vad_proportion_threshold").as_float();
    if (context < 0 || context > 100000) throw Error("vad_frames_context must be 0 or more");
    o_.vad_frames_context = static_cast<int>(context);
    if (!(o_.vad_proportion_threshold > 0 && o_.vad_proportion_threshold < 1)) {
      throw Error("vad_proportion_threshold must lie strictly between 0 and 1 (Kaldi's check)");
    }
    if (column_ < 0) throw Error("energy_column must be 0 or more");
  }

  void process(Context&, Record& r) {
    const Matrix m = matrix_of(r, input_, input_name_);
    if (column_ >= m.cols) {
      throw Error("energy_column = " + std::to_string(column_) + " but '" + input_name_ + "' has " +
                  std::to_string(m.cols) + " column(s)");
    }
    const std::vector<float> voiced = energy_vad(m.data + column_, m.rows, m.cols, o_);
    std::vector<float> kept;
    int64_t rows = 0;
    if (select_) {
      for (int64_t t = 0; t < m.rows; ++t) {
        if (voiced[static_cast<size_t>(t)] == 0.0f) continue;
        kept.insert(kept.end(), m.data + t * m.cols, m.data + (t + 1) * m.cols);
        ++rows;
      }
    }
    std::span<float> out = r.make_tensor<float>(output_, {m.rows});
    std::copy(voiced.begin(), voiced.end(), out.begin());
    if (select_) {
      std::span<float> dst =
          m.vector ? r.make_tensor<float>(input_, {rows}) : r.make_tensor<float>(input_, {rows, m.cols});
      std::copy(kept.begin(), kept.end(), dst.begin());
    }
  }

 private:
  std::string input_name_;
  Slot input_;
  Slot output_;
  int64_t column_;
  bool select_;
  VadOptions o_;
};

}  // namespace seqflow::audio
