"""Every registered claim can fail on its own condition: each counterexample runs healthy (the
experiment's floors are met: training reaches its usual accuracy, the neuron fires) and makes
the claim report "does not hold".

Each experiment declares its claims (``Experiment.claims``) with at least one counterexample: a
set of overrides on the quick profile. This test runs every counterexample (settings that
resolve to the same config are computed once, the quick profile's included) and checks the
floors and the status; the quick profile must compute every part a claim needs.
"""

from __future__ import annotations

import json

import pytest

from roughgrad.experiments import EXPERIMENTS, Claim, ClaimSpec, Context, Experiment, Outcome
from roughgrad.experiments.base import (
    Margin,
    at_least,
    binomial_se,
    claim_status,
    counterexample,
    seeds_se,
    within,
)

pytestmark = pytest.mark.slow

CASES = [
    pytest.param(name, spec.name, i, id=f"{name}:{spec.name}:{i}")
    for name, exp in EXPERIMENTS.items()
    for spec in exp.claims
    for i in range(len(spec.counterexamples))
]


@pytest.fixture(scope="session")
def counter_runs(quick_runs):
    """(experiment, overrides) -> claims by name, each setting computed once per session (no
    overrides: the quick profile's run, shared with the other tests)."""
    cache: dict[tuple, dict[str, Claim]] = {}

    def get(name: str, overrides: dict) -> tuple[dict[str, Claim], list[tuple[bool, str]]]:
        exp = EXPERIMENTS[name]
        config = exp.config("quick", overrides)
        key = (name, json.dumps(config.to_dict(), sort_keys=True, default=list))
        if key not in cache:
            if config == exp.config("quick"):
                record = quick_runs(name)
                claims = {
                    c["name"]: Claim(
                        c["name"], c["holds"], c["evidence"], c["status"] == "inconclusive"
                    )
                    for c in record.claims
                }
                cache[key] = (claims, [(h["met"], h["floor"]) for h in record.health])
            else:
                outcome: Outcome = exp.run(config, Context())
                claims = {c.name: c for c in exp.complete_claims(outcome.claims)}
                cache[key] = (claims, exp.check_health(outcome.metrics))
        return cache[key]

    return get


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_declares_its_claims(name):
    exp = EXPERIMENTS[name]
    assert exp.claims, f"{name} declares no claim"
    for spec in exp.claims:
        assert spec.checks.strip(), f"{name}:{spec.name} does not say what it checks"
        for ce in spec.counterexamples:
            exp.config("quick", ce.overrides)  # every counterexample is a valid config
            assert ce.why.strip()


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_quick_profile_computes_every_claim(name, quick_runs):
    """The quick profile runs every part a claim needs (a claim may still be not checked there
    for a measured reason, e.g. a method that did not train)."""
    record = quick_runs(name)
    declared = [c.name for c in EXPERIMENTS[name].claims]
    assert [c["name"] for c in record.claims] == declared
    skipped = [c for c in record.claims if "does not compute it" in c["evidence"]]
    assert not skipped, skipped


@pytest.mark.parametrize(("name", "claim", "index"), CASES)
def test_counterexample_makes_the_claim_fail(name, claim, index, counter_runs):
    spec = next(c for c in EXPERIMENTS[name].claims if c.name == claim)
    ce = spec.counterexamples[index]
    claims, health = counter_runs(name, dict(ce.overrides))
    unmet = [text for met, text in health if not met]
    assert not unmet, f"{ce.why}: the counterexample's run is not healthy: {unmet}"
    got = claims[claim]
    assert got.status == "does not hold", f"{ce.why}: {got.status} — {got.evidence}"


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_states_what_a_healthy_run_reaches(name):
    exp = EXPERIMENTS[name]
    if name in ("mc-vs-quadrature", "periodic-targets"):  # analytic / fitted forecasts only
        return
    assert exp.health, f"{name} declares no floor: a counterexample's health cannot be checked"


def test_a_claim_without_counterexample_is_refused():
    with pytest.raises(TypeError, match="no counterexample"):
        ClaimSpec("always", "a statement that cannot fail", ())
    with pytest.raises(TypeError, match="bare quick profile"):
        ClaimSpec("vague", "fails when nothing runs", (counterexample("the quick profile"),))


def test_margins_decide_only_beyond_two_standard_errors():
    assert at_least(0.975, 0.97, se=0.008).verdict is None  # the reviewer's 97.5% ± 0.8
    assert at_least(0.99, 0.97, se=0.008).verdict is True
    assert at_least(0.94, 0.97, se=0.008).verdict is False
    assert within(0.06, 0.05, se=0.02).verdict is None
    assert within(0.01, 0.05, se=0.01).verdict is True
    assert Margin(0.0, 0.0).verdict is False  # exact and on the bar: a strict claim fails
    assert binomial_se(0.9, 100) == pytest.approx(0.03)
    assert seeds_se([1.0, 1.0]) == 0.0 and seeds_se([1.0]) == 0.0
    claim = Claim.from_margin("c", at_least(0.975, 0.97, 0.008), "97.5%")
    assert claim.status == "inconclusive" and claim.to_dict()["holds"] is None
    both = Claim.from_margins("c", [at_least(1, 0, 0.1), at_least(0.5, 0.6, 0.01)], "")
    assert both.status == "does not hold"
    undecided = Claim.from_margins("c", [at_least(1, 0, 0.1), at_least(0.6, 0.6, 0.1)], "")
    assert undecided.status == "inconclusive"
    assert claim_status({"name": "c", "holds": None, "status": "inconclusive"}) == "inconclusive"


def test_the_evidence_shown_beside_a_status_does_not_repeat_it():
    from roughgrad.experiments.base import claim_evidence

    unchecked = Claim.not_checked("c", "no tanh was trained").to_dict()
    assert claim_evidence(unchecked) == "no tanh was trained"
    undecided = Claim.undecided("c", "search not bracketed").to_dict()
    assert claim_evidence(undecided) == "search not bracketed"
    held = Claim("c", True, "not checked: a quoted phrase stays").to_dict()
    assert claim_evidence(held) == "not checked: a quoted phrase stays"


def test_a_share_of_five_seeds_decides_only_when_all_or_few_learn():
    """rnn-frequency-halving's learning claims: 5 of 5 seeds clear the 80% bar, 4 or 3 of 5 are
    inside two binomial standard errors of it, none of 5 fails it."""
    from roughgrad.experiments.rnn_frequency_halving.run import _rate_margins

    def status(*rates: float) -> str:
        return Claim.from_margins("c", _rate_margins(dict(enumerate(rates)), 5), "").status

    assert status(1.0, 1.0) == "holds"
    assert status(1.0, 0.8) == "inconclusive"
    assert status(0.6, 1.0) == "inconclusive"
    assert status(0.0, 1.0) == "does not hold"


def test_undeclared_and_missing_claims():
    exp = EXPERIMENTS["sin-frequency"]
    with pytest.raises(TypeError, match="undeclared"):
        exp.complete_claims([Claim("made_up", True, "")])
    claims = exp.complete_claims([])
    assert len(claims) == len(exp.claims)
    assert all(c.status == "not checked" for c in claims)
    assert all(c.to_dict()["holds"] is None for c in claims)
    assert isinstance(exp, Experiment)


def test_docs_claims_page_is_current():
    """docs/claims.md is generated from the registry and docs/claims_status.json: regenerate it
    with `roughgrad claims` (add --runs OUT after a default-profile reproduce)."""
    from pathlib import Path

    from roughgrad.runs.claims_doc import claims_markdown, load_status

    docs = Path(__file__).resolve().parents[1] / "docs"
    expected = claims_markdown(load_status(docs / "claims_status.json"))
    assert (docs / "claims.md").read_text() == expected, "run `roughgrad claims` to regenerate"


def test_docs_experiment_pages_are_current():
    """docs/experiments/NAME.md are generated from the catalog, the saved statuses and the
    figures in docs/experiments/figures: regenerate them with `roughgrad claims`."""
    from pathlib import Path

    from roughgrad.runs.claims_doc import load_status
    from roughgrad.runs.experiment_pages import render_pages

    docs = Path(__file__).resolve().parents[1] / "docs"
    for path, expected in render_pages(docs, load_status(docs / "claims_status.json")).items():
        assert path.read_text() == expected, f"{path.name}: run `roughgrad claims` to regenerate"


def test_every_experiment_page_is_in_the_site_navigation_once_under_its_write_up():
    from pathlib import Path

    import yaml

    from roughgrad import _catalog

    root = Path(__file__).resolve().parents[1]
    nav = yaml.safe_load((root / "mkdocs.yml").read_text().replace("!relative", ""))["nav"]
    (experiments,) = [item["Experiments"] for item in nav if "Experiments" in item]
    entries = [next(iter(g.values())) for g in experiments]
    groups = [g for g in entries if isinstance(g, list)]
    assert len(groups) == len(_catalog.SOURCES)
    listed = [next(iter(p.values())) for g in groups for p in g]
    by_source = [
        [f"experiments/{n}.md" for n, e in _catalog.catalog().items() if e["write_up"] == key]
        for key in _catalog.SOURCES
    ]
    assert [[next(iter(p.values())) for p in g] for g in groups] == by_source
    assert sorted(listed) == sorted(f"experiments/{n}.md" for n in _catalog.MODULES)


def test_an_experiment_page_states_its_question_source_and_claims_once(tmp_path):
    from roughgrad import _catalog
    from roughgrad.runs.experiment_pages import page

    entry = _catalog.catalog()["hh-fi-curve"]
    folder = tmp_path / "experiments" / "figures" / "hh-fi-curve"
    folder.mkdir(parents=True)
    claims = [{"name": "rheobase_textbook", "status": "holds", "evidence": "onset 6.2 uA/cm^2"}]
    (folder / "claims.json").write_text(json.dumps(claims))
    text = page("hh-fi-curve", entry, {"rheobase_textbook": "holds"}, tmp_path, {})
    assert text.count("Source:") == 1 and "Question:" not in text
    assert "Claims checked" not in text and "```text" not in text
    assert "| `rheobase_textbook` |  | holds | onset 6.2 uA/cm^2 |" in text


def test_a_saved_figure_carries_its_title_as_its_caption(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from roughgrad.runs.rundir import figure_caption, save_figure

    fig, (a, b) = plt.subplots(1, 2)
    a.set_title("loss along f")
    b.set_title("its gradient")
    save_figure(fig, tmp_path / "two_panels.png")
    fig.suptitle("Fitting sin(f x)")
    save_figure(fig, tmp_path / "with_suptitle.png")
    plt.close(fig)
    assert figure_caption(tmp_path / "two_panels.png") == "loss along f; its gradient"
    assert figure_caption(tmp_path / "with_suptitle.png") == "Fitting sin(f x)"
    (tmp_path / "no_title.gif").write_bytes(b"GIF89a")
    assert figure_caption(tmp_path / "no_title.gif") == "No title"


def test_strict_exits_1_when_a_claim_is_inconclusive(tmp_path, capsys):
    from roughgrad.cli import main

    # 3 epochs of the fast setting: node perturbation lands within two standard errors of 97%
    argv = ["run", "digits-ann", "--profile", "quick", "--strict", "--json", "--no-progress"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path)])
    assert exc.value.code == 1
    out = json.loads(capsys.readouterr().out)
    claim = next(c for c in out["claims"] if c["name"] == "no_backprop_reaches_97")
    assert claim["status"] == "inconclusive", claim
    assert "inside two standard errors" in claim["evidence"]


def test_a_broken_baseline_does_not_make_a_comparison_hold(tmp_path, capsys):
    """lr 10 (the user's rate replaces the profile's search) breaks autodiff and the regression
    alike: the comparison between them is not checked, never holds."""
    from roughgrad.cli import main

    argv = ["run", "digits-ann", "--profile", "quick", "--set", "lr=10"]
    main([*argv, "--set", "fast_epochs=1", "--json", "--no-progress", "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["lrs"] == [] and out["config"]["lr"] == 10
    claim = next(c for c in out["claims"] if c["name"] == "regression_close_to_autodiff")
    assert claim["status"] == "not checked", claim
    assert "did not train" in claim["evidence"]


def test_strict_exits_1_when_a_claim_does_not_hold(tmp_path, capsys):
    from roughgrad.cli import main

    argv = ["run", "sin-frequency", "--profile", "quick", "--set", "lr=0.000001", "--strict"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path), "--no-progress", "--json"])
    assert exc.value.code == 1
    out = json.loads(capsys.readouterr().out)
    claim = next(c for c in out["claims"] if c["name"] == "sgd_unstable_near_answer")
    assert claim["status"] == "does not hold"
    assert "below the data's stability limit" in claim["evidence"]
    # the run is complete on disk even though the exit code is 1
    (run_dir,) = (tmp_path / "sin-frequency").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"


def test_a_rate_the_user_sets_replaces_the_search_and_a_grid_they_set_keeps_it():
    exp = EXPERIMENTS["digits-ann"]
    assert exp.config("quick").lrs == (0.01, 0.03, 0.1)
    assert exp.config("quick", {"lr": "0.5"}).lrs == ()
    assert exp.config("quick", {"lr": "0.5", "lrs": "0.1,0.2"}).lrs == (0.1, 0.2)
    assert exp.config("quick", {"fast_lr": "0.5"}).fast_lrs == ()
    assert exp.config("quick", {"fast_lr": "0.5"}).lrs == (0.01, 0.03, 0.1)
