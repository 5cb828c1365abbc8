from django.db import migrations

# The stamp of the in-memory point index (grids.point_index): every statement that writes the regions or their
# pieces gives it a fresh sequence value in its own transaction. A sequence never goes back, so a rolled-back
# write leaves no value that a later, different write could repeat. Not a model: `flush` leaves it alone.
FORWARD = """
CREATE SEQUENCE grids_region_index_stamp_seq;
CREATE TABLE grids_region_index_stamp (
    id smallint PRIMARY KEY CHECK (id = 1),
    stamp bigint NOT NULL
);
INSERT INTO grids_region_index_stamp (id, stamp) VALUES (1, nextval('grids_region_index_stamp_seq'));
CREATE FUNCTION grids_region_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO grids_region_index_stamp (id, stamp) VALUES (1, nextval('grids_region_index_stamp_seq'))
    ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END
$$;
CREATE TRIGGER grids_region_index_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_region
    FOR EACH STATEMENT EXECUTE FUNCTION grids_region_index_bump();
CREATE TRIGGER grids_region_index_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON grids_regionpiece
    FOR EACH STATEMENT EXECUTE FUNCTION grids_region_index_bump();
"""

BACKWARD = """
DROP TRIGGER grids_region_index_bump ON grids_regionpiece;
DROP TRIGGER grids_region_index_bump ON grids_region;
DROP FUNCTION grids_region_index_bump();
DROP TABLE grids_region_index_stamp;
DROP SEQUENCE grids_region_index_stamp_seq;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0006_facility_knn_point_first"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
