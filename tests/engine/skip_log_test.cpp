// SkipLog (engine/src/skip_log.cpp): more skipped entries than it holds in memory, arriving in random
// order, come out as one log sorted by source position (ties in arrival order), every entry once, and
// no spill file is left behind.
#include <catch2/catch.hpp>

#include "skip_log.hpp"
#include "support/test_files.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

using seqflow::engine::ErrorEntry;
using seqflow::engine::SkipLog;
namespace fs = std::filesystem;

TEST_CASE("the skip log spills to disk and merges back in position order", "[engine][skip]") {
  const fs::path dir = fs::temp_directory_path() / ("seqflow_skip_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const size_t n = 3 * SkipLog::kRunEntries + 123;  // three spills and a remainder
  std::vector<uint64_t> orders(n);
  for (size_t i = 0; i < n; ++i) orders[i] = i / 2;  // two entries per record position
  std::mt19937_64 rng(5);
  std::shuffle(orders.begin(), orders.end(), rng);
  {
    SkipLog log;
    log.open((dir / "errors.jsonl").string());
    for (size_t i = 0; i < n; ++i) {
      ErrorEntry e;
      e.order = orders[i];
      e.seq = i;
      e.stage = "s";
      e.plugin = "m.c";
      e.record_id = "r" + std::to_string(orders[i]);
      e.reason = std::to_string(i);
      log.add(std::move(e));
    }
    CHECK(log.count() == n);
    size_t spills = 0;
    for (const auto& f : fs::directory_iterator(dir))
      spills += f.path().filename().string().find(".skipped-") != std::string::npos;
    CHECK(spills == 3);  // at most kRunEntries were in memory at once
    REQUIRE(log.finish().empty());
  }
  const std::vector<std::string> lines =
      seqflow::test::lines_of(seqflow::test::read_file(dir / "errors.jsonl"));
  REQUIRE(lines.size() == n);
  uint64_t last_order = 0, last_seq = 0;
  for (size_t i = 0; i < n; ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[i]);
    const uint64_t order = std::stoull(j["record"].get<std::string>().substr(1));
    const uint64_t seq = std::stoull(j["reason"].get<std::string>());
    CHECK(order == i / 2);
    if (i > 0 && order == last_order) CHECK(seq > last_seq);
    last_order = order;
    last_seq = seq;
  }
  size_t left = 0;
  for (const auto& f : fs::directory_iterator(dir)) left += f.path().filename() != "errors.jsonl";
  CHECK(left == 0);
  fs::remove_all(dir);
}
