/* Cornershop — progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  /* Sidebars / menus rendered open collapse on narrow screens and reopen on wide ones. */
  function collapsibles() {
    var els = document.querySelectorAll("details[data-collapse-narrow]");
    if (!els.length || !window.matchMedia) return;
    var narrow = window.matchMedia("(max-width: 960px)");
    var adminNarrow = window.matchMedia("(max-width: 860px)");
    function apply() {
      each("details[data-collapse-narrow]", function (d) {
        var mq = d.classList.contains("sidebar-menu") ? adminNarrow : narrow;
        d.open = !mq.matches;
      });
    }
    apply();
    [narrow, adminNarrow].forEach(function (mq) {
      if (mq.addEventListener) mq.addEventListener("change", apply);
      else if (mq.addListener) mq.addListener(apply);
    });
  }

  /* Filter forms: submit as soon as a select or checkbox changes (the button stays). */
  function autosubmit() {
    each("form[data-autosubmit]", function (form) {
      form.addEventListener("change", function (ev) {
        var t = ev.target;
        if (!t) return;
        var isSelect = t.tagName === "SELECT";
        var isCheckbox = t.tagName === "INPUT" && t.type === "checkbox";
        if (!isSelect && !isCheckbox) return;
        if (typeof form.requestSubmit === "function") form.requestSubmit();
        else form.submit();
      });
    });
  }

  /* Product gallery: swap the main image in place instead of reloading. */
  function gallery() {
    each("[data-gallery]", function (root) {
      var main = root.querySelector("img[data-gallery-main]");
      if (!main) return;
      root.addEventListener("click", function (ev) {
        if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
        var link = ev.target.closest ? ev.target.closest("a[data-gallery-src]") : null;
        if (!link || !root.contains(link)) return;
        ev.preventDefault();
        main.src = link.getAttribute("data-gallery-src");
        main.alt = link.getAttribute("data-gallery-alt") || "";
        each("a[data-gallery-src]", function (a) {
          var on = a === link;
          a.classList.toggle("is-active", on);
          if (on) a.setAttribute("aria-current", "true");
          else a.removeAttribute("aria-current");
        }, root);
        if (window.history && history.replaceState) {
          try { history.replaceState(null, "", link.href); } catch (e) { /* file:// previews */ }
        }
      });
    });
  }

  /* Flash messages get a close button. */
  function dismissible() {
    each(".alert[data-dismissible]", function (alert) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "alert-close";
      btn.setAttribute("aria-label", "Dismiss message");
      btn.textContent = "\u00d7";
      btn.addEventListener("click", function () { alert.remove(); });
      alert.appendChild(btn);
    });
  }

  /* Demo log-in table: the role becomes a button that fills in the form. */
  function demoLogins() {
    var email = document.getElementById("login-email");
    var password = document.getElementById("login-password");
    if (!email || !password) return;
    each("tr[data-demo-email]", function (row) {
      var cell = row.querySelector("td");
      if (!cell) return;
      var role = cell.textContent.trim();
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn-use";
      btn.textContent = role;
      btn.setAttribute("aria-label", "Fill in the " + role + " demo login");
      btn.title = "Fill in the form";
      btn.addEventListener("click", function () {
        email.value = row.getAttribute("data-demo-email") || "";
        password.value = row.getAttribute("data-demo-password") || "";
        password.focus();
      });
      cell.textContent = "";
      cell.appendChild(btn);
    });
  }

  /* Set-up form: tell the user early when the two passwords differ. */
  function passwordConfirm() {
    var pw = document.getElementById("f-password");
    var pw2 = document.getElementById("f-password2");
    if (!pw || !pw2) return;
    function check() {
      pw2.setCustomValidity(pw2.value && pw.value !== pw2.value ? "The passwords do not match." : "");
    }
    pw.addEventListener("input", check);
    pw2.addEventListener("input", check);
  }

  /* Mail template editor: the preview follows the typing. After a pause the form is posted
     to the preview URL into a fresh frame laid over the old one, which is swapped in once
     loaded (no flicker, and no history entry per keystroke). Without this script the
     "Preview" button does the same into the one frame. */
  function mailPreview() {
    var form = document.querySelector("form[data-mail-preview]");
    var frame = document.querySelector("iframe[data-preview-frame]");
    if (!form || !frame || !frame.parentNode) return;
    var url = form.getAttribute("data-mail-preview");
    var box = frame.parentNode;
    var pending = null;
    var timer = null;
    var seq = 0;

    function refresh() {
      timer = null;
      if (pending) pending.remove();
      var next = frame.cloneNode(false);
      next.removeAttribute("src");
      next.name = "mail-preview-" + (++seq);
      next.classList.add("is-pending");
      box.appendChild(next);
      pending = next;
      next.addEventListener("load", function () {
        if (pending !== next) return;
        pending = null;
        next.classList.remove("is-pending");
        frame.remove();
        frame = next;
      });
      var oldTarget = form.getAttribute("target");
      var oldAction = form.getAttribute("action");
      form.setAttribute("target", next.name);
      form.setAttribute("action", url);
      HTMLFormElement.prototype.submit.call(form);
      if (oldTarget === null) form.removeAttribute("target");
      else form.setAttribute("target", oldTarget);
      form.setAttribute("action", oldAction);
    }

    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    }

    form.addEventListener("input", later);
    var button = form.querySelector("[data-preview-button]");
    if (button) {
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        if (timer) clearTimeout(timer);
        refresh();
      });
    }
    // A refused save shows what was typed: preview that, not the stored version.
    if (form.hasAttribute("data-preview-now")) refresh();
  }

  /* Forms that ask before doing something drastic (reset to default). */
  function confirmForms() {
    each("form[data-confirm]", function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
  }

  /* Focus the form error summary so screen readers announce it. */
  function focusErrorSummary() {
    var summary = document.getElementById("form-error");
    if (summary) summary.focus();
  }

  /* A job's progress (a voucher run, a campaign) moves without a reload: the JSON at
     data-progress-url is read every few seconds until its state is "done". */
  function progress() {
    each("[data-progress-url]", function (root) {
      if (root.getAttribute("data-progress-state") === "done" || !window.fetch) return;
      var url = root.getAttribute("data-progress-url");
      var bar = root.querySelector("progress");
      function tick() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (p) {
            if (!p) return;
            each("[data-progress-field]", function (el) {
              var v = p[el.getAttribute("data-progress-field")];
              el.textContent = v === null || v === undefined ? "\u2014" : String(v);
            }, root);
            if (bar) { bar.max = p.total; bar.value = p.done; }
            // The state pill takes the colour of the state it now names.
            if (p.state === "done") each("[data-progress-field='state_label'].pill", function (el) {
              el.className = "pill pill-active";
            }, root);
            // Done, and (where it counts them) no mail of it still waiting in the queue.
            if (p.state !== "done" || p.mails_queued > 0) window.setTimeout(tick, 2000);
          })
          .catch(function () { window.setTimeout(tick, 5000); });
      }
      window.setTimeout(tick, 1000);
    });
  }

  ready(function () {
    progress();
    collapsibles();
    autosubmit();
    gallery();
    dismissible();
    demoLogins();
    passwordConfirm();
    mailPreview();
    confirmForms();
    focusErrorSummary();
  });
})();
