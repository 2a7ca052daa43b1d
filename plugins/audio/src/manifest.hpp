// Manifests: the list of recordings (or segments of them) that audio.read turns into records.
//
// Formats: a Kaldi wav.scp ("<key> <path>" per line), optionally with a Kaldi segments file
// ("<utterance> <recording key> <start s> <end s>", end -1 = to the end of the recording), or a JSONL
// manifest (NeMo's / Lhotse users' {"audio_filepath": ..., "offset": s, "duration": s}, optional "id").
// Relative audio paths resolve against the manifest's folder.
// Lifecycle: parsed once, when the reader stage is created. Threading: plain functions.
// Errors: a missing or unreadable manifest throws AudioError. A bad line does not: it becomes an item whose
// `error` says "FILE:LINE: what is wrong; what to do", so the reader reports it in order, under on_error.
#pragma once

#include <string>
#include <vector>

namespace seqflow::audio {

struct AudioItem {
  std::string id;
  std::string path;
  double start = 0.0;      // seconds into the file
  double duration = -1.0;  // seconds; negative: to the end of the file
  std::string where;       // "manifest:line" or the path, for messages
  std::string error;       // non-empty: this line is malformed
};

/// One item per file: id = the file name without folder and last extension.
std::vector<AudioItem> items_from_paths(const std::vector<std::string>& files);
/// A wav.scp, or with `segments` non-empty one item per segment line. Throws AudioError.
std::vector<AudioItem> read_wav_scp(const std::string& scp, const std::string& segments);
/// A JSONL manifest. id: the line's "id" when given, else the file stem, with "_<line>" appended when the
/// line has an offset or duration (several segments of one file get distinct ids). Throws AudioError.
std::vector<AudioItem> read_jsonl_manifest(const std::string& path);
/// Picks the format from the content: JSONL when the first non-blank character is '{', else wav.scp.
std::vector<AudioItem> read_manifest(const std::string& path, const std::string& segments);

std::string file_stem(const std::string& path);

}  // namespace seqflow::audio
