// The backprop explorer's page script (inlined into the page by minigrad/viz/explorer.py).
// It reads the recorded pass from the JSON block #mg-data and replays it: no network, no state
// beyond the number of steps done.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("mg-data").textContent);
  const nodes = {};
  data.nodes.forEach(function (n) { nodes[n.id] = n; });
  let done = 0;                       // steps replayed so far (0 .. data.steps.length)
  let pinned = null;                  // the node whose value is shown (clicked), or null

  // -- formatting ---------------------------------------------------------------------------
  function num(v) {
    const x = Number(v);
    if (!isFinite(x)) return String(x);
    if (x === 0) return "0";
    return String(Number(x.toPrecision(6)));
  }
  function shape(s) { return "[" + s.shape.join(", ") + "]"; }
  const SHOWN = 24;                   // values written out in full up to this size
  function nested(values, dims) {
    if (dims.length === 0) return num(values[0]);
    const inner = dims.slice(1).reduce(function (a, b) { return a * b; }, 1);
    const parts = [];
    for (let i = 0; i < dims[0]; i++) parts.push(nested(values.slice(i * inner, (i + 1) * inner), dims.slice(1)));
    return "[" + parts.join(", ") + "]";
  }
  function valuesText(s) {
    if (s.size <= SHOWN && s.values.length === s.size) return nested(s.values, s.shape);
    return "[" + s.values.slice(0, 6).map(num).join(", ") + ", \u2026] (first 6 of " + s.size + ")";
  }
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  // An array summary as an element: its values, with the full values (up to the page's limit) in data-values.
  function arrayView(s, id) {
    if (!s) return el("span", {"class": "none", text: "None"});
    const attrs = {"class": "array", "data-values": JSON.stringify(s.values.map(Number)),
                   "data-shape": JSON.stringify(s.shape), title: shape(s) + " " + s.dtype};
    if (s.norm !== undefined) attrs["data-norm"] = String(Number(s.norm));
    if (id) attrs.id = id;
    return el("span", attrs, [el("code", {text: valuesText(s)})]);
  }
  function stats(s) {
    if (!s || s.min === undefined) return "";
    return "min " + num(s.min) + ", mean " + num(s.mean) + ", max " + num(s.max) + ", norm " + num(s.norm);
  }

  // -- the forward-value panel ------------------------------------------------------------------
  function showValue(id) {
    const n = nodes[id];
    const panel = document.getElementById("value-panel");
    panel.textContent = "";
    panel.setAttribute("data-node", id);
    panel.appendChild(el("h3", {text: n.kind === "op" ? n.label + " (an op: its output tensor)" : n.name + " (" + n.kind + ")"}));
    if (n.rule) panel.appendChild(el("p", {"class": "rule"}, ["derivative: ", el("code", {text: n.rule})]));
    if (!n.value) {
      panel.appendChild(el("p", {"class": "hint", text: "Value not recorded: build the graph inside " +
        "`with minigrad.viz.recording():`, or pass a function to explore()."}));
      return;
    }
    n.value.forEach(function (s, i) {
      if (!s) return;
      const box = el("div", {"class": "value"});
      if (n.value.length > 1) box.appendChild(el("h4", {text: "output " + i}));
      box.appendChild(el("p", {text: shape(s) + " " + s.dtype + (s.min !== undefined ? "; " + stats(s) : "")}));
      box.appendChild(arrayView(s, i === 0 ? "value-array" : null));
      panel.appendChild(box);
    });
  }

  // -- replaying the steps --------------------------------------------------------------------
  function leafGradAfter(leafId, upto) {
    // the leaf's .grad after `upto` steps: the last AccumulateGrad step for it, else what it held before
    let g = null, seen = false;
    for (let i = 0; i < upto; i++) {
      const s = data.steps[i];
      if (s.kind === "leaf" && s.node === leafId) { g = s.after; seen = true; }
    }
    if (!seen) g = data.leaves.find(function (l) { return l.id === leafId; }).before;
    return g;
  }

  function renderLeaves() {
    const table = document.getElementById("leaves");
    table.textContent = "";
    const head = ["leaf", "shape", ".grad (now)"];
    if (data.torch) head.push("torch .grad", "max |diff|");
    table.appendChild(el("tr", {}, head.map(function (h) { return el("th", {text: h}); })));
    data.leaves.forEach(function (l) {
      const g = leafGradAfter(l.id, done);
      const node = nodes[l.id];
      const row = el("tr", {id: "leaf-" + l.id, "data-name": l.name, "class": g ? "filled" : ""}, [
        el("td", {text: l.name}), el("td", {text: shape(node.value[0]) + " " + node.value[0].dtype}),
        el("td", {"class": "grad-now"}, [arrayView(g)])]);
      if (data.torch) {
        row.appendChild(el("td", {"class": "torch-grad"}, [arrayView(l.torch || null)]));
        row.appendChild(el("td", {"class": "diff", text: l.max_abs_diff !== undefined ? num(l.max_abs_diff) : "-"}));
      }
      table.appendChild(row);
    });
  }

  function gradBlock(title, s, id) {
    return el("div", {"class": "grad"}, [el("span", {"class": "what", text: title + " "}),
      s ? el("span", {text: shape(s) + " "}) : null, arrayView(s, id),
      s && s.norm !== undefined ? el("span", {"class": "norm", text: " norm " + num(s.norm)}) : null]);
  }

  function renderStep() {
    const panel = document.getElementById("step-panel");
    panel.textContent = "";
    document.getElementById("step-count").textContent = "step " + done + " of " + data.steps.length;
    if (done === 0) {
      panel.appendChild(el("p", {"class": "hint", id: "step-label", "data-step": "0",
        text: "Press Step: backward() starts at the output with the gradient 1 and visits " + data.steps.length +
              " nodes, in the order the engine ran them."}));
      return;
    }
    const s = data.steps[done - 1];
    panel.setAttribute("data-kind", s.kind);
    panel.appendChild(el("h3", {id: "step-label", "data-step": String(done), "data-label": s.label,
                                text: "[" + done + "] " + s.label}));
    if (s.kind === "node") {
      panel.appendChild(el("p", {"class": "rule"}, ["derivative (from the cheat sheet): ", el("code", {id: "step-rule", text: s.rule})]));
      s.incoming.forEach(function (inc) {
        const box = el("div", {"class": "incoming"});
        const label = "incoming gradient g = dL/d(output" + (s.incoming.length > 1 ? " " + inc.slot : "") + "):";
        if (inc.parts.length > 1) {
          box.appendChild(el("p", {"class": "accumulated", text: "accumulated: the sum of " + inc.parts.length +
            " gradients, one per use of this output"}));
          const list = el("ul", {"class": "parts"});
          inc.parts.forEach(function (p) {
            list.appendChild(el("li", {}, ["from " + p.from + (p.step ? " (step " + p.step + "): " : ": "), arrayView(p.grad)]));
          });
          box.appendChild(list);
        }
        box.appendChild(gradBlock(label, inc.grad, inc.slot === 0 ? "step-grad-in" : null));
        panel.appendChild(box);
      });
      const table = el("table", {id: "step-sends"});
      table.appendChild(el("tr", {}, ["input", "to", "shape", "gradient sent", "norm"].map(function (h) { return el("th", {text: h}); })));
      s.sends.forEach(function (x) {
        const shp = shape(x.grad) + (x.raw_shape.join(",") !== x.grad.shape.join(",") ?
          " (summed from [" + x.raw_shape.join(", ") + "]: broadcast)" : "");
        table.appendChild(el("tr", {"class": "send", "data-to": x.to_label, "data-index": String(x.index),
                                    "data-raw-norm": String(Number(x.raw_norm))}, [
          el("td", {text: "grad_input[" + x.index + "]"}), el("td", {text: "\u2192 " + x.to_label}),
          el("td", {text: shp}), el("td", {}, [arrayView(x.grad)]), el("td", {"class": "norm", text: num(x.grad.norm)})]));
      });
      panel.appendChild(el("h4", {text: s.sends.length ? "sends to its inputs (g times the local derivative):" :
                                         "sends nothing (no input needs a gradient)"}));
      panel.appendChild(table);
    } else {
      const name = nodes[s.node].name;
      const inc = s.incoming[0];
      if (inc.parts.length > 1) {
        panel.appendChild(el("p", {"class": "accumulated", text: "accumulated: " + name + " was used " + inc.parts.length +
          " times; the engine summed the gradients of every use before this step"}));
        const list = el("ul", {"class": "parts"});
        inc.parts.forEach(function (p) { list.appendChild(el("li", {}, ["from " + p.from + " (step " + p.step + "): ", arrayView(p.grad)])); });
        panel.appendChild(list);
      }
      panel.appendChild(gradBlock("incoming gradient:", inc.grad, "step-grad-in"));
      panel.appendChild(gradBlock(name + ".grad before:", s.before, "leaf-before"));
      panel.appendChild(gradBlock(name + ".grad after (before + incoming):", s.after, "leaf-after"));
    }
  }

  function renderGraph() {
    document.querySelectorAll("#graph-pane .node").forEach(function (g) { g.classList.remove("current", "done", "filled"); });
    document.querySelectorAll("#graph-pane .edge").forEach(function (g) { g.classList.remove("sending"); });
    for (let i = 0; i < done; i++) {
      const g = document.getElementById("node-" + data.steps[i].node);
      if (g) g.classList.add(data.steps[i].kind === "leaf" ? "filled" : "done");
    }
    if (done > 0) {
      const s = data.steps[done - 1];
      const g = document.getElementById("node-" + s.node);
      if (g) {
        g.classList.add("current");
        if (g.scrollIntoView) g.scrollIntoView({block: "nearest", inline: "nearest"});
      }
      const attr = s.kind === "leaf" ? "data-src" : "data-dst";
      document.querySelectorAll("#graph-pane .edge[" + attr + '="' + s.node + '"]').forEach(function (e) {
        e.classList.add("sending");
      });
    }
  }

  function render() { renderStep(); renderLeaves(); renderGraph(); }
  function go(n) { done = Math.max(0, Math.min(data.steps.length, n)); render(); }

  document.getElementById("step").addEventListener("click", function () { go(done + 1); });
  document.getElementById("back").addEventListener("click", function () { go(done - 1); });
  document.getElementById("reset").addEventListener("click", function () { go(0); });
  document.getElementById("run-all").addEventListener("click", function () { go(data.steps.length); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") go(done + 1);
    if (e.key === "ArrowLeft") go(done - 1);
  });
  document.querySelectorAll("#graph-pane .node").forEach(function (g) {
    const id = g.id.replace(/^node-/, "");
    g.addEventListener("mouseenter", function () { showValue(id); });
    g.addEventListener("mouseleave", function () { if (pinned) showValue(pinned); });
    g.addEventListener("click", function () {
      pinned = id;
      document.querySelectorAll("#graph-pane .node.pinned").forEach(function (p) { p.classList.remove("pinned"); });
      g.classList.add("pinned");
      showValue(id);
    });
  });
  document.getElementById("torch-note").textContent = data.torch_note ||
    (data.torch ? "torch's gradients are shown beside minigrad's." : "");
  document.querySelector("#trace-text pre").textContent = data.trace;
  render();
})();
