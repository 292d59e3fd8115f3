"""The committee's quarterly and yearly report as a Word document: the digest's figures written
the Vietnamese way ("1.234,5", "97,2%") into a template the office edits (docxtpl over
python-docx), and a PDF beside it when LibreOffice is installed. Runs in a worker thread
(infra/rendering.py off_the_loop): it is CPU and disk, and LibreOffice takes seconds.

Every tag must be known: a tag the office misspelt would otherwise print as nothing, and a
signed report with a silent gap is worse than a refusal that names the tag.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
from docx import Document
from docxtpl import DocxTemplate

from handlers.digests.labels import (
    DASH,
    area_name,
    count,
    file_name,
    month_short,
    percent,
    period_label,
    suppressed,
    target_status,
)
from infra.i18n import day, tr
from services.digests import Digest, PeriodKind
from services.documents import FOUNDED_CODES, TemplateTagError
from services.targets import MeasureKind, TargetStatus

# A document is Vietnamese whoever asks for it: it is what the committee signs.
LANGUAGE: Final = "vi"
PDF_TIMEOUT_SECONDS: Final = 120
_PLACE_PREFIX: Final = re.compile(r"^(tỉnh|thành phố)\s+", re.IGNORECASE)
_OPENING: Final = re.compile(r"\{\{|\{%")


def _place(root_name: str) -> str:
    """ "Tỉnh Bắc Ninh (dữ liệu mẫu)" → "Bắc Ninh": where the report is issued."""
    return _PLACE_PREFIX.sub("", root_name.split("(")[0].strip())


def context(digest: Digest, root_name: str) -> dict[str, Any]:
    """Everything the template's tags can name, already written as the document prints it."""
    lang = LANGUAGE
    province = root_name.split("(")[0].strip()
    label = period_label(digest.period, lang)
    subject = tr(
        lang,
        "Results of the {period}",
        period=label,
    )
    overall = digest.overall
    areas = [
        {
            "rank": a.rank,
            "name": area_name(a, lang),
            "expected": count(a.rate.expected, lang),
            "submitted": count(a.rate.submitted, lang),
            "on_time": count(a.rate.on_time, lang),
            "reporting_rate": percent(a.rate.reporting_rate, lang),
            "on_time_rate": percent(a.rate.on_time_rate, lang),
            "approved": count(a.rate.approved, lang) if digest.reviewed else DASH,
            "approved_rate": percent(a.rate.approved_rate if digest.reviewed else None, lang),
        }
        for a in digest.areas
    ]
    headline = [
        {
            "no": number,
            "label": stock.label.get(lang),
            "value": count(stock.value, lang),
            "previous": count(stock.previous, lang),
        }
        for number, stock in enumerate(digest.headline.stocks, start=1)
    ]
    if digest.headline.density is not None:
        headline.append(
            {
                "no": len(headline) + 1,
                "label": tr(lang, "Union density (members / workers)"),
                "value": percent(digest.headline.density, lang),
                "previous": percent(digest.headline.density_previous, lang),
            }
        )

    def flow_row(number: int, flow: Any) -> dict[str, Any]:
        return {
            "no": number,
            "label": f"{flow.label.get(lang)} ({flow.set_label.get(lang)})",
            "current": count(flow.current, lang),
            "previous": count(flow.previous, lang),
            "year_to_date": count(flow.year_to_date, lang),
            "year_to_date_last_year": count(flow.year_to_date_last_year, lang),
        }

    flows = [flow_row(n, f) for n, f in enumerate(digest.flows, start=1)]
    founded_flows = [f for f in digest.flows if f.code in FOUNDED_CODES]
    founded = [flow_row(n, f) for n, f in enumerate(founded_flows, start=1)]
    targets = [
        {
            "no": number,
            "label": t.label.get(lang),
            "target": percent(float(t.target) / 100, lang)
            if t.measure is MeasureKind.SHARE
            else count(t.target, lang),
            "value": (
                percent(None if t.value is None else float(t.value) / 100, lang)
                if t.measure is MeasureKind.SHARE
                else count(t.value, lang)
            ),
            "achieved": percent(t.achieved, lang),
            "expected": percent(t.expected, lang),
            "status": target_status(t, lang),
        }
        for number, t in enumerate(digest.targets, start=1)
    ]
    on_track = sum(1 for t in digest.targets if t.reached or t.status is TargetStatus.ON_TRACK)
    concerns = [
        {
            "no": number,
            "label": line.label.get(lang),
            "new": suppressed(line.new, lang),
            "answered": suppressed(line.answered, lang),
            "overdue": suppressed(line.overdue, lang),
        }
        for number, line in enumerate((*digest.concerns, digest.concerns_total), start=1)
    ]
    concerns[-1]["no"] = ""
    missing = [
        {
            "no": number,
            "code": unit.code,
            "name": unit.name,
            "area": unit.area_name,
            "months": ", ".join(month_short(m) for m in unit.months),
        }
        for number, unit in enumerate(digest.missing, start=1)
    ]
    approved_summary = (
        tr(
            lang,
            "Approved by the level above: {approved} ({approved_rate}).",
            approved=count(overall.approved, lang),
            approved_rate=percent(overall.approved_rate, lang),
        )
        if digest.reviewed
        else ""
    )
    return {
        "scope_name": digest.scope.name,
        "scope_code": digest.scope.code,
        "province": province,
        "province_upper": province.upper(),
        "place": _place(root_name),
        "day": f"{digest.today.day:02d}",
        "month": f"{digest.today.month:02d}",
        "year": digest.today.year,
        "as_of": day(digest.today, lang),
        "period_label": label,
        "period_key": digest.period.key,
        "is_year": digest.period.kind is PeriodKind.YEAR,
        "subject": subject,
        "target_year": digest.period.year,
        "reporting_summary": " ".join(
            part
            for part in (
                tr(
                    lang,
                    "{submitted} of {expected} expected monthly reports were received "
                    "(reporting rate {rate}); {on_time} on time (on-time rate {on_time_rate}), "
                    "{late} late, {missing} missing.",
                    submitted=count(overall.submitted, lang),
                    expected=count(overall.expected, lang),
                    rate=percent(overall.reporting_rate, lang),
                    on_time=count(overall.on_time, lang),
                    on_time_rate=percent(overall.on_time_rate, lang),
                    late=count(overall.late, lang),
                    missing=count(overall.missing, lang),
                ),
                approved_summary,
            )
            if part
        ),
        "approved_summary": approved_summary,
        "overall": {
            "expected": count(overall.expected, lang),
            "submitted": count(overall.submitted, lang),
            "on_time": count(overall.on_time, lang),
            "reporting_rate": percent(overall.reporting_rate, lang),
            "on_time_rate": percent(overall.on_time_rate, lang),
        },
        "areas": areas,
        "headline": headline,
        "flows": flows,
        "founded": founded,
        "targets": targets,
        "targets_summary": tr(
            lang,
            "{on_track} of {total} annual targets are on track or reached.",
            on_track=on_track,
            total=len(digest.targets),
        ),
        "concerns": concerns,
        "concerns_note": tr(
            lang,
            "To protect workers, a figure of 1 to 4 in one enterprise is not shown: such counts "
            'read "<5", and a total with a hidden part reads "≥ N", at least N.',
        ),
        "missing": missing,
        "missing_summary": (
            tr(
                lang,
                "{count} units have not reported every month of the period:",
                count=len(missing),
            )
            if missing
            else tr(lang, "Every unit has reported.")
        ),
    }


def _texts(template: Path) -> list[str]:
    """Every paragraph's text as the office typed it, across the runs Word splits it into."""
    document = Document(str(template))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.extend(p.text for p in cell.paragraphs)
    return texts


def _broken_tag(template: Path, environment: jinja2.Environment) -> str | None:
    """The first tag that is not closed before the next one opens (or the paragraph ends), or a
    {{ … }} that does not parse on its own."""
    for text in _texts(template):
        for opening in _OPENING.finditer(text):
            start = opening.start()
            closer = "}}" if opening.group(0) == "{{" else "%}"
            end = text.find(closer, start + 2)
            following = _OPENING.search(text, start + 2)
            if end == -1 or (following is not None and following.start() < end):
                stop = following.start() if following is not None else len(text)
                return text[start:stop].strip()
            tag = text[start : end + 2]
            if closer == "}}":
                try:
                    environment.parse(tag)
                except jinja2.TemplateSyntaxError:
                    return tag
    return None


@dataclass(frozen=True)
class Rendered:
    docx: Path
    pdf: Path | None  # None: LibreOffice is not installed, or could not convert


def render_docx(values: dict[str, Any], template: Path, out: Path) -> Path:
    """Fill ``template`` with ``values`` into ``out``; TemplateTagError names a tag it cannot
    fill (unknown, misspelt or unclosed)."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    document = DocxTemplate(str(template))
    try:
        document.render(values, jinja_env=environment)
    except jinja2.UndefinedError as error:
        name = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(error))
        tag = next((g for g in name.groups() if g), str(error)) if name else str(error)
        raise TemplateTagError(
            tag="{{ " + tag + " }}", reason=tr(LANGUAGE, "not a tag the report knows")
        ) from None
    except jinja2.TemplateSyntaxError as error:
        tag = _broken_tag(template, environment) or error.message or ""
        raise TemplateTagError(tag=tag, reason=tr(LANGUAGE, "not written correctly")) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(docx: Path) -> Path | None:
    """The PDF beside ``docx`` through LibreOffice, or None when it is not installed or fails."""
    program = soffice()
    if program is None:
        return None
    try:
        subprocess.run(
            [program, "--headless", "--convert-to", "pdf", "--outdir", str(docx.parent), str(docx)],
            check=True,
            capture_output=True,
            timeout=PDF_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    pdf = docx.with_suffix(".pdf")
    return pdf if pdf.is_file() else None


def render_report(
    digest: Digest, root_name: str, template: Path, out: Path, *, pdf: bool = True
) -> Rendered:
    docx = render_docx(context(digest, root_name), template, out)
    return Rendered(docx, render_pdf(docx) if pdf else None)


def document_name(digest: Digest) -> str:
    """ "bao-cao-KCN-Que-Vo-2026-Q4.docx", ASCII like the digest's files."""
    return file_name(digest.scope.name, digest.period, "docx").replace("tong-hop-", "bao-cao-", 1)
