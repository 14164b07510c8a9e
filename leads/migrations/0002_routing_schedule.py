"""The routing pass in django-celery-beat's database schedule: every quarter of an hour, offers lapse and
leads go to the next partner, and new leads are offered."""

from django.db import migrations

TASK_NAME = "Leads: route new leads and pass on lapsed offers (every 15 minutes)"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "leads.tasks.route_leads",
            "interval": interval,
            "description": (
                "Lapses the offers not accepted within LEAD_ACCEPT_HOURS and offers those leads to the next "
                "partner, offers the new leads, and e-mails the managers the leads no partner can take."
            ),
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
