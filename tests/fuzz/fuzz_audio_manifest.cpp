// Fuzz target: audio.read's manifests: Kaldi wav.scp (with or without a segments file) and JSONL.
//
// The input is the manifest, optionally followed by "\n--segments--\n" and a segments file (the option
// byte decides whether it is used). Every item is then read as audio.read reads it, against two small
// WAV files that the target writes next to the manifest (a.wav mono 8 kHz, b.wav stereo 16 kHz), so
// that segment times meet real files. Items naming any other file are not opened: the target must not
// wander the file system (a manifest may name /dev/stdin). Checked properties: a malformed line becomes
// an item with an error that names its file; a refused manifest is an AudioError naming it.
#include "fuzz_util.hpp"
#include "item_reader.hpp"
#include "manifest.hpp"
#include "sound_file.hpp"

#include <cstring>
#include <string>

namespace {

std::string wav(int rate, int channels, int frames) {
  auto u32 = [](std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](std::string& s, uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); };
  std::string w = "RIFF";
  u32(w, 36 + frames * channels * 2);
  w += "WAVEfmt ";
  u32(w, 16);
  u16(w, 1);
  u16(w, static_cast<uint16_t>(channels));
  u32(w, rate);
  u32(w, rate * channels * 2);
  u16(w, static_cast<uint16_t>(channels * 2));
  u16(w, 16);
  w += "data";
  u32(w, frames * channels * 2);
  for (int i = 0; i < frames * channels; ++i) u16(w, static_cast<uint16_t>(i * 997));
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seqflow::audio;
  static const bool written = [] {
    seqflow::fuzz::write_file("a.wav", wav(8000, 1, 800));
    seqflow::fuzz::write_file("b.wav", wav(16000, 2, 3200));
    return true;
  }();
  (void)written;
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t option = in.byte();
  const std::string manifest = seqflow::fuzz::write_file("wav.scp", in.part("\n--segments--\n"));
  std::string segments;
  if (option & 1) segments = seqflow::fuzz::write_file("segments", in.rest());
  std::vector<AudioItem> items;
  try {
    items = read_manifest(manifest, segments);
  } catch (const AudioError& e) {
    // Only a refusal of the whole manifest (a JSONL manifest given a segments file) gets here.
    if (std::string_view(e.what()).find(manifest) == std::string_view::npos) __builtin_trap();
    return 0;
  }
  ReadOptions opt;
  opt.max_seconds = option & 2 ? 0.02 : 0.0;
  opt.sample_rate = option & 4 ? 16000 : 0;
  for (const AudioItem& item : items) {
    if (!item.error.empty()) {
      const bool named = item.error.find(manifest) != std::string::npos ||
                         (!segments.empty() && item.error.find(segments) != std::string::npos);
      if (!named) __builtin_trap();
      continue;
    }
    const std::string& dir = seqflow::fuzz::scratch_dir();
    if (item.path != dir + "/a.wav" && item.path != dir + "/b.wav") continue;
    try {
      ItemReader reader(item, opt);
      AudioChunk chunk;
      while (reader.next(chunk)) {
      }
    } catch (const AudioError&) {
    }
  }
  return 0;
}
