"""An SMTP server that accepts every message and says when it arrived, for bench/jobs_cost.py.

Runs with a render's interpreter (aiosmtpd is in the render's dev requirements, not in the
template's tools). It prints `port <n>` once it listens on 127.0.0.1, then one line per
recipient of each message: `<time.monotonic() when its DATA was in> <recipient>`. The monotonic
clock is the machine's (CLOCK_MONOTONIC on Linux), so the reader compares it with its own.

    <render>/.venv/bin/python bench/smtp_sink.py
"""

import asyncio
import time

from aiosmtpd.smtp import SMTP, Envelope, Session


class Arrivals:
    """An aiosmtpd handler (https://aiosmtpd.aio-libs.org/en/latest/handlers.html)."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        arrived = time.monotonic()
        for recipient in envelope.rcpt_tos:
            print(f"{arrived:.6f} {recipient}", flush=True)
        return "250 Message accepted for delivery"


async def serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Arrivals()), "127.0.0.1", 0)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve())
