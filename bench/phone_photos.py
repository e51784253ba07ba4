"""Phone-like photos of the labels we print, for measuring the photo decoder on pictures it was
never tuned on.

Each photo is made from one seed alone (same seed, same JPEG bytes), so a set is named by its
seeds: tuning looks at one range, the held-out measurement at another that nobody looked at.
What a photo shows is one of our real symbols, drawn by zxing-cpp's writer from content our own
code issues: a carton's GS1 DataMatrix or QR (Digital Link) from `issue_code`, a pallet's GS1-128
SSCC from `new_sscc`'s format, a carton's full GS1-128 element string as the A4 label prints it,
or an EAN-13 on retail goods (Chinese 69x prefix). Some photos show a label with text and no
symbol at all: any read there is a false positive.

The label is laid on a textured background under a random pose (scale, 0-30 degree tilt,
perspective), then the camera's faults: defocus or motion blur, glare, uneven light, low
contrast, sensor noise and JPEG compression.

The ranges, and why (the phone page uploads the camera's file unchanged):
- frames of 1.2 MP (4.3 MP for the long carton GS1-128), a third or less of a 12-MP phone
  photo, so a module is 2.2-7 px where a phone gives 4-15; the long GS1-128 (about 600
  modules) gets 2.4-3.6 px: a 12-MP phone framing its 15 cm gets about 4-5.
- the label is printed in whole dots per module and photographed onto a 3x finer grid, then
  averaged like a sensor pixel: point-sampled thin bars alias into hatching no lens makes.
- sensor noise sigma 1-6 grey levels: a phone's denoised output is about 1-4 in indoor light,
  and less once reduced to our frame size; 6 stands for a dim warehouse.
- JPEG quality 55-92: phones save at about 90, browsers re-encode at 92, chat apps at about
  70 (the real corpus's JPEGs are about 70); 55 leaves margin. The first ranges (quality
  35-85, sigma 1-9) were harsher than phones, and sank reads that no camera would lose.
- defocus sigma 0.5-1.6 px, hand shake 3-5 px, glare, uneven light and low contrast as before.
Tune and held-out photos come from the same ranges; only the seeds differ.
"""

from __future__ import annotations

import io
import string
from dataclasses import dataclass, field

import numpy as np
import zxingcpp
from biip.checksums import gs1_standard_check_digit
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.codes.gs1 import SigningKeys, issue_code

KEYS = SigningKeys({"K1": bytes(range(32))}, current="K1")
HOST = "https://cg.example.com"
KINDS = ("carton_datamatrix", "carton_qr", "pallet_sscc", "carton_gs1_128", "retail_ean13", "none")
# How often each kind appears: mostly carton symbols, like the inspectors' day.
_WEIGHTS = (0.24, 0.24, 0.18, 0.08, 0.18, 0.08)

TUNE_SEEDS = range(0, 240)
HELD_OUT_SEEDS = range(100_000, 100_240)
_PRINT_DOTS = 4  # printer dots per module: labels are drawn this fine, then photographed
_SUPERSAMPLE = 3  # photo sub-pixels per pixel side, averaged like a sensor's pixel area


@dataclass(frozen=True)
class PhonePhoto:
    """One rendered photo: JPEG bytes and the exact texts a reader may return from it."""

    seed: int
    kind: str
    jpeg: bytes
    truths: frozenset[str]
    """Empty for a photo with no symbol."""
    conditions: dict[str, float] = field(default_factory=dict)
    """What the camera did (tilt, module px, blur, glare, noise, JPEG quality), to sort misses."""


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _serial(rng: np.random.Generator) -> str:
    alphabet = string.digits + string.ascii_uppercase
    return "".join(alphabet[i] for i in rng.integers(0, 36, 16))


def _gtin13(rng: np.random.Generator) -> str:
    payload = "69" + _digits(rng, 10)
    return payload + str(gs1_standard_check_digit(payload))


def _sscc(rng: np.random.Generator) -> str:
    payload = str(rng.integers(0, 10)) + "0690123" + _digits(rng, 9)
    return payload + str(gs1_standard_check_digit(payload))


def _matrix(content: str, fmt: zxingcpp.BarcodeFormat, **options: object) -> np.ndarray:
    """Dark-module mask, one cell per module, quiet zone included."""
    symbol = zxingcpp.create_barcode(content, fmt, **options)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=True)) < 128


def _symbol(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, str, int]:
    """(module mask, true text, rows of bar height for 1D; 0 for 2D)."""
    code = issue_code(
        gtin=_gtin13(rng),
        region_code=f"CN-{_digits(rng, 6)}",
        keys=KEYS,
        serial=_serial(rng),
    )
    if kind == "carton_datamatrix":
        return (
            _matrix(code.element_string, zxingcpp.BarcodeFormat.DataMatrix, gs1=True),
            (code.element_string_fnc1),
            0,
        )
    if kind == "carton_qr":
        link = code.digital_link(HOST)
        return _matrix(link, zxingcpp.BarcodeFormat.QRCode, ec_level="M"), link, 0
    if kind == "pallet_sscc":
        sscc = _sscc(rng)
        mask = _matrix(f"(00){sscc}", zxingcpp.BarcodeFormat.Code128, gs1=True)
        return mask, f"00{sscc}", int(rng.integers(30, 70))
    if kind == "carton_gs1_128":
        mask = _matrix(code.element_string, zxingcpp.BarcodeFormat.Code128, gs1=True)
        return mask, code.element_string_fnc1, int(rng.integers(40, 60))
    gtin = _gtin13(rng)
    return _matrix(gtin, zxingcpp.BarcodeFormat.EAN13), gtin, int(rng.integers(50, 75))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _label(kind: str, rng: np.random.Generator) -> tuple[Image.Image, str | None, float]:
    """The label as printed (paper 255, ink 0: contrast is the camera's business, later), and
    the size of a module in the photo, in pixels."""
    if kind == "none":
        mask, truth, bar_rows = _symbol("carton_qr", rng)
        mask = np.zeros_like(mask)
        truth = None
        module = float(rng.uniform(3, 6))
    else:
        mask, text, bar_rows = _symbol(kind, rng)
        truth = text
        if bar_rows:
            mask = np.repeat(mask[:1], bar_rows, axis=0)
            module = float(
                rng.uniform(2.4, 3.6) if kind == "carton_gs1_128" else rng.uniform(2.2, 4.5)
            )
        else:
            module = float(rng.uniform(3.2, 7.0))
    # Printed as a printer does, a whole number of dots per module; the camera's scale
    # (`module` photo pixels per module) is applied when the label is photographed.
    dots = _PRINT_DOTS
    per_px = dots / module  # label pixels per photo pixel
    sym_w, sym_h = mask.shape[1] * dots, mask.shape[0] * dots
    symbol = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8)).resize(
        (sym_w, sym_h), Image.Resampling.NEAREST
    )
    text_h = round(max(12, module * 3.5) * per_px)
    lines = int(rng.integers(2, 5))
    gap = round(4 * per_px)
    width = sym_w + 10 * dots
    height = sym_h + (lines + 1) * (text_h + gap) + 6 * dots
    label = Image.new("L", (width, height), 255)
    left = (width - sym_w) // 2
    top = 3 * dots
    label.paste(symbol, (left, top))
    draw = ImageDraw.Draw(label)
    font = _font(text_h)
    y = top + sym_h + gap
    if truth is not None and bar_rows:
        draw.text((left + dots * 10, y), truth.replace("\x1d", " "), fill=0, font=font)
        y += text_h + gap
    words = string.ascii_uppercase + string.digits
    for _ in range(lines):
        line = " ".join(
            "".join(words[i] for i in rng.integers(0, len(words), int(rng.integers(2, 9))))
            for _ in range(int(rng.integers(2, 6)))
        )
        draw.text((dots * 4, y), line, fill=int(rng.integers(0, 60)), font=font)
        y += text_h + gap
    return label, truth, module


def _solve_perspective(src: np.ndarray, dst: np.ndarray) -> tuple[float, ...]:
    """PIL PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return tuple(float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs)))


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    w, h = size
    coarse = rng.normal(0, 25, (h // 40 + 2, w // 40 + 2))
    texture = np.asarray(
        Image.fromarray(coarse.astype(np.float32), "F").resize((w, h), Image.Resampling.BICUBIC)
    )
    yy, xx = np.ogrid[0:h, 0:w]
    slope = rng.uniform(-0.05, 0.05, 2).astype(np.float32)
    return np.float32(rng.uniform(70, 190)) + texture + slope[0] * xx + slope[1] * yy


def render(seed: int) -> PhonePhoto:
    """The photo for one seed: same seed, same bytes."""
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(KINDS, p=_WEIGHTS))
    label, truth, module = _label(kind, rng)
    size = (2400, 1800) if kind == "carton_gs1_128" else (1280, 960)
    w, h = size
    # Pose: mostly the 10-30 degree tilt of a hand-held shot, some nearly square.
    tilt = float(rng.uniform(10, 30) if rng.random() < 0.7 else rng.uniform(0, 10))
    angle = np.radians(tilt * rng.choice([-1, 1]))
    lw, lh = (side * module / _PRINT_DOTS for side in label.size)  # in photo pixels
    corners = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], dtype=float)
    centred = corners - [lw / 2, lh / 2]
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    placed = centred @ rot.T
    # Perspective: each corner pushed by up to 8% of the label's shorter side (a share of
    # each side's own length would shear a long, thin GS1-128 label far beyond any camera).
    placed += rng.uniform(-0.08, 0.08, (4, 2)) * min(lw, lh)
    extent = placed.max(axis=0) - placed.min(axis=0)
    fit = min(1.0, 0.95 * w / extent[0], 0.95 * h / extent[1])
    placed *= fit
    extent *= fit
    slack = np.maximum([w, h] - extent, 0) / 2
    centre = np.array([w / 2, h / 2]) + rng.uniform(-1, 1, 2) * slack * 0.8
    placed += centre
    # A camera integrates light over each pixel; PIL's transform samples points. So the
    # label is photographed onto a grid _SUPERSAMPLE times finer, then reduced by area: thin
    # bars keep smooth edges instead of aliasing into grey hatching no lens produces.
    label_corners = corners * _PRINT_DOTS / module
    fine = (w * _SUPERSAMPLE, h * _SUPERSAMPLE)
    coeffs = _solve_perspective(label_corners, placed * _SUPERSAMPLE)
    paper = label.transform(
        fine, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    ).resize(size, Image.Resampling.BOX)
    inside = (
        Image.new("L", label.size, 255)
        .transform(fine, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
        .resize(size, Image.Resampling.BOX)
    )
    alpha = np.asarray(inside, dtype=np.float32) / 255
    # Ink and paper as the camera sees them; low contrast on some shots.
    low = rng.random() < 0.25
    paper_level = float(rng.uniform(150, 200) if low else rng.uniform(200, 250))
    ink_level = float(rng.uniform(80, 115) if low else rng.uniform(10, 70))
    label_px = ink_level + (np.asarray(paper, dtype=np.float32) / 255) * (paper_level - ink_level)
    photo = alpha * label_px + (1 - alpha) * _background(size, rng)
    # Uneven light across the frame.
    yy, xx = (a.astype(np.float32) for a in np.ogrid[0:h, 0:w])
    shade = 1 + rng.uniform(-0.25, 0.1) * (xx / w) + rng.uniform(-0.15, 0.1) * (yy / h)
    photo *= shade.astype(np.float32)
    conditions = {"tilt": tilt, "module": module * fit, "fit": fit, "low_contrast": float(low)}
    # Glare: a bright spot, sometimes over the symbol.
    conditions["glare"] = 0.0
    if rng.random() < 0.35:
        gx, gy = centre + rng.normal(0, 0.5, 2) * extent / 2
        radius = float(rng.uniform(0.05, 0.2)) * w
        strength = float(rng.uniform(60, 160))
        spot_x = np.exp(-((xx - gx) ** 2) / (2 * radius**2))
        spot_y = np.exp(-((yy - gy) ** 2) / (2 * radius**2))
        photo += np.float32(strength) * (spot_y * spot_x)
        conditions["glare"] = strength
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8))
    # Focus and hand shake.
    blur = rng.random()
    conditions["defocus"] = conditions["shake"] = 0.0
    if blur < 0.45:
        conditions["defocus"] = float(rng.uniform(0.5, 1.6))
        image = image.filter(ImageFilter.GaussianBlur(conditions["defocus"]))
    elif blur < 0.65:
        length = int(rng.integers(3, 6))
        conditions["shake"] = length
        kernel = np.zeros((5, 5))
        direction = int(rng.integers(0, 2))
        if direction:
            kernel[2, :length] = 1
        else:
            np.fill_diagonal(kernel[:length, :length], 1)
        image = image.filter(ImageFilter.Kernel((5, 5), kernel.ravel().tolist(), scale=length))
    pixels = np.asarray(image, dtype=np.float32)
    grain = rng.standard_normal(pixels.shape, dtype=np.float32)
    conditions["noise"] = float(rng.uniform(1, 6))
    pixels += grain * np.float32(conditions["noise"])
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    conditions["jpeg"] = int(rng.integers(55, 93))
    image.save(out, "JPEG", quality=int(conditions["jpeg"]))
    truths = frozenset({truth} if truth else ())
    return PhonePhoto(seed, kind, out.getvalue(), truths, conditions)
