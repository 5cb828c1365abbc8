"""CSV and XLSX exports of a period's rankings: one row per unit with its score, grade and every figure."""

import csv
import io

from django.utils.translation import gettext as _

from .indicators.counts import COUNTS
from .indicators.rates import INDICATORS


def export_table(rows, names, subject):
    """(header, rows) for an export: unit columns, rank, score, grade, the sample the score rests on, the indicators,
    then the input counts."""
    count_names = sorted({n for row in rows for n in row.counts})
    header = [_("subject"), _("code"), _("name"), _("level"), _("rank"), _("score"), _("grade"), _("cases (n)")]
    header += [str(INDICATORS[n].label) for n in names]
    header += [str(COUNTS[n].label) if n in COUNTS else n for n in count_names]
    table = []
    for row in rows:
        line = [
            subject,
            row.key,
            row.name,
            row.level,
            row.rank,
            None if row.score is None else float(row.score),
            row.grade,
            row.sample,
        ]
        line += [row.values.get(n) for n in names]
        line += [row.counts.get(n) for n in count_names]
        table.append(line)
    return header, table


def to_csv(sections):
    """UTF-8 CSV with a byte-order mark (so spreadsheet programs read the Chinese names right)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for title, header, table in sections:
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(table)
        writer.writerow([])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(sections):
    """An XLSX workbook, one sheet per section."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, table in sections:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in table:
            sheet.append(line)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
