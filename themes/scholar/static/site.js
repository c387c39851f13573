// scholar theme: fold long abstracts to a few lines; the full text stays in the page without JS.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var abstracts = document.querySelectorAll(".paper .abstract");
  Array.prototype.forEach.call(abstracts, function (box, i) {
    var text = box.querySelector("p");
    if (!text) { return; }
    box.classList.add("folded");
    if (text.scrollHeight <= text.clientHeight + 2) { box.classList.remove("folded"); return; }
    var id = "abstract-" + i;
    text.id = id;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fold-toggle";
    button.setAttribute("aria-controls", id);
    button.setAttribute("aria-expanded", "false");
    button.textContent = "Show more";
    button.addEventListener("click", function () {
      var folded = box.classList.toggle("folded");
      button.setAttribute("aria-expanded", folded ? "false" : "true");
      button.textContent = folded ? "Show more" : "Show less";
    });
    box.appendChild(button);
  });
})();
