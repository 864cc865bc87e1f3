import secrets
from typing import ClassVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import base_user
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.display_names import validate_display_name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; tenants come through memberships."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=255, blank=True, validators=[validate_display_name])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    # What the tokens of a sign-in carry of the password (``session_stamp``): a new random value
    # each time the password is set, kept when Django re-hashes the same password at a sign-in (a new
    # hasher or more iterations after an upgrade), which changes the hash but not the password.
    # Empty for accounts whose password was set before the field existed: the stamp is then a digest
    # of the hash, as tokens minted then carry, until the password is set or re-hashed.
    password_stamp = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def session_stamp(self) -> str:
        """What every token of a sign-in carries of the password (``tenancy.authentication``): it
        changes when the password is set (ending the sign-ins made with the old one) and tells
        nothing about the password (a token's payload is readable by its holder)."""
        if self.password_stamp:
            return self.password_stamp
        digest = salted_hmac("tenancy.password_stamp", self.password, secret=settings.JWT_SIGNING_KEY)
        return digest.hexdigest()[:16]

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_stamp = secrets.token_hex(8)

    def set_unusable_password(self):
        super().set_unusable_password()
        self.password_stamp = secrets.token_hex(8)

    def end_sign_ins(self):
        """End every sign-in of this account made before (saved with the account): the stamp its
        tokens carry is drawn again, as a new password draws it. Deactivating the account does it,
        so activating it again brings none of its sessions back."""
        self.password_stamp = secrets.token_hex(8)

    def check_password(self, raw_password):
        """Django's check; a password it re-hashes (the preferred hasher or its iterations changed
        since it was set) is the same password: the sign-ins made with it go on."""

        def rehash(raw):
            stamp = self.session_stamp()
            super(User, self).set_password(raw)
            self.password_stamp = stamp
            self._password = None
            self.save(update_fields=["password", "password_stamp"])

        # as Django's own does (the name it imports into base_user)
        return base_user.check_password(raw_password, self.password, rehash)  # type: ignore[attr-defined]

    async def acheck_password(self, raw_password):
        return await sync_to_async(self.check_password)(raw_password)
