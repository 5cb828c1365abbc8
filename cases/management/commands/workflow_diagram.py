"""Print the case state machine of cases/workflow.py as a Mermaid diagram."""

from django.core.management.base import BaseCommand

from cases.workflow import as_mermaid


class Command(BaseCommand):
    help = "Print the case state machine (cases/workflow.py) as a Mermaid state diagram."

    def handle(self, *args, **options):
        self.stdout.write(as_mermaid())
