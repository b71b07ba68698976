// Login / registration with a USB signing token through the local signing
// tool (motcua-signer on 127.0.0.1). The PIN is typed in the tool's own
// window (another origin): this page never sees it. See docs/SIGNER.md.
(function () {
  "use strict";
  var app = document.getElementById("token-app");
  if (!app) return;
  var base = "http://127.0.0.1:" + app.dataset.port;
  var csrf = app.dataset.csrf;
  var purpose = app.dataset.purpose;
  // The page says where its challenge comes from (a dossier to sign has
  // its own); login, registration and step-up use the default.
  var challengeUrl = app.dataset.challengeUrl || "/auth/token/challenge";
  var form = document.getElementById("token-form");
  var signBtn = document.getElementById("token-sign");
  var retryBtn = document.getElementById("token-retry");
  var states = app.querySelectorAll(".token-state");

  function show(name) {
    for (var i = 0; i < states.length; i++) {
      states[i].hidden = states[i].dataset.state !== name;
    }
    app.dataset.state = name;
    signBtn.hidden = name !== "ready" && name !== "cancelled" && name !== "wrong-pin" &&
      name !== "expired" && name !== "failed";
    retryBtn.hidden = !(name === "missing" || name === "no-token" || name === "no-certificate");
  }

  function sleep(ms) {
    return new Promise(function (r) { setTimeout(r, ms); });
  }

  function timeout(ms) {
    var c = new AbortController();
    setTimeout(function () { c.abort(); }, ms);
    return c.signal;
  }

  async function detect() {
    show("checking");
    try {
      var r = await fetch(base + "/v1/status", { signal: timeout(1500) });
      var st = await r.json();
      if (!st.module_ok || !st.tokens || st.tokens.length === 0) return show("no-token");
      var certs = 0;
      st.tokens.forEach(function (t) { certs += t.certificates || 0; });
      show(certs > 0 ? "ready" : "no-certificate");
    } catch (e) {
      show("missing");
    }
  }

  async function sign() {
    // Open the tool's window in the click itself, so no popup blocker stops it.
    var popup = window.open("about:blank", "motcua-signer", "popup,width=620,height=760");
    try {
      var r = await fetch(challengeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body: "purpose=" + encodeURIComponent(purpose)
      });
      if (!r.ok) throw new Error("challenge " + r.status);
      var ch = await r.json();
      var s = await fetch(base + "/v1/requests", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ challenge: ch.challenge })
      });
      if (!s.ok) throw new Error("signer " + s.status);
      var req = await s.json();
      if (popup && !popup.closed) popup.location.href = req.ui_url;
      else popup = window.open(req.ui_url, "motcua-signer", "popup,width=620,height=760");
      show("waiting");
      await poll(req.id, ch.challenge, Date.parse(ch.expires));
    } catch (e) {
      if (popup && !popup.closed) popup.close();
      show("failed");
    }
  }

  async function poll(id, challenge, expires) {
    for (;;) {
      await sleep(600);
      if (Date.now() > expires) return show("expired");
      var st;
      try {
        st = await (await fetch(base + "/v1/requests/" + encodeURIComponent(id))).json();
      } catch (e) {
        return show("failed");
      }
      if (st.state === "pending") {
        if (st.error === "wrong_pin" && app.dataset.state !== "wrong-pin") show("wrong-pin");
        continue;
      }
      if (st.state === "done") {
        form.elements.challenge.value = challenge;
        form.elements.certificate.value = st.certificate;
        form.elements.chain.value = (st.chain || []).join(" ");
        form.elements.signature.value = st.signature;
        show("sending");
        form.submit();
        return;
      }
      if (st.state === "cancelled" || st.error === "cancelled") return show("cancelled");
      if (st.error === "pin_locked") return show("pin-locked");
      if (st.error === "no_token") return show("no-token");
      if (st.error === "no_certificate") return show("no-certificate");
      return show("failed");
    }
  }

  signBtn.addEventListener("click", sign);
  retryBtn.addEventListener("click", detect);
  detect();
})();
