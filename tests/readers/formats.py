"""Opens one form's exports with the readers analysts use and checks them against the CSV export
of the same responses, value by value (tests/formats.rs runs it).

    python3 formats.py DIR FORM

DIR holds `codes.zip` (format=zip), `labels.zip` (format=zip&labels=es) and `x.dta`, `x.sav`,
`x.parquet` (each a file, or a ZIP of one per table) and `x.xlsx`. Readers: pyreadstat and
pandas (Stata, SPSS), R's haven (Stata, SPSS), PSPP (SPSS), DuckDB (Parquet), openpyxl (Excel).
Prints `formats ok` and a summary when everything holds.
"""

import csv
import datetime as dt
import json
import math
import os
import subprocess
import sys
import zipfile

import duckdb
import openpyxl
import pandas as pd
import pyreadstat

d, form = sys.argv[1:3]
HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
report = []


def tables(path, ext, dest):
    """Table stem -> file: the ZIP's members of that extension in order, or the file itself."""
    if zipfile.is_zipfile(path) and ext != "xlsx":
        z = zipfile.ZipFile(path)
        out = os.path.join(d, dest)
        z.extractall(out)
        return {n[: -len(ext) - 1]: os.path.join(out, n) for n in z.namelist() if n.endswith("." + ext) and n != "codebook.csv"}
    return {form: path}


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


codes = tables(f"{d}/codes.zip", "csv", "codes")
labels = tables(f"{d}/labels.zip", "csv", "labels")
kinds = {}
with open(os.path.join(d, "codes", "codebook.csv"), encoding="utf-8", newline="") as f:
    for row in csv.DictReader(f):
        kinds[(row["file"][:-4], row["variable"])] = (row["type"], row["label_es"])
reference = {stem: read_csv(path) for stem, path in codes.items()}
labelled = {stem: read_csv(path)[1] for stem, path in labels.items()}
stems = list(reference)
assert stems[0] == form, stems
NUMERIC = {"integer", "number", "boolean", "choice_flag", "score"}


def kind(stem, column):
    k = kinds.get((stem, column), ("string", ""))[0]
    return "score" if column.startswith("score/") and k == "number" else k


def ms(text):
    return round(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT or (hasattr(pd, "isna") and not isinstance(v, str) and pd.isna(v))


def _parses(text, form):
    try:
        dt.datetime.strptime(text, form)
        return True
    except ValueError:
        return False


def same_number(v, r):
    return not missing(v) and math.isclose(float(v), float(r), rel_tol=1e-12, abs_tol=1e-9)


def check_labelled(fmt, stem, df, meta):
    """A Stata or SPSS table against the CSV: names, labels, and every value."""
    header, rows = reference[stem]
    assert list(df.shape) == [len(rows), len(header)], f"{fmt} {stem}: shape {df.shape}, CSV {len(rows)}x{len(header)}"
    names = meta.column_names
    limit = 32 if fmt == "dta" else 64
    assert len({n.lower() for n in names}) == len(names) and all(len(n.encode()) <= limit and n[0].isalpha() for n in names), names
    for j, path in enumerate(header):
        k, label_es = kind(stem, path), kinds.get((stem, path), ("", ""))[1]
        name, label = names[j], meta.column_labels[j] or ""
        if label_es and k not in ("choice_flag", "category"):
            head = label.split(" [")[0] if name != path else label
            assert head and label_es.startswith(head) and (len(head) >= 10 or head == label_es), f"{fmt} {stem}.{path}: label {label!r}, codebook {label_es!r}"
        if name != path and label:
            assert path[:30] in label or len(label) >= 70, f"{fmt} {stem}.{path}: the path is not in the label {label!r}"
        value_labels = meta.variable_value_labels.get(name)
        for i, row in enumerate(rows):
            r, v = row[j], df.iat[i, j]
            where = f"{fmt} {stem} row {i} {path}: {v!r} vs CSV {r!r}"
            if k in NUMERIC:
                assert (r == "" and missing(v)) or same_number(v, r), where
            elif value_labels is not None and k != "choice_flag":
                if r == "":
                    assert missing(v), where
                else:
                    assert value_labels[v] == labelled[stem][i][j] or value_labels[v] == r, where + f" label {value_labels.get(v)!r} vs {labelled[stem][i][j]!r}"
            elif k == "date":
                assert (r == "" and missing(v)) or str(v)[:10] == r, where
            elif k == "datetime":
                assert (r == "" and missing(v)) or abs(ms(str(pd.Timestamp(v).isoformat()) + "Z") - ms(r)) <= 1, where
            else:
                # SPSS pads text with spaces, so trailing spaces do not survive it.
                expected = r.rstrip(" ") if fmt == "sav" else r
                assert (v if not missing(v) else "") == expected, where
    return names


# Stata: pyreadstat, pandas, and (below) R's haven.
dta = tables(f"{d}/x.dta", "dta", "dta")
assert list(dta) == stems, f"dta tables {list(dta)} vs CSV {stems}"
for stem, path in dta.items():
    df, meta = pyreadstat.read_dta(path)
    check_labelled("dta", stem, df, meta)
    assert pd.read_stata(path, convert_categoricals=False).shape == df.shape
report.append(f"dta {len(dta)} tables")

# SPSS: pyreadstat, PSPP, and R's haven.
sav = tables(f"{d}/x.sav", "sav", "sav")
assert list(sav) == stems, f"sav tables {list(sav)} vs CSV {stems}"
sav_frames = {}
for stem, path in sav.items():
    df, meta = pyreadstat.read_sav(path)
    names = check_labelled("sav", stem, df, meta)
    measures = set(meta.variable_measure.values())
    assert measures <= {"nominal", "scale"} and "nominal" in measures, measures
    sav_frames[stem] = (df, names)
    out = os.path.join(d, f"pspp-{stem}.csv")
    syntax = os.path.join(d, f"pspp-{stem}.sps")
    with open(syntax, "w", encoding="utf-8") as f:
        f.write(f"GET FILE='{path}'.\nDISPLAY DICTIONARY.\nSAVE TRANSLATE /OUTFILE='{out}' /TYPE=CSV /REPLACE /FIELDNAMES /CELLS=VALUES.\n")
    listing = os.path.join(d, f"pspp-{stem}.txt")
    run = subprocess.run(["pspp", "-O", "format=txt", "-o", listing, syntax], capture_output=True, text=True)
    text = open(listing, encoding="utf-8").read() if os.path.exists(listing) else ""
    assert run.returncode == 0 and "error" not in (run.stdout + run.stderr + text).lower() and "warning" not in text.lower(), f"PSPP: {run.stdout}{run.stderr}{text[:2000]}"
    accented = [l for l in meta.column_labels if l and any(c in l for c in "áéíóúñ")]
    assert not accented or accented[0][:10] in text.replace("\n", " ") or accented[0].split()[0] in text, "PSPP lost the accents of the labels"
    header, rows = read_csv(out)
    assert [h.lower() for h in header] == [n.lower() for n in names], (header[:5], names[:5])
    assert len(rows) == len(df), f"PSPP read {len(rows)} cases of {len(df)}"
    for j, name in enumerate(names):
        for i, row in enumerate(rows):
            p, v = row[j].strip(), df.iat[i, j]
            if isinstance(v, str):
                assert p == v.strip(), f"PSPP {stem}.{name} row {i}: {p!r} vs {v!r}"
            elif missing(v):
                assert p in ("", "."), f"PSPP {stem}.{name} row {i}: {p!r} for a missing value"
            elif isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
                got = next((dt.datetime.strptime(p, f) for f in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%d-%b-%Y", "%d-%b-%Y %H:%M:%S") if _parses(p, f)), None)
                want = pd.Timestamp(v).to_pydatetime().replace(microsecond=0)
                assert got is not None and abs((got - want).total_seconds()) <= 1, f"PSPP {stem}.{name} row {i}: {p!r} vs {v!r}"
            else:
                assert same_number(p, v), f"PSPP {stem}.{name} row {i}: {p!r} vs {v!r}"
report.append(f"sav {len(sav)} tables (PSPP agrees)")

# R's haven, on every Stata and SPSS table: per column its label, its value labels and a digest
# of its values, compared with pyreadstat's.
files = [("dta", s, p) for s, p in dta.items()] + [("sav", s, p) for s, p in sav.items()]
listing = os.path.join(d, "haven.tsv")
with open(os.path.join(d, "files.tsv"), "w", encoding="utf-8") as f:
    for fmt, stem, path in files:
        f.write(f"{fmt}\t{stem}\t{path}\n")
run = subprocess.run(["Rscript", os.path.join(HERE, "haven.R"), os.path.join(d, "files.tsv"), listing], capture_output=True, text=True)
assert run.returncode == 0, f"R haven: {run.stdout}{run.stderr}"
with open(listing, encoding="utf-8", newline="") as f:
    haven = {(r["fmt"], r["stem"], r["name"]): r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
for fmt, stem, path in files:
    df, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(path)
    for j, name in enumerate(meta.column_names):
        h = haven[(fmt, stem, name)]
        assert h["label"] == (meta.column_labels[j] or "").replace("\t", " ").replace("\n", " "), f"haven {fmt} {stem}.{name}: {h['label']!r}"
        expected_labels = meta.variable_value_labels.get(name, {})
        got = json.loads(h["labels"]) if h["labels"] else {}
        assert {float(k): v for k, v in got.items()} == {float(k): v for k, v in expected_labels.items()}, f"haven {fmt} {stem}.{name}: {got} vs {expected_labels}"
        col = df[name]
        present = [v for v in col if not missing(v) and not (isinstance(v, str) and v == "")]
        assert int(h["present"]) == len(present), f"haven {fmt} {stem}.{name}: {h['present']} present vs {len(present)}"
        if present and isinstance(present[0], str):
            assert int(h["chars"]) == sum(len(v.rstrip(" ") if fmt == "sav" else v) for v in present), f"haven {fmt} {stem}.{name}: characters"
        elif present and isinstance(present[0], (int, float)) and not isinstance(present[0], bool):
            assert math.isclose(float(h["sum"]), float(sum(present)), rel_tol=1e-9, abs_tol=1e-6), f"haven {fmt} {stem}.{name}: sum {h['sum']} vs {sum(present)}"
report.append(f"haven {len(files)} files")

# Parquet: DuckDB, typed columns, labels in the metadata.
parquet = tables(f"{d}/x.parquet", "parquet", "parquet")
assert list(parquet) == stems, f"parquet tables {list(parquet)} vs CSV {stems}"
TYPES = {"integer": "BIGINT", "number": "DOUBLE", "score": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP WITH TIME ZONE",
         "boolean": "BIGINT", "choice_flag": "BIGINT"}
for stem, path in parquet.items():
    header, rows = reference[stem]
    described = duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()
    assert [c[0] for c in described] == header, (stem, [c[0] for c in described][:5], header[:5])
    for (column, ty, *_) in described:
        k = kind(stem, column)
        assert ty == TYPES.get(k, "VARCHAR") or (column == "revision" and ty == "BIGINT"), f"parquet {stem}.{column}: {ty} for {k}"
    got = duckdb.sql(f"select * from read_parquet('{path}')").fetchall()
    assert len(got) == len(rows), f"parquet {stem}: {len(got)} rows"
    for i, (row, values) in enumerate(zip(rows, got)):
        for j, (r, v) in enumerate(zip(row, values)):
            k, where = kind(stem, header[j]), f"parquet {stem} row {i} {header[j]}: {v!r} vs {r!r}"
            if r == "":
                assert v is None or header[j] == "revision", where
            elif k in NUMERIC:
                assert same_number(v, r), where
            elif k == "date":
                assert v.isoformat() == r, where
            elif k == "datetime":
                assert round((v - EPOCH).total_seconds() * 1000) == ms(r), where
            elif header[j] == "revision":
                assert str(v) == r, where
            else:
                assert v == r, where
    kv = dict(duckdb.sql(f"select decode(key), decode(value) from parquet_kv_metadata('{path}')").fetchall())
    meta = json.loads(kv["campo.labels"])
    assert [c["name"] for c in meta["columns"]] == header
    assert any(c.get("values") for c in meta["columns"]) or stem != form, "parquet: no choice labels in the metadata"
report.append(f"parquet {len(parquet)} tables")

# Excel: one workbook, a sheet per table in order, then the codebook.
wb = openpyxl.load_workbook(f"{d}/x.xlsx")
sheets = wb.worksheets
assert len(sheets) == len(stems) + 1, [s.title for s in sheets]
for stem, ws in zip(stems, sheets):
    header, rows = reference[stem]
    assert ws.freeze_panes == "A2", f"xlsx {ws.title}: header not frozen ({ws.freeze_panes})"
    got = list(ws.iter_rows(values_only=True))
    assert list(got[0]) == header and len(got) == len(rows) + 1, (ws.title, len(got), len(rows))
    for i, (row, values) in enumerate(zip(rows, got[1:])):
        values = list(values) + [None] * (len(header) - len(values))
        for j, (r, v) in enumerate(zip(row, values)):
            k, where = kind(stem, header[j]), f"xlsx {ws.title} row {i} {header[j]}: {v!r} vs {r!r}"
            if r == "":
                assert v is None, where
            elif k in NUMERIC or header[j] == "revision":
                assert isinstance(v, (int, float)) and same_number(v, r), where
            elif k == "date":
                assert isinstance(v, dt.datetime) and v.date().isoformat() == r, where
            elif k == "datetime":
                assert isinstance(v, dt.datetime) and abs(round(v.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) - ms(r)) <= 1, where
            else:
                assert v == r, where
codebook = list(sheets[-1].iter_rows(values_only=True))
assert len(codebook) - 1 == sum(len(reference[s][0]) for s in stems), "xlsx: the codebook sheet lists every column"
report.append(f"xlsx {len(sheets)} sheets")

# Repeat tables join back on PARENT_KEY.
for stem in stems[1:]:
    df, _ = pyreadstat.read_dta(dta[stem])
    keys = set(pyreadstat.read_dta(dta[form])[0]["submission_id"])
    for other in stems[1:]:
        keys |= set(pyreadstat.read_dta(dta[other])[0]["KEY"])
    assert set(df["PARENT_KEY"]) <= keys, f"{stem}: PARENT_KEY without a parent"
    top = [k for k in df["PARENT_KEY"] if "[" not in k]
    rows = duckdb.sql(
        f"select count(*) from read_parquet('{parquet[stem]}') r join read_parquet('{parquet[form]}') m on r.PARENT_KEY = m.submission_id"
    ).fetchall()[0][0]
    assert rows == len(top), f"{stem}: {rows} of {len(top)} top-level rows join the main table"
print("formats ok: " + "; ".join(report))
