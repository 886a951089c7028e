"""Domain errors of the property register. Each names the form field it belongs to."""

from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, InvalidInput


class ProjectCodeTaken(Conflict):
    code = "project_code_taken"
    default_message = _("Another project in this organisation already uses the code %(code)s.")


class BuildingCodeTaken(Conflict):
    code = "building_code_taken"
    default_message = _("This project already has a building numbered %(code)s.")


class BuildingNotInProject(InvalidInput):
    code = "building_not_in_project"
    default_message = _("Building %(building)s does not belong to project %(project)s.")


class BuildingFloorsBelowUnits(Conflict):
    code = "building_floors_below_units"
    default_message = _("Units or common parts exist on floor %(floor)s, outside the new number of floors.")


class UnitNumberTaken(Conflict):
    code = "unit_number_taken"
    default_message = _("Unit %(label)s already exists in this building.")


class UsableAreaAboveGross(InvalidInput):
    code = "usable_area_above_gross"
    default_message = _("The usable area (%(usable)s m²) cannot be larger than the gross floor area (%(gross)s m²).")


class FloorZero(InvalidInput):
    code = "floor_zero"
    default_message = _("There is no floor 0: use 1 for the ground floor and -1 for the first basement level.")


class FloorOutOfRange(InvalidInput):
    code = "floor_out_of_range"
    default_message = _("Floor %(floor)s is outside this building, which has floors %(lowest)s to %(highest)s.")


class FloorWithoutBuilding(InvalidInput):
    code = "floor_without_building"
    default_message = _("Choose a building to give a floor.")


class CommonPartNameTaken(Conflict):
    code = "commonpart_name_taken"
    default_message = _("A common part called %(name)s already exists in the same place.")


class BuildingHasNoFloors(InvalidInput):
    code = "building_has_no_floors"
    default_message = _("A building needs at least one floor above or below ground.")
