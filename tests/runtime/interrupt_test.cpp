// SIGINT and SIGTERM cancel a run cleanly: the CLI exits 130 / 143, names the signal, and leaves no
// output and no temporary file behind (engine/src/interrupt.cpp).
#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

namespace fs = std::filesystem;

namespace {

// Runs the CLI on `dir`/p.toml, sends `sig` once the run has started (its writer's temporary file exists)
// and `delay` more has passed; returns the exit status, stderr and the seconds from the signal to the exit.
std::tuple<int, std::string, double> interrupted_run(const fs::path& dir, int sig,
                                                     std::chrono::milliseconds delay) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string err = (dir / "stderr.txt").string();
    ::freopen(err.c_str(), "w", stderr);
    ::freopen("/dev/null", "w", stdout);
    ::chdir(dir.c_str());
    ::setenv("SEQFLOW_PLUGIN_PATH", SEQFLOW_BINARY_DIR "/test_plugins", 1);
    ::execl(SEQFLOW_BIN, SEQFLOW_BIN, "run", "p.toml", "--threads", "2", "--no-progress", nullptr);
    ::_exit(127);
  }
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (fs::is_empty(dir / "out") && std::chrono::steady_clock::now() < limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(delay);
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, seqflow::test::read_file(dir / "stderr.txt"), secs};
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM stop a run with no partial output", "[runtime][signal]") {
  for (const auto& [sig, code, name] :
       {std::tuple{SIGINT, 130, "SIGINT"}, std::tuple{SIGTERM, 143, "SIGTERM"}}) {
    const fs::path dir = fs::temp_directory_path() / ("seqflow_signal_" + std::to_string(::getpid()) + name);
    fs::remove_all(dir);
    fs::create_directories(dir / "out");
    // 4000 records of 2 ms each on 2 threads: about 4 s, interrupted 0.3 s after it started.
    std::ofstream(dir / "p.toml")
        << "[pipeline]\nname = \"long\"\n[[stage]]\nname = \"gen\"\n"
           "plugin = \"testkit.count\"\ncount = 4000\n[[stage]]\nname = \"nap\"\n"
           "plugin = \"testkit.nap\"\nus = 2000\n[[stage]]\nname = \"write\"\n"
           "plugin = \"io.jsonl_write\"\npath = \"out/o.jsonl\"\nfields = [\"id\"]\n";
    const auto [rc, err, secs] = interrupted_run(dir, sig, std::chrono::milliseconds(300));
    INFO(name << ": " << err);
    CHECK(rc == code);
    CHECK(err.find(std::string("interrupted by ") + name) != std::string::npos);
    CHECK(secs < 3.0);                 // it stopped, rather than finishing the 4 s of work
    CHECK(fs::is_empty(dir / "out"));  // no output, no temporary, no provenance
    fs::remove_all(dir);
  }
}
