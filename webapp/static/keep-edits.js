/* Keep what the user typed while an htmx request was in flight.

   A region marked `data-keep-edits` (the segment rules builder, the workflow builder) is
   re-rendered by the server from the values the request carried. A swap that lands while
   the user is typing would put those older values back and lose the newer text. So: when
   a request targeting such a region leaves, its fields' values are noted; just before the
   swap, every field whose value changed since then is an edit made in flight; after the
   swap, the field with the same id gets that value back (and the caret, if focused). */
(function () {
  "use strict";

  function region(evt) {
    var target = evt.detail && evt.detail.target;
    return target && target.id && target.hasAttribute("data-keep-edits") ? target : null;
  }

  function fields(root) {
    return root.querySelectorAll("input[id], textarea[id], select[id]");
  }

  function valueOf(el) {
    return el.type === "checkbox" || el.type === "radio" ? String(el.checked) : el.value;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var root = region(evt);
    if (!root || !evt.detail.xhr) return;
    var sent = {};
    fields(root).forEach(function (el) { sent[el.id] = valueOf(el); });
    evt.detail.xhr.keepEditsSent = sent;
  });

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var root = region(evt);
    var xhr = evt.detail.xhr;
    if (!root || !xhr || !xhr.keepEditsSent) return;
    var edits = {};
    var any = false;
    fields(root).forEach(function (el) {
      if (el.id in xhr.keepEditsSent && valueOf(el) !== xhr.keepEditsSent[el.id]) {
        edits[el.id] = { value: valueOf(el), tag: el.tagName, type: el.type };
        any = true;
      }
    });
    if (!any) return;
    var active = document.activeElement;
    var caret = null;
    if (active && active.id in edits) {
      try { caret = [active.selectionStart, active.selectionEnd]; } catch (e) { caret = null; }
    }
    xhr.keepEdits = { root: root.id, edits: edits, active: active && active.id, caret: caret };
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    var kept = evt.detail.xhr && evt.detail.xhr.keepEdits;
    if (!kept) return;
    evt.detail.xhr.keepEdits = null;
    Object.keys(kept.edits).forEach(function (id) {
      var edit = kept.edits[id];
      var el = document.getElementById(id);
      if (!el || el.tagName !== edit.tag || el.type !== edit.type) return;  // a different field now
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = edit.value === "true";
      } else if (el.tagName === "SELECT") {
        if (!Array.prototype.some.call(el.options, function (o) { return o.value === edit.value; })) return;
        el.value = edit.value;
      } else {
        el.value = edit.value;
        // Tell listeners (a live count) that the value is not what the server rendered.
        el.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
    var focused = kept.active && document.getElementById(kept.active);
    if (focused && kept.active in kept.edits) {
      focused.focus();
      if (kept.caret) {
        try { focused.setSelectionRange(kept.caret[0], kept.caret[1]); } catch (e) { /* no caret */ }
      }
    }
  });
})();
