"""Templates with their kept versions; contact lists and their contacts."""
import uuid

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class SenderDomain(Model):
        class Meta:
            database = db
            table_name = 'sender_domain'

    class Template(Model):
        uuid = UUIDField(default=uuid.uuid4, unique=True)
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        domain = ForeignKeyField(SenderDomain, null=True, on_delete='SET NULL')
        name = CharField(max_length=255)
        subject = TextField(default='')
        html = TextField(default='')
        text = TextField(default='')
        active = BooleanField(default=True)
        version = IntegerField(default=1)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'template'
            indexes = ((('user', 'name'), False),)

    class TemplateVersion(Model):
        template = ForeignKeyField(Template, on_delete='CASCADE')
        version = IntegerField()
        name = CharField(max_length=255)
        subject = TextField(default='')
        html = TextField(default='')
        text = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'template_version'
            indexes = ((('template', 'version'), True),)

    class ContactList(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=255)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact_list'

    class Contact(Model):
        list = ForeignKeyField(ContactList, on_delete='CASCADE')
        email = CharField(max_length=320, index=True)
        name = CharField(max_length=255, default='')
        fields = TextField(default='{}')
        status = CharField(max_length=12, default='subscribed')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact'
            indexes = ((('list', 'email'), True),)

    db.create_tables([Template, TemplateVersion, ContactList, Contact])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('contact'), migrator.drop_table('contact_list'),
                     migrator.drop_table('template_version'), migrator.drop_table('template'))
