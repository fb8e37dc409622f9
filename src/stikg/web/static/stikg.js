// The stikg query page: library list, CodeMirror editor, results as a table. No network beyond this server.
(function () {
  "use strict";
  var editor = CodeMirror.fromTextArea(document.getElementById("query"), {
    mode: "application/sparql-query", lineNumbers: true, matchBrackets: true,
    extraKeys: { "Ctrl-Enter": run, "Cmd-Enter": run }
  });
  var library = {};
  var current = null;
  var statusEl = document.getElementById("status");
  var resultsEl = document.getElementById("results");
  var paramsEl = document.getElementById("params");

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function shorten(term) {
    if (!term) { return ""; }
    if (term.type === "uri") {
      var m = /^https:\/\/w3id\.org\/stikg\/(ontology#|[a-z]+\/)(.*)$/.exec(term.value);
      if (m) { return (m[1] === "ontology#" ? "stikg:" : m[1].replace("/", ":")) + m[2]; }
    }
    return term.value;
  }

  function renderJson(data) {
    resultsEl.innerHTML = "";
    if (data.boolean !== undefined) { resultsEl.appendChild(text("p", String(data.boolean))); return; }
    var vars = data.head.vars, rows = data.results.bindings;
    var table = document.createElement("table"), head = document.createElement("tr");
    vars.forEach(function (v) { head.appendChild(text("th", v)); });
    table.appendChild(head);
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      vars.forEach(function (v) {
        var t = row[v];
        var numeric = t && t.datatype && /#(integer|decimal|double|float)$/.test(t.datatype);
        var td = text("td", shorten(t), numeric ? "num" : "");
        if (t && t.type === "uri") { td.title = t.value; }
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    resultsEl.appendChild(table);
    statusEl.textContent = rows.length + " rows";
  }

  function run() {
    var accept = document.getElementById("accept").value;
    var started = Date.now();
    statusEl.textContent = "running…";
    var request;
    var body = new URLSearchParams();
    body.set("query", editor.getValue());
    var values = {};
    Array.prototype.forEach.call(paramsEl.querySelectorAll("input"), function (input) {
      if (input.value !== "") { values[input.name] = input.value; }
    });
    if (current && editor.getValue() === library[current].text) {
      var qs = new URLSearchParams(values).toString();
      request = fetch("/library/" + encodeURIComponent(current) + (qs ? "?" + qs : ""), { headers: { Accept: accept } });
    } else {
      request = fetch("/sparql", { method: "POST", body: body, headers: { Accept: accept } });
    }
    request.then(function (response) {
      return response.text().then(function (body) { return { ok: response.ok, type: response.headers.get("Content-Type") || "", body: body }; });
    }).then(function (r) {
      var secs = ((Date.now() - started) / 1000).toFixed(2) + " s";
      if (!r.ok) { resultsEl.innerHTML = ""; resultsEl.appendChild(text("p", r.body, "error")); statusEl.textContent = secs; return; }
      if (r.type.indexOf("json") >= 0) { renderJson(JSON.parse(r.body)); statusEl.textContent += " · " + secs; }
      else { resultsEl.innerHTML = ""; resultsEl.appendChild(text("pre", r.body)); statusEl.textContent = secs; }
    }).catch(function (e) { statusEl.textContent = "failed: " + e; });
  }

  function choose(name) {
    var q = library[name];
    if (!q) { return; }
    current = name;
    editor.setValue(q.text);
    paramsEl.innerHTML = "";
    q.parameters.forEach(function (p) {
      var label = text("label", p.name + " (" + p.type + ") ");
      var input = document.createElement("input");
      input.name = p.name;
      input.placeholder = p.default || (p.optional ? "optional" : "required");
      input.title = p.description || "";
      label.appendChild(input);
      paramsEl.appendChild(label);
    });
  }

  document.getElementById("run").addEventListener("click", run);
  document.getElementById("library").addEventListener("click", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-name");
    if (name) { event.preventDefault(); choose(name); }
  });
  // #NAME opens a library query, #NAME/run (or #run) also runs it: shareable links.
  fetch("/library").then(function (r) { return r.json(); }).then(function (items) {
    items.forEach(function (q) { library[q.name] = q; });
    var hash = decodeURIComponent(location.hash.slice(1)).split("/");
    if (hash[0] && library[hash[0]]) { choose(hash[0]); }
    if (hash.indexOf("run") >= 0) { run(); }
  });
})();
