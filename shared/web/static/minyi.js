// Progressive touches shared by every page; each page works without them.
(function () {
  "use strict";
  // Buttons that change something ask once before a destructive step.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // A slow network must not turn one tap into two submissions.
    // Disabled after this turn, so the pressed button's name still reaches the server.
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
        buttons[i].setAttribute("aria-busy", "true");
      }
    }, 0);
  });
})();
