"""Write the hostile-input corpus: every file made here, none downloaded.

    python tests/data/hostile/make_hostile.py

Each file's expected outcome is in EXPECTED (also used by tests/test_hostile.py).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = "rid,grp,ans,tools"
ROWS = [f"r{k:04d},{'AB'[k % 2]},{'Yes' if k % 3 else 'No'},x" for k in range(60)]
ROWS[0] = "café,A,No,x"  # a non-ASCII id, so the encodings are really tested

EXPECTED = {
    "utf8_bom.csv": "loads like the plain file",
    "utf16.csv": "loads like the plain file",
    "cp1252.csv": "loads like the plain file (the é of Café survives)",
    "semicolon.csv": "loads like the plain file",
    "tabs.tsv": "loads like the plain file",
    "crlf_quoted.csv": "CRLF line ends and quoted cells: loads like the plain file",
    "quoted_newline.csv": "loads; the quoted newline stays inside its cell",
    "qualtrics.csv": "layout qualtrics detected; its two extra header rows are not data",
    "deep_not_numeric.csv": "row 5,002 rejected: 'n/a' is not a number (score)",
    "ragged.csv": "error naming the file: a row has more cells than the header",
    "not_utf8_or_cp1252.csv": "loads as cp1252 or errors naming the file; never silent NULLs",
    "billion_laughs.xlsx": "an error or a plain read: entities are not expanded, no hang",
    "not_a_workbook.xlsx": "error naming the file (not a zip workbook)",
    "truncated.sav": "error naming the file",
    "surveymonkey.csv": "layout surveymonkey detected; columns become \"question | option\"",
}


def plain_rows() -> list[str]:
    return [HEADER, *ROWS]


def main() -> None:
    text = "\n".join(plain_rows()) + "\n"
    (HERE / "plain.csv").write_text(text, encoding="utf-8")
    (HERE / "utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (HERE / "utf16.csv").write_bytes(text.encode("utf-16"))
    (HERE / "cp1252.csv").write_bytes(text.encode("cp1252"))
    (HERE / "semicolon.csv").write_text(text.replace(",", ";"), encoding="utf-8")
    (HERE / "tabs.tsv").write_text(text.replace(",", "\t"), encoding="utf-8")
    crlf = "\r\n".join(plain_rows()[:1] + [r.replace(",x", ',"x"') for r in ROWS]) + "\r\n"
    (HERE / "crlf_quoted.csv").write_bytes(crlf.encode("utf-8"))
    (HERE / "quoted_newline.csv").write_text(
        'rid,note\nn1,"first line\nsecond line"\nn2,plain\n', encoding="utf-8")
    q = [HEADER, "Respondent,Group,Answer,Tools",
         '{"ImportId":"rid"},{"ImportId":"QID1"},{"ImportId":"QID2"},{"ImportId":"QID3"}', *ROWS]
    (HERE / "qualtrics.csv").write_text("\n".join(q) + "\n", encoding="utf-8")
    deep = ["rid,score"] + [f"r{k},{k % 10}" for k in range(6000)]
    deep[5001] = "r5000,n/a"
    (HERE / "deep_not_numeric.csv").write_text("\n".join(deep) + "\n", encoding="utf-8")
    (HERE / "ragged.csv").write_text(HEADER + "\n" + ROWS[0] + ",extra,cells\n" +
                                     "\n".join(ROWS[1:]) + "\n", encoding="utf-8")
    (HERE / "not_utf8_or_cp1252.csv").write_bytes(
        (HEADER + "\n").encode() + b"r9999,A,\x81\x8d\x8f,x\n")
    (HERE / "billion_laughs.xlsx").write_bytes(_billion_laughs())
    (HERE / "not_a_workbook.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (HERE / "truncated.sav").write_bytes(b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 40)
    (HERE / "surveymonkey.csv").write_text(surveymonkey(), encoding="utf-8")
    (HERE / "EXPECTED.md").write_text("# Hostile inputs and what each must do\n\n" + "".join(
        f"- `{k}`: {v}\n" for k, v in EXPECTED.items()))


def _billion_laughs() -> bytes:
    """A minimal workbook whose sheet XML declares nested entities (the billion laughs)."""
    ents = "".join(f'<!ENTITY l{k} "&l{k - 1};&l{k - 1};&l{k - 1};&l{k - 1};&l{k - 1};'
                   f'&l{k - 1};&l{k - 1};&l{k - 1};&l{k - 1};&l{k - 1};">' for k in range(1, 10))
    sheet = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">' + ents + ']>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row>'
             '</sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',  # noqa: E501
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',  # noqa: E501
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2014, 11, 18, 0, 0, 0))
            z.writestr(info, body)
    return buf.getvalue()



def surveymonkey() -> str:
    """A SurveyMonkey-style export: question row, then response/option row."""
    top = ["Respondent ID", "Which group are you in?", "Did it work?",
           "Which tools do you use?", ""]
    sub = ["", "Response", "Response", "Tool X", "Tool Y"]
    rows = [",".join(top), ",".join(sub)]
    rows += [f"r{k:04d},{'AB'[k % 2]},{'Yes' if k % 3 else 'No'},{'Tool X' if k % 2 else ''},"
             f"{'Tool Y' if k % 4 == 0 else ''}" for k in range(40)]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
