// The io module: text lines, JSON Lines, TSV and .npy readers and writers, and a discarding sink.
#include "discard.hpp"
#include "jsonl.hpp"
#include "lines.hpp"
#include "npy_files.hpp"
#include "tsv_table.hpp"

#include <seqflow/sdk.hpp>

using IoComponents =
    seqflow::ComponentList<seqflow::io::LinesRead, seqflow::io::LinesWrite, seqflow::io::JsonlRead,
                           seqflow::io::JsonlWrite, seqflow::io::TsvRead, seqflow::io::TsvWrite,
                           seqflow::io::NpyRead, seqflow::io::NpyWrite, seqflow::io::Discard>;

SEQFLOW_MODULE("io", "0.1.0",
               "Files in and out: text lines, JSON Lines, TSV (plain or gzip) and NumPy .npy arrays; every "
               "writer publishes its output only when the run succeeds.",
               IoComponents, seqflow::ResourceList<>)
