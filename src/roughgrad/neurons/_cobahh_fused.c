/* Fused forward simulation of sparse conductance-based networks of Traub-Miles neurons: the
 * COBAHH benchmark (roughgrad.neurons.cobahh) on the fused backend.
 *
 * The same model, integrator and synapses as the torch backend (roughgrad.neurons.backends.
 * eager with TraubMiles and ConductanceSynapse): staggered exponential Euler with the synaptic
 * conductance folded into the membrane's, g_e and g_i decaying exactly and jumping by the
 * outgoing weights of each spike. One network's neurons are split across OpenMP threads; per
 * step, each thread (1) steps its neurons and lists their spikes, then after a barrier (2)
 * adds every spike's outgoing weights to the targets in its own range (posts of a presynaptic
 * neuron are sorted, so a binary search finds the range), then a second barrier.
 *
 * Compiled with roughgrad.neurons.fused's flags; this file includes itself once per REAL.
 */
#ifndef REAL
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "_ftz.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define VR 800          /* roughgrad.neurons.hh.V_RATE_MAX */
#define DECAY_FLOOR -80 /* as _hh_fused.c: exp(-80) is 0 for every purpose */

typedef struct {
    double g_na, g_k, g_l, e_na, e_k, e_l, c_m, v_t;
} traub_params;

#define REAL float
#define SUFFIX f32
#define EXP expf
#define FABS fabsf
#include __FILE__
#undef REAL
#undef SUFFIX
#undef EXP
#undef FABS
#define REAL double
#define SUFFIX f64
#define EXP exp
#define FABS fabs
#include __FILE__

#else /* the body, once per REAL */

static inline REAL CAT(linexp, SUFFIX)(REAL u) {
    REAL big = u / (1 - EXP(-u));
    return FABS(u) < (REAL)1e-3 ? 1 + u * (REAL)0.5 + u * u * (REAL)(1.0 / 12) : big;
}

static inline REAL CAT(relax, SUFFIX)(REAL x, REAL a, REAL b, REAL dt) {
    REAL k = a + b, arg = -dt * k;
    return a / k + (x - a / k) * EXP(arg < DECAY_FLOOR ? DECAY_FLOOR : arg);
}

/* Step neurons [lo, hi) of one member; list the spikes in spikes[], return their count. */
static int CAT(cobahh_step, SUFFIX)(int64_t lo, int64_t hi, REAL *restrict v, REAL *restrict m,
                                    REAL *restrict h, REAL *restrict nn, REAL *restrict ge,
                                    REAL *restrict gi, const REAL *restrict drive,
                                    REAL *restrict flag, int32_t *restrict spikes, REAL dt,
                                    REAL de, REAL di, REAL e_e, REAL e_i, REAL v_th,
                                    const traub_params *p) {
    const REAL gna = (REAL)p->g_na, gk = (REAL)p->g_k, gl = (REAL)p->g_l;
    const REAL ena = (REAL)p->e_na, ek = (REAL)p->e_k, glel = (REAL)(p->g_l * p->e_l);
    const REAL dtc = dt / (REAL)p->c_m, vt = (REAL)p->v_t;
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        REAL vi = v[i], vr = vi < -VR ? -VR : (vi > VR ? VR : vi), u = vr - vt;
        REAL am = (REAL)1.28 * CAT(linexp, SUFFIX)((u - 13) * (REAL)0.25);
        REAL bm = (REAL)1.4 * CAT(linexp, SUFFIX)((40 - u) * (REAL)0.2);
        REAL ah = (REAL)0.128 * EXP((17 - u) * (REAL)(1.0 / 18));
        REAL bh = 4 / (1 + EXP(-(u - 40) * (REAL)0.2));
        REAL an = (REAL)0.16 * CAT(linexp, SUFFIX)((u - 15) * (REAL)0.2);
        REAL bn = (REAL)0.5 * EXP((10 - u) * (REAL)(1.0 / 40));
        REAL mi = CAT(relax, SUFFIX)(m[i], am, bm, dt);
        REAL hi_ = CAT(relax, SUFFIX)(h[i], ah, bh, dt);
        REAL ni = CAT(relax, SUFFIX)(nn[i], an, bn, dt);
        REAL gei = ge[i], gii = gi[i];
        REAL g1 = gna * mi * mi * mi * hi_, n2 = ni * ni, g2 = gk * n2 * n2;
        REAL gt = g1 + g2 + gl + (gei + gii);
        REAL cur = drive[i] + (gei * e_e + gii * e_i);
        REAL vinf = (g1 * ena + g2 * ek + glel + cur) / gt;
        REAL vn = vinf + (vi - vinf) * EXP(-dtc * gt);
        flag[i] = (vi < v_th) & (vn >= v_th) ? (REAL)1 : (REAL)0;
        v[i] = vn;
        m[i] = mi;
        h[i] = hi_;
        nn[i] = ni;
        ge[i] = gei * de;
        gi[i] = gii * di;
    }
    int count = 0;
    for (int64_t i = lo; i < hi; i++)
        if (flag[i] != 0) spikes[count++] = (int32_t)i;
    return count;
}

/* The first position in post[a, b) (sorted) whose value is >= x. */
static inline int64_t CAT(lower, SUFFIX)(const int64_t *post, int64_t a, int64_t b, int64_t x) {
    while (a < b) {
        int64_t mid = a + (b - a) / 2;
        if (post[mid] < x) a = mid + 1;
        else b = mid;
    }
    return a;
}

/* B members of one sparse network of N neurons, each for `steps` steps. start (N + 1), post
   and value (nnz) hold the weights by presynaptic neuron (SparseWeights); inhibitory (N) says
   which presynaptic neurons open g_i. counts / out_sum (B, N): spikes and the trace readout
   summed after `transient`; raster (steps, B, N) or NULL. */
void CAT(cobahh_run, SUFFIX)(int64_t B, int64_t N, REAL *v, REAL *m, REAL *h, REAL *nn,
                             REAL *ge, REAL *gi, const REAL *drive, const int64_t *start,
                             const int64_t *post, const REAL *value, const uint8_t *inhibitory,
                             REAL *counts, REAL *out_sum, uint8_t *raster, int64_t steps, REAL dt,
                             REAL de, REAL di, REAL e_e, REAL e_i, REAL dtrace, REAL v_th,
                             int64_t transient, const traub_params *p, int threads) {
    REAL *flag = (REAL *)malloc(sizeof(REAL) * (size_t)N);
    REAL *trace = (REAL *)calloc((size_t)(B * N), sizeof(REAL));
    int32_t *spikes = (int32_t *)malloc(sizeof(int32_t) * (size_t)N);
    int nth = threads < 1 ? 1 : threads;
    int *nspk = (int *)calloc((size_t)nth, sizeof(int));
    int64_t *first = (int64_t *)malloc(sizeof(int64_t) * (size_t)(nth + 1));
    for (int k = 0; k <= nth; k++) first[k] = N * k / nth; /* thread k owns [first[k], first[k+1]) */
#pragma omp parallel num_threads(nth)
    {
        FTZ_BEGIN
        const int k = omp_get_thread_num();
        const int64_t lo = first[k], hi = first[k + 1];
        for (int64_t b = 0; b < B; b++) {
            const int64_t o = b * N; /* this member's offset */
            for (int64_t t = 0; t < steps; t++) {
                nspk[k] = CAT(cobahh_step, SUFFIX)(lo, hi, v + o, m + o, h + o, nn + o, ge + o,
                                                   gi + o, drive + o, flag, spikes + lo, dt, de,
                                                   di, e_e, e_i, v_th, p);
                const int count = t >= transient;
                for (int64_t i = lo; i < hi; i++) {
                    REAL tr = trace[o + i] * dtrace + flag[i];
                    trace[o + i] = tr;
                    counts[o + i] += count ? flag[i] : 0;
                    out_sum[o + i] += count ? tr : 0;
                    if (raster) raster[(t * B + b) * N + i] = flag[i] != 0;
                }
#pragma omp barrier
                for (int q = 0; q < nth; q++) { /* every thread's spikes, into my targets */
                    const int32_t *list = spikes + first[q];
                    for (int s = 0; s < nspk[q]; s++) {
                        const int32_t j = list[s];
                        const int64_t a = CAT(lower, SUFFIX)(post, start[j], start[j + 1], lo);
                        const int64_t z = CAT(lower, SUFFIX)(post, a, start[j + 1], hi);
                        REAL *g = (inhibitory[j] ? gi : ge) + o;
                        for (int64_t e = a; e < z; e++) g[post[e]] += value[e];
                    }
                }
#pragma omp barrier
            }
        }
        FTZ_END
    }
    free(flag);
    free(trace);
    free(spikes);
    free(nspk);
    free(first);
}

#endif
