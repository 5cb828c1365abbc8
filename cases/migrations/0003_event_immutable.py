# Case events are the audit trail: the database itself refuses to change or delete one.

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION cases_caseevent_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case events are immutable (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_immutable BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_immutable();
"""

REVERSE = """
DROP TRIGGER IF EXISTS cases_caseevent_immutable ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
