// Fuzz target: audio files through audio.read's decoding path (libsndfile via SoundFile, ItemReader).
//
// Two option bytes pick the output rate (the file's, or a resampling to 8/16/22.05 kHz), the channel
// (mix, 0 or 1), the chunking (whole item, or chunks of 10/50 ms with or without overlap), the read
// block size and a segment (start/duration) inside the file; the rest is the file. Every refusal is an
// AudioError that names the file.
#include "fuzz_util.hpp"
#include "item_reader.hpp"
#include "manifest.hpp"
#include "sound_file.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seqflow::audio;
  seqflow::fuzz::Cursor in(data, size);
  const uint8_t o1 = in.byte(), o2 = in.byte();
  static const int kRates[] = {0, 8000, 16000, 22050};
  static const double kChunks[] = {0.0, 0.01, 0.05, 0.0};
  ReadOptions opt;
  opt.sample_rate = kRates[o1 & 3];
  opt.channel = static_cast<int>((o1 >> 2) % 3) - 1;
  opt.max_seconds = kChunks[(o1 >> 4) & 3];
  opt.overlap_seconds = o1 & 0x40 ? opt.max_seconds / 2 : 0.0;
  opt.scale = o1 & 0x80 ? 32768.0f : 1.0f;
  opt.block_frames = int64_t{1} + (o2 & 0x3f) * 17;
  const std::string path = seqflow::fuzz::write_file("input.wav", in.rest());
  AudioItem item;
  item.id = "input";
  item.path = path;
  item.where = path;
  if (o2 & 0x40) item.start = 0.001 * (o2 & 0x0f);
  if (o2 & 0x80) item.duration = 0.002 * (o2 & 0x3f);
  try {
    ItemReader reader(item, opt);
    AudioChunk chunk;
    while (reader.next(chunk)) {
      if (chunk.sample_rate <= 0) __builtin_trap();
    }
  } catch (const AudioError& e) {
    if (std::string_view(e.what()).find(path) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
