"""Run by QGIS's own Python (/usr/bin/python3 with python3-qgis), headless: open jingwang's grids as an OAPIF layer,
as a vector tile layer and as the exported files, and print what QGIS saw as one JSON document: per layer the
features, each code's name, the summed area (degrees², for comparing shapes) and the CRS; for the tiles the codes
drawn.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_probe.py OGC_URL TILE_TEMPLATE USER TOKEN [EXPORT_FILE ...]

The token goes in as a user would give it: a QGIS authentication configuration of type Basic (user name, token as
the password), stored in a throwaway profile.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from urllib.parse import quote

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsAuthMethodConfig,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPalLayerSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileBasicLabeling,
    QgsVectorTileBasicLabelingStyle,
    QgsVectorTileLayer,
    QgsVectorTileRenderer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402


class Collect(QgsVectorTileRenderer):
    """Draws nothing; records the code of every grid QGIS decoded from the tiles."""

    keep: list[Collect] = []  # clones handed to QGIS stay alive here

    def __init__(self, codes: set[str]) -> None:
        super().__init__()
        self.codes = codes

    def type(self) -> str:
        return "jingwang-collect"

    def clone(self) -> Collect:
        twin = Collect(self.codes)
        Collect.keep.append(twin)
        return twin

    def startRender(self, context, tile_zoom, tile_range) -> None:
        pass

    def stopRender(self, context) -> None:
        pass

    def requiredLayers(self, context, tile_zoom) -> set[str]:
        return {"grids"}

    def renderTile(self, tile, context) -> None:
        for feature in tile.layerFeatures("grids"):
            self.codes.add(str(feature["code"]))

    def writeXml(self, element, context) -> None:
        pass

    def readXml(self, element, context) -> None:
        pass


def _basic_auth(user: str, token: str) -> str:
    """A Basic authentication configuration holding the token; its id."""
    manager = QgsApplication.authManager()
    if not manager.setMasterPassword("interop", True):
        raise SystemExit("QGIS authentication database unavailable")
    config = QgsAuthMethodConfig("Basic")
    config.setName("jingwang")
    config.setConfig("username", user)
    config.setConfig("password", token)
    stored = manager.storeAuthenticationConfig(config)
    if isinstance(stored, tuple):  # (ok, config) in some releases
        stored, config = stored
    if not stored or not config.id():
        raise SystemExit("QGIS did not store the authentication configuration")
    return str(config.id())


def _oapif(ogc_url: str, auth: str) -> dict:
    layer = QgsVectorLayer(f"url='{ogc_url}' typename='grids' pageSize='1000' authcfg='{auth}'", "grids", "OAPIF")
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    features = list(layer.getFeatures())
    extent = layer.extent()
    return {
        "valid": True,
        "features": len(features),
        "names": {str(f["code"]): str(f["name"]) for f in features},
        "area": sum(f.geometry().area() for f in features),
        "crs": layer.crs().authid(),
        "extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
    }


def _code_labels() -> QgsVectorTileBasicLabeling:
    settings = QgsPalLayerSettings()
    settings.fieldName = "code"
    style = QgsVectorTileBasicLabelingStyle()
    style.setLayerName("grids")
    style.setLabelSettings(settings)
    labeling = QgsVectorTileBasicLabeling()
    labeling.setStyles([style])
    return labeling


def _tiles(template: str, extent: list[float], auth: str) -> dict:
    uri = f"type=xyz&url={quote(template, safe=':/{}')}&zmin=0&zmax=14&authcfg={auth}"
    layer = QgsVectorTileLayer(uri, "grid tiles")
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    codes: set[str] = set()
    layer.setRenderer(Collect(codes))
    layer.setLabeling(_code_labels())  # QGIS 3.22 decodes only the attributes that labels (or C++ styles) use
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    to_3857 = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:4326"), settings.destinationCrs(), QgsProject.instance()
    )
    settings.setExtent(to_3857.transformBoundingBox(QgsRectangle(*extent)))
    settings.setOutputSize(QSize(1024, 1024))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    return {"valid": True, "codes": sorted(codes)}


def _file(path: str) -> dict:
    """An exported file as a user adds it (Layer → Add Vector Layer): zipped Shapefiles through /vsizip/."""
    source = f"/vsizip/{path}" if path.endswith(".zip") else path
    layer = QgsVectorLayer(source, os.path.basename(path), "ogr")
    if not layer.isValid():
        return {"valid": False, "error": layer.error().summary()}
    fields = layer.fields().names()
    name_field = next((n for n in ("name", "Name") if n in fields), None)  # KML keeps the name in <name>
    features = list(layer.getFeatures())
    names = None
    if "code" in fields:
        names = {str(f["code"]): str(f[name_field]) if name_field else "" for f in features}
    return {
        "valid": True,
        "features": len(features),
        "names": names,
        "crs": layer.crs().authid(),
        "area": sum(f.geometry().area() for f in features),
    }


def main() -> None:
    ogc_url, template, user, token = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="qgis-profile-")
    app = QgsApplication([], False, profile)
    app.initQgis()
    auth = _basic_auth(user, token)
    oapif = _oapif(ogc_url, auth)
    tiles = _tiles(template, oapif["extent"], auth) if oapif.get("valid") else {"valid": False}
    files = {os.path.basename(path): _file(path) for path in sys.argv[5:]}
    print(json.dumps({"qgis": Qgis.version(), "oapif": oapif, "tiles": tiles, "files": files}, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main()
