"""Print the case workflow of cases/workflow: a Mermaid state diagram, the action table, or docs/actions.md."""

from django.core.management.base import BaseCommand

from cases.workflow import as_document, as_mermaid, as_table


class Command(BaseCommand):
    help = "Print the case state machine as a Mermaid state diagram (--table: the actions as a Markdown table)."

    def add_arguments(self, parser):
        parser.add_argument("--table", action="store_true", help="print the action table instead of the diagram")
        parser.add_argument("--doc", action="store_true", help="print docs/actions.md (diagram and table)")

    def handle(self, *args, **options):
        if options["doc"]:
            self.stdout.write(as_document(), ending="")
        else:
            self.stdout.write(as_table() if options["table"] else as_mermaid())
