"""Every Word and Excel file the service writes or reads.

One module per annex form (`annex1` … `annex5`), each with its writer and, where a filled
form comes back, its reader; `catalog` names the files and lists the blank ones for the site;
`exports` and `score_sheet` are HR's report workbooks; `safe_reader` opens uploads defensively.
"""
