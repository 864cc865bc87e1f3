"""Django's ``changepassword``, with the change recorded in the audit trail of the account's tenants.

It ends every sign-in of the account (``tenancy.authentication``); the trail says when, by which
command, never the password. This app is listed before ``django.contrib.auth`` so that this command
is the one ``manage.py`` runs.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from tenancy import services


class Command(changepassword.Command):
    def handle(self, *args, **options):
        User = get_user_model()
        username = options["username"] or getpass.getuser()
        users = User._default_manager.using(options["database"])
        user = users.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:  # Django's own answer: the user does not exist
            return super().handle(*args, **options)
        with services.reporting_password_change(user, via="changepassword"):
            return super().handle(*args, **options)
