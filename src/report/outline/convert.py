#!/usr/bin/env python3
"""Converts Natural Earth's 1:50m country outlines, as the npm package world-atlas@2 ships
them (countries-50m.json, TopoJSON), into indonesia.txt: the coastlines of Indonesia and
its neighbours inside 90-146 E, 15 S - 10 N, simplified, for the map chart.

Run once, by hand (the output is committed):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python3 src/report/outline/convert.py package/countries-50m.json > src/report/outline/indonesia.txt

Output: one ring per line, `I` (Indonesia) or `N` (a neighbour), then `lon,lat` pairs
with two decimals (about a kilometre), each ring closed implicitly. No dependencies.
"""

import json
import sys

BOX = (90.0, -15.0, 146.0, 10.0)  # west, south, east, north
INDONESIA = "360"
NEIGHBOURS = {"458", "626", "598", "096", "608", "702", "036"}
TOLERANCE = 0.04  # degrees, Douglas-Peucker
MIN_AREA = 0.01  # square degrees: smaller islands are dropped


def arcs_of(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def ring(arcs, indices):
    pts = []
    for i in indices:
        a = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(a if not pts else a[1:])
    return pts


def rings_of(geometry, arcs):
    if geometry["type"] == "Polygon":
        polys = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polys = geometry["arcs"]
    else:
        return []
    # Outer rings only: lakes are not drawn.
    return [ring(arcs, p[0]) for p in polys]


def area(pts):
    s = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def simplify(pts, tol):
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x0, y0), (x1, y1) = pts[a], pts[b]
        dx, dy = x1 - x0, y1 - y0
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = -1.0, None
        for i in range(a + 1, b):
            px, py = pts[i]
            if norm == 0:
                d = ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5
            else:
                d = abs(dy * px - dx * py + x1 * y0 - y1 * x0) / norm
            if d > best:
                best, far = d, i
        if far is not None and best > tol:
            keep[far] = True
            stack.append((a, far))
            stack.append((far, b))
    return [p for p, k in zip(pts, keep) if k]


def inside_box(pts):
    w, s, e, n = BOX
    return any(w <= x <= e and s <= y <= n for x, y in pts)


def main():
    topo = json.load(open(sys.argv[1]))
    arcs = arcs_of(topo)
    lines = []
    for g in topo["objects"]["countries"]["geometries"]:
        gid = g.get("id")
        if gid != INDONESIA and gid not in NEIGHBOURS:
            continue
        tag = "I" if gid == INDONESIA else "N"
        for r in rings_of(g, arcs):
            if not inside_box(r) or area(r) < MIN_AREA:
                continue
            s = simplify(r, TOLERANCE)
            if len(s) > 1 and s[0] == s[-1]:
                s = s[:-1]
            if len(s) < 3:
                continue
            lines.append(tag + " " + " ".join(f"{x:.2f},{y:.2f}" for x, y in s))
    print("# Natural Earth 1:50m (public domain) via world-atlas 2.0.2 (ISC); see LICENSE.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
