// The components through the seqflow CLI: every fixture case of make_fixtures.py run as a pipeline
// (audio.read of the input written as a float WAV -> the feature stage with the case's options as TOML
// keys -> io.jsonl_write), so each parameter name and its wiring is checked against torchaudio; and the
// same pipeline with dither on 1 and 4 threads gives identical bytes.
#include "audio_test_util.hpp"

#include <sndfile.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

using nlohmann::json;

namespace {

void write_float_wav(const std::string& path, const std::vector<float>& x, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f != nullptr);
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
  sf_close(f);
}

int run(const std::string& toml_path, const std::string& extra) {
  const std::string cmd = std::string(SEQFLOW_BIN) + " run '" + toml_path + "' --no-progress " + extra +
                          " > /dev/null 2> '" + toml_path + ".err'";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string toml_value(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
  if (v.is_number_float()) {
    std::string s = v.dump();
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  return v.dump();
}

std::string pipeline(const std::string& wav, const std::string& plugin, const std::string& output,
                     const json& options, const std::string& out, const std::string& extra_read = "") {
  std::string t =
      "[pipeline]\nname = \"audio-parity\"\n\n[[stage]]\nname = \"read\"\nplugin = \"audio.read\"\npaths = "
      "[\"" +
      wav + "\"]\n" + extra_read + "\n[[stage]]\nname = \"features\"\nplugin = \"" + plugin + "\"\n";
  for (auto it = options.begin(); it != options.end(); ++it)
    t += it.key() + " = " + toml_value(it.value()) + "\n";
  t += "\n[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"" + out +
       "\"\nfields = [\"id\", \"" + output + "\"]\n";
  return t;
}

}  // namespace

TEST_CASE("CLI: every fixture case through audio.read and the component's TOML parameters", "[audio][cli]") {
  std::ifstream in(std::string(AUDIO_FIXTURES) + "/cases.json");
  const json cases = json::parse(in)["cases"];
  audio_test::TempDir dir;
  size_t n = 0;
  for (const json& c : cases) {
    if (!c.contains("input")) continue;
    const std::string name = c["name"];
    INFO("case " << name << " options " << c["options"].dump());
    const std::string fn = c["function"];
    const int rate = c["sample_rate"].get<int>();
    const std::vector<float> wave =
        audio_test::read_f32(std::string(AUDIO_FIXTURES) + "/" + c["input"].get<std::string>());
    write_float_wav(dir / (name + ".wav"), wave, rate);
    const std::string output = fn == "log_mel" ? "log_mel" : fn;
    audio_test::spit(dir / (name + ".toml"), pipeline(dir / (name + ".wav"), "audio." + fn, output,
                                                      c["options"], dir / (name + ".jsonl")));
    REQUIRE(run(dir / (name + ".toml"), "--threads 2") == 0);
    const json got = json::parse(audio_test::slurp_text(dir / (name + ".jsonl")));
    const std::vector<float> expected =
        audio_test::read_f32(std::string(AUDIO_FIXTURES) + "/" + c["expected"].get<std::string>());
    const json& rows = got[output];
    REQUIRE(rows.size() == c["rows"].get<size_t>());
    const double tol = c["tolerance"].get<double>();
    double worst = 0;
    size_t i = 0;
    for (const json& row : rows) {
      for (const json& v : row) {
        double err = std::abs(v.get<double>() - expected[i]);
        if (tol < 0) err /= std::max(1e-30, std::abs(static_cast<double>(expected[i])));
        worst = std::max(worst, err);
        ++i;
      }
    }
    REQUIRE(i == expected.size());
    INFO("worst error " << worst);
    CHECK(worst <= std::abs(tol));
    ++n;
  }
  CHECK(n >= 48);
}

TEST_CASE("CLI: dithered fbank and resampled audio are byte-identical on 1 and 4 threads", "[audio][cli]") {
  audio_test::TempDir dir;
  std::vector<float> x(22050);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(0.3 * std::sin(0.05 * static_cast<double>(i)));
  for (int k = 0; k < 6; ++k) write_float_wav(dir / ("r" + std::to_string(k) + ".wav"), x, 22050);
  const json options = {{"dither", 1.0}, {"num_mel_bins", 40}, {"seed", 7}};
  audio_test::spit(dir / "p.toml",
                   pipeline(dir / "r*.wav", "audio.fbank", "fbank", options, dir / "out.jsonl",
                            "sample_rate = 16000\nscale = \"int16\"\nmax_seconds = 0.3\n"));
  REQUIRE(run(dir / "p.toml", "--threads 1") == 0);
  const std::string one = audio_test::slurp_text(dir / "out.jsonl");
  REQUIRE(run(dir / "p.toml", "--threads 4") == 0);
  const std::string four = audio_test::slurp_text(dir / "out.jsonl");
  CHECK(one.size() > 1000);
  CHECK(one == four);
  // Records with the same samples but other ids get other noise: the dither is keyed by the id.
  const auto lines = [](const std::string& s) {
    std::vector<json> v;
    std::stringstream ss(s);
    std::string l;
    while (std::getline(ss, l)) v.push_back(json::parse(l));
    return v;
  }(one);
  REQUIRE(lines.size() == 6 * 4);
  CHECK(lines[0]["id"] == "r0:0");
  CHECK(lines[4]["id"] == "r1:0");
  CHECK(lines[0]["fbank"] != lines[4]["fbank"]);
}

TEST_CASE("CLI: vad_energy, cmvn and chunk wired through their TOML parameters", "[audio][cli]") {
  audio_test::TempDir dir;
  // 0.5 s of a loud tone, then 0.5 s of a tone 60 dB lower: their log energies are about 24.7 and 10.9
  // (400 samples of amplitude 16384 or 16.4), the mean over 48 + 50 frames about 17.7, so Kaldi's
  // threshold 5.5 + 0.5 * 17.7 = 14.4 lies between them.
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>((i < 8000 ? 0.5 : 0.0005) * std::sin(0.3 * static_cast<double>(i)));
  }
  write_float_wav(dir / "v.wav", x, 16000);
  audio_test::spit(
      dir / "stats.json",
      R"({"mean": [)" +
          std::string(
              "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24") +
          R"(], "std": [)" +
          std::string("2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4") + "]}");
  const std::string toml =
      std::string(
          "[pipeline]\nname = \"post\"\n\n[[stage]]\nname = \"read\"\nplugin = \"audio.read\"\npaths = [\"") +
      dir / "v.wav" +
      "\"]\nscale = \"int16\"\n\n[[stage]]\nname = \"fbank\"\nplugin = \"audio.fbank\"\nuse_energy = true\n"
      "energy_floor = 0.0\n\n[[stage]]\nname = \"vad\"\nplugin = \"audio.vad_energy\"\ninput = \"fbank\"\n"
      "vad_energy_threshold = 5.5\n\n[[stage]]\nname = \"global\"\nplugin = \"audio.cmvn\"\ninput = "
      "\"fbank\"\n"
      "output = \"global\"\nstats = \"" +
      dir / "stats.json" +
      "\"\nnorm_vars = true\n\n[[stage]]\nname = \"utt\"\nplugin = \"audio.cmvn\"\ninput = \"fbank\"\noutput "
      "= "
      "\"utt\"\n\n[[stage]]\nname = \"win\"\nplugin = \"audio.chunk\"\ninput = \"fbank\"\nlength = "
      "40\noverlap = 10\n"
      "keep_last = false\n\n[[stage]]\nname = \"write\"\nplugin = \"io.jsonl_write\"\npath = \"" +
      dir / "out.jsonl" + "\"\nfields = [\"id\", \"chunk_start\", \"vad\", \"fbank\", \"global\", \"utt\"]\n";
  audio_test::spit(dir / "p.toml", toml);
  REQUIRE(run(dir / "p.toml", "--threads 2") == 0);
  std::vector<json> recs;
  {
    std::stringstream ss(audio_test::slurp_text(dir / "out.jsonl"));
    std::string l;
    while (std::getline(ss, l)) recs.push_back(json::parse(l));
  }
  // 98 frames; windows of 40 every 30 rows, full ones only: starts 0, 30 (60 + 40 > 98 is dropped).
  REQUIRE(recs.size() == 2);
  CHECK(recs[0]["id"] == "v:0");
  CHECK(recs[1]["chunk_start"] == 30);
  const json& vad = recs[0]["vad"];
  REQUIRE(vad.size() == 98);
  // Frames 0..47 lie in the loud half (frame f covers samples 160 f .. 160 f + 399), 50..97 in the quiet one.
  for (int f = 0; f < 48; ++f) CHECK(vad[f] == 1.0);
  for (int f = 50; f < 98; ++f) CHECK(vad[f] == 0.0);
  // Global CMVN: (x - mean) / std with the JSON's values; per-utterance: every column's mean is 0.
  const json& fb = recs[0]["fbank"];
  REQUIRE(fb.size() == 40);
  for (int r = 0; r < 40; ++r) {
    for (int c = 0; c < 24; ++c) {
      const double expected = (fb[r][c].get<double>() - (c + 1)) / (c == 23 ? 4.0 : 2.0);
      CHECK(recs[0]["global"][r][c].get<double>() == Approx(expected).margin(1e-5));
    }
  }
  // audio.chunk cuts only its input: the other fields travel whole with each window.
  const json& utt = recs[0]["utt"];
  REQUIRE(utt.size() == 98);
  for (int c = 0; c < 24; ++c) {
    double mean = 0;
    for (int r = 0; r < 98; ++r) mean += utt[r][c].get<double>();
    CHECK(std::abs(mean / 98) < 1e-4);
  }
}
