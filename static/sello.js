/* The phone menu: base.html renders it open (usable without JavaScript); on a narrow screen fold it behind "Menu". */
(function () {
  var menu = document.querySelector("details.menu");
  if (!menu || !window.matchMedia) return;
  var phone = window.matchMedia("(max-width: 600px)");
  function fit() { menu.open = !phone.matches; }
  fit();
  if (phone.addEventListener) phone.addEventListener("change", fit);
})();

/* A table wider than a phone scrolls sideways inside itself: let the keyboard reach it too. */
document.addEventListener("DOMContentLoaded", function () {
  var tables = document.querySelectorAll("table.table");
  for (var i = 0; i < tables.length; i++) {
    var t = tables[i];
    if (t.scrollWidth > t.clientWidth && !t.hasAttribute("tabindex")) t.setAttribute("tabindex", "0");
  }
});
