#!/usr/bin/env python3
"""Compares two pictures as Pillow decodes them: {"sizes", "modes", "psnr"} (dB).

  compare_images.py A B
"""
import json
import math
import sys

import numpy as np
from PIL import Image

a, b = Image.open(sys.argv[1]), Image.open(sys.argv[2])
difference = np.asarray(a.convert("RGB")).astype(float) - np.asarray(b.convert("RGB")).astype(float)
mse = float((difference ** 2).mean())
print(json.dumps({"sizes": [list(a.size), list(b.size)], "modes": [a.mode, b.mode], "format": a.format,
                  "psnr": 99.0 if mse == 0 else 10 * math.log10(255 ** 2 / mse)}))
