// Cepstral mean and variance normalisation: per record, or with global statistics shipped with a model.
//
// Global statistics files: a Kaldi cmvn-stats matrix in text form ("[ s_1 .. s_D n \n q_1 .. q_D 0 ]",
// sums, frame count and sums of squares, as `compute-cmvn-stats --binary=false` writes; an ark key before
// '[' is allowed), a JSON file with "mean" and "std" arrays or WeNet's "mean_stat", "var_stat",
// "frame_num", or a .npy of shape [2, D] (row 0 mean, row 1 std; f4 or f8, little-endian, C order).
// Variances are floored at 1e-20, as Kaldi's apply-cmvn does.
// Lifecycle: load_cmvn_stats() once at stage creation; apply_cmvn() per record.
// Threading: plain functions. Errors: AudioError "FILE: what is wrong" (from sound_file.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seqflow::audio {

struct CmvnStats {
  std::vector<double> mean;
  std::vector<double> std;
};

CmvnStats load_cmvn_stats(const std::string& path);
/// Statistics of the record's own frames ([rows, cols] row-major).
CmvnStats utterance_stats(const float* data, int64_t rows, int64_t cols);
/// x = x - mean (norm_means), then / std (norm_vars; Kaldi requires norm_means with it), in place.
void apply_cmvn(float* data, int64_t rows, int64_t cols, const CmvnStats& stats, bool norm_means,
                bool norm_vars);

}  // namespace seqflow::audio
