"""The customer ledger API: scoped reads through the selectors, writes through the services.

Mobiles and ID numbers leave the API masked only; revealing them in full is a page action that
is logged, not an API field.
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.core.api.filters import FilterSerializer, id_filter, parse_filters
from kefu.core.api.pagination import KeysetPagination
from kefu.core.api.serializers import ERROR_RESPONSES, ErrorSerializer
from kefu.core.api.views import ListApi, resolve_or_field_error, valid_body, viewer_of
from kefu.customers import grading, merge, selectors, services
from kefu.customers.api.serializers import (
    ConsentInputSerializer,
    ConsentOutputSerializer,
    ContactInputSerializer,
    ContactOutputSerializer,
    CustomerCreateInputSerializer,
    CustomerGradeInputSerializer,
    CustomerListOutputSerializer,
    CustomerMergeInputSerializer,
    CustomerOutputSerializer,
    CustomerScoresInputSerializer,
    CustomerTagInputSerializer,
    CustomerUpdateInputSerializer,
    DuplicateListOutputSerializer,
    GradeRuleInputSerializer,
    GradeRuleOutputSerializer,
    HouseholdInputSerializer,
    HouseholdOutputSerializer,
    TagListOutputSerializer,
    TagOutputSerializer,
    TimelineEntryOutputSerializer,
)
from kefu.customers.models import Customer, Grade
from kefu.orgs.selectors import unit_get as orgunit_get
from kefu.properties.selectors import unit_get

WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorSerializer}
TAGS = ["customers"]


class CustomerFilters(FilterSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text='Name, pinyin or initials ("zs"), mobile or its last four digits, ID number, unit ("3-1-1202").',
    )
    grade = serializers.ChoiceField(choices=Grade.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=Customer.Stage.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False, allow_blank=True)
    project = id_filter(help_text="Customers with a unit in this project.")


class DuplicateFilters(FilterSerializer):
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=KeysetPagination.max_page_size, help_text="Groups to return (50)."
    )


class TimelinePagination(KeysetPagination):
    """Newest first, as the customer page shows it."""

    ordering = ("-occurred_at", "-id")


def _customer(request: Request, customer_id: int) -> Customer:
    return selectors.customer_get(viewer=viewer_of(request), customer_id=customer_id)


class CustomerListApi(ListApi):
    @extend_schema(
        operation_id="customer_list",
        parameters=[CustomerFilters],
        responses={200: CustomerListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        filters = parse_filters(CustomerFilters, request, project="project_id")
        customers = selectors.customer_list(viewer=viewer_of(request), **filters)
        return self.paginated(customers, CustomerListOutputSerializer)

    @extend_schema(
        operation_id="customer_create",
        request=CustomerCreateInputSerializer,
        responses={201: CustomerOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(CustomerCreateInputSerializer, request)
        unit_id = fields.pop("organisation", None)
        organisation = (
            resolve_or_field_error("organisation", lambda: orgunit_get(viewer=viewer, unit_id=unit_id))
            if unit_id is not None
            else viewer.unit
        )
        id_number = fields.pop("id_number")
        consent = {"consent_method": fields.pop("consent_method"), "evidence": fields.pop("consent_evidence")}
        # The ID number is checked after the customer is written: a bad one must undo the create.
        with transaction.atomic():
            customer = services.customer_create(actor=viewer, organisation=organisation, **fields)
            if id_number:
                services.customer_set_id_number(actor=viewer, customer=customer, id_number=id_number, **consent)
        customer = selectors.customer_get(viewer=viewer, customer_id=customer.pk)
        return Response(CustomerOutputSerializer(customer).data, status=201)


class CustomerDetailApi(APIView):
    @extend_schema(
        operation_id="customer_retrieve", responses={200: CustomerOutputSerializer, **ERROR_RESPONSES}, tags=TAGS
    )
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(CustomerOutputSerializer(_customer(request, customer_id)).data)

    @extend_schema(
        operation_id="customer_update",
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, customer_id: int) -> Response:
        viewer = viewer_of(request)
        customer = _customer(request, customer_id)
        customer = services.customer_update(
            actor=viewer, customer=customer, **valid_body(CustomerUpdateInputSerializer, request)
        )
        return Response(CustomerOutputSerializer(_customer(request, customer.pk)).data)


class CustomerHouseholdsApi(ListApi):
    @extend_schema(
        operation_id="customer_household_list",
        responses={200: HouseholdOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        households = selectors.household_list(viewer=viewer_of(request), customer=customer)
        return self.paginated(households, HouseholdOutputSerializer)

    @extend_schema(
        operation_id="customer_household_create",
        request=HouseholdInputSerializer,
        responses={201: HouseholdOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, customer_id: int) -> Response:
        viewer = viewer_of(request)
        customer = _customer(request, customer_id)
        fields = valid_body(HouseholdInputSerializer, request)
        unit_id = fields.pop("unit")
        unit = resolve_or_field_error("unit", lambda: unit_get(viewer=viewer, unit_id=unit_id))
        household = services.household_add(actor=viewer, customer=customer, unit=unit, **fields)
        return Response(HouseholdOutputSerializer(household).data, status=201)


class CustomerContactsApi(ListApi):
    @extend_schema(
        operation_id="customer_contact_list",
        responses={200: ContactOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        return self.paginated(
            selectors.contact_list(viewer=viewer_of(request), customer=customer), ContactOutputSerializer
        )

    @extend_schema(
        operation_id="customer_contact_create",
        request=ContactInputSerializer,
        responses={201: ContactOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        contact = services.contact_add(
            actor=viewer_of(request), customer=customer, **valid_body(ContactInputSerializer, request)
        )
        return Response(ContactOutputSerializer(contact).data, status=201)


class CustomerConsentsApi(ListApi):
    @extend_schema(
        operation_id="customer_consent_list",
        responses={200: ConsentOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        return self.paginated(
            selectors.consent_list(viewer=viewer_of(request), customer=customer), ConsentOutputSerializer
        )

    @extend_schema(
        operation_id="customer_consent_grant",
        request=ConsentInputSerializer,
        responses={201: ConsentOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        consent = services.consent_grant(
            actor=viewer_of(request), customer=customer, **valid_body(ConsentInputSerializer, request)
        )
        return Response(ConsentOutputSerializer(consent).data, status=201)


class ConsentWithdrawApi(APIView):
    @extend_schema(
        operation_id="consent_withdraw",
        request=None,
        responses={200: ConsentOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, consent_id: int) -> Response:
        viewer = viewer_of(request)
        consent = selectors.consent_get(viewer=viewer, consent_id=consent_id)
        consent = services.consent_withdraw(actor=viewer, consent=consent)
        return Response(ConsentOutputSerializer(consent).data)


class CustomerTimelineApi(ListApi):
    pagination_class = TimelinePagination

    @extend_schema(
        operation_id="customer_timeline",
        responses={200: TimelineEntryOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        entries = selectors.timeline_for(viewer=viewer_of(request), customer=customer)
        return self.paginated(entries, TimelineEntryOutputSerializer)


class CustomerMergeApi(APIView):
    @extend_schema(
        operation_id="customer_merge",
        request=CustomerMergeInputSerializer,
        responses={200: CustomerOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Merge the `source` customer into this one: its households, contacts, consents, "
        "tags and timeline move here and it is retired. Both get an audit entry.",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        viewer = viewer_of(request)
        target = _customer(request, customer_id)
        fields = valid_body(CustomerMergeInputSerializer, request)
        source_id = fields.pop("source")
        source = resolve_or_field_error("source", lambda: selectors.customer_get(viewer=viewer, customer_id=source_id))
        merge.customer_merge(actor=viewer, target=target, source=source, note=fields["note"])
        return Response(CustomerOutputSerializer(_customer(request, target.pk)).data)


class DuplicateListApi(APIView):
    @extend_schema(
        operation_id="duplicate_list",
        parameters=[DuplicateFilters],
        responses={200: DuplicateListOutputSerializer, **ERROR_RESPONSES},
        tags=TAGS,
        description="Groups of customers that share a mobile or an ID number: a work queue. Merging "
        "a group removes it, so the list is read from the start each time rather than paged.",
    )
    def get(self, request: Request) -> Response:
        page_size = parse_filters(DuplicateFilters, request).get("page_size", KeysetPagination.page_size)
        groups = merge.duplicate_groups(viewer=viewer_of(request))
        body = {"count": len(groups), "results": groups[:page_size]}
        return Response(DuplicateListOutputSerializer(body).data)


class CustomerGradeApi(APIView):
    @extend_schema(
        operation_id="customer_grade_override",
        request=CustomerGradeInputSerializer,
        responses={200: CustomerOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Set the grade by hand, with a note saying why; the grade rules leave it alone from then on.",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        services.customer_override_grade(
            actor=viewer_of(request), customer=customer, **valid_body(CustomerGradeInputSerializer, request)
        )
        return Response(CustomerOutputSerializer(_customer(request, customer.pk)).data)


class CustomerScoresApi(APIView):
    @extend_schema(
        operation_id="customer_scores_set",
        request=CustomerScoresInputSerializer,
        responses={200: CustomerOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
        description="Record the three scores; unless the grade was set by hand, the grade rules grade the customer.",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        services.customer_set_scores(
            actor=viewer_of(request), customer=customer, **valid_body(CustomerScoresInputSerializer, request)
        )
        return Response(CustomerOutputSerializer(_customer(request, customer.pk)).data)


class CustomerTagsApi(APIView):
    @extend_schema(
        operation_id="customer_tag_add",
        request=CustomerTagInputSerializer,
        responses={201: TagOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, customer_id: int) -> Response:
        customer = _customer(request, customer_id)
        tag = grading.customer_tag_add(
            actor=viewer_of(request), customer=customer, **valid_body(CustomerTagInputSerializer, request)
        )
        return Response(TagOutputSerializer(tag).data, status=201)


class CustomerTagDetailApi(APIView):
    @extend_schema(
        operation_id="customer_tag_retrieve", responses={200: TagOutputSerializer, **ERROR_RESPONSES}, tags=TAGS
    )
    def get(self, request: Request, customer_id: int, tag_id: int) -> Response:
        tag = grading.customer_tag_get(customer=_customer(request, customer_id), tag_id=tag_id)
        return Response(TagOutputSerializer(tag).data)

    @extend_schema(
        operation_id="customer_tag_remove",
        responses={204: None, **WRITE_ERRORS},
        tags=TAGS,
    )
    def delete(self, request: Request, customer_id: int, tag_id: int) -> Response:
        customer = _customer(request, customer_id)
        tag = grading.customer_tag_get(customer=customer, tag_id=tag_id)
        grading.customer_tag_remove(actor=viewer_of(request), customer=customer, tag=tag)
        return Response(status=204)


class GradeRuleListApi(ListApi):
    @extend_schema(
        operation_id="graderule_list",
        responses={200: GradeRuleOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="The rules that grade customers in the caller's scope, including those of the units above.",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(grading.graderule_list(viewer=viewer_of(request)), GradeRuleOutputSerializer)

    @extend_schema(
        operation_id="graderule_create",
        request=GradeRuleInputSerializer,
        responses={201: GradeRuleOutputSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        viewer = viewer_of(request)
        fields = valid_body(GradeRuleInputSerializer, request)
        unit_id = fields.pop("organisation", None)
        organisation = (
            resolve_or_field_error("organisation", lambda: orgunit_get(viewer=viewer, unit_id=unit_id))
            if unit_id is not None
            else viewer.unit
        )
        rule = grading.graderule_create(actor=viewer, organisation=organisation, **fields)
        return Response(GradeRuleOutputSerializer(rule).data, status=201)


class TagListApi(ListApi):
    @extend_schema(
        operation_id="tag_list",
        responses={200: TagListOutputSerializer(many=True), **ERROR_RESPONSES},
        tags=TAGS,
        description="Tags that apply in the caller's scope, including those of the units above.",
    )
    def get(self, request: Request) -> Response:
        return self.paginated(grading.tag_list(viewer=viewer_of(request)), TagListOutputSerializer)
