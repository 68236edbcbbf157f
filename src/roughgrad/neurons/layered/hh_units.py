"""Populations of one-unit perturbations of a layered HH network, each simulated as its
perturbed neuron plus the outputs (node perturbation's cheap path)."""

from __future__ import annotations

from torch import Tensor

from roughgrad._types import Params
from roughgrad.neurons.backends.layered import LayeredRequest
from roughgrad.neurons.layered.hh import HHNet


def hh_forward_units(
    params: Params,
    x: Tensor,
    net: HHNet,
    units: dict[str, tuple[int, Tensor, Tensor]],
    members: int,
) -> tuple[Tensor, Tensor]:
    """Readouts (members, B, O) of ``members`` networks that each perturb one unit (see
    ``NodePerturbable.node_population_units``), and the clean trial-mean trace s-bar (B, H).

    Hidden neurons are not coupled to each other, so a network whose hidden unit j is
    perturbed differs from the clean one only in that neuron and in the outputs: it is
    simulated as one extra hidden neuron plus its O outputs, whose input is the clean output
    current plus (s_j'(t) - s_j(t)) W2[:, j]. Output-unit perturbations are a static offset of
    one output's current. A network costs 1 + O neurons instead of H + O: with H = 100 and
    O = 10, every unit of both layers once (S = 110) costs as much as 11 dense networks.

    ``w2`` (members, O, H) and ``b2`` (members, O) give every network its own output layer
    (perturbations of the output weights: the hidden layer is shared, each network costs O
    neurons); no hidden unit may be perturbed then. Runs on ``net``'s backend
    (``LayeredRequest`` layout "hh-units").
    """
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    batch, n_out = x.shape[0], w2.shape[-2]
    z_h = x @ w1.T + b1  # (B, H)
    offset = z_h.new_zeros(members, batch, n_out)  # static output offsets per network
    if "out" in units:
        first, index, value = units["out"]
        offset[first : first + len(index)].scatter_(2, index[..., None], value[..., None])
    empty = (1, z_h.new_zeros(0, batch).long(), z_h.new_zeros(0, batch))  # no hidden unit
    first, index, value = units.get("hidden", empty)
    z_p = z_h.gather(1, index.T).T + value if len(index) else z_h.new_zeros(0, batch)  # (n, B)
    request = LayeredRequest(
        "hh-units", net, z_h, w2, b2, z_p=z_p, index=index, offset=offset, first=first
    )
    res = net.run(request)
    return res.readout, res.s_mean
