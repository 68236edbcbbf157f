/* No-gradient burn-in of P stacked recurrent models (roughgrad.nn.stacked), float32.
 *
 * Member p runs its first lengths[p] steps of x (P, B, K, I) from the state h (P, B, H) (and c
 * for an LSTM), which is updated in place. One (member, sequence) pair per OpenMP iteration; the
 * recurrent weights come transposed, w_hh_t (P, H, G H), so the inner loop over the G H gate
 * units is contiguous and vectorises (the exponentials too, with -ffast-math).
 *
 *   cell 0: sigmoid RNN  h = sigmoid(W_ih x + b_ih + W_hh h)                (G = 1)
 *   cell 1: GRU          r, z, n as torch.nn.GRU (gate order r, z, n)        (G = 3)
 *   cell 2: LSTM         i, f, g, o as torch.nn.LSTM                          (G = 4)
 *
 * Compiled and loaded by roughgrad._native. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Arguments are clamped where the result is already 0 or +-1 in float32, so that expf never
   overflows (-ffast-math assumes finite values). */
static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
/* exp(x) for |x| <= 87, inlined so that the gate loops vectorise without a libm call: Cody-Waite
   range reduction x = n ln2 + r and Cephes' degree-6 polynomial for e^r (about 1 ulp). */
static inline float exp_(float x) {
    const float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = ((int32_t)n + 127) << 23; /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
/* the burn-in's gates use exp_ (measured faster there), the window kernel's libm's expf (measured
   faster there: its loops vectorise with libm's vector expf) */
static inline float sigm_b(float x) { return 1.0f / (1.0f + exp_(-clampf(x, -40.0f, 40.0f))); }
static inline float tanh_b(float x) {
    return 2.0f / (1.0f + exp_(-2.0f * clampf(x, -20.0f, 20.0f))) - 1.0f;
}
static inline float sigm(float x) { return 1.0f / (1.0f + expf(-clampf(x, -40.0f, 40.0f))); }
static inline float tanh_(float x) {
    return 2.0f / (1.0f + expf(-2.0f * clampf(x, -20.0f, 20.0f))) - 1.0f;
}

/* The input part gi = b_ih + W_ih x of the gates, and gh initialised to b_hh (or 0). */
static inline void gates_init(int64_t GH, int64_t I, const float *wi, const float *bi,
                              const float *bh, const float *xt, float *gi, float *gh) {
    if (I == 1) { /* the common case: a scalar input */
        const float x0 = xt[0];
#pragma omp simd
        for (int64_t j = 0; j < GH; j++) gi[j] = bi[j] + wi[j] * x0;
    } else {
        for (int64_t j = 0; j < GH; j++) {
            float s = bi[j];
            for (int64_t k = 0; k < I; k++) s += wi[j * I + k] * xt[k];
            gi[j] = s;
        }
    }
    if (bh) memcpy(gh, bh, sizeof(float) * (size_t)GH);
    else memset(gh, 0, sizeof(float) * (size_t)GH);
}

/* The new state of one sequence from its gate pre-activations: gi (input part, with b_ih), gh
   (recurrent part, with b_hh); hp, cp the previous state; writes hn (and cp, LSTM). */
static inline void cell_update(int cell, int64_t H, const float *gi, const float *gh,
                               const float *hp, float *cp, float *hn) {
    if (cell == 0) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) hn[j] = sigm_b(gi[j] + gh[j]);
    } else if (cell == 1) {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            const float r = sigm_b(gi[j] + gh[j]);
            const float z = sigm_b(gi[H + j] + gh[H + j]);
            const float n = tanh_b(gi[2 * H + j] + r * gh[2 * H + j]);
            hn[j] = n + z * (hp[j] - n);
        }
    } else {
#pragma omp simd
        for (int64_t j = 0; j < H; j++) {
            const float ig = sigm_b(gi[j] + gh[j]);
            const float fg = sigm_b(gi[H + j] + gh[H + j]);
            const float gg = tanh_b(gi[2 * H + j] + gh[2 * H + j]);
            const float og = sigm_b(gi[3 * H + j] + gh[3 * H + j]);
            const float cn = fg * cp[j] + ig * gg;
            cp[j] = cn;
            hn[j] = og * tanh_b(cn);
        }
    }
}

#define ROWS 4  /* sequences advanced together: each weight load feeds ROWS FMAs */
#define COLS 16 /* gate units per register block: two 8-float vectors */
typedef float v8 __attribute__((vector_size(32)));
static inline v8 load8(const float *p) {
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

void stk_burn(int cell, int64_t P, int64_t B, int64_t H, int64_t I, int64_t K,
              const int64_t *lengths, const float *x, const float *w_ih, const float *b_ih,
              const float *w_hh_t, const float *b_hh, float *h, float *c, int threads) {
    const int64_t G = cell == 0 ? 1 : (cell == 1 ? 3 : 4), GH = G * H;
    /* blocks of ROWS sequences of one member when the shapes allow (the recurrent product
       then runs from registers), else one sequence at a time */
    const int64_t rows = (B % ROWS == 0 && GH % COLS == 0) ? ROWS : 1;
#pragma omp parallel num_threads(threads)
    {
        float *buf = (float *)malloc(sizeof(float) * (size_t)(ROWS * (2 * GH + H)));
#pragma omp for schedule(static)
        for (int64_t blk = 0; blk < P * B / rows; blk++) {
            const int64_t pb0 = blk * rows, p = pb0 / B, len = lengths[p];
            const float *wi = w_ih + p * GH * I, *bi = b_ih + p * GH;
            const float *wh = w_hh_t + p * H * GH, *bh = cell == 0 ? NULL : b_hh + p * GH;
            for (int64_t t = 0; t < len; t++) {
                for (int64_t r = 0; r < rows; r++) { /* input parts, and the biases */
                    const float *xt = x + ((pb0 + r) * K + t) * I;
                    gates_init(GH, I, wi, bi, bh, xt, buf + r * GH, buf + (rows + r) * GH);
                }
                if (rows == ROWS) {
                    const float *h0 = h + pb0 * H;
                    float *g0 = buf + ROWS * GH;
                    for (int64_t jb = 0; jb < GH; jb += COLS) {
                        v8 acc[ROWS][2];
                        for (int r = 0; r < ROWS; r++) {
                            acc[r][0] = load8(g0 + r * GH + jb);
                            acc[r][1] = load8(g0 + r * GH + jb + 8);
                        }
                        for (int64_t k = 0; k < H; k++) {
                            const v8 w0 = load8(wh + k * GH + jb), w1 = load8(wh + k * GH + jb + 8);
                            for (int r = 0; r < ROWS; r++) {
                                const float hk = h0[r * H + k];
                                acc[r][0] += w0 * hk;
                                acc[r][1] += w1 * hk;
                            }
                        }
                        for (int r = 0; r < ROWS; r++) {
                            store8(g0 + r * GH + jb, acc[r][0]);
                            store8(g0 + r * GH + jb + 8, acc[r][1]);
                        }
                    }
                } else {
                    const float *hp = h + pb0 * H;
                    float *gh = buf + GH;
                    for (int64_t k = 0; k < H; k++) {
                        const float hk = hp[k], *row = wh + k * GH;
#pragma omp simd
                        for (int64_t j = 0; j < GH; j++) gh[j] += row[j] * hk;
                    }
                }
                for (int64_t r = 0; r < rows; r++) {
                    float *hp = h + (pb0 + r) * H, *hn = buf + 2 * rows * GH;
                    cell_update(cell, H, buf + r * GH, buf + (rows + r) * GH, hp,
                                cell == 2 ? c + (pb0 + r) * H : NULL, hn);
                    memcpy(hp, hn, sizeof(float) * (size_t)H);
                }
            }
        }
        free(buf);
    }
}

/* One TBPTT window for every member: forward from the state h (and c), the MSE of the output
 * against y, and its exact gradient by backpropagation through the window's T steps.
 *
 *   x (P, B, T, I), y (P, B, T, O); weights as torch lays them out, per member:
 *   w_ih (G H, I), b_ih (G H), w_hh (G H, H) and its transpose w_hh_t (H, G H), b_hh (G H)
 *   (NULL for the sigmoid RNN), w_out (O, H), b_out (O).
 *   h, c (P, B, H): the initial state, overwritten with the final one.
 *   loss (P): each member's MSE; g_* (shaped as the weights): its gradient, accumulated into
 *   (the caller zeroes them). One member per OpenMP iteration (its gradients are its own). */
void stk_window(int cell, int64_t P, int64_t B, int64_t H, int64_t I, int64_t O, int64_t T,
                const float *x, const float *y, const float *w_ih, const float *b_ih,
                const float *w_hh, const float *w_hh_t, const float *b_hh, const float *w_out,
                const float *b_out, float *h, float *c, float *loss, float *g_w_ih,
                float *g_b_ih, float *g_w_hh, float *g_b_hh, float *g_w_out, float *g_b_out,
                int threads) {
    const int64_t G = cell == 0 ? 1 : (cell == 1 ? 3 : 4), GH = G * H;
    const float scale = 2.0f / (float)(B * T * O);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t p = 0; p < P; p++) {
        /* per step: hs (T+1) x H states, cs (T+1) x H cells (LSTM), act T x GH gate values,
           ghn T x H (GRU: the recurrent part of n), err T x O output errors */
        float *buf = (float *)malloc(sizeof(float) * (size_t)(2 * (T + 1) * H + T * (GH + H + O) + 5 * GH + 3 * H));
        float *hs = buf, *cs = hs + (T + 1) * H, *act = cs + (T + 1) * H, *ghn = act + T * GH;
        float *err = ghn + T * H, *gi = err + T * O, *gh = gi + GH, *dgi = gh + GH;
        float *dgh = dgi + GH, *dh = dgh + GH, *dc = dh + H, *dhp = dc + H;
        const float *wi = w_ih + p * GH * I, *bi = b_ih + p * GH, *wh = w_hh + p * GH * H;
        const float *wt = w_hh_t + p * H * GH, *bh = cell == 0 ? NULL : b_hh + p * GH;
        const float *wo = w_out + p * O * H, *bo = b_out + p * O;
        float *gwi = g_w_ih + p * GH * I, *gbi = g_b_ih + p * GH, *gwh = g_w_hh + p * GH * H;
        float *gbh = cell == 0 ? NULL : g_b_hh + p * GH, *gwo = g_w_out + p * O * H;
        float *gbo = g_b_out + p * O;
        double sq = 0.0;
        for (int64_t b = 0; b < B; b++) {
            const int64_t pb = p * B + b;
            const float *xb = x + pb * T * I, *yb = y + pb * T * O;
            memcpy(hs, h + pb * H, sizeof(float) * (size_t)H);
            if (cell == 2) memcpy(cs, c + pb * H, sizeof(float) * (size_t)H);
            for (int64_t t = 0; t < T; t++) { /* forward */
                const float *hp = hs + t * H, *xt = xb + t * I;
                float *hn = hs + (t + 1) * H, *a = act + t * GH;
                gates_init(GH, I, wi, bi, bh, xt, gi, gh);
                for (int64_t k = 0; k < H; k++) {
                    const float hk = hp[k], *row = wt + k * GH;
#pragma omp simd
                    for (int64_t j = 0; j < GH; j++) gh[j] += row[j] * hk;
                }
                if (cell == 0) {
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) a[j] = hn[j] = sigm(gi[j] + gh[j]);
                } else if (cell == 1) {
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) {
                        const float r = sigm(gi[j] + gh[j]), z = sigm(gi[H + j] + gh[H + j]);
                        const float n = tanh_(gi[2 * H + j] + r * gh[2 * H + j]);
                        a[j] = r, a[H + j] = z, a[2 * H + j] = n;
                        ghn[t * H + j] = gh[2 * H + j];
                        hn[j] = n + z * (hp[j] - n);
                    }
                } else {
                    const float *cp = cs + t * H;
                    float *cn = cs + (t + 1) * H;
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) {
                        const float ig = sigm(gi[j] + gh[j]), fg = sigm(gi[H + j] + gh[H + j]);
                        const float gg = tanh_(gi[2 * H + j] + gh[2 * H + j]);
                        const float og = sigm(gi[3 * H + j] + gh[3 * H + j]);
                        a[j] = ig, a[H + j] = fg, a[2 * H + j] = gg, a[3 * H + j] = og;
                        cn[j] = fg * cp[j] + ig * gg;
                        hn[j] = og * tanh_(cn[j]);
                    }
                }
                for (int64_t o = 0; o < O; o++) {
                    float s = bo[o];
                    for (int64_t k = 0; k < H; k++) s += wo[o * H + k] * hn[k];
                    const float e = s - yb[t * O + o];
                    sq += (double)e * e;
                    err[t * O + o] = scale * e;
                }
            }
            memcpy(h + pb * H, hs + T * H, sizeof(float) * (size_t)H);
            if (cell == 2) memcpy(c + pb * H, cs + T * H, sizeof(float) * (size_t)H);
            memset(dh, 0, sizeof(float) * (size_t)(2 * H));  /* dh and dc */
            for (int64_t t = T - 1; t >= 0; t--) { /* backward */
                const float *hp = hs + t * H, *hn = hs + (t + 1) * H, *a = act + t * GH;
                const float *xt = xb + t * I, *e = err + t * O;
                for (int64_t o = 0; o < O; o++) {
                    gbo[o] += e[o];
                    for (int64_t k = 0; k < H; k++) {
                        gwo[o * H + k] += e[o] * hn[k];
                        dh[k] += wo[o * H + k] * e[o];
                    }
                }
                if (cell == 0) {
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) dgh[j] = dgi[j] = dh[j] * hn[j] * (1.0f - hn[j]);
                    memset(dhp, 0, sizeof(float) * (size_t)H);
                } else if (cell == 1) {
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) {
                        const float r = a[j], z = a[H + j], n = a[2 * H + j];
                        const float dan = dh[j] * (1.0f - z) * (1.0f - n * n);
                        const float dar = dan * ghn[t * H + j] * r * (1.0f - r);
                        const float daz = dh[j] * (hp[j] - n) * z * (1.0f - z);
                        dgi[j] = dgh[j] = dar;
                        dgi[H + j] = dgh[H + j] = daz;
                        dgi[2 * H + j] = dan;
                        dgh[2 * H + j] = dan * r;
                        dhp[j] = dh[j] * z;
                    }
                } else {
                    const float *cp = cs + t * H, *cn = cs + (t + 1) * H;
#pragma omp simd
                    for (int64_t j = 0; j < H; j++) {
                        const float ig = a[j], fg = a[H + j], gg = a[2 * H + j], og = a[3 * H + j];
                        const float tc = tanh_(cn[j]);
                        const float dct = dc[j] + dh[j] * og * (1.0f - tc * tc);
                        dgi[j] = dct * gg * ig * (1.0f - ig);
                        dgi[H + j] = dct * cp[j] * fg * (1.0f - fg);
                        dgi[2 * H + j] = dct * ig * (1.0f - gg * gg);
                        dgi[3 * H + j] = dh[j] * tc * og * (1.0f - og);
                        dc[j] = dct * fg;
                        dhp[j] = 0.0f;
                    }
                    memcpy(dgh, dgi, sizeof(float) * (size_t)GH);
                }
                for (int64_t j = 0; j < GH; j++) {
                    const float dj = dgi[j], dhj = dgh[j];
                    gbi[j] += dj;
                    for (int64_t k = 0; k < I; k++) gwi[j * I + k] += dj * xt[k];
                    if (gbh) gbh[j] += dhj;
                    const float *row = wh + j * H;
                    float *grow = gwh + j * H;
#pragma omp simd
                    for (int64_t k = 0; k < H; k++) {
                        grow[k] += dhj * hp[k];
                        dhp[k] += row[k] * dhj;
                    }
                }
                memcpy(dh, dhp, sizeof(float) * (size_t)H);
            }
        }
        loss[p] = (float)(sq / (double)(B * T * O));
        free(buf);
    }
}
