# Two commands for a new user: `make run` and `make test`. Both set up whatever is missing first.
# DATABASE_URL and REDIS_URL point them at existing servers instead of local ones.

.PHONY: run test setup lint bench messages clean

run:
	@bash scripts/bootstrap.sh --demo
	@bash scripts/serve.sh

test:
	@bash scripts/bootstrap.sh --test
	@bash scripts/test.sh $(ARGS)

setup:
	@bash scripts/bootstrap.sh --demo

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

messages:
	.venv/bin/python manage.py makemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'var/*'
	.venv/bin/python manage.py compilemessages --ignore '.venv/*' --ignore 'var/*'

bench:
	.venv/bin/python benchmarks/locate_points.py

clean:
	rm -rf var .pytest_cache
