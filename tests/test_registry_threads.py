"""The registry loads its families once, safely, whichever threads ask first; a family that fails to
import is an error, never a silently smaller registry. Each case runs in a fresh interpreter, where
nothing is loaded yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, tmp_path: Path | None = None) -> dict:
    env_path = [str(ROOT)] + ([str(tmp_path)] if tmp_path else [])
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": ":".join(env_path), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_many_threads_first_calls_all_succeed():
    # Before the fix the registry marked itself loaded before importing the families, so a second
    # thread's first call saw it nearly empty: "unknown model 'lenet5'".
    out = run_python(
        """
        import json, threading
        import zoo

        N = 16
        start = threading.Barrier(N)
        counts, errors = [], []

        def first_call(i):
            start.wait()  # all threads make their first registry call at the same moment
            try:
                if i % 3 == 0:
                    zoo.create_model("lenet5")
                elif i % 3 == 1:
                    zoo.entry("gcn")
                counts.append(len(zoo.list_models()))
            except Exception as e:
                errors.append(f"{type(e).__name__}: {e}")

        threads = [threading.Thread(target=first_call, args=(i,)) for i in range(N)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(json.dumps({"errors": errors, "counts": counts, "total": len(zoo.list_models())}))
        """
    )
    assert out["errors"] == []
    assert len(out["counts"]) == 16 and set(out["counts"]) == {out["total"]} and out["total"] > 30


def test_a_family_that_fails_to_import_raises_every_time(tmp_path):
    # It registers one model, then fails: the retry must raise the same clear error (not "registered
    # twice"), and once the family is gone the registry loads completely.
    (tmp_path / "broken_family.py").write_text(textwrap.dedent(
        """
        from types import SimpleNamespace

        import torch
        from zoo import register_model

        register_model(SimpleNamespace(key="half_registered"), lambda: torch.zeros(1))(lambda: torch.nn.Identity())
        raise RuntimeError("a bug in this family file")
        """
    ))
    out = run_python(
        """
        import json
        from zoo import registry

        real = registry._family_modules
        registry._family_modules = lambda: real() + ["broken_family"]
        errors = []
        for _ in range(2):
            try:
                registry.list_models()
            except registry.FamilyImportError as e:
                errors.append(str(e))
        loaded_after_errors = registry._LOADED
        registry._family_modules = real
        print(json.dumps({"errors": errors, "loaded_after_errors": loaded_after_errors,
                          "total": len(registry.list_models()), "half": "half_registered" in registry._REGISTRY}))
        """,
        tmp_path,
    )
    assert len(out["errors"]) == 2
    assert all("broken_family" in e and "a bug in this family file" in e for e in out["errors"])
    assert not out["loaded_after_errors"] and out["total"] > 30 and not out["half"]
