"""Inline CSS and JS of the HTML report (:mod:`.report`).

The JS reads the JSON in ``#report-data``, fills the sortable video list
and draws a video's page when the address ends in ``#video=<name>``;
``#summary``, ``#diagnosis`` and ``#videos`` show one section each.
"""

REPORT_CSS = '''
body{font-family:system-ui,sans-serif;margin:0 2em 2em;color:#222}
header{border-bottom:1px solid #ccc;margin-bottom:1em}
nav a{margin-right:1.5em;font-weight:bold}
section{display:none}section.shown{display:block}
table{border-collapse:collapse;margin:0.8em 0;font-size:0.9em}
caption{text-align:left;font-style:italic;padding:0.3em 0}
th,td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:right}
td:first-child,th:first-child{text-align:left}
thead th{background:#f0f0f0}
#video-list th{cursor:pointer}
#video-list tbody tr:hover{background:#eef}
img.chart{max-width:100%;display:block;margin:1em 0}
img.video{max-width:100%;border:1px solid #ddd}
.note{color:#a00}.missed{color:#a00}.hit{color:#070}
.pager a{margin-right:1em}
ul.sources{font-size:0.85em;color:#555}
'''

REPORT_JS = r'''
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var videos = data.videos;
  var byName = {};
  videos.forEach(function (v, i) { byName[v.name] = i; });
  var sortKey = "name", sortUp = true;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  function videoLink(name) {
    var a = el("a", name);
    a.href = "#video=" + encodeURIComponent(name);
    return a;
  }

  function fillList() {
    var body = document.querySelector("#video-list tbody");
    var rows = videos.slice().sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey];
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return sortUp ? c : -c;
    });
    body.textContent = "";
    rows.forEach(function (v) {
      var tr = el("tr");
      var first = el("td");
      first.appendChild(videoLink(v.name));
      tr.appendChild(first);
      ["duration", "n_gt", "n_det", "tp", "fp", "fn"].forEach(function (k) {
        tr.appendChild(el("td", v[k]));
      });
      body.appendChild(tr);
    });
  }

  document.querySelectorAll("#video-list th").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      sortUp = key === sortKey ? !sortUp : true;
      sortKey = key;
      fillList();
    });
  });

  function table(head, rows, id) {
    var t = el("table");
    t.id = id;
    var tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", h)); });
    var thead = el("thead");
    thead.appendChild(tr);
    t.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) {
        if (c instanceof Node) {
          var td = el("td");
          td.appendChild(c);
          row.appendChild(td);
        } else {
          row.appendChild(el("td", c));
        }
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    return t;
  }

  function showVideo(name) {
    var page = document.getElementById("video-page");
    page.textContent = "";
    var i = byName[name];
    if (i === undefined) {
      page.appendChild(el("p", "No video named " + name + " in this report."));
      return;
    }
    var v = videos[i];
    var pager = el("p", undefined, "pager");
    var back = el("a", "all videos");
    back.href = "#videos";
    pager.appendChild(back);
    if (i > 0) { pager.appendChild(videoLink(videos[i - 1].name)).textContent = "< " + videos[i - 1].name; }
    if (i + 1 < videos.length) { pager.appendChild(videoLink(videos[i + 1].name)).textContent = videos[i + 1].name + " >"; }
    page.appendChild(pager);
    page.appendChild(el("h2", v.name + " (" + v.duration + " s)"));
    page.appendChild(el("p", v.n_gt + " ground-truth instances (" + v.fn + " missed), " +
      v.n_det + " detections (" + v.tp + " true positives, " + v.fp + " false positives)."));
    if (v.figure) {
      var img = el("img", undefined, "video");
      img.alt = "detections of " + v.name;
      img.src = v.figure;
      page.appendChild(img);
    } else {
      page.appendChild(el("p", "No figure for this video (the report was limited to fewer videos)."));
    }
    page.appendChild(el("h3", "Ground truth"));
    page.appendChild(table(["class", "start (s)", "end (s)", "found"], v.gt.map(function (g) {
      return [g[0], g[1], g[2], el("span", g[3] ? "yes" : "missed", g[3] ? "hit" : "missed")];
    }), "video-gt"));
    page.appendChild(el("h3", "Detections, best first (" + Math.min(v.det.length, v.n_det) + " of " + v.n_det + ")"));
    page.appendChild(table(["class", "start (s)", "end (s)", "score", "outcome"], v.det, "video-det"));
  }

  function route() {
    var hash = decodeURIComponent(window.location.hash.slice(1)) || "summary";
    var target = hash.indexOf("video=") === 0 ? "video-page" : hash;
    if (!document.getElementById(target)) { target = "summary"; }
    document.querySelectorAll("section").forEach(function (s) {
      s.className = s.id === target ? "shown" : "";
    });
    if (target === "video-page") { showVideo(hash.slice(6)); }
  }

  fillList();
  window.addEventListener("hashchange", route);
  route();
})();
'''
