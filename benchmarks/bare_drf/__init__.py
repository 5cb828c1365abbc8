"""The baseline of the intake benchmark (benchmarks/intake_api.py): the least a Django REST framework create costs.

One model with a few fields and a point, a ModelSerializer, a ModelViewSet behind token authentication, nothing
else: served by the same gunicorn configuration (docker/gunicorn.conf.py, uvicorn workers) from a database of its
own on the same PostgreSQL server. `BARE_DATABASE_URL` names that database; `manage.py`-style commands run as
`python -m django <command> --settings=benchmarks.bare_drf.settings`.
"""
