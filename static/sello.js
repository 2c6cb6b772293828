/* The phone menu: base.html renders it open (usable without JavaScript); on a narrow screen fold it behind "Menu". */
(function () {
  var menu = document.querySelector("details.menu");
  if (!menu || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 600px)");
  function fit() { menu.open = !phone.matches; }
  fit();
  if (phone.addEventListener) phone.addEventListener("change", fit);
})();

/* Closing a pilot round ends its reviews for good: ask before the status form sends "closed". */
(function () {
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.name === "status" && button.value === "closed" && button.dataset.confirmed !== "yes") {
      var question = document.documentElement.lang === "es"
        ? "¿Cerrar la ronda? Las evaluaciones en curso ya no podrán cambiar."
        : "Close the round? Reviews in progress can no longer change.";
      if (!window.confirm(question)) event.preventDefault();
    }
  });
})();

/* A table wider than a phone scrolls sideways inside itself: let the keyboard reach it too. */
document.addEventListener("DOMContentLoaded", function () {
  var tables = document.querySelectorAll("table.table");
  for (var i = 0; i < tables.length; i++) {
    var t = tables[i];
    if (t.scrollWidth > t.clientWidth && !t.hasAttribute("tabindex")) t.setAttribute("tabindex", "0");
  }
});
