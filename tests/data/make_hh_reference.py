"""Make hh_reference.npz: a Hodgkin-Huxley trace from scipy's LSODA at rtol 1e-10.

Written independently of roughgrad (the classic equations typed out again here), so that the
simulator is compared with a different integrator and a separate transcription of the model.
Run from this folder: python make_hh_reference.py
"""

import numpy as np
from scipy.integrate import solve_ivp

G_NA, G_K, G_L, E_NA, E_K, E_L, C = 120.0, 36.0, 0.3, 50.0, -77.0, -54.4, 1.0
I_EXT, T_END = 10.0, 50.0  # uA/cm^2, ms


def rhs(t, y):
    v, m, h, n = y
    a_m = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))
    b_m = 4 * np.exp(-(v + 65) / 18)
    a_h = 0.07 * np.exp(-(v + 65) / 20)
    b_h = 1 / (1 + np.exp(-(v + 35) / 10))
    a_n = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10))
    b_n = 0.125 * np.exp(-(v + 65) / 80)
    i_ion = G_NA * m**3 * h * (v - E_NA) + G_K * n**4 * (v - E_K) + G_L * (v - E_L)
    return [
        (I_EXT - i_ion) / C,
        a_m * (1 - m) - b_m * m,
        a_h * (1 - h) - b_h * h,
        a_n * (1 - n) - b_n * n,
    ]


def steady(v):
    a_m, b_m = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10)), 4 * np.exp(-(v + 65) / 18)
    a_h, b_h = 0.07 * np.exp(-(v + 65) / 20), 1 / (1 + np.exp(-(v + 35) / 10))
    a_n, b_n = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10)), 0.125 * np.exp(-(v + 65) / 80)
    return [v, a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n)]


if __name__ == "__main__":
    t = np.arange(0, T_END + 1e-9, 0.1)
    sol = solve_ivp(
        rhs, (0, T_END), steady(-65.0), method="LSODA", t_eval=t, rtol=1e-10, atol=1e-12
    )
    np.savez("hh_reference.npz", t=t, v=sol.y[0], i_ext=I_EXT)
    print("wrote hh_reference.npz:", len(t), "samples, max V", sol.y[0].max())
