"""Every Word and Excel file the service writes or reads.

One module per annex form (`annex1` … `annex5`), each with its writer and, where a filled
form comes back, its reader (`form_checks` holds what the readers check alike); `catalog`
names the files and lists the blank ones for the site; `exports` and `score_sheet` are HR's
report workbooks, `roster_sheet` reads the personnel system's roster export, `safe_reader`
opens every upload defensively and `styles` is the one look of the sheets.

What writes Word files (python-docx, segno's codes) and what reads scans (pdfium, zxing) is
loaded when first used: the modules that need them are imported inside the functions that
use them (here and in service/web), so a service that makes no Word file and reads no scan
does not hold them (about 10 MB).
"""
