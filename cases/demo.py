"""Demo data of the cases app: the working-time calendar and the category catalogue."""


def seed(*, stdout=None):
    from cases.catalogue import catalogue_seed
    from cases.worktime import calendar_seed

    calendar = calendar_seed()
    catalogue = catalogue_seed()
    return f"calendar {calendar}; catalogue {catalogue}"
