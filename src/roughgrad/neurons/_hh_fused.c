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

#include "_ftz.h"

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

/* One staggered exponential-Euler step of one neuron (roughgrad.neurons.hh.exponential_step):
   the gates mi, hi, ni (lvalues) relax with the rates at vi, then V relaxes towards V_inf with
   the new gates into vn. A macro on local variables, so that omp simd loops vectorise it. */
#define VR 800 /* roughgrad.neurons.hh.V_RATE_MAX */
/* A relaxation's exponent, floored at -80: exp(-80) ~ 2e-35 is 0 for every purpose, and
   arguments beyond the vectorised exp's fast range (a hyperpolarised neuron's -dt * k reaches
   -1e17) would send whole vectors down its scalar slow path (measured: 10-100x slower). */
#define DECAY_ARG(x) ((x) < -80 ? -80 : (x))
#define HH1(REAL, SUFFIX, EXP, vi, mi, hi, ni, cur, dt, k, vn)                                  \
    do {                                                                                        \
        /* rates at V held within [-VR, VR] mV: no exponential overflows (-ffast-math assumes  \
           finite values), and no neuron gets there unless driven by thousands of uA/cm^2 */  \
        REAL vr_ = vi < -VR ? -VR : (vi > VR ? VR : vi);                                        \
        REAL am_ = linexp_##SUFFIX((vr_ + 40) * (REAL)0.1);                                     \
        REAL bm_ = 4 * EXP(-(vr_ + 65) * (REAL)(1.0 / 18));                                     \
        REAL ah_ = (REAL)0.07 * EXP(-(vr_ + 65) * (REAL)0.05);                                  \
        REAL bh_ = 1 / (1 + EXP(-(vr_ + 35) * (REAL)0.1));                                      \
        REAL an_ = (REAL)0.1 * linexp_##SUFFIX((vr_ + 55) * (REAL)0.1);                         \
        REAL bn_ = (REAL)0.125 * EXP(-(vr_ + 65) * (REAL)(1.0 / 80));                           \
        REAL km_ = am_ + bm_, kh_ = ah_ + bh_, kn_ = an_ + bn_;                                 \
        mi = am_ / km_ + (mi - am_ / km_) * EXP(DECAY_ARG(-(dt) * km_));                                     \
        hi = ah_ / kh_ + (hi - ah_ / kh_) * EXP(DECAY_ARG(-(dt) * kh_));                                     \
        ni = an_ / kn_ + (ni - an_ / kn_) * EXP(DECAY_ARG(-(dt) * kn_));                                     \
        REAL g1_ = (k).gna * mi * mi * mi * hi, n2_ = ni * ni, g2_ = (k).gk * n2_ * n2_;        \
        REAL gt_ = g1_ + g2_ + (k).gl;                                                          \
        REAL vinf_ = (g1_ * (k).ena + g2_ * (k).ek + (k).glel + (cur)) / gt_;                   \
        vn = vinf_ + (vi - vinf_) * EXP(-(k).dtc * gt_);                                        \
    } while (0)

#define DEFINE_KERNELS(REAL, SUFFIX, EXP, LOG, SQRT, COS, SIN, FABS)                            \
    static inline REAL linexp_##SUFFIX(REAL u) {                                                \
        REAL big = u / (1 - EXP(-u));                                                           \
        return FABS(u) < (REAL)1e-3 ? 1 + u * (REAL)0.5 + u * u * (REAL)(1.0 / 12) : big;       \
    }                                                                                           \
                                                                                                \
    /* The HH constants in the kernel's precision. */                                           \
    typedef struct {                                                                            \
        REAL gna, gk, gl, ena, ek, glel, dtc;                                                   \
    } hh_consts_##SUFFIX;                                                                       \
    static inline hh_consts_##SUFFIX hh_consts_of_##SUFFIX(const hh_params *p, REAL dt) {       \
        hh_consts_##SUFFIX k = {(REAL)p->g_na, (REAL)p->g_k,  (REAL)p->g_l,                     \
                                (REAL)p->e_na, (REAL)p->e_k,  (REAL)(p->g_l * p->e_l),          \
                                dt / (REAL)p->c_m};                                             \
        return k;                                                                               \
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
        const hh_consts_##SUFFIX k = hh_consts_of_##SUFFIX(p, dt);                              \
        _Pragma("omp simd") for (int i = 0; i < n; i++) {                                       \
            REAL vi = v[i];                                                                     \
            REAL cur = drive[i] + isyn[i] + noise_std * z[i];                                   \
            isyn[i] *= decay;                                                                   \
            REAL mi = m[i], hi = h[i], ni = nn[i];                                              \
            REAL vn;                                                                            \
            HH1(REAL, SUFFIX, EXP, vi, mi, hi, ni, cur, dt, k, vn);                             \
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
        _Pragma("omp parallel num_threads(threads)") {                                          \
            FTZ_BEGIN                                                                           \
            if (!wt) { /* every thread takes the same branch */                                 \
                const int64_t total = B * N, nblocks = (total + BLOCK - 1) / BLOCK;             \
                _Pragma("omp for schedule(static)") for (int64_t k = 0; k < nblocks; k++) {     \
                    const int64_t lo = k * BLOCK;                                               \
                    const int n = (int)(total - lo < BLOCK ? total - lo : BLOCK);               \
                    run_block_##SUFFIX(n, v + lo, m + lo, h + lo, nn + lo, drive + lo, NULL,    \
                                       counts + lo, out_sum + lo, lo, steps, dt, noise_std,     \
                                       seed, decay, v_th, transient, p);                        \
                }                                                                               \
            } else {                                                                            \
                _Pragma("omp for schedule(static)") for (int64_t b = 0; b < B; b++) {           \
                    const int64_t lo = b * N;                                                   \
                    run_block_##SUFFIX((int)N, v + lo, m + lo, h + lo, nn + lo, drive + lo,     \
                                       wt + (w_batched ? b * N * N : 0), counts + lo,           \
                                       out_sum + lo, lo, steps, dt, noise_std, seed, decay,     \
                                       v_th, transient, p);                                     \
                }                                                                               \
            }                                                                                   \
            FTZ_END                                                                             \
        }                                                                                       \
    }

/* Layered classifiers (roughgrad.neurons.layered.hh with backend="fused"): input -> hidden ->
   output HH neurons, graded sigmoid synapses, readout "voltage" (0), "membrane" (1) or
   "spikes" (2), as roughgrad.neurons.layered.hh._advance. Each (member, example) network is
   independent; one network is H hidden neurons (static current scale * zh) and O outputs
   (current scale * (zo + s(t) W2^T), s the hidden layer's synaptic trace). */
/* The body of layer_step: step neuron i, then ACC (which may read vp and vn). */
#define LAYER_LOOP(REAL, SUFFIX, EXP, ACC)                                                      \
    do {                                                                                        \
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                   \
            REAL mi = m[i], hi = h[i], ni = nn[i], vp = v[i], vn;                               \
            HH1(REAL, SUFFIX, EXP, vp, mi, hi, ni, scale * cur[i], dt, kk, vn);                 \
            v[i] = vn;                                                                          \
            m[i] = mi;                                                                          \
            h[i] = hi;                                                                          \
            nn[i] = ni;                                                                         \
            ACC;                                                                                \
        }                                                                                       \
    } while (0)

#define CHUNK 16 /* examples per work item of the dense layered kernel */
#define DEFINE_LAYERED(REAL, SUFFIX, EXP)                                                       \
    /* sigmoid((v - mid) / 2); the exponent is capped, so that -ffast-math's reciprocal never   \
       sees an infinity (1 / (1 + inf) would be NaN there, not 0). */                           \
    static inline REAL sigmoid2_##SUFFIX(REAL v, REAL mid) {                                    \
        REAL u = (mid - v) * (REAL)0.5;                                                         \
        return 1 / (1 + EXP(u < 80 ? u : (REAL)80));                                            \
    }                                                                                           \
    static inline REAL act_##SUFFIX(REAL v, REAL mid, REAL inv_r0) {                            \
        return inv_r0 * sigmoid2_##SUFFIX(v, mid);                                              \
    }                                                                                           \
    /* Step n neurons at v..n with currents scale * cur; outputs (acc non-NULL) add their      \
       readout to acc. One loop per readout, so that each vectorises without branches. */      \
    static inline void layer_step_##SUFFIX(int64_t n, REAL *restrict v, REAL *restrict m,       \
                                           REAL *restrict h, REAL *restrict nn,                 \
                                           const REAL *restrict cur, REAL scale, REAL dt,       \
                                           const hh_consts_##SUFFIX *k, REAL *restrict acc,     \
                                           int readout, REAL mid, REAL sth) {                   \
        const hh_consts_##SUFFIX kk = *k;                                                       \
        if (!acc)                                                                               \
            LAYER_LOOP(REAL, SUFFIX, EXP, (void)0);                                             \
        else if (readout == 0)                                                                  \
            LAYER_LOOP(REAL, SUFFIX, EXP, acc[i] += sigmoid2_##SUFFIX(vn, mid));                \
        else if (readout == 1)                                                                  \
            LAYER_LOOP(REAL, SUFFIX, EXP, acc[i] += vn);                                        \
        else                                                                                    \
            LAYER_LOOP(REAL, SUFFIX, EXP, acc[i] += (vp < sth) & (vn >= sth) ? 1 : 0);          \
    }                                                                                           \
    /* The synaptic traces of n hidden neurons: s_sum += s, then s relaxes towards the         \
       activity of the new V. */                                                                \
    static inline void trace_step_##SUFFIX(int64_t n, const REAL *restrict v,                   \
                                           REAL *restrict syn, REAL *restrict s_sum,            \
                                           REAL rise, REAL mid, REAL inv_r0) {                  \
        _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                   \
            if (s_sum) s_sum[i] += syn[i];                                                      \
            syn[i] += rise * (act_##SUFFIX(v[i], mid, inv_r0) - syn[i]);                        \
        }                                                                                       \
    }                                                                                           \
    /* zo[o] = off[o] + sum_j w2[o, j] syn[j]: O dot products of length H. */                  \
    static inline void output_current_##SUFFIX(int64_t H, int64_t O, const REAL *restrict syn,  \
                                               const REAL *restrict w2,                         \
                                               const REAL *restrict off, REAL *restrict zo) {   \
        for (int64_t o = 0; o < O; o++) {                                                       \
            const REAL *row = w2 + o * H;                                                       \
            REAL acc = 0;                                                                       \
            _Pragma("omp simd reduction(+ : acc)") for (int64_t j = 0; j < H; j++)              \
                acc += row[j] * syn[j];                                                         \
            zo[o] = off[o] + acc;                                                               \
        }                                                                                       \
    }                                                                                           \
    /* Dense: N = M x B networks; zh (N, H), zo (N, O) static output offsets (b2 + noise),     \
       w2 (M or 1, O, H). Outputs: out_sum (N, O) the readout summed over steps, s_sum (N, H)   \
       the trace summed over steps. A work item is up to CHUNK examples of one member, whose   \
       hidden (c H) and output (c O) neurons are stepped as two long vectors. */                \
    void hhl_run_##SUFFIX(int64_t N, int64_t B, int64_t H, int64_t O, const REAL *zh,           \
                          const REAL *zo, const REAL *w2, int w_batched, int64_t steps,         \
                          REAL dt, REAL scale, REAL rise, REAL mid, REAL r0, REAL sth,          \
                          int readout, REAL *out_sum, REAL *s_sum, const hh_params *p,          \
                          REAL v0, REAL m0, REAL h0, REAL n0, int threads) {                    \
        const hh_consts_##SUFFIX k = hh_consts_of_##SUFFIX(p, dt);                              \
        const int64_t per = (B + CHUNK - 1) / CHUNK, items = (N / B) * per;                     \
        const int64_t L = CHUNK * (H + O);                                                      \
        _Pragma("omp parallel num_threads(threads)") {                                          \
            FTZ_BEGIN                                                                           \
            REAL *buf = (REAL *)malloc(sizeof(REAL) * (size_t)(5 * L + CHUNK * H));             \
            REAL *v = buf, *m = buf + L, *h = buf + 2 * L, *nn = buf + 3 * L;                   \
            REAL *cur = buf + 4 * L, *syn = buf + 5 * L;                                        \
            _Pragma("omp for schedule(dynamic, 1)") for (int64_t it = 0; it < items; it++) {    \
                const int64_t mem = it / per, lo = mem * B + (it % per) * CHUNK;                \
                const int64_t c = B - (it % per) * CHUNK < CHUNK ? B - (it % per) * CHUNK       \
                                                                 : CHUNK;                       \
                const int64_t nh = c * H, no = c * O;                                           \
                const REAL *w = w2 + (w_batched ? mem * O * H : 0);                             \
                REAL *ov = v + nh, *om = m + nh, *oh = h + nh, *on = nn + nh, *oc = cur + nh;   \
                for (int64_t i = 0; i < nh + no; i++) {                                         \
                    v[i] = v0; m[i] = m0; h[i] = h0; nn[i] = n0;                                \
                }                                                                               \
                for (int64_t i = 0; i < nh; i++) syn[i] = 0;                                    \
                memcpy(cur, zh + lo * H, sizeof(REAL) * (size_t)nh);                            \
                for (int64_t t = 0; t < steps; t++) {                                           \
                    for (int64_t e = 0; e < c; e++)                                             \
                        output_current_##SUFFIX(H, O, syn + e * H, w, zo + (lo + e) * O,        \
                                                oc + e * O);                                    \
                    layer_step_##SUFFIX(nh, v, m, h, nn, cur, scale, dt, &k, NULL, 0, mid,      \
                                        sth);                                                   \
                    layer_step_##SUFFIX(no, ov, om, oh, on, oc, scale, dt, &k,                  \
                                        out_sum + lo * O, readout, mid, sth);                   \
                    trace_step_##SUFFIX(nh, v, syn, s_sum + lo * H, rise, mid, 1 / r0);         \
                }                                                                               \
            }                                                                                   \
            free(buf);                                                                          \
            FTZ_END                                                                             \
        }                                                                                       \
    }                                                                                           \
    /* One-unit perturbations (roughgrad.neurons.layered.hh_units): per example b, the clean   \
       hidden layer zh (B, H), n perturbed hidden neurons zp (n, B) standing in for unit        \
       index (n, B) of members first..first+n-1, and the O outputs of each of `members`         \
       networks with static offsets off (members, B, O) on top of b2 (O). With w_batched, w2    \
       (members, O, H) and b2 (members, O) are each member's own (n must be 0 then: only the    \
       output layer differs). Outputs: out_sum (members, B, O), s_sum (B, H) of the clean      \
       layer. */                                                                                \
    void hhu_run_##SUFFIX(int64_t B, int64_t H, int64_t O, int64_t members, int64_t n,          \
                          int64_t first, const REAL *zh, const REAL *zp, const int64_t *index,  \
                          const REAL *off, const REAL *w2, const REAL *b2, int w_batched,       \
                          int64_t steps,                                                        \
                          REAL dt, REAL scale, REAL rise, REAL mid, REAL r0, REAL sth,          \
                          int readout, REAL *out_sum, REAL *s_sum, const hh_params *p,          \
                          REAL v0, REAL m0, REAL h0, REAL n0, int threads) {                    \
        const hh_consts_##SUFFIX k = hh_consts_of_##SUFFIX(p, dt);                              \
        const int64_t L = H + n + members * O;                                                  \
        _Pragma("omp parallel num_threads(threads)") {                                          \
            FTZ_BEGIN                                                                           \
            REAL *buf = (REAL *)malloc(sizeof(REAL) * (size_t)(5 * L + H + n + O));             \
            REAL *v = buf, *m = buf + L, *h = buf + 2 * L, *nn = buf + 3 * L;                   \
            REAL *cur = buf + 4 * L, *syn = buf + 5 * L, *syn_p = syn + H, *base = syn_p + n;   \
            REAL *acc = (REAL *)malloc(sizeof(REAL) * (size_t)(members * O));                   \
            _Pragma("omp for schedule(dynamic, 1)") for (int64_t b = 0; b < B; b++) {           \
                for (int64_t i = 0; i < L; i++) {                                               \
                    v[i] = v0; m[i] = m0; h[i] = h0; nn[i] = n0;                                \
                }                                                                               \
                for (int64_t i = 0; i < H + n; i++) syn[i] = 0; /* syn and syn_p */             \
                for (int64_t i = 0; i < members * O; i++) acc[i] = 0;                           \
                memcpy(cur, zh + b * H, sizeof(REAL) * (size_t)H);                              \
                for (int64_t q = 0; q < n; q++) cur[H + q] = zp[q * B + b];                     \
                REAL *co = cur + H + n;                                                         \
                for (int64_t t = 0; t < steps; t++) {                                           \
                    if (!w_batched) output_current_##SUFFIX(H, O, syn, w2, b2, base);           \
                    for (int64_t s = 0; s < members; s++) {                                     \
                        const REAL *os = off + (s * B + b) * O;                                 \
                        REAL *c = co + s * O;                                                   \
                        if (w_batched)                                                          \
                            output_current_##SUFFIX(H, O, syn, w2 + s * O * H, b2 + s * O,      \
                                                    base);                                      \
                        for (int64_t o = 0; o < O; o++) c[o] = base[o] + os[o];                 \
                        const int64_t q = s - first;                                            \
                        if (q >= 0 && q < n) {                                                  \
                            const int64_t j = index[q * B + b];                                 \
                            const REAL d = syn_p[q] - syn[j];                                   \
                            for (int64_t o = 0; o < O; o++) c[o] += d * w2[o * H + j];          \
                        }                                                                       \
                    }                                                                           \
                    layer_step_##SUFFIX(H + n, v, m, h, nn, cur, scale, dt, &k, NULL, 0, mid,   \
                                        sth);                                                   \
                    layer_step_##SUFFIX(members * O, v + H + n, m + H + n, h + H + n,           \
                                        nn + H + n, co, scale, dt, &k, acc, readout, mid,       \
                                        sth);                                                   \
                    trace_step_##SUFFIX(H, v, syn, s_sum + b * H, rise, mid, 1 / r0);           \
                    trace_step_##SUFFIX(n, v + H, syn_p, NULL, rise, mid, 1 / r0);              \
                }                                                                               \
                for (int64_t s = 0; s < members; s++)                                           \
                    for (int64_t o = 0; o < O; o++)                                             \
                        out_sum[(s * B + b) * O + o] = acc[s * O + o];                          \
            }                                                                                   \
            free(acc);                                                                          \
            free(buf);                                                                          \
            FTZ_END                                                                             \
        }                                                                                       \
    }


DEFINE_KERNELS(float, f32, expf, logf, sqrtf, cosf, sinf, fabsf)
DEFINE_KERNELS(double, f64, exp, log, sqrt, cos, sin, fabs)
DEFINE_LAYERED(float, f32, expf)
DEFINE_LAYERED(double, f64, exp)
