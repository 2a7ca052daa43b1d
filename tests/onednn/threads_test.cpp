// No oversubscription: with `--threads 2` each engine worker runs oneDNN on one OpenMP thread, so the
// process uses at most about 2 CPU seconds per wall second (Debian's oneDNN would otherwise start an
// OpenMP team of every core in every worker). The same holds for one worker with `threads = 2`.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

void write_npy(const fs::path& p, const std::vector<float>& v, int64_t rows, int64_t cols) {
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                  std::to_string(cols) + "), }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::ofstream o(p, std::ios::binary);
  o.write("\x93NUMPY\x01\x00", 8);
  const uint16_t n = static_cast<uint16_t>(h.size());
  o.put(static_cast<char>(n & 0xff));
  o.put(static_cast<char>(n >> 8));
  o << h;
  o.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
}

// A bidirectional 2-layer LSTM 40 -> 256 with random weights, as safetensors.
void write_model(const fs::path& p) {
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  std::string header = "{", data;
  auto add = [&](const std::string& name, int64_t r, int64_t c) {
    std::vector<float> v(static_cast<size_t>(r * c));
    for (float& x : v) x = u(g);
    const size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    if (header.size() > 1) header += ',';
    header += '"';
    header += name;
    header += "\":{\"dtype\":\"F32\",\"shape\":[";
    header += std::to_string(r);
    if (c > 1) {
      header += ',';
      header += std::to_string(c);
    }
    header += "],\"data_offsets\":[";
    header += std::to_string(begin);
    header += ',';
    header += std::to_string(data.size());
    header += "]}";
  };
  const int64_t H = 256;
  for (int l = 0; l < 2; ++l)
    for (const char* sfx : {"", "_reverse"}) {
      std::string s = "_l" + std::to_string(l) + sfx;
      add("rnn.weight_ih" + s, 4 * H, l == 0 ? 40 : 2 * H);
      add("rnn.weight_hh" + s, 4 * H, H);
      add("rnn.bias_ih" + s, 4 * H, 1);
      add("rnn.bias_hh" + s, 4 * H, 1);
    }
  header += "}";
  std::ofstream o(p, std::ios::binary);
  uint64_t n = header.size();
  o.write(reinterpret_cast<const char*>(&n), 8);
  o << header << data;
}

struct Usage {
  double wall = 0, cpu = 0;
};

Usage run(const fs::path& dir, const std::string& extra) {
  fs::path stats = dir / "stats.json";
  std::string cmd = std::string(SEQFLOW_BIN) + " run '" + (dir / "pipeline.toml").string() +
                    "' --no-progress --stats '" + stats.string() + "' " + extra + " > '" +
                    (dir / "log.txt").string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(rc));
  REQUIRE(WEXITSTATUS(rc) == 0);
  std::ifstream in(stats);
  nlohmann::json j = nlohmann::json::parse(in);
  return {j.at("wall_seconds").get<double>(), j.at("cpu_seconds").get<double>()};
}

}  // namespace

TEST_CASE("--threads 2 keeps CPU time per wall second at about 2", "[onednn][threads]") {
  fs::path dir = fs::temp_directory_path() / ("seqflow_onednn_threads_" + std::to_string(::getpid()));
  fs::create_directories(dir / "in");
  write_model(dir / "model.safetensors");
  std::mt19937 g(1);
  std::normal_distribution<float> nd;
  for (int r = 0; r < 40; ++r) {
    const int64_t T = 300 + (r * 37) % 100;
    std::vector<float> v(static_cast<size_t>(T * 40));
    for (float& x : v) x = nd(g);
    char name[32];
    std::snprintf(name, sizeof(name), "r%03d.npy", r);
    write_npy(dir / "in" / name, v, T, 40);
  }
  std::ofstream(dir / "pipeline.toml") << R"([pipeline]
name = "threads"

[resources.am]
plugin = "onednn.model"
weights = "model.safetensors"
layers = [{ type = "lstm", prefix = "rnn", num_layers = 2, bidirectional = true }]

[[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["in/*.npy"]
output = "feats"

[[stage]]
name = "am"
plugin = "onednn.run"
model = "am"
input = "feats"
output = "out"
batch = { size = 4, by_length = true }

[[stage]]
name = "sink"
plugin = "io.discard"
)";
  Usage two_workers = run(dir, "--threads 2");
  INFO("2 workers x 1 OpenMP thread: " << two_workers.cpu << " s cpu over " << two_workers.wall << " s wall");
  CHECK(two_workers.cpu / two_workers.wall <= 2.3);
  Usage one_worker = run(dir, "--threads 1 --set am.threads=2");
  INFO("1 worker x 2 OpenMP threads: " << one_worker.cpu << " s cpu over " << one_worker.wall << " s wall");
  CHECK(one_worker.cpu / one_worker.wall <= 2.3);
  Usage serial = run(dir, "--threads 1");
  INFO("1 worker x 1 OpenMP thread: " << serial.cpu << " s cpu over " << serial.wall << " s wall");
  CHECK(serial.cpu / serial.wall <= 1.3);
  std::printf("cpu/wall: --threads 2: %.2f, --threads 1 + threads = 2: %.2f, --threads 1: %.2f\n",
              two_workers.cpu / two_workers.wall, one_worker.cpu / one_worker.wall, serial.cpu / serial.wall);
  fs::remove_all(dir);
}
