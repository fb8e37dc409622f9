// The stikg query page: library with parameter fields, CodeMirror editor, results as a paged table
// with links, downloads, permalinks and a local history. No network beyond this server; data
// reaches the DOM only through textContent and attributes, never as HTML.
(function () {
  "use strict";
  var BASE = "https://w3id.org/stikg/";
  var PAGE = 100, HISTORY_KEY = "stikg.query.history", HISTORY_MAX = 25;
  var TYPES = { csv: "text/csv", tsv: "text/tab-separated-values", json: "application/sparql-results+json" };
  var editor = CodeMirror.fromTextArea(document.getElementById("query"), {
    mode: "application/sparql-query", lineNumbers: true, matchBrackets: true,
    extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run }
  });
  var library = {}, current = null, last = null, page = 0;
  function $(id) { return document.getElementById(id); }
  var statusEl = $("status"), resultsEl = $("results"), paramsEl = $("params"), noticeEl = $("notice");

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    if (value !== undefined && value !== null) { el.textContent = String(value); }
    if (cls) { el.className = cls; }
    return el;
  }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }

  function shorten(term) {
    if (!term) { return ""; }
    if (term.type === "uri") {
      var m = /^https:\/\/w3id\.org\/stikg\/(ontology#|[a-z]+\/)(.*)$/.exec(term.value);
      if (m) { return (m[1] === "ontology#" ? "stikg:" : m[1].replace("/", ":")) + m[2]; }
    }
    return term.value;
  }
  // An entity IRI under the base is dereferenced by this server (/program/…); other http(s) IRIs link out.
  function href(iri) {
    if (iri.indexOf(BASE) === 0 && !/^ontology/.test(iri.slice(BASE.length))) { return "/" + iri.slice(BASE.length); }
    if (iri.indexOf(BASE + "ontology") === 0) { return "/ontology" + iri.slice((BASE + "ontology").length); }
    return /^https?:\/\//.test(iri) ? iri : null;
  }
  function cell(t) {
    var numeric = t && t.datatype && /#(integer|decimal|double|float|long|int)$/.test(t.datatype);
    var td = text("td", null, numeric ? "num" : "");
    if (t && t.type === "uri") {
      var url = href(t.value);
      var a = text(url ? "a" : "span", shorten(t));
      if (url) { a.href = url; if (url.indexOf("/") !== 0) { a.rel = "noopener noreferrer"; a.target = "_blank"; } }
      a.title = t.value;
      td.appendChild(a);
    } else {
      td.textContent = t ? t.value : "";
      if (t && t["xml:lang"]) { td.lang = t["xml:lang"]; }
    }
    return td;
  }

  function renderPage() {
    clear(resultsEl);
    var data = last;
    if (data.boolean !== undefined) { resultsEl.appendChild(text("p", String(data.boolean))); return; }
    var vars = data.head.vars, rows = data.results.bindings;
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(Math.max(0, page), pages - 1);
    var table = document.createElement("table"), head = document.createElement("tr");
    vars.forEach(function (v) { head.appendChild(text("th", v)); });
    table.appendChild(head);
    rows.slice(page * PAGE, (page + 1) * PAGE).forEach(function (row) {
      var tr = document.createElement("tr");
      vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
      table.appendChild(tr);
    });
    $("pager").hidden = pages <= 1;
    $("page-info").textContent = "rows " + (rows.length ? page * PAGE + 1 : 0) + "–" +
      Math.min(rows.length, (page + 1) * PAGE) + " of " + rows.length + " · page " + (page + 1) + " / " + pages;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
    resultsEl.appendChild(table);
  }

  function paramValues() {
    var values = {};
    Array.prototype.forEach.call(paramsEl.querySelectorAll("input"), function (input) {
      if (input.value !== "") { values[input.name] = input.value; }
    });
    return values;
  }
  function usesLibrary() { return current && library[current] && editor.getValue() === library[current].text; }
  function request(accept) {
    if (usesLibrary()) {
      var qs = new URLSearchParams(paramValues()).toString();
      return fetch("/library/" + encodeURIComponent(current) + (qs ? "?" + qs : ""), { headers: { Accept: accept } });
    }
    var body = new URLSearchParams();
    body.set("query", editor.getValue());
    return fetch("/sparql", { method: "POST", body: body, headers: { Accept: accept } });
  }
  function read(response) {
    return response.text().then(function (body) {
      return { ok: response.ok, status: response.status, type: response.headers.get("Content-Type") || "", body: body,
               truncated: response.headers.get("X-Stikg-Truncated") === "true" };
    });
  }
  function showNotice(msg) { noticeEl.textContent = msg || ""; noticeEl.hidden = !msg; }

  function run() {
    var accept = $("accept").value, started = Date.now();
    statusEl.textContent = "running…";
    document.body.setAttribute("data-run", "running");
    showNotice("");
    remember();
    permalink();
    request(accept).then(read).then(function (r) {
      var secs = ((Date.now() - started) / 1000).toFixed(2) + " s";
      $("downloads").hidden = !r.ok;
      $("pager").hidden = true;
      document.body.setAttribute("data-run", r.ok ? "done" : "error");
      if (!r.ok) { clear(resultsEl); resultsEl.appendChild(text("p", r.body, "error")); statusEl.textContent = "error " + r.status + " · " + secs; return; }
      if (r.type.indexOf("json") >= 0) {
        last = JSON.parse(r.body); page = 0;
        var n = last.results ? last.results.bindings.length : 1;
        renderPage();
        statusEl.textContent = (last.results ? n + " rows" : "answer") + " · " + secs;
        if (r.truncated || last.truncated) {
          showNotice("Results capped: the server returned only the first " + n + " rows (X-Stikg-Truncated). " +
                     "Add a LIMIT/OFFSET or narrow the query to see the rest.");
        }
      } else {
        clear(resultsEl); resultsEl.appendChild(text("pre", r.body)); statusEl.textContent = secs;
        if (r.truncated) { showNotice("Results capped by the server (X-Stikg-Truncated): this answer is incomplete."); }
      }
    }).catch(function (e) { statusEl.textContent = "failed: " + e; document.body.setAttribute("data-run", "error"); });
  }

  function download(kind) {
    var name = (usesLibrary() ? current : "query") + "." + kind;
    statusEl.textContent = "preparing " + name + "…";
    request(TYPES[kind]).then(function (response) {
      return response.blob().then(function (blob) { return { ok: response.ok, blob: blob }; });
    }).then(function (r) {
      if (!r.ok) { r.blob.text().then(function (t) { statusEl.textContent = "download failed: " + t; }); return; }
      var a = document.createElement("a");
      a.href = URL.createObjectURL(r.blob); a.download = name;
      document.body.appendChild(a); a.click(); document.body.removeChild(a);
      window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      statusEl.textContent = "downloaded " + name;
    });
  }

  // ---------------------------------------------------------------- permalink and history
  function stateNow() {
    return { query: editor.getValue(), lib: usesLibrary() ? current : "", params: usesLibrary() ? paramValues() : {} };
  }
  function encodeState(s) {
    var q = new URLSearchParams();
    if (s.lib) { q.set("lib", s.lib); } else { q.set("query", s.query); }
    Object.keys(s.params || {}).sort().forEach(function (k) { q.set("p." + k, s.params[k]); });
    return q.toString();
  }
  function permalink() {
    var hash = "#" + encodeState(stateNow());
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", location.pathname + hash); }
    $("permalink").value = location.origin + location.pathname + hash;
    return $("permalink").value;
  }
  function restore(s, andRun) {
    if (s.lib && library[s.lib]) { choose(s.lib, s.params || {}); } else if (s.query) { current = null; editor.setValue(s.query); clear(paramsEl); }
    if (andRun) { run(); }
  }
  function fromHash() {
    var raw = location.hash.slice(1);
    if (!raw) { return null; }
    if (raw.indexOf("=") < 0) {  // the older form: #NAME or #NAME/run
      var parts = decodeURIComponent(raw).split("/");
      return { lib: parts[0], params: {}, run: parts.indexOf("run") >= 0 };
    }
    var q = new URLSearchParams(raw), params = {};
    q.forEach(function (v, k) { if (k.indexOf("p.") === 0) { params[k.slice(2)] = v; } });
    return { lib: q.get("lib") || "", query: q.get("query") || "", params: params, run: q.get("run") === "1" };
  }
  function history() {
    try { return JSON.parse(window.localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  }
  function remember() {
    var s = stateNow(), key = encodeState(s);
    var items = history().filter(function (h) { return encodeState(h) !== key; });
    s.at = new Date().toISOString();
    items.unshift(s);
    try { window.localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(0, HISTORY_MAX))); } catch (e) { /* storage full or off */ }
    renderHistory();
  }
  function renderHistory() {
    var ul = $("history"), items = history();
    clear(ul);
    if (!items.length) { ul.appendChild(text("li", "no queries run yet in this browser", "muted")); return; }
    items.forEach(function (h) {
      var li = document.createElement("li"), a = text("a", h.lib ? h.lib : h.query.replace(/\s+/g, " ").slice(0, 90));
      a.href = "#" + encodeState(h);
      a.addEventListener("click", function (ev) { ev.preventDefault(); restore(h, false); permalink(); });
      li.appendChild(a);
      if (h.params && Object.keys(h.params).length) { li.appendChild(text("span", " " + new URLSearchParams(h.params).toString(), "muted")); }
      li.appendChild(text("span", " · " + (h.at || "").replace("T", " ").slice(0, 16), "muted"));
      ul.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- library parameters
  function choose(name, values) {
    var q = library[name];
    if (!q) { return; }
    current = name;
    editor.setValue(q.text);
    clear(paramsEl);
    if (q.parameters.length) { paramsEl.appendChild(text("h3", (q.title || name) + " — parameters")); }
    q.parameters.forEach(function (p) {
      var label = text("label", p.name + " "), input = document.createElement("input");
      label.appendChild(text("span", "(" + p.type + (p.optional ? ", optional" : "") + ")", "muted"));
      input.name = p.name;
      input.type = p.type === "integer" ? "number" : "text";
      input.placeholder = p.default || (p.optional ? "optional" : "required");
      input.title = p.description || "";
      input.value = (values && values[p.name]) || "";
      input.setAttribute("data-param", p.name);
      label.appendChild(input);
      if (p.description) { label.appendChild(text("small", p.description, "muted")); }
      paramsEl.appendChild(label);
    });
  }

  $("run").addEventListener("click", run);
  $("prev").addEventListener("click", function () { page--; renderPage(); });
  $("next").addEventListener("click", function () { page++; renderPage(); });
  ["csv", "tsv", "json"].forEach(function (k) { $("dl-" + k).addEventListener("click", function () { download(k); }); });
  $("make-permalink").addEventListener("click", function () { permalink(); $("permalink").select(); });
  $("clear-history").addEventListener("click", function () { window.localStorage.removeItem(HISTORY_KEY); renderHistory(); });
  $("library").addEventListener("click", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-name");
    if (name) { event.preventDefault(); choose(name, {}); permalink(); }
  });
  renderHistory();
  fetch("/library").then(function (r) { return r.json(); }).then(function (items) {
    items.forEach(function (q) { library[q.name] = q; });
    var s = fromHash();
    if (s) { restore(s, s.run); }
    document.body.setAttribute("data-ready", "1");
    // a permalink opened on this page (typed, pasted, or a link) takes effect without a reload
    window.addEventListener("hashchange", function () { var h = fromHash(); if (h) { restore(h, h.run); } });
  });
})();
