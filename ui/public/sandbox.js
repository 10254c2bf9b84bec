// @ts-check
// Quire's output sandbox. This page runs in <iframe sandbox="allow-scripts">
// (no allow-same-origin: its origin is opaque, so nothing here can reach
// Quire's cookies, storage or API). The notebook page posts one message,
// {type: "render", html?, js?, css?, dark?}; the HTML is written into the
// body with its <script> tags run in order, the JavaScript runs with
// `element` bound to its output div (as in Jupyter). The content height is
// reported back with {type: "quire-output-height", height}.
// A classic script on purpose: module scripts would need CORS from an
// opaque origin.
"use strict";
(function () {
  var rendered = false;
  var lastHeight = -1;
  var pendingFrame = 0;

  function setTheme(/** @type {boolean} */ dark) {
    var root = document.documentElement;
    root.style.colorScheme = dark ? "dark" : "light";
    root.style.background = dark ? "#16181c" : "#ffffff";
    root.style.color = dark ? "#e3e6ea" : "#1d2126";
  }
  setTheme(false);

  function reportHeight() {
    pendingFrame = 0;
    var b = document.body;
    if (!b) return;
    var h = Math.ceil(Math.max(b.scrollHeight, b.getBoundingClientRect().height));
    if (h !== lastHeight) {
      lastHeight = h;
      parent.postMessage({ type: "quire-output-height", height: h }, "*");
    }
  }
  function scheduleHeight() {
    if (!pendingFrame) pendingFrame = requestAnimationFrame(reportHeight);
  }

  /** runScripts replaces each inert <script> under root by a live copy, in order. */
  async function runScripts(/** @type {ParentNode} */ root) {
    var scripts = Array.prototype.slice.call(root.querySelectorAll("script"));
    for (var i = 0; i < scripts.length; i++) {
      /** @type {HTMLScriptElement} */
      var old = scripts[i];
      var s = document.createElement("script");
      for (var j = 0; j < old.attributes.length; j++) {
        var a = old.attributes[j];
        s.setAttribute(a.name, a.value);
      }
      if (old.src) {
        s.async = false;
        var done = new Promise(function (resolve) {
          s.addEventListener("load", resolve);
          s.addEventListener("error", resolve);
        });
        old.replaceWith(s);
        await done;
      } else {
        s.text = old.text;
        old.replaceWith(s);
      }
    }
  }

  /** render writes the HTML, then runs the JavaScript. */
  async function render(/** @type {{html?: unknown, js?: unknown, css?: unknown, dark?: unknown}} */ d) {
    setTheme(d.dark === true);
    if (typeof d.css === "string" && d.css) {
      var st = document.createElement("style");
      st.textContent = d.css;
      document.head.appendChild(st);
    }
    if (typeof d.html === "string" && d.html) {
      var box = document.createElement("div");
      box.className = "output_html";
      box.innerHTML = d.html; // scripts parsed this way are inert; runScripts revives them
      document.body.appendChild(box);
      await runScripts(box);
    }
    if (typeof d.js === "string" && d.js) {
      var el = document.createElement("div");
      el.className = "output_javascript";
      document.body.appendChild(el);
      /** @type {any} */ (window).__quireElement = el;
      var s = document.createElement("script");
      s.text =
        "(function (element) {\n" +
        d.js +
        "\n}).call(window.__quireElement, window.__quireElement);";
      document.body.appendChild(s);
    }
    scheduleHeight();
  }

  window.addEventListener("message", function (ev) {
    if (ev.source !== window.parent) return;
    var d = ev.data;
    if (!d || typeof d !== "object" || d.type !== "render" || rendered) return;
    rendered = true;
    render(d).catch(function (e) {
      console.error(e);
    });
  });

  function observe() {
    var b = document.body;
    b.style.margin = "0";
    b.style.padding = "2px";
    b.style.overflowWrap = "anywhere";
    b.style.fontFamily = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif';
    b.style.fontSize = "14px";
    if (typeof ResizeObserver === "function") new ResizeObserver(scheduleHeight).observe(b);
    new MutationObserver(scheduleHeight).observe(b, { childList: true, subtree: true, attributes: true, characterData: true });
    window.addEventListener("load", scheduleHeight);
    scheduleHeight();
  }
  if (document.body) observe();
  else document.addEventListener("DOMContentLoaded", observe);
})();
