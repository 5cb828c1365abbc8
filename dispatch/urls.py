"""Pages of the dispatch app: the command centre, the department workspace, the inbox and case photos."""

from django.urls import path

from .live.views import live_events
from .pages import command, dept, duty, enforcement, exports, facilities, grid, inbox, intake, panel

urlpatterns = [
    path("command/", command.command_centre, name="command-centre"),
    path("command/intake/", intake.intake, name="command-intake"),
    path("command/grid/", grid.command_grid, name="command-grid"),
    path("command/intake/categories/", intake.intake_categories, name="command-intake-categories"),
    path("command/intake/places/", intake.intake_places, name="command-intake-places"),
    path("command/intake/check/", intake.intake_check, name="command-intake-check"),
    path("command/cases/", command.command_cases, name="command-cases"),
    path("command/counts/", command.command_counts, name="command-counts"),
    path("command/map/cases/", command.command_map_cases, name="command-map-cases"),
    path("command/map/grids/", command.command_map_grids, name="command-map-grids"),
    path("command/map/patrols/", duty.command_map_patrols, name="command-map-patrols"),
    path("command/duty/", duty.command_duty, name="command-duty"),
    path("command/map/facilities/", facilities.command_map_facilities, name="command-map-facilities"),
    path("command/cases/<int:pk>/", command.command_panel, name="command-panel"),
    path("command/cases/<int:pk>/actions/<slug:action>/", command.command_act, name="command-act"),
    path("command/cases/<int:pk>/orders/", command.command_order_issue, name="command-order-issue"),
    path("command/export/", exports.command_export, name="command-export"),
    path("dept/", dept.dept_workspace, name="dept-workspace"),
    path("dept/board/", dept.dept_board, name="dept-board"),
    path("dept/cases/<int:pk>/", dept.dept_panel, name="dept-panel"),
    path("dept/cases/<int:pk>/actions/<slug:action>/", dept.dept_act, name="dept-act"),
    path("dept/cases/<int:pk>/orders/<int:order_id>/reply/", dept.dept_order_reply, name="dept-order-reply"),
    path("dept/cases/<int:pk>/whistle/", dept.dept_whistle, name="dept-whistle"),
    path(
        "dept/cases/<int:pk>/summonses/<int:summons_id>/report/", dept.dept_summons_report, name="dept-summons-report"
    ),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/count/", inbox.inbox_count, name="inbox-count"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox-read-all"),
    path("inbox/settings/", inbox.inbox_settings, name="inbox-settings"),
    path("inbox/<int:pk>/", inbox.inbox_open, name="inbox-open"),
    path("inbox/<int:pk>/read/", inbox.inbox_read, name="inbox-read"),
    path("dept/export/", exports.dept_export, name="dept-export"),
    path("exports/", exports.export_list, name="export-list"),
    path("exports/<int:pk>/status/", exports.export_status, name="export-status"),
    path("exports/<int:pk>/download/", exports.export_download, name="export-download"),
    path("live/events/", live_events, name="live-events"),
    path("enforcement/", enforcement.enforcement_list, name="enforcement-list"),
    path("enforcement/listings/", enforcement.enforcement_listings, name="enforcement-listings"),
    path("enforcement/credit/", enforcement.enforcement_credit, name="enforcement-credit"),
    path("enforcement/<int:pk>/", enforcement.enforcement_detail, name="enforcement-detail"),
    path("enforcement/<int:pk>/steps/<slug:step>/", enforcement.enforcement_step_take, name="enforcement-step"),
    path("enforcement/parts/<int:pk>/give/", enforcement.enforcement_part, name="enforcement-part"),
    path("enforcement/<int:pk>/evidence/", enforcement.enforcement_evidence, name="enforcement-evidence"),
    path("facilities/<str:code>/", facilities.facility_detail, name="facility-detail"),
    path("facilities/<str:code>/photo/", facilities.facility_photo, name="facility-photo"),
    path("photos/<int:pk>/", panel.case_photo, name="case-photo"),
    path("photos/<int:pk>/thumbnail/", panel.case_photo, {"thumbnail": True}, name="case-photo-thumbnail"),
]
