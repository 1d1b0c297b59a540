"""`adam demo` as a new user runs it: both twins end to end, an index linking every
output, and Table 1 equal to the published Table 1, per study and as the report's
four-column table in the publication set."""

import re
import subprocess
import sys

PUBLISHED_TABLE1 = {
    "tourmaline-mm3": ["288 (73.1)", "190 (73.4)", "263 (66.8)", "169 (65.3)", "255 (64.7)", "161 (62.2)",
                       "182 (46.2)", "141 (54.4)", "138 (35.0)", "74 (28.6)", "105 (26.6)", "71 (27.4)"],
    "tourmaline-mm4": ["308 (72.3)", "198 (71.7)", "286 (67.1)", "184 (66.7)", "257 (60.3)", "168 (60.9)",
                       "143 (33.6)", "99 (35.9)", "109 (25.6)", "73 (26.4)", "99 (23.2)", "58 (21.0)"],
}


def test_demo_runs_everything(tmp_path):
    out = tmp_path / "demo"
    res = subprocess.run([sys.executable, "-m", "adam.cli", "demo", "--out", str(out), "--format", "html"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    for name, cells in PUBLISHED_TABLE1.items():
        for sub in ("sdtm/dm.xpt", "adam/adsl.xpt", "adam/adtte.xpt", "ard/ard.csv", "checks/findings.csv",
                    "checks/report.html", "tlf/index.html"):
            assert (out / name / sub).exists(), sub
        for link in re.findall(r'href="([^"]+)"', index):
            assert (out / link).exists(), link
        table1 = (out / name / "tlf" / "table1.html").read_text(encoding="utf-8")
        cells_found = re.findall(r"\d+ \(\d+\.\d\)", table1)
        assert cells_found == cells, (name, cells_found)
        assert f'href="{name}/tlf/figure2.html"' in index
    # the publication set, shown first: one Table 1 with both trials, as the report's
    mm3, mm4 = PUBLISHED_TABLE1.values()
    four = [c for i in range(0, len(mm3), 2) for c in (*mm3[i:i + 2], *mm4[i:i + 2])]
    table1 = (out / "publication" / "table1.html").read_text(encoding="utf-8")
    assert re.findall(r"\d+ \(\d+\.\d\)", table1) == four
    assert index.index('href="publication/table1.html"') < index.index('href="tourmaline-mm3/tlf/table1.html"')
    assert 'href="publication/figure2-B.png"' in index
