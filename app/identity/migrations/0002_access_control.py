from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ApiToken",
            name="scopes",
            field=fields.CharField(default="read,write,admin", max_length=50),
        ),
    ]
