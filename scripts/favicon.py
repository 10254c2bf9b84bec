#!/usr/bin/env python3
"""Writes Quire's favicon, ui/public/favicon.svg and ui/public/favicon.ico,
from one description (a blue rounded square with three text lines), so the
two cannot drift apart. The ICO holds 16x16 and 32x32 32-bit BMP images.
Run it from the repository root after changing the shapes; its outputs are
committed (the build does not need Python)."""

import struct

SIZE = 32  # the SVG's viewBox and the shapes' unit
ACCENT = (0x1A, 0x64, 0xC8)
WHITE = (0xFF, 0xFF, 0xFF)
# (x, y, width, height, corner radius, colour), painted in order
SHAPES = [
    (1, 1, 30, 30, 6, ACCENT),
    (8, 9, 16, 3, 1.5, WHITE),
    (8, 15, 16, 3, 1.5, WHITE),
    (8, 21, 10, 3, 1.5, WHITE),
]


def svg():
    rects = "".join(
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{r}" fill="#{c[0]:02x}{c[1]:02x}{c[2]:02x}"/>'
        for x, y, w, h, r, c in SHAPES
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">{rects}</svg>\n'


def inside(px, py, x, y, w, h, r):
    if not (x <= px <= x + w and y <= py <= y + h):
        return False
    cx = min(max(px, x + r), x + w - r)
    cy = min(max(py, y + r), y + h - r)
    return (px - cx) ** 2 + (py - cy) ** 2 <= r * r


def raster(n, ss=8):
    """Rows top to bottom of (r, g, b, a) pixels, n x n, supersampled."""
    scale = SIZE / n
    rows = []
    for j in range(n):
        row = []
        for i in range(n):
            acc = [0.0, 0.0, 0.0, 0.0]  # premultiplied
            for sj in range(ss):
                for si in range(ss):
                    px = (i + (si + 0.5) / ss) * scale
                    py = (j + (sj + 0.5) / ss) * scale
                    colour = None
                    for x, y, w, h, r, c in SHAPES:
                        if inside(px, py, x, y, w, h, r):
                            colour = c
                    if colour:
                        acc[0] += colour[0]
                        acc[1] += colour[1]
                        acc[2] += colour[2]
                        acc[3] += 1
            a = acc[3] / (ss * ss)
            if acc[3]:
                row.append(tuple(round(v / acc[3]) for v in acc[:3]) + (round(a * 255),))
            else:
                row.append((0, 0, 0, 0))
        rows.append(row)
    return rows


def bmp(n):
    rows = raster(n)
    header = struct.pack("<IiiHHIIiiII", 40, n, 2 * n, 1, 32, 0, 0, 0, 0, 0, 0)
    pixels = b"".join(bytes((b, g, r, a)) for row in reversed(rows) for r, g, b, a in row)
    mask_row = ((n + 31) // 32) * 4  # the AND mask: all zero, alpha decides
    return header + pixels + bytes(mask_row * n)


def ico(sizes=(16, 32)):
    images = [bmp(n) for n in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for n, data in zip(sizes, images):
        out += struct.pack("<BBBBHHII", n, n, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(images)


if __name__ == "__main__":
    with open("ui/public/favicon.svg", "w") as f:
        f.write(svg())
    with open("ui/public/favicon.ico", "wb") as f:
        f.write(ico())
