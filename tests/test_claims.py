"""Every registered claim can fail: its counterexamples make it report "does not hold".

Each experiment declares its claims (``Experiment.claims``) with at least one counterexample: a
set of overrides on the quick profile under which the claim must not hold. This test runs every
counterexample (runs sharing the same overrides are computed once) and the quick profile, where
every declared claim must be computed (holds or does not hold, never "not checked").
"""

from __future__ import annotations

import json

import pytest

from roughgrad.experiments import EXPERIMENTS, Claim, ClaimSpec, Context, Experiment, Outcome

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

    def get(name: str, overrides: dict) -> dict[str, Claim]:
        key = (name, json.dumps(overrides, sort_keys=True, default=list))
        if not overrides and key not in cache:
            record = quick_runs(name)
            cache[key] = {
                c["name"]: Claim(c["name"], c["holds"], c["evidence"]) for c in record.claims
            }
        if key not in cache:
            exp = EXPERIMENTS[name]
            outcome: Outcome = exp.run(exp.config("quick", overrides), Context())
            cache[key] = {c.name: c for c in exp.complete_claims(outcome.claims)}
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
    record = quick_runs(name)
    declared = [c.name for c in EXPERIMENTS[name].claims]
    assert [c["name"] for c in record.claims] == declared
    unchecked = [c for c in record.claims if c["status"] == "not checked"]
    assert not unchecked, unchecked


@pytest.mark.parametrize(("name", "claim", "index"), CASES)
def test_counterexample_makes_the_claim_fail(name, claim, index, counter_runs):
    spec = next(c for c in EXPERIMENTS[name].claims if c.name == claim)
    ce = spec.counterexamples[index]
    got = counter_runs(name, dict(ce.overrides))[claim]
    assert got.status == "does not hold", f"{ce.why}: {got.status} — {got.evidence}"


def test_a_claim_without_counterexample_is_refused():
    with pytest.raises(TypeError, match="no counterexample"):
        ClaimSpec("always", "a statement that cannot fail", ())


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

    from roughgrad import _catalog
    from roughgrad.runs.claims_doc import load_status
    from roughgrad.runs.experiment_pages import index_page, page

    docs = Path(__file__).resolve().parents[1] / "docs"
    status = load_status(docs / "claims_status.json")
    for name, entry in _catalog.catalog().items():
        expected = page(name, entry, status.get(name, {}), docs)
        committed = (docs / "experiments" / f"{name}.md").read_text()
        assert committed == expected, f"{name}: run `roughgrad claims` to regenerate"
    assert (docs / "experiments" / "index.md").read_text() == index_page(status)


def test_strict_exits_1_when_a_claim_does_not_hold(tmp_path, capsys):
    from roughgrad.cli import main

    argv = ["run", "sin-frequency", "--profile", "quick", "--set", "lr=0.000001", "--strict"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path), "--no-progress", "--json"])
    assert exc.value.code == 1
    out = json.loads(capsys.readouterr().out)
    claim = next(c for c in out["claims"] if c["name"] == "sgd_unstable_near_answer")
    assert claim["status"] == "does not hold"
    assert "below the stability limit" in claim["evidence"]
    # the run is complete on disk even though the exit code is 1
    (run_dir,) = (tmp_path / "sin-frequency").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"
