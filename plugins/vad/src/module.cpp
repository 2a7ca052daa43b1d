// The vad module: speech segments from a voice activity model's probabilities, and the audio cut into
// one record per segment.
#include "components.hpp"

namespace {
namespace vad = seqflow::vad;
using Components = seqflow::ComponentList<vad::Segments, vad::Cut>;
using Resources = seqflow::ResourceList<>;
}  // namespace

SEQFLOW_MODULE("vad", "0.1.0",
               "Voice activity detection: Silero VAD's get_speech_timestamps rules over per-window speech "
               "probabilities (vad.segments), and recordings cut into one record per segment (vad.cut).",
               Components, Resources)
