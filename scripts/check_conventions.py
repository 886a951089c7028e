"""House rules that ruff cannot express (STYLE.md §14). Exit 1 with a list of offences."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("naive-now", re.compile(r"datetime\.(now|utcnow)\("), "use django.utils.timezone.now()"),
    ("print", re.compile(r"^\s*print\("), "log instead of print"),
    ("import-star", re.compile(r"^from \S+ import \*"), "no import *"),
]
# Views and API views reach tenant data only through selectors and kefu.core.scoping.
OBJECTS_IN_ADAPTERS = re.compile(r"\b[A-Z]\w*\.objects\.")


def python_files() -> list[Path]:
    skip = {".venv", "node_modules", "migrations", "staticfiles"}
    return [p for p in (ROOT / "kefu").rglob("*.py") if not skip & set(p.parts)]


def main() -> int:
    offences = []
    for path in python_files():
        rel = path.relative_to(ROOT)
        is_test = "tests" in path.parts
        is_command = "management" in path.parts
        is_adapter = (path.name.endswith("views.py") and not is_test) or (
            path.parent.name == "api" and path.name == "views.py"
        )
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for name, pattern, advice in RULES:
                if name == "print" and (is_test or is_command):
                    continue
                if pattern.search(line):
                    offences.append(f"{rel}:{number}: {name}: {advice}")
            if is_adapter and OBJECTS_IN_ADAPTERS.search(line):
                offences.append(f"{rel}:{number}: objects-in-view: call a selector or service instead")
    for line in offences:
        sys.stderr.write(line + "\n")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
