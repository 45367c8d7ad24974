"""Small helpers for the dates people type into forms."""

from datetime import date, datetime


def parse_date(text: str) -> date:
    """Parse a date written as 2024-03-12, 12.03.2024 or 12/03/2024."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def days_between(first: date, second: date) -> int:
    """Whole days from first to second (negative if second is earlier)."""
    return (second - first).days


class Reminder:
    """A note that should be shown on a given day."""

    def __init__(self, when: date, message: str) -> None:
        self.when = when
        self.message = message

    def is_due(self, today: date) -> bool:
        return today >= self.when
