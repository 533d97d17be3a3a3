/**
 * The console's one script, served from /assets/console.js. Every page works without it (links
 * and plain form posts); it only adds the review shortcuts. Embedded as a string because the build
 * is `tsc` alone. It reads nothing but the DOM and never sends anything anywhere.
 *
 * Review queue:    j / k move the selection, Enter opens, a / r open it with the decision chosen.
 * Document page:   a / r choose approve / reject and put the focus in the reason field.
 */
export const CONSOLE_JS = `'use strict';
(function () {
  var typing = function (el) {
    if (!el || !el.tagName) return false;
    var t = el.tagName.toLowerCase();
    return t === 'input' || t === 'textarea' || t === 'select' || el.isContentEditable;
  };

  var queue = document.getElementById('queue');
  var rows = queue ? Array.prototype.slice.call(queue.querySelectorAll('tbody tr[data-href]')) : [];
  var current = -1;
  var select = function (i) {
    if (rows.length === 0) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) {
      r.classList.toggle('selected', n === current);
      r.setAttribute('aria-selected', n === current ? 'true' : 'false');
    });
    var link = rows[current].querySelector('a');
    if (link) link.focus();
  };
  rows.forEach(function (r, n) {
    var link = r.querySelector('a');
    if (link) link.addEventListener('focus', function () { if (current !== n) select(n); });
  });

  var choose = function (action) {
    var radio = document.getElementById('action-' + action);
    var reason = document.getElementById('reason');
    if (!radio || !reason) return false;
    radio.checked = true;
    reason.focus();
    return true;
  };

  var initial = window.location.hash;
  if (initial === '#approve' || initial === '#reject') choose(initial.slice(1));

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var k = e.key;
    if (rows.length > 0) {
      if (k === 'j') { select(current + 1); e.preventDefault(); return; }
      if (k === 'k') { select(current < 0 ? 0 : current - 1); e.preventDefault(); return; }
      if (k === 'Enter' && current >= 0 && document.activeElement === document.body) {
        window.location.href = rows[current].getAttribute('data-href'); e.preventDefault(); return;
      }
      if ((k === 'a' || k === 'r') && current >= 0) {
        window.location.href = rows[current].getAttribute('data-href') + (k === 'a' ? '#approve' : '#reject');
        e.preventDefault();
        return;
      }
    }
    if (k === 'a' && choose('approve')) { e.preventDefault(); return; }
    if (k === 'r' && choose('reject')) { e.preventDefault(); return; }
  });
})();
`;
