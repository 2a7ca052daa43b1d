// audio features against real Kaldi: ../shared/data/audio/kaldi_ref holds compute-*-feats outputs on
// test.wav (a 300-3300 Hz chirp, --dither=0). Kaldi computes in float: its FFT rounding is about float
// epsilon times the frame's peak power, so a bin e^d below its frame's peak carries a relative error near
// 1.2e-7 * e^d (torchaudio in float32 shows the same deviations). The tolerance of a log value v in a
// frame whose largest value is m is therefore 1e-4 + 1.2e-7 * exp(m - v); for MFCC, each coefficient gets
// the DCT- and lifter-weighted sum of its log mel bins' tolerances. PLP is not implemented here.
#include "audio_test_util.hpp"
#include "item_reader.hpp"
#include "kaldi_features.hpp"

using namespace seqflow::audio;

namespace {

std::vector<float> test_wav(const std::string& dir) {
  AudioItem item;
  item.path = dir + "/kaldi_ref/test.wav";
  item.where = item.path;
  ReadOptions o;
  o.scale = 32768.0f;
  ItemReader reader(item, o);
  AudioChunk chunk;
  REQUIRE(reader.next(chunk));
  REQUIRE(chunk.sample_rate == 16000);
  return chunk.samples;
}

KaldiFeatureOptions kaldi_defaults() {
  KaldiFeatureOptions o;
  o.energy_floor = 0.0;  // Kaldi's default (torchaudio's is 1.0)
  return o;
}

double log_tolerance(double v, double row_max) { return 1e-4 + 1.2e-7 * std::exp(row_max - v); }

void compare_log(const std::string& file, KaldiKind kind, const KaldiFeatureOptions& o,
                 const std::vector<float>& wave) {
  INFO(file);
  const auto ref = audio_test::read_kaldi_text(file);
  KaldiFeatures f(kind, o);
  std::vector<float> out;
  const int64_t rows = f.compute(wave, 16000, "1", out);
  const int64_t cols = f.num_cols(16000);
  REQUIRE(rows == static_cast<int64_t>(ref.size()));
  REQUIRE(cols == static_cast<int64_t>(ref[0].size()));
  double worst = 0;
  double worst_abs = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double m = -1e30;
    for (double v : ref[static_cast<size_t>(r)]) m = std::max(m, v);
    for (int64_t c = 0; c < cols; ++c) {
      const double v = ref[static_cast<size_t>(r)][static_cast<size_t>(c)];
      const double err = std::abs(out[static_cast<size_t>(r * cols + c)] - v);
      worst = std::max(worst, err / log_tolerance(v, m));
      worst_abs = std::max(worst_abs, err);
    }
  }
  INFO("worst error / tolerance " << worst << ", worst absolute error " << worst_abs);
  CHECK(worst <= 1.0);
}

}  // namespace

TEST_CASE("fbank and spectrogram equal Kaldi's compute-*-feats on kaldi_ref/test.wav", "[audio][shared]") {
  AUDIO_REQUIRE_SHARED_DATA(dir);
  const std::vector<float> wave = test_wav(dir);
  const std::string ref = dir + "/kaldi_ref/";
  KaldiFeatureOptions o = kaldi_defaults();
  compare_log(ref + "test.txt", KaldiKind::kFbank, o, wave);
  o.mel.num_mel_bins = 40;
  compare_log(ref + "test-40.txt", KaldiKind::kFbank, o, wave);
  o.frame.snip_edges = false;
  compare_log(ref + "test-40-no-snip-edges.txt", KaldiKind::kFbank, o, wave);
  o = kaldi_defaults();
  o.use_energy = true;
  compare_log(ref + "test-with-energy.txt", KaldiKind::kFbank, o, wave);
  o.htk_compat = true;
  compare_log(ref + "test-htk.txt", KaldiKind::kFbank, o, wave);
  o = kaldi_defaults();
  compare_log(ref + "test-spectrogram.txt", KaldiKind::kSpectrogram, o, wave);
  o.frame.snip_edges = false;
  compare_log(ref + "test-spectrogram-no-snip-edges.txt", KaldiKind::kSpectrogram, o, wave);
}

TEST_CASE("mfcc equals Kaldi's compute-mfcc-feats on kaldi_ref/test.wav", "[audio][shared]") {
  AUDIO_REQUIRE_SHARED_DATA(dir);
  const std::vector<float> wave = test_wav(dir);
  for (bool snip : {true, false}) {
    const std::string file =
        dir + (snip ? "/kaldi_ref/test-mfcc.txt" : "/kaldi_ref/test-mfcc-no-snip-edges.txt");
    INFO(file);
    KaldiFeatureOptions o = kaldi_defaults();
    o.use_energy = true;  // compute-mfcc-feats' default
    o.frame.snip_edges = snip;
    KaldiFeatures mfcc(KaldiKind::kMfcc, o);
    KaldiFeatures fbank(KaldiKind::kFbank, o);
    std::vector<float> m;
    std::vector<float> fb;
    const int64_t rows = mfcc.compute(wave, 16000, "1", m);
    fbank.compute(wave, 16000, "1", fb);  // 1 energy column + 23 log mel bins per frame
    const auto ref = audio_test::read_kaldi_text(file);
    REQUIRE(rows == static_cast<int64_t>(ref.size()));
    REQUIRE(ref[0].size() == 13);
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* mel = fb.data() + r * 24 + 1;
      double peak = -1e30;
      for (int i = 0; i < 23; ++i) peak = std::max(peak, static_cast<double>(mel[i]));
      double sum_tol = 0;
      for (int i = 0; i < 23; ++i) sum_tol += log_tolerance(mel[i], peak);
      for (int k = 0; k < 13; ++k) {
        const double lifter = 1.0 + 11.0 * std::sin(M_PI * k / 22.0);
        // C0 is the log energy (use_energy); the others: |DCT weight| <= sqrt(2/23).
        const double tol = k == 0 ? 1e-4 : 1e-4 + lifter * std::sqrt(2.0 / 23) * sum_tol;
        const double err = std::abs(m[static_cast<size_t>(r * 13 + k)] -
                                    ref[static_cast<size_t>(r)][static_cast<size_t>(k)]);
        worst = std::max(worst, err / tol);
      }
    }
    INFO("worst error / tolerance " << worst);
    CHECK(worst <= 1.0);
  }
}
