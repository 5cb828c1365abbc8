"""Working a case panel in the browser, as the command centre and the department workspace tests do."""

from playwright.sync_api import expect


def panel_act(page, action, status, **fields):
    """Fill the panel's form for `action`, submit it, and wait for the case to reach `status`."""
    form = page.locator(f'#case-panel [data-action="{action}"]')
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for name, value in fields.items():
        control = page.locator(f"#{action}-{name}")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator("#case-panel .notice-success")).to_be_visible()
    expect(page.locator("#case-panel")).to_have_attribute("data-status", status)
