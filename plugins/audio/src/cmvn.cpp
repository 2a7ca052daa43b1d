#include "cmvn.hpp"

#include "sound_file.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace seqflow::audio {

namespace {

constexpr double kVarianceFloor = 1e-20;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AudioError(path + ": cannot open the CMVN statistics file; check the path");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CmvnStats from_sums(const std::string& path, const std::vector<double>& sum, const std::vector<double>& sumsq,
                    double count) {
  if (!(count > 0))
    throw AudioError(path + ": the frame count is " + std::to_string(count) + "; it must be above 0");
  CmvnStats s;
  for (size_t i = 0; i < sum.size(); ++i) {
    const double m = sum[i] / count;
    const double var = std::max(sumsq[i] / count - m * m, kVarianceFloor);
    s.mean.push_back(m);
    s.std.push_back(std::sqrt(var));
  }
  return s;
}

CmvnStats parse_kaldi(const std::string& path, const std::string& text) {
  const size_t open = text.find('[');
  const size_t close = text.find(']', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    throw AudioError(path +
                     ": not a Kaldi text matrix ('[ ... ]'); write it with compute-cmvn-stats "
                     "--binary=false or copy-matrix --binary=false");
  }
  std::vector<std::vector<double>> rows;
  std::stringstream body(text.substr(open + 1, close - open - 1));
  std::string line;
  while (std::getline(body, line)) {
    std::stringstream ls(line);
    std::vector<double> row;
    std::string tok;
    while (ls >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      if (end == tok.c_str() || *end != '\0') throw AudioError(path + ": '" + tok + "' is not a number");
      row.push_back(v);
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  if (rows.size() != 2 || rows[0].size() != rows[1].size() || rows[0].size() < 2) {
    throw AudioError(path +
                     ": a Kaldi cmvn-stats matrix has 2 rows of D+1 numbers (sums and count; sums of "
                     "squares and 0); this one has " +
                     std::to_string(rows.size()) + " row(s)");
  }
  const size_t d = rows[0].size() - 1;
  return from_sums(path, std::vector<double>(rows[0].begin(), rows[0].begin() + static_cast<long>(d)),
                   std::vector<double>(rows[1].begin(), rows[1].begin() + static_cast<long>(d)), rows[0][d]);
}

std::vector<double> numbers(const std::string& path, const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->empty()) {
    throw AudioError(path + ": \"" + key + "\" must be a non-empty array of numbers");
  }
  std::vector<double> out;
  for (const auto& v : *it) {
    if (!v.is_number()) throw AudioError(path + ": \"" + key + "\" holds a value that is not a number");
    out.push_back(v.get<double>());
  }
  return out;
}

CmvnStats parse_json(const std::string& path, const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw AudioError(path + ": not a JSON object");
  if (j.contains("mean_stat")) {
    const std::vector<double> sum = numbers(path, j, "mean_stat");
    const std::vector<double> sq = numbers(path, j, "var_stat");
    if (sq.size() != sum.size()) throw AudioError(path + ": \"mean_stat\" and \"var_stat\" differ in length");
    if (!j.contains("frame_num") || !j["frame_num"].is_number()) {
      throw AudioError(path + ": \"frame_num\" (the frame count) is missing");
    }
    return from_sums(path, sum, sq, j["frame_num"].get<double>());
  }
  CmvnStats s;
  s.mean = numbers(path, j, "mean");
  s.std = numbers(path, j, "std");
  if (s.std.size() != s.mean.size()) throw AudioError(path + ": \"mean\" and \"std\" differ in length");
  for (double v : s.std) {
    if (!(v > 0))
      throw AudioError(path + ": \"std\" holds " + std::to_string(v) + "; every std must be above 0");
  }
  return s;
}

CmvnStats parse_npy(const std::string& path, const std::string& data) {
  if (data.size() < 10 || std::memcmp(data.data(), "\x93NUMPY", 6) != 0)
    throw AudioError(path + ": not a .npy file");
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len = 0;
  size_t start = 0;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(data[8]) | (static_cast<size_t>(static_cast<unsigned char>(data[9])) << 8);
    start = 10;
  } else {
    if (data.size() < 12) throw AudioError(path + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    start = 12;
  }
  if (start + header_len > data.size()) throw AudioError(path + ": truncated .npy header");
  const std::string header = data.substr(start, header_len);
  const bool f4 = header.find("'<f4'") != std::string::npos;
  const bool f8 = header.find("'<f8'") != std::string::npos;
  if (!f4 && !f8) throw AudioError(path + ": the .npy must hold little-endian float32 or float64");
  if (header.find("'fortran_order': False") == std::string::npos) {
    throw AudioError(path + ": the .npy must be in C order");
  }
  const size_t sp = header.find("'shape': (");
  long rows = 0;
  long cols = 0;
  if (sp == std::string::npos || std::sscanf(header.c_str() + sp, "'shape': (%ld, %ld)", &rows, &cols) != 2 ||
      rows != 2 || cols < 1) {
    throw AudioError(path + ": the .npy must have shape (2, D): row 0 the mean, row 1 the std");
  }
  const size_t elem = f4 ? 4 : 8;
  const size_t body = start + header_len;
  if (data.size() < body + elem * 2 * static_cast<size_t>(cols))
    throw AudioError(path + ": the .npy data is truncated");
  CmvnStats s;
  for (long i = 0; i < 2 * cols; ++i) {
    double v = 0;
    if (f4) {
      float f = 0;
      std::memcpy(&f, data.data() + body + static_cast<size_t>(i) * 4, 4);
      v = f;
    } else {
      std::memcpy(&v, data.data() + body + static_cast<size_t>(i) * 8, 8);
    }
    (i < cols ? s.mean : s.std).push_back(v);
  }
  for (double v : s.std) {
    if (!(v > 0))
      throw AudioError(path + ": the std row holds " + std::to_string(v) + "; every std must be above 0");
  }
  return s;
}

}  // namespace

CmvnStats load_cmvn_stats(const std::string& path) {
  const std::string data = slurp(path);
  if (data.size() >= 6 && std::memcmp(data.data(), "\x93NUMPY", 6) == 0) return parse_npy(path, data);
  const size_t first = data.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && data[first] == '{') return parse_json(path, data);
  if (data.find('\0') != std::string::npos) {
    throw AudioError(path + ": binary data; give a Kaldi text matrix (--binary=false), JSON or .npy");
  }
  return parse_kaldi(path, data);
}

CmvnStats utterance_stats(const float* data, int64_t rows, int64_t cols) {
  std::vector<double> sum(static_cast<size_t>(cols), 0.0);
  std::vector<double> sq(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const double v = data[r * cols + c];
      sum[static_cast<size_t>(c)] += v;
      sq[static_cast<size_t>(c)] += v * v;
    }
  }
  return from_sums("the record", sum, sq, static_cast<double>(rows));
}

void apply_cmvn(float* data, int64_t rows, int64_t cols, const CmvnStats& s, bool norm_means,
                bool norm_vars) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double v = data[r * cols + c];
      if (norm_means) v -= s.mean[static_cast<size_t>(c)];
      if (norm_vars) v /= s.std[static_cast<size_t>(c)];
      data[r * cols + c] = static_cast<float>(v);
    }
  }
}

}  // namespace seqflow::audio
