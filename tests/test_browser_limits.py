"""Limits on the real one-port server: an oversized upload is refused while it streams in (server memory
and Gradio's cache on disk do not grow), bad API input gets a clear translated message, and a link in
`?model=` stays text in a real browser."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ui.devserver import peak_rss_mb
from zoo.demos import all_demos
from zoo.demos.inputs import MAX_AUDIO_BYTES, upload_limit

pytestmark = pytest.mark.browser
MB = 2**20


def _server_pid(base_url: str) -> int:
    """The pid of the server the session started (`streamlit run app.py --server.port <port>`)."""
    port = base_url.rsplit(":", 1)[-1]
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    raise LookupError(f"no server process listens on port {port}")


def _reset_peak_rss(pid: int) -> bool:
    """Start a fresh peak-memory (VmHWM) measurement; False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _cache_bytes() -> int:
    root = Path(os.environ["GRADIO_TEMP_DIR"])  # set for the session by conftest.py
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def _upload(url: str, name: str, data: bytes) -> tuple[int, str]:
    """POST one file as multipart/form-data, streamed in 1 MB chunks, as a browser does. A server may
    answer (413) and close before it has read everything: then the rest is not sent."""
    boundary = "deepzoo-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    conn.putrequest("POST", parts.path)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + len(data) + len(tail)))
    conn.endheaders()
    try:
        conn.send(head)
        for i in range(0, len(data), MB):
            conn.send(data[i : i + MB])
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused while streaming: the answer is already on its way
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    return response.status, body


def test_a_60_mb_upload_is_refused_while_it_streams(base_url):
    url = f"{base_url}/gradio/spoken_digits/gradio_api/upload"
    pid = _server_pid(base_url)
    status, _ = _upload(url, "warmup.wav", b"RIFF" + bytes(1000))  # the route works for a small file…
    assert status == 200
    disk_before, rss_before = _cache_bytes(), peak_rss_mb(pid)
    measured_peak = _reset_peak_rss(pid)
    if measured_peak:
        rss_before = peak_rss_mb(pid)

    status, body = _upload(url, "huge.wav", bytes(60 * MB))  # …and refuses 60 MB, three times its limit
    assert status == 413, body
    grown_mb = peak_rss_mb(pid) - rss_before
    grown_disk = _cache_bytes() - disk_before
    print(f"60 MB upload refused: server peak RSS +{grown_mb:.1f} MB, Gradio cache +{grown_disk / MB:.2f} MB")
    assert grown_disk < 1 * MB  # nothing of it is kept (before the limit, all 60 MB stayed in the cache)
    assert grown_mb < 20  # not read into memory (60 MB would show)
    status, _ = _upload(url, "just-under.wav", bytes(MAX_AUDIO_BYTES - 4096))  # the limit itself still passes
    assert status == 200


def test_every_widget_states_its_upload_limit(base_url):
    with urllib.request.urlopen(f"{base_url}/healthz") as r:
        mounted = json.load(r)["gradio"]
    kinds = {d.name: d.input_kind for d in all_demos()}
    assert "spoken_digits" in mounted
    for name in mounted:
        with urllib.request.urlopen(f"{base_url}/gradio/{name}/config") as r:
            config = json.load(r)
        assert config["max_file_size"] == upload_limit(kinds.get(name, "")), name  # the browser checks it too


def _api_error(base_url: str, data: list, language: str) -> str:
    """Call the text-generation widget's API; the message of the error event it answers with."""
    url = f"{base_url}/gradio/text_generation/gradio_api/call/generate"
    headers = {"Content-Type": "application/json", "Accept-Language": language}
    request = urllib.request.Request(url, data=json.dumps({"data": data}).encode(), headers=headers)
    with urllib.request.urlopen(request) as r:
        event = json.load(r)["event_id"]
    with urllib.request.urlopen(f"{url}/{event}") as r:
        stream = r.read().decode()
    assert "event: error" in stream, stream[-500:]
    return json.loads(stream.split("event: error\ndata: ", 1)[1].split("\n", 1)[0])["error"]


@pytest.mark.parametrize(
    "data, language, expected, raw",
    [
        (["Hello \ud800 world", "gpt2", 0.8, 40, 20, 0], "en-US", "invalid character (U+D800", "codec"),
        (["Hello", "gpt2", 0.8, 40, 20, 99999999999999999999], "en-US", "Seed out of range", "Overflow"),
        (["Hello", "gpt2", 0.8, 40, 20, 99999999999999999999], "zh-CN,zh;q=0.9", "随机种子超出范围", "Overflow"),
    ],
    ids=["surrogate", "huge seed", "huge seed, zh"],
)
def test_bad_api_input_gets_a_clear_message(base_url, data, language, expected, raw):
    message = _api_error(base_url, data, language)
    assert expected in message and raw not in message


def test_a_link_in_the_model_parameter_stays_text(page, base_url):
    link = "[Session expired - click here](https://evil.example/login)"
    outside = []  # requests the page makes to evil.example (an injected image would make one)
    page.on("request", lambda r: urllib.parse.urlsplit(r.url).hostname == "evil.example" and outside.append(r.url))
    page.goto(f"{base_url}/model?model={urllib.parse.quote(link)}")
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert link in alert.inner_text()  # the person sees what the link said, as text
    hosts = page.eval_on_selector_all("a[href], img[src]", "els => els.map(e => new URL(e.href || e.src).hostname)")
    assert "evil.example" not in hosts and not outside
