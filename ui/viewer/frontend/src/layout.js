// Graphviz (WebAssembly) layout: DOT in, SVG out. Runs as a module Web Worker (so a big layout never
// freezes the page) or, imported as a module, on the page's thread when a worker cannot start.
import { Graphviz } from "@hpcc-js/wasm-graphviz";

let gvPromise = null;
const graphviz = () => (gvPromise = gvPromise || Graphviz.load());

export async function layout(dot) {
  const gv = await graphviz();
  const t = performance.now();
  const svg = gv.layout(dot, "svg", "dot");
  return { svg, ms: performance.now() - t };
}

const inWorker = typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope;
if (inWorker) {
  graphviz(); // compile the WebAssembly as soon as the worker starts
  self.onmessage = async (ev) => {
    const { id, dot } = ev.data;
    try {
      self.postMessage({ id, ...(await layout(dot)) });
    } catch (e) {
      self.postMessage({ id, error: String(e && e.message ? e.message : e) });
    }
  };
}
