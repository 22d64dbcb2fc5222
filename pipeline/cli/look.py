"""`make look`: every output and the template rendered to PNG through LibreOffice, so a person can look.

    python -m pipeline.cli.look [--out look] [--docs docs]

Builds sample returns for a few LAs over two quarters in a temporary service home (one London LA
misses the second quarter, so the cost trend shows the like-for-like line), writes the template
and a feedback workbook for a return with errors, converts each workbook to PDF with LibreOffice
headless (`soffice`) and each page to PNG with poppler's `pdftoppm`. `--docs` also copies one
picture of each kind to that folder (docs/outputs.md shows them). Needs LibreOffice Calc and poppler:
`apt-get install -y --no-install-recommends libreoffice-calc poppler-utils`; `make test` does not.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.warehouse import submit

INSTALL = "apt-get install -y --no-install-recommends libreoffice-calc poppler-utils"
QUARTERS = ("2025-Q1", "2025-Q2")
LAS = {"2025-Q1": ["201", "202", "203", "204", "316", "370", "371"],
       "2025-Q2": ["202", "203", "204", "316", "370", "371"]}     # City of London (201) misses Q2
ERRORS_LA = "205"
# (file stem, PDF page) of the one picture of each kind docs/outputs.md shows
DOCS = {"regional-summary": ("London", 1), "national-cover": ("national", 1),
        "national-workforce": ("national", 3), "dfe-return": ("202_2025-Q2", 2),
        "feedback": (f"{ERRORS_LA}_2025-Q2_feedback", 1), "template": ("agency-return-template", 1)}


def tools() -> tuple[str, str] | None:
    """(soffice, pdftoppm) when both are installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    return (soffice, pdftoppm) if soffice and pdftoppm else None


def workbooks(folder: Path) -> list[Path]:
    """Write every kind of workbook people open into `folder`; returns their paths."""
    from pipeline.outputs.build import build_quarter
    from pipeline.outputs.sample import generate
    from pipeline.outputs.template import write_template
    from pipeline.rules.feedback import write_report
    from pipeline.rules.validate import validate_file

    home = folder / "home"
    for q in QUARTERS:
        for path in generate(q, folder / "returns" / q, seed=3, la_codes=LAS[q]):
            submit.submit_file(path, q, home=home)
        build_quarter(q, home=home)
    built = home / "outputs" / QUARTERS[-1]
    bad = generate(QUARTERS[-1], folder / "returns" / "errors", seed=3, la_codes=[ERRORS_LA],
                   flavours={ERRORS_LA: "errors"})[0]
    feedback = write_report(validate_file(bad, QUARTERS[-1]), bad, folder / f"{bad.stem}_feedback.xlsx")
    template = write_template(folder / "agency-return-template.xlsx")
    return [built / "regional" / "London.xlsx", built / "national.xlsx", built / "dfe" / f"202_{QUARTERS[-1]}.xlsx",
            built / "benchmark" / "202.xlsx", feedback, template]


def render(files: list[Path], out: Path, soffice: str, pdftoppm: str, *, dpi: int = 110) -> list[Path]:
    """Each workbook -> PDF (LibreOffice) -> one PNG per page in `out`, named <stem>-<page>.png."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"   # a private LibreOffice profile: never clashes with a running one
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", tmp, *map(str, files)], check=True, capture_output=True, timeout=600)
        for f in files:
            for old in out.glob(f"{f.stem}-*.png"):
                old.unlink()
            subprocess.run([pdftoppm, "-png", "-r", str(dpi), str(Path(tmp) / f"{f.stem}.pdf"), str(out / f.stem)],
                           check=True, timeout=600)
    return sorted(out.glob("*.png"))


def _page(out: Path, stem: str, page: int) -> Path | None:
    pages = sorted(out.glob(f"{stem}-*.png"))
    return pages[page - 1] if len(pages) >= page else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.cli.look", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("look"), help="where the pictures go (default ./look)")
    p.add_argument("--docs", type=Path, help="also copy one picture of each kind here")
    args = p.parse_args(argv)
    found = tools()
    if found is None:
        print(f"make look needs LibreOffice Calc and poppler's pdftoppm; install them with:\n  {INSTALL}",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        pictures = render(workbooks(Path(tmp)), args.out, *found)
    print(f"{len(pictures)} pictures in {args.out}/")
    if args.docs:
        args.docs.mkdir(parents=True, exist_ok=True)
        for name, (stem, page) in DOCS.items():
            picture = _page(args.out, stem, page)
            if picture is not None:
                shutil.copyfile(picture, args.docs / f"{name}.png")
                print(f"{args.docs / f'{name}.png'} ({picture.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
