"""`manage.py audit_verify [--start-after SEQUENCE:HASH]`: check the audit chain; exit 1 when broken."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.audit.services import audit_verify


def _start_after(value: str) -> tuple[int, str]:
    sequence, _, digest = value.partition(":")
    if not sequence.isdigit() or len(digest) != 64:
        raise CommandError("--start-after takes SEQUENCE:HASH, e.g. 120000:<64 hex digits>")
    return int(sequence), digest.lower()


class Command(BaseCommand):
    help = "Recompute every audit entry's hash and link; exit with status 1 at the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start-after",
            metavar="SEQUENCE:HASH",
            help="After archiving: the sequence and hash of the last archived entry, as recorded in the archive.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = _start_after(options["start_after"]) if options["start_after"] else None
        report = audit_verify(start_after=start)
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry #{report.first_broken_sequence}: {report.reason} "
                f"({report.checked} entries before it checked out)",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.checked} entries checked, "
                f"latest #{report.last_sequence} {report.last_hash}"
            )
        )
