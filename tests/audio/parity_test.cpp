// KaldiFeatures and LogMel against the fixtures of make_fixtures.py: torchaudio.compliance.kaldi
// (float64) for spectrogram/fbank/mfcc, openai/whisper's formula and torch.stft + melscale_fbanks for
// log_mel, on seeded random signals (inputs committed) and on the first seconds of the shared real
// recordings (decoded here by ItemReader; skipped when ../shared/data is absent).
// Tolerance per case (cases.json): 1e-4 absolute on log features (fbank, spectrogram, MFCC), 1e-5 on
// log-mel, relative 1e-5 on linear mel energies.
#include "audio_test_util.hpp"
#include "item_reader.hpp"
#include "kaldi_features.hpp"
#include "log_mel.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

using namespace seqflow::audio;
using nlohmann::json;

namespace {

const json& cases() {
  static const json j = [] {
    std::ifstream in(std::string(AUDIO_FIXTURES) + "/cases.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

KaldiFeatureOptions kaldi_options(const json& o) {
  KaldiFeatureOptions k;
  k.frame.blackman_coeff = o.value("blackman_coeff", 0.42);
  k.frame.dither = o.value("dither", 0.0);
  k.frame.frame_length = o.value("frame_length", 25.0);
  k.frame.frame_shift = o.value("frame_shift", 10.0);
  k.frame.preemphasis_coefficient = o.value("preemphasis_coefficient", 0.97);
  k.frame.remove_dc_offset = o.value("remove_dc_offset", true);
  k.frame.window_type = parse_window_type(o.value("window_type", std::string("povey")));
  k.frame.round_to_power_of_two = o.value("round_to_power_of_two", true);
  k.frame.snip_edges = o.value("snip_edges", true);
  k.mel.num_mel_bins = o.value("num_mel_bins", 23);
  k.mel.low_freq = o.value("low_freq", 20.0);
  k.mel.high_freq = o.value("high_freq", 0.0);
  k.mel.vtln_low = o.value("vtln_low", 100.0);
  k.mel.vtln_high = o.value("vtln_high", -500.0);
  k.mel.vtln_warp = o.value("vtln_warp", 1.0);
  k.energy_floor = o.value("energy_floor", 1.0);
  k.raw_energy = o.value("raw_energy", true);
  k.use_energy = o.value("use_energy", false);
  k.htk_compat = o.value("htk_compat", false);
  k.use_log_fbank = o.value("use_log_fbank", true);
  k.use_power = o.value("use_power", true);
  k.num_ceps = o.value("num_ceps", 13);
  k.cepstral_lifter = o.value("cepstral_lifter", 22.0);
  k.subtract_mean = o.value("subtract_mean", false);
  k.min_duration = o.value("min_duration", 0.0);
  return k;
}

LogMelOptions log_mel_options(const json& o) {
  LogMelOptions m;
  m.whisper = o.value("whisper", true);
  m.n_fft = o.value("n_fft", 400);
  m.hop_length = o.value("hop_length", 160);
  m.win_length = o.value("win_length", 0);
  m.window = o.value("window", std::string("hann"));
  m.center = o.value("center", true);
  m.pad_mode = parse_pad_mode(o.value("pad_mode", std::string("reflect")));
  m.n_mels = o.value("n_mels", 80);
  m.f_min = o.value("f_min", 0.0);
  m.f_max = o.value("f_max", 0.0);
  m.mel_scale = parse_mel_scale(o.value("mel_scale", std::string("slaney")));
  m.norm = parse_mel_norm(o.value("norm", std::string("slaney")));
  m.power = o.value("power", 2.0);
  m.log = parse_log_kind(o.value("log", std::string("log10")));
  m.log_floor = o.value("log_floor", 1e-10);
  m.pad_to_seconds = o.value("pad_to_seconds", 0.0);
  return m;
}

// The input of a case: a committed signal, or the first seconds of a shared recording read by ItemReader.
bool input_of(const json& c, std::vector<float>& wave) {
  if (c.contains("input")) {
    wave = audio_test::read_f32(std::string(AUDIO_FIXTURES) + "/" + c["input"].get<std::string>());
    return true;
  }
  const std::string path = audio_test::shared_audio() + "/" + c["shared"].get<std::string>();
  if (!std::filesystem::exists(path)) return false;
  AudioItem item;
  item.path = path;
  item.where = path;
  item.duration = c["seconds"].get<double>();
  ReadOptions o;
  o.scale = c["scale"].get<float>();
  ItemReader reader(item, o);
  AudioChunk chunk;
  REQUIRE(reader.next(chunk));
  wave = chunk.samples;
  return true;
}

void run_case(const json& c) {
  const std::string name = c["name"];
  INFO("case " << name << " (" << c["function"].get<std::string>() << ", options " << c["options"].dump()
               << ")");
  std::vector<float> wave;
  if (!input_of(c, wave)) {
    WARN("skipped " << name << ": " << c["shared"] << " is absent from " << audio_test::shared_audio());
    return;
  }
  const std::string fn = c["function"];
  const double rate = c["sample_rate"].get<double>();
  std::vector<float> out;
  int64_t rows = 0;
  int64_t cols = 0;
  if (fn == "log_mel") {
    LogMel mel(log_mel_options(c["options"]));
    rows = mel.compute(wave, rate, out);
    cols = c["options"].value("n_mels", 80);
  } else {
    const KaldiKind kind = fn == "fbank"  ? KaldiKind::kFbank
                           : fn == "mfcc" ? KaldiKind::kMfcc
                                          : KaldiKind::kSpectrogram;
    KaldiFeatures f(kind, kaldi_options(c["options"]));
    rows = f.compute(wave, rate, name, out);
    cols = f.num_cols(rate);
  }
  const std::vector<float> expected =
      audio_test::read_f32(std::string(AUDIO_FIXTURES) + "/" + c["expected"].get<std::string>());
  REQUIRE(rows == c["rows"].get<int64_t>());
  if (rows > 0) REQUIRE(cols == c["cols"].get<int64_t>());
  REQUIRE(out.size() == expected.size());
  const double tol = c["tolerance"].get<double>();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    double err = std::abs(static_cast<double>(out[i]) - expected[i]);
    if (tol < 0) err /= std::max(1e-30, std::abs(static_cast<double>(expected[i])));
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  INFO("worst error " << worst << " at row " << (cols ? at / cols : 0) << " col " << (cols ? at % cols : 0)
                      << ": got " << (out.empty() ? 0.f : out[at]) << ", expected "
                      << (expected.empty() ? 0.f : expected[at]));
  CHECK(worst <= std::abs(tol));
}

}  // namespace

TEST_CASE("Kaldi features equal torchaudio.compliance.kaldi on random signals and real recordings",
          "[audio]") {
  size_t n = 0;
  for (const json& c : cases()["cases"]) {
    if (c["function"] == "log_mel") continue;
    run_case(c);
    ++n;
  }
  CHECK(n >= 40);
}

TEST_CASE("log_mel equals Whisper's formula and torch.stft + melscale_fbanks", "[audio]") {
  size_t n = 0;
  for (const json& c : cases()["cases"]) {
    if (c["function"] != "log_mel") continue;
    run_case(c);
    ++n;
  }
  CHECK(n >= 12);
}
