/* Grappes maps: plain Leaflet (vendored), no inline script, no third-party server.
 *
 * Every element `.map[data-map-kind]` becomes a map. The server describes it with data
 * attributes (see templates/_macros/map.html):
 *   data-map-source       URL of the map's data (GeoJSON FeatureCollection + "meta"), or
 *   data-map-data         the same, inline, for tiny maps (one point, a region's rates);
 *   data-map-kind         "points" | "choropleth";
 *   data-map-filters      id of a <form> whose fields filter the source (editor, department);
 *   data-cluster-threshold  more markers than this are clustered where they are dense;
 *   data-outlines-*       the shipped department and region outlines and their attribution;
 *   data-tiles-url / data-tiles-attribution  an optional tile layer (none: offline).
 * The department outlines are always drawn first, as a base layer that needs no internet.
 * Labels are plain text: tooltips and popups are built from text nodes, never from HTML.
 * When a map is drawn, the element gets data-map-state="ready" and data-map-outlines (the
 * number of outlines drawn), which the browser tests read.
 */
(function () {
  "use strict";

  var MAINLAND = [[41.2, -5.3], [51.2, 9.7]];
  var TERRITORIES = [
    ["Métropole", null],
    ["Guadeloupe", "971"],
    ["Martinique", "972"],
    ["Guyane", "973"],
    ["La Réunion", "974"],
    ["Mayotte", "976"]
  ];
  var outlinesCache = {};
  /* From this zoom on, a map opened on a summary shows the ESSMS of its viewport. */
  var VIEWPORT_ZOOM = 9;

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status + " " + url); }
        return response.json();
      });
  }

  function outlines(url) {
    if (!outlinesCache[url]) { outlinesCache[url] = getJSON(url); }
    return outlinesCache[url];
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function popupOf(p) {
    var box = document.createElement("div");
    box.appendChild(text("strong", p.label || ""));
    (p.lines || []).forEach(function (line) {
      if (!line) { return; }
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(line));
    });
    return box;
  }

  function latLngOf(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  function inMainland(latlng) {
    return latlng.lat >= MAINLAND[0][0] && latlng.lat <= MAINLAND[1][0] &&
      latlng.lng >= MAINLAND[0][1] && latlng.lng <= MAINLAND[1][1];
  }

  /* The box to show first: the mainland points when they are the majority (the overseas
   * ones stay one click away in the territory selector), else every point. */
  function mainBounds(latlngs) {
    if (!latlngs.length) { return null; }
    var mainland = latlngs.filter(inMainland);
    var shown = 2 * mainland.length >= latlngs.length ? mainland : latlngs;
    return L.latLngBounds(shown);
  }

  /* Andrew's monotone chain: the convex hull of [lng, lat] pairs. */
  function convexHull(points) {
    var pts = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    if (pts.length < 3) { return pts; }
    function cross(o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }
    var lower = [], upper = [], i;
    for (i = 0; i < pts.length; i++) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], pts[i]) <= 0) { lower.pop(); }
      lower.push(pts[i]);
    }
    for (i = pts.length - 1; i >= 0; i--) {
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], pts[i]) <= 0) { upper.pop(); }
      upper.push(pts[i]);
    }
    upper.pop(); lower.pop();
    return lower.concat(upper);
  }

  function GrappesMap(el) {
    this.el = el;
    this.data = el.dataset;
    this.threshold = parseInt(this.data.clusterThreshold || "300", 10);
    this.layers = [];
    this.departments = null;
    this.counts = {};
    var map = this.map = L.map(el, {zoomSnap: 0.25, minZoom: 3, maxZoom: 18});
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.attributionControl.addAttribution(this.data.outlinesAttribution || "");
    map.createPane("outlines").style.zIndex = 250;
    map.setView([46.6, 2.4], 5.5);
    if (this.data.tilesUrl) {
      el.classList.add("map-tiles");
      L.tileLayer(this.data.tilesUrl, {
        attribution: this.data.tilesAttribution || "", maxZoom: 18
      }).addTo(map);
    }
    L.control.scale({metric: true, imperial: false}).addTo(map);
  }

  GrappesMap.prototype.drawOutlines = function () {
    var self = this, tiles = !!this.data.tilesUrl;
    var departments = outlines(this.data.outlinesDepartments).then(function (geo) {
      self.departments = geo;
      self.departmentLayer = L.geoJSON(geo, {
        pane: "outlines",
        interactive: false,
        style: {
          className: "grappes-outline grappes-outline-department",
          color: "#8a8a8a", weight: 0.7,
          fill: true, fillColor: "#f6f3ec", fillOpacity: tiles ? 0 : 1
        }
      }).addTo(self.map);
      return geo;
    });
    var regions = outlines(this.data.outlinesRegions).then(function (geo) {
      L.geoJSON(geo, {
        pane: "outlines",
        interactive: false,
        style: {
          className: "grappes-outline grappes-outline-region",
          color: "#4d4d4d", weight: 1.6, fill: false
        }
      }).addTo(self.map);
    });
    return Promise.all([departments, regions]);
  };

  GrappesMap.prototype.territoryBounds = function (code) {
    if (!code) { return L.latLngBounds(MAINLAND); }
    var feature = (this.departments.features || []).filter(function (f) {
      return f.properties.code === code;
    })[0];
    return feature ? L.geoJSON(feature).getBounds() : null;
  };

  /* A selector that centres the map on mainland France or on each overseas department,
   * with the number of the map's items there, so that no territory is lost off-screen. */
  GrappesMap.prototype.addTerritories = function () {
    var self = this;
    var Control = L.Control.extend({
      options: {position: "topright"},
      onAdd: function () {
        var box = L.DomUtil.create("div", "leaflet-bar grappes-territories");
        var label = text("label", "Territoire");
        var select = document.createElement("select");
        select.id = (self.el.id || "carte") + "-territoire";
        label.htmlFor = select.id;
        TERRITORIES.forEach(function (t) {
          var option = text("option", t[0]);
          option.value = t[1] || "";
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          var bounds = self.territoryBounds(select.value);
          if (bounds) { self.map.fitBounds(bounds, {padding: [10, 10]}); }
        });
        self.territorySelect = select;
        box.appendChild(label);
        box.appendChild(select);
        L.DomEvent.disableClickPropagation(box);
        return box;
      }
    });
    new Control().addTo(this.map);
    // The selector names the territory the map shows.
    this.map.on("moveend", function () {
      var centre = self.map.getCenter();
      for (var i = TERRITORIES.length - 1; i >= 0; i--) {
        var bounds = self.territoryBounds(TERRITORIES[i][1]);
        if (bounds && bounds.contains(centre)) {
          self.territorySelect.value = TERRITORIES[i][1] || "";
          return;
        }
      }
    });
  };

  /* Writes in the selector how many ESSMS of the map each territory holds. */
  GrappesMap.prototype.updateTerritoryCounts = function (items) {
    if (!this.territorySelect || !this.departments) { return; }
    var self = this;
    var boxes = TERRITORIES.map(function (t) { return self.territoryBounds(t[1]); });
    var counts = TERRITORIES.map(function () { return 0; });
    items.forEach(function (item) {
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i] && boxes[i].contains(item[0])) { counts[i] += item[1]; return; }
      }
    });
    Array.prototype.forEach.call(this.territorySelect.options, function (option, i) {
      option.textContent = TERRITORIES[i][0] + (counts[i] ? " (" + counts[i] + ")" : "");
    });
  };

  GrappesMap.prototype.clear = function () {
    var map = this.map;
    this.layers.forEach(function (layer) { map.removeLayer(layer); });
    this.layers = [];
    if (this.legend) { map.removeControl(this.legend); this.legend = null; }
    if (this.departmentLayer) { this.departmentLayer.resetStyle(); }
  };

  GrappesMap.prototype.add = function (layer) {
    layer.addTo(this.map);
    this.layers.push(layer);
    return layer;
  };

  GrappesMap.prototype.addLegend = function (entries, title) {
    if (!entries || !entries.length) { return; }
    var Legend = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var box = L.DomUtil.create("div", "grappes-legend");
        if (title) { box.appendChild(text("strong", title)); }
        var list = document.createElement("ul");
        entries.forEach(function (entry) {
          var item = document.createElement("li");
          var swatch = text("span", "", "grappes-swatch" + (entry.shape ? " grappes-swatch-" + entry.shape : ""));
          swatch.style.background = entry.colour;
          if (entry.outline) { swatch.style.borderColor = entry.outline; }
          item.appendChild(swatch);
          item.appendChild(document.createTextNode(entry.label));
          list.appendChild(item);
        });
        box.appendChild(list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    this.legend = new Legend().addTo(this.map);
  };

  GrappesMap.prototype.marker = function (feature) {
    var p = feature.properties;
    var emphasis = p.kind === "origin" || p.kind === "carrier";
    var marker = L.circleMarker(latLngOf(feature), {
      radius: p.radius || (emphasis ? 10 : 7),
      color: p.stroke || (emphasis ? "#000000" : p.colour),
      weight: emphasis ? 3 : 1,
      fill: p.kind !== "centre",
      fillColor: p.colour,
      fillOpacity: 0.85,
      className: "grappes-marker grappes-" + (p.kind || "other")
    });
    marker.bindTooltip(function () { return text("span", p.label || ""); });
    marker.bindPopup(function () { return popupOf(p); });
    return marker;
  };

  GrappesMap.prototype.drawPoints = function (geo) {
    var self = this, meta = geo.meta || {};
    var features = geo.features || [];
    var markers = features.filter(function (f) {
      return f.geometry && f.geometry.type === "Point" &&
        ["radius", "summary", "centre"].indexOf(f.properties.kind) < 0;
    });
    var latlngs = [];
    // The search radius (neighbours): shown whole.
    features.filter(function (f) { return f.properties.kind === "radius"; }).forEach(function (f) {
      var circle = L.circle(latLngOf(f), {
        radius: f.properties.radius_m, color: "#000091", weight: 1, fill: false,
        dashArray: "6 6", interactive: false, className: "grappes-radius"
      });
      self.add(circle);
      latlngs.push(circle.getBounds().getNorthEast(), circle.getBounds().getSouthWest());
    });
    // One area per grappe (convex hull of its members) and its number as a label.
    var groups = {};
    markers.forEach(function (f) {
      var g = f.properties.group;
      if (g === undefined || g === null) { return; }
      (groups[g] = groups[g] || {colour: f.properties.colour, points: []}).points.push(f.geometry.coordinates);
    });
    if (meta.hulls) {
      Object.keys(groups).forEach(function (g) {
        var hull = convexHull(groups[g].points);
        if (hull.length >= 3) {
          self.add(L.polygon(hull.map(function (c) { return [c[1], c[0]]; }), {
            color: groups[g].colour, weight: 1.5, fillColor: groups[g].colour,
            fillOpacity: 0.12, interactive: false, className: "grappes-hull"
          }));
        }
      });
    }
    // Centres, with lines from each member (one grappe) or the grappe's number (many).
    features.filter(function (f) { return f.properties.kind === "centre"; }).forEach(function (f) {
      var p = f.properties, centre = latLngOf(f);
      if (meta.centre_lines) {
        markers.forEach(function (m) {
          if (m.properties.group === p.group) {
            self.add(L.polyline([latLngOf(m), centre], {
              color: "#4a4a4a", weight: 1, opacity: 0.6, interactive: false,
              className: "grappes-centre-line"
            }));
          }
        });
      }
      var ring = self.marker(f);
      if (meta.group_labels) {
        ring.unbindTooltip();
        ring.bindTooltip(String(p.short || ""), {
          permanent: true, direction: "center", className: "grappes-label"
        });
      }
      self.add(ring);
      latlngs.push(centre);
    });
    var clustered = markers.length > this.threshold;
    var group = clustered ? L.markerClusterGroup({
      chunkedLoading: true, maxClusterRadius: 40, disableClusteringAtZoom: 11,
      showCoverageOnHover: false
    }) : L.featureGroup();
    this.items = [];
    markers.forEach(function (f) {
      var marker = self.marker(f);
      group.addLayer(marker);
      latlngs.push(marker.getLatLng());
      self.items.push([marker.getLatLng(), 1]);
    });
    this.add(group);
    this.el.dataset.mapMarkers = String(markers.length);
    this.el.dataset.mapClustered = clustered ? "true" : "false";
    return latlngs;
  };

  /* A summary: one labelled circle per department (area ~ its ESSMS); a click loads it. */
  GrappesMap.prototype.drawSummary = function (geo) {
    var self = this, latlngs = [];
    var features = (geo.features || []).filter(function (f) { return f.properties.kind === "summary"; });
    var largest = 1;
    this.items = features.map(function (f) { return [latLngOf(f), f.properties.count || 0]; });
    features.forEach(function (f) { largest = Math.max(largest, f.properties.count || 0); });
    features.forEach(function (f) {
      var p = f.properties;
      var circle = L.circleMarker(latLngOf(f), {
        radius: Math.max(6, 26 * Math.sqrt((p.count || 0) / largest)),
        color: "#1e1e1e", weight: 1, fillColor: p.colour || "#0072B2", fillOpacity: 0.75,
        className: "grappes-summary"
      });
      circle.bindTooltip(String(p.short || ""), {
        permanent: true, direction: "center", className: "grappes-label"
      });
      circle.bindPopup(function () { return popupOf(p); });
      if (p.href) {
        circle.on("click", function () { window.location.assign(p.href); });
      } else if (p.code && self.filterForm) {
        circle.on("click", function () { self.setFilter("departement", p.code); });
      }
      self.add(circle);
      latlngs.push(circle.getLatLng());
    });
    this.el.dataset.mapMarkers = String(features.length);
    return latlngs;
  };

  /* The choropleth: the shipped department outlines filled by class, each labelled. */
  GrappesMap.prototype.drawChoropleth = function (geo) {
    var self = this, areas = (geo.meta || {}).areas || {}, bounds = null;
    this.departmentLayer.eachLayer(function (layer) {
      var code = layer.feature.properties.code, area = areas[code];
      if (!area) { return; }
      layer.setStyle({fillColor: area.colour, fillOpacity: 0.85, color: "#1e1e1e", weight: 1});
      var label = L.marker(L.latLng(layer.feature.properties.label[1], layer.feature.properties.label[0]), {
        icon: L.divIcon({className: "grappes-area-label", html: "", iconSize: null}),
        keyboard: false
      });
      label.bindTooltip(area.short, {permanent: true, direction: "center", className: "grappes-label"});
      label.bindPopup(function () { return popupOf({label: area.label, lines: area.lines}); });
      self.add(label);
      bounds = bounds ? bounds.extend(layer.getBounds()) : L.latLngBounds(layer.getBounds().getSouthWest(), layer.getBounds().getNorthEast());
    });
    this.el.dataset.mapAreas = String(Object.keys(areas).length);
    return bounds ? [bounds.getSouthWest(), bounds.getNorthEast()] : [];
  };

  GrappesMap.prototype.render = function (geo, fit) {
    var meta = geo.meta || {};
    this.clear();
    var latlngs;
    if (this.data.mapKind === "choropleth") {
      latlngs = this.drawChoropleth(geo);
    } else if (meta.mode === "summary") {
      latlngs = this.drawSummary(geo);
    } else {
      latlngs = this.drawPoints(geo);
    }
    this.addLegend(meta.legend, meta.legend_title);
    if (this.data.mapKind !== "choropleth") { this.updateTerritoryCounts(this.items || []); }
    if (this.data.mapKind === "choropleth" || meta.mode === "summary") {
      latlngs = latlngs.concat(meta.extent || []);
    }
    var status = document.getElementById(this.el.id + "-etat");
    if (status) { status.textContent = meta.status || ""; }
    if (fit) {
      var bounds = meta.zoom_to ? L.latLngBounds(meta.zoom_to) : mainBounds(latlngs);
      if (bounds && bounds.isValid()) {
        if (meta.max_zoom) {
          this.map.fitBounds(bounds, {padding: [30, 30], maxZoom: meta.max_zoom});
        } else {
          this.map.fitBounds(bounds, {padding: [30, 30], maxZoom: 11});  // outlines stay in view
        }
      }
    }
    this.el.dataset.mapMode = meta.mode || "points";
    this.el.dataset.mapState = "ready";
  };

  GrappesMap.prototype.sourceUrl = function (bbox) {
    var url = new URL(this.data.mapSource, window.location.href);
    if (this.filterForm) {
      new FormData(this.filterForm).forEach(function (value, key) {
        if (value) { url.searchParams.set(key, value); }
      });
    }
    if (bbox) { url.searchParams.set("bbox", bbox.toBBoxString()); }
    return url.toString();
  };

  GrappesMap.prototype.load = function (fit, bbox) {
    var self = this, ticket = (this.ticket = (this.ticket || 0) + 1);
    this.el.dataset.mapState = "loading";
    if (this.data.mapData) {
      return Promise.resolve(this.render(JSON.parse(this.data.mapData), fit));
    }
    return getJSON(this.sourceUrl(bbox)).then(function (geo) {
      if (ticket !== self.ticket) { return; }  // a later load was asked for meanwhile
      if (!bbox) { self.summarised = (geo.meta || {}).mode === "summary"; }
      self.viewport = !!bbox;
      self.render(geo, fit);
    });
  };

  /* A map opened on a summary loads the ESSMS of the viewport once zoomed in enough, and
   * goes back to the summary when zoomed out. */
  GrappesMap.prototype.followViewport = function () {
    var self = this;
    this.map.on("moveend", function () {
      if (!self.summarised) { return; }
      var close = self.map.getZoom() >= VIEWPORT_ZOOM;
      if (close) {
        self.load(false, self.map.getBounds());
      } else if (self.viewport) {
        self.load(false);
      }
    });
  };

  GrappesMap.prototype.setFilter = function (name, value) {
    var field = this.filterForm && this.filterForm.elements[name];
    if (field) { field.value = value; }
    this.load(true);
  };

  GrappesMap.prototype.bindFilters = function () {
    var self = this;
    if (!this.data.mapFilters) { return; }
    this.filterForm = document.getElementById(this.data.mapFilters);
    if (!this.filterForm) { return; }
    this.filterForm.addEventListener("submit", function (event) {
      event.preventDefault();
      self.load(true);
    });
    this.filterForm.addEventListener("change", function () { self.load(true); });
  };

  function start(el) {
    var view = new GrappesMap(el);
    el.grappesMap = view;
    view.bindFilters();
    view.drawOutlines()
      .then(function () {
        view.addTerritories();
        return view.load(true).then(function () { view.followViewport(); });
      })
      .catch(function (error) {
        el.dataset.mapState = "error";
        var status = document.getElementById(el.id + "-etat");
        if (status) { status.textContent = "La carte n'a pas pu être chargée : " + (error.message || error); }
        if (window.console) { window.console.error(error); }
      });
  }

  function startAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".map[data-map-kind]"), start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
