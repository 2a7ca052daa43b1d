#include "item_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace seqflow::audio {

namespace {
std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.3f s", s);
  return b;
}
// Kaldi's extract-segments accepts a segment that ends up to 0.5 s past the recording (rounding in the
// tools that wrote it) and cuts it at the end; more is an error.
constexpr double kMaxOvershoot = 0.5;
constexpr double kMaxReserve = double{1 << 26};
}  // namespace

ItemReader::ItemReader(const AudioItem& item, const ReadOptions& o) : o_(o) {
  file_ = SoundFile::open(item.path);
  const AudioInfo& info = file_->info();
  const std::string& path = item.path;
  if (o.channel >= info.channels) {
    throw AudioError(path + ": has " + std::to_string(info.channels) +
                     " channel(s); channels = " + std::to_string(o.channel) +
                     " does not exist (use \"mix\", \"first\" or an index below " +
                     std::to_string(info.channels) + ")");
  }
  const double rate = info.sample_rate;
  const double length = static_cast<double>(info.frames) / rate;
  start_seconds_ = item.start;
  next_frame_ = static_cast<int64_t>(std::llround(item.start * rate));
  end_frame_ = info.frames;
  if (item.start > 0 && next_frame_ >= info.frames) {
    throw AudioError(item.where + ": the segment starts at " + seconds(item.start) + " but " + path +
                     " lasts " + seconds(length));
  }
  if (item.duration >= 0) {
    const double end = item.start + item.duration;
    if (end > length + kMaxOvershoot) {
      throw AudioError(item.where + ": the segment ends at " + seconds(end) + " but " + path + " lasts " +
                       seconds(length) + " (more than " + seconds(kMaxOvershoot) +
                       " past the end); fix the segment times");
    }
    end_frame_ = std::min<int64_t>(info.frames, std::llround(end * rate));
  }
  if (next_frame_ > 0) file_->seek(next_frame_);
  out_rate_ = o.sample_rate > 0 ? o.sample_rate : info.sample_rate;
  if (out_rate_ != info.sample_rate) resampler_ = std::make_unique<Resampler>(rate, out_rate_);
  if (o.max_seconds > 0) {
    chunk_len_ = std::max<int64_t>(1, std::llround(o.max_seconds * out_rate_));
    overlap_ = std::llround(o.overlap_seconds * out_rate_);
    if (overlap_ >= chunk_len_) overlap_ = chunk_len_ - 1;
  }
  block_.resize(static_cast<size_t>(o.block_frames * info.channels));
  // The whole item (or one chunk plus a block) is held at once: reserve it, so that a long recording is
  // not copied again at every doubling of the buffer.
  const double ratio = static_cast<double>(out_rate_) / info.sample_rate;
  const double item_out = static_cast<double>(end_frame_ - next_frame_) * ratio + 1024;
  const double held =
      chunk_len_ > 0
          ? std::min<double>(item_out, static_cast<double>(chunk_len_) + o.block_frames * ratio + 1024)
          : item_out;
  // At most kMaxReserve samples up front: the frame count is the header's claim, and a damaged or
  // hostile header (a FLAC STREAMINFO of 2^36 samples) made this reserve fail with a bare
  // std::bad_alloc before a byte was decoded. Past the cap the buffer grows as the data really comes.
  buffer_.reserve(static_cast<size_t>(std::min(held, kMaxReserve)));
}

void ItemReader::fill() {
  const AudioInfo& info = file_->info();
  const int ch = info.channels;
  const int64_t want = std::min<int64_t>(o_.block_frames, end_frame_ - next_frame_);
  int64_t got = want > 0 ? file_->read(block_.data(), want) : 0;
  if (want > 0 && got == 0) {
    throw AudioError(file_->path() + ": the data ends after frame " + std::to_string(next_frame_) +
                     " of the " + std::to_string(info.frames) +
                     " its header declares; the file is truncated");
  }
  mono_.resize(static_cast<size_t>(got));
  if (ch == 1) {
    bool finite = true;
    for (int64_t i = 0; i < got; ++i) {
      finite &= std::isfinite(block_[static_cast<size_t>(i)]);
      mono_[static_cast<size_t>(i)] = block_[static_cast<size_t>(i)] * o_.scale;
    }
    if (!finite) {
      for (int64_t i = 0; i < got; ++i) {
        if (!std::isfinite(block_[static_cast<size_t>(i)])) {
          throw AudioError(file_->path() + ": sample " + std::to_string(next_frame_ + i) +
                           " (channel 0) is " +
                           (std::isnan(block_[static_cast<size_t>(i)]) ? "NaN" : "infinite") +
                           "; the float data is damaged");
        }
      }
    }
  }
  for (int64_t i = 0; ch > 1 && i < got; ++i) {
    const float* frame = block_.data() + i * ch;
    float v = 0;
    if (o_.channel >= 0) {
      v = frame[o_.channel];
    } else {
      double sum = 0;
      for (int c = 0; c < ch; ++c) sum += frame[c];
      v = static_cast<float>(sum / ch);
    }
    if (!std::isfinite(v)) {
      for (int c = 0; c < ch; ++c) {
        if (!std::isfinite(frame[c])) {
          throw AudioError(file_->path() + ": sample " + std::to_string(next_frame_ + i) + " (channel " +
                           std::to_string(c) + ") is " + (std::isnan(frame[c]) ? "NaN" : "infinite") +
                           "; the float data is damaged");
        }
      }
    }
    mono_[static_cast<size_t>(i)] = v * o_.scale;
  }
  next_frame_ += got;
  if (resampler_) {
    resampler_->process(mono_.data(), mono_.size(), buffer_);
  } else {
    buffer_.insert(buffer_.end(), mono_.begin(), mono_.end());
  }
  if (next_frame_ >= end_frame_) {
    if (resampler_) resampler_->flush(buffer_);
    eof_ = true;
  }
}

bool ItemReader::next(AudioChunk& out) {
  if (done_) return false;
  while (!eof_ && (chunk_len_ == 0 || static_cast<int64_t>(buffer_.size()) < chunk_len_)) fill();
  out.sample_rate = out_rate_;
  out.index = index_++;
  out.offset = start_seconds_ + static_cast<double>(buffer_start_) / out_rate_;
  const int64_t have = static_cast<int64_t>(buffer_.size());
  if (chunk_len_ == 0 || have <= chunk_len_) {
    // The last chunk (or the whole item).
    done_ = eof_ || chunk_len_ == 0;
    if (done_) {
      out.samples.swap(buffer_);
      buffer_.clear();
      return true;
    }
    out.samples.assign(buffer_.begin(), buffer_.end());
  } else {
    out.samples.assign(buffer_.begin(), buffer_.begin() + chunk_len_);
  }
  const int64_t step = chunk_len_ - overlap_;
  buffer_.erase(buffer_.begin(),
                buffer_.begin() + std::min<int64_t>(step, static_cast<int64_t>(buffer_.size())));
  buffer_start_ += step;
  // Only the overlap left, and nothing more to come: it is already in the chunk just made.
  if (eof_ && static_cast<int64_t>(buffer_.size()) <= overlap_) done_ = true;
  return true;
}

}  // namespace seqflow::audio
