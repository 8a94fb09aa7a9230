"""HTML to A4 PDF by headless Chromium: the one printer of the service (inspection reports, the 地名志 draft).

The page is written to a temporary folder and printed from there with no network (every host name resolves to
nothing), so a page prints only what it carries or names as a local file (photos)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from core.errors import ServiceUnavailable

PDF_TIMEOUT_S = 120
# The font stack of printed pages: a Latin face with the whole pinyin alphabet first (WenQuanYi Micro Hei has
# empty glyphs for the third-tone vowels ǎ ǐ ǒ ǔ, which printed blank), then the CJK faces for the Hanzi.
PRINT_FONTS = '"DejaVu Sans", "Liberation Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif'


def html_to_pdf(page: str, *, what: str = "the page") -> bytes:
    """``page`` (a whole HTML document, its own print CSS) printed to PDF; 503 when Chromium is missing or fails."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise ServiceUnavailable(f"PDF needs Chromium on the server (apt-get install chromium); {what} as HTML works")
    with tempfile.TemporaryDirectory() as work:
        source, target = Path(work) / "page.html", Path(work) / "page.pdf"
        source.write_text(page, encoding="utf-8")
        done = subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={Path(work) / 'profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            capture_output=True,
            timeout=PDF_TIMEOUT_S,
        )
        if done.returncode != 0 or not target.is_file():
            raise ServiceUnavailable(f"Chromium could not print {what}: {done.stderr.decode()[-500:]}")
        return target.read_bytes()
