// chartdesk keyboard shortcuts. No inline scripts anywhere (the content security
// policy forbids them); this file only adds keys to what plain HTML already does.
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] > [data-item]"));
  }

  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    var el = list[index];
    var link = el.querySelector("a[data-open], a");
    (link || el).focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].getAttribute("aria-selected") === "true" || list[i].contains(document.activeElement)) return i;
    }
    return -1;
  }

  function help(show) {
    var box = document.getElementById("help");
    if (!box) return;
    box.hidden = !show;
    if (show) box.focus();
  }

  function clickKey(key) {
    var target = document.querySelector('[data-key="' + key + '"]');
    if (!target) return false;
    target.click();
    var then = target.getAttribute("data-then-focus");
    if (then && document.getElementById(then)) document.getElementById(then).focus();
    return true;
  }

  function focusShortcut(key) {
    var selector = "[data-shortcut='" + key + "']";
    var box = document.querySelector("main " + selector) || document.querySelector(selector);
    if (!box) return false;
    box.focus();
    if (box.select) box.select();
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape") {
      help(false);
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(ev.target)) return;
    var list = items();
    switch (ev.key) {
      case "/": case "c": case "m":
        if (focusShortcut(ev.key)) ev.preventDefault();
        return;
      case "j": ev.preventDefault(); select(list, current(list) + 1); return;
      case "k": ev.preventDefault(); select(list, current(list) - 1); return;
      case "Enter": {
        var i = current(list);
        if (i >= 0 && document.activeElement === list[i]) {
          var link = list[i].querySelector("a[data-open], a");
          if (link) { ev.preventDefault(); link.click(); }
        }
        return;
      }
      case "?": ev.preventDefault(); help(true); return;
      case "[": case "]": case "n": case "p":
        if (clickKey(ev.key)) ev.preventDefault();
        return;
      default:
        if (/^[1-9]$/.test(ev.key) && clickKey(ev.key)) ev.preventDefault();
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.closest && t.closest("[data-close-help]")) help(false);
    if (t.closest && t.closest("[data-back]") && window.history.length > 1) { ev.preventDefault(); window.history.back(); }
    var choose = t.closest && t.closest("[data-fill]");
    if (choose) {
      var field = document.getElementById(choose.getAttribute("data-fill"));
      if (field) { field.value = choose.getAttribute("data-value"); field.dispatchEvent(new Event("change")); }
    }
  });

  // Forms that must be confirmed say so in data-confirm.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  // Select-all checkbox for lists of documents (release of information).
  document.addEventListener("change", function (ev) {
    var all = ev.target;
    if (all.matches && all.matches("[data-check-all]")) {
      document.querySelectorAll("input[name='" + all.getAttribute("data-check-all") + "']").forEach(function (b) { b.checked = all.checked; });
    }
  });
})();
