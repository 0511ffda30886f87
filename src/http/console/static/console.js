// plusk console keyboard: j/k move between flags, u upholds, d dismisses, n focuses the note.
// Progressive enhancement only: every action is a plain form that works without this file.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("article.flag"));
  if (!rows.length) { return; }
  var current = -1;

  function select(i) {
    if (i < 0 || i >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = i;
    rows[i].classList.add("current");
    rows[i].focus();
    rows[i].scrollIntoView({ block: "nearest" });
  }

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }

  // Clicking or tabbing into a row makes it the current one.
  rows.forEach(function (row, i) {
    row.addEventListener("focusin", function () {
      if (current !== i) {
        if (current >= 0) { rows[current].classList.remove("current"); }
        current = i;
        row.classList.add("current");
      }
    });
  });

  function press(value) {
    if (current < 0) { return; }
    var b = rows[current].querySelector('form.review:not(.bulk) button[name="decision"][value="' + value + '"]');
    if (b) { b.click(); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (typing(document.activeElement)) {
      if (e.key === "Escape" && current >= 0) { rows[current].focus(); }
      return;
    }
    switch (e.key) {
      case "j": select(current + 1); break;
      case "k": select(current < 0 ? 0 : current - 1); break;
      case "u": press("uphold"); break;
      case "d": press("dismiss"); break;
      case "n":
        if (current >= 0) {
          var note = rows[current].querySelector("form.review:not(.bulk) input[name=note]");
          if (note) { note.focus(); }
        }
        break;
      default: return;
    }
    e.preventDefault();
  });
}());
