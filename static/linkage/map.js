/* Maps with Leaflet: the board's incidents as markers, and the intake form's point picker.
   Tiles are only a background: with no tile URL (or no internet) the markers still show. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var config = JSON.parse((document.getElementById("map-tiles") || {}).textContent || "{}");
  var SEVERITY_COLOURS = { 1: "#b3261e", 2: "#e8590c", 3: "#c99a06", 4: "#4f83cc" };

  function makeMap(element) {
    var map = L.map(element, { scrollWheelZoom: !element.dataset.pick });
    map.setView(config.center || [25.04, 102.71], config.zoom || 11);
    if (config.url) {
      L.tileLayer(config.url, { attribution: config.attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  var board = null;

  // The board's map stays put; its markers follow the #map-points data its region brings
  // (board-markers, refreshed by incident events: see incidents/regions.py).
  var shown = null;
  function boardMarkers() {
    var element = document.getElementById("board-map"), data = document.getElementById("map-points");
    if (!element || !data || data.textContent === shown) { return; }
    shown = data.textContent;
    if (!board) { board = { map: makeMap(element), layer: L.layerGroup(), count: -1 }; board.layer.addTo(board.map); }
    var points = JSON.parse(data.textContent), bounds = [];
    board.layer.clearLayers();
    points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lng], {
        radius: 12 - point.severity * 1.5, color: "#1b1f24", weight: 2,
        fillColor: SEVERITY_COLOURS[point.severity] || "#555", fillOpacity: 0.9,
      });
      var link = document.createElement("a"), tip = document.createElement("span");
      link.href = point.url;
      link.textContent = point.label;
      tip.textContent = point.label;  // never HTML: titles come from people and CAP feeds
      marker.bindTooltip(tip).bindPopup(link);
      board.layer.addLayer(marker);
      bounds.push([point.lat, point.lng]);
    });
    if (bounds.length !== board.count) {  // refit only when incidents come or go
      if (bounds.length > 1) { board.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 }); }
      else if (bounds.length === 1) { board.map.setView(bounds[0], 14); }
      board.count = bounds.length;
    }
  }

  function pickerMap() {
    var element = document.getElementById("intake-map");
    if (!element) { return; }
    var lat = document.getElementById("id_latitude"), lng = document.getElementById("id_longitude");
    var map = makeMap(element), marker = null;
    function place(latlng, pan) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      if (pan) { map.setView(latlng, Math.max(map.getZoom(), 13)); }
    }
    function fromInputs() {
      var a = parseFloat(lat.value), b = parseFloat(lng.value);
      if (!isNaN(a) && !isNaN(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) { place([a, b], true); }
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = L.Util.wrapNum(event.latlng.lng, [-180, 180], true).toFixed(6);
      place(event.latlng, false);
      // The plan may pick another agency for a place in another jurisdiction.
      if (window.htmx) { htmx.trigger(document.getElementById("intake"), "coordinates"); }
    });
    lat.addEventListener("change", fromInputs);
    lng.addEventListener("change", function () {
      fromInputs();
      if (window.htmx) { htmx.trigger(document.getElementById("intake"), "coordinates"); }
    });
    fromInputs();
  }

  boardMarkers();
  pickerMap();
  document.body.addEventListener("htmx:afterSettle", boardMarkers);
})();
