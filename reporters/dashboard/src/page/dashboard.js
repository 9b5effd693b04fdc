"use strict";
// Polls `?data&after=N` every sample interval, keeps the points it was
// sent (as many samples as the server's history holds) and draws each
// series' card with plain SVG.
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const GROUP = { timer: "timers", histogram: "histograms", meter: "rates", counter: "rates", gauge: "gauges" };
  const state = {
    last: 0, // latest sample seen
    first: 1, // sequence number of times[0]
    times: [], // Unix ms of each sample kept
    capacity: 2,
    intervalMs: 5000,
    series: new Map(), // id -> series
    started: undefined, // when the service's dashboard started
    polls: 0,
    timer: null,
  };
  const filter = document.getElementById("filter");
  const status = document.getElementById("status");
  const shown = document.getElementById("shown");

  // ---- numbers ----------------------------------------------------------

  // Three significant digits, without exponents.
  function sig3(v) {
    const a = Math.abs(v);
    if (a >= 1000) return String(Math.round(v));
    if (a === 0) return "0";
    return String(Number(v.toPrecision(3)));
  }

  function scaled(v, steps) {
    for (const [factor, suffix] of steps) {
      if (Math.abs(v) >= factor) return sig3(v / factor) + " " + suffix;
    }
    const [factor, suffix] = steps[steps.length - 1];
    return sig3(v / factor) + " " + suffix;
  }

  const DURATION = [[1e9, "s"], [1e6, "ms"], [1e3, "µs"], [1, "ns"]];
  const BYTES = [[1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"], [1, "B"]];
  const PLAIN = [[1e9, "G"], [1e6, "M"], [1e3, "k"], [1, ""]];

  // A value in its unit, rounded to three significant digits.
  function format(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    switch (unit) {
      case "nanoseconds": return scaled(v, DURATION);
      case "seconds": return scaled(v * 1e9, DURATION);
      case "bytes": return scaled(v, BYTES);
      case "percent": return sig3(v) + " %";
      case "ratio": return sig3(v * 100) + " %";
      default: return scaled(v, PLAIN).trim();
    }
  }

  // A count, in full.
  function whole(v) {
    return v === undefined ? "–" : Math.round(v).toLocaleString("en-US");
  }

  // ---- merging a poll ---------------------------------------------------

  // Forgets every sample kept (the series' cards stay).
  function forget(first) {
    state.times = [];
    state.first = first;
    for (const s of state.series.values()) s.points = [];
  }

  // Adds a poll's answer; false when it belongs to another run of the
  // service, whose whole history must then be asked for.
  function merge(data) {
    state.intervalMs = Math.max(100, data.interval_ms);
    state.capacity = data.capacity;
    if (state.started !== undefined && data.started !== state.started) {
      // The service restarted: its samples are numbered afresh.
      state.started = data.started;
      state.last = 0;
      forget(1);
      return false;
    }
    state.started = data.started;
    if (data.first > state.last + 1 || state.times.length === 0) {
      // We fell behind its history (a sleeping laptop), or had nothing:
      // keep what it has.
      forget(data.first);
    }
    // Samples we have already (an answer overlapping another) are skipped.
    const skip = Math.max(0, state.last + 1 - data.first);
    state.times.push(...data.times.slice(skip));
    state.last = Math.max(state.last, data.last);
    const trim = state.times.length - state.capacity;
    if (trim > 0) {
      state.times.splice(0, trim);
      state.first += trim;
    }
    state.now = data.now;
    const seen = new Set();
    for (const m of data.metrics) {
      seen.add(m.id);
      let s = state.series.get(m.id);
      if (!s || s.kind !== m.kind) {
        if (s) s.card.remove();
        s = { key: m.key, kind: m.kind, points: [], first: m.first, card: null };
        state.series.set(m.id, s);
      }
      s.unit = m.unit;
      s.help = m.help;
      s.width = m.width;
      s.current = m.current;
      s.bars = m.bars || [];
      s.traces = m.traces || [];
      addPoints(s, m);
    }
    for (const [id, s] of state.series) {
      if (!seen.has(id)) {
        s.card.remove();
        state.series.delete(id);
      }
    }
    return true;
  }

  // Places each point by its sequence number; gaps hold nulls.
  function addPoints(s, m) {
    if (s.points.length === 0) s.first = m.first;
    for (let i = 0; i * m.width < m.points.length; i++) {
      const point = m.points.slice(i * m.width, (i + 1) * m.width);
      const at = m.first + i - s.first;
      if (at < 0) continue;
      while (s.points.length < at) s.points.push(null);
      s.points[at] = point;
    }
    const trim = state.first - s.first;
    if (trim > 0) {
      s.points.splice(0, trim);
      s.first = state.first;
    }
  }

  // ---- cards ------------------------------------------------------------

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function figure(card, plot, caption, legend) {
    const f = el("figure");
    const c = el("figcaption", {}, caption + " ");
    for (const [cls, label] of legend) c.append(el("i", { class: cls }, label));
    f.append(c);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "plot");
    svg.setAttribute("data-plot", plot);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", caption);
    f.append(svg);
    card.plots.append(f);
    card.svgs[plot] = svg;
  }

  function makeCard(s) {
    const distribution = s.kind === "timer" || s.kind === "histogram";
    const card = el("article", {
      class: "card " + s.kind + (distribution ? "" : " small"),
      "data-key": s.key,
      "data-kind": s.kind,
    });
    card.append(el("h3", {}, s.key));
    if (s.help) card.append(el("p", { class: "help" }, s.help));
    card.valuesRow = el("div", { class: "values" });
    card.append(card.valuesRow);
    card.plots = el("div", { class: "plots" });
    card.append(card.plots);
    card.svgs = {};
    if (distribution) {
      figure(card, "quantiles", "per interval:", [["p50", "p50"], ["p99", "p99"], ["p999", "p99.9"]]);
      // The slowest recent values recorded with a trace (exemplars): where
      // to look when p99 jumps.
      card.traces = el("ol", { class: "traces", "aria-label": "slowest traced requests" });
      card.plots.lastChild.append(card.traces);
      figure(card, "rate", s.kind === "timer" ? "events per second" : "values per second", []);
      figure(card, "distribution", "distribution, recent window", []);
    } else if (s.kind === "gauge") {
      figure(card, "value", "value", []);
    } else {
      figure(card, "rate", "per second", []);
    }
    document.querySelector("#" + GROUP[s.kind] + " .cards").append(card);
    s.card = card;
    applyFilter(card);
  }

  function setValues(s) {
    const c = s.current;
    const fields = [];
    if (s.kind === "timer" || s.kind === "histogram") {
      fields.push(["count", "count", whole(c.count)]);
      if (s.kind === "timer") fields.push(["rate1", "1-min rate", format(c.rate1) + "/s"]);
      for (const [f, label] of [["p50", "p50"], ["p99", "p99"], ["p999", "p99.9"], ["max", "max"]]) {
        fields.push([f, label, format(c[f], s.unit)]);
      }
    } else if (s.kind === "meter") {
      fields.push(["count", "count", whole(c.count)]);
      fields.push(["rate1", "1-min rate", format(c.rate1) + "/s"]);
    } else if (s.kind === "counter") {
      fields.push(["count", "count", whole(c.count)]);
    } else {
      fields.push(["value", "value", format(c.value, s.unit)]);
    }
    if (s.card.traces) {
      s.card.traces.replaceChildren();
      for (const t of s.traces || []) {
        const li = el("li", { "data-trace-id": t.trace_id }, format(t.value, s.unit) + " ");
        li.append(el("code", { title: new Date(t.at).toISOString() }, "trace " + t.trace_id));
        s.card.traces.append(li);
      }
    }
    const row = s.card.valuesRow;
    row.replaceChildren();
    for (const [field, label, text] of fields) {
      const span = el("span", {}, label + " ");
      const b = el("b", { "data-field": field }, text);
      if (c[field] !== undefined) b.setAttribute("data-value", String(c[field]));
      span.append(b);
      row.append(span);
    }
  }

  // ---- plots ------------------------------------------------------------

  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // A round number at or above `v`, for an axis' top.
  function niceTop(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  const PAD = { left: 52, right: 8, top: 6, bottom: 18 };

  // Lines of points over time: `lines` is [[class, index in the point]].
  function linePlot(svg, s, lines, unit) {
    const w = Math.max(120, svg.clientWidth || 300);
    const h = Math.max(50, svg.clientHeight || 150);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.replaceChildren();
    // The whole history once it is full; until then what it holds, and at
    // least five minutes.
    const full = (state.capacity - 1) * state.intervalMs;
    const end = state.times.length ? state.times[state.times.length - 1] : state.now;
    const held = state.times.length ? end - state.times[0] : 0;
    const span = Math.min(full, Math.max(held, 5 * 60000));
    const start = end - span;
    const x = (t) => PAD.left + ((t - start) / span) * (w - PAD.left - PAD.right);
    let max = 0;
    for (const p of s.points) {
      if (!p) continue;
      for (const [, i] of lines) if (p[i] !== null && p[i] > max) max = p[i];
    }
    let min = 0;
    for (const p of s.points) {
      if (!p) continue;
      for (const [, i] of lines) if (p[i] !== null && p[i] < min) min = p[i];
    }
    const top = niceTop(max);
    const bottom = min < 0 ? -niceTop(-min) : 0;
    const y = (v) => PAD.top + (1 - (v - bottom) / (top - bottom)) * (h - PAD.top - PAD.bottom);
    for (const frac of [0, 0.5, 1]) {
      const v = bottom + frac * (top - bottom);
      const yy = y(v);
      svg.append(svgEl("line", { class: frac === 0 ? "axis" : "grid", x1: PAD.left, x2: w - PAD.right, y1: yy, y2: yy }));
      svg.append(svgEl("text", { x: PAD.left - 4, y: yy + 3, "text-anchor": "end" }, format(v, unit)));
    }
    const minutes = span / 60000;
    // About six labels, at round times.
    const step = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720].find((m) => minutes / m <= 6) || 1440;
    for (let m = 0; m <= minutes + 1e-9; m += step) {
      const xx = x(end - m * 60000);
      const label = m === 0 ? "now"
        : m >= 60 ? `−${Number((m / 60).toFixed(1))} h`
        : m >= 1 ? `−${m} min` : `−${Math.round(m * 60)} s`;
      svg.append(svgEl("text", { x: xx, y: h - 4, "text-anchor": m === 0 ? "end" : "middle" }, label));
    }
    for (const [cls, i] of lines) {
      let d = "";
      // The points of the current run; a run of one point (traffic in a
      // single interval) has no line to draw, so it gets a dot.
      let run = [];
      const endRun = () => {
        if (run.length === 1) {
          svg.append(svgEl("circle", { class: "dot " + cls, cx: run[0][0], cy: run[0][1], r: 2.5 }));
        }
        run = [];
      };
      s.points.forEach((p, k) => {
        const t = state.times[s.first - state.first + k];
        const v = p ? p[i] : null;
        if (v === null || v === undefined || t === undefined || t < start) {
          endRun();
          return;
        }
        const xy = [x(t).toFixed(1), y(v).toFixed(1)];
        d += `${run.length > 0 ? "L" : "M"}${xy[0]},${xy[1]}`;
        run.push(xy);
      });
      endRun();
      const path = svgEl("path", { class: "line " + cls, d: d || "M0,0" });
      svg.append(path);
    }
  }

  // Bars of the recent distribution, on a log scale of values.
  function barPlot(svg, s) {
    const w = Math.max(120, svg.clientWidth || 300);
    const h = Math.max(50, svg.clientHeight || 150);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.replaceChildren();
    const bars = s.bars;
    if (bars.length === 0) {
      svg.append(svgEl("text", { class: "empty", x: w / 2, y: h / 2, "text-anchor": "middle" }, "no values in the window"));
      return;
    }
    // A few bars stay narrow: the axis spans at least a factor of four.
    const mid = Math.sqrt(Math.max(1, bars[0][0]) * (bars[bars.length - 1][1] + 1));
    const lo = Math.max(1, Math.min(bars[0][0], mid / 2));
    const hi = Math.max(bars[bars.length - 1][1] + 1, mid * 2, lo + 1);
    const left = 8, right = w - 8, base = h - PAD.bottom;
    const x = (v) => left + (Math.log(Math.max(v, lo) / lo) / Math.log(hi / lo)) * (right - left);
    const most = Math.max(...bars.map((b) => b[2]));
    for (const [low, high, count] of bars) {
      const x0 = x(low), x1 = Math.max(x(high + 1), x0 + 1.5);
      const bh = (count / most) * (base - PAD.top);
      svg.append(svgEl("rect", { class: "bar", x: x0, y: base - bh, width: Math.max(1, x1 - x0 - 0.5), height: bh, "data-count": count }));
    }
    svg.append(svgEl("line", { class: "axis", x1: left, x2: right, y1: base, y2: base }));
    const first = bars[0][0], last = bars[bars.length - 1][1];
    svg.append(svgEl("text", { x: x(first), y: h - 4, "text-anchor": first === last ? "middle" : "start" }, format(first, s.unit)));
    if (first !== last) {
      svg.append(svgEl("text", { x: x(last + 1), y: h - 4, "text-anchor": "end" }, format(last, s.unit)));
    }
  }

  function draw(s) {
    if (!s.card) makeCard(s);
    setValues(s);
    if (s.card.hidden) return;
    const svgs = s.card.svgs;
    if (svgs.quantiles) {
      linePlot(svgs.quantiles, s, [["p50", 1], ["p99", 2], ["p999", 3]], s.unit);
      linePlot(svgs.rate, s, [["rate", 0]], undefined);
      barPlot(svgs.distribution, s);
    } else if (svgs.value) {
      linePlot(svgs.value, s, [["value", 0]], s.unit);
    } else {
      // A counter's or meter's rate is in its unit per second.
      linePlot(svgs.rate, s, [["rate", 0]], s.unit);
    }
  }

  // ---- filter -----------------------------------------------------------

  function applyFilter(card) {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const key = card.getAttribute("data-key").toLowerCase();
    card.hidden = !words.every((w) => key.includes(w));
  }

  function refreshFilter() {
    let visible = 0;
    for (const s of state.series.values()) {
      const was = s.card.hidden;
      applyFilter(s.card);
      if (!s.card.hidden) visible++;
      if (was && !s.card.hidden) draw(s);
    }
    for (const group of document.querySelectorAll(".group")) {
      group.hidden = !group.querySelector(".card:not([hidden])");
    }
    shown.textContent = `${visible} of ${state.series.size} series`;
  }

  filter.addEventListener("input", refreshFilter);

  // ---- polling ----------------------------------------------------------

  // One poll at a time: a refresh asked for while one runs gets that one.
  let running = null;

  function poll() {
    if (!running) {
      running = pollOnce().finally(() => {
        running = null;
      });
    }
    return running;
  }

  async function pollOnce() {
    clearTimeout(state.timer);
    try {
      let again = true;
      // A restart asks for the whole history; a long one comes in parts.
      for (let answers = 0; again && answers < 100; answers++) {
        const response = await fetch(`${location.pathname}?data&after=${state.last}`, { cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const data = await response.json();
        again = !merge(data) || data.more;
      }
      for (const s of state.series.values()) draw(s);
      refreshFilter();
      state.polls++;
      status.classList.remove("error");
      status.textContent = `updated ${new Date(state.now).toLocaleTimeString()}`;
    } catch (e) {
      status.classList.add("error");
      status.textContent = `cannot reach the service (${e.message}); retrying`;
    }
    state.timer = setTimeout(poll, state.intervalMs);
  }

  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { for (const s of state.series.values()) draw(s); }, 150);
  });

  // A poll that starts after the call (waiting for one that runs).
  async function refresh() {
    if (running) await running;
    return poll();
  }

  // For tests and the console: the state, and a fresh poll on demand.
  window.dashboard = { state, refresh };
  poll();
})();
