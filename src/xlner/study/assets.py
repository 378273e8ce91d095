"""The report page's inline stylesheet and script (no CDN: the page must work offline).

The script draws the example browser: a sentence pair as two rows of word boxes with the
alignment links as SVG lines between them, gold and projected target spans as brackets
under the target row, and the list of examples filtered by language, setting, method and
error type.
"""

CSS = """
:root { --fg: #222; --muted: #666; --line: #ddd; --bg: #fff; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 4px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, .muted { color: var(--muted); }
.note { background: #f7f7f2; border-left: 3px solid #c9b458; padding: 6px 10px; margin: 8px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; font-weight: 600; max-width: 11em; }
td.best { font-weight: 700; }
td.below { background: #fde8e8; }
.charts { display: flex; flex-wrap: wrap; gap: 10px; }
.chart { border: 1px solid var(--line); background: #fff; }
.chart .grid { stroke: #eee; }
.chart .tick, .chart .axis-label { font-size: 10px; fill: #555; }
.chart .chart-title { font-size: 12px; font-weight: 600; fill: #222; }
.chart .chart-subtitle { font-size: 10px; fill: #666; }
.chart .series { stroke-width: 2; }
.chart .reference line { stroke: #999; stroke-width: 1.5; stroke-dasharray: 2 3; }
.chart .reference text { font-size: 10px; fill: #777; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0;
            margin: 4px 0 8px; }
ul.legend li { display: flex; align-items: center; gap: 5px; font-size: 12px; }
.reference-key { stroke: #999; stroke-width: 1.5; stroke-dasharray: 2 3; }
details > summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
#browser { display: grid; grid-template-columns: 300px 1fr; gap: 12px; align-items: start; }
#ex-controls { display: flex; flex-wrap: wrap; gap: 8px 14px; margin-bottom: 8px; }
#ex-controls label { font-size: 12px; color: var(--muted); display: flex; flex-direction: column; }
#ex-list { list-style: none; padding: 0; margin: 0; max-height: 560px; overflow-y: auto;
           border: 1px solid var(--line); }
#ex-list li button { all: unset; display: block; width: 100%; padding: 5px 8px; cursor: pointer;
                     border-bottom: 1px solid #f0f0f0; font-size: 12px; }
#ex-list li button:hover, #ex-list li button.active { background: #eef4fb; }
.badge { display: inline-block; padding: 0 5px; margin-right: 3px; border-radius: 8px;
         font-size: 10px; color: #fff; }
.k-correct { background: #2ca02c; } .k-boundary { background: #ff7f0e; }
.k-class { background: #9467bd; } .k-missed { background: #d62728; }
.k-spurious { background: #8c564b; }
#ex-detail { border: 1px solid var(--line); padding: 8px; min-height: 200px; overflow-x: auto; }
#alignment text { font-size: 13px; }
#alignment .word { fill: #fafafa; stroke: #ccc; }
#alignment .link { stroke: #9ab; stroke-width: 1; }
#alignment .link.entity-link { stroke: #1f77b4; stroke-width: 1.8; }
#alignment .bracket-label { font-size: 10px; }
#ex-errors { font-size: 12px; margin: 6px 0 0; padding-left: 18px; }
"""

JS = r"""
(function () {
  "use strict";
  const EXAMPLES = JSON.parse(document.getElementById("examples-data").textContent);
  const METHODS = JSON.parse(document.getElementById("methods-data").textContent);
  const CLASS_COLOURS = { PER: "#cfe2f3", ORG: "#d9ead3", LOC: "#fce5cd", MISC: "#e6d8f0",
                          DATE: "#eadbd0" };
  const KIND_COLOURS = { correct: "#2ca02c", boundary: "#ff7f0e", class: "#9467bd",
                         missed: "#d62728", spurious: "#8c564b" };
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FONT = "13px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const $ = (id) => document.getElementById(id);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = FONT;

  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }
  function unique(values) { return [...new Set(values)]; }
  function settingKey(e) { return e.operator === "none" ? "clean" : e.operator + "@" + e.level; }

  function fillControls() {
    unique(EXAMPLES.map((e) => e.dataset + "/" + e.language))
      .forEach((v) => option($("ex-language"), v, v));
    unique(EXAMPLES.map(settingKey)).forEach((v) => option($("ex-setting"), v, v));
    METHODS.forEach((m) => option($("ex-method"), m, m));
    ["any", "any error", "missed", "spurious", "boundary", "class", "correct"]
      .forEach((k) => option($("ex-error"), k, k));
  }

  function kinds(e, method) { return (e.errors[method] || []).map((x) => x.kind); }

  function matches(e) {
    const lang = $("ex-language").value, setting = $("ex-setting").value;
    const method = $("ex-method").value, error = $("ex-error").value;
    if (e.dataset + "/" + e.language !== lang || settingKey(e) !== setting) return false;
    const found = kinds(e, method);
    if (error === "any") return true;
    if (error === "any error") return found.some((k) => k !== "correct");
    return found.includes(error);
  }

  function renderList() {
    const list = $("ex-list");
    list.textContent = "";
    const method = $("ex-method").value;
    const shown = EXAMPLES.map((e, i) => [e, i]).filter(([e]) => matches(e));
    $("ex-count").textContent = shown.length + " of " + EXAMPLES.length + " examples";
    shown.forEach(([e, i]) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.example = String(i);
      const counts = {};
      kinds(e, method).forEach((k) => { counts[k] = (counts[k] || 0) + 1; });
      Object.entries(counts).forEach(([k, n]) =>
        button.appendChild(badge(k, k + (n > 1 ? " " + n : ""))));
      button.appendChild(document.createTextNode(
        " #" + e.index + " " + e.target_tokens.slice(0, 8).join(" ") + " …"));
      button.addEventListener("click", () => show(i));
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  function badge(kind, text) {
    const b = document.createElement("span");
    b.className = "badge k-" + kind; b.textContent = text;
    return b;
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG_NS, name);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function layout(tokens, y, offset) {
    let x = offset;
    return tokens.map((t) => {
      const w = Math.ceil(canvas.measureText(t).width) + 10;
      const box = { x: x, y: y, w: w, h: 22, text: t };
      x += w + 4;
      return box;
    });
  }

  function rowWidth(boxes) {
    return boxes.length ? boxes[boxes.length - 1].x + boxes[boxes.length - 1].w : 0;
  }

  function spanLabel(spans) {
    const label = new Map();
    spans.forEach(([s, e, l]) => { for (let i = s; i < e; i++) label.set(i, l); });
    return label;
  }

  function drawWords(svg, boxes, labels) {
    boxes.forEach((b, i) => {
      const fill = labels.has(i) ? CLASS_COLOURS[labels.get(i)] || "#eee" : null;
      const rect = el("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 3, class: "word" });
      if (fill) rect.setAttribute("style", "fill:" + fill);
      svg.appendChild(rect);
      svg.appendChild(el("text", { x: b.x + 5, y: b.y + 15 }, b.text));
    });
  }

  function bracket(svg, boxes, span, y, colour, label) {
    const [s, e] = span;
    if (s >= boxes.length) return;
    const x0 = boxes[s].x, x1 = boxes[Math.min(e, boxes.length) - 1].x +
      boxes[Math.min(e, boxes.length) - 1].w;
    svg.appendChild(el("path", { d: `M${x0},${y} L${x0},${y + 5} L${x1},${y + 5} L${x1},${y}`,
                                 stroke: colour, "stroke-width": 2, fill: "none",
                                 class: "bracket" }));
    svg.appendChild(el("text", { x: x0, y: y + 16, fill: colour, class: "bracket-label" },
                       label));
  }

  function kindOf(errors, span, side) {
    const hit = errors.find((x) => x[side] && x[side][0] === span[0] && x[side][1] === span[1]);
    return hit ? hit.kind : "correct";
  }

  function show(i) {
    const e = EXAMPLES[i];
    const method = $("ex-method").value;
    const errors = e.errors[method] || [];
    document.querySelectorAll("#ex-list button").forEach((b) =>
      b.classList.toggle("active", b.dataset.example === String(i)));
    const src = layout(e.source_tokens, 24, 0);
    const tgt = layout(e.target_tokens, 150, 0);
    const width = Math.max(rowWidth(src), rowWidth(tgt));
    // Centre the shorter row under the longer one so links stay close to vertical.
    const shift = (boxes) => { const d = (width - rowWidth(boxes)) / 2;
                               boxes.forEach((b) => { b.x += d + 8; }); };
    shift(src); shift(tgt);
    const svg = el("svg", { id: "alignment", width: width + 16, height: 250,
                            "data-example": i });
    const entityWords = new Set();
    e.noisy_source_spans.forEach(([s, t]) => { for (let k = s; k < t; k++) entityWords.add(k); });
    e.links.forEach(([s, t]) => {
      if (s >= src.length || t >= tgt.length) return;
      svg.appendChild(el("line", {
        x1: src[s].x + src[s].w / 2, y1: src[s].y + src[s].h,
        x2: tgt[t].x + tgt[t].w / 2, y2: tgt[t].y,
        class: "link" + (entityWords.has(s) ? " entity-link" : "") }));
    });
    drawWords(svg, src, spanLabel(e.noisy_source_spans));
    drawWords(svg, tgt, spanLabel(e.gold_spans));
    e.source_spans.forEach((sp) => bracket(svg, src, sp, 2, "#888", "source " + sp[2]));
    e.gold_spans.forEach((sp) => {
      const k = kindOf(errors, sp, "gold");
      bracket(svg, tgt, sp, 176, k === "missed" ? KIND_COLOURS.missed : "#555", "gold " + sp[2]);
    });
    (e.projected[method] || []).forEach((sp) => {
      const k = kindOf(errors, sp, "predicted");
      bracket(svg, tgt, sp, 206, KIND_COLOURS[k] || "#555", "projected " + sp[2] + " (" + k + ")");
    });
    const detail = $("ex-detail");
    detail.textContent = "";
    const head = document.createElement("div");
    head.className = "muted";
    head.textContent = `${e.dataset}/${e.source_language}-${e.language} sentence ${e.index}, ` +
      `${settingKey(e)}, ${method}: ${e.links.length} links`;
    detail.appendChild(head);
    detail.appendChild(svg);
    const list = document.createElement("ul");
    list.id = "ex-errors";
    errors.forEach((x) => {
      const li = document.createElement("li");
      const words = (sp, toks) => sp ? `[${sp[0]},${sp[1]}) ${sp[2]} “${toks.slice(sp[0],
        sp[1]).join(" ")}”` : "—";
      li.appendChild(badge(x.kind, x.kind));  // as text: a run folder is data, not markup
      const gold = words(x.gold, e.target_tokens);
      const projected = words(x.predicted, e.target_tokens);
      li.appendChild(document.createTextNode(`gold ${gold} · projected ${projected}`));
      list.appendChild(li);
    });
    detail.appendChild(list);
    detail.dataset.example = String(i);
  }

  function init() {
    if (!EXAMPLES.length) { $("ex-count").textContent = "no examples in this run"; return; }
    fillControls();
    ["ex-language", "ex-setting", "ex-method", "ex-error"].forEach((id) =>
      $(id).addEventListener("change", () => {
        renderList();
        const current = $("ex-detail").dataset.example;
        if (current !== undefined && id === "ex-method") show(Number(current));
      }));
    renderList();
  }
  init();
})();
"""
