// SEQFLOW_AUDIO_HOT: compiles a hot loop twice, for AVX2 and for the x86-64 baseline (SSE2), and picks
// one when the library loads (GCC's target_clones). FMA stays off in both, and the loops keep their
// order of operations, so both clones give the same bits: output does not depend on the CPU's features.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SEQFLOW_AUDIO_HOT __attribute__((target_clones("avx2", "default")))
#else
#define SEQFLOW_AUDIO_HOT
#endif
