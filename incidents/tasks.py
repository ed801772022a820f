from celery import shared_task

from .escalation import escalate_due


@shared_task(name="incidents.escalation_sweep")
def escalation_sweep() -> int:
    """Run by beat every LINKAGE_SWEEP_SECONDS. Safe to run twice at once, or twice in a row."""
    return escalate_due()
