/* The layout's behaviour: the phone Menu button (aria-expanded, Escape closes it) and wide
   tables wrapped in their own scroll box, so a table never makes the page scroll sideways. */
(function () {
  "use strict";

  function setupMenu() {
    var toggle = document.querySelector(".nav-toggle");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }
    function show(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    }
    toggle.addEventListener("click", function () {
      show(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        show(false);
        toggle.focus();
      }
    });
  }

  // A scroll box gets a tab stop (and a name) only while it does scroll, so keyboard users
  // can scroll it and everyone else has no extra stop.
  function markScrollable(box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) {
        var caption = box.querySelector("caption");
        box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
      }
    } else if (box.dataset.wrapped === "1") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
    }
  }

  function wrapTables(root) {
    var scope = root || document;
    var tables = Array.prototype.slice.call(scope.querySelectorAll("main table"));
    if (scope.matches && scope.matches("main table")) {
      tables.push(scope);
    }
    tables.forEach(function (table) {
      var parent = table.parentElement;
      if (parent && parent.classList.contains("table-scroll")) {
        return;
      }
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.dataset.wrapped = "1";
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
    document.querySelectorAll("main .table-scroll").forEach(markScrollable);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    wrapTables(document);
  });
  document.addEventListener("htmx:load", function (event) { wrapTables(event.target); });
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      document.querySelectorAll("main .table-scroll").forEach(markScrollable);
    }, 150);
  });
})();
