"""DeepZoo as a Hugging Face Space: Git LFS coverage, `python -m zoo deploy` (offline), /healthz, Gradio's
temporary folder, and the widgets' theme and language."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import sandbox
from zoo.cli import main
from zoo.space import card, dockerfile, health, repo

ROOT = Path(__file__).resolve().parent.parent


def _git_work_tree() -> None:
    if not shutil.which("git") or not repo.in_git(ROOT):
        pytest.skip("not a git work tree")


# ----------------------------------------------------------------------------- Git LFS


def test_every_binary_is_lfs():
    """The Hub refuses binary files pushed as plain git objects: each one git tracks must match an LFS pattern."""
    _git_work_tree()
    tracked = repo.tracked_files(ROOT)
    binaries = [p for p in tracked if repo.is_binary(ROOT / p)]
    assert "assets/weights/lenet5_digits.safetensors" in binaries and "assets/samples/audio/seven.wav" in binaries
    filters = repo.lfs_filters(binaries, ROOT)
    assert [p for p in binaries if filters.get(p) != "lfs"] == []
    assert not any(repo.is_binary(ROOT / p) for p in ("README.md", "zoo/cli.py", "ui/locales/zh.toml"))


def test_binary_sniffing_reads_content_not_names(tmp_path):
    (tmp_path / "weights.txt").write_bytes(b"\x00\x01safetensors header")
    (tmp_path / "clip.flac").write_bytes(b"fLaC" + bytes(range(128, 256)) * 4)  # no NUL, not UTF-8
    (tmp_path / "notes.bin").write_text("plain text, 中文 too\n" * 600, encoding="utf-8")  # a cut multi-byte char
    assert repo.is_binary(tmp_path / "weights.txt") and repo.is_binary(tmp_path / "clip.flac")
    assert not repo.is_binary(tmp_path / "notes.bin")


# ----------------------------------------------------------------------------- python -m zoo deploy


def test_dry_run_lists_what_the_space_gets_with_sizes(capsys):
    _git_work_tree()
    assert main(["deploy", "alice/deepzoo", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert {"Dockerfile", "README.md", "app.py", "requirements.txt", ".gitattributes", "zoo/space/deploy.py",
            "ui/widget_frame/static/iframeResizer.min.js", "ui/viewer/static/viewer.js"} <= listed
    assert not [p for p in listed if p.startswith(("tests/", "bench/", ".ci/", "ui/viewer/frontend/", "ui/widget_frame/frontend/")) or "__pycache__" in p]
    weights = "assets/weights/gpt2_bytes.safetensors"
    line = next(line for line in out.splitlines() if line.startswith(f"  {weights} "))
    assert repo.human_size((ROOT / weights).stat().st_size) in line and line.rstrip().endswith("LFS")
    assert "front matter and Git LFS checks passed" in out and "dry run: nothing was sent" in out


def test_front_matter_problems_are_named(tmp_path):
    (tmp_path / "README.md").write_text(
        "---\ntitle: X\nsdk: streamlit\napp_port: 8501\nlicense: MIT License\n"
        "short_description: A description that goes on and on well past the sixty characters the Hub shows\n"
        "models:\n  - not an id\ncolorFrom: green\ncolorTo: teal\nemoji: 🦁\n---\n# X\n", encoding="utf-8")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    fields = {p.field for p in card.check(tmp_path / "README.md", tmp_path / "Dockerfile")}
    assert fields == {"sdk", "app_port", "license", "short_description", "models", "tags", "colorTo"}


def test_the_readme_front_matter_matches_the_dockerfile():
    assert card.check() == []
    image = dockerfile.read()
    assert card.front_matter()["app_port"] == image.cmd_port == 7860 and image.user_id == 1000


def test_app_port_is_read_from_the_dockerfile_cmd(tmp_path):
    text = (ROOT / "Dockerfile").read_text().replace("--server.port=7860", "--server.port=8080")
    (tmp_path / "Dockerfile").write_text(text)
    problems = [str(p) for p in card.check(ROOT / "README.md", tmp_path / "Dockerfile")]
    assert any("8080" in p and p.startswith("app_port") for p in problems)


def test_deploy_says_what_it_needs_without_a_token_or_the_network(monkeypatch, capsys):
    _git_work_tree()
    from huggingface_hub import constants

    import zoo.space.deploy as deploy

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert main(["deploy", "alice/deepzoo"]) == 2
    assert "HF_HUB_OFFLINE" in capsys.readouterr().err
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    assert main(["deploy", "alice/deepzoo"]) == 2
    assert deploy.NO_TOKEN in capsys.readouterr().err
    monkeypatch.setattr("huggingface_hub.get_token", lambda: "hf_not_a_real_token")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: no network
    assert main(["deploy", "alice/deepzoo"]) == 2
    assert "cannot reach the Hugging Face Hub" in capsys.readouterr().err
    assert main(["deploy", "not a space id", "--dry-run"]) == 2


# ----------------------------------------------------------------------------- /healthz


def test_health_is_degraded_with_the_reason_when_a_widget_fails(monkeypatch):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    import ui.gradio_demos.dates as dates_widget
    import ui.server
    from zoo.demos import all_demos

    def broken():
        raise RuntimeError("forced to fail by the test")

    monkeypatch.setattr("ui.gradio_demos.all_demos", lambda: [d for d in all_demos() if d.name == "dates"])
    monkeypatch.setattr(dates_widget, "build", broken)
    app = FastAPI()
    ui.server.add_routes(app)
    client = TestClient(app)
    r = client.get("/healthz")
    assert r.status_code == 200  # the app still serves: see ui/server.py
    h = r.json()
    assert h["status"] == "degraded"
    assert h["widgets"]["dates"] == {"state": "failed", "reason": "RuntimeError: forced to fail by the test"}
    assert h["widgets"]["explorer"]["state"] == "ok" and h["gradio"] == ["explorer"]
    assert h["problems"] == ["widget dates: RuntimeError: forced to fail by the test"]
    kinds = {s["kind"] for s in h["sources"]}
    assert kinds == {"shipped weights", "packaged weights", "introspection cache"}
    assert all(s["state"] in ("ok", "checking") for s in h["sources"])
    page = client.get("/gradio/explorer/?lang=zh").text  # the page script comes before Gradio's own
    assert page.index("Navigator.prototype") < page.index("window.gradio_config")


def test_health_names_broken_shipped_weights(monkeypatch, tmp_path):
    import zoo.weights

    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 247586\n"
    (tmp_path / "lenet5_digits.safetensors").write_bytes(pointer)  # a clone without git-lfs leaves this
    monkeypatch.setattr(zoo.weights, "WEIGHTS_DIR", tmp_path)
    states = {s["name"]: s for s in health.shipped_weights()}
    assert "Git LFS pointer" in states["lenet5/digits"]["reason"]
    assert states["gpt2/pydoc-bytes"]["state"] == "failed" and "missing" in states["gpt2/pydoc-bytes"]["reason"]


# ----------------------------------------------------------------------------- Gradio's temporary folder


def test_gradio_temp_dir_is_never_another_users(monkeypatch, tmp_path):
    from ui.server import gradio_temp_dir

    monkeypatch.delenv("GRADIO_TEMP_DIR")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ours = gradio_temp_dir()
    assert ours == tmp_path / f"deepzoo-{os.getuid()}" / "gradio" and os.environ["GRADIO_TEMP_DIR"] == str(ours)
    assert ours.stat().st_mode & 0o777 == 0o700
    if os.geteuid() == 0:  # someone else's folder under our name
        os.chown(ours.parent, 65534, 65534)
    else:  # a folder left unwritable
        ours.chmod(0o500)
    monkeypatch.delenv("GRADIO_TEMP_DIR")
    other = gradio_temp_dir()
    assert other != ours and other.parent == tmp_path and other.stat().st_uid == os.getuid()
    ours.chmod(0o700)


def test_a_leftover_gradio_folder_of_another_user_does_not_break_a_widget():
    """The reported failure: the server's user (uid 1000, as on a Space) builds the spoken-digits widget, whose
    samples Gradio copies into its cache, while a root-owned <temp>/gradio is left on the machine."""
    sandbox.require()
    scratch = Path(tempfile.mkdtemp(prefix="deepzoo-leftover-"))
    try:
        scratch.chmod(0o755)
        shared_tmp = scratch / "tmp"
        shared_tmp.mkdir(mode=0o777)
        shared_tmp.chmod(0o1777)  # like /tmp
        (shared_tmp / "gradio").mkdir(mode=0o755)  # root's, not writable by the server's user
        home = scratch / "home"
        home.mkdir()
        os.chown(home, 1000, 1000)
        probe = ("import json, os\nfrom ui.server import gradio_temp_dir\nfolder = gradio_temp_dir()\n"
                 "from ui.gradio_demos import spoken_digits\nspoken_digits.build()\n"
                 "print(json.dumps({'folder': str(folder), 'files': sum(len(f) for _, _, f in os.walk(folder))}))\n")
        env = {"PATH": f"{sandbox.PY_HOME}/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(shared_tmp),
               "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
        done = sandbox.run(sandbox.as_user(1000, ["python", "-c", probe], env, cwd=ROOT), scratch, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["folder"] == str(shared_tmp / "deepzoo-1000" / "gradio")
        assert result["files"] >= 5  # the five sample clips, copied into the server user's own folder
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ----------------------------------------------------------------------------- the widgets' look and language


def test_widget_theme_follows_the_streamlit_theme():
    import tomllib

    from ui.gradio_demos import theme

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    t = theme()
    assert t.button_primary_background_fill == config["primaryColor"] == t.primary_500
    assert t.body_background_fill == config["backgroundColor"] and t.body_text_color == config["textColor"]
    assert t.background_fill_secondary == config["secondaryBackgroundColor"]
    assert t.font.startswith("'Source Sans 3'")  # Streamlit's "sans serif", shipped with Gradio


def test_page_script_maps_the_apps_languages_to_gradios_locales():
    from ui.gradio_demos import page_script
    from ui.i18n import languages

    script = page_script()
    tags = json.loads(script.split("const tags = ", 1)[1].split(";", 1)[0])
    assert set(tags) == set(languages()) and tags["zh"] == "zh-CN" and tags["en"] == "en"
    assert script.startswith("<script>") and script.endswith("</script>") and script.count("<script") == 1


def test_try_it_embeds_the_widget_sized_to_fit_in_the_pages_language():
    """The model page hosts a Gradio demo in the frame component (no fixed height), passing its language."""
    from apptest_utils import open_page

    at = open_page("pages/model.py", model="seq2seq_attention", tab="try", lang="zh")
    assert not at.exception, at.exception
    frames = [c for c in at.get("bidi_component") if c.proto.component_name == "deepzoo.widget_frame"]
    assert len(frames) == 1
    data = json.loads(frames[0].proto.json)
    assert data["src"] == "/gradio/dates/?lang=zh&model=seq2seq_attention"
    assert data["title"] == "日期转 ISO 格式（带注意力的 seq2seq）"
    assert not at.get("iframe")  # the fixed-height st.iframe is gone
