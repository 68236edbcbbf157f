/* A plain fused C loop for the hh_vs_brian2 benchmark: this machine's practical limit.
 *
 * Not part of roughgrad: compiled by benchmarks/hh_vs_brian2.py with the system's gcc
 * (-O3 -march=native -ffast-math -fopenmp, -DREAL=float or double) and run as a program:
 *
 *     hh_reference B N coupled steps dt drive noise_std weight tau_syn threads
 *
 * B networks of N Hodgkin-Huxley neurons (roughgrad's model: staggered exponential Euler, spike
 * = upward crossing of -30 mV, each spike adds `weight` to the current of every other neuron of
 * its network, decaying with tau_syn; a fresh N(0, noise_std^2) current every step). Networks
 * are spread over OpenMP threads; uncoupled neurons are cut into blocks of 512 (one block's
 * state stays in L1 for all steps). Prints "seconds rate_hz".
 */
#include <tgmath.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef REAL
#define REAL float
#endif

static inline uint32_t mix(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static inline REAL lin(REAL u) { /* u / (1 - exp(-u)) */
    REAL r = u / (1 - exp(-u));
    return fabs(u) < (REAL)1e-3 ? 1 + u / 2 + u * u / 12 : r;
}

/* n neurons (one block or one network) for all steps; returns the spike count */
static double run(int n, int coupled, long steps, REAL dt, REAL drive, REAL sd, REAL w,
                  REAL decay, uint32_t base) {
    REAL *mem = calloc((size_t)n * 10, sizeof(REAL));
    REAL *v = mem, *m = v + n, *h = m + n, *k = h + n, *isyn = k + n, *spk = isyn + n;
    REAL *z0 = spk + n, *z1 = z0 + n, *r = z1 + n, *a = r + n;
    for (int i = 0; i < n; i++) {
        v[i] = -65, m[i] = 0.05293248525724958, h[i] = 0.5961207535084603;
        k[i] = 0.3176769140606974;
    }
    double total = 0;
    for (long t = 0; t < steps; t++) {
        if ((t & 1) == 0) { /* two normals per neuron every other step (Box-Muller) */
            uint32_t key = mix((uint32_t)t * 0x9E3779B9U);
#pragma omp simd
            for (int i = 0; i < n; i++) {
                uint32_t x = mix((base + i) ^ key), y = mix(x + 0x6a09e667U);
                r[i] = sqrt(-2 * log((REAL)(int32_t)((x >> 8) + 1) / 16777216));
                a[i] = (REAL)(int32_t)(y >> 8) * (REAL)(6.283185307179586 / 16777216);
            }
#pragma omp simd
            for (int i = 0; i < n; i++) z0[i] = r[i] * cos(a[i]);
#pragma omp simd
            for (int i = 0; i < n; i++) z1[i] = r[i] * sin(a[i]);
        }
        const REAL *z = (t & 1) ? z1 : z0;
        REAL spikes = 0;
#pragma omp simd reduction(+ : spikes)
        for (int i = 0; i < n; i++) {
            REAL vi = v[i], cur = drive + isyn[i] + sd * z[i];
            REAL am = lin((vi + 40) / 10), bm = 4 * exp(-(vi + 65) / 18);
            REAL ah = (REAL)0.07 * exp(-(vi + 65) / 20), bh = 1 / (1 + exp(-(vi + 35) / 10));
            REAL an = (REAL)0.1 * lin((vi + 55) / 10), bn = (REAL)0.125 * exp(-(vi + 65) / 80);
            REAL mi = am / (am + bm) + (m[i] - am / (am + bm)) * exp(-dt * (am + bm));
            REAL hi = ah / (ah + bh) + (h[i] - ah / (ah + bh)) * exp(-dt * (ah + bh));
            REAL ki = an / (an + bn) + (k[i] - an / (an + bn)) * exp(-dt * (an + bn));
            REAL gna = 120 * mi * mi * mi * hi, gk = 36 * ki * ki * ki * ki, g = gna + gk + 0.3f;
            REAL vinf = (gna * 50 - gk * 77 - (REAL)(0.3 * 54.4) + cur) / g;
            REAL vn = vinf + (vi - vinf) * exp(-dt * g);
            REAL s = (vi < -30) & (vn >= -30) ? 1 : 0;
            spk[i] = s, spikes += s;
            v[i] = vn, m[i] = mi, h[i] = hi, k[i] = ki;
            isyn[i] *= decay;
        }
        total += spikes;
        if (coupled && spikes > 0) { /* all-to-all without self: + w * (spikes - own spike) */
#pragma omp simd
            for (int i = 0; i < n; i++) isyn[i] += w * (spikes - spk[i]);
        }
    }
    free(mem);
    return total;
}

int main(int argc, char **argv) {
    if (argc != 11) {
        fprintf(stderr, "usage: %s B N coupled steps dt drive noise weight tau threads\n", argv[0]);
        return 2;
    }
    long B = atol(argv[1]), N = atol(argv[2]), steps = atol(argv[4]);
    int coupled = atoi(argv[3]), threads = atoi(argv[10]);
    REAL dt = atof(argv[5]), drive = atof(argv[6]), sd = atof(argv[7]), w = atof(argv[8]);
    REAL decay = exp(-dt / atof(argv[9]));
    long block = coupled ? N : 512, units = (B * N + block - 1) / block;
    double warm = 0;
#pragma omp parallel num_threads(threads) reduction(+ : warm)
    warm += omp_get_thread_num(); /* start the thread pool before the clock */
    double start = omp_get_wtime(), total = 0 * warm;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : total)
    for (long u = 0; u < units; u++) {
        long n = B * N - u * block < block ? B * N - u * block : block;
        total += run((int)n, coupled, steps, dt, drive, sd, w, decay, (uint32_t)(u * block));
    }
    double seconds = omp_get_wtime() - start;
    printf("%.6f %.4f\n", seconds, total / (B * N) / (steps * dt / 1000));
    return 0;
}
