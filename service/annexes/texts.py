"""The forms' words moved to `service.forms_text`, shared with the web pages.

These names stay here only for the modules that still import them from this place
(service/intake.py, tests/test_annexes.py, tests/test_browser.py); new code imports
`service.forms_text`.
"""

from __future__ import annotations

from service.forms_text import COPY_LABELS as COPY_LABELS
from service.forms_text import REMARK as REMARK
from service.forms_text import STAFF_ID as STAFF_ID
from service.forms_text import STATUS_HEADER as STATUS_HEADER
from service.forms_text import TOTAL as TOTAL
from service.forms_text import completion_note as completion_note
from service.forms_text import monthly_note as monthly_note
from service.forms_text import rules_text as rules_text
