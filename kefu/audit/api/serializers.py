"""Serializers for the audit log API: entries as stored (sensitive values were masked when written)."""

from rest_framework import serializers

from kefu.audit.models import AuditEntry


class AuditEntryOutputSerializer(serializers.ModelSerializer):
    changes = serializers.JSONField(help_text='{"field": {"old": ..., "new": ...}}, sensitive values masked.')

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "sequence",
            "created_at",
            "actor_name",
            "organisation",
            "action",
            "object_type",
            "object_id",
            "object_label",
            "changes",
            "note",
        ]
