// Autosave of a draft's page (R-PS-3, issue #8 §4). Progressive
// enhancement: without script, the page's own buttons save. With it, the
// page is sent as it stands after each change (and two seconds after the
// person stops typing), so that closing the tab or losing the machine
// loses at most the field being typed. The server answers with the new
// revision, which the page's buttons then carry.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("autosave-status");
  if (!form || !status || !window.fetch || !window.FormData || !window.URLSearchParams) return;
  var url = form.dataset.autosave;
  var timer = null;
  var busy = false;
  var again = false;

  async function save() {
    if (submitting) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      var body = new URLSearchParams(new FormData(form));
      body.delete("action");
      var r = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": form.elements.csrf.value },
        body: body
      });
      if (r.status === 401) {
        status.textContent = status.dataset.expired;
        return;
      }
      if (!r.ok) {
        status.textContent = status.dataset.failed;
        return;
      }
      var j = await r.json();
      form.elements.revision.value = j.revision;
      status.textContent = j.stale
        ? status.dataset.elsewhere
        : status.dataset.saved + " " + j.saved_at;
      status.dataset.revision = j.revision;
    } catch (e) {
      status.textContent = status.dataset.failed;
    } finally {
      busy = false;
      if (again) {
        again = false;
        save();
      }
    }
  }

  // A button pressed while a save is on its way waits for it, so that it
  // carries the revision that save made (else the server would take the
  // page for one saved on another device).
  var submitting = false;
  form.addEventListener("submit", function (ev) {
    clearTimeout(timer);
    again = false;
    if (!busy || submitting) return;
    ev.preventDefault();
    submitting = true;
    var submitter = ev.submitter;
    (function wait() {
      if (busy) return setTimeout(wait, 50);
      if (form.requestSubmit && submitter) form.requestSubmit(submitter);
      else form.submit();
    })();
  });

  // Conditional questions: an input asked only when another input of the
  // page has one of some values is shown only then (without script it is
  // always shown, its condition in its hint; the server drops it when the
  // condition does not hold).
  function valueOf(name) {
    var els = form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
    for (var i = 0; i < els.length; i++) {
      var e = els[i];
      if (e.type === "radio" || e.type === "checkbox") {
        if (e.checked) return e.type === "checkbox" ? "true" : e.value;
      } else {
        return e.value;
      }
    }
    return "";
  }
  function reveal() {
    var conditional = form.querySelectorAll("[data-show-field]");
    for (var i = 0; i < conditional.length; i++) {
      var c = conditional[i];
      var values = (c.dataset.showValues || "").split(" ");
      c.hidden = values.indexOf(valueOf(c.dataset.showField)) < 0;
    }
  }
  reveal();

  // The commune list follows the province chosen (without script it is
  // the list of the province saved last; any name is checked on save).
  var communeInputs = form.querySelectorAll("input[data-communes-of]");
  Array.prototype.forEach.call(communeInputs, function (input) {
    var province = document.getElementById(input.dataset.communesOf);
    var list = document.getElementById(input.getAttribute("list"));
    if (!province || !list) return;
    province.addEventListener("change", async function () {
      list.textContent = "";
      if (!province.value) return;
      try {
        var r = await fetch("/api/v1/communes?province=" + encodeURIComponent(province.value));
        if (!r.ok) return;
        var j = await r.json();
        j.items.forEach(function (name) {
          var o = document.createElement("option");
          o.value = name;
          list.appendChild(o);
        });
      } catch (e) {
        // The list is a help; typing still works.
      }
    });
  });

  form.addEventListener("change", function () {
    reveal();
    clearTimeout(timer);
    save();
  });
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
})();
