// Reading: every format Debian 12's libsndfile 1.2.0 writes and decodes (files written here by libsndfile,
// from a known signal), channel handling, scaling, libsoxr resampling, streamed chunks, manifests and the
// errors of damaged files.
#include "audio_test_util.hpp"
#include "item_reader.hpp"
#include "manifest.hpp"
#include "resampler.hpp"
#include "sound_file.hpp"

#include <sndfile.h>

#include <numbers>

using namespace seqflow::audio;

namespace {

// A 2-channel signal: channel 0 a 440 Hz sine of amplitude 0.5, channel 1 its negative / 2.
std::vector<float> stereo(int rate, int frames) {
  std::vector<float> x(static_cast<size_t>(2 * frames));
  for (int i = 0; i < frames; ++i) {
    const float v = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 440.0 * i / rate));
    x[static_cast<size_t>(2 * i)] = v;
    x[static_cast<size_t>(2 * i + 1)] = -v / 2;
  }
  return x;
}

bool write_sound(const std::string& path, int format, int rate, const std::vector<float>& interleaved,
                 int channels) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) return false;
  sf_writef_float(f, interleaved.data(),
                  static_cast<sf_count_t>(interleaved.size() / static_cast<size_t>(channels)));
  sf_close(f);
  return true;
}

std::vector<AudioChunk> read_all(const AudioItem& item, const ReadOptions& o) {
  ItemReader r(item, o);
  std::vector<AudioChunk> out;
  AudioChunk c;
  while (r.next(c)) out.push_back(c);
  return out;
}

AudioItem item_of(const std::string& path) {
  AudioItem it;
  it.path = path;
  it.where = path;
  it.id = file_stem(path);
  return it;
}

}  // namespace

TEST_CASE("every libsndfile format decodes: lossless exactly, lossy close", "[audio]") {
  audio_test::TempDir dir;
  const int rate = 48000;
  const int frames = 24000;
  const std::vector<float> x = stereo(rate, frames);
  struct Format {
    const char* name;
    int format;
    bool lossless;
  };
  const Format formats[] = {
      {"pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, true},
      {"pcm24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, true},
      {"pcm32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, true},
      {"u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, true},
      {"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, true},
      {"double.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, true},
      {"pcm16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, true},
      {"pcm24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, true},
      {"vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, false},
      {"opus.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, false},
      {"mp3.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, false},
  };
  for (const Format& f : formats) {
    INFO(f.name);
    REQUIRE(write_sound(dir / f.name, f.format, rate, x, 2));
    ReadOptions o;
    o.channel = 0;
    const std::vector<AudioChunk> chunks = read_all(item_of(dir / f.name), o);
    REQUIRE(chunks.size() == 1);
    const std::vector<float>& y = chunks[0].samples;
    CHECK(chunks[0].sample_rate == rate);
    if (f.lossless) {
      REQUIRE(y.size() == static_cast<size_t>(frames));
      // Quantisation step of the stored format: 8-bit 1/128, 16-bit 1/32768, deeper formats finer.
      const double step = std::string(f.name) == "u8.wav" ? 1.0 / 128 : 1.0 / 32768;
      double worst = 0;
      for (int i = 0; i < frames; ++i)
        worst = std::max(
            worst, std::abs(static_cast<double>(y[static_cast<size_t>(i)]) - x[static_cast<size_t>(2 * i)]));
      CHECK(worst <= step);
    } else {
      // Lossy codecs add delay and padding; the decoded length stays within 0.1 s and the signal's energy
      // within 1 dB of the original's.
      CHECK(std::abs(static_cast<double>(y.size()) - frames) <= 0.1 * rate);
      double ey = 0;
      for (float v : y) ey += static_cast<double>(v) * v;
      const double ex = 0.125 * frames;  // mean square of 0.5 sin() is 0.125
      CHECK(std::abs(10 * std::log10(ey / ex)) < 1.0);
    }
  }
}

TEST_CASE("channels: mix is the mean, an index picks one, a missing one is an error; int16 scale",
          "[audio]") {
  audio_test::TempDir dir;
  const std::vector<float> x = stereo(16000, 1600);
  REQUIRE(write_sound(dir / "s.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, x, 2));
  ReadOptions o;
  o.channel = -1;
  o.scale = 32768.0f;
  const auto mix = read_all(item_of(dir / "s.wav"), o);
  o.channel = 1;
  o.scale = 1.0f;
  const auto second = read_all(item_of(dir / "s.wav"), o);
  for (size_t i = 0; i < 1600; ++i) {
    CHECK(mix[0].samples[i] == Approx((x[2 * i] + x[2 * i + 1]) / 2 * 32768.0).margin(1e-3));
    CHECK(second[0].samples[i] == x[2 * i + 1]);
  }
  o.channel = 2;
  CHECK_THROWS_WITH(read_all(item_of(dir / "s.wav"), o),
                    Catch::Contains("has 2 channel(s); channels = 2 does not exist"));
}

TEST_CASE("resampling 48 kHz to 16 kHz with libsoxr keeps a 1 kHz tone", "[audio]") {
  const int n = 48000;
  std::vector<float> in(n);
  for (int i = 0; i < n; ++i)
    in[static_cast<size_t>(i)] =
        static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 1000.0 * i / 48000));
  Resampler r(48000, 16000);
  std::vector<float> out;
  for (int i = 0; i < n; i += 1000) r.process(in.data() + i, 1000, out);  // streamed in blocks
  r.flush(out);
  REQUIRE(out.size() == 16000);
  double worst = 0;
  // Away from the edges (filter start-up), the output is the same tone sampled at 16 kHz.
  for (int i = 500; i < 15500; ++i) {
    worst = std::max(worst, std::abs(out[static_cast<size_t>(i)] -
                                     0.5 * std::sin(2 * std::numbers::pi * 1000.0 * i / 16000)));
  }
  CHECK(worst < 1e-4);
}

TEST_CASE("max_seconds chunks: overlap, offsets, and the concatenation is the whole signal", "[audio]") {
  audio_test::TempDir dir;
  std::vector<float> x(10000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(static_cast<int>(i % 30000) - 15000) / 32768.0f;
  REQUIRE(write_sound(dir / "ramp.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1000, x, 1));
  ReadOptions o;
  o.max_seconds = 3.0;
  o.overlap_seconds = 1.0;
  o.block_frames = 700;  // blocks smaller than chunks: chunks are assembled across reads
  const auto chunks = read_all(item_of(dir / "ramp.wav"), o);
  // Starts 0, 2, 4, 6 s (3000 samples each; the last, at 8 s, holds the remaining 2000).
  REQUIRE(chunks.size() == 5);
  for (size_t k = 0; k < chunks.size(); ++k) {
    CHECK(chunks[k].offset == Approx(2.0 * static_cast<double>(k)));
    CHECK(chunks[k].samples.size() == (k < 4 ? 3000u : 2000u));
    for (size_t i = 0; i < chunks[k].samples.size(); ++i) REQUIRE(chunks[k].samples[i] == x[2000 * k + i]);
  }
  // A chunk ending exactly at the end leaves no chunk of overlap only.
  o.max_seconds = 2.0;
  o.overlap_seconds = 0.0;
  CHECK(read_all(item_of(dir / "ramp.wav"), o).size() == 5);
}

TEST_CASE("wav.scp, segments and JSONL manifests", "[audio]") {
  audio_test::TempDir dir;
  std::vector<float> x(4000, 0.25f);
  REQUIRE(write_sound(dir / "a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1000, x, 1));
  audio_test::spit(dir / "wav.scp", "recA a.wav\nrecB\nrecC sox x.wav -t wav - |\n");
  audio_test::spit(dir / "segments",
                   "u1 recA 0.5 1.5\nu2 recA 3.0 -1\nu3 recZ 0 1\nu4 recA 2 1\nu5 recA 1 2 3\n");
  const auto scp = read_wav_scp(dir / "wav.scp", "");
  REQUIRE(scp.size() == 3);
  CHECK(scp[0].id == "recA");
  CHECK(scp[0].path == dir / "a.wav");
  CHECK_THAT(scp[1].error, Catch::Contains("wav.scp:2: the line has a key ('recB') but no audio path"));
  CHECK_THAT(scp[2].error, Catch::Contains("is a Kaldi pipe command"));
  const auto seg = read_wav_scp(dir / "wav.scp", dir / "segments");
  REQUIRE(seg.size() == 5);
  CHECK(seg[0].id == "u1");
  CHECK(seg[0].start == 0.5);
  CHECK(seg[0].duration == 1.0);
  CHECK(seg[1].duration == -1.0);
  CHECK_THAT(seg[2].error, Catch::Contains("segments:3: the recording 'recZ' is not in"));
  CHECK_THAT(seg[3].error, Catch::Contains("segments:4: the segment [2, 1] s is empty or negative"));
  CHECK_THAT(seg[4].error, Catch::Contains("segments:5: expected 4 fields"));
  const auto u1 = read_all(seg[0], ReadOptions{});
  CHECK(u1[0].samples.size() == 1000);
  CHECK(u1[0].offset == 0.5);
  CHECK(read_all(seg[1], ReadOptions{})[0].samples.size() == 1000);

  audio_test::spit(
      dir / "m.jsonl",
      "{\"audio_filepath\": \"a.wav\"}\n{\"audio_filepath\": \"a.wav\", \"offset\": 1, \"duration\": 2}\n"
      "{\"audio_filepath\": \"a.wav\", \"id\": \"named\", \"duration\": null}\n{\"offset\": 1}\nnot json\n");
  const auto j = read_manifest(dir / "m.jsonl", "");
  REQUIRE(j.size() == 5);
  CHECK(j[0].id == "a");
  CHECK(j[1].id == "a_2");
  CHECK(j[1].start == 1.0);
  CHECK(j[1].duration == 2.0);
  CHECK(j[2].id == "named");
  CHECK(j[2].duration == -1.0);
  CHECK_THAT(j[3].error, Catch::Contains("m.jsonl:4: no \"audio_filepath\""));
  CHECK_THAT(j[4].error, Catch::Contains("m.jsonl:5: the line is not a JSON object"));
  AudioItem past = j[1];
  past.start = 3.0;
  past.duration = 2.0;  // ends at 5 s of a 4 s file: more than Kaldi's 0.5 s overshoot
  CHECK_THROWS_WITH(read_all(past, ReadOptions{}),
                    Catch::Contains("the segment ends at 5.000 s but") && Catch::Contains("lasts 4.000 s"));
}

TEST_CASE("damaged files fail with the file name and libsndfile's words", "[audio]") {
  audio_test::TempDir dir;
  audio_test::spit(dir / "text.wav", "this is not audio at all, just text\n");
  CHECK_THROWS_WITH(SoundFile::open(dir / "text.wav"),
                    Catch::Contains("text.wav: cannot decode it as audio: libsndfile says"));
  audio_test::spit(dir / "empty.wav", "");
  CHECK_THROWS_WITH(SoundFile::open(dir / "empty.wav"),
                    Catch::Contains("empty.wav: the file is empty (0 bytes)"));
  CHECK_THROWS_WITH(SoundFile::open(dir / "missing.wav"),
                    Catch::Contains("missing.wav: the file does not exist"));
  std::vector<float> nan = {0.1f, std::nanf(""), 0.2f};
  REQUIRE(write_sound(dir / "nan.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, nan, 1));
  CHECK_THROWS_WITH(read_all(item_of(dir / "nan.wav"), ReadOptions{}),
                    Catch::Contains("nan.wav: sample 1 (channel 0) is NaN"));
}

TEST_CASE("damaged copies of real formats never crash: they decode or fail with the file's name", "[audio]") {
  audio_test::TempDir dir;
  const std::vector<float> x = stereo(16000, 4000);
  struct Source {
    const char* name;
    int format;
  };
  const Source sources[] = {{"w.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                            {"f.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24},
                            {"v.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
                            {"m.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III}};
  uint64_t state = 12345;
  auto next = [&] {  // splitmix64: a fixed sequence of damages
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  int decoded = 0;
  int refused = 0;
  for (const Source& s : sources) {
    REQUIRE(write_sound(dir / s.name, s.format, 16000, x, 2));
    const std::string good = audio_test::slurp_text(dir / s.name);
    for (int k = 0; k < 60; ++k) {
      std::string bad = good;
      if (k % 3 == 0) {
        bad.resize(next() % bad.size());  // truncated anywhere, headers included
      } else {
        const int flips = 1 + static_cast<int>(next() % 16);
        for (int i = 0; i < flips; ++i)
          bad[next() % std::min<size_t>(bad.size(), k % 3 == 1 ? 96 : bad.size())] =
              static_cast<char>(next());
      }
      const std::string path = dir / ("bad_" + std::to_string(k) + "_" + s.name);
      audio_test::spit(path, bad);
      INFO(path);
      try {
        ReadOptions o;
        o.max_seconds = 0.05;
        for (const AudioChunk& c : read_all(item_of(path), o)) {
          for (float v : c.samples) REQUIRE(std::isfinite(v));
        }
        ++decoded;
      } catch (const AudioError& e) {
        CHECK_THAT(e.what(), Catch::Contains(path));
        ++refused;
      }
    }
  }
  // Both outcomes occur: damage inside the data often still decodes, damage to headers is refused.
  CHECK(decoded > 0);
  CHECK(refused > 0);
}
