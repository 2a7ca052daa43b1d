// The decode module: from model outputs to answers (labels, transcripts, generated tokens).
#include "classify.hpp"
#include "ctc_stages.hpp"
#include "generate_stage.hpp"
#include "read_report.hpp"

#include <seqflow/sdk.hpp>

using DecodeComponents = seqflow::ComponentList<seqflow::decode::Classify, seqflow::decode::CtcGreedy,
                                                seqflow::decode::CtcBeam, seqflow::decode::Generate,
                                                seqflow::decode::ReadReport>;

SEQFLOW_MODULE(
    "decode", "0.1.0",
    "Model outputs to answers: classification (pooling, softmax, top-k), CTC greedy and prefix "
    "beam search with an ARPA word n-gram LM, lexicon, hotwords, timestamps and n-best; generation "
    "(greedy, beam search, sampling) over a model with the seqflow.onednn.step interface; read-level calls and a per-class summary from "
    "window classifications.",
    DecodeComponents, seqflow::ResourceList<>)
