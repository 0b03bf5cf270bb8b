"""Writes the JPEG fixtures of test/io/jpeg.test.ts into test/fixtures/jpeg/ (a few KB in all).

Run with a Python that has Pillow (Debian's python3-pil): python3 scripts/jpeg-fixtures.py
jpeg-js (camlab's decoder) encodes only baseline JPEGs, so the progressive ones come from
libjpeg through Pillow, and so do the reference decodes (libjpeg's pixels, saved as PNG):
  blocks.png                  the 24x16 source picture: six 8x8 blocks of distinct colours
  progressive.jpg / .png      progressive 4:4:4 colour JPEG of it, and libjpeg's decode
  progressive-420.jpg / .png  progressive 4:2:0 (chroma subsampled), and libjpeg's decode
  progressive-grey.jpg / .png progressive greyscale, and libjpeg's decode
  orient-N.jpg / .png         N = 1..8: baseline JPEG with EXIF orientation N, and the upright
                              picture Pillow's ImageOps.exif_transpose makes of libjpeg's decode
  cmyk.jpg                    a CMYK JPEG (refused by camlab)
"""
import os

import PIL
from PIL import Image, ImageOps

OUT = "test/fixtures/jpeg"
os.makedirs(OUT, exist_ok=True)

COLOURS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180)]
src = Image.new("RGB", (24, 16))
for k, c in enumerate(COLOURS):
    bx, by = k % 3, k // 3
    for y in range(8):
        for x in range(8):
            # A gentle ramp inside each block so the decoders have real AC coefficients to agree on.
            src.putpixel((8 * bx + x, 8 * by + y), tuple(min(255, v + 3 * x + 2 * y) for v in c))
src.save(f"{OUT}/blocks.png")


def save(img, name, **kw):
    img.save(f"{OUT}/{name}.jpg", "JPEG", **kw)
    Image.open(f"{OUT}/{name}.jpg").convert("RGB" if img.mode != "L" else "L").save(f"{OUT}/{name}.png")


save(src, "progressive", quality=95, progressive=True, subsampling=0)
save(src, "progressive-420", quality=95, progressive=True, subsampling=2)
save(src.convert("L"), "progressive-grey", quality=95, progressive=True)
for n in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = n
    src.save(f"{OUT}/orient-{n}.jpg", "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    ImageOps.exif_transpose(Image.open(f"{OUT}/orient-{n}.jpg")).convert("RGB").save(f"{OUT}/orient-{n}.png")
src.convert("CMYK").save(f"{OUT}/cmyk.jpg", "JPEG", quality=90)
print("Pillow", PIL.__version__, "wrote", sorted(os.listdir(OUT)))
