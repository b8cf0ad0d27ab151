// DeepZoo architecture viewer: a Streamlit components-v2 module (export default function(component)).
// Everything shown comes in `component.data` (see ui/viewer/__init__.py); no text from Python is ever
// parsed as HTML or code: labels go through DOT strings (escaped) into Graphviz, whose SVG escapes them,
// and into the panel through textContent.
// Layout by Graphviz compiled to WebAssembly (./layout.js, built next to this file), in a module worker
// so that even a big layout never freezes the page; on the page's thread if a worker cannot start.
let engine = null;
function layoutEngine() {
  if (engine) return engine;
  const url = new URL("./layout.js", import.meta.url).href;
  const pending = new Map();
  let seq = 0;
  let local = null;
  const onPage = () => (local = local || import(url).then((m) => m.layout));
  let worker = null;
  try {
    worker = new Worker(url, { type: "module", name: "deepzoo-layout" });
  } catch (e) {
    worker = null;
  }
  if (worker) {
    worker.onmessage = (ev) => {
      const job = pending.get(ev.data.id);
      if (!job) return;
      pending.delete(ev.data.id);
      if (ev.data.error) job.reject(new Error(ev.data.error));
      else job.resolve(ev.data);
    };
    worker.onerror = (ev) => {
      if (ev.preventDefault) ev.preventDefault();
      console.warn("deepzoo viewer: layout worker failed, laying out on the page", ev.message || "");
      worker.terminate();
      worker = null;
      for (const job of pending.values()) onPage().then((f) => f(job.dot)).then(job.resolve, job.reject);
      pending.clear();
    };
  }
  engine = (dot) => {
    if (!worker) return onPage().then((f) => f(dot));
    return new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject, dot });
      worker.postMessage({ id, dot });
    });
  };
  return engine;
}
if (typeof document !== "undefined") layoutEngine(); // start the worker (and its WebAssembly) at once
const STATES = new WeakMap();
const SVGNS = "http://www.w3.org/2000/svg";
let instances = 0;

const COLORS = {
  conv: ["#dbeafe", "#3b82f6"], linear: ["#ede9fe", "#7c3aed"], norm: ["#fef3c7", "#d97706"],
  attention: ["#fce7f3", "#db2777"], activation: ["#dcfce7", "#16a34a"], pooling: ["#e0f2fe", "#0284c7"],
  embedding: ["#ffedd5", "#ea580c"], dropout: ["#f3f4f6", "#9ca3af"], recurrent: ["#fae8ff", "#a21caf"],
  op: ["#ffffff", "#94a3b8"], io: ["#e6f2ec", "#2e7d5b"], container: ["#eef2f0", "#4b5b52"],
  module: ["#f8fafc", "#64748b"],
};
const LEGEND = ["conv", "linear", "norm", "attention", "activation", "pooling", "embedding", "container", "op"];

// ------------------------------------------------------------------------------------------ the model
export function buildModel(data) {
  const F = data.fields;
  const ix = Object.fromEntries(F.map((f, i) => [f, i]));
  const nodes = new Map();
  const order = [];
  for (const row of data.nodes) {
    const n = {};
    for (const f of F) n[f] = row[ix[f]];
    n.children = [];
    nodes.set(n.id, n);
    order.push(n.id);
  }
  for (const id of order) {
    const n = nodes.get(id);
    if (n.parent != null && nodes.has(n.parent)) nodes.get(n.parent).children.push(id);
  }
  const isGroup = (n) => n.kind === "module" && !n.leaf;
  const roots = new Set(order.filter((id) => nodes.get(id).parent == null && isGroup(nodes.get(id))));
  const folds = new Map();
  const foldOf = new Map();
  for (const f of data.folds) {
    folds.set(f.id, f);
    for (const m of f.members) foldOf.set(m, f.id);
  }
  const edges = data.edges.map((e) => ({ src: e[0], dst: e[1], shape: e[2] }));
  return { nodes, order, isGroup, roots, folds, foldOf, edges };
}

// Mirror of ui/viewer/graph.py `visible` (the Python tests pin its behaviour on the shared fixture).
export function visible(M, expanded, unfolded) {
  const memo = new Map();
  const rep = (id) => {
    if (memo.has(id)) return memo.get(id);
    const chain = [];
    for (let a = id; a != null; a = M.nodes.get(a).parent) chain.push(a);
    chain.reverse();
    let found = id;
    for (const a of chain) {
      if (M.roots.has(a)) continue;
      const f = M.foldOf.get(a);
      if (f !== undefined && !unfolded.has(f)) { found = f; break; }
      if (M.isGroup(M.nodes.get(a)) && !expanded.has(a)) { found = a; break; }
    }
    memo.set(id, found);
    return found;
  };
  const clusterOf = (id) => {
    let p = M.nodes.has(id) ? M.nodes.get(id).parent : M.folds.get(id).parent;
    while (p != null && M.roots.has(p)) p = M.nodes.get(p).parent;
    return p;
  };
  const nodes = [];
  const seen = new Set();
  for (const id of M.order) {
    const n = M.nodes.get(id);
    if (n.leaf || n.kind !== "module") {
      const r = rep(id);
      if (!seen.has(r)) { seen.add(r); nodes.push(r); }
    }
  }
  const parent = new Map(nodes.map((r) => [r, clusterOf(r)]));
  const clusters = new Map();
  for (const r of nodes) {
    let c = parent.get(r);
    while (c != null && !clusters.has(c)) { clusters.set(c, clusterOf(c)); c = clusters.get(c); }
  }
  const emap = new Map();
  for (const e of M.edges) {
    const s = rep(e.src), d = rep(e.dst);
    if (s === d) continue;
    const k = s + "\u0000" + d;
    if (!emap.has(k)) emap.set(k, { src: s, dst: d, shapes: [] });
    const sh = emap.get(k).shapes;
    if (!sh.some((x) => JSON.stringify(x) === JSON.stringify(e.shape))) sh.push(e.shape);
  }
  return { nodes, clusters, parent, edges: [...emap.values()], rep };
}

// ------------------------------------------------------------------------------------------- helpers
const human = (x) => {
  if (!x) return "0";
  const u = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
  for (const [v, s] of u) if (Math.abs(x) >= v) return (x / v).toFixed(x / v >= 100 ? 0 : 1).replace(/\.0$/, "") + s;
  return String(x);
};
const shapeText = (s) => (Array.isArray(s) ? (s.length ? s.map(shapeText).join("×") : "scalar") : s == null ? "" : String(s));
const shapesText = (list) => (list || []).map((s) => (Array.isArray(s) && s.some(Array.isArray) ? "(" + s.map(shapeText).join(", ") + ")" : shapeText(s))).join(", ");
const dotStr = (s) => '"' + String(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/[\u0000-\u001f]/g, " ") + '"';
const fmt = (s, vars) => String(s == null ? "" : s).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
};

// ------------------------------------------------------------------------------------------ the view
class Viewer {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.L = data.labels || {};
    this.M = buildModel(data.graph);
    this.expanded = new Set(data.graph.expanded);
    this.unfolded = new Set();
    this.direction = data.direction === "LR" ? "LR" : "TB";
    this.view = null;
    this.matches = [];
    this.matchAt = -1;
    this.selected = null;
    this.uid = "dzv" + ++instances + "_"; // DOT names double as SVG ids: unique in the page
    this.build();
  }

  t(k, vars) { return fmt(this.L[k] != null ? this.L[k] : k, vars || {}); }

  build() {
    const L = (k) => this.t(k);
    const box = el("div", { class: "dzv", tabindex: "0", role: "application", "aria-label": L("title"), "data-state": "loading" });
    box.style.height = (this.data.height || 640) + "px";
    const bar = el("div", { class: "dzv-bar", role: "toolbar" });
    // a button's accessible name is its visible text (WCAG 2.5.3, label in name); symbol-only buttons (−, +) are
    // named by their title, and the title of a text button only describes it
    const btn = (name, text, title, fn) => {
      const named = text && /\p{L}/u.test(text) ? {} : { "aria-label": title };
      const b = el("button", { type: "button", "data-action": name, title, ...named }, text);
      b.addEventListener("click", (ev) => { ev.preventDefault(); fn(); });
      bar.appendChild(b);
      return b;
    };
    btn("zoom-out", "−", L("zoom_out"), () => this.zoomBy(1 / 1.25));
    btn("zoom-in", "+", L("zoom_in"), () => this.zoomBy(1.25));
    btn("fit", L("fit"), L("fit_help"), () => this.fit());
    bar.appendChild(el("span", { class: "dzv-sep" }));
    btn("expand-all", L("expand_all"), L("expand_all"), () => this.expandAll());
    btn("collapse-all", L("collapse_all"), L("collapse_all"), () => this.collapseAll());
    this.dirBtn = btn("direction", "↓ " + L("direction_tb"), L("direction"), () => { this.direction = this.direction === "TB" ? "LR" : "TB"; this.render(); });
    bar.appendChild(el("span", { class: "dzv-sep" }));
    this.search = el("input", { type: "search", class: "dzv-search", placeholder: L("search"), "aria-label": L("search") });
    this.search.addEventListener("input", () => this.runSearch());
    this.search.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); this.step(ev.shiftKey ? -1 : 1); }
      if (ev.key === "Escape") { this.search.value = ""; this.runSearch(); }
      ev.stopPropagation();
    });
    bar.appendChild(this.search);
    const rx = el("label", { class: "dzv-regex", title: L("regex_help") });
    this.regex = el("input", { type: "checkbox", "data-action": "regex" });
    this.regex.addEventListener("change", () => this.runSearch());
    rx.appendChild(this.regex);
    rx.appendChild(document.createTextNode(" " + L("regex")));
    bar.appendChild(rx);
    btn("prev", "‹", L("previous"), () => this.step(-1));
    btn("next", "›", L("next"), () => this.step(1));
    this.count = el("span", { class: "dzv-count", "aria-live": "polite" });
    bar.appendChild(this.count);
    bar.appendChild(el("span", { class: "dzv-sep" }));
    bar.appendChild(el("span", { class: "dzv-label" }, L("export")));
    btn("export-svg", "SVG", L("export_svg"), () => this.exportSvg());
    btn("export-png", "PNG", L("export_png"), () => this.exportPng());
    btn("export-json", "JSON", L("export_json"), () => this.exportJson());
    btn("export-dot", "DOT", L("export_dot"), () => this.download(this.dot, "text/vnd.graphviz", ".dot"));

    const main = el("div", { class: "dzv-main" });
    this.canvas = el("div", { class: "dzv-canvas" });
    this.mini = el("div", { class: "dzv-minimap", title: L("minimap") });
    this.panel = el("div", { class: "dzv-panel", hidden: "" });
    main.append(this.canvas, this.mini, this.panel);
    const foot = el("div", { class: "dzv-foot" });
    const legend = el("span", { class: "dzv-legend" });
    for (const k of LEGEND) {
      const chip = el("span", { class: "dzv-chip" }, this.t("kind_" + k));
      chip.style.background = COLORS[k][0];
      chip.style.borderColor = COLORS[k][1];
      legend.appendChild(chip);
    }
    this.status = el("span", { class: "dzv-status" });
    foot.append(legend, this.status);
    box.append(bar, main, foot);
    this.box = box;
    box.dzViewer = this; // for tests and the bench
    this.root.appendChild(box);
    this.bindPanZoom();
    this.bindKeys();
  }

  // ------------------------------------------------------------------------------------------ DOT
  label(id) {
    const M = this.M;
    if (M.folds.has(id)) {
      const f = M.folds.get(id);
      const first = M.nodes.get(f.members[0]), last = M.nodes.get(f.members[f.members.length - 1]);
      const params = f.members.reduce((a, m) => a + (M.nodes.get(m).params || 0), 0);
      const macs = f.members.reduce((a, m) => a + (M.nodes.get(m).macs || 0), 0);
      return [`${f.type} ×${f.count}`, `${first.path} … ${last.path}`, this.stats(params, macs), "⊞ " + this.t("unfold")];
    }
    const n = M.nodes.get(id);
    const lines = [M.isGroup(n) ? "⊞ " + n.type : n.type];
    if (n.path && n.kind !== "op") lines.push(n.path);
    const st = this.stats(n.params, n.macs);
    if (st) lines.push(st);
    return lines;
  }

  stats(params, macs) {
    const out = [];
    if (params) out.push(this.t("params_short", { n: human(params) }));
    if (macs) out.push(this.t("macs_short", { n: human(macs) }));
    return out.join(" · ");
  }

  makeDot() {
    const M = this.M;
    const v = visible(M, this.expanded, this.unfolded);
    this.vis = v;
    this.ids = new Map(); // dot name -> graph id
    this.names = new Map(); // graph id -> dot name
    let k = 0;
    const nameOf = (id, prefix) => {
      if (!this.names.has(id)) { const nm = this.uid + prefix + k++; this.names.set(id, nm); this.ids.set(nm, id); }
      return this.names.get(id);
    };
    const inside = new Map(); // cluster or null -> [drawn ids and clusters]
    const put = (c, item) => { if (!inside.has(c)) inside.set(c, []); inside.get(c).push(item); };
    for (const id of v.nodes) put(v.parent.get(id), { node: id });
    for (const [c, p] of v.clusters) put(p, { cluster: c });
    const lines = [];
    const depthFill = ["#f7faf8", "#eef4f0", "#e6efe9", "#dde9e2"];
    const emit = (c, depth, indent) => {
      for (const item of inside.get(c) || []) {
        if (item.node) {
          const id = item.node;
          const cls = M.folds.has(id) ? "container" : M.nodes.get(id).cls;
          const [fill, stroke] = COLORS[cls] || COLORS.module;
          const group = M.folds.has(id) || M.isGroup(M.nodes.get(id));
          const nm = nameOf(id, "n");
          const attrs = [`id=${dotStr(nm)}`, `label=${dotStr(this.label(id).join("\n"))}`, `fillcolor="${fill}"`, `color="${stroke}"`,
            `class="k-${cls}${group ? " dzv-group" : ""}${M.folds.has(id) ? " dzv-fold" : ""}"`];
          if (group) attrs.push('penwidth=1.6', 'style="rounded,filled,bold"');
          if (M.folds.has(id)) attrs.push('peripheries=2');
          lines.push(`${indent}${nm} [${attrs.join(", ")}];`);
        } else {
          const g = M.nodes.get(item.cluster);
          const nm = nameOf(item.cluster, "c");
          lines.push(`${indent}subgraph cluster_${nm} {`);
          lines.push(`${indent}  id=${dotStr(nm)}; class="dzv-cluster"; label=${dotStr("⊟ " + g.type + (g.path ? " · " + g.path : ""))};`);
          lines.push(`${indent}  style="rounded,filled"; fillcolor="${depthFill[depth % depthFill.length]}"; color="#b9cabf"; fontcolor="#33453b";`);
          emit(item.cluster, depth + 1, indent + "  ");
          lines.push(`${indent}}`);
        }
      }
    };
    lines.push(`digraph G {`);
    lines.push(`  graph [rankdir=${this.direction}, fontname="Helvetica,Arial,sans-serif", fontsize=10, nodesep=0.22, ranksep=0.32, bgcolor="transparent", labeljust=l, margin=0.1];`);
    lines.push(`  node [shape=box, style="rounded,filled", fontname="Helvetica,Arial,sans-serif", fontsize=9, height=0.28, margin="0.10,0.03", penwidth=1, fontcolor="#1f2a24"];`);
    lines.push(`  edge [fontname="Helvetica,Arial,sans-serif", fontsize=7, color="#8a9a90", arrowsize=0.55, fontcolor="#5b6b62", penwidth=0.9];`);
    emit(null, 0, "  ");
    for (const e of v.edges) {
      const lab = shapesText(e.shapes);
      lines.push(`  ${nameOf(e.src, "n")} -> ${nameOf(e.dst, "n")}${lab ? ` [label=${dotStr(" " + lab)}]` : ""};`);
    }
    lines.push(`}`);
    return lines.join("\n");
  }

  // ------------------------------------------------------------------------------------------ drawing
  async render(opts = {}) {
    const t0 = performance.now();
    this.box.setAttribute("data-state", "loading");
    this.dirBtn.textContent = this.direction === "TB" ? "↓ " + this.t("direction_tb") : "→ " + this.t("direction_lr");
    const dot = this.makeDot();
    this.dot = dot;
    const token = (this.renderSeq = (this.renderSeq || 0) + 1);
    const out = await layoutEngine()(dot);
    if (token !== this.renderSeq) return; // a newer state was asked for meanwhile
    const svgText = out.svg;
    this.box.setAttribute("data-layout-ms", String(Math.round(out.ms)));
    this.box.setAttribute("data-wait-ms", String(Math.round(performance.now() - t0 - out.ms)));
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    svg.querySelectorAll("title").forEach((x) => x.remove()); // no native tooltips with DOT names
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("class", "dzv-svg");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const vb = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    this.full = { x: vb[0], y: vb[1], w: vb[2], h: vb[3] };
    const g0 = svg.querySelector("g.graph");
    const m = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec(g0 ? g0.getAttribute("transform") || "" : "");
    this.offset = m ? { x: +m[1], y: +m[2] } : { x: 0, y: 0 };
    this.canvas.replaceChildren(svg);
    this.svg = svg;
    this.decorate();
    const keep = opts.keepView && this.view;
    if (keep && opts.anchor && this.names.has(opts.anchor)) this.centreOn(opts.anchor, false);
    else if (!keep) this.initialView();
    else this.applyView();
    this.drawMinimap();
    this.runSearch(false);
    if (this.selected) this.markSelected();
    const ms = performance.now() - t0;
    this.lastRenderMs = ms;
    this.status.textContent = this.t("status", { nodes: this.vis.nodes.length, edges: this.vis.edges.length, ms: Math.round(ms) });
    this.box.setAttribute("data-nodes", String(this.vis.nodes.length));
    this.box.setAttribute("data-render-ms", String(Math.round(ms)));
    this.box.setAttribute("data-state", "drawn");
  }

  decorate() {
    for (const g of this.svg.querySelectorAll("g.node")) {
      const id = this.ids.get(g.id);
      if (id === undefined) continue;
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("data-id", id);
      const n = this.M.nodes.get(id);
      // named by everything it shows (type, path, counts), as a screen reader should read it
      const shown = [...g.querySelectorAll("text")].map((t) => t.textContent.trim()).filter(Boolean).join(" ");
      g.setAttribute("aria-label", shown || (this.M.folds.has(id) ? this.label(id)[0] : n.type + (n.path ? " " + n.path : "")));
    }
    for (const g of this.svg.querySelectorAll("g.cluster")) {
      const id = this.ids.get(g.id);
      if (id === undefined) continue;
      g.setAttribute("data-id", id);
      const text = g.querySelector("text");
      if (text) {
        text.setAttribute("class", "dzv-cluster-label");
        text.setAttribute("tabindex", "0");
        text.setAttribute("role", "button");
        text.setAttribute("aria-label", text.textContent.trim() + " — " + this.t("collapse"));
      }
    }
  }

  // ------------------------------------------------------------------------------------------ actions
  activate(id, fromCluster) {
    const M = this.M;
    this.select(id);
    const redraw = (anchor) => this.render({ keepView: true, anchor }).then(() => this.showPanel(this.selected));
    if (fromCluster) { this.expanded.delete(id); redraw(id); return; }
    if (M.folds.has(id)) { this.unfolded.add(id); redraw(M.folds.get(id).members[0]); return; }
    if (M.isGroup(M.nodes.get(id))) { this.expanded.add(id); redraw(id); }
  }

  toggle(id, open) {
    if (this.M.folds.has(id)) { if (open) this.unfolded.add(id); else this.unfolded.delete(id); }
    else if (open) this.expanded.add(id); else this.expanded.delete(id);
    return this.render({ keepView: true, anchor: id });
  }

  expandAll() {
    for (const id of this.M.order) if (this.M.isGroup(this.M.nodes.get(id))) this.expanded.add(id);
    for (const f of this.M.folds.keys()) this.unfolded.add(f);
    return this.render();
  }

  collapseAll() {
    this.expanded = new Set();
    this.unfolded = new Set();
    return this.render();
  }

  select(id) {
    this.selected = id;
    this.markSelected();
    this.showPanel(id);
  }

  markSelected() {
    if (!this.svg) return;
    this.svg.querySelectorAll(".dzv-sel").forEach((x) => x.classList.remove("dzv-sel"));
    const shown = this.shownAs(this.selected);
    const nm = shown != null ? this.names.get(shown) : null;
    const g = nm ? this.svg.getElementById(nm) : null;
    if (g) g.classList.add("dzv-sel");
  }

  // the drawn element that stands for a graph id (itself, its open cluster, a collapsed ancestor or a fold)
  shownAs(id) {
    if (id == null || !this.vis) return null;
    if (this.vis.clusters.has(id) || this.vis.parent.has(id)) return id;
    if (this.M.folds.has(id)) return null;
    return this.vis.rep(id);
  }

  showPanel(id) {
    const M = this.M, p = this.panel;
    p.replaceChildren();
    if (id == null) { p.setAttribute("hidden", ""); return; }
    p.removeAttribute("hidden");
    const close = el("button", { type: "button", class: "dzv-close", "data-action": "close-panel", "aria-label": this.t("close") }, "×");
    close.addEventListener("click", () => { this.selected = null; this.markSelected(); this.showPanel(null); });
    p.appendChild(close);
    const dl = el("dl");
    const row = (k, v) => { if (v === "" || v == null) return; dl.append(el("dt", {}, this.t(k)), el("dd", {}, String(v))); };
    let n;
    if (M.folds.has(id)) {
      const f = M.folds.get(id);
      n = M.nodes.get(f.members[0]);
      p.appendChild(el("h4", {}, `${f.type} ×${f.count}`));
      row("repeats", this.t("repeats_text", { n: f.count, first: n.path, last: M.nodes.get(f.members[f.count - 1]).path }));
    } else {
      n = M.nodes.get(id);
      p.appendChild(el("h4", {}, n.type));
    }
    row("type", n.type);
    row("kind", this.t("kind_" + n.cls));
    row("path", n.path || (n.kind === "op" ? this.t("op_in", { path: M.nodes.get(n.parent)?.path || "—" }) : "—"));
    row("params", n.params ? n.params.toLocaleString() : "0");
    row("macs", n.macs ? n.macs.toLocaleString() : "0");
    row("inputs", shapesText(n.inputs) || "—");
    row("outputs", shapesText(n.outputs) || "—");
    row("defined", n.where);
    row("called", n.called);
    p.appendChild(dl);
    if (n.line && this.data.code_href) {
      const a = el("a", { class: "dzv-code-link", href: this.data.code_href + "&line=" + encodeURIComponent(n.line), target: "_self" },
        this.t("open_code", { line: n.line }));
      p.appendChild(a);
    }
    const group = M.folds.has(id) || M.isGroup(n);
    if (group) {
      const open = M.folds.has(id) ? this.unfolded.has(id) : this.expanded.has(id);
      const b = el("button", { type: "button", "data-action": "toggle-node" }, this.t(open ? "collapse" : "expand"));
      b.addEventListener("click", () => this.toggle(id, !open).then(() => this.showPanel(this.selected)));
      p.appendChild(b);
    }
  }

  // ------------------------------------------------------------------------------------------ search
  runSearch(move = true) {
    const q = this.search.value.trim();
    this.svg && this.svg.querySelectorAll(".dzv-match, .dzv-current").forEach((x) => x.classList.remove("dzv-match", "dzv-current"));
    this.search.classList.remove("dzv-bad");
    if (!q) { this.matches = []; this.matchAt = -1; this.count.textContent = ""; return; }
    let test;
    if (this.regex.checked) {
      try { const r = new RegExp(q, "i"); test = (s) => r.test(s); } catch (e) { this.search.classList.add("dzv-bad"); this.count.textContent = this.t("bad_regex"); return; }
    } else {
      const ql = q.toLowerCase();
      test = (s) => s.toLowerCase().includes(ql);
    }
    const shown = [];
    const seen = new Set();
    for (const id of this.M.order) {
      const n = this.M.nodes.get(id);
      if (n.kind === "input" || n.kind === "output" || this.M.roots.has(id)) continue;
      if (!(test(n.path || "") || test(n.type || ""))) continue;
      const s = this.shownAs(id);
      if (s != null && !seen.has(s)) { seen.add(s); shown.push(s); }
    }
    const prev = this.matches[this.matchAt];
    this.matches = shown;
    for (const s of shown) { const g = this.svg.getElementById(this.names.get(s)); if (g) g.classList.add("dzv-match"); }
    this.matchAt = shown.length ? Math.max(0, shown.indexOf(prev)) : -1;
    this.showMatch(move);
  }

  step(d) {
    if (!this.matches.length) return;
    this.matchAt = (this.matchAt + d + this.matches.length) % this.matches.length;
    this.showMatch(true);
  }

  showMatch(move) {
    if (!this.matches.length) { this.count.textContent = this.t("no_match"); return; }
    this.svg.querySelectorAll(".dzv-current").forEach((x) => x.classList.remove("dzv-current"));
    const id = this.matches[this.matchAt];
    const g = this.svg.getElementById(this.names.get(id));
    if (g) g.classList.add("dzv-current");
    this.box.setAttribute("data-current", id);
    this.count.textContent = this.t("match_count", { i: this.matchAt + 1, n: this.matches.length });
    if (move) this.centreOn(id, true);
  }

  // ------------------------------------------------------------------------------------------ pan / zoom
  bboxOf(id) {
    const g = this.svg && this.svg.getElementById(this.names.get(id));
    if (!g) return null;
    const shape = g.querySelector("path, polygon") || g;
    const b = shape.getBBox();
    return { x: b.x + this.offset.x, y: b.y + this.offset.y, w: b.width, h: b.height };
  }

  centreOn(id, keepScale) {
    const b = this.bboxOf(id);
    if (!b) return;
    const { cw, ch } = this.size();
    let scale = this.view ? this.view.scale : 1;
    if (!keepScale || b.w * scale > cw * 0.9 || b.h * scale > ch * 0.9) scale = Math.min(scale, (cw * 0.9) / b.w, (ch * 0.9) / b.h);
    if (keepScale && scale < 0.5 && b.w * 0.9 < cw && b.h * 0.9 < ch) scale = Math.min(0.9, (cw * 0.9) / b.w, (ch * 0.9) / b.h);
    this.view = { cx: b.x + b.w / 2, cy: b.y + b.h / 2, scale };
    this.applyView();
  }

  size() {
    const r = this.canvas.getBoundingClientRect();
    return { cw: Math.max(r.width, 50), ch: Math.max(r.height, 50) };
  }

  // the first view: the whole graph if it reads at a useful scale, else readable and from the input on
  initialView() {
    if (!this.full) return;
    const { cw, ch } = this.size();
    const f = this.full;
    const whole = Math.min(cw / f.w, ch / f.h) * 0.96;
    if (whole >= 0.75) { this.fit(); return; }
    const scale = Math.min(0.9, Math.max(whole, this.direction === "TB" ? (cw * 0.96) / f.w : (ch * 0.96) / f.h));
    if (this.direction === "TB") this.view = { cx: f.x + f.w / 2, cy: f.y + ch / 2 / scale, scale };
    else this.view = { cx: f.x + cw / 2 / scale, cy: f.y + f.h / 2, scale };
    this.applyView();
  }

  fit() {
    if (!this.full) return;
    const { cw, ch } = this.size();
    const f = this.full;
    let scale = Math.min(cw / f.w, ch / f.h) * 0.96;
    scale = Math.min(scale, 1.4);
    this.view = { cx: f.x + f.w / 2, cy: f.y + f.h / 2, scale };
    this.applyView();
  }

  zoomBy(k, px, py) {
    if (!this.view) return;
    const { cw, ch } = this.size();
    const v = this.view;
    const ns = Math.max(0.02, Math.min(8, v.scale * k));
    if (px != null) {
      const gx = v.cx + (px - cw / 2) / v.scale, gy = v.cy + (py - ch / 2) / v.scale;
      v.cx = gx - (px - cw / 2) / ns;
      v.cy = gy - (py - ch / 2) / ns;
    }
    v.scale = ns;
    this.applyView();
  }

  panBy(dx, dy) {
    if (!this.view) return;
    this.view.cx -= dx / this.view.scale;
    this.view.cy -= dy / this.view.scale;
    this.applyView();
  }

  applyView() {
    if (!this.svg || !this.view) return;
    const { cw, ch } = this.size();
    const v = this.view;
    const w = cw / v.scale, h = ch / v.scale;
    this.svg.setAttribute("viewBox", `${v.cx - w / 2} ${v.cy - h / 2} ${w} ${h}`);
    this.box.setAttribute("data-scale", v.scale.toFixed(3));
    this.updateMinimap();
  }

  bindPanZoom() {
    const c = this.canvas;
    c.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY * (ev.ctrlKey ? 0.01 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    let drag = null;
    const pointers = new Map();
    c.addEventListener("pointerdown", (ev) => {
      pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      drag = { x: ev.clientX, y: ev.clientY, moved: 0, target: ev.target };
      if (pointers.size === 2) drag.pinch = this.pinchDist(pointers);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!drag || !pointers.has(ev.pointerId)) return;
      pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      if (pointers.size === 2 && drag.pinch) {
        const d = this.pinchDist(pointers);
        this.zoomBy(d / drag.pinch);
        drag.pinch = d;
        drag.moved += 10;
        return;
      }
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      if (drag.moved > 4) { c.classList.add("dzv-dragging"); if (!c.hasPointerCapture(ev.pointerId)) c.setPointerCapture(ev.pointerId); }
      if (drag.moved > 4) this.panBy(dx, dy);
      drag.x = ev.clientX;
      drag.y = ev.clientY;
    });
    const end = (ev) => {
      pointers.delete(ev.pointerId);
      if (!drag) return;
      const d = drag;
      drag = pointers.size ? drag : null;
      c.classList.remove("dzv-dragging");
      if (ev.type === "pointerup" && d.moved <= 4 && !pointers.size) this.click(d.target);
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" && ev.key !== " ") return;
      ev.preventDefault();
      ev.stopPropagation();
      this.click(ev.target);
    });
  }

  pinchDist(pointers) {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y) || 1;
  }

  click(target) {
    if (!target || !target.closest) return;
    const label = target.closest("text.dzv-cluster-label");
    if (label) {
      const cl = label.closest("g.cluster");
      if (cl && cl.getAttribute("data-id")) this.activate(cl.getAttribute("data-id"), true);
      return;
    }
    const g = target.closest("g.node");
    if (g && g.getAttribute("data-id")) { this.activate(g.getAttribute("data-id"), false); return; }
    const cl = target.closest("g.cluster");
    if (cl && cl.getAttribute("data-id")) this.select(cl.getAttribute("data-id"));
  }

  bindKeys() {
    this.box.addEventListener("keydown", (ev) => {
      if (ev.target === this.search) return;
      const k = ev.key;
      if (k === "+" || k === "=") this.zoomBy(1.25);
      else if (k === "-" || k === "_") this.zoomBy(1 / 1.25);
      else if (k === "0") this.fit();
      else if (k === "ArrowLeft") this.panBy(60, 0);
      else if (k === "ArrowRight") this.panBy(-60, 0);
      else if (k === "ArrowUp") this.panBy(0, 60);
      else if (k === "ArrowDown") this.panBy(0, -60);
      else if (k === "/" ) this.search.focus();
      else if (k === "Escape") { this.selected = null; this.markSelected(); this.showPanel(null); }
      else return;
      ev.preventDefault();
    });
  }

  // ------------------------------------------------------------------------------------------ minimap
  drawMinimap() {
    const f = this.full;
    const small = f.w * f.h < 400 * 300;
    this.mini.toggleAttribute("hidden", small);
    if (small) return;
    const s = document.createElementNS(SVGNS, "svg");
    s.setAttribute("viewBox", `${f.x} ${f.y} ${f.w} ${f.h}`);
    s.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const g = this.svg.querySelector("g.graph").cloneNode(true);
    g.querySelectorAll("text").forEach((x) => x.remove());
    for (const x of [g, ...g.querySelectorAll("*")]) {
      for (const a of ["id", "class", "data-id", "tabindex", "role", "aria-label"]) x.removeAttribute(a);
    }
    g.setAttribute("aria-hidden", "true");
    s.appendChild(g);
    this.miniRect = document.createElementNS(SVGNS, "rect");
    this.miniRect.setAttribute("class", "dzv-mini-view");
    s.appendChild(this.miniRect);
    s.addEventListener("pointerdown", (ev) => {
      const pt = s.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      const p = pt.matrixTransform(s.getScreenCTM().inverse());
      this.view.cx = p.x; this.view.cy = p.y;
      this.applyView();
    });
    this.mini.replaceChildren(s);
    this.updateMinimap();
  }

  updateMinimap() {
    if (!this.miniRect || !this.view || !this.svg) return;
    const vb = this.svg.getAttribute("viewBox").split(" ").map(Number);
    this.miniRect.setAttribute("x", vb[0]); this.miniRect.setAttribute("y", vb[1]);
    this.miniRect.setAttribute("width", vb[2]); this.miniRect.setAttribute("height", vb[3]);
  }

  // ------------------------------------------------------------------------------------------ export
  svgText() {
    const s = this.svg.cloneNode(true);
    const f = this.full;
    s.setAttribute("viewBox", `${f.x} ${f.y} ${f.w} ${f.h}`);
    s.setAttribute("width", String(Math.ceil(f.w)));
    s.setAttribute("height", String(Math.ceil(f.h)));
    s.setAttribute("xmlns", SVGNS);
    s.removeAttribute("class");
    s.querySelectorAll("[tabindex]").forEach((x) => x.removeAttribute("tabindex"));
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(s);
  }

  download(text, mime, ext) {
    const blob = text instanceof Blob ? text : new Blob([text], { type: mime });
    const a = el("a", { href: URL.createObjectURL(blob), download: (this.data.name || "graph") + ext });
    this.box.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  exportSvg() { this.download(this.svgText(), "image/svg+xml", ".svg"); }

  exportJson() {
    const nodes = [...this.M.nodes.values()].map(({ children, ...n }) => n);
    const view = { direction: this.direction, expanded: [...this.expanded], unfolded: [...this.unfolded], visible: this.vis.nodes };
    this.download(JSON.stringify({ schema: 1, model: this.data.name, nodes, edges: this.M.edges, folds: [...this.M.folds.values()], view }, null, 1),
      "application/json", ".json");
  }

  exportPng() {
    const f = this.full;
    const k = Math.max(0.25, Math.min(2, 12000 / Math.max(f.w, f.h)));
    const img = new Image();
    const url = URL.createObjectURL(new Blob([this.svgText()], { type: "image/svg+xml" }));
    img.onload = () => {
      const cv = document.createElement("canvas");
      cv.width = Math.ceil(f.w * k); cv.height = Math.ceil(f.h * k);
      const ctx = cv.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, cv.width, cv.height);
      ctx.drawImage(img, 0, 0, cv.width, cv.height);
      URL.revokeObjectURL(url);
      cv.toBlob((b) => b && this.download(b, "image/png", ".png"), "image/png");
    };
    img.src = url;
  }
}

// ------------------------------------------------------------------------------------------ entry
export default function (component) {
  const { data, parentElement } = component;
  if (!data || !data.graph) return;
  let st = STATES.get(parentElement);
  if (st && st.sig === data.sig) return;
  if (st) st.viewer.box.remove();
  const viewer = new Viewer(parentElement, data);
  STATES.set(parentElement, { sig: data.sig, viewer });
  viewer.render().catch((e) => {
    viewer.box.setAttribute("data-state", "error");
    viewer.status.textContent = viewer.t("error");
    console.error(e);
  });
}
