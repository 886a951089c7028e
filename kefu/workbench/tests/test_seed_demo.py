from django.core.management import call_command

from kefu.core.roles import Role
from kefu.customers.models import Customer, Household
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
    }


def test_seed_demo_builds_h_xiaoqu_with_412_units_and_every_role(tmp_path):
    call_command("seed_demo", stdout=(tmp_path / "out.txt").open("w"))

    assert Unit.objects.filter(project__name="H小区").count() == 412
    assert Unit.objects.filter(project__name="H小区", households__role=Household.Role.OWNER).distinct().count() == 412
    assert Customer.objects.exclude(grade="").exists()
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY_COMPANY).count() == 2
    assert Project.objects.count() == 3


def test_seed_demo_run_twice_changes_nothing(tmp_path):
    call_command("seed_demo", stdout=(tmp_path / "1.txt").open("w"))
    before = _counts()

    call_command("seed_demo", stdout=(tmp_path / "2.txt").open("w"))

    assert _counts() == before
