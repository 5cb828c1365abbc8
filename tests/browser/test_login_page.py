import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_signs_in_in_chinese_and_switches_to_english(browser_session, operator, screenshot_dir):
    session = browser_session()
    page = session.page
    page.goto(session.url("/accounts/login/"))
    assert page.locator("h1").inner_text() == "登录"
    page.screenshot(path=str(screenshot_dir / "login.png"))
    operator.set_password("a-browser-test-password")
    operator.save()
    session.login(operator.username, "a-browser-test-password")
    assert page.url.rstrip("/") == session.url("")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert "Welcome" in page.locator("h1").inner_text()
