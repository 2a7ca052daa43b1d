// The data-driven end-to-end driver: runs every case folder under tests/e2e/cases through the seqflow
// CLI and checks its exit code, stderr and output files. A folder holding `pipeline.toml` or `args` is a
// case (searched recursively; a case's own subfolders are its data):
//   args             one line, default "run pipeline.toml --threads 2 --no-progress"; split on spaces,
//                    {case} = the case folder, {out} = a fresh empty folder for outputs
//   expected_exit    default 0
//   expected_stderr  each non-empty line must occur in stderr ({case} and {out} substituted)
//   expected/        every file must exist under {out} with identical bytes
// The CLI runs with the case folder as working directory and SEQFLOW_PLUGIN_PATH = the test-only
// plugins. SEQFLOW_E2E_FILTER=substring runs the cases whose relative path contains it.
#include <catch2/catch.hpp>

#include "support/test_files.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;

using seqflow::test::lines_of;
using seqflow::test::read_file;

namespace {

constexpr int kTimeoutSeconds = 300;
const char* const kDefaultArgs = "run pipeline.toml --threads 2 --no-progress";

struct Outcome {
  int exit_code = -1;  // when the process exited
  int signal = 0;      // when it was killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;
  std::string spawn_error;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Runs argv[0] (a path) without a shell, in `cwd`, with `env`; collects stdout and stderr through
// pipes read with poll() so that neither can fill up and block the child. Kills it after the timeout.
Outcome run_process(const std::vector<std::string>& args, const fs::path& cwd,
                    const std::vector<std::string>& env) {
  Outcome o;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    o.spawn_error = std::string("pipe: ") + std::strerror(errno);
    return o;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

  std::vector<char*> argv, envp;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    o.spawn_error = "cannot start " + args[0] + ": " + std::strerror(rc);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return o;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&o.out, &o.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      o.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  return o;
}

std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "SEQFLOW_PLUGIN_PATH=", 20) != 0) env.emplace_back(*e);
  env.emplace_back("SEQFLOW_PLUGIN_PATH=" SEQFLOW_BINARY_DIR "/test_plugins");
  return env;
}

bool is_case(const fs::path& dir) { return fs::exists(dir / "pipeline.toml") || fs::exists(dir / "args"); }

void find_cases(const fs::path& dir, std::vector<fs::path>& out) {
  if (is_case(dir)) {
    out.push_back(dir);
    return;
  }
  std::vector<fs::path> children;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) children.push_back(e.path());
  std::sort(children.begin(), children.end());
  for (const fs::path& c : children) find_cases(c, out);
}

std::vector<fs::path> files_under(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root));
  std::sort(out.begin(), out.end());
  return out;
}

// "" when equal; else where the first difference is, with both lines.
std::string first_difference(const std::string& expected, const std::string& actual) {
  if (expected == actual) return "";
  const std::vector<std::string> want = lines_of(expected), got = lines_of(actual);
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const std::string w = i < want.size() ? want[i] : "<end of file>";
    const std::string g = i < got.size() ? got[i] : "<end of file>";
    if (w != g)
      return "line " + std::to_string(i + 1) + ":\n  expected: " + w.substr(0, 400) +
             "\n  actual:   " + g.substr(0, 400);
  }
  // Same lines: the bytes differ in line endings or the final newline.
  return "same lines, different bytes (line endings or final newline): expected " +
         std::to_string(expected.size()) + " bytes, got " + std::to_string(actual.size());
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "seqflow_e2e_XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

void run_case(const fs::path& case_dir, const std::string& name) {
  const fs::path pipeline = case_dir / "pipeline.toml";
  if (fs::exists(pipeline) && read_file(pipeline).find("shared/data") != std::string::npos &&
      !fs::exists(SEQFLOW_SHARED_DATA)) {
    WARN("skipped " << name << ": it reads shared/data, and " << SEQFLOW_SHARED_DATA << " is absent");
    return;
  }

  TempDir out;
  REQUIRE_FALSE(out.path.empty());
  std::string args_line = kDefaultArgs;
  if (fs::exists(case_dir / "args")) {
    const std::vector<std::string> lines = lines_of(read_file(case_dir / "args"));
    args_line = lines.empty() ? "" : lines.front();
  }
  std::vector<std::string> argv = {SEQFLOW_BIN};
  std::stringstream tokens(args_line);
  for (std::string t; tokens >> t;)
    argv.push_back(replace_all(replace_all(t, "{case}", case_dir.string()), "{out}", out.path.string()));

  const Outcome o = run_process(argv, case_dir, child_environment());
  INFO("case " << name << ": seqflow " << args_line);
  INFO("stderr:\n" << o.err.substr(0, 4000));
  INFO("stdout:\n" << o.out.substr(0, 2000));
  REQUIRE(o.spawn_error == "");
  REQUIRE_FALSE(o.timed_out);
  REQUIRE(o.signal == 0);

  int expected_exit = 0;
  if (fs::exists(case_dir / "expected_exit"))
    expected_exit = std::stoi(read_file(case_dir / "expected_exit"));
  CHECK(o.exit_code == expected_exit);

  if (fs::exists(case_dir / "expected_stderr")) {
    for (std::string line : lines_of(read_file(case_dir / "expected_stderr"))) {
      if (line.empty()) continue;
      line = replace_all(replace_all(line, "{case}", case_dir.string()), "{out}", out.path.string());
      if (o.err.find(line) == std::string::npos) FAIL_CHECK("stderr lacks the expected text: " << line);
      else SUCCEED();
    }
  }

  const fs::path expected_dir = case_dir / "expected";
  if (fs::is_directory(expected_dir)) {
    for (const fs::path& rel : files_under(expected_dir)) {
      const fs::path actual = out.path / rel;
      INFO("output file " << rel.generic_string());
      if (!fs::exists(actual)) {
        FAIL_CHECK("missing output " << rel.generic_string() << " (not written under {out})");
        continue;
      }
      const std::string diff = first_difference(read_file(expected_dir / rel), read_file(actual));
      if (!diff.empty()) FAIL_CHECK(rel.generic_string() << " differs at " << diff);
    }
  }
}

}  // namespace

TEST_CASE("e2e cases", "[e2e]") {
  const fs::path root = fs::path(SEQFLOW_SOURCE_DIR) / "tests" / "e2e" / "cases";
  REQUIRE(fs::is_directory(root));
  std::vector<fs::path> cases;
  find_cases(root, cases);
  REQUIRE_FALSE(cases.empty());

  const char* filter = std::getenv("SEQFLOW_E2E_FILTER");
  size_t selected = 0;
  for (const fs::path& dir : cases) {
    const std::string name = fs::relative(dir, root).generic_string();
    if (filter != nullptr && name.find(filter) == std::string::npos) continue;
    ++selected;
    DYNAMIC_SECTION(name) { run_case(dir, name); }
  }
  if (selected == 0) WARN("no case matches SEQFLOW_E2E_FILTER=" << (filter != nullptr ? filter : ""));
}
