// The parity fixtures through the CLI: each fixture's pipeline.toml (io.npy_read -> [onednn.run for the
// decoder memory] -> onednn.run with length-grouped batches of 3 -> io.npy_write) must write every
// record's output within the fixture's tolerance of PyTorch's. Fixtures with recurrent layers run once
// per `rnn_kernel`, set from the command line, and on the matmul kernel also with the stage's
// `threads = 2`, which must write the same bytes as one thread.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fixture_util.hpp"

namespace fs = std::filesystem;

namespace {

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("every fixture through io.npy_read -> onednn.run -> io.npy_write matches PyTorch",
          "[onednn][cli]") {
  fs::path tmp = fs::temp_directory_path() / ("seqflow_onednn_cli_" + std::to_string(::getpid()));
  int checked = 0;
  int recurrent = 0;
  for (const auto& e : fs::directory_iterator(ONEDNN_FIXTURES)) {
    if (!e.is_directory()) continue;
    const fs::path dir = e.path();
    toml::table meta = toml::parse_file((dir / "fixture.toml").string());
    const double tol = meta["tolerance"].value_or(1e-4);
    std::vector<std::string> kernels{""};
    for (const seqflow::onednn::LayerConfig& c : fixture::layers_of(dir / "pipeline.toml"))
      if (c.type == "lstm" || c.type == "gru" || c.type == "rnn")
        kernels = {"primitive", "matmul", "matmul, threads 2"};
    if (kernels.size() > 1) ++recurrent;
    for (const std::string& kernel : kernels) {
      INFO("fixture " << dir.filename().string() << " " << kernel);
      const bool two = kernel == "matmul, threads 2";
      fs::path out = tmp / (dir.filename().string() + (two ? "_2" : ""));
      fs::remove_all(out);
      fs::path log = tmp / (dir.filename().string() + ".log");
      fs::create_directories(tmp);
      std::string cmd =
          std::string(SEQFLOW_BIN) + " run '" + (dir / "pipeline.toml").string() +
          "' --threads 2 --no-progress --set write.dir='" + out.string() + "'" +
          (kernel.empty() ? "" : " --set resources.model.rnn_kernel=" + kernel.substr(0, kernel.find(','))) +
          (two ? " --set model.threads=2" : "") + " > '" + log.string() + "' 2>&1";
      int rc = run(cmd);
      if (rc != 0) {
        std::string text;
        if (FILE* f = std::fopen(log.c_str(), "r")) {
          char buf[4096];
          size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
          text.assign(buf, n);
          std::fclose(f);
        }
        FAIL("seqflow exited with " << rc << ":\n" << text);
      }
      for (const std::string& id : fixture::record_ids(dir)) {
        INFO("record " << id);
        fixture::Npy want = fixture::read_npy(dir / "expected" / (id + ".npy"));
        REQUIRE(fs::exists(out / (id + ".npy")));
        fixture::Npy got = fixture::read_npy(out / (id + ".npy"));
        REQUIRE(got.shape == want.shape);
        double err = 0;
        for (size_t i = 0; i < want.f.size(); ++i)
          err = std::max(err, static_cast<double>(std::fabs(got.f[i] - want.f[i])));
        CHECK(err <= tol);
        if (two) CHECK(bytes(out / (id + ".npy")) == bytes(tmp / dir.filename() / (id + ".npy")));
      }
    }
    ++checked;
  }
  fs::remove_all(tmp);
  CHECK(checked >= 30);
  CHECK(recurrent >= 8);
}
