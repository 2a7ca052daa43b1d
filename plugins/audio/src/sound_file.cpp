#include "sound_file.hpp"

#include <sndfile.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace seqflow::audio {

namespace {

std::string format_name(int format) {
  SF_FORMAT_INFO major{};
  major.format = format & SF_FORMAT_TYPEMASK;
  SF_FORMAT_INFO sub{};
  sub.format = format & SF_FORMAT_SUBMASK;
  std::string name;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0 && major.name) name = major.name;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof(sub)) == 0 && sub.name) {
    name += name.empty() ? "" : ", ";
    name += sub.name;
  }
  return name;
}

}  // namespace

std::unique_ptr<SoundFile> SoundFile::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw AudioError(path +
                     ": the file does not exist; check the path (relative paths resolve against the "
                     "pipeline file's folder, manifest entries against the manifest's folder)");
  }
  if (S_ISDIR(st.st_mode)) throw AudioError(path + ": is a folder, not an audio file");
  if (st.st_size == 0) throw AudioError(path + ": the file is empty (0 bytes), not audio");
  SF_INFO sfi{};
  SNDFILE* h = sf_open(path.c_str(), SFM_READ, &sfi);
  if (h == nullptr) {
    throw AudioError(path + ": cannot decode it as audio: libsndfile says \"" + sf_strerror(nullptr) +
                     "\"; check that it is a complete WAV, FLAC, Ogg (Vorbis, Opus), MP3, AIFF or AU file");
  }
  AudioInfo info;
  info.frames = sfi.frames;
  info.channels = sfi.channels;
  info.sample_rate = sfi.samplerate;
  info.format = format_name(sfi.format);
  auto bad = [&](const std::string& what) {
    sf_close(h);
    return AudioError(path + ": " + what);
  };
  if (sfi.channels < 1) throw bad("the header declares 0 channels; the file is damaged");
  if (sfi.samplerate < 1)
    throw bad("the header declares a sample rate of " + std::to_string(sfi.samplerate) +
              " Hz; the file is damaged");
  if (sfi.frames <= 0) throw bad("holds no samples (0 frames of " + info.format + ")");
  // libsndfile reads what a truncated WAV holds and only logs the shortfall ("data : 1600 (should be
  // 600)"): a file cut short in a copy would pass as a shorter recording. A declared size of 0 or
  // 0xFFFFFFFF is the streaming convention (length unknown when the header was written), not damage.
  char log[4096] = {0};
  sf_command(h, SFC_GET_LOG_INFO, log, sizeof(log));
  if (const char* d = std::strstr(log, "\ndata : "); d != nullptr) {
    unsigned long long declared = 0;
    unsigned long long present = 0;
    if (std::sscanf(d, "\ndata : %llu (should be %llu)", &declared, &present) == 2 && declared > present &&
        declared != 0 && declared < 0xFFFFFF00ull) {
      throw bad("truncated: the header declares " + std::to_string(declared) +
                " bytes of audio data but the file "
                "holds " +
                std::to_string(present) + "; the file is incomplete (copy or download it again)");
    }
  }
  // Float data is read as stored; integer data is scaled by 2^(bits-1), never clipped.
  sf_command(h, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
  return std::unique_ptr<SoundFile>(new SoundFile(path, h, std::move(info)));
}

SoundFile::~SoundFile() { sf_close(static_cast<SNDFILE*>(handle_)); }

void SoundFile::seek(int64_t frame) {
  if (sf_seek(static_cast<SNDFILE*>(handle_), frame, SEEK_SET) < 0) {
    throw AudioError(path_ + ": cannot seek to frame " + std::to_string(frame) + ": libsndfile says \"" +
                     sf_strerror(static_cast<SNDFILE*>(handle_)) + "\"");
  }
}

int64_t SoundFile::read(float* buffer, int64_t frames) {
  SNDFILE* h = static_cast<SNDFILE*>(handle_);
  const sf_count_t got = sf_readf_float(h, buffer, frames);
  if (got < 0 || (got == 0 && sf_error(h) != SF_ERR_NO_ERROR)) {
    throw AudioError(path_ + ": decoding failed: libsndfile says \"" + sf_strerror(h) + "\"");
  }
  return got;
}

}  // namespace seqflow::audio
