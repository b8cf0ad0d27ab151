"""Worker processes for heavy demo work (zoo.workers): same results as in-process, streams that stop when
their reader leaves, errors raised again in the caller, and a dead worker replaced."""

import threading

import pytest

from zoo import workers
from zoo.demos import BadInput
from zoo.demos import text_generation as tg

STREAM = f"{tg.__name__}:stream"
ARGS = ("The with statement ", "gpt2", 0.9, 40, 60, 7)


@pytest.fixture(scope="module")
def pool():
    p = workers.Pool(2, threads=1)
    yield p
    p.close()


def test_a_stream_in_a_worker_gives_what_it_gives_in_process(pool):
    direct = list(tg.stream(*ARGS))[-1]
    streamed = list(pool.stream(STREAM, *ARGS))
    assert streamed[-1] == direct  # the last item is always sent, however the stream was throttled
    assert all(direct.startswith(s) for s in streamed)  # and the items came in order


def test_same_seed_same_text_while_another_stream_runs(pool):
    results: dict[str, str] = {}

    def other() -> None:  # a different request at the same time, on the pool's other worker
        results["other"] = list(pool.stream(STREAM, "Exceptions are", "char_lstm", 1.5, 0, 200, 99))[-1]

    thread = threading.Thread(target=other)
    thread.start()
    first = list(pool.stream(STREAM, *ARGS))[-1]
    thread.join()
    assert first == list(pool.stream(STREAM, *ARGS))[-1]
    assert results["other"].strip()


def test_closing_a_stream_stops_it_and_the_worker_serves_the_next_call(pool):
    stream = pool.stream(STREAM, "The import statement ", "gpt2", 0.8, 40, 400, 1, interval=0.0)
    next(stream)
    stream.close()  # the reader left after one item
    assert pool.run(f"{tg.__name__}:run", "abc", "char_lstm", 0.0, 40, 5, 0).text
    assert len(pool._all) == 2


def test_an_error_in_the_worker_is_raised_in_the_caller(pool):
    with pytest.raises(BadInput, match="enter some"):
        list(pool.stream(STREAM, "   ", "gpt2", 0.8, 40, 10, 0))
    with pytest.raises(BadInput):
        pool.run(f"{tg.__name__}:run", "abc", "no_such_model")


def test_a_worker_that_dies_mid_job_is_replaced(pool):
    stream = pool.stream(STREAM, "The import statement ", "gpt2", 0.8, 40, 400, 1, interval=0.0)
    next(stream)
    busy = [w for w in pool._all if w.process.poll() is None]
    for w in busy:
        if w not in list(pool._idle.queue):
            w.process.kill()
    with pytest.raises(workers.WorkerDied):
        list(stream)
    assert len(pool._all) == 2 and all(w.alive() for w in pool._all)
    assert list(pool.stream(STREAM, *ARGS))[-1] == list(tg.stream(*ARGS))[-1]
