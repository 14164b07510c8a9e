"""The daily renewal of diplomas in django-celery-beat's database schedule (visible in the admin).

An evaluation that keeps a partner at its tier sends no tier change, so its diploma would lapse at the
evaluation date: ``documents.tasks.diplomas_renew_due`` issues the next one once the evaluation is due.
"""

from django.db import migrations

TASK_NAME = "Renew the diplomas of due evaluations (daily)"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="4", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "documents.tasks.diplomas_renew_due",
            "crontab": crontab,
            "description": "Issues the next diploma of partners whose tier awards one once their evaluation is due.",
        },
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
