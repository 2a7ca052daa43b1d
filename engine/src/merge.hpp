// `seqflow merge`: combines the outputs of a run's N shards into what a single run would have written.
//
// What it is: merge_shards(OUTPUT, SHARDS) finds OUTPUT's shards by name (OUTPUT.shard-I-of-N.EXT,
// every I present) unless they are listed, checks with the provenance records beside them that they are
// the N shards of one successful run, and writes OUTPUT (and OUTPUT.provenance.json): JSONL, TSV (one
// header), FASTA and FASTQ, plain, gzip or BGZF, byte for byte what one run writes; .npy folders joined;
// --stats files summed (counters; times cannot be a single run's); error logs concatenated.
// Threading: one call at a time. Errors: MergeError; invalid() when the shards do not make one run
// (missing, mixed, failed, or split by record with records dropped), else an I/O or format failure.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace seqflow::engine {

class MergeError : public std::runtime_error {
 public:
  MergeError(const std::string& message, bool invalid) : std::runtime_error(message), invalid_(invalid) {}
  bool invalid() const { return invalid_; }

 private:
  bool invalid_;
};

/// Returns a one-line summary of what was merged. Throws MergeError (or std::runtime_error for I/O).
std::string merge_shards(const std::string& output, std::vector<std::string> inputs);

}  // namespace seqflow::engine
