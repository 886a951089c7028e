"""Chart colours shared by every page that charts units: the floor grid's legend colours."""

from kefu.properties.models import Unit

STANDARD_COLOURS = {
    Unit.DeliveryStandard.SHELL: "#adb5bd",
    Unit.DeliveryStandard.BASIC: "#4299e1",
    Unit.DeliveryStandard.FITTED: "#2fb344",
}
