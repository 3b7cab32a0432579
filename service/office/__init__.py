"""Every Word and Excel file the service writes or reads.

One module per annex form (`annex1` … `annex5`), each with its writer and, where a filled
form comes back, its reader (`form_checks` holds what the readers check alike); `catalog`
names the files and lists the blank ones for the site; `exports` and `score_sheet` are HR's
report workbooks, `roster_sheet` reads the personnel system's roster export, `safe_reader`
opens every upload defensively and `styles` is the one look of the sheets.
"""
