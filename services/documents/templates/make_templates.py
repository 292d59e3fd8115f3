"""Builds the two default Word templates of the committee's reports: ``party.docx`` (the layout
of a party committee's report) and ``union.docx`` (a labour federation's). Run it after changing
the layouts, and commit the .docx files it writes:

    python services/documents/templates/make_templates.py

The office edits the .docx files in Word. The tags in double braces are filled by the bot
(docs/documents.md lists them); a row starting "{%tr for … %}" repeats for every line of a table.
Layout after Decree 30/2020 and the party's guide: A4, Times New Roman 13–14, margins 2/2/3/2 cm.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"


def _no_borders(table: Any) -> None:
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _line(
    cell_or_doc: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int = 13,
    center: bool = True,
    underline: bool = False,
) -> Any:
    paragraph = cell_or_doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    return paragraph


def _header(doc: Any, layout: str) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.0), Cm(9.0)
    left.paragraphs[0].text = ""
    if layout == "party":
        _line(left, "ĐẢNG BỘ {{ province_upper }}")
        _line(left, "BAN CHỈ ĐẠO", bold=True)
        _line(left, "*")
        _line(left, "Số      -BC/BCĐ", size=13)
        _line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, underline=True, size=14)
    else:
        _line(left, "LIÊN ĐOÀN LAO ĐỘNG {{ province_upper }}", size=12)
        _line(left, "BAN CHỈ ĐẠO", bold=True, size=12)
        _line(left, "Số:      /BC-BCĐ", size=13)
        _line(right, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
        _line(right, "Độc lập - Tự do - Hạnh phúc", bold=True, underline=True, size=13)
    _line(right, "")
    _line(right, "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", italic=True)


def _heading(doc: Any, text: str) -> None:
    paragraph = _line(doc, text, bold=True, size=14, center=False)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(3)


def _text(doc: Any, text: str, *, italic: bool = False) -> None:
    paragraph = _line(doc, text, italic=italic, size=14, center=False)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1)
    paragraph.paragraph_format.space_after = Pt(3)


def _table(doc: Any, items: str, columns: list[tuple[str, str, float]]) -> None:
    """A header row, then one row per item of ``items`` (docxtpl's {%tr %} rows)."""
    table = doc.add_table(rows=4, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, (title, field, width) in enumerate(columns):
        cells = [row.cells[column] for row in table.rows]
        for cell in cells:
            cell.width = Cm(width)
        cells[0].paragraphs[0].text = ""
        head = cells[0].paragraphs[0].add_run(title)
        head.bold = True
        head.font.size = Pt(12)
        cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        value = cells[2].paragraphs[0]
        value.add_run("{{ r." + field + " }}").font.size = Pt(12)
        value.alignment = WD_ALIGN_PARAGRAPH.LEFT if column == 1 else WD_ALIGN_PARAGRAPH.RIGHT
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in " + items + " %}")
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")


def build(layout: str) -> Any:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)

    _header(doc, layout)
    _line(doc, "")
    _line(doc, "BÁO CÁO", bold=True, size=15)
    _line(doc, "{{ subject }}", bold=True, size=14)
    _line(doc, "{{ scope_name }}", bold=True, size=14)
    _line(doc, "-----", size=13)
    _text(
        doc,
        "Căn cứ số liệu các đơn vị đã báo cáo trên hệ thống (số liệu tính đến ngày {{ as_of }}), "
        "Ban Chỉ đạo báo cáo kết quả thực hiện {{ period_label }} như sau:",
    )

    _heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ")
    _text(doc, "{{ reporting_summary }}")
    _table(
        doc,
        "areas",
        [
            ("Hạng", "rank", 1.3),
            ("Khu vực", "name", 6.0),
            ("Phải báo cáo", "expected", 2.2),
            ("Đã báo cáo", "submitted", 2.2),
            ("Tỷ lệ báo cáo", "reporting_rate", 2.2),
            ("Tỷ lệ đúng hạn", "on_time_rate", 2.2),
        ],
    )

    _heading(doc, "II. KẾT QUẢ THỰC HIỆN")
    _heading(doc, "1. Số liệu chung")
    _table(
        doc,
        "headline",
        [
            ("STT", "no", 1.2),
            ("Nội dung", "label", 8.0),
            ("Cuối kỳ", "value", 3.0),
            ("Cuối kỳ trước", "previous", 3.0),
        ],
    )
    _heading(doc, "2. Kết quả trong kỳ")
    _table(
        doc,
        "flows",
        [
            ("STT", "no", 1.0),
            ("Chỉ tiêu", "label", 5.6),
            ("Trong kỳ", "current", 2.1),
            ("Kỳ trước", "previous", 2.1),
            ("Lũy kế năm", "year_to_date", 2.3),
            ("Cùng kỳ năm trước", "year_to_date_last_year", 2.6),
        ],
    )
    _line(doc, "{%p if founded %}", center=False)
    _heading(doc, "3. Thành lập tổ chức")
    _table(
        doc,
        "founded",
        [
            ("STT", "no", 1.2),
            ("Nội dung", "label", 8.0),
            ("Trong kỳ", "current", 3.0),
            ("Lũy kế năm", "year_to_date", 3.0),
        ],
    )
    _line(doc, "{%p endif %}", center=False)

    _heading(doc, "III. THỰC HIỆN CHỈ TIÊU NĂM {{ target_year }}")
    _text(doc, "{{ targets_summary }}")
    _table(
        doc,
        "targets",
        [
            ("STT", "no", 1.0),
            ("Chỉ tiêu", "label", 5.0),
            ("Chỉ tiêu năm", "target", 2.2),
            ("Kết quả", "value", 2.2),
            ("Tỷ lệ hoàn thành", "achieved", 2.3),
            ("Tiến độ cần đạt", "expected", 2.3),
            ("Đánh giá", "status", 2.3),
        ],
    )

    _heading(doc, "IV. TÂM TƯ, NGUYỆN VỌNG CỦA NGƯỜI LAO ĐỘNG")
    _table(
        doc,
        "concerns",
        [
            ("STT", "no", 1.2),
            ("Loại", "label", 6.8),
            ("Mới trong kỳ", "new", 2.6),
            ("Đã trả lời", "answered", 2.6),
            ("Đang quá hạn", "overdue", 2.6),
        ],
    )
    _text(doc, "{{ concerns_note }}", italic=True)

    _heading(doc, "V. CÁC ĐƠN VỊ CHƯA BÁO CÁO")
    _text(doc, "{{ missing_summary }}")
    _table(
        doc,
        "missing",
        [
            ("STT", "no", 1.2),
            ("Mã", "code", 2.4),
            ("Đơn vị", "name", 5.8),
            ("Khu vực", "area", 3.6),
            ("Tháng chưa báo cáo", "months", 3.0),
        ],
    )

    _heading(doc, "VI. NHẬN XÉT, ĐỀ XUẤT")
    _text(doc, "(Văn phòng thường trực bổ sung nhận xét, đề xuất trước khi trình ký.)", italic=True)

    _line(doc, "")
    signature = doc.add_table(rows=1, cols=2)
    _no_borders(signature)
    left, right = signature.rows[0].cells
    left.paragraphs[0].text = ""
    _line(left, "Nơi nhận:", bold=True, italic=True, size=12, center=False)
    _line(left, "- Thường trực cấp ủy;", size=11, center=False)
    _line(left, "- Các thành viên Ban Chỉ đạo;", size=11, center=False)
    _line(left, "- Lưu Văn phòng.", size=11, center=False)
    _line(right, "T/M BAN CHỈ ĐẠO" if layout == "party" else "TM. BAN CHỈ ĐẠO", bold=True)
    _line(right, "TRƯỞNG BAN", bold=True)
    for _ in range(4):
        _line(right, "")
    _line(right, "(Ký, ghi rõ họ tên)", italic=True)
    return doc


def main(folder: Path = HERE) -> list[Path]:
    written = []
    for layout in ("party", "union"):
        path = folder / f"{layout}.docx"
        build(layout).save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
