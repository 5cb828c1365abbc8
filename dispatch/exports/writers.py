"""CSV and XLSX writers over an iterator of rows: nothing holds the whole list in memory.

CSV is UTF-8 with a byte-order mark, so Excel reads the Chinese right. XLSX uses openpyxl's write-only mode, which
writes each row to a temporary file as it comes (memory stays flat however many rows there are).
"""

import csv
import tempfile

BOM = "\ufeff"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class _Line:
    """A file-like object whose write() hands back what csv.writer writes (Django's streaming-CSV recipe)."""

    def write(self, value):
        return value


def csv_chunks(header, rows, *, progress=None, every=1000):
    """The CSV as encoded chunks of about `every` rows, the BOM first; `progress(n)` after each chunk."""
    writer = csv.writer(_Line())
    buffer = [BOM, writer.writerow(header)]
    done = 0
    for row in rows:
        buffer.append(writer.writerow(row))
        done += 1
        if done % every == 0:
            yield "".join(buffer).encode("utf-8")
            buffer = []
            if progress:
                progress(done)
    yield "".join(buffer).encode("utf-8")
    if progress:
        progress(done)


def write_csv(target, header, rows, *, progress=None, every=1000):
    """Write the CSV into the binary file `target`; returns the number of rows."""
    count = [0]

    def counted(n):
        count[0] = n
        if progress:
            progress(n)

    for chunk in csv_chunks(header, rows, progress=counted, every=every):
        target.write(chunk)
    return count[0]


def write_xlsx(target, header, rows, *, title, progress=None, every=1000):
    """Write an XLSX workbook (one sheet, header row frozen) into the binary file `target`; returns the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    done = 0
    for row in rows:
        sheet.append(row)
        done += 1
        if progress and done % every == 0:
            progress(done)
    book.save(target)
    if progress:
        progress(done)
    return done


def xlsx_tempfile(header, rows, *, title):
    """The XLSX in an anonymous temporary file, rewound (the file disappears when closed)."""
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to the response, which closes it
    write_xlsx(target, header, rows, title=title)
    target.seek(0)
    return target
