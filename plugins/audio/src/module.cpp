// The audio module: reading recordings and computing the features speech models are trained on.
#include "kaldi_components.hpp"
#include "log_mel_component.hpp"
#include "post_components.hpp"
#include "read_component.hpp"

namespace {
namespace audio = seqflow::audio;
using Components =
    seqflow::ComponentList<audio::AudioRead, audio::Spectrogram, audio::Fbank, audio::Mfcc,
                           audio::LogMelTransform, audio::Cmvn, audio::Chunk, audio::VadEnergy>;
using Resources = seqflow::ResourceList<>;
}  // namespace

SEQFLOW_MODULE(
    "audio", "0.1.0",
    "Audio: libsndfile formats, manifests, libsoxr resampling, Kaldi/torchaudio spectrogram, fbank and "
    "MFCC, Whisper log-mel, CMVN, chunks, energy VAD.",
    Components, Resources)
