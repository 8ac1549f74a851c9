"""The SMTP dialect: authenticated submission and inbound bounces/complaints (aiosmtpd)."""
import asyncio
import functools

from models.db import database


def in_database(function, *args):
    """Run `function` with a database connection of its own (returned to the pool after)."""
    with database.connection_context():
        return function(*args)


async def off_loop(function, *args):
    """Database work in the executor, so one slow query stalls no other SMTP session."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(in_database, function, *args))
