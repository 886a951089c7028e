from django.core.management import call_command

from kefu.core.roles import Role
from kefu.customers.models import Customer, Household
from kefu.engagements.models import Commission, CommissionType, Deliverable, Evaluation, FollowUpTask, Node
from kefu.orgs.models import Membership, OrgUnit, RoleGrant
from kefu.properties.models import Project, Unit


def _counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "projects": Project.objects.count(),
        "staff": Membership.objects.count(),
        "orgunits": OrgUnit.objects.count(),
        "customers": Customer.objects.count(),
        "households": Household.objects.count(),
        "commissions": Commission.objects.count(),
        "nodes": Node.objects.count(),
        "evaluations": Evaluation.objects.count(),
    }


def test_seed_demo_builds_h_xiaoqu_with_412_units_and_every_role(tmp_path):
    call_command("seed_demo", stdout=(tmp_path / "out.txt").open("w"))

    assert Unit.objects.filter(project__name="H小区").count() == 412
    assert Unit.objects.filter(project__name="H小区", households__role=Household.Role.OWNER).distinct().count() == 412
    assert Customer.objects.exclude(grade="").exists()
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY_COMPANY).count() == 2
    assert Project.objects.count() == 3


def test_seed_demo_runs_commissions_at_every_stage(tmp_path):
    call_command("seed_demo", stdout=(tmp_path / "out.txt").open("w"))

    assert CommissionType.objects.filter(organisation__code="huajing-consult").count() == 4
    statuses = set(Commission.objects.values_list("status", flat=True))
    assert {Commission.Status.ACTIVE, Commission.Status.DELIVERED, Commission.Status.CLOSED} <= statuses
    assert Node.objects.filter(delay_days__gt=0).exists()
    assert FollowUpTask.objects.filter(done_at__isnull=False).exists()
    assert Evaluation.objects.filter(invitation__status="answered", node=None).exists()
    assert Deliverable.objects.filter(is_shared=True, node__name__contains="报告").exists()


def test_seed_demo_run_twice_changes_nothing(tmp_path):
    call_command("seed_demo", stdout=(tmp_path / "1.txt").open("w"))
    before = _counts()

    call_command("seed_demo", stdout=(tmp_path / "2.txt").open("w"))

    assert _counts() == before
