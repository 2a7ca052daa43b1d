// The dna module: FASTA/FASTQ readers and writers, sequence transforms and encoders for DNA models.
#include "encode_components.hpp"
#include "read_components.hpp"
#include "transform_components.hpp"
#include "write_components.hpp"

namespace {
namespace dna = seqflow::dna;
using Components =
    seqflow::ComponentList<dna::FastaRead, dna::FastqRead, dna::FastaWrite, dna::FastqWrite, dna::RevComp,
                           dna::Window, dna::Filter, dna::Kmer, dna::OneHot, dna::TwoBit>;
using Resources = seqflow::ResourceList<>;
}  // namespace

SEQFLOW_MODULE("dna", "0.1.0",
               "DNA sequences: FASTA/FASTQ in and out (plain, gzip, BGZF), reverse complement, windows, "
               "filters, k-mer tokens, one-hot and 2-bit encodings.",
               Components, Resources)
