"""The CycloneDX 1.6 SBOM of a bundle's inventory (``notices.inventory``).

Components nest as they ship (a distribution, then what it vendors); each shipped shared
library is listed as ``evidence.occurrences`` of its component, which is what a scanner
matches files on. The same inventory gives the same bytes (timestamp from
``SOURCE_DATE_EPOCH``, serial number from the content hash).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sloppy_build.notices import SHARED_LIB, Component, Inventory


def _licence_json(c: Component) -> list[dict[str, object]]:
    if c.spdx:
        return [{"expression": c.licence}]
    return [{"license": {"name": c.licence}}]


def _entry(c: Component) -> dict[str, object]:
    entry: dict[str, object] = {"type": c.kind, "bom-ref": c.ref, "name": c.name}
    entry["version"] = c.version
    if c.purl:
        entry["purl"] = c.purl
    if c.cpe:
        entry["cpe"] = c.cpe
    if c.licence and not c.licence.startswith(("see ", "unknown")):
        entry["licenses"] = _licence_json(c)
    if c.notice:
        entry["copyright"] = c.notice.splitlines()[0]
    if c.hashes:
        entry["hashes"] = [{"alg": "SHA-256", "content": h} for h in dict.fromkeys(c.hashes)]
    if c.home.startswith("http"):
        entry["externalReferences"] = [{"type": "website", "url": c.home}]
    binaries = [f for f in c.files if SHARED_LIB.search(f)]
    if binaries:
        entry["evidence"] = {"occurrences": [{"location": f} for f in binaries]}
    if c.children:
        entry["components"] = [_entry(child) for child in c.children]
    return entry


def sbom(
    inv: Inventory, *, identity: dict[str, str], epoch: int, content_hash: str
) -> dict[str, object]:
    """A CycloneDX 1.6 document; the same inputs give the same bytes."""
    app, *rest = inv.components
    meta = _entry(app)
    meta["licenses"] = [{"expression": "MIT"}]
    meta["properties"] = [
        {"name": f"sloppy:{k}", "value": v} for k, v in sorted(identity.items()) if v
    ]
    meta.pop("evidence", None)
    entries = [_entry(c) for c in rest]
    every = [c for top in rest for c in top.walk()]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'sloppy:' + content_hash)}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "sloppy_build"}]},
            "component": meta,
        },
        "components": entries,
        "dependencies": [
            {"ref": app.ref, "dependsOn": [c.ref for c in rest]},
            *(
                {"ref": c.ref, **({"dependsOn": [d.ref for d in c.children]} if c.children else {})}
                for c in every
            ),
        ],
    }


def write_sbom(path: Path, document: dict[str, object]) -> Path:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def sbom_binaries(document: dict[str, Any]) -> dict[str, str]:
    """Shipped binary path -> the name of the SBOM component whose evidence lists it."""
    out: dict[str, str] = {}

    def visit(entries: list[dict[str, Any]]) -> None:
        for e in entries:
            for occ in e.get("evidence", {}).get("occurrences", []):
                out[str(occ["location"])] = str(e["name"])
            visit(e.get("components", []))

    visit(document.get("components", []))
    return out
