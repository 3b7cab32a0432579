"""The Starlette application: one list of routes, a lifespan, the error handlers."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Mount, Route

from service.config import Settings
from service.content.loader import load_content
from service.errors import ApiError
from service.office.roster_sheet import MAX_BYTES
from service.rules.board import Board
from service.rules.clock import clock_from
from service.storage import data_format, setup_dir
from service.storage.health import StoreCheck
from service.web import heap, print_jobs, templating
from service.web.access_log import Observed
from service.web.auth import Credentials, refused
from service.web.error_pages import api_error, client_gone, http_error, server_error, storage_error
from service.web.live_content import CurrentContext, LiveContent
from service.web.metrics import Metrics, metrics_page
from service.web.middleware import BodyLimitErrors, SecurityHeaders, SiteFiles
from service.web.prefix import ForwardedPrefix
from service.web.rebuild import SiteRebuilder
from service.web.reminder_timer import ReminderTimer
from service.web.scan_pool import ScanPool
from service.web.status_page import StatusPublisher
from service.web.throttle import LoginThrottle
from service.web.views import (
    accounts,
    api,
    appraisal,
    ballots,
    chase,
    collective,
    confirmations,
    duties,
    exports,
    forms,
    grade_pages,
    grades,
    health,
    me,
    monthly,
    pages,
    result_objections,
    roster,
    scans,
    scores,
    setup,
    staff_accounts,
    summaries,
    targets,
    targets_bulk,
    todos,
    years,
)
from service.workflows import board, startup
from service.workflows.context import Context

FORM_LIMIT = 4 * 1024 * 1024
WORKBOOK_LIMIT = targets.BATCH_LIMIT + 64 * 1024  # several annex 3 workbooks, or a zip of them
ROSTER_LIMIT = MAX_BYTES + 64 * 1024


def routes(settings: Settings, upload_limit: int, bulk_limit: int = 200 * 1024 * 1024) -> list[BaseRoute]:
    return [
        Route("/healthz", api.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", metrics_page),
        # the routes hit hardest on deadline day first: each request tries the list in order
        Route("/api/status", api.status),
        Route("/api/contracts", api.upload_contract, methods=["POST"], max_body_size=upload_limit),
        Route("/login", pages.login_form, methods=["GET"]),
        Route("/login", pages.login, methods=["POST"], max_body_size=16 * 1024),
        Route("/logout", pages.logout, methods=["POST"], max_body_size=16 * 1024),
        Route("/board", pages.board_page),
        Route("/board/progress", scores.progress_page),
        Route("/board/scores", scores.scores_page),
        Route("/board/score-events", scores.event_post, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/review", targets.review_page),
        Route("/board/review/confirm", targets_bulk.review_confirm, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/review/bulk", targets_bulk.review_post, methods=["POST"], max_body_size=FORM_LIMIT),
        # HR's office pages: before /board/{department_id}, which would take their paths
        Route("/board/accounts", accounts.accounts_page, methods=["GET"]),
        Route("/board/accounts", accounts.accounts_post, methods=["POST"], max_body_size=64 * 1024),
        Route("/board/accounts/{username}", accounts.account_page, methods=["GET"]),
        Route("/board/accounts/{username}", accounts.account_post, methods=["POST"], max_body_size=64 * 1024),
        Route("/board/roster", roster.roster_page, methods=["GET"]),
        Route("/board/roster", roster.preview_post, methods=["POST"], max_body_size=ROSTER_LIMIT),
        Route("/board/roster/confirm", roster.confirm_post, methods=["POST"], max_body_size=16 * 1024),
        # the roster's remembered mappings: listed on /board/roster, forgotten one at a time
        Route("/board/roster/mappings", roster.forget_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/api/roster/mappings", roster.api_mappings, methods=["GET", "DELETE"]),
        Route("/board/setup", setup.index_page),
        Route("/board/setup/{part}", setup.part_page, methods=["GET"]),
        Route("/board/setup/{part}", setup.part_post, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/objections", result_objections.college_page),
        Route("/board/confirmations", confirmations.college_page),
        Route("/board/grades", grade_pages.college_page),
        Route("/board/grades/reviews", grade_pages.reviews_page),
        Route("/board/grades/objections", grade_pages.objections_page),
        Route("/board/grades/records", grade_pages.records_page),
        Route("/board/grades/history", grade_pages.history_page),
        Route("/board/grades/do/{action}", grades.form_action, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/grades", grade_pages.department_page, methods=["GET"]),
        Route("/board/{department_id}/grades", grade_pages.propose_form, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/grades/view", grades.view_form, methods=["POST"], max_body_size=upload_limit),
        Route("/board/{department_id}/grades/notices.{kind}", grades.notices),
        Route("/board/{department_id}/grades/{staff_id}/notice.{kind}", grades.notices),
        Route("/board/years", years.years_page),
        Route("/board/years/preview", years.preview_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/board/years/start", years.start_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/board/years/{year}/close", years.close_post, methods=["POST"], max_body_size=16 * 1024),
        # 民主测评: rounds, participation, tallies, the voter's ballot
        Route("/board/appraisal/rounds", ballots.rounds_page, methods=["GET"]),
        Route("/board/appraisal/rounds", ballots.open_post, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/board/appraisal/rounds/{round_id}", ballots.round_page),
        Route("/board/appraisal/rounds/{round_id}/close", ballots.close_post, methods=["POST"],
              max_body_size=16 * 1024),
        Route("/board/appraisal/rounds/{round_id}/paper", ballots.paper_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/appraisal/rounds/{round_id}/tally.xlsx", ballots.tally_xlsx),
        Route("/board/appraisal/rounds/{round_id}/sheet.docx", ballots.sheet_docx),
        Route("/me/ballots", ballots.my_rounds_page),
        Route("/me/ballots/{round_id}", ballots.my_ballot_page, methods=["GET"]),
        Route("/me/ballots/{round_id}", ballots.my_ballot_post, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/appraisal/rounds", ballots.api_rounds, methods=["GET"]),
        Route("/api/appraisal/rounds", ballots.api_open, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/appraisal/rounds/{round_id}", ballots.api_round),
        Route("/api/appraisal/rounds/{round_id}/participation", ballots.api_participation),
        Route("/api/appraisal/rounds/{round_id}/close", ballots.api_close, methods=["POST"], max_body_size=16 * 1024),
        Route("/api/appraisal/rounds/{round_id}/tally", ballots.api_tally, methods=["GET"]),
        Route("/api/appraisal/rounds/{round_id}/tally", ballots.api_paper_tally, methods=["PUT"],
              max_body_size=FORM_LIMIT),
        Route("/api/appraisal/rounds/{round_id}/ballot", ballots.api_ballot, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/api/me/ballots", ballots.api_mine),
        Route("/board/{department_id}/collective", collective.department_page),
        Route("/api/appraisal/departments/{department_id}/collective", collective.api_department),
        # the annual appraisal: summaries, the leaders' views, the registration forms
        Route("/board/appraisal", appraisal.college_page),
        Route("/board/{department_id}/appraisal", appraisal.department_page),
        Route("/board/{department_id}/appraisal/forms.{kind}", appraisal.department_forms),
        Route("/board/{department_id}/appraisal/{staff_id}", appraisal.person_page),
        Route("/board/{department_id}/appraisal/{staff_id}/form.{kind}", appraisal.department_forms),
        Route("/me/appraisal/form.{kind}", appraisal.own_form),
        Route("/board/{department_id}/appraisal/{staff_id}/views/{kind}", appraisal.view_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/api/appraisal/departments/{department_id}", appraisal.api_department),
        Route("/api/appraisal/views/{staff_id}", appraisal.api_person),
        Route("/api/appraisal/views/{staff_id}/{kind}", appraisal.api_record, methods=["PUT"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/summaries", summaries.department_page),
        Route("/board/{department_id}/summaries/lock", summaries.lock_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/board/{department_id}/appraisal/{staff_id}/summary", summaries.person_file),
        Route("/api/appraisal/departments/{department_id}/summaries", summaries.api_department),
        Route("/api/appraisal/departments/{department_id}/summaries/lock", summaries.api_lock, methods=["POST"],
              max_body_size=16 * 1024),
        Route("/api/appraisal/summaries/{staff_id}", summaries.api_person),
        Route("/me/summary", summaries.my_page, methods=["GET"]),
        Route("/me/summary", summaries.my_post, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/me/summary/file", summaries.my_file, methods=["GET"]),
        Route("/me/summary/file", summaries.my_upload, methods=["POST"], max_body_size=upload_limit),
        Route("/api/me/summary", summaries.api_mine, methods=["GET"]),
        Route("/api/me/summary", summaries.api_save, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/api/me/summary/file", summaries.api_upload, methods=["POST"], max_body_size=upload_limit),
        Route("/board/chase", chase.chase_page),
        Route("/board/chase/send", chase.send_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/board/reminders", chase.history_page),
        Route("/board/workbooks", chase.workbooks_page),
        Route("/board/workbooks/{department_id}/{error_id}", chase.workbook_handled, methods=["POST"],
              max_body_size=16 * 1024),
        Route("/board/{department_id}", pages.department),
        Route("/board/{department_id}/targets/bulk", targets_bulk.department_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/targets", targets.department_page),
        Route("/board/{department_id}/targets/xlsx", targets.workbook_post, methods=["POST"],
              max_body_size=WORKBOOK_LIMIT),
        Route("/board/{department_id}/targets/{staff_id}", targets.person_page, methods=["GET"]),
        Route("/board/{department_id}/targets/{staff_id}", targets.person_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/duties", duties.department_page, methods=["GET"]),
        Route("/board/{department_id}/duties", duties.submit_post, methods=["POST"], max_body_size=bulk_limit),
        Route("/board/{department_id}/duties/{role_id}", duties.review_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/monthly/xlsx", forms.monthly_upload, methods=["POST"],
              max_body_size=forms.WORKBOOK_LIMIT),
        Route("/board/{department_id}/monthly", monthly.months_page),
        Route("/board/{department_id}/monthly/{month}", monthly.month_page, methods=["GET"]),
        Route("/board/{department_id}/monthly/{month}", monthly.month_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/contracts", pages.upload_form_post, methods=["POST"],
              max_body_size=upload_limit),
        Route("/board/{department_id}/completion", pages.completion_form_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/contracts/{contract_id}", api.download_contract),
        Route("/board/{department_id}/completion/xlsx", forms.completion_upload, methods=["POST"],
              max_body_size=forms.WORKBOOK_LIMIT),
        Route("/board/{department_id}/forms/annex5.xlsx", forms.completion_form),
        Route("/board/{department_id}/forms/annex4.xlsx", forms.monthly_form),
        Route("/board/{department_id}/forms/contracts.zip", forms.department_contracts),
        # a department's forms as one print job (web/print_jobs.py)
        Route("/board/{department_id}/forms/contracts.pdf", print_jobs.contracts_pdf),
        Route("/board/{department_id}/forms/annex3.pdf", print_jobs.annex3_pdf),
        Route("/board/{department_id}/forms/{staff_id}/{annex:str}", forms.person_form),
        Route("/api/completion/{department_id}", api.set_completion, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/api/completion/{department_id}/xlsx", forms.completion_upload, methods=["POST"],
              max_body_size=forms.WORKBOOK_LIMIT),
        Route("/api/monthly/{department_id}/xlsx", forms.monthly_upload, methods=["POST"],
              max_body_size=forms.WORKBOOK_LIMIT),
        Route("/api/departments/{department_id}/staff", api.department_staff),
        Route("/api/departments/{department_id}/contracts/{contract_id}", api.download_contract),
        Route("/api/departments/{department_id}/targets.xlsx", targets.api_workbook, methods=["POST"],
              max_body_size=WORKBOOK_LIMIT),
        Route("/api/targets", targets.api_list),
        Route("/api/targets/bulk", targets_bulk.api_bulk, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/targets/{staff_id}", targets.api_get, methods=["GET"]),
        Route("/api/targets/{staff_id}", targets.api_save, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/api/targets/{staff_id}/{action}", targets.api_decide, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/duties/{department_id}", duties.api_get, methods=["GET"]),
        Route("/api/duties/{department_id}", duties.api_submit, methods=["PUT"], max_body_size=bulk_limit),
        Route("/api/duties/{department_id}/{role_id}/{action}", duties.api_review, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/api/monthly/{department_id}/{month}", monthly.api_get, methods=["GET"]),
        Route("/api/monthly/{department_id}/{month}", monthly.api_put, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/api/progress", scores.api_progress),
        Route("/api/scores", scores.api_scores),
        Route("/api/score-events", scores.api_events, methods=["GET"]),
        Route("/api/score-events", scores.api_add_event, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/score-events/{event_id}", scores.api_remove_event, methods=["DELETE"]),
        Route("/board/{department_id}/scans", scans.bulk_page, methods=["GET"]),
        Route("/board/{department_id}/scans", scans.bulk_post, methods=["POST"], max_body_size=bulk_limit),
        Route("/board/{department_id}/contracts/{contract_id}/withdraw", pages.withdraw_post, methods=["POST"],
              max_body_size=16 * 1024),
        Route("/api/departments/{department_id}/scans", scans.api_bulk, methods=["POST"], max_body_size=bulk_limit),
        Route("/api/departments/{department_id}/contracts/{contract_id}/withdraw", scans.api_withdraw,
              methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/hr/export.xlsx", exports.completion_xlsx),
        Route("/hr/contracts.zip", exports.contracts_zip),
        Route("/hr/scores.xlsx", scores.scores_xlsx),
        Route("/gongshi", grade_pages.gongshi),
        Route("/api/grades", grades.api_overview),
        Route("/api/grades/reviews", grades.api_reviews),
        Route("/api/grades/objections", grades.api_objections),
        Route("/api/grades/records", grades.api_records),
        Route("/api/grades/history/{staff_id}", grades.api_history),
        Route("/api/grades/views/{staff_id}", grades.api_view, methods=["POST"], max_body_size=upload_limit),
        Route("/api/grades/actions/{action}", grades.api_action, methods=["POST"], max_body_size=FORM_LIMIT),
        Route("/api/grades/{department_id}", grades.api_department, methods=["GET"]),
        Route("/api/grades/{department_id}", grades.api_propose, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/hr/grades/filing.xlsx", grades.filing_xlsx),
        Route("/api/years", years.api_list, methods=["GET"]),
        Route("/api/years", years.api_start, methods=["POST"], max_body_size=16 * 1024),
        Route("/api/years/{year}/close", years.api_close, methods=["POST"], max_body_size=16 * 1024),
        Route("/api/todos", todos.api_todos),
        Route("/notifications/{department_id}/{note_id}", todos.open_notification),
        Route("/api/chase", chase.api_chase),
        Route("/api/reminders", chase.api_history, methods=["GET"]),
        Route("/api/reminders", chase.api_remind, methods=["POST"], max_body_size=16 * 1024),
        Route("/account", accounts.own_page, methods=["GET"]),
        Route("/account", accounts.own_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/api/account/password", accounts.api_password, methods=["POST"], max_body_size=16 * 1024),
        # a staff member's own pages, and what the departments and HR see of them
        Route("/me", me.overview_page, methods=["GET"]),
        Route("/me/confirm", me.confirm_post, methods=["POST"], max_body_size=16 * 1024),
        Route("/me/forms/{name}", me.contract),
        Route("/me/results", me.results_page),
        Route("/me/grade", me.grade_page),
        Route("/me/grade/notice.{kind}", me.notice),
        Route("/me/objections", me.objections_page, methods=["GET"]),
        Route("/me/objections", me.objection_post, methods=["POST"], max_body_size=me.objection_limit(upload_limit)),
        Route("/api/me", me.api_me),
        Route("/board/{department_id}/objections", result_objections.department_page, methods=["GET"]),
        Route("/board/{department_id}/objections/{objection_id}", result_objections.answer_post, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/board/{department_id}/objections/{objection_id}/files/{number}", me.attachment_file),
        Route("/board/{department_id}/confirmations", confirmations.department_page),
        Route("/board/{department_id}/staff-accounts", staff_accounts.accounts_page, methods=["GET"]),
        Route("/board/{department_id}/staff-accounts/slips", staff_accounts.slips_post, methods=["POST"],
              max_body_size=16 * 1024),
        Route("/api/setup/site", setup.api_site),
        Route("/api/setup/checks", setup.api_checks),
        Route("/api/setup/{part}", setup.api_get, methods=["GET"]),
        Route("/api/setup/{part}", setup.api_put, methods=["PUT"], max_body_size=FORM_LIMIT),
        Route("/api/objections", result_objections.api_list),
        Route("/api/objections/{department_id}/{objection_id}", result_objections.api_answer, methods=["POST"],
              max_body_size=FORM_LIMIT),
        Route("/api/roster", roster.api_import, methods=["POST"], max_body_size=ROSTER_LIMIT),
        Route("/board/{department_id}/duties/{role_id}/files/{file_id}", duties.attachment_file, methods=["GET"]),
        Mount("/", SiteFiles(directory=settings.site_dir, html=True, check_dir=False), name="site"),
    ]


def clock_for(settings: Settings, tz_name: str) -> Callable[[], dt.datetime]:
    """The system clock in the college's zone, or the one PORTAL_TODAY pins (rules/clock.py)."""
    return clock_from(tz_name, settings.today).now


def create_app(settings: Settings, now: Callable[[], dt.datetime] | None = None) -> Starlette:
    found = data_format.refuse_newer(settings.data_dir)  # before anything is written
    placed = setup_dir.place(settings, now().date() if now else None)  # seeded from the sample on first start
    content = load_content(settings.content_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context.open(settings, content, now or clock_for(settings, content.settings.timezone))
    startup.recover(ctx)
    if placed is not None and placed.moved:
        startup.record_setup_move(ctx, placed)
    upgraded = startup.upgrade(ctx, settings.content_dir if setup_dir.inside_data(settings) is not None else None,
                               found)
    initial_password = startup.ensure_admin(ctx)
    metrics = Metrics()
    ctx.store.meters = metrics.meters()
    live = LiveContent(ctx)
    publisher = StatusPublisher(settings.site_dir, lambda: render_status(board.current(live.ctx)))
    ctx.cache.on_change = publisher.poke
    rebuilder = SiteRebuilder(settings, publisher)
    timer = ReminderTimer(lambda: live.ctx, settings.outbound.check_every)

    def swapped(current: Context) -> None:  # a new set-up or year: the board's counts and the site change
        app.state.context = current
        current.cache.on_change = publisher.poke
        publisher.poke()
        rebuilder.poke()

    live.on_swap = swapped

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.shell = templating.Shell.from_site(settings.site_dir)
        publisher.publish_now()  # the page reflects the store from the first request on
        await publisher.start()
        rebuilder.on_done = lambda: setattr(app.state, "shell", templating.Shell.from_site(settings.site_dir))
        await rebuilder.start()
        await timer.start()
        stop_warming = threading.Event()
        warming = threading.Thread(target=warm, args=(ctx, stop_warming, metrics.busy), name="warm", daemon=True)
        warming.start()  # the kept figures, off the request path, once the service answers
        try:
            yield
        finally:
            stop_warming.set()
            await timer.stop()
            await rebuilder.stop()
            await publisher.stop()
            warming.join()
            await anyio.to_thread.run_sync(app.state.scan_pool.shutdown)
            await anyio.to_thread.run_sync(startup.stopped, ctx)  # last: nothing runs after it

    upload_limit = content.settings.upload_max_mb * 1024 * 1024 + 64 * 1024
    bulk_limit = content.settings.bulk_max_mb * 1024 * 1024 + 64 * 1024
    app = Starlette(
        routes=routes(settings, upload_limit, bulk_limit),
        middleware=[
            Middleware(Observed, metrics=metrics, log_format=settings.log_format),
            Middleware(ForwardedPrefix, trusted_hosts=list(settings.trusted_proxies), root_path=settings.root_path),
            Middleware(SecurityHeaders),
            Middleware(CurrentContext, live=live),
            Middleware(AuthenticationMiddleware, backend=Credentials(ctx), on_error=refused),
            Middleware(BodyLimitErrors),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error, OSError: storage_error,
                            ClientDisconnect: client_gone, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.context = ctx
    app.state.live = live
    app.state.publisher = publisher
    app.state.rebuilder = rebuilder
    app.state.reminder_timer = timer
    app.state.throttle = LoginThrottle(settings.login)
    app.state.scan_pool = ScanPool(settings.scan_workers)
    app.state.metrics = metrics
    app.state.store_check = StoreCheck()
    app.state.initial_password = initial_password
    app.state.setup_placed = placed
    app.state.started_settings = content.settings  # what a restart is needed to change (views/setup.py)
    app.state.upgraded = upgraded
    app.state.shell = templating.Shell.from_site(settings.site_dir)
    return app


def warm(ctx: Context, stop: threading.Event, busy: Callable[[], bool]) -> None:
    """The kept figures worked out after a start, then the heap they leave kept for good (web/heap.py)."""
    startup.warm(ctx, stop, busy)
    heap.settle(unless=stop)


def render_status(current: Board) -> str:
    return templating.render("_status_board.html", board=current)
