"""Demo data of the dispatch app: the Huizhou responsibility list (fixtures/huizhou/responsibilities.csv)."""


def seed(*, stdout=None):
    from dispatch.services.routing_csv import responsibilities_import

    result = responsibilities_import()
    return "responsibility list: {created} rules created, {updated} updated".format(**result)
