#include "manifest.hpp"

#include "sound_file.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>

namespace seqflow::audio {

namespace {

std::vector<std::string> read_lines(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AudioError(path + ": cannot open the " + std::string(what) + "; check the path");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> split_ws(const std::string& s, size_t max_fields) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i == s.size()) break;
    if (out.size() + 1 == max_fields) {
      size_t end = s.size();
      while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t')) --end;
      out.push_back(s.substr(i, end - i));
      break;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::string resolve(const std::string& base_folder, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return base_folder + p;
}

bool parse_number(const std::string& s, double& v) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(v);
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

}  // namespace

std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

std::vector<AudioItem> items_from_paths(const std::vector<std::string>& files) {
  std::vector<AudioItem> items;
  for (const std::string& f : files) {
    AudioItem it;
    it.id = file_stem(f);
    it.path = f;
    it.where = f;
    items.push_back(std::move(it));
  }
  return items;
}

std::vector<AudioItem> read_wav_scp(const std::string& scp, const std::string& segments) {
  const std::string base = folder_of(scp);
  const std::vector<std::string> lines = read_lines(scp, "wav.scp");
  std::vector<AudioItem> recordings;
  std::map<std::string, size_t> by_key;
  for (size_t n = 0; n < lines.size(); ++n) {
    if (blank(lines[n])) continue;
    AudioItem it;
    it.where = scp + ":" + std::to_string(n + 1);
    const std::vector<std::string> f = split_ws(lines[n], 2);
    if (f.size() < 2) {
      it.id = f.empty() ? "" : f[0];
      it.error = it.where + ": the line has a key ('" + it.id +
                 "') but no audio path; write '<key> <path>' (Kaldi wav.scp)";
    } else if (f[1].back() == '|') {
      it.id = f[0];
      it.error = it.where + ": '" + f[1] +
                 "' is a Kaldi pipe command; seqflow reads files only: convert the audio first (e.g. with "
                 "sox) and list the files";
    } else {
      it.id = f[0];
      it.path = resolve(base, f[1]);
    }
    if (it.error.empty() && !by_key.emplace(it.id, recordings.size()).second) {
      it.error = it.where + ": the key '" + it.id + "' appears twice in the wav.scp; keys must be unique";
    }
    recordings.push_back(std::move(it));
  }
  if (segments.empty()) return recordings;

  std::vector<AudioItem> items;
  const std::vector<std::string> seg_lines = read_lines(segments, "segments file");
  for (size_t n = 0; n < seg_lines.size(); ++n) {
    if (blank(seg_lines[n])) continue;
    AudioItem it;
    it.where = segments + ":" + std::to_string(n + 1);
    const std::vector<std::string> f = split_ws(seg_lines[n], 0);
    double start = 0;
    double end = 0;
    if (f.size() != 4) {
      it.id = f.empty() ? "" : f[0];
      it.error = it.where + ": expected 4 fields '<utterance> <recording> <start> <end>', found " +
                 std::to_string(f.size());
    } else if (!parse_number(f[2], start) || !parse_number(f[3], end)) {
      it.id = f[0];
      it.error = it.where + ": start '" + f[2] + "' and end '" + f[3] + "' must be numbers of seconds";
    } else if (start < 0 || (end != -1 && end <= start)) {
      it.id = f[0];
      it.error = it.where + ": the segment [" + f[2] + ", " + f[3] +
                 "] s is empty or negative; end must exceed start (or be -1 for the end of the recording)";
    } else {
      it.id = f[0];
      auto rec = by_key.find(f[1]);
      if (rec == by_key.end()) {
        it.error = it.where + ": the recording '" + f[1] + "' is not in " + scp;
      } else {
        const AudioItem& r = recordings[rec->second];
        it.error = r.error;
        it.path = r.path;
        it.start = start;
        it.duration = end == -1 ? -1.0 : end - start;
      }
    }
    items.push_back(std::move(it));
  }
  return items;
}

std::vector<AudioItem> read_jsonl_manifest(const std::string& path) {
  const std::string base = folder_of(path);
  const std::vector<std::string> lines = read_lines(path, "manifest");
  std::vector<AudioItem> items;
  for (size_t n = 0; n < lines.size(); ++n) {
    if (blank(lines[n])) continue;
    AudioItem it;
    it.where = path + ":" + std::to_string(n + 1);
    nlohmann::json j = nlohmann::json::parse(lines[n], nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      it.error = it.where + ": the line is not a JSON object; write one {\"audio_filepath\": ...} per line";
      items.push_back(std::move(it));
      continue;
    }
    auto fail = [&](const std::string& what) {
      it.error = it.where + ": " + what;
      items.push_back(it);
    };
    auto p = j.find("audio_filepath");
    if (p == j.end() || !p->is_string() || p->get<std::string>().empty()) {
      fail("no \"audio_filepath\" (a non-empty string naming the audio file)");
      continue;
    }
    it.path = resolve(base, p->get<std::string>());
    bool segment = false;
    if (auto o = j.find("offset"); o != j.end() && !o->is_null()) {
      if (!o->is_number() || o->get<double>() < 0) {
        fail("\"offset\" must be a number of seconds, 0 or more");
        continue;
      }
      it.start = o->get<double>();
      segment = true;
    }
    if (auto d = j.find("duration"); d != j.end() && !d->is_null()) {
      if (!d->is_number() || !(d->get<double>() > 0)) {
        fail("\"duration\" must be a number of seconds above 0 (or null for the rest of the file)");
        continue;
      }
      it.duration = d->get<double>();
      segment = true;
    }
    if (auto id = j.find("id"); id != j.end() && id->is_string()) {
      it.id = id->get<std::string>();
    } else {
      it.id = file_stem(it.path);
      if (segment) it.id.append(1, '_').append(std::to_string(n + 1));
    }
    items.push_back(std::move(it));
  }
  return items;
}

std::vector<AudioItem> read_manifest(const std::string& path, const std::string& segments) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AudioError(path + ": cannot open the manifest; check the path");
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
  }
  if (c == '{') {
    if (!segments.empty()) {
      throw AudioError(path +
                       ": a JSONL manifest carries its own offset/duration; 'segments' goes with a "
                       "Kaldi wav.scp only");
    }
    return read_jsonl_manifest(path);
  }
  return read_wav_scp(path, segments);
}

}  // namespace seqflow::audio
