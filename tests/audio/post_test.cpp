// CMVN, energy VAD and dither: hand-computed expectations.
#include "audio_test_util.hpp"
#include "cmvn.hpp"
#include "kaldi_features.hpp"
#include "sound_file.hpp"
#include "vad.hpp"

using namespace seqflow::audio;

TEST_CASE("per-utterance CMVN: mean 0 and unit variance, by hand", "[audio]") {
  // Columns (1, 2, 3) and (10, 10, 40): means 2 and 20, variances 2/3 and 200.
  std::vector<float> x = {1, 10, 2, 10, 3, 40};
  const CmvnStats s = utterance_stats(x.data(), 3, 2);
  CHECK(s.mean[0] == Approx(2.0));
  CHECK(s.mean[1] == Approx(20.0));
  CHECK(s.std[0] == Approx(std::sqrt(2.0 / 3)));
  CHECK(s.std[1] == Approx(std::sqrt(200.0)));
  apply_cmvn(x.data(), 3, 2, s, true, true);
  CHECK(x[0] == Approx(-1.0 / std::sqrt(2.0 / 3)));
  CHECK(x[5] == Approx(20.0 / std::sqrt(200.0)));
}

TEST_CASE("global CMVN statistics: Kaldi text, JSON, WeNet JSON and .npy give the same numbers", "[audio]") {
  audio_test::TempDir dir;
  // Kaldi stats of the frames (1, 10), (3, 30): sums 4 40, count 2; sums of squares 10 1000.
  audio_test::spit(dir / "cmvn.ark", "global  [\n  4 40 2\n  10 1000 0 ]\n");
  audio_test::spit(dir / "wenet.json", R"({"mean_stat": [4, 40], "var_stat": [10, 1000], "frame_num": 2})");
  audio_test::spit(dir / "plain.json", R"({"mean": [2, 20], "std": [1, 10]})");
  // .npy (version 1.0, float64, shape (2, 2)): mean row (2, 20), std row (1, 10).
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8);
  npy += static_cast<char>(header.size() & 0xff);
  npy += static_cast<char>(header.size() >> 8);
  npy += header;
  for (double v : {2.0, 20.0, 1.0, 10.0}) npy.append(reinterpret_cast<const char*>(&v), 8);
  audio_test::spit(dir / "stats.npy", npy);
  for (const char* f : {"cmvn.ark", "wenet.json", "plain.json", "stats.npy"}) {
    INFO(f);
    const CmvnStats s = load_cmvn_stats(dir / f);
    REQUIRE(s.mean.size() == 2);
    CHECK(s.mean[0] == Approx(2.0));
    CHECK(s.mean[1] == Approx(20.0));
    CHECK(s.std[0] == Approx(1.0));
    CHECK(s.std[1] == Approx(10.0));
  }
  audio_test::spit(dir / "bad.ark", "[ 1 2 3 ]");
  CHECK_THROWS_WITH(load_cmvn_stats(dir / "bad.ark"), Catch::Contains("2 rows of D+1 numbers"));
  audio_test::spit(dir / "bad.json", R"({"mean": [1, 2], "std": [1]})");
  CHECK_THROWS_WITH(load_cmvn_stats(dir / "bad.json"), Catch::Contains("differ in length"));
  CHECK_THROWS_WITH(load_cmvn_stats(dir / "none.json"), Catch::Contains("cannot open"));
}

TEST_CASE("energy VAD follows Kaldi's compute-vad rule, by hand", "[audio]") {
  // Energies 0 10 10 0 10 0: mean 5, threshold 5 + 0.5 * 5 = 7.5.
  const std::vector<float> e = {0, 10, 10, 0, 10, 0};
  VadOptions o;
  CHECK(energy_vad(e.data(), 6, 1, o) == std::vector<float>{0, 1, 1, 0, 1, 0});
  // Context 1: frame t votes over t-1..t+1 (clipped); voiced when >= 60% of them exceed 7.5.
  o.vad_frames_context = 1;
  // t0: {0,10} 1/2 < 0.6 -> 0; t1: {0,10,10} 2/3 -> 1; t2: {10,10,0} -> 1; t3: {10,0,10} -> 1;
  // t4: {0,10,0} 1/3 -> 0; t5: {10,0} 1/2 -> 0.
  CHECK(energy_vad(e.data(), 6, 1, o) == std::vector<float>{0, 1, 1, 1, 0, 0});
  CHECK(energy_vad(e.data(), 0, 1, o).empty());
}

TEST_CASE("dither is deterministic per (seed, record id) and has the requested size", "[audio]") {
  std::vector<float> wave(16000, 0.0f);  // digital silence: the output is the dither alone
  KaldiFeatureOptions o;
  o.frame.dither = 1.0;
  o.frame.remove_dc_offset = false;
  o.frame.preemphasis_coefficient = 0.0;
  o.frame.window_type = WindowType::kRectangular;
  o.use_energy = true;
  o.raw_energy = true;
  o.energy_floor = 0.0;
  KaldiFeatures a(KaldiKind::kFbank, o);
  KaldiFeatures b(KaldiKind::kFbank, o);
  std::vector<float> x;
  std::vector<float> y;
  std::vector<float> z;
  const int64_t rows = a.compute(wave, 16000, "utt1", x);
  b.compute(wave, 16000, "utt1", y);
  CHECK(x == y);
  b.compute(wave, 16000, "utt2", z);
  CHECK(x != z);
  // Energy of 400 N(0, 1) samples: log(400) on average.
  double mean = 0;
  for (int64_t r = 0; r < rows; ++r) mean += x[static_cast<size_t>(r * 24)];
  mean /= static_cast<double>(rows);
  CHECK(mean == Approx(std::log(400.0)).margin(0.02));
}
