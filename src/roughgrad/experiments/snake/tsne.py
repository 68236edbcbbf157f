"""What do the learned features of a sin(x) regressor encode: the phase of x, or x itself?

Question (write-up 001, "TSNE on learned features"; the section has only its title): a network that
extrapolates a periodic function must map x and x + 2 pi to the same features. After training
on the write-up's extrapolation split, we embed the last hidden layer's features of every grid point
with t-SNE (scikit-learn), coloured by the phase of x and by train/held-out. The picture is
backed by a number computed on the features themselves (not on the embedding): for each
held-out point, the circular distance between its phase and the phase of its nearest training
point in feature space (0 = features determined by the phase; ~pi/2 = unrelated to it).

Claims checked:
  snake_tracks_phase_better_than_relu  Snake's error is below ReLU's.
(The spectral model's features are sin/cos of one frequency, so they track the phase by
construction; its error is reported as a metric and checked in tests/test_claims.py.)

Source: write-up 001, "TSNE on learned features".
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.manifold import TSNE
from torch import nn

from roughgrad.experiments.base import (
    Claim,
    ClaimSpec,
    Context,
    Experiment,
    Margin,
    Outcome,
    counterexample,
    param,
)
from roughgrad.experiments.snake.common import (
    FIT_HEALTH,
    HEALTHY,
    MODEL_LABELS,
    TEST_COLOUR,
    TRAIN_COLOUR,
    FitConfig,
    fit_metrics,
    fit_models,
    fitted_or_reason,
    make_split,
)


@dataclass(frozen=True)
class Config(FitConfig):
    models: tuple[str, ...] = param(("snake", "relu", "spectral"), "models to train and embed")
    seeds: int = param(1, "initialisation seeds of the spectral model (seed 0 is embedded)", ge=1)
    perplexity: float = param(30.0, "t-SNE perplexity", gt=1)
    frame_every: int = param(0, "unused here (no GIF)", ge=0)


PROFILES = {
    "quick": {"hidden": 32, "steps": 300, "n_points": 400, "perplexity": 20.0},
    "default": {},
    "full": {},
}


def last_hidden(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of ``model``'s last nn.Linear (its last hidden features) for inputs x."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    captured: list[torch.Tensor] = []
    handle = linears[-1].register_forward_pre_hook(lambda mod, args: captured.append(args[0]))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    return captured[-1]


def phase_nn_errors(features: np.ndarray, phase: np.ndarray, train, test) -> np.ndarray:
    """Per test point: circular |phase(test) - phase(nearest training point in feature space)|
    (rad)."""
    f_train, f_test = features[train], features[test]
    d = (f_test**2).sum(1)[:, None] - 2 * f_test @ f_train.T + (f_train**2).sum(1)[None]
    nearest = np.asarray(train)[np.argmin(d, axis=1)]
    return np.abs(np.angle(np.exp(1j * (phase[test] - phase[nearest]))))


def phase_nn_error(features: np.ndarray, phase: np.ndarray, train, test) -> float:
    """Mean circular |phase(test) - phase(nearest training point in feature space)| (rad)."""
    return float(phase_nn_errors(features, phase, train, test).mean())


def run(config: Config, ctx: Context) -> Outcome:
    split = make_split(config, reverse=False)
    fits = fit_models(config, split, config.models, ctx)
    metrics = fit_metrics(fits, split)
    phase = np.mod(split.x, 2 * np.pi)
    x = torch.as_tensor(split.x, dtype=torch.float32, device=ctx.device)[:, None]
    arrays: dict = {"x": split.x, "phase": phase, "train": split.train, "test": split.test}
    errors: dict[str, np.ndarray] = {}
    for name in ctx.progress.track(config.models, description="t-SNE"):
        feats = last_hidden(fits[name].ensemble.member(0), x).double().cpu().numpy()
        errors[name] = phase_nn_errors(feats, phase, split.train, split.test)
        metrics[f"phase_nn_error_{name}"] = float(errors[name].mean())
        tsne = TSNE(
            n_components=2,
            perplexity=min(config.perplexity, (len(feats) - 1) / 3),
            init="pca",
            random_state=config.seed,
        )
        arrays[f"tsne_{name}"] = tsne.fit_transform(feats)
    claims = []
    if "snake" in config.models and "relu" in config.models:
        s, r = metrics["phase_nn_error_snake"], metrics["phase_nn_error_relu"]
        diff = errors["relu"] - errors["snake"]  # paired over the held-out points
        margin = Margin(float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff))))
        name = "snake_tracks_phase_better_than_relu"
        reason = fitted_or_reason(metrics, ["snake", "relu"])
        claims.append(
            Claim.not_checked(name, reason)
            if reason
            else Claim.from_margin(
                name,
                margin,
                f"nearest-neighbour phase error over {len(diff)} held-out points: Snake "
                f"{s:.3g} rad, ReLU {r:.3g} rad; ReLU minus Snake, paired: "
                f"{margin.text(1, ' rad', 3)}",
            )
        )
    return Outcome(metrics, claims, arrays)


def figures(outcome: Outcome, config: Config) -> dict:
    arr, m = outcome.arrays, outcome.metrics
    names = [k[len("tsne_") :] for k in arr if k.startswith("tsne_")]
    fig, axes = plt.subplots(len(names), 2, figsize=(10, 4.2 * len(names)), squeeze=False)
    split = np.full(len(arr["x"]), TEST_COLOUR, dtype=object)
    split[arr["train"]] = TRAIN_COLOUR
    for row, name in zip(axes, names, strict=True):
        emb = arr[f"tsne_{name}"]
        sc = row[0].scatter(emb[:, 0], emb[:, 1], c=arr["phase"], cmap="twilight", s=3)
        fig.colorbar(sc, ax=row[0], label="phase of x (rad)")
        row[1].scatter(emb[:, 0], emb[:, 1], c=list(split), s=3)
        label = MODEL_LABELS.get(name, name)
        row[0].set_title(
            f"{label}: by phase (NN phase error {m[f'phase_nn_error_{name}']:.2f} rad)", fontsize=9
        )
        row[1].set_title(f"{label}: train (blue) / held-out (orange)", fontsize=9)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("t-SNE of the last hidden layer's features")
    fig.tight_layout()
    return {"tsne": fig}


CLAIMS = (
    ClaimSpec(
        "snake_tracks_phase_better_than_relu",
        "Snake's nearest-neighbour phase error in feature space is below ReLU's (paired over "
        "held-out points, beyond two standard errors; both fit their training points)",
        (
            counterexample(
                "on [-10, 10], where both fit their training points, Snake's features follow x "
                "as ReLU's do: the same nearest neighbours, the same phase error (measured)",
                **HEALTHY,
                models=("snake", "relu"),
            ),
        ),
    ),
)

EXPERIMENT = Experiment(
    source="write-up 001, TSNE on learned features",
    summary="t-SNE of learned features: do they encode the phase of x (periodic) or x itself?",
    config_cls=Config,
    profiles=PROFILES,
    run=run,
    figures=figures,
    doc=__doc__ or "",
    claims=CLAIMS,
    health=(FIT_HEALTH,),
)
