// audio.read: the source of the audio module.
//
// What it is: an SDK source over ItemReader. It takes files (`paths`, globs expanded in sorted order) or
// a manifest (Kaldi wav.scp with optional segments, or JSONL) and emits one record per file, segment or
// manifest line, or per chunk of it when max_seconds > 0, with fields id, audio (f32 [T]), sample_rate
// and offset.
// Lifecycle: the constructor expands the paths or parses the manifest and checks the parameters; read()
// decodes one item at a time, a block at a time, so a long recording streams in bounded memory.
// Threading: serial (one instance). Ownership: owns the current ItemReader.
// Errors: a bad file or manifest line throws seqflow::Error naming it (libsndfile's words included); with
// on_error = "skip" it is reported through ctx.input_skipped() and reading goes on with the next item.
#pragma once

#include "component_util.hpp"
#include "item_reader.hpp"
#include "manifest.hpp"

#include <seqflow/sdk.hpp>

#include <glob.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace seqflow::audio {

/// Expands glob patterns (sorted); plain paths are kept (their absence is reported when read).
inline std::vector<std::string> expand_audio_paths(const std::vector<std::string>& patterns) {
  std::vector<std::string> files;
  for (const std::string& p : patterns) {
    if (p.find_first_of("*?[") == std::string::npos) {
      files.push_back(p);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(p.c_str(), 0, nullptr, &g);
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    globfree(&g);
    if (found.empty()) throw Error("the pattern '" + p + "' matches no file; check the path");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

class AudioRead : public Source<AudioRead> {
 public:
  static constexpr Info info{
      "read",
      "Reads audio files through libsndfile (WAV incl. 8/16/24/32-bit integer and 32/64-bit float, FLAC, Ogg "
      "Vorbis, Ogg Opus, MP3, AIFF, AU, ...), any rate and channel count. One record per file, wav.scp line, "
      "segment or JSONL line; with max_seconds, one record per chunk (id '<id>:<chunk index>').",
      "[[stage]]\nname = \"read\"\nplugin = \"audio.read\"\npaths = [\"wav/*.wav\"]\nsample_rate = 16000\n"
      "scale = \"int16\"   # Kaldi's convention, for audio.fbank to match compute-fbank-feats\n",
      SF_FLAG_SERIAL, 1};
  static constexpr sf_param_decl params[] = {
      Param::paths("paths", "[]",
                   "Audio files to read, in order. Glob patterns (*, ?, [..]) expand in sorted order. Give "
                   "either paths or manifest."),
      Param::path(
          "manifest", "\"\"",
          "A Kaldi wav.scp ('<key> <path>' lines) or a JSONL manifest ({\"audio_filepath\", "
          "\"offset\", \"duration\", optional \"id\"} lines, as NeMo writes); chosen from the content. "
          "Relative audio paths resolve against the manifest's folder."),
      Param::path("segments", "\"\"",
                  "A Kaldi segments file ('<utterance> <recording> <start> <end>' in seconds, end -1 = to "
                  "the end) over the wav.scp manifest: one record per segment."),
      Param::integer("sample_rate", "0",
                     "Resample to this rate in Hz with libsoxr (high quality); 0 keeps the file's rate."),
      Param::string(
          "channels", "\"mix\"",
          "\"mix\" (mean of all channels), \"first\" (channel 0) or a channel index such as \"1\"."),
      Param::string("scale", "\"unit\"",
                    "\"unit\": floats in [-1, 1] (torchaudio.load); \"int16\": times 32768, the int16 "
                    "magnitudes that Kaldi's tools and torchaudio.compliance.kaldi expect.",
                    "unit|int16"),
      Param::real("max_seconds", "0",
                  "Cut each item into chunks of at most this many seconds (streamed: memory stays at one "
                  "chunk); 0 = one record per item."),
      Param::real("overlap_seconds", "0",
                  "Seconds shared by consecutive chunks (below max_seconds); chunk k starts at k * "
                  "(max_seconds - overlap_seconds)."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::writes(
          nullptr, "id", SF_FIELD_STRING, SF_DTYPE_ANY,
          "file stem, wav.scp key, segment id or manifest id; ':<chunk>' appended with max_seconds"),
      Field::writes(nullptr, "audio", SF_FIELD_TENSOR, SF_DTYPE_F32, "samples, f32 [T]"),
      Field::writes(nullptr, "sample_rate", SF_FIELD_INT, SF_DTYPE_ANY, "samples per second of audio"),
      Field::writes(nullptr, "offset", SF_FIELD_FLOAT, SF_DTYPE_ANY,
                    "start of the record in seconds from the start of its file"),
  };

  explicit AudioRead(CreateContext& ctx)
      : id_(ctx.field("id")),
        audio_(ctx.field("audio")),
        rate_(ctx.field("sample_rate")),
        offset_(ctx.field("offset")) {
    const std::vector<std::string> paths = ctx.param("paths").as_strings();
    const std::string manifest = ctx.param("manifest").as_string();
    const std::string segments = ctx.param("segments").as_string();
    if (paths.empty() == manifest.empty()) {
      throw Error("give either paths (audio files) or manifest (a wav.scp or JSONL file), not " +
                  std::string(paths.empty() ? "neither" : "both"));
    }
    if (!segments.empty() && manifest.empty()) throw Error("segments needs a wav.scp given as manifest");
    try {
      items_ =
          manifest.empty() ? items_from_paths(expand_audio_paths(paths)) : read_manifest(manifest, segments);
    } catch (const AudioError& e) {
      throw Error(e.what(), SF_ERR_IO);
    }
    const int64_t rate = ctx.param("sample_rate").as_int();
    if (rate < 0 || rate > 1000000) {
      throw Error("sample_rate = " + std::to_string(rate) + " is out of range; use 0 (keep) or a rate in Hz");
    }
    options_.sample_rate = static_cast<int>(rate);
    const std::string channels = ctx.param("channels").as_string();
    if (channels == "mix") {
      options_.channel = -1;
    } else if (channels == "first") {
      options_.channel = 0;
    } else if (!channels.empty() && channels.size() < 4 &&
               channels.find_first_not_of("0123456789") == std::string::npos) {
      options_.channel = std::stoi(channels);
    } else {
      throw Error("channels = \"" + channels +
                  "\" is not \"mix\", \"first\" or a channel index such as \"1\"");
    }
    const std::string scale = ctx.param("scale").as_string();
    if (scale != "unit" && scale != "int16")
      throw Error("scale = \"" + scale + "\": use \"unit\" or \"int16\"");
    options_.scale = scale == "int16" ? 32768.0f : 1.0f;
    options_.max_seconds = ctx.param("max_seconds").as_float();
    options_.overlap_seconds = ctx.param("overlap_seconds").as_float();
    if (options_.max_seconds < 0) throw Error("max_seconds must be 0 (no chunks) or more");
    if (options_.overlap_seconds < 0 ||
        (options_.max_seconds > 0 && options_.overlap_seconds >= options_.max_seconds)) {
      throw Error("overlap_seconds = " + num_text(options_.overlap_seconds) +
                  " must be 0 or more and below max_seconds = " + num_text(options_.max_seconds));
    }
    if (options_.max_seconds == 0 && options_.overlap_seconds > 0) {
      throw Error("overlap_seconds needs max_seconds > 0 (chunks to overlap)");
    }
  }

  bool read(Context& ctx, uint32_t max) {
    uint32_t emitted = 0;
    while (emitted < max) {
      if (!reader_) {
        if (next_item_ == items_.size()) return false;
        const AudioItem& item = items_[next_item_++];
        if (!open(ctx, item)) continue;
      }
      bool got = false;
      try {
        got = reader_->next(chunk_);
      } catch (const AudioError& e) {
        reader_.reset();
        report(ctx, current_where_, e.what());
        continue;
      }
      if (!got) {
        reader_.reset();
        continue;
      }
      Record out = ctx.emit();
      out.set_string(
          id_, options_.max_seconds > 0 ? current_id_ + ":" + std::to_string(chunk_.index) : current_id_);
      std::span<float> dst = out.make_tensor<float>(audio_, {static_cast<int64_t>(chunk_.samples.size())});
      std::copy(chunk_.samples.begin(), chunk_.samples.end(), dst.begin());
      out.set_int(rate_, chunk_.sample_rate);
      out.set_float(offset_, chunk_.offset);
      ++emitted;
    }
    return true;
  }

 private:
  bool open(Context& ctx, const AudioItem& item) {
    current_where_ = item.where;
    if (!item.error.empty()) {
      report(ctx, item.where, item.error);
      return false;
    }
    try {
      reader_ = std::make_unique<ItemReader>(item, options_);
    } catch (const AudioError& e) {
      report(ctx, item.where, e.what());
      return false;
    } catch (const std::exception& e) {
      report(ctx, item.where, item.path + ": " + e.what());
      return false;
    }
    current_id_ = item.id;
    return true;
  }

  static void report(Context& ctx, const std::string& where, const std::string& message) {
    if (!ctx.skip_errors()) throw Error(message + " (on_error = \"skip\" would skip this item)", SF_ERR_IO);
    ctx.input_skipped(where, message);
  }

  Slot id_;
  Slot audio_;
  Slot rate_;
  Slot offset_;
  ReadOptions options_;
  std::vector<AudioItem> items_;
  size_t next_item_ = 0;
  std::unique_ptr<ItemReader> reader_;
  std::string current_id_;
  std::string current_where_;
  AudioChunk chunk_;
};

}  // namespace seqflow::audio
