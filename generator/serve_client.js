// scholarpage serve's live-reload client, inlined by the HTTP handler into every served page
// (never into `scholarpage build` output). It listens to the server's events: a failed rebuild
// is shown as an overlay; a stylesheet change swaps the stylesheets; a change to this page
// replaces only the parts of <body> that differ (keeping what the reader typed, and site.js's
// state), or the whole <body> when that cannot be followed.
(function () {
  "use strict";
  var me = document.currentScript;
  var seen = Number(me.getAttribute("data-build"));
  var htmlSeen = seen;
  var mount = me.getAttribute("data-mount") || "/";
  var source = new EventSource(me.getAttribute("data-events"));
  var OVERLAY = "__scholarpage-overlay";
  var LIVE = "script[data-scholarpage-live]";
  var ANCHORS = "[id],[data-key]";
  function hide() { var old = document.getElementById(OVERLAY); if (old) { old.remove(); } }
  function show(errors) {
    hide();
    var box = document.createElement("div");
    box.id = OVERLAY;
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0 0 auto 0;z-index:2147483647;max-height:70vh;" +
      "overflow:auto;margin:0;padding:1rem 1.25rem;background:#7f1d1d;color:#fff;" +
      "font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 2px 12px #0008";
    var head = document.createElement("strong");
    head.textContent = "scholarpage: the rebuild failed (the last good version is shown)\n\n";
    box.appendChild(head);
    errors.forEach(function (e) { box.appendChild(document.createTextNode(e.text + "\n")); });
    document.documentElement.appendChild(box);
  }
  function swapCss(build) {
    document.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
      var url = new URL(link.href);
      url.searchParams.set("__build", String(build));
      var next = link.cloneNode();
      next.href = url.href;
      next.addEventListener("load", function () { link.remove(); });
      next.addEventListener("error", function () { link.remove(); });
      link.after(next);
    });
  }

  // Anchors: elements a changed part of the page is replaced by (an id, a data-key, or a child
  // of <body>), named the same way in the page as served, the next version and the live page.
  function anchors(body) {
    var byKey = new Map(), keyOf = new Map(), counts = new Map(), top = 0;
    function name(el, base) {
      var n = counts.get(base) || 0;
      counts.set(base, n + 1);
      var key = n ? base + "^" + n : base;
      byKey.set(key, el);
      keyOf.set(el, key);
    }
    Array.prototype.forEach.call(body.children, function (el) {
      if (el.matches(LIVE) || el.id === OVERLAY) { return; }
      top += 1;
      if (!el.id && !el.hasAttribute("data-key")) { name(el, "~" + top); }
    });
    body.querySelectorAll(ANCHORS).forEach(function (el) {
      if (el.id === OVERLAY || keyOf.has(el)) { return; }
      name(el, el.id ? "#" + el.id : "@" + el.getAttribute("data-key"));
    });
    return {byKey: byKey, keyOf: keyOf};
  }
  // a body as served: without this script or the white space around it (parsed into the page
  // only after this script runs)
  function bare(body) {
    body.querySelectorAll(LIVE).forEach(function (s) { s.remove(); });
    while (body.lastChild && body.lastChild.nodeType === 3 && !body.lastChild.nodeValue.trim()) {
      body.lastChild.remove();
    }
    return body;
  }
  function pristine(body) { return bare(body.cloneNode(true)); }
  // the page as the server sent it (before site.js changed it), and where its anchors are now
  var served = pristine(document.body);
  var live = anchors(document.body).byKey;

  function sameTag(a, b) {
    if (a.tagName !== b.tagName || a.attributes.length !== b.attributes.length) { return false; }
    for (var i = 0; i < a.attributes.length; i++) {
      if (b.getAttribute(a.attributes[i].name) !== a.attributes[i].value) { return false; }
    }
    return true;
  }
  // The served anchors whose content differs in `next`; null when <body> itself changed.
  function changedAnchors(next) {
    var keyOf = anchors(served).keyOf, found = [];
    function mark(el) {
      while (el && !keyOf.has(el)) { el = el.parentElement; }
      if (!el || el === served) { return false; }
      found.push(el);
      return true;
    }
    function diff(a, b) {
      var xs = a.childNodes, ys = b.childNodes;
      if (xs.length !== ys.length) { return mark(a); }
      for (var i = 0; i < xs.length; i++) {
        var x = xs[i], y = ys[i];
        if (x.nodeType !== y.nodeType) { return mark(a); }
        if (x.nodeType !== 1) {
          if (x.nodeValue !== y.nodeValue) { return mark(a); }
        } else if (!x.isEqualNode(y)) {
          if (!(sameTag(x, y) ? diff(x, y) : mark(x))) { return false; }
        }
      }
      return true;
    }
    if (!sameTag(served, next) || !diff(served, next)) { return null; }
    return found.filter(function (el) {
      return !found.some(function (other) { return other !== el && other.contains(el); });
    });
  }
  // Replace only the changed anchors; false when the whole <body> must be swapped instead.
  function morph(doc) {
    var next = doc.body;
    var changed = changedAnchors(next);
    if (changed === null) { return false; }
    var nextKeys = anchors(next), servedKeys = anchors(served).keyOf, pairs = [];
    for (var i = 0; i < changed.length; i++) {
      var key = servedKeys.get(changed[i]);
      var now = live.get(key), fresh = nextKeys.byKey.get(key);
      if (!now || !fresh || !document.body.contains(now) || now.tagName !== fresh.tagName ||
          fresh.matches("script") || fresh.querySelector("script")) {
        return false;
      }
      pairs.push({old: now, "new": fresh, key: key});
    }
    if (!pairs.length) { served = next; return true; }
    var ask = new CustomEvent("scholarpage:morph", {cancelable: true,
      detail: {elements: pairs.map(function (p) { return p.old; })}});
    if (!document.dispatchEvent(ask)) { return false; }  // a script cannot follow this change
    pairs.forEach(function (p) {
      var fresh = document.importNode(p["new"], true);
      keepValues(p.old, fresh);
      p.old.replaceWith(fresh);
      var inside = p["new"].querySelectorAll(ANCHORS), copies = fresh.querySelectorAll(ANCHORS);
      live.set(p.key, fresh);
      for (var j = 0; j < inside.length; j++) {
        var k = nextKeys.keyOf.get(inside[j]);
        if (k) { live.set(k, copies[j]); }
      }
      p["new"] = fresh;
    });
    served = next;
    document.dispatchEvent(new CustomEvent("scholarpage:morphed", {detail: {pairs: pairs}}));
    return true;
  }
  // what the reader typed or chose in a replaced form control stays
  function keepValues(old, fresh) {
    var sel = "input[name],select[name],textarea[name]";
    var olds = old.matches(sel) ? [old] : Array.prototype.slice.call(old.querySelectorAll(sel));
    olds.forEach(function (o) {
      var n = fresh.matches(sel) && fresh.name === o.name ? fresh
        : fresh.querySelector('[name="' + CSS.escape(o.name) + '"]');
      if (!n || o.type === "hidden" || n.value === o.value) { return; }
      if (n.tagName === "SELECT" && !Array.prototype.some.call(n.options, function (opt) {
        return opt.value === o.value; })) { return; }
      n.value = o.value;
    });
  }
  function swapBody(doc) {
    var y = window.scrollY;
    document.body.replaceWith(doc.body);
    served = pristine(document.body);
    live = anchors(document.body).byKey;
    document.body.querySelectorAll("script").forEach(function (old) {
      var fresh = document.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (a) {
        fresh.setAttribute(a.name, a.value);
      });
      fresh.textContent = old.textContent;
      old.replaceWith(fresh);
    });
    window.scrollTo(0, y);
  }
  function swapPage(whole) {
    fetch(location.href, {cache: "no-store"}).then(function (response) {
      if (response.redirected) { location.href = response.url; return null; }
      return response.text();
    }).then(function (html) {
      if (html === null) { return; }
      var doc = new DOMParser().parseFromString(html, "text/html");
      bare(doc.body);
      document.title = doc.title;
      if (whole || !morph(doc)) { swapBody(doc); }
      document.dispatchEvent(new CustomEvent("scholarpage:updated"));
    }).catch(function () { location.reload(); });
  }
  // this page's output path (as the server lists changed files), or null if not known
  function here() {
    var path;
    try { path = decodeURIComponent(location.pathname); } catch (e) { return null; }
    if (path.slice(0, mount.length) !== mount) { return null; }
    path = path.slice(mount.length);
    return path === "" || path.slice(-1) === "/" ? path + "index.html" : path;
  }
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (state.errors.length) { show(state.errors); return; }
    hide();
    if (state.html_build > htmlSeen) {
      // the list of changed files is complete for this page if it saw the build before
      var list = state.previous === seen ? state.changed : null;
      var path = here();
      var scripts = state.scripts > seen;
      if (scripts || !list || path === null || list.indexOf(path) >= 0) {
        swapPage(scripts);
      } else if (list.some(function (p) { return /\.css$/.test(p); })) {
        swapCss(state.build);
      }
    }
    else if (state.build > seen) { swapCss(state.build); }
    seen = state.build;
    htmlSeen = state.html_build;
  };
})();
