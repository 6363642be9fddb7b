/* site-builder search page: searches the Pagefind index as you type. Without JavaScript, or where the index
   cannot load (a site opened from disk, a build without Pagefind), the page keeps its full list of links. */
(function () {
  "use strict";
  var script = document.currentScript;
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var results = document.getElementById("search-results");
  var all = document.getElementById("search-all");
  if (!script || !input || !status || !results || !all) return;
  var root = new URL("../", script.src); // this file is static/search.js: the site root is one folder up
  var pagefind = null;
  var latest = 0;

  function say(text) { status.textContent = text; }

  function showAll() {
    results.hidden = true;
    results.textContent = "";
    all.hidden = false;
    say("Type to search. Every article and company is listed below.");
  }

  /* The excerpt is HTML with <mark> around matches: keep its text and marks only. */
  function excerpt(html) {
    var p = document.createElement("p");
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    doc.body.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function item(data) {
    var li = document.createElement("li");
    var kind = document.createElement("span");
    kind.className = "kicker";
    kind.textContent = data.url.indexOf("/companies/") >= 0 ? "Company" : "Article";
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = (data.meta && data.meta.title) || data.url;
    var heading = document.createElement("h2");
    heading.className = "result-title";
    heading.appendChild(a);
    li.appendChild(kind);
    li.appendChild(heading);
    li.appendChild(excerpt(data.excerpt || ""));
    return li;
  }

  function remember(query) {
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  }

  async function run() {
    var query = input.value.trim();
    var ticket = ++latest;
    remember(query);
    if (!query) { showAll(); return; }
    var found = await pagefind.search(query);
    if (ticket !== latest || !found) return; // a newer keystroke has taken over
    var data = await Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
    if (ticket !== latest) return;
    results.textContent = "";
    data.forEach(function (d) { results.appendChild(item(d)); });
    results.hidden = data.length === 0;
    all.hidden = data.length > 0;
    say(found.results.length === 0 ? "No results for \u201c" + query + "\u201d. Every article and company is listed below."
      : found.results.length + (found.results.length === 1 ? " result" : " results") + " for \u201c" + query + "\u201d.");
  }

  async function start() {
    if (window.location.protocol === "file:") {
      say("Search needs the site to be served over http(s); every article and company is listed below.");
      return;
    }
    try {
      pagefind = await import(new URL("pagefind/pagefind.js", root).href);
      await pagefind.options({ excerptLength: 24 });
      await pagefind.init();
    } catch (error) {
      say("Search is unavailable on this copy of the site; every article and company is listed below.");
      return;
    }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    input.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    var initial = new URL(window.location.href).searchParams.get("q");
    if (initial) input.value = initial;
    if (input.value.trim()) run(); else showAll();
  }

  start();
})();
