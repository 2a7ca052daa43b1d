// The text module's encoder on the benchmark corpus: one line of JSON per run with MB/s (wall and
// thread CPU time), the number of ids and the CRC-32 of the ids (little-endian int32, in document
// order), which run_bench.sh compares with each peer's.
//
//   bench_text TOKENIZER CORPUS [--encoding NAME] [--reps N] [--threads N] [--single-char BYTES]
// --threads splits the documents among N threads (each its own per-thread cache); --single-char
// replaces the corpus by one document of BYTES copies of "a".
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tokenizer.hpp"

using namespace seqflow::text;

namespace {
double thread_cpu() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr,
        "usage: bench_text TOKENIZER CORPUS [--encoding E] [--reps N] [--threads N] [--single-char B]\n");
    return 2;
  }
  LoadOptions opt;
  int reps = 3, threads = 1;
  size_t single = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--encoding") opt.encoding = argv[i + 1];
    else if (a == "--reps") reps = std::stoi(argv[i + 1]);
    else if (a == "--threads") threads = std::stoi(argv[i + 1]);
    else if (a == "--single-char") single = std::stoul(argv[i + 1]);
  }
  const auto t_load = std::chrono::steady_clock::now();
  const auto tok = load_tokenizer(argv[1], opt);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  std::vector<std::string> docs;
  size_t bytes = 0;
  if (single > 0) {
    docs.emplace_back(single, 'a');
  } else {
    std::ifstream f(argv[2], std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string all = ss.str();
    for (size_t at = 0; at <= all.size();) {
      size_t e = all.find('\x1e', at);
      if (e == std::string::npos) e = all.size();
      docs.push_back(all.substr(at, e - at));
      at = e + 1;
    }
  }
  for (const auto& d : docs) bytes += d.size();
  std::vector<double> wall, cpu;
  uint64_t ids = 0;
  uint32_t crc = 0;
  for (int r = 0; r < reps; ++r) {
    std::vector<std::vector<int32_t>> out(docs.size());
    std::vector<double> cpu_t(threads, 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto work = [&](int t) {
      const double c0 = thread_cpu();
      Encoding e;
      for (size_t k = t; k < docs.size(); k += threads) {
        e.ids.clear();
        tok->encode(docs[k], true, false, e);
        out[k] = e.ids;
      }
      cpu_t[t] = thread_cpu() - c0;
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
      for (auto& th : pool) th.join();
    }
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(*std::max_element(cpu_t.begin(), cpu_t.end()));
    ids = 0;
    crc = crc32(0L, Z_NULL, 0);
    for (const auto& v : out) {
      ids += v.size();
      crc = crc32(crc, reinterpret_cast<const Bytef*>(v.data()), static_cast<uInt>(v.size() * 4));
    }
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  const double mw = wall[wall.size() / 2], mc = cpu[cpu.size() / 2];
  std::printf(
      "{\"impl\": \"seqflow\", \"mb\": %.2f, \"threads\": %d, \"reps\": %d, \"wall_s\": %.4f, \"cpu_s\": "
      "%.4f, "
      "\"mb_s_wall\": %.2f, \"mb_s_cpu\": %.2f, \"ids\": %llu, \"crc32\": %u, \"load_s\": %.3f}\n",
      bytes / 1e6, threads, reps, mw, mc, bytes / 1e6 / mw, bytes / 1e6 / mc,
      static_cast<unsigned long long>(ids), crc, load_s);
  return 0;
}
