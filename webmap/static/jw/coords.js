/* Overlay coordinates for the basemap. With a GCJ-02 basemap (Amap-style tiles, JINGWANG_BASEMAP_COORDS=gcj02) every
   overlay is shifted from WGS-84 to GCJ-02 with the published formula (the same as geo/crs.py), so data and basemap
   line up; vector tiles are moved by the shift at each tile's centre (far below a pixel at any zoom). */
(function () {
  "use strict";
  var JW = window.JW;
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  var shifted = JW.config.basemapCoords === "gcj02";

  function inChina(lng, lat) { return lng > 72.004 && lng < 137.8347 && lat > 0.8293 && lat < 55.8271; }

  function delta(lng, lat) {
    var x = lng - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLng += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLng += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLng += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(rad) * PI);
    return inChina(lng, lat) ? [dLng, dLat] : [0, 0];
  }

  function wgsToGcj(lng, lat) { var d = delta(lng, lat); return [lng + d[0], lat + d[1]]; }

  function gcjToWgs(lng, lat) {  // invert by iteration, as geo/crs.py does
    var x = lng, y = lat;
    for (var i = 0; i < 10; i++) {
      var f = wgsToGcj(x, y), ex = f[0] - lng, ey = f[1] - lat;
      x -= ex; y -= ey;
      if (Math.abs(ex) < 1e-10 && Math.abs(ey) < 1e-10) break;
    }
    return [x, y];
  }

  JW.coords = {
    shifted: shifted,
    wgsToGcj: wgsToGcj,
    gcjToWgs: gcjToWgs,
    /* WGS-84 [lat, lng] or L.LatLng -> where it is drawn on this map */
    toMap: function (latlng) {
      var ll = L.latLng(latlng);
      if (!shifted) return ll;
      var g = wgsToGcj(ll.lng, ll.lat);
      return L.latLng(g[1], g[0]);
    },
    /* a point of this map -> WGS-84 */
    fromMap: function (latlng) {
      var ll = L.latLng(latlng);
      if (!shifted) return ll;
      var w = gcjToWgs(ll.lng, ll.lat);
      return L.latLng(w[1], w[0]);
    },
    /* for L.geoJSON({coordsToLatLng}) */
    coordsToLatLng: function (c) { return JW.coords.toMap([c[1], c[0]]); },
    /* [minx, miny, maxx, maxy] in WGS-84 -> L.LatLngBounds on this map */
    bounds: function (b) { return L.latLngBounds(JW.coords.toMap([b[1], b[0]]), JW.coords.toMap([b[3], b[2]])); },
    /* the map's view -> "minx,miny,maxx,maxy" in WGS-84 for bbox queries */
    bboxParam: function (map) {
      var b = map.getBounds(), sw = JW.coords.fromMap(b.getSouthWest()), ne = JW.coords.fromMap(b.getNorthEast());
      return [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) { return v.toFixed(5); }).join(",");
    },
    /* pixel shift of a tile (its centre's GCJ-02 offset), or null on a WGS-84 basemap */
    tileShift: function (coords, size) {
      if (!shifted) return null;
      var crs = L.CRS.EPSG3857, centre = coords.scaleBy(size).add(size.divideBy(2));
      var ll = crs.pointToLatLng(centre, coords.z);
      return crs.latLngToPoint(JW.coords.toMap(ll), coords.z).subtract(centre).round();
    },
  };
})();
