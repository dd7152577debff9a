// The resident pages' progressive touches; every page works without them.
// - focus on the error summary of a refused form;
// - a character count under the text;
// - photo previews, and photos shrunk on the phone to fit the 2 MB limit (camera pictures are
//   often larger, and HEIC is turned into JPEG);
// - "use my location", filling the hidden lat/lon fields.
(function () {
  "use strict";

  // A refused form: take keyboard and screen-reader users straight to the list of problems.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  var text = document.getElementById("text");
  var counter = document.getElementById("text-counter");
  if (text && counter) {
    var template = counter.getAttribute("data-template") || "{n}";
    var count = function () {
      counter.textContent = template.replace("{n}", String(text.value.length));
    };
    counter.hidden = false;
    count();
    text.addEventListener("input", count);
  }

  var ACCEPTED = ["image/jpeg", "image/png", "image/webp"];
  var MAX_BYTES = 2 * 1024 * 1024;
  var MAX_EDGE = 2048;
  var photos = document.getElementById("photos");

  function shrink(file) {
    if (ACCEPTED.indexOf(file.type) >= 0 && file.size <= MAX_BYTES) {
      return Promise.resolve(file);
    }
    if (typeof createImageBitmap !== "function") {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) {
            resolve(file);
            return;
          }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () {
      return file; // the server explains what it refuses
    });
  }

  function preview(files) {
    var list = document.getElementById(photos.getAttribute("data-preview"));
    var label = photos.getAttribute("data-preview-label") || "{n}";
    if (!list) {
      return;
    }
    list.textContent = "";
    for (var i = 0; i < files.length; i++) {
      var item = document.createElement("li");
      var image = document.createElement("img");
      image.src = URL.createObjectURL(files[i]);
      image.alt = label.replace("{n}", String(i + 1));
      item.appendChild(image);
      list.appendChild(item);
    }
    list.hidden = files.length === 0;
  }

  if (photos) {
    photos.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(photos.files || []);
      var submit = photos.form ? photos.form.querySelector("button[type=submit]") : null;
      if (submit) {
        submit.disabled = true;
      }
      Promise.all(chosen.map(shrink)).then(function (ready) {
        try {
          var transfer = new DataTransfer();
          ready.forEach(function (file) { transfer.items.add(file); });
          photos.files = transfer.files; // does not fire "change" again
        } catch (ignored) {
          ready = chosen; // an old browser sends the originals
        }
        preview(ready);
      }).finally(function () {
        if (submit) {
          submit.disabled = false;
        }
      });
    });
  }

  var locate = document.getElementById("locate");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  if (locate && lat && lon && navigator.geolocation) {
    var button = document.getElementById("locate-button");
    var clear = document.getElementById("locate-clear");
    var state = document.getElementById("locate-status");
    var show = function () {
      var has = lat.value !== "" && lon.value !== "";
      state.textContent = has
        ? locate.getAttribute("data-located").replace("{lat}", lat.value).replace("{lon}", lon.value)
        : "";
      clear.hidden = !has;
    };
    locate.hidden = false;
    show();
    button.addEventListener("click", function () {
      state.textContent = locate.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lon.value = position.coords.longitude.toFixed(6);
          show();
        },
        function () {
          state.textContent = locate.getAttribute("data-failed");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
    clear.addEventListener("click", function () {
      lat.value = "";
      lon.value = "";
      show();
      button.focus();
    });
  }
})();
