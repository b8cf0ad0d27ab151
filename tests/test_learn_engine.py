"""zoo.learn.fit: reproducible with a seed on a busy server, schedules, bf16 autocast, cancellation, early
stopping, clipping. Small models (GCN on karate: one full-batch step per epoch; LeNet-5 / VGG-11 at ×0.125 on
digits) keep the whole file to a few seconds."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from zoo import learn
from zoo.learn import FitConfig, fit
from zoo.runtime import single_threaded


@pytest.fixture(scope="module")
def karate_plan():
    return learn.plans_for("gcn")[0]


@pytest.fixture(scope="module")
def karate(karate_plan):
    return learn.load_dataset(karate_plan.dataset, **karate_plan.data_options)


def gcn(plan, seed=0):
    return learn.build(plan, seed)


def params(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_zoo_exports_the_engine():
    import zoo

    assert zoo.fit is fit and zoo.FitConfig is FitConfig


def test_seeded_run_is_reproducible_while_other_threads_train():
    """VGG-11 (dropout 0.5 in its classifier) twice with seed 5: once alone, once while two threads train GATs
    and draw from torch's process-wide generator. Same initial weights, batch order and dropout masks →
    bit-identical parameters."""
    plan = learn.plans_for("vgg11")[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    config = FitConfig(epochs=1, max_steps=4, batch_size=16, optimizer="adam", lr=1e-3, seed=5)

    def run():
        with single_threaded():
            return params(fit(learn.build(plan, 5), data, config).model)

    alone = run()
    stop = threading.Event()

    graph_plan = learn.plans_for("gat")[0]  # GAT: dropout 0.6, drawn in its own run
    graph = learn.load_dataset(graph_plan.dataset, **graph_plan.data_options)

    def noise(seed):
        with single_threaded():
            while not stop.is_set():
                torch.randn(64)  # the shared generator moves all the time
                fit(learn.build(graph_plan, seed), graph, FitConfig(epochs=3, seed=seed))

    threads = [threading.Thread(target=noise, args=(s,), daemon=True) for s in (1, 2)]
    for t in threads:
        t.start()
    try:
        busy = run()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert alone.keys() == busy.keys()
    for k in alone:
        assert torch.equal(alone[k], busy[k]), k
    other_seed = params(fit(learn.build(plan, 6), data, FitConfig(**{**config.to_json(), "seed": 6})).model)
    assert any(not torch.equal(alone[k], other_seed[k]) for k in alone), "a different seed must give a different run"


@pytest.mark.parametrize(
    "schedule, extra, expected",
    [
        ("constant", {}, lambda i, n, lr: lr),
        ("step", {"step_every": 3, "gamma": 0.5}, lambda i, n, lr: lr * 0.5 ** (i // 3)),
        ("cosine", {}, lambda i, n, lr: lr * (1 + math.cos(math.pi * i / n)) / 2),
    ],
)
def test_schedules_step_as_configured(karate_plan, karate, schedule, extra, expected):
    """One step per epoch on karate: the lr of step i is the schedule's value at i."""
    n = 10
    result = fit(gcn(karate_plan), karate, FitConfig(epochs=n, lr=0.1, schedule=schedule, **extra))
    assert result.steps == n
    assert result.lrs == pytest.approx([expected(i, n, 0.1) for i in range(n)], rel=1e-6, abs=1e-9)


def test_warmup_then_cosine(karate_plan, karate):
    warmup, n, lr = 4, 12, 0.1
    lrs = fit(gcn(karate_plan), karate, FitConfig(epochs=n, lr=lr, schedule="cosine", warmup_steps=warmup)).lrs
    rise = [lr * (0.01 + 0.99 * i / warmup) for i in range(warmup)]  # LinearLR from lr/100
    fall = [lr * (1 + math.cos(math.pi * i / (n - warmup))) / 2 for i in range(n - warmup)]
    assert lrs == pytest.approx(rise + fall, rel=1e-6)


def test_onecycle_peaks_at_lr_after_warmup(karate_plan, karate):
    lrs = fit(gcn(karate_plan), karate, FitConfig(epochs=20, lr=0.05, schedule="onecycle", warmup_steps=5)).lrs
    assert max(lrs) == pytest.approx(0.05, rel=1e-6)
    assert lrs.index(max(lrs)) in (4, 5)  # torch's phase boundary: pct_start × total − 1
    assert lrs[0] < 0.05 / 10 and lrs[-1] < lrs[0]


def test_bf16_autocast_runs_in_bfloat16():
    plan = learn.plans_for("lenet5")[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    model = learn.build(plan, 0)
    seen = []
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    conv.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    result = fit(model, data, FitConfig(epochs=1, max_steps=3, batch_size=32, amp="bf16"))
    assert seen and all(d == torch.bfloat16 for d in seen)
    assert all(math.isfinite(x) for x in result.losses) and result.final_metrics["accuracy"] >= 0
    assert all(p.dtype == torch.float32 for p in model.parameters())  # autocast, not a bf16 model


def test_cancel_stops_within_a_step(karate_plan, karate):
    cancel = threading.Event()
    events = []

    def on_event(e):
        events.append(e)
        if e.kind == "step" and e.step == 3:
            cancel.set()

    result = fit(gcn(karate_plan), karate, FitConfig(epochs=1000), on_event=on_event, cancel=cancel)
    assert result.stopped == "cancelled" and result.steps == 3
    assert events[-1].kind == "end" and events[-1].reason == "cancelled"


def test_cancel_from_another_thread_is_prompt():
    plan = learn.plans_for("lenet5")[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    cancel, started = threading.Event(), threading.Event()
    out = {}

    def work():
        with single_threaded():
            out["r"] = fit(learn.build(plan, 0), data, FitConfig(epochs=500, batch_size=16),
                           on_event=lambda e: started.set(), cancel=cancel)

    t = threading.Thread(target=work)
    t.start()
    assert started.wait(60)
    cancel.set()
    t.join(10)  # one LeNet step is milliseconds; 10 s only absorbs a very busy machine
    assert not t.is_alive() and out["r"].stopped == "cancelled"


def test_early_stopping_after_patience(karate_plan, karate):
    """SGD at lr 1e-9 changes nothing: the first evaluation is the best, then `patience` more end the run."""
    result = fit(gcn(karate_plan), karate, FitConfig(epochs=50, optimizer="sgd", lr=1e-9, early_stopping=2))
    assert result.stopped == "early_stopping"
    assert result.epochs_run == 3 and len(result.evals) == 3


def test_gradient_clipping_bounds_the_update(karate_plan, karate):
    model = gcn(karate_plan)
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    events = []
    fit(model, karate, FitConfig(epochs=1, optimizer="sgd", lr=1.0, clip_norm=1e-3), on_event=events.append)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    step = next(e for e in events if e.kind == "step")
    assert step.grad_norm is not None and step.grad_norm > 1e-3  # it had something to clip
    assert float((after - before).norm()) == pytest.approx(1e-3, rel=1e-3)  # SGD, lr 1: update = clipped gradient


def test_max_steps_and_events(karate_plan, karate):
    events = []
    result = fit(gcn(karate_plan), karate, FitConfig(epochs=100, max_steps=7), on_event=events.append)
    assert result.stopped == "max_steps" and result.steps == 7
    steps = [e for e in events if e.kind == "step"]
    assert [e.step for e in steps] == list(range(1, 8)) and all(e.total_steps == 7 for e in steps)
    assert steps[-1].eta == 0 and all(e.elapsed >= 0 for e in steps)
    assert len(result.losses) == len(result.lrs) == 7


def test_config_rejects_bad_values():
    for bad in ({"optimizer": "rmsprop"}, {"lr": -1}, {"amp": "fp8"}, {"epochs": 0}, {"clip_norm": 0}):
        with pytest.raises(ValueError):
            FitConfig(**bad)


def test_background_run_waits_in_line_then_trains(karate_plan):
    """With every heavy-job place taken, a run waits and knows its place; once a place frees it trains to the
    end; a run cancelled while waiting leaves the line."""
    import contextlib
    import time

    from zoo import runtime

    with contextlib.ExitStack() as taken:
        for _ in range(runtime.heavy_jobs()):
            taken.enter_context(runtime.heavy_job())
        run = learn.BackgroundRun.start(karate_plan, FitConfig(epochs=5))
        gave_up = learn.BackgroundRun.start(karate_plan, FitConfig(epochs=5))
        deadline = time.time() + 30
        while (run.position is None or gave_up.position is None) and time.time() < deadline:
            time.sleep(0.05)
        assert run.snapshot().state == "waiting" and run.position == 1 and gave_up.position == 2
        gave_up.cancel()
        gave_up.join(10)
        assert gave_up.state == "cancelled"
    run.join(60)
    snap = run.snapshot()
    assert snap.state == "done" and snap.result.steps == 5 and len(snap.steps) == 5 and len(snap.evals) == 5


def test_a_run_whose_visitor_left_stops_and_frees_its_place(karate_plan, monkeypatch):
    """A run asks now and then whether its visitor is still there; once they have left it stops, while waiting in
    line or while training, instead of holding a heavy-job place until its time limit."""
    import contextlib
    import time

    from zoo import runtime
    from zoo.learn import runs

    monkeypatch.setattr(runs, "WATCH_EVERY", 0.0)
    present = {"waiting": True, "training": True}
    with contextlib.ExitStack() as taken:
        for _ in range(runtime.heavy_jobs()):
            taken.enter_context(runtime.heavy_job())
        waiting = learn.BackgroundRun.start(karate_plan, FitConfig(epochs=5), watched=lambda: present["waiting"])
        deadline = time.time() + 30
        while waiting.position is None and time.time() < deadline:
            time.sleep(0.05)
        present["waiting"] = False  # the visitor closed the tab while the run was in line
        waiting.join(10)
        assert waiting.state == "cancelled" and waiting.abandoned
    started: list = []

    def still_there() -> bool:  # the visitor leaves after the third step
        return not started or len(started[0].snapshot().steps) < 3

    training = learn.BackgroundRun.start(karate_plan, FitConfig(epochs=500), watched=still_there)
    started.append(training)
    training.join(60)
    assert training.state == "cancelled" and training.abandoned and 3 <= training.result.steps < 500


def test_save_run_writes_loadable_weights_and_json(karate_plan, karate, tmp_path):
    import json

    from safetensors.torch import load_file

    result = fit(gcn(karate_plan), karate, FitConfig(epochs=4, seed=2))
    weights, meta = learn.save_run(result, tmp_path, karate_plan)
    fresh = gcn(karate_plan, seed=9)
    fresh.load_state_dict(load_file(weights))
    for k, v in result.model.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v)
    info = json.loads(meta.read_text())
    assert info["plan"]["key"] == "gcn" and info["steps"] == 4 and info["config"]["seed"] == 2
    assert len(info["losses"]) == 4 and info["final_metrics"] == result.final_metrics


def test_fit_events_is_fit_as_a_generator(karate_plan, karate):
    """The generator yields the same events `fit` reports, and returns the same result."""
    config = FitConfig(epochs=4, batch_size=1, lr=0.01, seed=3)
    reported = []
    expected = fit(gcn(karate_plan, 3), karate, config, on_event=reported.append)
    run = learn.fit_events(gcn(karate_plan, 3), karate, config)
    yielded = []
    while True:
        try:
            yielded.append(next(run))
        except StopIteration as done:
            result = done.value
            break
    strip = lambda events: [(e.kind, e.step, e.loss, tuple(sorted(e.metrics.items()))) for e in events]
    assert strip(yielded) == strip(reported) and [e.kind for e in yielded][-1] == "end"
    assert result.losses == expected.losses and result.final_metrics == expected.final_metrics


def test_a_generator_left_alone_pauses_and_close_ends_it(karate_plan, karate):
    run = learn.fit_events(gcn(karate_plan), karate, FitConfig(epochs=50, batch_size=1, lr=0.01))
    first = [next(run) for _ in range(3)]
    assert [e.step for e in first if e.kind == "step"] == [1, 2]  # step, eval, step: nothing ran ahead
    run.close()  # a consumer that goes away ends the run: no thread left training


def test_checkpoints_resume_to_the_same_weights(tmp_path):
    """VGG-11 ×0.125 (dropout, Adam, one-cycle) for 12 steps straight, and 5 steps + checkpoint + resume for
    the rest: the same weights, curves and held-out metrics. Checkpoints load with weights_only=True."""
    plan = learn.plans_for("vgg11")[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    config = FitConfig(epochs=2, max_steps=12, batch_size=256, optimizer="adam", lr=2e-3, schedule="onecycle",
                       seed=1, checkpoint_every=5)
    with single_threaded():
        straight = fit(learn.build(plan, 1), data, config, checkpoint_dir=tmp_path / "a")
        cut = threading.Event()
        stop_after = lambda e: e.kind == "step" and e.step == 7 and cut.set()
        first = fit(learn.build(plan, 1), data, config, checkpoint_dir=tmp_path / "b", on_event=stop_after, cancel=cut)
        assert first.stopped == "cancelled" and first.steps == 7
        names = sorted(p.name for p in (tmp_path / "b").glob("*.safetensors"))
        assert names == ["step-000005.safetensors", "step-000007.safetensors"]  # every 5 steps, and where it stopped
        state = torch.load(tmp_path / "b" / "step-000005.state.pt", weights_only=True)
        assert state["step"] == 5 and len(state["losses"]) == 5
        resumed = fit(learn.build(plan, 99), data, config, checkpoint_dir=tmp_path / "b",
                      resume=tmp_path / "b" / "step-000005.safetensors")
    assert resumed.steps == straight.steps == 12
    assert resumed.losses == pytest.approx(straight.losses, abs=1e-6)
    for k, v in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[k], v, msg=k)
    assert resumed.final_metrics == pytest.approx(straight.final_metrics)
    assert learn.latest_checkpoint(tmp_path / "b").name == "step-000012.safetensors"
    with pytest.raises(ValueError, match="lr"):
        fit(learn.build(plan, 1), data, FitConfig(**{**config.to_json(), "lr": 1e-3}), resume=tmp_path / "b")
