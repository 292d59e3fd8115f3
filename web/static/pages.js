/* The pages' one script, vendored (no CDN, no build step). Every page works without it: it only
   adds the one-tap link, Telegram's sign-in, the report form's hints and saving as one types.

   The form's hints come from the indicator definitions the server sends with the page (bounds,
   the set's rules, the jump threshold against last month): the same definitions the server
   checks with. Numbers are read here only in shapes that cannot be misread ("1.500", "1500",
   "12,5"); anything else waits for the server, whose answer always replaces the hint. */
(function () {
  'use strict';
  var tg = window.Telegram && window.Telegram.WebApp;
  if (tg && tg.initData) { tg.ready(); tg.expand(); }

  function storage(action, key, value) {
    try { return window.sessionStorage[action](key, value); } catch (e) { return null; }
  }

  // A one-time link: post it at once (link previews only GET, so they never use it up).
  var landing = document.querySelector('form[data-autosubmit]');
  if (landing) { landing.submit(); }

  document.querySelectorAll('[data-telegram-close]').forEach(function (button) {
    button.addEventListener('click', function () { if (tg) { tg.close(); } });
  });

  // A selector that shows its choice at once (the dashboard's period); its button stays for
  // a browser without script.
  document.querySelectorAll('select[data-autosubmit-change]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  // Forms that must go once: the button stays disabled after the first press.
  document.querySelectorAll('form[data-once], form#report').forEach(function (form) {
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type="submit"]');
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });

  // Telegram's Mini App: post Telegram's signed data, then load the page again signed in.
  var signIn = document.getElementById('telegram-sign-in');
  if (signIn) {
    var initData = (tg && tg.initData) ||
      new URLSearchParams(window.location.hash.slice(1)).get('tgWebAppData') || '';
    var failed = function (text) { signIn.textContent = text || signIn.dataset.failed; };
    if (!initData || storage('getItem', 'tgSignIn')) {
      storage('removeItem', 'tgSignIn');
      failed();
    } else {
      fetch('/auth/telegram', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'},
        body: 'init_data=' + encodeURIComponent(initData)
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) { storage('setItem', 'tgSignIn', '1'); window.location.reload(); }
          else { failed(answer.error); }
        });
      }).catch(function () { failed(); });
    }
    return;
  }
  storage('removeItem', 'tgSignIn');

  var form = document.getElementById('report');
  var hintsNode = document.getElementById('hints');
  if (!form || !hintsNode) { return; }
  var H = JSON.parse(hintsNode.textContent);
  var items = {};
  var order = H.items.map(function (item) { items[item.code] = item; return item.code; });
  var locale = H.lang === 'en' ? 'en' : 'vi';
  var figure = new Intl.NumberFormat(locale, {maximumFractionDigits: 4});
  var percent = new Intl.NumberFormat(locale, {maximumFractionDigits: 1});
  var status = document.getElementById('save-status');

  function fill(text, params) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : whole;
    });
  }
  function number(text) { return text === null ? null : parseFloat(text); }
  function written(item, value) {
    var text = figure.format(value);
    return item.kind === 'percent' ? text + ' %' : (item.unit ? text + ' ' + item.unit : text);
  }

  // What a field holds, if it can be read for certain; null: empty, or for the server to judge.
  function read(code) {
    var field = document.getElementById('v-' + code);
    if (!field || items[code].kind === 'yes_no') { return null; }
    var text = field.value.replace(/\s+/g, ' ').trim();
    var negative = /^[-\u2212\u2013]/.test(text);
    var body = negative ? text.slice(1).trim() : text;
    var value = null;
    if (items[code].kind === 'percent') {
      body = body.replace(/\s*%$/, '');
      if (/^\d+(,\d+)?$/.test(body)) { value = parseFloat(body.replace(',', '.')); }
    } else if (/^\d{1,3}([. ]\d{3})+$|^\d+$/.test(body)) {
      value = parseInt(body.replace(/[. ]/g, ''), 10);
    }
    return value === null ? null : {value: negative ? -value : value, text: text};
  }

  function outOfBounds(item, found) {
    var low = number(item.min), high = number(item.max), value = found.value;
    if (value < 0 && (low === null || low >= 0)) { return fill(H.texts.negative, {text: found.text}); }
    if (low !== null && high !== null && (value < low || value > high)) {
      return fill(H.texts.between, {low: figure.format(low), high: figure.format(high)});
    }
    if (low !== null && value < low) { return fill(H.texts.low, {low: figure.format(low)}); }
    if (high !== null && value > high) { return fill(H.texts.high, {high: figure.format(high)}); }
    return null;
  }

  function side(operand, values) {
    return operand.charAt(0) === '#' ? parseFloat(operand.slice(1)) :
      (Object.prototype.hasOwnProperty.call(values, operand) ? values[operand] : null);
  }
  function holds(left, op, right) {
    return op === '<=' ? left <= right : op === '<' ? left < right : op === '>=' ? left >= right :
      op === '>' ? left > right : left === right;
  }

  // Every field's hint, the way the server judges a whole page: bounds; then the rules, each
  // broken rule blamed on its later item (the one the chat would refuse), checked again
  // without it; then the change against last month.
  function hints() {
    var values = {}, out = {};
    order.forEach(function (code) {
      var found = read(code);
      if (!found) { return; }
      var problem = outOfBounds(items[code], found);
      if (problem) { out[code] = {error: problem}; } else { values[code] = found.value; }
    });
    for (;;) {
      var blamed = null;
      H.rules.some(function (rule) {
        var left = side(rule.left, values), right = side(rule.right, values);
        if (left === null || right === null || holds(left, rule.op, right)) { return false; }
        var codes = [rule.left, rule.right].filter(function (c) { return c.charAt(0) !== '#'; });
        var shown = {};
        codes.forEach(function (c) { shown[c] = figure.format(values[c]); });
        codes.sort(function (a, b) { return order.indexOf(b) - order.indexOf(a); });
        blamed = {code: codes[0], error: fill(rule.message, shown)};
        return true;
      });
      if (!blamed) { break; }
      out[blamed.code] = {error: blamed.error};
      delete values[blamed.code];
    }
    Object.keys(values).forEach(function (code) {
      var item = items[code], last = number(item.last), value = values[code];
      if (item.jump === null || last === null || last === 0) { return; }
      if (Math.abs(value - last) / Math.abs(last) > item.jump) {
        var change = (value - last) / last * 100;
        out[code] = {doubt: fill(H.texts.jump, {
          label: item.label, last: written(item, last), new: written(item, value),
          change: (change > 0 ? '+' : '') + percent.format(change)
        })};
      }
    });
    return out;
  }

  // What the server said at the last save (or in the page), per item.
  var server = {};
  order.forEach(function (code) {
    var error = document.getElementById('e-' + code).textContent.trim();
    var doubt = document.querySelector('#d-' + code + ' .doubt-q').textContent.trim();
    server[code] = {error: error || null, doubt: doubt || null};
  });
  var dirty = {}, pending = false, edits = 0, stale = false;

  function show() {
    var now = hints();
    order.forEach(function (code) {
      var field = document.getElementById('v-' + code);
      var unreadable = field.value.trim() !== '' && read(code) === null;
      var said = server[code] || {};
      var hint = now[code] || {};
      // Until the server has seen the latest typing, the hints speak; a value the browser
      // cannot read keeps the server's word unless it was just changed.
      var shown = !pending ? said : (unreadable && !dirty[code] ? said : hint);
      var box = field.closest('.item');
      document.getElementById('e-' + code).textContent = shown.error || '';
      box.classList.toggle('has-error', !!shown.error);
      var doubt = hint.doubt || (!dirty[code] && said.doubt) || null;
      var holder = document.getElementById('d-' + code);
      holder.hidden = !doubt;
      if (doubt) { holder.querySelector('.doubt-q').textContent = doubt; }
    });
  }

  function say(text) { if (status) { status.textContent = text; } }

  function goneStale(text) {
    stale = true;
    var notice = document.createElement('p');
    notice.className = 'notice';
    notice.setAttribute('role', 'alert');
    notice.textContent = text + ' ';
    var again = document.createElement('button');
    again.type = 'button';
    again.className = 'secondary';
    again.textContent = H.texts.reload;
    again.addEventListener('click', function () { window.location.reload(); });
    notice.appendChild(again);
    form.parentNode.insertBefore(notice, form);
    form.querySelector('button[type="submit"]').disabled = true;
    notice.scrollIntoView();
  }

  var timer = null, inflight = false, queued = false, submitAfter = false;
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; save(); }, delay);
  }
  function save() {
    if (stale) { return; }
    if (inflight) { queued = true; return; }
    inflight = true;
    var sent = edits;
    say(H.texts.saving);
    fetch(form.dataset.save, {
      method: 'POST', credentials: 'same-origin', headers: {'Accept': 'application/json'},
      body: new URLSearchParams(new FormData(form))
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      inflight = false;
      if (answer.stale) { goneStale(answer.stale); return; }
      form.elements.version.value = answer.version;
      if (sent === edits) {
        delete form.dataset.saving;
        server = {};
        order.forEach(function (code) {
          server[code] = {error: answer.errors[code] || null, doubt: answer.doubts[code] || null};
        });
        dirty = {};
        pending = false;
      }
      say(H.texts.saved + ' · ' + answer.answered + '/' + answer.total);
      show();
      if (submitAfter && !queued) { submitAfter = false; form.submit(); return; }
      if (queued) { queued = false; save(); }
    }).catch(function () {
      inflight = false;
      say(H.texts.offline);
      if (submitAfter) { submitAfter = false; form.submit(); }
    });
  }

  function edited(event) {
    var name = event.target.name || '';
    if (name.slice(1, 2) !== ':') { return; }
    dirty[name.slice(2)] = true;
    pending = true;
    form.dataset.saving = '1';  // until the server has seen this (tests wait on it too)
    edits += 1;
    show();
    schedule(event.type === 'change' ? 0 : 700);
  }
  form.addEventListener('input', edited);
  form.addEventListener('change', edited);
  form.addEventListener('submit', function (event) {
    // The review takes the page as it is, but must carry the version of the last save.
    if (inflight || timer) {
      event.preventDefault();
      submitAfter = true;
      if (!inflight) { clearTimeout(timer); timer = null; save(); }
    }
  });
  show();
})();
