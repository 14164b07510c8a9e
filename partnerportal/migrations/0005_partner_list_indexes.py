"""The back-office's partner list at 50,000 partners: its order from an index, its search from trigrams.

The admin's search is ``UPPER(field::text) LIKE UPPER('%term%')`` over the search fields, which no b-tree
can serve: each search read every partner of the tenant, three times (the rows, their count and the date
hierarchy). On PostgreSQL a trigram GIN index per field on that very expression serves it (pg_trgm, a
trusted extension since PostgreSQL 13, which a database owner may create). Where the extension cannot be
created the search still works, by scanning; SQLite has no such index.
"""

from django.db import migrations, models

SEARCHED = ("legal_name", "trade_name", "external_ref", "siret", "city")  # PartnerAdmin.search_fields


def _trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SAVEPOINT partner_trigrams")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # not allowed here: the search scans, as before
            cursor.execute("ROLLBACK TO SAVEPOINT partner_trigrams")
            return
        for field in SEARCHED:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS partner_search_{field} ON partnerportal_partner "
                f"USING gin ((UPPER({field}::text)) gin_trgm_ops)"
            )
        cursor.execute("RELEASE SAVEPOINT partner_trigrams")


def _drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for field in SEARCHED:
            cursor.execute(f"DROP INDEX IF EXISTS partner_search_{field}")


class Migration(migrations.Migration):
    dependencies = [
        ("partnerportal", "0004_names_without_control_characters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="partner",
            index=models.Index(fields=["tenant", "legal_name", "-id"], name="partner_list_order"),
        ),
        migrations.AddIndex(
            model_name="partner",
            index=models.Index(fields=["tenant", "date_joined"], name="partner_joined"),
        ),
        migrations.RunPython(_trigram_indexes, _drop_trigram_indexes, elidable=True),
    ]
