// The resident pages' progressive touches; every page works without them.
// - focus on the error summary of a refused form;
// - a character count under the text;
// - photo previews, and photos shrunk on the phone to fit the 2 MB limit (camera pictures are
//   often larger, and HEIC is turned into JPEG);
// - "use my location", filling the hidden lat/lon fields;
// - open cases like the one being typed (POST /v1/cases/similar), each with a "me too" button
//   (POST /v1/cases/{case_id}/supporters).
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

  var similar = document.getElementById("similar");
  if (similar && text) {
    var timer = null;
    var chosen = function () {
      var picked = document.querySelector('input[name="category"]:checked');
      return picked ? picked.value : null;
    };
    var say = function (template, n) {
      return template.replace("{n}", String(n));
    };
    var meToo = function (item, caseId, button) {
      button.disabled = true;
      var key = "metoo-" + caseId + "-" + Math.random().toString(36).slice(2, 12);
      fetch("/v1/cases/" + encodeURIComponent(caseId) + "/supporters", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
        body: "{}",
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (body) {
          var done = document.createElement("p");
          done.className = "notice";
          done.textContent = say(similar.getAttribute("data-counted"), body.supporters);
          item.replaceChild(done, button);
        })
        .catch(function () { button.disabled = false; });
    };
    var show = function (cases) {
      similar.textContent = "";
      if (!cases.length) {
        similar.hidden = true;
        return;
      }
      var title = document.createElement("p");
      title.textContent = similar.getAttribute("data-title");
      similar.appendChild(title);
      var list = document.createElement("ul");
      cases.forEach(function (c) {
        var item = document.createElement("li");
        var what = document.createElement("p");
        what.textContent = (c.point_name ? c.point_name + " · " : "") + c.submitted_on + " · " +
          say(similar.getAttribute("data-supporters"), c.supporters);
        var body = document.createElement("p");
        body.textContent = c.text || similar.getAttribute("data-no-text");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = similar.getAttribute("data-metoo");
        button.addEventListener("click", function () { meToo(item, c.case_id, button); });
        item.appendChild(what);
        item.appendChild(body);
        item.appendChild(button);
        list.appendChild(item);
      });
      similar.appendChild(list);
      similar.hidden = false;
    };
    var ask = function () {
      var category = chosen();
      if (!category || text.value.trim().length < 5) {
        return;
      }
      var draft = { category: category, text: text.value };
      var rep = similar.getAttribute("data-representative");
      if (rep) { draft.representative_code = rep; }
      var point = document.getElementById("liaison_point_id");
      if (point && point.value) { draft.liaison_point_id = point.value; }
      var lat = document.getElementById("lat"), lon = document.getElementById("lon");
      if (lat && lon && lat.value && lon.value) {
        draft.location = { lat: Number(lat.value), lon: Number(lon.value) };
      }
      fetch("/v1/cases/similar", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(draft),
      })
        .then(function (r) { return r.ok ? r.json() : { cases: [] }; })
        .then(function (body) { show(body.cases || []); })
        .catch(function () {});
    };
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 800);
    };
    text.addEventListener("input", later);
    document.querySelectorAll('input[name="category"]').forEach(function (r) {
      r.addEventListener("change", later);
    });
    var pointChoice = document.getElementById("liaison_point_id");
    if (pointChoice) { pointChoice.addEventListener("change", later); }
  }
})();
