// scholarpage paper list: progressive enhancement only. Without JavaScript every paper, abstract
// and BibTeX entry is in the page; this adds the light/dark toggle, folding, search, filters,
// sorting, URL state and copy-BibTeX. No framework, no network requests.
(function () {
  "use strict";
  var doc = document, root = doc.documentElement, KEY = "scholarpage-theme";
  root.classList.add("js");
  function all(sel, el) { return Array.prototype.slice.call((el || doc).querySelectorAll(sel)); }
  function one(sel, el) { return (el || doc).querySelector(sel); }

  // Light/dark: the system preference unless the reader chose; the choice is remembered.
  var toggle = one("[data-theme-toggle]");
  if (toggle) {
    var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    var isDark = function () {
      var chosen = root.getAttribute("data-theme");
      return chosen ? chosen === "dark" : !!(media && media.matches);
    };
    var show = function () { toggle.setAttribute("aria-pressed", isDark() ? "true" : "false"); };
    toggle.hidden = false;
    show();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: not remembered */ }
      show();
    });
    if (media && media.addEventListener) { media.addEventListener("change", show); }
  }

  // Copy BibTeX (the clipboard API needs a secure context; fall back to a hidden textarea).
  function fallbackCopy(text) {
    var area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    doc.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
    doc.body.removeChild(area);
    return ok;
  }
  // `scope` and what is inside it (the whole page first, then parts a live preview replaced)
  function within(sel, scope) {
    var found = all(sel, scope);
    if (scope && scope.matches && scope.matches(sel)) { found.unshift(scope); }
    return found;
  }
  function enhanceCopy(scope) {
    within("[data-copy]", scope).forEach(function (button) {
      if (button.__copy || !doc.getElementById(button.getAttribute("data-copy"))) { return; }
      button.__copy = true;
      var label = button.firstChild.nodeValue;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = doc.getElementById(button.getAttribute("data-copy"));
        var text = source ? source.textContent : "";
        var done = function (ok) {
          button.firstChild.nodeValue = ok ? "Copied" : "Copy failed";
          setTimeout(function () { button.firstChild.nodeValue = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { done(true); },
            function () { done(fallbackCopy(text)); });
        } else {
          done(fallbackCopy(text));
        }
      });
    });
  }
  enhanceCopy(null);

  // Abstracts: long ones fold to a few lines (scholar); <details> ones open natively (classic).
  // Fold first, measure all, then add buttons: one layout for the whole list, not one per item.
  var folds = [];
  var allOpen = false;
  function enhanceFolds(scopes) {
    var boxes = [];
    scopes.forEach(function (scope) { boxes = boxes.concat(within(".abstract", scope)); });
    boxes = boxes.filter(function (box) { return box.tagName !== "DETAILS" && !box.__fold; });
    boxes.forEach(function (box) { box.__fold = true; box.classList.add("folded"); });
    var long = boxes.map(function (box) {
      var text = one("p", box) || box;
      return text.scrollHeight > text.clientHeight + 2;
    });
    boxes.forEach(function (box, i) { foldable(box, long[i]); });
  }
  function foldable(box, long) {
    if (!long) { box.classList.remove("folded"); return; }
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "fold-toggle";
    button.setAttribute("aria-expanded", "false");
    if (box.id) { button.setAttribute("aria-controls", box.id); }
    button.textContent = "Show more";
    var set = function (open) {
      box.classList.toggle("folded", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Show less" : "Show more";
    };
    set.box = box;
    button.addEventListener("click", function () { set(box.classList.contains("folded")); });
    box.appendChild(button);
    folds.push(set);
    if (allOpen) { set(true); }
  }
  enhanceFolds([null]);
  var expandAll = one("[data-expand-all]");
  if (expandAll) {
    var labelAll = expandAll.textContent;
    expandAll.addEventListener("click", function () {
      var open = expandAll.getAttribute("aria-pressed") !== "true";
      allOpen = open;
      folds = folds.filter(function (set) { return set.box.isConnected; });
      folds.forEach(function (set) { set(open); });
      all("details.abstract").forEach(function (d) { d.open = open; });
      expandAll.setAttribute("aria-pressed", open ? "true" : "false");
      expandAll.textContent = open ? labelAll.replace("Expand", "Collapse") : labelAll;
    });
  }

  // Live preview (scholarpage serve) replaces only the changed parts of the page: enhance those,
  // and keep the paper list's state; a change to what this script holds on to needs a reload.
  // A newer copy of this script (after a whole-page swap) takes over from this one.
  var me = {};
  window.__scholarpageSite = me;
  var HELD = "[data-controls],[data-paper-list],[data-group],[data-expand-all]," +
    "[data-theme-toggle],[data-count],[data-no-results],[data-reset]";
  var listChanged = null;
  doc.addEventListener("scholarpage:morph", function (event) {
    if (window.__scholarpageSite !== me) { return; }
    var held = event.detail.elements.some(function (el) {
      return el.matches(HELD) || !!one(HELD, el);
    });
    if (held) { event.preventDefault(); }
  });
  doc.addEventListener("scholarpage:morphed", function (event) {
    if (window.__scholarpageSite !== me) { return; }
    var pairs = event.detail.pairs;
    pairs.forEach(function (p) { enhanceCopy(p["new"]); });
    enhanceFolds(pairs.map(function (p) { return p["new"]; }));
    if (listChanged) { listChanged(pairs); }
  });

  // Search, filters and sort over [data-paper-list] items; the state lives in the query string.
  var form = one("[data-controls]");
  var list = one("[data-paper-list]");
  if (!form || !list) { return; }
  var items = all("[data-key]", list);
  var total = items.length;
  var count = one("[data-count]");
  var empty = one("[data-no-results]");
  var groups = all("[data-group]", list);
  var flat = null;
  var homes = items.map(function (item) { return item.parentNode; });
  var homeOf = new Map(items.map(function (item, i) { return [item, homes[i]]; }));
  var fields = ["q", "category", "year", "type", "sort"];
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var haystacks = items.map(function (item) {
    return fold(item.textContent + " " + (item.getAttribute("data-authors") || ""));
  });
  function control(name) { return form.elements.namedItem(name); }
  function value(name) { var c = control(name); return c ? c.value.trim() : ""; }
  function numeric(item, attr) {
    var v = parseFloat(item.getAttribute(attr));
    return isNaN(v) ? -Infinity : v;
  }
  var sorters = {
    date: function (a, b) {
      var x = a.getAttribute("data-date"), y = b.getAttribute("data-date");
      return x < y ? 1 : x > y ? -1 : 0;
    },
    score: function (a, b) { return numeric(b, "data-score") - numeric(a, "data-score"); },
    citations: function (a, b) { return numeric(b, "data-citations") - numeric(a, "data-citations"); }
  };
  function order(a, b) { return +a.getAttribute("data-index") - +b.getAttribute("data-index"); }

  // the page is served in the site's order; a sort other than that moves items
  var placed = "";
  function apply(updateUrl) {
    var words = fold(value("q")).split(/\s+/).filter(Boolean);
    var want = { category: value("category"), year: value("year"), type: value("type") };
    var shown = 0;
    items.forEach(function (item, i) {
      var ok = words.every(function (w) { return haystacks[i].indexOf(w) >= 0; });
      Object.keys(want).forEach(function (k) {
        if (want[k] && item.getAttribute("data-" + k) !== want[k]) { ok = false; }
      });
      item.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var sort = value("sort");
    if (sort === placed) {
      // same order as already in the page: only visibility changed, move nothing
      groups.forEach(function (g) { g.hidden = !one("[data-key]:not([hidden])", g); });
      report(shown, updateUrl);
      return;
    }
    placed = sort;
    var sorted = items.slice().sort(function (a, b) {
      return (sorters[sort] ? sorters[sort](a, b) : 0) || order(a, b);
    });
    if (groups.length && sorters[sort]) {
      // a list grouped by year becomes one flat list while sorted another way
      if (!flat) {
        flat = doc.createElement("ol");
        flat.className = homes[0].className + " flat";
        list.insertBefore(flat, list.firstChild);
      }
      flat.hidden = false;
      sorted.forEach(function (item) { flat.appendChild(item); });
      groups.forEach(function (g) { g.hidden = true; });
    } else {
      if (flat) { flat.hidden = true; }
      sorted.forEach(function (item) { homeOf.get(item).appendChild(item); });
      groups.forEach(function (g) { g.hidden = !one("[data-key]:not([hidden])", g); });
    }
    report(shown, updateUrl);
  }

  function report(shown, updateUrl) {
    if (count) {
      count.textContent = shown === total ? "Showing all " + total + " papers"
        : "Showing " + shown + " of " + total + " papers";
    }
    if (empty) { empty.hidden = shown > 0; }
    if (updateUrl) {
      var params = new URLSearchParams(location.search);
      fields.forEach(function (f) { var v = value(f); if (v) { params.set(f, v); } else { params.delete(f); } });
      var query = params.toString();
      try {
        history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
      } catch (e) { /* some file:// setups refuse; the view still works */ }
    }
  }

  var params = new URLSearchParams(location.search);
  fields.forEach(function (f) {
    var c = control(f), v = params.get(f);
    if (!c || v === null) { return; }
    if (c.tagName === "SELECT" && !all("option", c).some(function (o) { return o.value === v; })) {
      return;
    }
    c.value = v;
  });
  form.hidden = false;
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("change", function () { apply(true); });
  var reset = one("[data-reset]");
  if (reset) {
    reset.addEventListener("click", function () { form.reset(); apply(true); control("q").focus(); });
  }
  apply(false);

  listChanged = function (pairs) {
    var moved = false;
    pairs.forEach(function (p) {
      var i = items.indexOf(p.old);
      if (i >= 0) {  // a whole item was replaced: it takes the old one's place and home
        items[i] = p["new"];
        homeOf.set(p["new"], homeOf.get(p.old));
        homeOf.delete(p.old);
        moved = true;
      }
      var item = p["new"].closest("[data-key]");
      var at = item ? items.indexOf(item) : -1;
      if (at >= 0) {
        haystacks[at] = fold(item.textContent + " " + (item.getAttribute("data-authors") || ""));
      }
    });
    if (moved && placed) { placed = null; }  // its date or score may have changed: sort again
    apply(false);
  };
})();
