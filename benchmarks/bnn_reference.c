/* A plain C loop for the bnn_epoch benchmark: the layered HH classifier, one network at a time.
 *
 * Not part of roughgrad: compiled by benchmarks/bnn_epoch.py with the system's gcc
 * (-O3 -march=native -ffast-math -fopenmp, -DREAL=float) and run as a program:
 *
 *     bnn_reference N H O steps dt threads
 *
 * N independent networks of H hidden and O output Hodgkin-Huxley neurons (roughgrad's model
 * and integrator; hidden currents static, drawn once; outputs driven by the hidden layer's
 * graded sigmoid synaptic traces through W2; readout the mean membrane potential), the
 * straightforward way: per network and step, the H + O neurons in one loop, W2 as O dot
 * products. Networks are spread over OpenMP threads. Prints "seconds checksum".
 */
#include <tgmath.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef REAL
#define REAL float
#endif

static inline REAL lin(REAL u) { /* u / (1 - exp(-u)) */
    REAL r = u / (1 - exp(-u));
    return fabs(u) < (REAL)1e-3 ? 1 + u / 2 + u * u / 12 : r;
}

static double run(long net, int H, int O, long steps, REAL dt) {
    int L = H + O;
    REAL *mem = calloc((size_t)L * 6 + (size_t)O * H + H, sizeof(REAL));
    REAL *v = mem, *m = v + L, *h = m + L, *k = h + L, *cur = k + L, *acc = cur + L;
    REAL *w2 = acc + L, *syn = w2 + (size_t)O * H;
    unsigned s = (unsigned)net * 2654435761u + 1;
    for (int i = 0; i < L; i++) {
        v[i] = -65, m[i] = 0.05293248525724958, h[i] = 0.5961207535084603;
        k[i] = 0.3176769140606974;
        s = s * 1664525u + 1013904223u;
        cur[i] = 40 * ((REAL)(s >> 8) / 16777216 - (REAL)0.3); /* hidden: static drive */
    }
    for (long j = 0; j < (long)O * H; j++) {
        s = s * 1664525u + 1013904223u;
        w2[j] = (REAL)0.2 * ((REAL)(s >> 8) / 16777216 - (REAL)0.5);
    }
    for (long t = 0; t < steps; t++) {
        for (int o = 0; o < O; o++) { /* output currents from the traces */
            REAL z = 0;
            for (int j = 0; j < H; j++) z += w2[o * H + j] * syn[j];
            cur[H + o] = 40 * z;
        }
#pragma omp simd
        for (int i = 0; i < L; i++) {
            REAL vi = v[i];
            REAL am = lin((vi + 40) / 10), bm = 4 * exp(-(vi + 65) / 18);
            REAL ah = (REAL)0.07 * exp(-(vi + 65) / 20), bh = 1 / (1 + exp(-(vi + 35) / 10));
            REAL an = (REAL)0.1 * lin((vi + 55) / 10), bn = (REAL)0.125 * exp(-(vi + 65) / 80);
            REAL mi = am / (am + bm) + (m[i] - am / (am + bm)) * exp(-dt * (am + bm));
            REAL hi = ah / (ah + bh) + (h[i] - ah / (ah + bh)) * exp(-dt * (ah + bh));
            REAL ki = an / (an + bn) + (k[i] - an / (an + bn)) * exp(-dt * (an + bn));
            REAL gna = 120 * mi * mi * mi * hi, gk = 36 * ki * ki * ki * ki, g = gna + gk + 0.3f;
            REAL vinf = (gna * 50 - gk * 77 - (REAL)(0.3 * 54.4) + cur[i]) / g;
            REAL vn = vinf + (vi - vinf) * exp(-dt * g);
            v[i] = vn, m[i] = mi, h[i] = hi, k[i] = ki;
            acc[i] += vn;
        }
        REAL rise = 1 - exp(-dt / 5);
#pragma omp simd
        for (int j = 0; j < H; j++)
            syn[j] += rise * (5 / (1 + exp(-(v[j] + 30) / 2)) - syn[j]);
    }
    double total = 0;
    for (int o = 0; o < O; o++) total += acc[H + o] / steps;
    free(mem);
    return total;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s N H O steps dt threads\n", argv[0]);
        return 2;
    }
    long N = atol(argv[1]), steps = atol(argv[4]);
    int H = atoi(argv[2]), O = atoi(argv[3]), threads = atoi(argv[6]);
    REAL dt = atof(argv[5]);
    double warm = 0;
#pragma omp parallel num_threads(threads) reduction(+ : warm)
    warm += omp_get_thread_num(); /* start the thread pool before the clock */
    double start = omp_get_wtime(), total = 0 * warm;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) reduction(+ : total)
    for (long n = 0; n < N; n++) total += run(n, H, O, steps, dt);
    printf("%.6f %.6f\n", omp_get_wtime() - start, total / N);
    return 0;
}
