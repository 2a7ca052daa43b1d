#include "skip_log.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <queue>
#include <tuple>

namespace seqflow::engine {
namespace {

bool by_position(const ErrorEntry& a, const ErrorEntry& b) {
  return std::tie(a.order, a.seq) < std::tie(b.order, b.seq);
}

std::string as_json(const ErrorEntry& e) {
  nlohmann::ordered_json j;
  j["stage"] = e.stage;
  j["plugin"] = e.plugin;
  if (!e.record_id.empty()) j["record"] = e.record_id;
  if (!e.where.empty()) j["input"] = e.where;
  j["reason"] = e.reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A spill run's line: "order seq json".
struct RunReader {
  std::ifstream in;
  uint64_t order = 0, seq = 0;
  std::string json;
  bool next() {
    std::string line;
    if (!std::getline(in, line)) return false;
    char* end = nullptr;
    order = std::strtoull(line.c_str(), &end, 10);
    seq = std::strtoull(end, &end, 10);
    json.assign(end + 1);
    return true;
  }
};

}  // namespace

SkipLog::~SkipLog() {
  for (const std::string& r : runs_) std::remove(r.c_str());
}

void SkipLog::add(ErrorEntry e) {
  ++count_;
  pending_.push_back(std::move(e));
  if (path_.empty()) {
    // Only the first kShown by position are ever shown: keep those.
    if (pending_.size() >= 8 * kShown) {
      std::sort(pending_.begin(), pending_.end(), by_position);
      pending_.resize(kShown);
    }
    return;
  }
  if (pending_.size() >= kRunEntries) spill();
}

void SkipLog::spill() {
  std::sort(pending_.begin(), pending_.end(), by_position);
  const std::string run =
      path_ + ".skipped-" + std::to_string(::getpid()) + "-" + std::to_string(runs_.size());
  std::ofstream out(run, std::ios::binary | std::ios::trunc);
  for (const ErrorEntry& e : pending_) out << e.order << ' ' << e.seq << ' ' << as_json(e) << '\n';
  out.close();
  runs_.push_back(run);
  if (!out && spill_error_.empty()) spill_error_ = "cannot write the error log's spill file " + run;
  pending_.clear();
}

std::string SkipLog::finish() {
  std::sort(pending_.begin(), pending_.end(), by_position);
  if (path_.empty()) {
    for (size_t i = 0; i < pending_.size() && i < kShown; ++i)
      std::fprintf(stderr, "skipped: %s\n", as_json(pending_[i]).c_str());
    if (count_ > kShown)
      std::fprintf(stderr, "skipped: ... %llu more (set [pipeline].error_log to keep them all)\n",
                   static_cast<unsigned long long>(count_ - kShown));
    return "";
  }
  if (!spill_error_.empty()) return spill_error_;
  const std::string tmp = path_ + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  // k-way merge of the spilled runs and what is still in memory, by (order, seq).
  std::vector<std::unique_ptr<RunReader>> readers;
  using Head = std::tuple<uint64_t, uint64_t, size_t>;  // order, seq, reader (runs_.size(): memory)
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (size_t k = 0; k < runs_.size(); ++k) {
    auto r = std::make_unique<RunReader>();
    r->in.open(runs_[k], std::ios::binary);
    if (r->next()) heads.emplace(r->order, r->seq, k);
    readers.push_back(std::move(r));
  }
  size_t mem = 0;
  if (mem < pending_.size()) heads.emplace(pending_[0].order, pending_[0].seq, runs_.size());
  while (!heads.empty()) {
    const size_t k = std::get<2>(heads.top());
    heads.pop();
    if (k == runs_.size()) {
      out << as_json(pending_[mem]) << '\n';
      if (++mem < pending_.size()) heads.emplace(pending_[mem].order, pending_[mem].seq, k);
    } else {
      out << readers[k]->json << '\n';
      if (readers[k]->next()) heads.emplace(readers[k]->order, readers[k]->seq, k);
    }
  }
  out.close();
  if (!out || std::rename(tmp.c_str(), path_.c_str()) != 0) {
    std::remove(tmp.c_str());
    return "cannot write the error log " + path_;
  }
  return "";
}

}  // namespace seqflow::engine
