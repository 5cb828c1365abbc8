"""Daily roll-ups of the assessment: each finished day's unit counts, so a period is its days' sum plus today.

sql.py builds one day's rows, services.py writes them (the beat task `assessment.rollup_days`), read.py sums a
period from them.
"""
