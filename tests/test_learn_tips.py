"""The tuning-tip experiments of the Learn page (zoo.learn.tips): each runs at a tiny size as a controlled
experiment (same seed, same data, one setting changed), its stated figures are what its curves say, and the
shipped results match the definitions and support what the page's prose claims."""

from __future__ import annotations

import json
import statistics

import pytest

from zoo.learn import tips

KEYS = list(tips.EXPERIMENTS)


@pytest.fixture(scope="module")
def tiny_results() -> dict[str, dict]:
    """Every experiment at TINY_STEPS steps per arm (about a second each)."""
    return {key: tips.run_experiment(exp, tiny=True) for key, exp in tips.EXPERIMENTS.items()}


@pytest.fixture(scope="module")
def shipped() -> dict:
    data = tips.load_results()
    assert data is not None, f"{tips.RESULTS} is missing: run python -m zoo.learn.tips --all"
    return data


def test_every_experiment_changes_one_setting_between_two_arms():
    for key, exp in tips.EXPERIMENTS.items():
        assert len(exp.arms) == 2 and exp.arms[0].name != exp.arms[1].name, key
        a, b = exp.arms
        changed = {f"fit.{k}" for k in a.fit.keys() | b.fit.keys() if a.fit.get(k) != b.fit.get(k)}
        changed |= {f"model.{k}" for k in a.overrides.keys() | b.overrides.keys() if a.overrides.get(k) != b.overrides.get(k)}
        changed |= {"init"} if a.init != b.init else set()
        # a schedule is a rule and its warm-up length; every other experiment changes exactly one field
        allowed = {"lr_schedule": {"fit.schedule", "fit.warmup_steps"}}.get(key)
        assert changed == allowed if allowed else len(changed) == 1, (key, changed)
        fa, fb = exp.fit_config(a), exp.fit_config(b)
        assert fa.seed == fb.seed and fa.batch_size == fb.batch_size and fa.epochs == fb.epochs, key


@pytest.mark.parametrize("key", KEYS)
def test_tiny_experiment_runs_and_its_figures_come_from_its_curves(tiny_results, key):
    result = tiny_results[key]
    exp = tips.EXPERIMENTS[key]
    assert set(result["arms"]) == {a.name for a in exp.arms}
    figures = tips.figures(result)
    for name, curves in result["arms"].items():
        train, evals = curves["train"], curves["evals"]
        assert [row[0] for row in train] == list(range(1, tips.TINY_STEPS + 1))
        assert [row[0] for row in evals] == sorted({row[0] for row in evals}) and evals[-1][0] == tips.TINY_STEPS
        # the stated figures, recomputed here from the curves by hand
        assert figures[f"{name}_acc"] == evals[-1][1]
        assert figures[f"{name}_loss"] == evals[-1][2]
        reached = [step for step, acc, _ in evals if acc >= exp.target]
        assert figures[f"{name}_steps"] == (reached[0] if reached else None)
        gaps = [b[2] - a[2] for a, b in zip(train, train[1:])]
        assert figures[f"{name}_ms"] == pytest.approx(1000 * statistics.median(gaps), abs=0.01)
        assert figures[f"{name}_max_loss"] == max(row[1] for row in train)
        assert figures[f"{name}_norm"] == curves["weight_norm"] > 0
    assert figures["steps"] == tips.TINY_STEPS


def test_arms_start_from_the_same_weights_on_the_same_batches(tiny_results):
    """Where the arms differ only in how the optimizer steps (schedule, clipping, weight decay), the first batch's
    loss — computed before any step — is the same number in both: same initial weights, same first batch."""
    for key in ("lr_schedule", "weight_decay", "grad_clip"):
        a, b = (curves["train"][0][1] for curves in tiny_results[key]["arms"].values())
        assert a == b, key


def test_an_experiment_is_reproducible_from_its_seed(tiny_results):
    again = tips.run_experiment(tips.EXPERIMENTS["init"], tiny=True)
    for name, curves in again["arms"].items():
        first = tiny_results["init"]["arms"][name]
        assert [r[1] for r in curves["train"]] == [r[1] for r in first["train"]]
        assert curves["evals"] == first["evals"]


def test_shipped_results_match_the_experiment_definitions(shipped):
    assert set(shipped["experiments"]) == set(tips.EXPERIMENTS)
    for key, exp in tips.EXPERIMENTS.items():
        stored = shipped["experiments"][key]
        assert stored["definition"] == exp.to_json(), f"{key} changed since the results were made: rerun it"
        assert tips.stored_result(shipped, key) is stored
        m = stored["measured"]
        assert m["torch"] and m["cpu"] and m["at"] and m["usable_cores"] >= 1
        for name in (a.name for a in exp.arms):
            curves = stored["arms"][name]
            config = exp.fit_config(exp.arm(name))
            assert curves["train"][-1][0] == tips.findings(stored)[name].steps
            assert len(curves["train"]) == tips.findings(stored)[name].steps <= config.epochs * 23  # 1,437 digits / 64
    assert tips.RESULTS.stat().st_size < 200_000  # small enough to commit


def test_shipped_results_show_the_effect_each_tip_describes(shipped):
    """The page's prose says what each setting does; the stored measurements must agree with it."""
    f = {key: tips.figures(shipped["experiments"][key]) for key in tips.EXPERIMENTS}
    never = float("inf")
    assert f["lr_schedule"]["cosine_acc"] > f["lr_schedule"]["constant_acc"]
    assert (f["batch_norm"]["with_bn_steps"] or never) < (f["batch_norm"]["without_bn_steps"] or never)
    assert f["init"]["he_acc"] > 0.9 and f["init"]["small_acc"] < 0.2  # "stalls at chance" (10 classes)
    assert f["weight_decay"]["wd_01_norm"] < f["weight_decay"]["wd_0_norm"]  # smaller weights (its loss is noise here)
    assert f["grad_clip"]["clip_1_acc"] > f["grad_clip"]["no_clip_acc"]
    assert f["amp"]["bf16_ms"] > 0 and f["amp"]["fp32_ms"] > 0  # measured both ways (which is faster depends on the CPU)


def test_a_changed_definition_hides_its_old_results(shipped):
    changed = json.loads(json.dumps(shipped))
    changed["experiments"]["init"]["definition"]["fit"]["lr"] = 1.0
    assert tips.stored_result(changed, "init") is None
    assert tips.stored_result(changed, "batch_norm") is not None
    assert tips.stored_result(None, "init") is None


def test_write_results_stores_one_experiment_and_keeps_the_others(tmp_path, shipped):
    path = tmp_path / "tips.json"
    path.write_text(json.dumps(shipped))
    data = tips.write_results(["grad_clip"], path, progress=lambda _line: None, tiny=True)
    assert tips.load_results(path) == data
    assert data["experiments"]["batch_norm"] == shipped["experiments"]["batch_norm"]
    assert tips.findings(data["experiments"]["grad_clip"])["clip_1"].steps == tips.TINY_STEPS


def test_rerun_in_the_background_and_cancel():
    run = tips.ExperimentRun.start(tips.EXPERIMENTS["weight_decay"], tiny=True)
    run.join(120)
    assert run.state == "done" and run.finished
    assert set(run.result["arms"]) == {"wd_0", "wd_01"}
    assert run.snapshot()["arms"]["wd_01"]["train"] == run.result["arms"]["wd_01"]["train"]
    stopped = tips.ExperimentRun.start(tips.EXPERIMENTS["weight_decay"])
    stopped.cancel()
    stopped.join(60)
    assert stopped.state == "cancelled"


def test_cli_lists_the_experiments(capsys):
    assert tips.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(key in out for key in tips.EXPERIMENTS)
    assert tips.main(["no_such_tip"]) == 2
