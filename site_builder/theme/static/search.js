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
  var SHOWN = 20; // results shown at most

  function say(text) { status.textContent = text; }

  function showAll() {
    results.hidden = true;
    results.textContent = "";
    all.hidden = false;
    say("Type to search. Every article and company is listed below.");
  }

  /* The excerpt is HTML with <mark> around matches: keep its text and marks only. Where Pagefind cut it out of
     a longer text, an ellipsis marks the cut (it cuts between words, at either end). */
  function excerpt(html, content) {
    var p = document.createElement("p");
    var doc = new DOMParser().parseFromString("<body>" + html + "</body>", "text/html");
    var cut = cuts(doc.body.textContent, content || "");
    if (cut.before) p.appendChild(document.createTextNode("\u2026 "));
    doc.body.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    if (cut.after) p.appendChild(document.createTextNode("\u2026"));
    return p;
  }

  /* Whether the excerpt's words start after the first word of the page's text, and end before its last. */
  function cuts(text, content) {
    var shown = text.split(/\s+/).filter(Boolean);
    var all = content.split(/\s+/).filter(Boolean);
    if (!shown.length) return { before: false, after: false };
    for (var i = 0; i + shown.length <= all.length; i++) {
      var j = 0;
      while (j < shown.length && all[i + j] === shown[j]) j++;
      if (j === shown.length) return { before: i > 0, after: i + shown.length < all.length };
    }
    return { before: false, after: shown.length < all.length };
  }

  /* Pagefind matches a query word by the stem of the word and, where no word has that stem, by shorter and
     shorter prefixes of it ("Apple" finds "application", "nothingmatcheshere" finds "not"). A result is kept
     only when every word of the query is a word of its text or title, or the start of one (so a word being
     typed finds its completions), or the plural of one; a word of a script written without spaces (Chinese,
     Japanese, Thai...) must occur in the text as it is. */
  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  var UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

  function fold(text) { return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase(); }

  function terms(query) { return fold(query).match(WORD) || []; }

  function matches(data, wanted) {
    var text = fold((data.meta && data.meta.title || "") + " " + (data.content || ""));
    var words = text.match(WORD) || [];
    return wanted.every(function (term) {
      if (UNSPACED.test(term)) return text.indexOf(term) >= 0;
      return words.some(function (word) {
        if (word.lastIndexOf(term, 0) === 0) return true;
        var rest = term.slice(word.length);
        return word.length >= 3 && (rest === "s" || rest === "es") && term.lastIndexOf(word, 0) === 0;
      });
    });
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /* "2026-01-15T23:42:00+08:00" -> "15 Jan 2026": the publisher's local date, as the site's lists show it. */
  function shortDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? Number(m[3]) + " " + MONTHS[Number(m[2]) - 1] + " " + m[1] : "";
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
    var meta = data.meta || {};
    if (meta.date || meta.source) {
      var line = document.createElement("p");
      line.className = "result-meta";
      if (meta.source) line.appendChild(document.createTextNode(meta.source));
      if (meta.date && shortDate(meta.date)) {
        if (meta.source) line.appendChild(document.createTextNode(" \u00b7 "));
        var time = document.createElement("time");
        time.dateTime = meta.date;
        time.textContent = shortDate(meta.date);
        line.appendChild(time);
      }
      li.appendChild(line);
    }
    li.appendChild(excerpt(data.excerpt || "", data.content));
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
    var wanted = terms(query);
    var shown = [];
    var checked = 0;
    while (shown.length < SHOWN && checked < found.results.length) { // load results a batch at a time
      var batch = found.results.slice(checked, checked + SHOWN);
      checked += batch.length;
      var data = await Promise.all(batch.map(function (r) { return r.data(); }));
      if (ticket !== latest) return;
      data.forEach(function (d) { if (shown.length < SHOWN && matches(d, wanted)) shown.push(d); });
    }
    results.textContent = "";
    shown.forEach(function (d) { results.appendChild(item(d)); });
    results.hidden = shown.length === 0;
    all.hidden = shown.length > 0;
    var quoted = "\u201c" + query + "\u201d";
    say(shown.length === 0 ? "No results for " + quoted + ". Every article and company is listed below."
      : checked < found.results.length ? "The first " + shown.length + " results for " + quoted + "."
      : shown.length + (shown.length === 1 ? " result" : " results") + " for " + quoted + ".");
  }

  async function start() {
    if (window.location.protocol === "file:") {
      say("Search needs the site to be served over http(s); every article and company is listed below.");
      return;
    }
    try {
      pagefind = await import(new URL("pagefind/pagefind.js", root).href);
      await pagefind.options({ excerptLength: 30 });
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
