"""Settings: production passes `check --deploy`; pages speak Simplified Chinese by default and English on request."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

LOGIN = "/accounts/login/"


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cityops.example.gov.cn",
    }
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.production", "ALLOWED_HOSTS": "x"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_login_page_is_in_simplified_chinese_by_default(client):
    response = client.get(LOGIN)
    body = response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "用户名" in body
    assert "密码" in body
    assert "Sign in" not in body


@pytest.mark.django_db
def test_login_page_is_in_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(LOGIN).content.decode()
    assert '<html lang="en">' in body
    assert "Sign in" in body
    assert "Username" in body
    assert "登录" not in body


@pytest.mark.django_db
def test_login_page_is_in_english_for_an_english_browser(client):
    response = client.get(LOGIN, headers={"accept-language": "en-US,en;q=0.9"})
    assert response.headers["Content-Language"] == "en"
    assert "Sign in" in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_remembers_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN})
    assert response.status_code == 302
    assert "Sign in" in client.get(LOGIN).content.decode()


@pytest.mark.django_db
def test_home_page_greets_in_chinese(client, django_user_model):
    user = django_user_model.objects.create(username="liming", full_name="李明")
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "欢迎，李明" in body
    assert "退出登录" in body


def _production_env(**extra):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cityops.example.gov.cn",
        **extra,
    }
    for name in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if name not in extra:
            env.pop(name, None)
    return env


def test_a_web_worker_loads_the_application_without_pypinyins_dictionaries():
    # About 50 MB of every web process: only writing a category needs them.
    script = "import sys, huizhou_cityops.asgi; print(sorted(m for m in sys.modules if m.startswith('pypinyin')))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_production_requests_close_their_connection_and_kept_ones_are_checked():
    script = (
        "import django; django.setup(); from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    run = [sys.executable, "-c", script]
    default = subprocess.run(run, cwd=settings.BASE_DIR, env=_production_env(), capture_output=True, text=True)
    worker = subprocess.run(
        run, cwd=settings.BASE_DIR, env=_production_env(CONN_MAX_AGE="60"), capture_output=True, text=True
    )
    assert default.stdout.split() == ["0", "True"], default.stderr
    assert worker.stdout.split() == ["60", "True"], worker.stderr


def test_under_asgi_no_middleware_of_djangos_runs_between_the_last_synchronous_one_and_the_view():
    # Django runs the middleware after the last synchronous-only one asynchronously: each hook of a MiddlewareMixin
    # there (process_request, process_response) is a switch to a thread and back on every request.
    from django.utils.deprecation import MiddlewareMixin
    from django.utils.module_loading import import_string

    classes = [import_string(path) for path in settings.MIDDLEWARE]
    last_synchronous = max(i for i, cls in enumerate(classes) if not getattr(cls, "async_capable", False))
    after = classes[last_synchronous + 1 :]
    assert not [cls for cls in after if issubclass(cls, MiddlewareMixin)], after
