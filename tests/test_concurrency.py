"""A server many people share: seeds that mean the same thing whatever else runs, thread counts that cannot
leak from one request to the next, and a fair line for heavy jobs (issue 8, items 1, 2 and 7).

No timings here: how fast the line moves under load is measured by bench/load.py."""

from __future__ import annotations

import ast
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from zoo import rng, runtime
from zoo.demos import digit_generation as dg
from zoo.demos import text_generation as tg
from zoo.train import generative, graph, rl

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def another_user():
    """Meanwhile, a thread that keeps re-seeding and drawing from torch's process-wide generator and building
    layers (whose initial weights draw from it too)."""
    stop = threading.Event()

    def churn():
        n = 0
        while not stop.is_set():
            n += 1
            torch.manual_seed(n)
            torch.rand(64)
            torch.nn.Linear(16, 16)
            torch.nn.functional.dropout(torch.ones(32), 0.5, True)

    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


@pytest.fixture
def noise():
    with another_user():
        yield


def twice_at_once(fn):
    """fn() run twice, in two threads at the same time."""
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(fn), pool.submit(fn)
        return a.result(), b.result()


# ----------------------------------------------------------------------------- same seed, same result


@pytest.mark.parametrize("key", ["gpt2", "char_lstm"])
def test_seeded_text_generation_ignores_other_users(key):
    def generate():
        return tg.run("The import statement ", key, temperature=1.0, top_k=None, max_new_tokens=60, seed=1).text

    quiet = generate()
    with another_user():
        assert twice_at_once(generate) == (quiet, quiet)
    assert tg.run("The import statement ", key, temperature=1.0, top_k=None, max_new_tokens=60, seed=2).text != quiet


def _ppo():
    model, history = rl.train_ppo(updates=4, seed=3)
    return history.returns, torch.cat([p.detach().flatten() for p in model.parameters()])


def test_ppo_training_with_a_seed_is_the_same_whatever_else_runs(noise):
    (returns_a, weights_a), (returns_b, weights_b) = twice_at_once(_ppo)
    assert returns_a == returns_b and len(returns_a) > 10
    assert torch.equal(weights_a, weights_b)


@pytest.mark.parametrize("key", ["gcn", "gat"])  # both train with dropout, which draws on every epoch
def test_karate_training_with_a_seed_is_the_same_whatever_else_runs(key, noise):
    a, b = twice_at_once(lambda: graph.train_node_classifier(key, [0, 33], epochs=60, seed=5))
    assert a.losses == b.losses
    assert np.array_equal(a.probabilities, b.probabilities)


def test_vae_training_and_sampling_with_a_seed_are_the_same_whatever_else_runs(noise):
    a, b = twice_at_once(lambda: generative.train_vae(epochs=1, latent_dim=2, seed=4))
    assert a.losses == b.losses and a.heldout_after == b.heldout_after
    samples = twice_at_once(lambda: dg.generate("vae", seed=9, n=8, vae=a.model).images)
    assert np.array_equal(*samples)
    z = twice_at_once(lambda: a.model.sample(4, generator=rng.torch_generator(9)))
    assert torch.equal(*z)


def test_building_from_a_generator_matches_the_old_global_seeding():
    """Recipes changed from `torch.manual_seed(s); create_model(...)` to `rng.build(..., torch_generator(s))`:
    the initial weights must be bit for bit the same, or the shipped weights would no longer reproduce."""
    import zoo

    torch.manual_seed(11)
    old = zoo.create_model("ppo")
    new = rng.build("ppo", rng.torch_generator(11))
    for (name, p), q in zip(old.state_dict().items(), new.state_dict().values()):
        assert torch.equal(p, q), name


def test_drawing_from_routes_only_the_calling_threads_draws():
    g = rng.torch_generator(0)
    inside, release = threading.Event(), threading.Event()

    def hold_the_mode():
        with rng.drawing_from(g):
            inside.set()
            release.wait()

    t = threading.Thread(target=hold_the_mode)
    t.start()
    inside.wait()
    before = g.get_state()
    torch.rand(100), torch.nn.Linear(8, 8)  # this thread, while the other one is inside the block
    release.set()
    t.join()
    assert torch.equal(before, g.get_state())


def test_a_random_op_that_cannot_take_a_generator_is_refused():
    with rng.drawing_from(rng.torch_generator(0)), pytest.raises(RuntimeError, match="cannot take a generator"):
        torch.ops.aten.native_dropout(torch.ones(8), 0.5, True)
    with rng.drawing_from(rng.torch_generator(0)):  # ... unless it draws nothing
        torch.ops.aten.native_dropout(torch.ones(8), 0.0, True)


def test_server_code_never_seeds_or_sizes_torch_globally():
    """`torch.manual_seed` / `torch.set_num_threads` and friends change state every request shares: none in
    code the server runs, except `zoo.runtime.configure`, which sizes the thread pool once at start-up."""
    banned = {"manual_seed", "seed", "set_num_threads", "fork_rng", "set_rng_state"}
    found = []
    files = [ROOT / "app.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "zoo").rglob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in banned:
                owner = ast.unparse(node.func.value)
                if owner in ("torch", "torch.random", "torch.cuda", "np.random", "numpy.random", "random"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    allowed = {"zoo/runtime.py"}
    assert [f for f in found if f.split(":")[0] not in allowed] == []
    assert any(f.startswith("zoo/runtime.py") for f in found)  # the scan does see calls


# ----------------------------------------------------------------------------- threads


@pytest.fixture
def two_threads_budget():
    """A start-up budget of 2 torch threads (on any machine), so that a leak to 1 would show; restored after."""
    saved, saved_jobs = torch.get_num_threads(), runtime.heavy_jobs()
    runtime.configure(jobs=1, threads=2)
    yield
    runtime.configure(jobs=saved_jobs, threads=saved)


def _threads_of_a_fresh_thread() -> int:
    out = []
    t = threading.Thread(target=lambda: out.append(torch.get_num_threads()))
    t.start()
    t.join()
    return out[0]


def test_cartpole_training_overlapping_text_generation_leaks_no_thread_count(two_threads_budget):
    """The issue's scenario: a CartPole training overlapped a text generation, and every later request ran
    torch on 1 thread. Now each small job runs on one thread of its own while every other thread — present,
    future, main — keeps what start-up decided."""
    seen = {"training": set(), "fresh during training": set()}
    generating = threading.Event()

    def progress(update, returns, mean):
        seen["training"].add(torch.get_num_threads())
        seen["fresh during training"].add(_threads_of_a_fresh_thread())
        generating.wait(timeout=30)  # keep training until the generation has started

    def generate():
        parts = tg.stream("The with statement ", "gpt2", max_new_tokens=40, seed=0)
        next(parts)
        generating.set()
        return list(parts)[-1]

    with ThreadPoolExecutor(2) as pool:
        training = pool.submit(rl.train_ppo, updates=3, seed=0, progress=progress)
        text = pool.submit(generate)
        training.result(), text.result()
    assert seen == {"training": {1}, "fresh during training": {2}}
    assert torch.get_num_threads() == 2
    assert _threads_of_a_fresh_thread() == 2


def test_single_threaded_is_this_threads_business_only(two_threads_budget):
    with runtime.single_threaded():
        assert torch.get_num_threads() == 1
        assert _threads_of_a_fresh_thread() == 2
    assert torch.get_num_threads() == 2


def test_configure_defaults_to_one_job_per_core_without_oversubscribing():
    saved, saved_jobs = torch.get_num_threads(), runtime.heavy_jobs()
    try:
        b = runtime.configure()
        assert b.cores == runtime.usable_cores() and b.jobs == b.cores and b.jobs * b.threads <= b.cores
        assert runtime.heavy_jobs() == b.jobs and _threads_of_a_fresh_thread() == b.threads
    finally:
        runtime.configure(jobs=saved_jobs, threads=saved)


# ----------------------------------------------------------------------------- the line for heavy jobs


def test_the_line_is_first_come_first_served_and_tells_each_waiter_its_place():
    line = runtime.JobLine(1)
    order, places = [], {}
    first_in, release_first = threading.Event(), threading.Event()

    def first():
        with line.slot():
            first_in.set()
            release_first.wait()
            order.append("first")

    def waiter(name):
        def waiting(position):
            places.setdefault(name, []).append(position)

        with line.slot(waiting, poll=0.01):
            order.append(name)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    first_in.wait()
    for name in ("second", "third"):
        threads.append(threading.Thread(target=waiter, args=(name,)))
        threads[-1].start()
        while line.counts()[1] < len(threads) - 1:  # wait until it stands in line, so the order is known
            threading.Event().wait(0.005)
    while "third" not in places:
        threading.Event().wait(0.005)
    release_first.set()
    for t in threads:
        t.join()
    assert order == ["first", "second", "third"]
    assert set(places["second"]) == {1} and places["third"][0] == 2
    assert line.counts() == (0, 0)


def test_a_waiter_who_leaves_lets_the_others_move_up():
    line = runtime.JobLine(1)
    with line.slot():
        def give_up(position):
            raise KeyboardInterrupt  # what a Streamlit rerun does to a waiting script

        with pytest.raises(KeyboardInterrupt):
            with line.slot(give_up):
                pass
        assert line.counts() == (1, 0)
    assert line.counts() == (0, 0)


def test_streamlit_pages_show_the_place_in_line(monkeypatch):
    """ui.heavy.heavy_job draws "number N in line" while every place is taken, in the visitor's language."""
    from ui import heavy
    from ui.i18n import Translator

    drawn = []

    class Note:
        def info(self, text, icon=None):
            drawn.append(text)

        def empty(self):
            drawn.append(None)

    monkeypatch.setattr(heavy.st, "empty", Note)
    held, release = threading.Event(), threading.Event()

    def hold_every_place():
        with runtime.heavy_job():
            held.set()
            release.wait()

    holders = [threading.Thread(target=hold_every_place) for _ in range(runtime.heavy_jobs())]
    for h in holders:
        h.start()
        held.wait()
        held.clear()
    ran = []

    def visit():
        with heavy.heavy_job(Translator("zh")):
            ran.append(True)

    visitor = threading.Thread(target=visit)
    visitor.start()
    while not drawn:
        threading.Event().wait(0.01)
    release.set()
    for h in holders:
        h.join()
    visitor.join()
    assert drawn[0] == Translator("zh")("demos.busy", position=1) and "第 1 位" in drawn[0]
    assert drawn[-1] is None  # the note goes once the job starts
    assert ran == [True] and runtime.heavy_job_counts() == (0, 0)


def test_every_gradio_widget_runs_as_many_calls_at_once_as_heavy_jobs():
    pytest.importorskip("gradio")
    from ui.gradio_demos import blocks
    from zoo.demos import all_demos

    widgets = blocks()
    assert set(widgets) == {d.name for d in all_demos() if d.gradio}
    for name, widget in widgets.items():
        assert {fn.concurrency_limit for fn in widget.fns.values() if fn.queue} == {"default"}, name  # no override
        assert widget._queue.default_concurrency_limit == runtime.heavy_jobs(), name


def test_gradio_image_outputs_are_never_rewritten_under_a_reader(tmp_path):
    """Same output for two people (the same sample clip): the second save must not rewrite the file the first
    one's browser may be downloading (Gradio 6.31 truncated and rewrote it: broken downloads under load)."""
    pytest.importorskip("gradio")
    from gradio import image_utils, processing_utils
    from PIL import Image

    from ui.gradio_demos import blocks
    from ui.gradio_patches import _save_pil_to_cache

    blocks()  # building the widgets installs the fix
    assert processing_utils.save_pil_to_cache is _save_pil_to_cache
    img = Image.new("RGB", (64, 32), (200, 80, 10))
    first = image_utils.save_image(img, str(tmp_path))  # the way gr.Image saves an output
    assert Image.open(first).size == (64, 32)
    assert [p.name for p in Path(first).parent.iterdir()] == [Path(first).name]  # no staging file left
    Path(first).write_bytes(b"stands for the bytes a browser is downloading")
    again = image_utils.save_image(img, str(tmp_path))  # someone else gets the same picture meanwhile
    assert again == first and Path(first).read_bytes() == b"stands for the bytes a browser is downloading"
