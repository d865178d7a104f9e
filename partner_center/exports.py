"""CSV exports, streamed: the rows are read a chunk at a time and written as they come, and a
cell a spreadsheet would run as a formula is escaped."""

import csv

from django.http import StreamingHttpResponse


def _csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    cell = "" if value is None else str(value)
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream rows as CSV: the rows are read one chunk at a time, never all held in memory."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)  # the BOM lets spreadsheets read UTF-8
        for row in rows:
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
