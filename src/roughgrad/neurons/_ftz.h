/* Shared by the fused kernels (roughgrad.neurons.fused), included by each. */
#ifndef ROUGHGRAD_FTZ_H
#define ROUGHGRAD_FTZ_H
/* Subnormals are flushed to zero inside the kernels only: every thread of a parallel region
   turns on FTZ/DAZ when it enters and restores its own MXCSR before it leaves, so the caller's
   floating point (numpy's, torch's) is as it was. Without it, float32 neurons driven far below
   rest spend most of their time on subnormal m^3 (measured: 2.6x slower layered populations).
   Other architectures keep subnormals. */
#if defined(__SSE__)
#include <xmmintrin.h>
#define FTZ_BEGIN                                                                               \
    const unsigned int saved_csr_ = _mm_getcsr();                                               \
    _mm_setcsr(saved_csr_ | 0x8040u);
#define FTZ_END _mm_setcsr(saved_csr_);
#else
#define FTZ_BEGIN
#define FTZ_END
#endif

#endif
