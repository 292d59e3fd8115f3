/* The office console's small script (vendored; every page works without it): ask before a
   form that cannot be undone is sent, print the invite sheet, tick or untick a whole list. */
(function () {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  });
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
  document.querySelectorAll('[data-check-all]').forEach(function (box) {
    var list = document.getElementById(box.dataset.checkAll);
    box.hidden = false;
    box.addEventListener('change', function () {
      list.querySelectorAll('input[type=checkbox]').forEach(function (item) { item.checked = box.checked; });
    });
  });
})();
