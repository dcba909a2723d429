"""Tile PNG pages into contact sheets, to look at many PDF pages at once.

    python scripts/montage.py OUT.png PAGE.png...   (4 columns; Pillow comes with WeasyPrint)
"""

import sys

from PIL import Image

out, paths = sys.argv[1], sys.argv[2:]
images = [Image.open(p) for p in paths]
w, h = images[0].size
cols = 4
rows = (len(images) + cols - 1) // cols
sheet = Image.new("RGB", (cols * w + (cols - 1) * 6, rows * h + (rows - 1) * 6), "#888")
for k, im in enumerate(images):
    sheet.paste(im, ((k % cols) * (w + 6), (k // cols) * (h + 6)))
sheet.save(out)
