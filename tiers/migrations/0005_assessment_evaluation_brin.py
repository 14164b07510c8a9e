import django.db.models.deletion
from django.db import migrations, models

INDEX = "tiers_assessment_evaluation_lookup"


def create_index(apps, schema_editor):
    # Assessments are written evaluation by evaluation, so their evaluation ids follow the table's physical
    # order: a BRIN index on PostgreSQL finds an evaluation's rows and costs next to nothing to keep up.
    using = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX {INDEX} ON tiers_assessment {using}(evaluation_id)")


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("tiers", "0004_no_partner_constraints"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assessment",
            name="evaluation",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assessments",
                to="tiers.evaluation",
                verbose_name="evaluation",
            ),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
