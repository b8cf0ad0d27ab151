"""The Deploy tab: what int8 quantisation, pruning and ONNX export do to a model's shipped weights.

The figures come from `zoo.compress`: the committed `assets/compress/results.json` (shown at once), or a
measurement made on this server ("measure here"), which runs `python -m zoo compress` as a child process in
one of the server's heavy-job places, so nothing in this process changes its thread count or is traced.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from zoo import compress, weights

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import md

MEASURE_TIMEOUT = 900  # seconds; the slowest model here (DDPM) needs about 2 minutes on a quiet core
ROOT = Path(__file__).resolve().parents[2]


def applies(key: str) -> bool:
    return compress.has_shipped_weights(key)


def render(key: str, t: Translator) -> None:
    st.subheader(t("deploy.title"))
    st.caption(t("deploy.intro"))
    shipped = [w for w in weights.available(key) if w.source == "shipped"]
    w = shipped[0]
    if len(shipped) > 1:
        names = [x.name for x in shipped]
        w = shipped[names.index(st.selectbox(t("deploy.weights"), names, key=f"deploy_weights_{key}"))]

    here = compress.cached(key, w.name)
    result = here or compress.committed_result(key, w.name)
    if result is None:
        st.info(t("deploy.no_results"))
    else:
        _source_note(t, result, measured_here=here is not None)
        st.table(_frame(t, result), hide_index=True)
        if compress.EVALUATIONS[w.file].proxy:
            st.caption(t("deploy.proxy_note"))
        _notes(t, result)
    _measure_here(key, w.name, t)
    _downloads(key, w.name, t)
    with st.expander(t("deploy.when_title"), expanded=False):
        st.markdown(t("deploy.when_body"))


def _source_note(t: Translator, result: dict, measured_here: bool) -> None:
    if measured_here:
        m = result["machine"]
        st.caption(t("deploy.source_here", when=result["measured"], cpu=m["cpu"], threads=result["threads"],
                     load=_load_text(m.get("load_average")), torch=m["torch"]))
    else:
        doc = compress.committed()
        m = doc["machine"]
        load = m.get("load_average") or {}
        st.caption(t("deploy.source_committed", when=doc["measured"], cpu=m["cpu"], cores=m["cores"],
                     threads=result["threads"], torch=m["torch"], ort=m.get("onnxruntime") or "—",
                     load=_load_text(load.get("before")), load_after=_load_text(load.get("after"))))
    better = t("deploy.higher_better") if result["higher_is_better"] else t("deploy.lower_better")
    st.caption(t("deploy.metric_note", metric=result["metric"], better=better, manifest=result["manifest_metric"],
                 request=t(f"deploy.request.{result['file'].removesuffix('.safetensors')}"), repeats=result["repeats"]))


def _load_text(load) -> str:
    """The 1-minute load average (of the 1, 5 and 15-minute figures stored)."""
    return f"{load[0]:.2f}" if load else "—"


def _frame(t: Translator, result: dict) -> pd.DataFrame:
    rows = []
    for row in result["variants"]:
        d = compress.delta(result, row)
        rows.append({
            t("deploy.col_variant"): t(f"deploy.variant_{row['variant'].split('_')[0]}", percent=_percent(row)),
            t("deploy.col_size"): _kb(row.get("bytes")),
            t("deploy.col_size_ratio"): _ratio(d["size"]),
            t("deploy.col_sparse"): _kb(row.get("sparse_bytes")),
            t("deploy.col_sparse_ratio"): _ratio(d["sparse_size"]),
            t("deploy.col_latency"): _ms(row.get("latency_ms")),
            t("deploy.col_latency_ratio"): _ratio(d["latency"]),
            t("deploy.col_metric", metric=result["metric"]): _number(row.get("metric")),
            t("deploy.col_delta"): _signed(d["metric"]) if row["variant"] != "original" else "",
            t("deploy.col_note"): _note(t, row),
        })
    return pd.DataFrame(rows)


def _percent(row: dict) -> str:
    return row["variant"].split("_")[1] if row["variant"].startswith("pruned_") else ""


def _kb(n) -> str:
    return f"{n / 1024:,.1f} KB" if n is not None else "—"


def _ratio(x) -> str:
    return f"×{x:.2f}" if x is not None else "—"


def _ms(latency) -> str:
    """Median, then the middle half of the timed calls (first to third quartile)."""
    return f"{latency['median']:.3g} ({latency['q1']:.3g}–{latency['q3']:.3g})" if latency else "—"


def _number(x) -> str:
    return f"{x:.4g}" if x is not None else "—"


def _signed(x) -> str:
    return f"{x:+.3g}" if x is not None else "—"


def _note(t: Translator, row: dict) -> str:
    if "skipped" in row:
        return t("deploy.nothing_to_quantise")
    if "quantised_layers" in row:
        return t("deploy.quantised", layers=", ".join(f"{n} × {k}" for k, n in row["quantised_layers"].items()))
    if "sparsity" in row:
        return t("deploy.sparsity", sparsity=f"{100 * row['sparsity']:.1f}")
    if row["variant"] == "onnx":
        if "matches" in row:
            verdict = "deploy.onnx_matches" if row["matches"] else "deploy.onnx_differs"
            return t(verdict, diff=f"{row['max_abs_diff']:.1e}")
        return t("deploy.onnx_failed")
    return ""


def _notes(t: Translator, result: dict) -> None:
    """Reasons an export failed, as plain text (they come from the exporter, not from our locale files)."""
    for row in result["variants"]:
        if row["variant"] == "onnx" and "error" in row:
            st.caption(t("deploy.onnx_error", reason=md(row["error"], limit=300)))


def _measure_here(key: str, name: str, t: Translator) -> None:
    if not st.button(t("deploy.measure"), key=f"deploy_measure_{key}_{name}", help=t("deploy.measure_help")):
        return
    cmd = [sys.executable, "-m", "zoo", "compress", key, "--weights", name, "--cache", "--json", "--threads", "1"]
    with heavy_job(t), st.spinner(t("deploy.measuring")):
        try:
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=MEASURE_TIMEOUT)
        except subprocess.TimeoutExpired:
            st.error(t("deploy.measure_timeout", seconds=MEASURE_TIMEOUT))
            return
    if done.returncode != 0:
        import logging

        logging.getLogger("deepzoo").error("zoo compress %s failed:\n%s", key, done.stderr[-4000:])
        st.error(t("deploy.measure_failed"))
        return
    st.rerun()


def _downloads(key: str, name: str, t: Translator) -> None:
    paths = compress.cached_paths(key, name)
    offered = ((paths["onnx"], "deploy.download_onnx"), (paths["int8"], "deploy.download_int8"))
    files = [(p, label) for p, label in offered if p.is_file()]
    if not files:
        st.caption(t("deploy.downloads_after_measure"))
        return
    cols = st.columns(len(files))
    for col, (path, label) in zip(cols, files):
        suffix = ".onnx" if path.suffix == ".onnx" else ".int8.safetensors"
        col.download_button(t(label), path.read_bytes(), file_name=f"{key}-{name}{suffix}",
                            mime="application/octet-stream", key=f"deploy_dl_{key}_{suffix}")
    if paths["int8"].is_file():
        st.caption(t("deploy.int8_howto", key=key))
