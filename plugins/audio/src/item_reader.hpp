// ItemReader: one manifest item (a file or a segment of one) decoded, mixed or picked to one channel,
// scaled, resampled and cut into chunks, streaming: memory stays within one chunk plus one block.
//
// Lifecycle: the constructor opens the file and checks the segment against it; next() yields the chunks
// in order (one chunk for the whole item when max_seconds is 0) and returns false after the last.
// Threading: one thread at a time. Ownership: owns the open file and the resampler.
// Errors: AudioError naming the file: libsndfile's message for undecodable data, a channel index the file
// lacks, a segment outside the file, a NaN or infinite sample (with its frame and channel), a file that
// ends before the frame count its header declares.
#pragma once

#include "manifest.hpp"
#include "resampler.hpp"
#include "sound_file.hpp"

#include <memory>
#include <vector>

namespace seqflow::audio {

struct ReadOptions {
  int sample_rate = 0;  // 0: keep the file's
  int channel = -1;     // -1: mix (mean of the channels), else this channel
  float scale = 1.0f;   // 1: [-1, 1]; 32768: int16 magnitudes (Kaldi)
  double max_seconds = 0.0;
  double overlap_seconds = 0.0;
  int64_t block_frames = 65536;
};

struct AudioChunk {
  std::vector<float> samples;
  int sample_rate = 0;
  double offset = 0.0;  // seconds from the start of the file
  int64_t index = 0;
};

class ItemReader {
 public:
  ItemReader(const AudioItem& item, const ReadOptions& options);
  bool next(AudioChunk& out);

 private:
  void fill();

  ReadOptions o_;
  std::unique_ptr<SoundFile> file_;
  std::unique_ptr<Resampler> resampler_;
  int64_t next_frame_ = 0;
  int64_t end_frame_ = 0;
  double start_seconds_ = 0;
  int out_rate_ = 0;
  int64_t chunk_len_ = 0;
  int64_t overlap_ = 0;
  std::vector<float> block_;
  std::vector<float> mono_;
  std::vector<float> buffer_;
  int64_t buffer_start_ = 0;  // output-rate index of buffer_[0]
  int64_t index_ = 0;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace seqflow::audio
