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

namespace fs = std::filesystem;

namespace {

// Runs the CLI on `dir`/p.toml, sends `sig` after `delay`, returns the exit status and stderr.
std::pair<int, std::string> interrupted_run(const fs::path& dir, int sig, std::chrono::milliseconds delay) {
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
  std::this_thread::sleep_for(delay);
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, seqflow::test::read_file(dir / "stderr.txt")};
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM stop a run with no partial output", "[runtime][signal]") {
  for (const auto& [sig, code, name] :
       {std::tuple{SIGINT, 130, "SIGINT"}, std::tuple{SIGTERM, 143, "SIGTERM"}}) {
    const fs::path dir = fs::temp_directory_path() / ("seqflow_signal_" + std::to_string(::getpid()) + name);
    fs::remove_all(dir);
    fs::create_directories(dir / "out");
    // 4000 records of 2 ms each on 2 threads: about 4 s, interrupted after 0.5 s.
    std::ofstream(dir / "p.toml")
        << "[pipeline]\nname = \"long\"\n[[stage]]\nname = \"gen\"\n"
           "plugin = \"testkit.count\"\ncount = 4000\n[[stage]]\nname = \"nap\"\n"
           "plugin = \"testkit.nap\"\nus = 2000\n[[stage]]\nname = \"write\"\n"
           "plugin = \"io.jsonl_write\"\npath = \"out/o.jsonl\"\nfields = [\"id\"]\n";
    const auto t0 = std::chrono::steady_clock::now();
    const auto [rc, err] = interrupted_run(dir, sig, std::chrono::milliseconds(500));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(name << ": " << err);
    CHECK(rc == code);
    CHECK(err.find(std::string("interrupted by ") + name) != std::string::npos);
    CHECK(secs < 3.0);                 // it stopped, rather than finishing the 4 s of work
    CHECK(fs::is_empty(dir / "out"));  // no output, no temporary, no provenance
    fs::remove_all(dir);
  }
}
