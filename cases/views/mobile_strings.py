"""Texts the mobile pages' scripts show, translated on the server and handed to the page as JSON.

Placeholders in braces ({n}, {number}) are filled in by the script.
"""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def js_strings() -> dict[str, str]:
    return {
        # patrols
        "patrol_on": _("On duty since {time}."),
        "patrol_off": _("Off duty."),
        "patrol_waiting": _("{n} positions waiting to send"),
        "patrol_no_gps": _("No position: allow location access to record your patrol."),
        # connection and outbox
        "online": _("Online"),
        "offline": _("Offline"),
        "queued_count": _("{n} waiting to send"),
        "state_waiting": _("Waiting to send"),
        "state_sending": _("Sending…"),
        "state_rejected": _("Not accepted"),
        "state_signed_out": _("Sign in to send"),
        "send_now": _("Send now"),
        "delete": _("Delete"),
        "confirm_delete": _("Delete this report from the phone? It has not been sent."),
        "saved_at": _("Saved {time}"),
        "photo_count": _("{n} photos"),
        "sign_in": _("Sign in again"),
        "signed_out": _("You are signed out. Sign in again; the report stays on this phone and is sent afterwards."),
        "network_error": _("No connection. It will be sent when the connection returns."),
        "server_error": _("The server could not take it now (error {status}). It will be tried again."),
        "delivered": _("Sent: case {number} · {status}"),
        "need_online": _("No connection. Try again when you are online."),
        # category picker
        "no_category": _("No category matches “{q}”."),
        "search_offline": _("Offline: searching the list saved on this phone."),
        "kind_C": _("Component"),
        "kind_E": _("Event"),
        "choose_category": _("Choose a category."),
        "facility_none": _("Not in the list / no label"),
        "facility_empty": _("No facility of this class is registered within 30 m; type its code if it has a label."),
        "facility_searching": _("Looking for facilities of this class nearby…"),
        "facility_offline": _("Offline: type the code from the facility's label."),
        "facility_scan_none": _("No code found in the photo; type it instead."),
        "facility_metres": _("{m} m"),
        # location
        "locating": _("Finding your position…"),
        "gps_fix": _("GPS position, accurate to about {m} m. Drag the pin if needed."),
        "pin_moved": _("Pin moved by hand."),
        "pin_placed": _("Pin placed on the map."),
        "no_gps": _("No GPS position ({reason}). Type the address and tap the map where the problem is."),
        "gps_denied": _("location permission refused"),
        "gps_unavailable": _("position unavailable"),
        "gps_timeout": _("timed out"),
        "gps_unsupported": _("this browser has no location"),
        "pin_title": _("Problem location"),
        "address_required": _("(required without GPS)"),
        "address_optional": _("(optional with GPS)"),
        "address_needed": _("Without a GPS position, type the address."),
        "wait_for_gps": _("Wait for the GPS position, or tap the map where the problem is."),
        "tap_map": _("Tap the map where the problem is."),
        "grid_lookup": _("Finding the grid…"),
        "grid_found": _("Grid: {name}"),
        "grid_unknown": _("This place is in no grid."),
        "grid_offline": _("Offline: the grid is determined when the report is sent."),
        # photos
        "remove_photo": _("Remove photo {n}"),
        "photo_alt": _("Photo {n}"),
        "too_many_photos": _("At most {n} photos."),
        "too_many_queued": _(
            "This report has {n} photos; the server now takes at most {max}. Remove {extra} and it is sent again."
        ),
        "photo_unreadable": _("This photo could not be read: {name}"),
        # fixed on the spot (自处置)
        "self_handled": pgettext("case flag", "Fixed on the spot"),
        "self_handled_before": _("Add a photo of the problem as you found it."),
        "self_handled_after": _("Add a photo of the result of your fix."),
        # description and submit
        "describe": _("Describe the problem."),
        "submit": _("Submit report"),
        "sending": _("Sending…"),
        "save_failed": _("The report could not be saved on this phone. Check the free storage and try again."),
        "rejected_unknown": _("The report was not accepted. Check the fields and try again."),
        "sent_title": _("Report received"),
        "case_number": _("Case number"),
        "status": _("Status"),
        "grid": _("Grid"),
        "queued_title": _("Saved on this phone"),
        "queued_text": _(
            "No connection. The report waits on this phone and is sent automatically, exactly once, "
            "as soon as the connection returns."
        ),
        "my_reports": _("My reports"),
        # tasks
        "verified_real": _("Verified: real"),
        "verified_false": _("Verified: not real"),
        "check_passed": _("Check passed"),
        "check_failed": _("Check failed, back to the department"),
        "task_done": _("{result}. The case is now “{status}”."),
    }
