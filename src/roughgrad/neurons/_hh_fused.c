/* Fused forward simulation of Hodgkin-Huxley populations (roughgrad.neurons.fused).
 *
 * The same model and integrator as roughgrad.neurons.hh.step (staggered exponential Euler) and
 * simulate(synapse="spike", output="trace"), with the whole time loop of a block of neurons in
 * one C loop: the state stays in registers / L1 instead of ~50 tensor kernels per step.
 * Forward only (no autograd): it serves the estimators, which need population forwards only.
 *
 * Compiled on first use by roughgrad.neurons.fused with the system's C compiler
 * (-O3 -march=native -ffast-math -fopenmp) and loaded with ctypes; REAL is float or double.
 *
 * Layout: B members x N neurons, row-major. wt (B or 1, N, N) is *presynaptic-major*:
 * wt[j * N + i] is the weight from neuron j to neuron i, so a spike of j adds one contiguous
 * row. Noise: a counter-based generator (lowbias32 hash of seed, neuron and step pair, then
 * Box-Muller), so every neuron's stream is independent of threads and blocking.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#define BLOCK 256

static inline uint32_t lowbias32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

typedef struct {
    double g_na, g_k, g_l, e_na, e_k, e_l, c_m;
} hh_params;

#define DEFINE_KERNELS(REAL, SUFFIX, EXP, LOG, SQRT, COS, SIN, FABS)                            \
    static inline REAL linexp_##SUFFIX(REAL u) {                                                \
        REAL big = u / (1 - EXP(-u));                                                           \
        return FABS(u) < (REAL)1e-3 ? 1 + u * (REAL)0.5 + u * u * (REAL)(1.0 / 12) : big;       \
    }                                                                                           \
                                                                                                \
    /* One step for n neurons: gates first (rates at V_n), then V towards V_inf; noise added    \
       to the current; returns spikes (upward crossings of v_th) in spk. */                     \
    static inline void step_##SUFFIX(                                                           \
        int n, REAL *restrict v, REAL *restrict m, REAL *restrict h, REAL *restrict nn,         \
        const REAL *restrict drive, REAL *restrict isyn, const REAL *restrict z,                \
        REAL noise_std, REAL *restrict spk, REAL *restrict trace, REAL *restrict counts,        \
        REAL *restrict out_sum, int count, REAL decay, REAL dt, REAL v_th,                      \
        const hh_params *p) {                                                                   \
        const REAL gna = (REAL)p->g_na, gk = (REAL)p->g_k, gl = (REAL)p->g_l;                   \
        const REAL ena = (REAL)p->e_na, ek = (REAL)p->e_k, glel = (REAL)(p->g_l * p->e_l);      \
        const REAL dtc = dt / (REAL)p->c_m;                                                     \
        _Pragma("omp simd") for (int i = 0; i < n; i++) {                                       \
            REAL vi = v[i];                                                                     \
            REAL cur = drive[i] + isyn[i] + noise_std * z[i];                                   \
            isyn[i] *= decay;                                                                   \
            REAL am = linexp_##SUFFIX((vi + 40) * (REAL)0.1);                                   \
            REAL bm = 4 * EXP(-(vi + 65) * (REAL)(1.0 / 18));                                   \
            REAL ah = (REAL)0.07 * EXP(-(vi + 65) * (REAL)0.05);                                \
            REAL bh = 1 / (1 + EXP(-(vi + 35) * (REAL)0.1));                                    \
            REAL an = (REAL)0.1 * linexp_##SUFFIX((vi + 55) * (REAL)0.1);                       \
            REAL bn = (REAL)0.125 * EXP(-(vi + 65) * (REAL)(1.0 / 80));                         \
            REAL km = am + bm, kh = ah + bh, kn = an + bn;                                      \
            REAL mi = am / km + (m[i] - am / km) * EXP(-dt * km);                               \
            REAL hi = ah / kh + (h[i] - ah / kh) * EXP(-dt * kh);                               \
            REAL ni = an / kn + (nn[i] - an / kn) * EXP(-dt * kn);                              \
            REAL g1 = gna * mi * mi * mi * hi, n2 = ni * ni, g2 = gk * n2 * n2;                 \
            REAL gt = g1 + g2 + gl;                                                             \
            REAL vinf = (g1 * ena + g2 * ek + glel + cur) / gt;                                 \
            REAL vn = vinf + (vi - vinf) * EXP(-dtc * gt);                                      \
            REAL si = (vi < v_th) & (vn >= v_th) ? (REAL)1 : (REAL)0;                           \
            REAL tr = trace[i] * decay + si;                                                    \
            spk[i] = si;                                                                        \
            trace[i] = tr;                                                                      \
            counts[i] += count ? si : 0;                                                        \
            out_sum[i] += count ? tr : 0;                                                       \
            v[i] = vn;                                                                          \
            m[i] = mi;                                                                          \
            h[i] = hi;                                                                          \
            nn[i] = ni;                                                                         \
        }                                                                                       \
    }                                                                                           \
                                                                                                \
    /* Standard normals for the step pair k of neurons [g0, g0 + n): z0 for the even step,      \
       z1 for the odd one. */                                                                   \
    static inline void normals_##SUFFIX(int n, uint32_t seed, int64_t g0, uint32_t k,           \
                                        REAL *restrict z0, REAL *restrict z1,                   \
                                        REAL *restrict spare) {                                 \
        const uint32_t kk = lowbias32(k * 0x9E3779B9U + seed);                                  \
        /* separate loops, so the compiler vectorises log, cos and sin (no scalar sincos) */    \
        _Pragma("omp simd") for (int i = 0; i < n; i++) {                                       \
            uint32_t a = lowbias32((uint32_t)(g0 + i) ^ kk);                                    \
            uint32_t b = lowbias32(a + 0x6a09e667U);                                            \
            REAL u1 = (REAL)(int32_t)((a >> 8) + 1) * (REAL)(1.0 / 16777216.0);                 \
            z1[i] = (REAL)(int32_t)(b >> 8) * (REAL)(6.283185307179586 / 16777216.0);           \
            z0[i] = SQRT(-2 * LOG(u1));                                                         \
        }                                                                                       \
        _Pragma("omp simd") for (int i = 0; i < n; i++) {                                       \
            REAL r = z0[i], angle = z1[i];                                                      \
            z0[i] = r * COS(angle);                                                             \
            z1[i] = r;                                                                          \
            spare[i] = angle;                                                                   \
        }                                                                                       \
        _Pragma("omp simd") for (int i = 0; i < n; i++) z1[i] *= SIN(spare[i]);                 \
    }                                                                                           \
                                                                                                \
    /* Run one block: n neurons whose state lives at v..nn (stride 1), drive at drive, global   \
       index g0 (for the noise), and (if wt) recurrent input from the block itself. */          \
    static void run_block_##SUFFIX(int n, REAL *v, REAL *m, REAL *h, REAL *nn,                  \
                                   const REAL *drive, const REAL *wt, REAL *counts,             \
                                   REAL *out_sum, int64_t g0, int64_t steps, REAL dt,           \
                                   REAL noise_std, uint32_t seed, REAL decay, REAL v_th,        \
                                   int64_t transient, const hh_params *p) {                     \
        REAL *buf = (REAL *)malloc(sizeof(REAL) * 6 * (size_t)n);                               \
        REAL *spk = buf, *isyn = buf + n, *trace = buf + 2 * n;                                 \
        REAL *z0 = buf + 3 * n, *z1 = buf + 4 * n, *spare = buf + 5 * n;                        \
        memset(isyn, 0, sizeof(REAL) * 3 * (size_t)n); /* isyn, trace, z0 */                    \
        for (int64_t t = 0; t < steps; t++) {                                                   \
            const REAL *z = z0; /* zeros when noise_std == 0 */                                 \
            if (noise_std != 0) {                                                               \
                if ((t & 1) == 0)                                                               \
                    normals_##SUFFIX(n, seed, g0, (uint32_t)(t >> 1), z0, z1, spare);           \
                z = (t & 1) ? z1 : z0;                                                          \
            }                                                                                   \
            step_##SUFFIX(n, v, m, h, nn, drive, isyn, z, noise_std, spk, trace, counts,        \
                          out_sum, t >= transient, decay, dt, v_th, p);                         \
            if (wt) {                                                                           \
                for (int j = 0; j < n; j++) {                                                   \
                    if (spk[j] != 0) {                                                          \
                        const REAL *row = wt + (size_t)j * n;                                   \
                        _Pragma("omp simd") for (int i = 0; i < n; i++) isyn[i] += row[i];      \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        free(buf);                                                                              \
    }                                                                                           \
                                                                                                \
    /* B members of N neurons. wt NULL: independent neurons, run in blocks of BLOCK across      \
       threads. wt given (w_batched: one matrix per member, else shared): members across        \
       threads, each member's N neurons as one block. */                                        \
    void hh_run_##SUFFIX(int64_t B, int64_t N, REAL *v, REAL *m, REAL *h, REAL *nn,             \
                         const REAL *drive, const REAL *wt, int w_batched, REAL *counts,        \
                         REAL *out_sum, int64_t steps, REAL dt, REAL noise_std, uint32_t seed,  \
                         REAL decay, REAL v_th, int64_t transient, const hh_params *p,          \
                         int threads) {                                                         \
        if (!wt) {                                                                              \
            const int64_t total = B * N, nblocks = (total + BLOCK - 1) / BLOCK;                 \
            _Pragma("omp parallel for schedule(static) num_threads(threads)")                   \
            for (int64_t k = 0; k < nblocks; k++) {                                             \
                const int64_t lo = k * BLOCK;                                                   \
                const int n = (int)(total - lo < BLOCK ? total - lo : BLOCK);                   \
                run_block_##SUFFIX(n, v + lo, m + lo, h + lo, nn + lo, drive + lo, NULL,        \
                                   counts + lo, out_sum + lo, lo, steps, dt, noise_std, seed,   \
                                   decay, v_th, transient, p);                                  \
            }                                                                                   \
        } else {                                                                                \
            _Pragma("omp parallel for schedule(static) num_threads(threads)")                   \
            for (int64_t b = 0; b < B; b++) {                                                   \
                const int64_t lo = b * N;                                                       \
                run_block_##SUFFIX((int)N, v + lo, m + lo, h + lo, nn + lo, drive + lo,         \
                                   wt + (w_batched ? b * N * N : 0), counts + lo,               \
                                   out_sum + lo, lo, steps, dt, noise_std, seed, decay, v_th,   \
                                   transient, p);                                               \
            }                                                                                   \
        }                                                                                       \
    }

DEFINE_KERNELS(float, f32, expf, logf, sqrtf, cosf, sinf, fabsf)
DEFINE_KERNELS(double, f64, exp, log, sqrt, cos, sin, fabs)
