"""Serve the demo's provider sandbox (kefu.notifications.sandbox) until stopped."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from kefu.notifications import sandbox


class Command(BaseCommand):
    help = "Run local stand-ins for Aliyun SMS, WeChat, WeCom, SMTP and a webhook receiver (demo only)."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        servers = sandbox.start()
        self.stdout.write("provider sandbox: " + ", ".join(f"{k} :{v}" for k, v in sandbox.PORTS.items()))
        stop.wait()
        for server in servers:
            server.stop()
