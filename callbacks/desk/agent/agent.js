// Keyboard shortcuts of the agent desk. The page works without them.
(function () {
  "use strict";
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && el.type !== "radio" && el.type !== "checkbox") || el.isContentEditable;
  }
  document.addEventListener("keydown", function (e) {
    var outcome = document.getElementById("outcome");
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && outcome) {
      e.preventDefault();
      outcome.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    var el = null;
    if (e.key === "c") {
      var claim = document.getElementById("claim");
      if (claim) { e.preventDefault(); claim.requestSubmit(); }
      return;
    }
    if (e.key === "t") el = document.getElementById("timeline");
    else el = document.querySelector('[data-key="' + e.key + '"]');
    if (!el) return;
    e.preventDefault();
    el.focus();
    if (el.type === "radio") el.checked = true;
  });
})();
