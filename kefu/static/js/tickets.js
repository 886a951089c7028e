// The ticket pages: canned replies, the "is replying" signal, the list's sort.
// No inline scripts (CSP): the templates mark elements with data- attributes and this file acts on them.
(function () {
  "use strict";

  // A canned reply picked from the select goes into the reply box (after what is there already).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.dataset || !select.dataset.cannedTarget) return;
    var option = select.options[select.selectedIndex];
    var box = document.getElementById(select.dataset.cannedTarget);
    if (!option || !option.dataset.text || !box) return;
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n" + option.dataset.text : option.dataset.text;
    select.selectedIndex = 0;
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Typing in the reply box tells the others "is replying": the presence poll carries the flag,
  // and the first keystroke polls at once instead of waiting up to ten seconds.
  var typingTimer = null;
  var IDLE_MS = 20000;

  function setReplying(value) {
    var flag = document.getElementById("presence-replying");
    if (!flag || flag.value === value) return false;
    flag.value = value;
    return true;
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.dataset || box.dataset.presenceTyping === undefined) return;
    var typing = box.value.trim() !== "";
    if (setReplying(typing ? "1" : "0")) {
      document.body.dispatchEvent(new CustomEvent("kefu:typing"));
    }
    window.clearTimeout(typingTimer);
    if (typing) {
      typingTimer = window.setTimeout(function () { setReplying("0"); }, IDLE_MS);
    }
  });

  // The list: a sort chosen in a column header is kept when the filters change next.
  document.addEventListener("htmx:afterSettle", function (event) {
    var marker = event.detail.target.querySelector ? event.detail.target.querySelector("[data-ticket-sort]") : null;
    var input = document.querySelector("input[name=sort]");
    if (marker && input) input.value = marker.dataset.ticketSort;
  });
})();
