"""Attachments choose how their columns are named. The ones made before keep their names as they
were (``as_is``), so their tables never change; new ones default to ``snake_case``."""

from django.db import migrations, models

CHOICES = [
    ("snake_case", "snake_case: company.catchPhrase → company__catch_phrase"),
    ("as_is", "As is: company.catchPhrase → company__catchPhrase (quote it in queries)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("destinations", "0002_names_refuse_control_characters"),
    ]

    operations = [
        # Every existing row gets as_is, then new ones snake_case.
        migrations.AddField(
            model_name="destinationattachment",
            name="column_names",
            field=models.CharField(choices=CHOICES, default="as_is", max_length=16),
        ),
        migrations.AlterField(
            model_name="destinationattachment",
            name="column_names",
            field=models.CharField(choices=CHOICES, default="snake_case", max_length=16),
        ),
    ]
