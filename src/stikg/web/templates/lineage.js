/* stikg lineage page. Data comes from the <script type="application/json"> element and reaches
   the DOM only through textContent, Option() and cytoscape data: never as HTML. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("lineage-data").textContent);
  var META = DATA.meta;
  var COLW = 320, GAP = 14, MAX_DAGRE = 1500;
  var STAGE_ORDER = ["request", "budget_draft", "budget", "supplementary", "fund", "other"];
  var STAGE_LABELS = { request: "概算要求 request", budget_draft: "予算案 draft budget", budget: "当初予算 budget",
    supplementary: "補正予算 supplementary", fund: "基金 fund", other: "その他 other" };
  // short stage names for labels on the graph: every amount says which stage it is (a request is never "budget")
  var STAGE_SHORT = { request: "概算要求", budget_draft: "予算案", budget: "当初予算", supplementary: "補正予算",
    fund: "基金", other: "その他" };
  var COLOURS = { strategy: "#7b4fb5", program: "#1f6fb4", subprogram: "#79b3e0", hub: "#e6a720",
    ministry: "#c8423b", government: "#c8423b", bureau: "#ee9a94", funding_agency: "#f07f0c",
    council: "#b9a3d6", research_institute: "#2f9a44", university: "#8fcf6c", company: "#a0612a",
    organization: "#9a9a9a" };
  var TYPE_LABELS = { strategy: "戦略 strategy", program: "事業 program", subprogram: "内訳事業 sub-program",
    ministry: "府省 ministry", government: "政府 government", bureau: "局課 bureau",
    funding_agency: "資金配分機関 funding agency", council: "会議 council",
    research_institute: "研究機関 research institute", university: "大学 university", company: "企業 company",
    organization: "機関 organisation", hub: "拠点 hub" };
  var EDGE_COLOURS = { cites: "#9b7fc9", next_edition: "#7b4fb5", successor: "#1f6fb4", subprogram: "#79b3e0",
    role: "#9aa5b1", flow: "#f07f0c", hub_of: "#e6a720", hosts: "#e9c46a" };
  var ROLE_LABELS = { implementer: "実施 implementer", funding_agency: "資金配分 funding agency",
    bureau: "担当 bureau", host: "拠点 host", recipient: "交付先 recipient", partner: "連携 partner" };

  var BASE = META.base || "";
  function short(iri) { return BASE && iri.indexOf(BASE) === 0 ? iri.slice(BASE.length) : iri; }
  function full(id) { return id.indexOf("://") >= 0 ? id : BASE + id; }
  DATA.edges = DATA.edges.map(function (e, i) { return { id: "e" + i, source: e[0], target: e[1], kind: e[2], program: e[3] }; });
  var byId = {};
  DATA.nodes.forEach(function (n) {
    n.label = n.label || n.ja || n.en || slug(n.id);
    if (n.kind === "program") { n.strategies = []; n.orgs = []; n.periods = []; }
    byId[n.id] = n;
  });
  var large = DATA.nodes.length > 1500;
  var state = {
    strategies: DATA.initial.strategies.slice(), strategyText: DATA.initial.strategy_text,
    agencies: DATA.initial.agencies.slice(), agencyText: DATA.initial.agency_text,
    fy: DATA.initial.fiscal_year, stage: DATA.initial.stage || "", errors: DATA.initial.errors.slice(),
    layout: "columns"
  };

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function norm(s) { return String(s || "").normalize("NFKC").toLowerCase(); }
  function slug(iri) { var p = String(iri).replace(/\/+$/, "").split(/[\/#]/); return p[p.length - 1]; }
  function yenText(yen) {
    if (yen === null || yen === undefined) return "—";
    if (Math.abs(yen) >= 1e8) return (yen / 1e8).toLocaleString("ja-JP", { maximumFractionDigits: 2 }) + "億円";
    if (Math.abs(yen) >= 1e4) return (yen / 1e4).toLocaleString("ja-JP", { maximumFractionDigits: 1 }) + "万円";
    return yen.toLocaleString("ja-JP") + "円";
  }
  function serverBase() { return META.server_url || ""; }
  function sourceUrl(doc, line) {
    return serverBase() + "/source/" + encodeURIComponent(doc) + "#L" + encodeURIComponent(String(line));
  }
  function entityUrl(node) {
    if (META.mode !== "serve" && !META.server_url) return null;
    var m = /^https?:\/\/.+\/(strategy|program|organization|hub)\/([^\/#?]+)$/.exec(full(node.id));
    return m ? serverBase() + "/" + m[1] + "/" + encodeURIComponent(decodeURIComponent(m[2])) : null;
  }
  function fiscalYear() { return state.fy !== null && state.fy !== undefined ? state.fy : META.latest_fiscal_year; }
  function pickBudget(program) {
    var years = BUDGETS[program]; var fy = fiscalYear();
    if (!years || fy === null || fy === undefined) return null;
    var stages = years[String(fy)];
    if (!stages) return null;
    var stage = shownStage();
    return stage && stages[stage] !== undefined ? stages[stage] : null;
  }
  // One stage for every programme: the chosen one, else the year's default (the stage with figures
  // for the most programmes, computed by stikg.lineage.default_stage) — never a mix.
  function shownStage() { return state.stage || (META.default_stages || {})[String(fiscalYear())] || ""; }

  // ------------------------------------------------------------------------------ indexes
  function groupBy(rows, index) {
    var out = {};
    rows.forEach(function (r) { (out[r[index]] = out[r[index]] || []).push(r); });
    return out;
  }
  var amountsBy = groupBy(DATA.amounts, 0);
  var citesByProgram = groupBy(DATA.citations, 0), citesByStrategy = groupBy(DATA.citations, 1);
  var rolesByProgram = groupBy(DATA.roles, 0), rolesByOrg = groupBy(DATA.roles, 1);
  var flowsByProgram = groupBy(DATA.flows, 0), flowsFrom = groupBy(DATA.flows, 1), flowsTo = groupBy(DATA.flows, 2);
  var linksFrom = groupBy(DATA.links, 0), linksTo = groupBy(DATA.links, 2);
  var hubEdges = DATA.edges.filter(function (e) { return e.kind === "hub_of" || e.kind === "hosts"; });
  // program → fiscal year → stage → yen: the selected figures the totals use (from the build)
  var BUDGETS = DATA.budgets || {};
  DATA.amounts.forEach(function (a) {
    var n = byId[a[0]];
    if (n && n.kind === "program" && a[1] !== null) n.periods.push(a[1] + ":" + a[2]);
  });
  var orgParents = {};
  DATA.links.forEach(function (l) { if (l[1] === "suborganization") (orgParents[l[2]] = orgParents[l[2]] || []).push(l[0]); });
  function withAncestors(org, into) {
    var todo = [org];
    while (todo.length) {
      var o = todo.pop();
      if (into.indexOf(o) >= 0) continue;
      into.push(o); (orgParents[o] || []).forEach(function (p) { todo.push(p); });
    }
  }
  DATA.citations.forEach(function (c) { var n = byId[c[0]]; if (n && n.kind === "program") n.strategies.push(c[1]); });
  DATA.roles.forEach(function (r) { var n = byId[r[0]]; if (n && n.kind === "program") withAncestors(r[1], n.orgs); });
  DATA.flows.forEach(function (f) {
    var n = byId[f[0]]; if (n && n.kind === "program") { withAncestors(f[1], n.orgs); withAncestors(f[2], n.orgs); }
  });

  // ------------------------------------------------------------------------------ cytoscape
  var style = [
    { selector: "node", style: {
      "width": "data(size)", "height": "data(size)", "background-color": "data(colour)", "label": large ? "" : "data(caption)",
      "font-size": 11, "font-family": "system-ui, Noto Sans CJK JP, sans-serif", "color": "#1b1f24",
      "text-background-color": "#ffffff", "text-background-opacity": 0.75, "text-background-padding": 1,
      "text-valign": "center", "text-halign": "right", "text-margin-x": 4, "text-wrap": "wrap",
      "text-max-width": 230, "min-zoomed-font-size": 7, "border-width": 0 } },
    // the strategies and the largest programmes keep readable labels when the whole graph is fitted
    { selector: "node.major", style: { "label": "data(caption)", "font-size": DATA.nodes.length > 150 ? 22 : 12, "font-weight": "bold", "min-zoomed-font-size": 0,
      "text-max-width": 520 } },
    { selector: "edge[money]", style: { "label": large ? "" : "data(money)", "font-size": 9, "color": "#7a4a00",
      "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.8,
      "text-background-padding": 1, "min-zoomed-font-size": 8 } },
    { selector: "node[kind = 'strategy']", style: { "shape": "round-rectangle", "width": 26, "height": 26 } },
    { selector: "node[kind = 'organization']", style: { "shape": "round-rectangle" } },
    { selector: "node[kind = 'hub']", style: { "shape": "diamond" } },
    { selector: "edge", style: {
      "width": "data(w)", "line-color": "data(colour)", "curve-style": large ? "haystack" : "bezier",
      "target-arrow-shape": large ? "none" : "triangle", "target-arrow-color": "data(colour)", "arrow-scale": 0.6,
      "opacity": 0.75 } },
    { selector: "edge[kind = 'next_edition'], edge[kind = 'successor']", style: { "line-style": "dashed" } },
    { selector: "edge[kind = 'subprogram']", style: { "line-style": "dotted" } },
    { selector: "edge.samecol", style: { "curve-style": large ? "haystack" : "unbundled-bezier",
      "control-point-distances": 70, "control-point-weights": 0.5 } },
    { selector: ".hidden", style: { "display": "none" } },
    { selector: ".faded", style: { "opacity": 0.12 } },
    { selector: "node.match", style: { "border-width": 4, "border-color": "#ffb000" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#111" } }
  ];

  // Sizes and widths are computed in plain JS and given to cytoscape as data (no per-element
  // updates at start-up). Large graphs get their nodes first and their edges in chunks, so the
  // first frame is interactive quickly.
  var T = window.lineageTimings = { parsed: performance.now() };
  var SIZE = {}, WIDTH_TOP = 0;
  function computeSizes() {
    var top = 0, b = {};
    DATA.nodes.forEach(function (n) { if (n.kind === "program") { var v = pickBudget(n.id); b[n.id] = v; if (v && v > top) top = v; } });
    DATA.nodes.forEach(function (n) {
      SIZE[n.id] = n.kind === "program" ? 18 + (b[n.id] && top ? 62 * Math.sqrt(b[n.id] / top) : 0) : n.kind === "strategy" ? 26 : 22;
    });
    WIDTH_TOP = top;
    return b;
  }
  var BUDGET_NOW = computeSizes();
  function clip(label) { return label.length > 30 ? label.slice(0, 29) + "…" : label; }
  // "51億円 · FY2025 概算要求": the amount of the shown fiscal year and stage, the stage always named
  function moneyText(yen) { return yenText(yen) + " · FY" + fiscalYear() + " " + (STAGE_SHORT[shownStage()] || shownStage()); }
  function caption(n) {
    var v = n.kind === "program" ? BUDGET_NOW[n.id] : null;
    return v ? clip(n.label) + "\n" + moneyText(v) : clip(n.label);
  }
  function edgeMoney(e) {
    if (e.kind !== "cites" && e.kind !== "flow") return undefined;
    var v = BUDGET_NOW[e.kind === "cites" ? e.target : e.program];
    return v ? moneyText(v) : undefined;
  }
  // the programmes with the largest amounts (and every strategy) are labelled even when zoomed out
  // (and the strategies cited by the most programmes), a dozen or two each, so the labels do not collide
  var MAJOR = 20, MAJOR_STRATEGIES = 12;
  function majorIds() {
    var out = {}, cited = {};
    DATA.citations.forEach(function (c) { (cited[c[1]] = cited[c[1]] || {})[c[0]] = true; });
    function count(n) { return Object.keys(cited[n.id] || {}).length; }
    DATA.nodes.filter(function (n) { return n.kind === "strategy" && count(n); })
      .sort(function (a, b) { return count(b) - count(a) || (a.id < b.id ? -1 : 1); }).slice(0, MAJOR_STRATEGIES)
      .forEach(function (n) { out[n.id] = true; });
    DATA.nodes.filter(function (n) { return n.kind === "program" && BUDGET_NOW[n.id]; })
      .sort(function (a, b) { return BUDGET_NOW[b.id] - BUDGET_NOW[a.id]; }).slice(0, MAJOR)
      .forEach(function (n) { out[n.id] = true; });
    return out;
  }
  var MAJOR_NOW = majorIds();
  function edgeWidth(e) {
    var p = e.program || (e.kind === "cites" ? e.target : "");
    var v = p ? BUDGET_NOW[p] : null;
    return v && WIDTH_TOP ? 1 + 7 * Math.sqrt(v / WIDTH_TOP) : 1;
  }
  function edgeElement(e) {
    var same = byId[e.source] && byId[e.target] && byId[e.source].col === byId[e.target].col;
    var cls = same ? "samecol" : "";
    if (!edgeVisible(e)) cls += " hidden";
    return { data: { id: e.id, source: e.source, target: e.target, kind: e.kind, program: e.program || "", w: edgeWidth(e),
                     colour: EDGE_COLOURS[e.kind] || "#c3cad2", money: edgeMoney(e) },
             classes: cls };
  }
  var VIS = null;  // id → true for the visible nodes; null = everything
  function edgeVisible(e) {
    if (VIS === null) return true;
    var ok = VIS[e.source] && VIS[e.target];
    if (ok && filtered() && e.kind === "flow") ok = !!VIS[e.program];
    return !!ok;
  }
  var EDGE_CHUNK = 20000, streamed = large ? 0 : DATA.edges.length;
  var cy = cytoscape({
    container: $("cy"),
    elements: {
      nodes: DATA.nodes.map(function (n) {
        return { data: { id: n.id, label: n.label, caption: caption(n), kind: n.kind, type: n.type, size: SIZE[n.id],
                         colour: COLOURS[n.type] || "#9a9a9a" },
                 position: { x: n.x, y: n.y }, classes: MAJOR_NOW[n.id] ? "major" : "" };
      }),
      edges: large ? [] : DATA.edges.map(edgeElement)
    },
    layout: { name: "preset" }, style: style, minZoom: 0.005, maxZoom: 5,
    boxSelectionEnabled: false, textureOnViewport: large, hideEdgesOnViewport: large, pixelRatio: large ? 1 : "auto"
  });
  T.cy = performance.now();
  if (large) {  // labels are unreadable when a large graph is fitted: measure them only once zoomed in
    var labelled = false;
    cy.on("zoom", function () {
      if (!labelled && cy.zoom() >= 0.5) { labelled = true; cy.style().selector("node").style("label", "data(caption)").update(); }
    });
  }
  function streamEdges() {
    var end = Math.min(DATA.edges.length, streamed + EDGE_CHUNK);
    cy.add(DATA.edges.slice(streamed, end).map(edgeElement));
    streamed = end;
    updateCount();
    if (streamed < DATA.edges.length) window.setTimeout(streamEdges, 0);
    else { window.lineageEdgesMs = performance.now(); document.body.setAttribute("data-edges", "1"); }
  }

  function applySizes() {
    BUDGET_NOW = computeSizes();
    MAJOR_NOW = majorIds();
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        n.data("size", SIZE[n.id()]); n.data("caption", caption(byId[n.id()]));
        if (MAJOR_NOW[n.id()]) n.addClass("major"); else n.removeClass("major");
      });
      cy.edges().forEach(function (e) {
        var d = { program: e.data("program"), kind: e.data("kind"), target: e.data("target") };
        e.data("w", edgeWidth(d));
        var m = edgeMoney(d);
        if (m) e.data("money", m); else e.removeData("money");
      });
    });
    showAmountsLine();
  }
  // which amounts the graph shows, said once in the bar: the fiscal year and the stage, by name
  function showAmountsLine() {
    var stage = shownStage();
    $("amounts").textContent = "Amounts 金額: FY" + fiscalYear() + " · " + (STAGE_LABELS[stage] || stage || "no stage") +
      (state.stage ? "" : " (the stage with the most figures that year)");
  }

  // ------------------------------------------------------------------------------ filters
  function filtered() { return state.strategies.length || state.agencies.length || state.fy !== null || state.stage; }
  function visibleSet() {
    var out = {}, programs = {};
    if (state.errors.length) return out;
    if (!filtered()) { DATA.nodes.forEach(function (n) { out[n.id] = true; }); return out; }
    var strat = {}, ag = {};
    state.strategies.forEach(function (s) { strat[s] = true; });
    state.agencies.forEach(function (a) { ag[a] = true; });
    DATA.nodes.forEach(function (n) {
      if (n.kind !== "program") return;
      if (state.strategies.length && !n.strategies.some(function (s) { return strat[s]; })) return;
      if (state.agencies.length && !n.orgs.some(function (o) { return ag[o]; })) return;
      if (state.fy !== null || state.stage) {
        var ok = n.periods.some(function (p) {
          var i = p.indexOf(":"), y = +p.slice(0, i), s = p.slice(i + 1);
          return (state.fy === null || y === state.fy) && (!state.stage || s === state.stage);
        });
        if (!ok) return;
      }
      programs[n.id] = true; out[n.id] = true;
    });
    DATA.edges.forEach(function (e) {
      if (e.kind === "cites" && programs[e.target] && (!state.strategies.length || strat[e.source])) out[e.source] = true;
      else if ((e.kind === "role" || e.kind === "hub_of") && programs[e.source]) out[e.target] = true;
      else if (e.kind === "flow" && programs[e.program]) { out[e.source] = true; out[e.target] = true; }
    });
    hubEdges.forEach(function (e) { if (e.kind === "hosts" && out[e.target]) out[e.source] = true; });
    return out;
  }

  function compactLayout(nodes) {  // as stikg.lineage.stack_columns: visible nodes, columns wrapped
    var cols = {}, total = 0;
    nodes.forEach(function (n) { var c = byId[n.id()].col; (cols[c] = cols[c] || []).push(n); total += n.data("size") + GAP; });
    var limit = Math.max(1500, Math.sqrt(total * COLW * 0.6));
    var blocks = [];
    Object.keys(cols).map(Number).sort(function (a, b) { return a - b; }).forEach(function (c) {
      cols[c].sort(function (a, b) { return byId[a.id()].o - byId[b.id()].o; });
      var part = [], h = 0;
      cols[c].forEach(function (n) {
        var s = n.data("size") + GAP;
        if (part.length && h + s > limit) { blocks.push({ nodes: part, h: h }); part = []; h = 0; }
        part.push(n); h += s;
      });
      if (part.length) blocks.push({ nodes: part, h: h });
    });
    var tallest = Math.max.apply(null, [0].concat(blocks.map(function (b) { return b.h; })));
    var pos = {};
    blocks.forEach(function (b, i) {
      var y = (tallest - b.h) / 2;
      b.nodes.forEach(function (n) { var s = n.data("size"); y += s / 2; pos[n.id()] = { x: i * COLW, y: y }; y += s / 2 + GAP; });
    });
    nodes.positions(function (n) { return pos[n.id()]; });
  }

  function describeFilters() {
    var parts = [];
    if (state.strategies.length || state.strategyText) parts.push("strategy " + (state.strategyText || state.strategies.map(function (s) { return byId[s] ? byId[s].label : s; }).join(", ")));
    if (state.fy !== null) parts.push("fiscal year " + state.fy);
    if (state.agencies.length || state.agencyText) parts.push("agency " + (state.agencyText || state.agencies.map(function (s) { return byId[s] ? byId[s].label : s; }).join(", ")));
    if (state.stage) parts.push("stage " + state.stage);
    return parts.join(", ");
  }

  var sizeKey = null, moved = false, shownCount = DATA.nodes.length;
  function updateCount() {
    $("count").textContent = shownCount + " nodes · " + cy.edges().not(".hidden").length + " edges (of " +
      DATA.nodes.length + " · " + DATA.edges.length + ")" + (streamed < DATA.edges.length ? " — loading edges…" : "");
  }
  function apply(fit) {
    var key = fiscalYear() + "|" + state.stage;
    if (sizeKey !== null && key !== sizeKey) applySizes();
    sizeKey = key;
    var vis = visibleSet(), all = filtered() || state.errors.length ? null : true;
    var shownList = [], nPrograms = 0, wasAll = VIS === null;
    VIS = all ? null : vis;
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        var on = all || vis[n.id()];
        if (on) { shownList.push(n); if (n.data("kind") === "program") nPrograms++; }
        if (all && wasAll) return;  // nothing was hidden
        if (on) n.removeClass("hidden"); else n.addClass("hidden");
      });
      if (!(all && wasAll)) {
        cy.edges().forEach(function (e) {
          if (edgeVisible({ source: e.data("source"), target: e.data("target"), kind: e.data("kind"), program: e.data("program") })) e.removeClass("hidden");
          else e.addClass("hidden");
        });
      }
    });
    var shown = cy.collection(shownList);
    shownCount = shownList.length;
    var empty = $("empty");
    if (state.errors.length || nPrograms === 0) {
      var msg = state.errors.length ? state.errors.join("\n")
        : "No program matches these filters (" + describeFilters() + ").\nFiscal years with amounts: " +
          META.fiscal_years.join(", ") + ". Change a filter or press Reset.";
      empty.textContent = msg; empty.hidden = false;
    } else { empty.textContent = ""; empty.hidden = true; }
    updateCount();
    var dagreOpt = $("f-layout").options[1];
    dagreOpt.disabled = shown.length > MAX_DAGRE;
    if (state.layout === "dagre" && shown.length <= MAX_DAGRE && shown.length > 0 && streamed === DATA.edges.length) {
      shown.union(shown.edgesWith(shown)).layout({ name: "dagre", rankDir: "LR", nodeSep: 6, rankSep: 160, edgeSep: 4,
        fit: true, padding: 30, animate: false }).run();
      moved = true;
    } else {
      if (filtered() || state.layout === "dagre" || (sizeKey !== null && key !== (META.latest_fiscal_year + "|"))) {
        compactLayout(shown); moved = true;
      } else if (moved) {
        cy.nodes().positions(function (n) { return { x: byId[n.id()].x, y: byId[n.id()].y }; }); moved = false;
      }
      if (fit !== false) cy.fit(shown.length ? shown : undefined, 30);
    }
    runSearch();
    if (META.mode === "serve" && window.history && window.history.replaceState) {
      var q = new URLSearchParams();
      if (state.strategies.length === 1) q.set("strategy", full(state.strategies[0]));
      else if (state.strategyText) q.set("strategy", state.strategyText);
      if (state.fy !== null) q.set("fiscal_year", String(state.fy));
      if (state.agencies.length === 1) q.set("agency", full(state.agencies[0]));
      else if (state.agencyText) q.set("agency", state.agencyText);
      if (state.stage) q.set("stage", state.stage);
      var qs = q.toString();
      window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    }
  }

  // ------------------------------------------------------------------------------ controls
  function fillSelect(select, options, value) {
    while (select.firstChild) select.removeChild(select.firstChild);
    options.forEach(function (o) { select.appendChild(new Option(o[1], o[0])); });
    select.value = value;
  }
  function initialOption(iris, text) {
    if (!text && !iris.length) return ["", ""];
    if (iris.length === 1) return [iris[0], ""];
    return ["__initial__", "“" + text + "” (" + (iris.length ? iris.length + " matches" : "no match") + ")"];
  }
  function setupControls() {
    $("title").textContent = META.title;
    var s0 = initialOption(state.strategies, state.strategyText);
    var sOpts = [["", "all strategies / すべて"]].concat(DATA.choices.strategies.map(function (s) {
      return [s[0], s[1] + (s[2] ? " (" + s[2] + ")" : "")];
    }));
    if (s0[1]) sOpts.splice(1, 0, s0);
    fillSelect($("f-strategy"), sOpts, s0[0]);
    fillSelect($("f-year"), [["", "all years (size: FY" + META.latest_fiscal_year + ")"]].concat(
      META.fiscal_years.slice().reverse().map(function (y) { return [String(y), "FY" + y]; })),
      state.fy === null ? "" : String(state.fy));
    if (state.fy !== null && $("f-year").value !== String(state.fy)) {
      $("f-year").insertBefore(new Option("FY" + state.fy + " (no data)", String(state.fy)), $("f-year").options[1]);
      $("f-year").value = String(state.fy);
    }
    var a0 = initialOption(state.agencies, state.agencyText);
    var aOpts = [["", "all agencies / すべて"]].concat(DATA.choices.agencies.map(function (a) { return [a[0], a[1]]; }));
    if (a0[1] || (a0[0] && !DATA.choices.agencies.some(function (a) { return a[0] === a0[0]; }))) {
      aOpts.splice(1, 0, [a0[0], a0[1] || (byId[a0[0]] ? byId[a0[0]].label : a0[0])]);
    }
    fillSelect($("f-agency"), aOpts, a0[0]);
    fillSelect($("f-stage"), [["", "stage with the most figures that year"]].concat(META.stages.map(function (s) {
      return [s, STAGE_LABELS[s] || s];
    })), state.stage);
    if (state.stage && $("f-stage").value !== state.stage) {
      $("f-stage").appendChild(new Option(state.stage + " (unknown)", state.stage)); $("f-stage").value = state.stage;
    }
    $("f-strategy").addEventListener("change", function () {
      var v = this.value;
      if (v !== "__initial__") { state.strategies = v ? [v] : []; state.strategyText = ""; state.errors = []; }
      apply();
    });
    $("f-year").addEventListener("change", function () { state.fy = this.value ? +this.value : null; state.errors = []; apply(); });
    $("f-agency").addEventListener("change", function () {
      var v = this.value;
      if (v !== "__initial__") { state.agencies = v ? [v] : []; state.agencyText = ""; state.errors = []; }
      apply();
    });
    $("f-stage").addEventListener("change", function () { state.stage = this.value; state.errors = []; apply(); });
    $("f-layout").addEventListener("change", function () { state.layout = this.value; apply(); });
    $("reset").addEventListener("click", function () {
      state.strategies = []; state.strategyText = ""; state.agencies = []; state.agencyText = "";
      state.fy = null; state.stage = ""; state.errors = [];
      $("f-strategy").value = ""; $("f-year").value = ""; $("f-agency").value = ""; $("f-stage").value = "";
      $("search").value = ""; apply();
    });
    $("search").addEventListener("input", function () { runSearch(); });
    $("search").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { var m = cy.nodes(".match"); if (m.length) select(m[0].id(), true); }
      if (ev.key === "Escape") { this.value = ""; runSearch(); }
    });
    var legend = $("legend");
    ["strategy", "program", "subprogram", "ministry", "bureau", "funding_agency", "research_institute",
     "university", "organization", "hub"].forEach(function (t) {
      var item = el("span"); var chip = el("span", null, "chip"); chip.style.background = COLOURS[t];
      item.appendChild(chip); item.appendChild(document.createTextNode(TYPE_LABELS[t])); legend.appendChild(item);
    });
    legend.appendChild(el("span", "node size and edge width = amount of the shown fiscal year and stage · dashed = editions / predecessors", "muted"));
  }

  var searching = false;
  function runSearch() {
    var q = norm($("search").value).trim();
    if (!q && !searching) { $("search-count").textContent = ""; return; }
    searching = !!q;
    cy.batch(function () {
      cy.elements().removeClass("match faded");
      if (!q) return;
      var hits = cy.nodes().not(".hidden").filter(function (n) {
        var d = byId[n.id()];
        return [d.label, d.ja, d.en, slug(d.id)].concat(d.aliases || []).some(function (s) { return norm(s).indexOf(q) >= 0; });
      });
      hits.addClass("match");
      cy.elements().not(".hidden").not(hits).not(hits.connectedEdges()).addClass("faded");
    });
    $("search-count").textContent = q ? cy.nodes(".match").length + " match(es)" : "";
  }

  // ------------------------------------------------------------------------------ side panel
  function ref(id) {
    var node = byId[id];
    var a = el("a", node ? node.label : (DATA.names[id] || slug(id)), "ref");
    a.href = "#"; a.title = full(id);
    a.addEventListener("click", function (ev) { ev.preventDefault(); if (node) select(id, true); });
    return a;
  }
  // Evidence links go to the server that serves this page (relative links), or to --server-url for a
  // file; a file drawn without one names the document and line as text.
  function srcLink(doc, line) {
    if (META.mode !== "serve" && !META.server_url) {
      var span = el("span", doc + " L" + line, "src");
      span.title = "stikg viz --server-url URL links this to the source line";
      return span;
    }
    var a = el("a", doc + " L" + line, "src");
    a.href = sourceUrl(doc, line); a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }
  function section(panel, title) { panel.appendChild(el("h3", title)); }
  function table(headers, rows) {
    var t = el("table"), tr = el("tr");
    headers.forEach(function (h) { tr.appendChild(el("th", h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) {
        var td = el("td");
        if (c && c.nodeType) td.appendChild(c); else if (c && typeof c === "object") { td.textContent = c.text; td.className = c.cls; }
        else td.textContent = c === null || c === undefined ? "" : String(c);
        row.appendChild(td);
      });
      t.appendChild(row);
    });
    return t;
  }
  function list(panel, items) {
    var ul = el("ul");
    items.forEach(function (parts) {
      var li = el("li");
      parts.forEach(function (p) { li.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }

  function showPanel(id) {
    var node = byId[id], panel = $("panel");
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    panel.hidden = false;
    var close = el("button", "×"); close.id = "close"; close.type = "button"; close.title = "close";
    close.addEventListener("click", function () { panel.hidden = true; cy.nodes().unselect(); cy.resize(); });
    panel.appendChild(close);
    panel.appendChild(el("h2", node.ja || node.label));
    if (node.en) panel.appendChild(el("p", node.en, "en"));
    var meta = el("p");
    var badge = el("span", TYPE_LABELS[node.type] || node.type, "badge"); badge.style.background = COLOURS[node.type] || "#999";
    meta.appendChild(badge);
    var url = entityUrl(node);
    var iri = el(url ? "a" : "span", full(node.id), "iri");
    if (url) { iri.href = url; iri.target = "_blank"; iri.rel = "noopener noreferrer"; }
    meta.appendChild(iri);
    panel.appendChild(meta);
    if (node.aliases && node.aliases.length) panel.appendChild(el("p", "別名 aliases: " + node.aliases.join(" / "), "muted"));
    var evidence = [];
    function ev(doc, line) { evidence.push([doc, line]); }

    if (node.kind === "strategy") {
      var facts = [];
      if (node.year) facts.push("edition " + node.year);
      if (node.date) facts.push("decided " + node.date);
      if (facts.length) panel.appendChild(el("p", facts.join(" · ")));
      var prev = (linksTo[id] || []).filter(function (l) { return l[1] === "next_edition"; });
      var next = (linksFrom[id] || []).filter(function (l) { return l[1] === "next_edition"; });
      if (prev.length || next.length) {
        section(panel, "Editions 版");
        list(panel, prev.map(function (l) { return ["previous: ", ref(l[0])]; }).concat(next.map(function (l) { return ["next: ", ref(l[2])]; })));
      }
      var cites = citesByStrategy[id] || [];
      section(panel, "Cited by 引用する事業 (" + uniq(cites.map(function (c) { return c[0]; })).length + ")");
      list(panel, cites.map(function (c) { ev(c[2], c[3]); return [ref(c[0]), " — ", srcLink(c[2], c[3])]; }));
    }
    if (node.kind === "program") {
      var b = pickBudget(id);
      var shown = shownStage();
      panel.appendChild(el("p", "FY" + fiscalYear() + " " + (STAGE_LABELS[shown] || shown || "no stage") + ": " + yenText(b)));
      var amounts = (amountsBy[id] || []).slice().sort(function (x, y) {
        return (y[1] || 0) - (x[1] || 0) || STAGE_ORDER.indexOf(x[2]) - STAGE_ORDER.indexOf(y[2]) || (x[5] < y[5] ? -1 : 1) || x[6] - y[6];
      });
      section(panel, "Amounts 金額 (by year and stage)");
      if (amounts.length) {
        panel.appendChild(table(["FY", "stage", "amount", "", "source"], amounts.map(function (a) {
          ev(a[5], a[6]);
          return [a[1] === null ? "?" : "FY" + a[1], STAGE_LABELS[a[2]] || a[2], { text: yenText(a[3]), cls: "num" },
                  a[4] ? "内数" : "", srcLink(a[5], a[6])];
        })));
      } else panel.appendChild(el("p", "no amounts recorded", "muted"));
      var pc = citesByProgram[id] || [];
      section(panel, "Cites 根拠とする戦略 (" + uniq(pc.map(function (c) { return c[1]; })).length + ")");
      if (pc.length) list(panel, pc.map(function (c) { ev(c[2], c[3]); return [ref(c[1]), " — ", srcLink(c[2], c[3])]; }));
      else panel.appendChild(el("p", "no citation recorded", "muted"));
      var roles = rolesByProgram[id] || [];
      if (roles.length) {
        section(panel, "Organisations 機関");
        list(panel, roles.map(function (r) { ev(r[3], r[4]); return [(ROLE_LABELS[r[2]] || r[2]) + ": ", ref(r[1]), " — ", srcLink(r[3], r[4])]; }));
      }
      var flows = flowsByProgram[id] || [];
      if (flows.length) {
        section(panel, "Funding flows 資金の流れ");
        list(panel, flows.map(function (f) { ev(f[4], f[5]); return [ref(f[1]), " → ", ref(f[2]), " (" + f[3] + ") — ", srcLink(f[4], f[5])]; }));
      }
      var rel = [];
      (linksTo[id] || []).forEach(function (l) {
        if (l[1] === "subprogram") rel.push(["part of 親事業: ", ref(l[0])]);
        if (l[1] === "successor") rel.push(["predecessor 前身: ", ref(l[0])]);
      });
      (linksFrom[id] || []).forEach(function (l) {
        if (l[1] === "subprogram") rel.push(["sub-program 内訳: ", ref(l[2])]);
        if (l[1] === "successor") rel.push(["successor 後継: ", ref(l[2])]);
      });
      hubEdges.forEach(function (e) { if (e.kind === "hub_of" && e.source === id) rel.push(["hub 拠点: ", ref(e.target)]); });
      if (rel.length) { section(panel, "Lineage 系譜"); list(panel, rel); }
    }
    if (node.kind === "organization") {
      var ro = rolesByOrg[id] || [];
      if (ro.length) {
        section(panel, "Programs 事業 (" + uniq(ro.map(function (r) { return r[0]; })).length + ")");
        list(panel, ro.map(function (r) { ev(r[3], r[4]); return [(ROLE_LABELS[r[2]] || r[2]) + ": ", ref(r[0]), " — ", srcLink(r[3], r[4])]; }));
      }
      var fl = (flowsFrom[id] || []).concat(flowsTo[id] || []);
      if (fl.length) {
        section(panel, "Funding flows 資金の流れ");
        list(panel, fl.map(function (f) { ev(f[4], f[5]); return [ref(f[1]), " → ", ref(f[2]), " (" + f[3] + ", ", ref(f[0]), ") — ", srcLink(f[4], f[5])]; }));
      }
      var hosted = hubEdges.filter(function (e) { return e.kind === "hosts" && e.source === id; });
      if (hosted.length) { section(panel, "Hubs 拠点"); list(panel, hosted.map(function (e) { return [ref(e.target)]; })); }
    }
    if (node.kind === "hub") {
      var he = hubEdges.filter(function (e) { return e.target === id; });
      list(panel, he.map(function (e) { return [e.kind === "hosts" ? "host 拠点機関: " : "program 事業: ", ref(e.source)]; }));
    }
    var seen = {}, quotes = [];
    evidence.sort(function (x, y) { return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]; }).forEach(function (e) {
      var key = e[0] + "#" + e[1];
      if (!seen[key]) { seen[key] = true; quotes.push(e); }
    });
    section(panel, "Evidence 根拠の記述 (" + quotes.length + ")");
    if (!quotes.length) panel.appendChild(el("p", "no evidence lines", "muted"));
    quotes.forEach(function (e) {
      var text = DATA.quotes[e[0] + "#" + e[1]];
      panel.appendChild(el("blockquote", text === undefined ? "(quote not recorded)" : text));
      var p = el("p"); p.appendChild(srcLink(e[0], e[1])); panel.appendChild(p);
    });
    cy.resize();
  }
  function uniq(xs) { var s = {}; return xs.filter(function (x) { if (s[x]) return false; s[x] = true; return true; }); }

  function select(id, center) {
    var n = cy.getElementById(id);
    if (!n.length) return;
    cy.nodes().unselect(); n.select();
    showPanel(id);
    if (center) cy.animate({ center: { eles: n }, zoom: Math.max(cy.zoom(), 0.9) }, { duration: 200 });
  }
  cy.on("tap", "node", function (evt) { select(evt.target.id(), false); });

  // ------------------------------------------------------------------------------ start
  setupControls();
  showAmountsLine();
  T.controls = performance.now();
  apply();
  T.applied = performance.now();
  window.lineage = {
    cy: cy, data: DATA, select: select,
    full: full,
    visibleNodeIds: function () { return cy.nodes().not(".hidden").map(function (n) { return full(n.id()); }).sort(); },
    visiblePrograms: function () { return cy.nodes("[kind = 'program']").not(".hidden").map(function (n) { return full(n.id()); }).sort(); },
    setFilters: function (f) {
      if ("strategy" in f) { f.strategy = f.strategy ? short(f.strategy) : ""; state.strategies = f.strategy ? [f.strategy] : []; state.strategyText = ""; $("f-strategy").value = f.strategy || ""; }
      if ("fiscal_year" in f) { state.fy = f.fiscal_year; $("f-year").value = f.fiscal_year === null ? "" : String(f.fiscal_year); }
      if ("agency" in f) { f.agency = f.agency ? short(f.agency) : ""; state.agencies = f.agency ? [f.agency] : []; state.agencyText = ""; $("f-agency").value = f.agency || ""; }
      if ("stage" in f) { state.stage = f.stage || ""; $("f-stage").value = state.stage; }
      state.errors = []; apply();
    }
  };
  cy.one("render", function () {
    window.requestAnimationFrame(function () {
      window.lineageReadyMs = performance.now();
      document.body.setAttribute("data-ready", "1");
      if (streamed < DATA.edges.length) window.setTimeout(streamEdges, 0);
      else { window.lineageEdgesMs = window.lineageReadyMs; document.body.setAttribute("data-edges", "1"); }
    });
  });
  cy.forceRender();
})();
