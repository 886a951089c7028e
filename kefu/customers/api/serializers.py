"""Serializers for the customer ledger API.

Input serializers check shape only; the services check the rules (mobile numbers, ID numbers,
date order, scope). Output serializers read only what the selectors load, and show mobiles and
ID numbers masked: the API never reveals them in full.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kefu.core.api.filters import MAX_ID
from kefu.customers.identity import mask_mobile
from kefu.customers.merge import DuplicateKey
from kefu.customers.models import Consent, ContactMethod, Customer, Grade, GradeRule, Household, Tag, TimelineEntry

# Inputs


class CustomerCreateInputSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Organisation unit that owns the customer; the caller's own unit when left out.",
    )
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False, default=Customer.Kind.PERSON)
    name = serializers.CharField(max_length=100)
    mobile = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", help_text="e.g. 13812345678 or +85291234567."
    )
    country_code = serializers.RegexField(r"^\d{1,4}$", max_length=4, required=False, default="86")
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="Resident ID number (GB 11643). Stored encrypted, only with the customer's consent.",
    )
    consent_method = serializers.ChoiceField(
        choices=Consent.Method.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="How the customer agreed to storing the ID number; required with id_number.",
    )
    consent_evidence = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CustomerUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class HouseholdInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The property unit (房号) id.")
    role = serializers.ChoiceField(choices=Household.Role.choices, required=False, default=Household.Role.OWNER)
    subscribed_on = serializers.DateField(required=False, allow_null=True, default=None)
    signed_on = serializers.DateField(required=False, allow_null=True, default=None)
    delivered_on = serializers.DateField(required=False, allow_null=True, default=None)
    moved_in_on = serializers.DateField(required=False, allow_null=True, default=None)


class ContactInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContactMethod.Kind.choices)
    value = serializers.CharField(max_length=128)
    country_code = serializers.RegexField(
        r"^\d{1,4}$", max_length=4, required=False, default="86", help_text="For mobiles given without one."
    )
    is_primary = serializers.BooleanField(required=False, default=False)


class ConsentInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    method = serializers.ChoiceField(choices=Consent.Method.choices)
    channel = serializers.ChoiceField(choices=Consent.Channel.choices, required=False, default=Consent.Channel.ANY)
    evidence = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    granted_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the customer agreed; now when left out."
    )


class CustomerMergeInputSerializer(serializers.Serializer):
    source = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The duplicate to merge into this customer; it is retired."
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CustomerGradeInputSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    note = serializers.CharField(
        max_length=255, help_text="Why the grade is set by hand; the rules leave it alone after."
    )


class CustomerScoresInputSerializer(serializers.Serializer):
    contribution = serializers.IntegerField(min_value=0, max_value=100)
    influence = serializers.IntegerField(min_value=0, max_value=100)
    potential = serializers.IntegerField(min_value=0, max_value=100)


class CustomerTagInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=Tag._meta.get_field("name").max_length,
        help_text="The tag's name; a tag so named is created in the customer's unit if none applies there.",
    )


class GradeRuleInputSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Organisation unit the rule belongs to; the caller's own unit when left out.",
    )
    grade = serializers.ChoiceField(choices=Grade.choices)
    priority = serializers.IntegerField(
        min_value=0, max_value=999, required=False, default=10, help_text="Lowest is tried first."
    )
    min_contribution = serializers.IntegerField(min_value=0, max_value=100, required=False, default=0)
    min_influence = serializers.IntegerField(min_value=0, max_value=100, required=False, default=0)
    min_potential = serializers.IntegerField(min_value=0, max_value=100, required=False, default=0)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


# Outputs


class TagOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class TagListOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.customers.grading.tag_list.
    customer_count = serializers.IntegerField(help_text="Customers in the caller's scope with the tag.")

    class Meta:
        model = Tag
        fields = ["id", "organisation", "name", "customer_count"]


class GradeRuleOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeRule
        fields = [
            "id",
            "organisation",
            "grade",
            "priority",
            "min_contribution",
            "min_influence",
            "min_potential",
            "description",
            "is_active",
        ]


def _masked_value(contact: ContactMethod) -> str:
    return mask_mobile(contact.value) if contact.kind == ContactMethod.Kind.MOBILE else contact.value


class CustomerListOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.customers.selectors.customer_list.
    mobile = serializers.SerializerMethodField(help_text="The primary mobile, masked (138****5678).")
    units = serializers.SerializerMethodField(help_text="Labels of the customer's units.")
    tags = TagOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "organisation", "kind", "name", "grade", "stage", "mobile", "units", "tags", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_mobile(self, customer: Customer) -> str | None:
        number = getattr(customer, "primary_mobile", None)
        return mask_mobile(number) if number else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_units(self, customer: Customer) -> list[str]:
        return [household.unit.label for household in customer.households.all()]


class CustomerOutputSerializer(serializers.ModelSerializer):
    # Loaded by kefu.customers.selectors.customer_get.
    id_number = serializers.CharField(source="id_number_masked", help_text="Masked (110***********1234); '' if none.")
    tags = TagOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "organisation",
            "kind",
            "name",
            "credit_code",
            "notes",
            "grade",
            "grade_source",
            "grade_reason",
            "contribution_score",
            "influence_score",
            "potential_score",
            "stage",
            "id_number",
            "tags",
            "merged_into",
            "is_anonymised",
            "created_at",
            "updated_at",
        ]


class HouseholdOutputSerializer(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label")
    project = serializers.IntegerField(source="unit.project_id")
    project_name = serializers.CharField(source="unit.project.name")

    class Meta:
        model = Household
        fields = [
            "id",
            "customer",
            "unit",
            "unit_label",
            "project",
            "project_name",
            "role",
            "subscribed_on",
            "signed_on",
            "delivered_on",
            "moved_in_on",
        ]


class ContactOutputSerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField(help_text="Mobiles masked (138****5678); other kinds as stored.")

    class Meta:
        model = ContactMethod
        fields = ["id", "kind", "value", "is_primary", "created_at"]

    def get_value(self, contact: ContactMethod) -> str:
        return _masked_value(contact)


class ConsentOutputSerializer(serializers.ModelSerializer):
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = ["id", "purpose", "channel", "method", "evidence", "granted_at", "withdrawn_at", "is_active"]

    def get_is_active(self, consent: Consent) -> bool:
        return consent.withdrawn_at is None


class TimelineEntryOutputSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField(help_text="The staff member's name; null for the system.")

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "occurred_at", "summary", "actor_name"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_name(self, entry: TimelineEntry) -> str | None:
        if entry.actor is None:
            return None
        membership = getattr(entry.actor, "membership", None)
        return membership.name if membership is not None else entry.actor.get_username()


class DuplicateKeyOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DuplicateKey.KINDS)
    masked = serializers.CharField(help_text="The shared mobile or ID number, masked.")


class DuplicateMemberOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "organisation", "kind", "name", "grade", "stage", "created_at"]


class DuplicateGroupOutputSerializer(serializers.Serializer):
    keys = DuplicateKeyOutputSerializer(many=True, help_text="What the customers share.")
    target = serializers.IntegerField(source="target.pk", help_text="The oldest record: the suggested target.")
    customers = DuplicateMemberOutputSerializer(many=True)


class DuplicateListOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Groups found in the caller's scope.")
    results = DuplicateGroupOutputSerializer(many=True, help_text="The first page_size groups.")
