// SoundFile: one audio file opened through libsndfile (WAV/RF64/W64, FLAC, Ogg Vorbis, Ogg Opus, MP3,
// AIFF, AU, CAF, ... whatever Debian 12's libsndfile 1.2.0 decodes), read as interleaved float frames.
//
// Lifecycle: open() checks the header (channels, rate, frame count) and fails early; read() streams
// blocks; seek() jumps to a frame (segments, offsets). The file closes with the object.
// Threading: one thread at a time per object.
// Ownership: owns the SNDFILE handle. Errors: AudioError whose message starts with the file name and
// includes libsndfile's own words ("FILE: cannot decode it: Format not recognised. ...").
// Samples: libsndfile's float read: integer PCM divided by 2^(bits-1) (8-bit unsigned re-centred), float
// data as stored, MP3/Vorbis/Opus as decoded: torchaudio.load's values.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace seqflow::audio {

/// A bad audio file or manifest entry; what() says which file and what is wrong.
class AudioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AudioInfo {
  int64_t frames = 0;
  int channels = 0;
  int sample_rate = 0;
  std::string format;  // libsndfile's name of the container and encoding, e.g. "WAV PCM 16"
};

class SoundFile {
 public:
  static std::unique_ptr<SoundFile> open(const std::string& path);
  ~SoundFile();
  SoundFile(const SoundFile&) = delete;
  SoundFile& operator=(const SoundFile&) = delete;

  const AudioInfo& info() const { return info_; }
  const std::string& path() const { return path_; }
  void seek(int64_t frame);
  /// Reads up to `frames` frames (interleaved, info().channels values each) into `buffer`; returns the
  /// frames read, 0 at the end. Throws AudioError on a decoding error.
  int64_t read(float* buffer, int64_t frames);

 private:
  SoundFile(std::string path, void* handle, AudioInfo info)
      : path_(std::move(path)), handle_(handle), info_(std::move(info)) {}
  std::string path_;
  void* handle_;
  AudioInfo info_;
};

}  // namespace seqflow::audio
