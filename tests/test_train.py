"""roughgrad.train.fit: it trains with an estimator, selects on validation, resumes bit for bit."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch
from torch import nn

from roughgrad.data import load_digits_split
from roughgrad.objectives import FunctionObjective, ModuleObjective
from roughgrad.train import DirectoryCheckpoints, NumericalError, Progress, fit


def _problem(seed=0):
    split = load_digits_split()
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    x, y = split.x_train[:600], split.y_train[:600]
    xv, yv = split.x_train[600:900], split.y_train[600:900]
    obj = ModuleObjective(model, nn.functional.cross_entropy, x[:1], y[:1])

    def accuracy(params):
        out = torch.func.functional_call(model, params, (xv,))
        return float((out.argmax(-1) == yv).float().mean())

    return model, obj, (x, y), accuracy


def _kw(**extra):
    return dict(
        optimizer=lambda ps: torch.optim.Adam(ps, lr=0.01),
        batch_size=20,
        epochs=2,
        evaluations=4,
        progress=False,
        generator=torch.Generator().manual_seed(3),
        **extra,
    )


def test_node_perturbation_trains_a_module_without_backprop():
    model, obj, data, accuracy = _problem()
    params = dict(model.named_parameters())
    start = accuracy(params)
    result = fit(obj, params, data, estimator="node_perturbation", validation=accuracy, **_kw())
    h = result.history
    assert h.updates == 60 and len(h.validation) == 4 and len(h.grad_norms) == 60
    assert h.validation[0] == pytest.approx(start)  # the first evaluation is before training
    assert h.num_grads == 0 and h.num_evals == 60 * 102  # 2 layers x (50 noisy + 1 clean)
    assert max(h.validation) > 0.8 > start + 0.5  # from chance to above 80% on held-out data
    assert accuracy(result.params) == max(h.validation)  # the selected parameters
    assert h.selected == h.validation.index(max(h.validation))
    assert model[0].weight.grad is not None  # the module itself was trained in place


def test_autodiff_through_the_same_loop_matches_plain_torch_training():
    model, obj, data, _ = _problem()
    init = {k: v.detach().clone() for k, v in model.named_parameters()}
    fit(obj, dict(model.named_parameters()), data, estimator="autodiff", **_kw())
    # the same updates by hand: Adam on loss.backward() of the same minibatches
    ref = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    ref.load_state_dict(init)
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(3)
    for _ in range(60):
        idx = torch.randint(len(data[0]), (20,), generator=gen)
        opt.zero_grad()
        nn.functional.cross_entropy(ref(data[0][idx]), data[1][idx]).backward()
        opt.step()
    for (name, p), q in zip(model.named_parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, msg=name)


class _StopAfter(Progress):
    def __init__(self, n):
        self.n = n

    def track(self, iterable, total=None, description=""):
        for i, item in enumerate(iterable):
            if i == self.n:
                raise KeyboardInterrupt
            yield item


def test_an_interrupted_fit_resumes_bit_for_bit(tmp_path):
    model, obj, data, accuracy = _problem()
    init = {k: v.detach().clone() for k, v in model.named_parameters()}
    whole = fit(obj, dict(model.named_parameters()), data, validation=accuracy, **_kw())
    model.load_state_dict(init)
    store = DirectoryCheckpoints(tmp_path, every_seconds=0)
    kw = _kw()
    kw.update(progress=_StopAfter(25), checkpoint=store)
    with pytest.raises(KeyboardInterrupt):
        fit(obj, dict(model.named_parameters()), data, validation=accuracy, **kw)
    assert torch.load(store.path("fit"), weights_only=True)["next"] == 25
    model.load_state_dict(init)  # a new process starts from scratch, then restores
    resumed = fit(
        obj, dict(model.named_parameters()), data, validation=accuracy, **_kw(checkpoint=tmp_path)
    )
    assert resumed.history.seconds[0] == 0.0  # training time is measured, so it differs
    for f in ("validation", "samples_seen", "grad_norms", "num_evals", "selected", "skipped"):
        assert getattr(resumed.history, f) == getattr(whole.history, f), f
    for k in whole.params:
        assert torch.equal(resumed.params[k], whole.params[k]), k


def test_checkpoint_files_are_readable_by_the_group(tmp_path):
    old = os.umask(0o022)
    try:
        model, obj, data, _ = _problem()
        kw = _kw(checkpoint=tmp_path)
        kw["epochs"] = 0.1
        fit(obj, dict(model.named_parameters()), data, **kw)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fit.pt").stat().st_mode) == 0o644


def test_a_blow_up_stops_the_loop_unless_skipping_is_asked_for():
    model, obj, data, _ = _problem()
    x, y = data
    poisoned = (x * torch.nan, y)  # corrupt inputs: NaN losses and estimates
    with pytest.raises(NumericalError, match=r"parameter [\w.]+ became NaN or infinite"):
        fit(obj, dict(model.named_parameters()), poisoned, **_kw())
    model, obj, data, _ = _problem()
    result = fit(obj, dict(model.named_parameters()), poisoned, skip_nonfinite=True, **_kw())
    assert result.history.skipped == result.history.updates  # nothing trained, and it says so
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_bad_input_is_one_clear_error():
    model, obj, data, _ = _problem()
    params = dict(model.named_parameters())
    f = FunctionObjective(lambda p: p["w"].sum())
    with pytest.raises(TypeError, match="takes minibatches"):
        fit(f, {"w": torch.zeros(2)}, data, progress=False)
    with pytest.raises(ValueError, match="unknown estimator 'nodes'; registered: autodiff"):
        fit(obj, params, data, estimator="nodes", progress=False)
    with pytest.raises(ValueError, match="schedule='linear' is not allowed"):
        fit(obj, params, data, schedule="linear", progress=False)
    with pytest.raises(ValueError, match="600 inputs and 5 targets"):
        fit(obj, params, (data[0], data[1][:5]), progress=False)


def test_time_to_se_is_the_spread_of_equal_work_intervals():
    from roughgrad.train import History

    steady = History("e", seconds=[1.0, 2.0, 3.0, 4.0], validation=[0.1, 0.5, 0.96, 0.97])
    assert steady.time_to(0.95) == 3.0 and steady.time_to_se(0.95) == 0.0
    noisy = History("e", seconds=[1.0, 1.5, 3.0, 3.5], validation=[0.1, 0.5, 0.96, 0.97])
    gaps = [0.5, 1.5, 0.5]  # intervals of equal work timed differently: the clock's noise
    expected = float(np.std(gaps, ddof=1) * np.sqrt(2))
    assert noisy.time_to_se(0.95) == pytest.approx(expected)
    assert np.isnan(noisy.time_to_se(0.99))  # never reached
