from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = (
        "Load the Kunming demo: five agencies, their liaisons and duty chiefs with shifts, a dispatcher, a "
        "commander, an admin, a linkage plan for every incident kind and the default escalation policy. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-users", action="store_true", help="Only agencies, plans and the policy: safe in production."
        )

    def handle(self, *args, no_users: bool = False, **options):
        with_people = not no_users
        if with_people and not (settings.DEBUG or settings.EMBEDDED):
            raise CommandError(
                "Refusing to create demo users with a known password outside the embedded or debug mode. "
                "Use --no-users for agencies and plans only."
            )
        seed_all(with_people=with_people)
        if with_people:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data ready. Log in as admin, dispatcher, commander, fire_liaison, fire_chief, … "
                    f"with the password {DEMO_PASSWORD!r}."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Agencies, plans and the default escalation policy are ready."))
