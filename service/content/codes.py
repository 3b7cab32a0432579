"""The codes the service stores and answers in JSON, exactly as written here, each with its
Chinese label beside it: roles, states, steps, kinds. Templates compare these, never labels."""

from __future__ import annotations

# Account roles: whom an account acts for (stored on the account) and their names.
ROLE_HR = "hr"
ROLE_DEPARTMENT = "department"
ROLE_LEADER = "leader"
ROLE_STAFF = "staff"  # a staff member of the roster: username = 工号, made from the roster, never typed
ROLES = (ROLE_HR, ROLE_DEPARTMENT, ROLE_LEADER)  # the accounts HR creates one by one
ACCOUNT_ROLES = (*ROLES, ROLE_STAFF)  # every role an account may have
ROLE_NAMES = {ROLE_HR: "人事处", ROLE_DEPARTMENT: "部门/系", ROLE_LEADER: "院领导", ROLE_STAFF: "教职工"}

# Where a staff member's account stands (HR's page of a department's accounts and slips).
STAFF_NO_ACCOUNT = "none"  # never signed in, no slip printed
STAFF_ONE_TIME = "one_time"  # a slip printed, its password not yet changed
STAFF_OWN_PASSWORD = "password"  # signed in and set their own password
STAFF_DIRECTORY = "directory"  # signs in through the campus directory only
STAFF_DISABLED = "disabled"
STAFF_ACCOUNT_LABELS = {STAFF_NO_ACCOUNT: "未开通", STAFF_ONE_TIME: "已发一次性密码，未修改",
                        STAFF_OWN_PASSWORD: "已设置本系统密码", STAFF_DIRECTORY: "统一身份认证登录",
                        STAFF_DISABLED: "已停用"}

# The completion states of annex 5. 完成 needs a signed scan; the others exempt a person.
DONE = "完成"
LEAVE_STATUSES = ("产假", "病假", "长期事假")
COMPLETION_STATUSES = (DONE, *LEAVE_STATUSES)
OUTSTANDING = "未完成"  # nothing recorded yet: shown, never stored
# Derived from a person's scans and approved target set: shown, never stored.
RESIGN = "需重签"  # the valid scans are all of another version than the approved one: counts as not done
UNAPPROVED = "目标未审定"  # signed while the person had no approved set: counts as signed, flagged
PERSON_STATUSES = (DONE, UNAPPROVED, *LEAVE_STATUSES, RESIGN, OUTSTANDING)

# A stored scan (附件1) is valid until withdrawn; a withdrawn scan keeps its file and its history.
SCAN_VALID = "valid"
SCAN_WITHDRAWN = "withdrawn"
SCAN_STATES = (SCAN_VALID, SCAN_WITHDRAWN)
SCAN_STATE_LABELS = {SCAN_VALID: "有效", SCAN_WITHDRAWN: "已撤回"}

# What the code on a scanned contract says about the department it is uploaded to.
MATCH_MATCHED = "matched"  # one of the department's people, the approved version: stored
MATCH_STALE = "stale"  # one of the department's people, not the approved version: stored, 需重签
MATCH_OTHER_DEPARTMENT = "other_department"  # someone of another department: stored nowhere
MATCH_UNKNOWN = "unknown"  # no one this cycle's records know: stored nowhere
MATCH_STATES = (MATCH_MATCHED, MATCH_STALE, MATCH_OTHER_DEPARTMENT, MATCH_UNKNOWN)
MATCH_LABELS = {MATCH_MATCHED: "可存入", MATCH_STALE: "需重签", MATCH_OTHER_DEPARTMENT: "其他部门",
                MATCH_UNKNOWN: "无法核对"}

# Why a page of a scan cannot be given to anyone by its code.
PAGE_NO_CODE = "no_code"
PAGE_FOREIGN_CODE = "foreign_code"
PAGE_SEVERAL_CODES = "several_codes"
PAGE_LABELS = {PAGE_NO_CODE: "未识别到二维码", PAGE_FOREIGN_CODE: "只有其他二维码（不是责任状的）",
               PAGE_SEVERAL_CODES: "一页上有多个不同的责任状二维码"}

# An individual target set (annex 3) on its way to approval; each code is its Chinese label.
TARGET_DRAFT = "草稿"
TARGET_SUBMITTED = "已提交"
TARGET_APPROVED = "已审定"
TARGET_RETURNED = "退回"
TARGET_STATES = (TARGET_DRAFT, TARGET_SUBMITTED, TARGET_APPROVED, TARGET_RETURNED)
TARGET_NOT_STARTED = "未开始"  # no set yet: shown, never stored

# A role's job duties delivered to HR; each code is its Chinese label.
DUTY_SUBMITTED = "已提交"
DUTY_ACCEPTED = "已接受"
DUTY_RETURNED = "退回"
DUTY_STATES = (DUTY_SUBMITTED, DUTY_ACCEPTED, DUTY_RETURNED)
DUTY_NOT_DELIVERED = "未报送"  # nothing delivered yet: shown, never stored

# A delivery (job duties, a monthly summary) judged against its due date, and its label.
ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
PENDING = "pending"
PARTIAL = "partial"  # delivered as an explicit partial submission: never counts as complete
NOBODY = "nobody"  # a department without people owes nothing: never complete, never overdue
DELIVERY_STATES = (ON_TIME, LATE, MISSING, PENDING, PARTIAL, NOBODY)
EMPTY_LABEL = "无人员"
DELIVERY_LABELS = {ON_TIME: "按时", LATE: "逾期", MISSING: "未报送", PENDING: "待报送", PARTIAL: "部分报送",
                   NOBODY: EMPTY_LABEL}

# Annual grades (年度考核), best first; each code is its Chinese label.
GRADE_EXCELLENT = "优秀"
GRADE_PASS = "合格"
GRADE_BASIC = "基本合格"
GRADE_FAIL = "不合格"
GRADES = (GRADE_EXCELLENT, GRADE_PASS, GRADE_BASIC, GRADE_FAIL)
GRADE_NONE = "不定档次"  # takes part, comment only
GRADE_PENDING = "待定"  # under open investigation: no grade until the case ends
GRADE_OUTCOMES = (*GRADES, GRADE_NONE, GRADE_PENDING)
CHALLENGEABLE = (GRADE_BASIC, GRADE_FAIL)  # the grades a 复核 or 申诉 may be asked against
UNGRADED = "未定"  # nothing proposed yet: shown, never stored

# The leaders' views on a person's year (年度考核登记表): the supervising leader's and the unit head's.
VIEW_LEADER = "leader"  # 主管领导评语和考核等次建议: a leader overseeing the person's department
VIEW_HEAD = "head"  # 单位负责人意见: the department's own account, for its head
VIEW_LABELS = {VIEW_LEADER: "主管领导评语和考核等次建议", VIEW_HEAD: "单位负责人意见及考核等次"}

# A staff member's annual summary (个人总结述职).
SUMMARY_NONE = "none"  # nothing written yet: shown, never stored
SUMMARY_DRAFT = "draft"
SUMMARY_SUBMITTED = "submitted"
SUMMARY_LABELS = {SUMMARY_NONE: "未填写", SUMMARY_DRAFT: "草稿", SUMMARY_SUBMITTED: "已提交"}

# Why a person gets no grade, as the 备案 summary splits them; each code is its label.
UNGRADED_PROBATION = "试用期"
UNGRADED_SANCTION = "处分期"
UNGRADED_OTHER = "其他"
UNGRADED_REASONS = (UNGRADED_PROBATION, UNGRADED_SANCTION, UNGRADED_OTHER)

# What HR records about a person's year: sanctions and investigations, leave, first jobs.
SANCTION_WARNING = "警告"
SANCTION_DEMERIT = "记过"
SANCTION_DEMOTION = "降低岗位等级"
INVESTIGATION = "立案调查"
SANCTION_KINDS = (SANCTION_WARNING, SANCTION_DEMERIT, SANCTION_DEMOTION)
RECORD_KINDS = (*SANCTION_KINDS, INVESTIGATION)
EFFECT_NOT_EXCELLENT = "not_excellent"
EFFECT_NO_GRADE = "no_grade"
EFFECT_PENDING = "pending"
EFFECTS = (EFFECT_NOT_EXCELLENT, EFFECT_NO_GRADE)
EFFECT_LABELS = {EFFECT_NOT_EXCELLENT: "不得评为优秀", EFFECT_NO_GRADE: "不定档次", EFFECT_PENDING: "暂不定档次"}
LEAVE_SICK = "病假"
LEAVE_PERSONAL = "事假"
LEAVE_STUDY = "脱产学习"
LEAVE_MATERNITY = "产假"
LEAVE_KINDS = (LEAVE_SICK, LEAVE_PERSONAL, LEAVE_STUDY, LEAVE_MATERNITY)
SOURCE_HR = "hr"
SOURCE_MONTHLY = "monthly"
LEAVE_SOURCES = {SOURCE_HR: "人事处登记", SOURCE_MONTHLY: "月汇总表（附件4）"}

# The year's grading, step by step.
STAGE_PROPOSING = "proposing"
STAGE_DECIDED = "decided"
STAGE_PUBLICITY = "publicity"
STAGE_PUBLICITY_ENDED = "publicity_ended"
STAGE_CLOSED = "closed"
STAGE_LABELS = {STAGE_PROPOSING: "部门拟定、人事处审核", STAGE_DECIDED: "已集体审定", STAGE_PUBLICITY: "公示中",
                STAGE_PUBLICITY_ENDED: "公示期已满", STAGE_CLOSED: "公示结束"}

# A 复核 or 申诉 on its clock.
CASE_REVIEW = "review"
CASE_APPEAL = "appeal"
CASE_LABELS = {CASE_REVIEW: "复核", CASE_APPEAL: "申诉"}
OBJECTION_OPEN = "open"
OBJECTION_RESOLVED = "resolved"
OBJECTION_LABELS = {OBJECTION_OPEN: "待处理", OBJECTION_RESOLVED: "已处理"}

# A staff member's objection to their own result, what it is about, and where it stands.
DISPUTE_SCORE_ITEM = "score_item"  # a common-target item of the score (HR's deductions)
DISPUTE_MONTHLY = "monthly"  # a month's result in the monthly summary (the department's)
DISPUTE_GRADE = "grade"  # the annual grade: a 复核 application, on its clock
DISPUTE_KINDS = {DISPUTE_SCORE_ITEM: "共性目标得分", DISPUTE_MONTHLY: "月度考核结果", DISPUTE_GRADE: "年度考核档次（申请复核）"}
DISPUTE_OPEN = "open"
DISPUTE_ANSWERED = "answered"
DISPUTE_LABELS = {DISPUTE_OPEN: "待答复", DISPUTE_ANSWERED: "已答复"}

# A staff member's confirmation (确认) of their approved targets.
CONFIRM_NOT_APPROVED = "not_approved"  # nothing approved to confirm (yet, or reopened)
CONFIRM_PENDING = "pending"  # an approved version not confirmed (a new version asks again)
CONFIRM_DONE = "confirmed"
CONFIRM_LABELS = {CONFIRM_NOT_APPROVED: "目标未审定", CONFIRM_PENDING: "未确认", CONFIRM_DONE: "已确认"}

# How a quota is counted (settings.assessment.quota).
ROUND_DOWN = "down"
ROUND_NEAREST = "nearest"
ROUND_UP = "up"
ROUNDINGS = {ROUND_DOWN: "向下取整", ROUND_NEAREST: "四舍五入", ROUND_UP: "向上取整"}
SCOPE_DEPARTMENT = "department"
SCOPE_COLLEGE = "college"
QUOTA_SCOPES = {SCOPE_DEPARTMENT: "各部门、系分别计算", SCOPE_COLLEGE: "全院统一计算"}
BASE_ALL = "all"
BASE_GRADED = "graded"
QUOTA_BASES = {BASE_ALL: "应参加年度考核人数", BASE_GRADED: "可定档次人数（不含不定档次、待定）"}

# What a landing page lists for its user to do; each code with its label.
TODO_NO_SCAN = "no_scan"  # people of the department without a valid signed scan (leave excepted)
TODO_RESIGN = "resign"  # people whose contract must be signed again (需重签)
TODO_TARGETS_OPEN = "targets_open"  # target sets not yet submitted (not started or drafts)
TODO_TARGETS_RETURNED = "targets_returned"  # target sets a leader returned
TODO_DUTIES = "duties"  # roles whose job duties are not delivered (or were returned)
TODO_MONTHLY = "monthly"  # the month's summary, due on the due day
TODO_TARGETS_WAITING = "targets_waiting"  # target sets waiting for the leader
TODO_OVERDUE = "overdue"  # departments past a step's deadline with work outstanding
TODO_DUTIES_REVIEW = "duties_review"  # job duties delivered, waiting for HR
TODO_WORKBOOK_ERRORS = "workbook_errors"  # refused workbook uploads nobody has resent yet
TODO_OBJECTIONS = "objections"  # staff members' objections waiting for an answer this account may give
TODO_CONFIRM = "confirm"  # a staff member's approved targets, not yet confirmed
TODO_LEADERS_UNASSIGNED = "leaders_unassigned"  # active leader accounts that oversee no department
TODO_ORGANISATION = "organisation"  # gaps in the college's organisation (see ORG_CHECKS)
TODO_SUMMARIES = "summaries"  # people of the department without a submitted annual summary
TODO_MY_SUMMARY = "my_summary"  # a staff member's own annual summary, not yet submitted
TODO_LABELS = {TODO_NO_SCAN: "尚无有效责任状扫描件", TODO_RESIGN: "责任状需重签", TODO_TARGETS_OPEN: "个性目标尚未提交",
               TODO_TARGETS_RETURNED: "个性目标被退回", TODO_DUTIES: "岗位职责未报送", TODO_MONTHLY: "月汇总表待报送",
               TODO_TARGETS_WAITING: "个性目标等待审定", TODO_OVERDUE: "逾期未完成的部门",
               TODO_DUTIES_REVIEW: "岗位职责待接受", TODO_WORKBOOK_ERRORS: "上传出错的工作簿",
               TODO_OBJECTIONS: "教职工的异议待答复", TODO_CONFIRM: "本人的个性目标已审定，待确认",
               TODO_LEADERS_UNASSIGNED: "院领导账号未设主管部门", TODO_ORGANISATION: "学院组织设置待完善",
               TODO_SUMMARIES: "年度个人总结未提交", TODO_MY_SUMMARY: "本人的年度个人总结待提交"}

# Gaps in the college's organisation that bite later, checked on the set-up page and HR's to-dos.
ORG_NO_LEADER = "no_leader"  # people, but no leader oversees the department: targets cannot be approved
ORG_NO_CLERK = "no_clerk"  # people, but no active department account: nobody uploads or submits
ORG_LEAD_NO_ACCOUNT = "lead_no_account"  # leads roles' job duties, but has no active department account
ORG_EMPTY = "empty"  # nobody in the department: it owes nothing and shows 无人员
ORG_CHECKS = {ORG_NO_LEADER: "有人员但没有主管院领导", ORG_NO_CLERK: "有人员但没有部门账号",
              ORG_LEAD_NO_ACCOUNT: "牵头拟定岗位职责但没有部门账号", ORG_EMPTY: "无人员"}

# The steps of the year HR chases, each with a deadline; each code with its label.
STEP_CONTRACTS = "contracts"
STEP_DUTIES_LEAD = "duties_lead"
STEP_DUTIES_ALL = "duties_all"
STEP_MONTHLY = "monthly"
STEP_SUMMARY = "summary"  # the annual summaries, due when the year's window closes
STEPS = (STEP_CONTRACTS, STEP_DUTIES_LEAD, STEP_DUTIES_ALL, STEP_SUMMARY, STEP_MONTHLY)  # the monthly one last
STEP_LABELS = {STEP_CONTRACTS: "责任状签订", STEP_DUTIES_LEAD: "牵头岗位职责报送", STEP_DUTIES_ALL: "岗位职责报送",
               STEP_MONTHLY: "月汇总表报送", STEP_SUMMARY: "年度个人总结"}

# A reminder (催办) window: before a deadline, the day after it, each week while overdue.
WINDOW_BEFORE = "before"
WINDOW_AFTER = "after"
WINDOW_OVERDUE = "overdue"
WINDOW_LABELS = {WINDOW_BEFORE: "截止前", WINDOW_AFTER: "截止次日", WINDOW_OVERDUE: "逾期"}
# A reminder on record: being sent (claimed), sent through at least one channel, or failed.
REMINDER_SENDING = "sending"
REMINDER_SENT = "sent"
REMINDER_FAILED = "failed"
REMINDER_STATES = (REMINDER_SENDING, REMINDER_SENT, REMINDER_FAILED)
REMINDER_LABELS = {REMINDER_SENDING: "发送中（结果未知）", REMINDER_SENT: "已发送", REMINDER_FAILED: "发送失败"}
REMINDER_BY_SCHEDULE = "schedule"  # the service's own timer; by hand: HR's button or `portal remind`
REMINDER_BY_HAND = "hand"
REMINDER_SOURCES = {REMINDER_BY_SCHEDULE: "按计划自动", REMINDER_BY_HAND: "手动"}

# An in-app notification is of a to-do's kind: targets returned or waiting, duties returned (TODO_DUTIES).
