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

/* Logging out clears what the offline screen stored on this device (the server also sends Clear-Site-Data);
   changes not synced yet are only dropped once the reviewer confirms. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-offline-pending") || form.dataset.cleared) return;
  var pending = 0;
  try { pending = Number(localStorage.getItem("sello-offline-pending") || 0); } catch (e) { pending = 0; }
  if (pending > 0 && !form.dataset.warned) {
    /* The first click shows the warning where the page's messages appear (role=alert reads it out);
       the second logs out. */
    event.preventDefault();
    var note = document.createElement("div");
    note.className = "flash error";
    note.setAttribute("role", "alert");
    note.textContent = form.getAttribute("data-offline-pending");
    var main = document.querySelector("main");
    if (main) main.insertBefore(note, main.firstChild); else form.appendChild(note);
    note.scrollIntoView({ block: "nearest" });
    form.dataset.warned = "1";
    return;
  }
  if (!window.indexedDB && !window.caches) return;
  event.preventDefault();
  var steps = [];
  if (window.indexedDB) {
    steps.push(new Promise(function (done) {
      var request = indexedDB.deleteDatabase("sello-offline");
      request.onsuccess = request.onerror = request.onblocked = function () { done(); };
    }));
  }
  if (window.caches) {
    steps.push(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("sello-") === 0; }).map(function (n) { return caches.delete(n); }));
    }));
  }
  try { localStorage.removeItem("sello-offline-pending"); } catch (e) { /* private mode */ }
  Promise.all(steps).catch(function () {}).then(function () { form.dataset.cleared = "1"; form.submit(); });
});
