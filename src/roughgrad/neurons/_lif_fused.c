/* Fused forward pass of the two-layer LIF classifier (roughgrad.objectives.lif_classifier).
 *
 * snnTorch's Leaky neuron (reset by subtraction of the previous step's spike) in the layout
 * input -> hidden -> output, for P = members x examples independent trials, one trial per
 * OpenMP iteration; the hidden -> output coupling is event-driven (a hidden spike adds one row
 * of W2^T to the output current). Compiled and loaded by roughgrad.neurons.fused.
 *
 *   z_h (P, H): static hidden current; z_o (P, O): static output offset (b2 + noise);
 *   w2t (M, H, O): per member, trial p uses member p / per_member; counts (P, O) and
 *   s_sum (P, H) are written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One step of n Leaky neurons (reset by subtraction): u = beta u + in - theta s,
   s = [u > theta], and the spikes summed into acc. */
#define LIF_LAYER(REAL, u, s, in, acc, n)                                                       \
    _Pragma("omp simd") for (int64_t j = 0; j < (n); j++) {                                     \
        REAL v_ = beta * (u)[j] + (in)[j] - theta * (s)[j];                                      \
        (u)[j] = v_;                                                                            \
        (s)[j] = v_ > theta ? (REAL)1 : (REAL)0;                                                \
        (acc)[j] += (s)[j];                                                                     \
    }

#define DEFINE_LIF(REAL, SUFFIX)                                                                \
    void lif_run_##SUFFIX(int64_t P, int64_t per_member, int64_t H, int64_t O, int64_t steps,   \
                          REAL beta, REAL theta, const REAL *z_h, const REAL *z_o,              \
                          const REAL *w2t, REAL *counts, REAL *s_sum, int threads) {            \
        _Pragma("omp parallel num_threads(threads)") {                                          \
            REAL *buf = (REAL *)malloc(sizeof(REAL) * (size_t)(2 * H + 3 * O));                 \
            REAL *u_h = buf, *s_h = buf + H, *u_o = buf + 2 * H, *s_o = u_o + O, *cur = s_o + O; \
            _Pragma("omp for schedule(static)") for (int64_t p = 0; p < P; p++) {               \
                const REAL *zh = z_h + p * H, *zo = z_o + p * O;                                \
                const REAL *w = w2t + (p / per_member) * H * O;                                 \
                REAL *cnt = counts + p * O, *ss = s_sum + p * H;                                \
                memset(buf, 0, sizeof(REAL) * (size_t)(2 * H + 2 * O));                         \
                for (int64_t t = 0; t < steps; t++) {                                           \
                    LIF_LAYER(REAL, u_h, s_h, zh, ss, H);                                       \
                    memcpy(cur, zo, sizeof(REAL) * (size_t)O);                                  \
                    for (int64_t i = 0; i < H; i++) { /* event-driven: a spike adds a row */    \
                        if (s_h[i] != 0) {                                                      \
                            const REAL *row = w + i * O;                                        \
                            _Pragma("omp simd") for (int64_t k = 0; k < O; k++) cur[k] += row[k]; \
                        }                                                                       \
                    }                                                                           \
                    LIF_LAYER(REAL, u_o, s_o, cur, cnt, O);                                     \
                }                                                                               \
            }                                                                                   \
            free(buf);                                                                          \
        }                                                                                       \
    }

DEFINE_LIF(float, f32)
DEFINE_LIF(double, f64)
