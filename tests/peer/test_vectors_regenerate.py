"""The committed ggwave vectors (tests/data/ggwave) are exactly what scripts/gen-vectors makes with
the real ggwave 0.4.3: regenerating them gives byte-identical files, and the full set contains the
committed files unchanged."""

import hashlib
import json
import subprocess
import sys

from ggpeer import ROOT

COMMITTED = ROOT / "tests" / "data" / "ggwave"
GEN = ROOT / "scripts" / "vectors" / "gen.py"


def _generate(out, which):
    subprocess.run([sys.executable, str(GEN), "--set", which, "--out", str(out)], check=True,
                   capture_output=True, timeout=300)
    return out


def test_regenerating_the_committed_set_is_byte_identical(tmp_path):
    out = _generate(tmp_path / "committed", "committed")
    made = sorted(p.name for p in out.iterdir())
    kept = sorted(p.name for p in COMMITTED.iterdir() if p.name != "README.md")
    assert made == kept
    assert len(made) == 22  # 21 WAV files and manifest.json
    for name in made:
        assert (out / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_committed_manifest_hashes_and_full_set(tmp_path):
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    assert manifest["set"] == "committed"
    for e in manifest["entries"]:
        blob = (COMMITTED / e["file"]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == e["sha256"], e["file"]
    full_dir = _generate(tmp_path / "full", "full")
    full = json.loads((full_dir / "manifest.json").read_text())
    assert full["set"] == "full" and len(full["entries"]) == 77
    by_name = {e["file"]: e for e in full["entries"]}
    for e in manifest["entries"]:
        assert by_name[e["file"]] == e
        assert (full_dir / e["file"]).read_bytes() == (COMMITTED / e["file"]).read_bytes()
