from typing import Any

from django.contrib.auth.backends import ModelBackend

from kefu.accounts.models import User


class StaffBackend(ModelBackend):
    """ModelBackend that refuses inactive users on every request, so disabling ends sessions."""

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
        return user if user is not None and self.user_can_authenticate(user) else None
