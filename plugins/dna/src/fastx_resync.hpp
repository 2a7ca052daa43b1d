// Record boundaries in the middle of a FASTA or FASTQ file, for --shard-by bytes.
//
// What it is: resync(path, offset) is the first record start found by scanning the decoded stream from
// `offset` (plain files) or from the first BGZF block at or after it: the first line start (a line
// after a '\n' the scan has seen) that begins a record. FASTA: a line starting with '>'. FASTQ: a line
// starting with '@' that begins two whole records (or one and the end of the file): '@' header, sequence
// lines of letters and '-', '.', '*', a '+' line, quality lines as long as the sequence, then an '@' line
// or the end. A quality line may start with '@', but the line after it is then a header or another
// quality line, never the sequence-and-'+' shape the check wants; for four-line FASTQ the check is exact
// (the line after a quality line starting with '@' is a header, which holds '@', not a sequence
// character), and multi-line FASTQ needs the lengths of two records to agree by accident to mislead it.
// Every shard resynchronises the same offsets with the same function, so neighbouring shards meet at
// the same record: each record is read by exactly one shard.
// Threading: pure, any thread. Errors: InputError when the file cannot be read, when no boundary is found
// within kMaxResyncWindow bytes, or for gzip that is not BGZF.
#pragma once

#include "byte_source.hpp"
#include "fastx_reader.hpp"

#include <cstdint>
#include <string>

namespace seqflow::dna {

constexpr size_t kMaxResyncWindow = size_t{256} << 20;

/// The virtual offset of the first record start at or after `offset` ({0, 0} for offset 0, the end of the
/// file when none follows).
VirtualOffset resync(const std::string& path, Compression kind, Format format, uint64_t offset);

}  // namespace seqflow::dna
