"""Manage Open311 client systems: add one (its api_key printed once), issue a new key, revoke, list."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.models import Open311Client
from cases.open311.services import open311_client_create, open311_client_key_issue


class Command(BaseCommand):
    help = (
        "Open311 client systems. `add NAME [--contact TEXT]` creates one and prints its api_key (shown only "
        "this once); `key NAME` issues a new key (the old one stops working); `revoke NAME`; `list`."
    )

    def add_arguments(self, parser):
        parser.add_argument("command", choices=["add", "key", "revoke", "list"])
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--contact", default="", help="Who runs the client system (name, phone, e-mail).")

    def handle(self, *args, command, name, contact, **options):
        if command == "list":
            for client in Open311Client.objects.order_by("name"):
                state = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked else "live"
                self.stdout.write(f"{client.name}\t{client.key_prefix}…\t{state}")
            return
        if not name:
            raise CommandError("Name the client system.")
        if command == "add":
            try:
                _client, raw = open311_client_create(name=name, contact=contact)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(raw)
            return
        client = Open311Client.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No Open311 client is named “{name}”.")
        if command == "key":
            self.stdout.write(open311_client_key_issue(client=client))
        else:
            client.revoke()
            self.stdout.write(f"Revoked the key of {client.name}.")
