"""A memory cap for the trusted grader process itself, so that no bug can take the machine.

The hidden tests run in the grader; what they receive from the student's code is plain data under
a budget (``wire.MAX_MESSAGE_BYTES`` per reply, ``GradingLimits.reply_budget_bytes`` per test), and
this cap is the backstop behind both: the process's private writable memory (heap and anonymous
mappings, ``RLIMIT_DATA``) is limited, so an allocation past it fails with MemoryError in that test
instead of growing without bound. ``RLIMIT_DATA`` rather than ``RLIMIT_AS``: the address space of a
process that holds torch grows with its threads' reservations, which use no memory.
"""

from __future__ import annotations

import resource


def cap_grader_memory(limit_bytes: int) -> int:
    """Lower this process's soft ``RLIMIT_DATA`` to ``limit_bytes`` (never raise it); returns it.

    Only the soft limit: the sandbox's worker, a child, sets its own limits from there.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = limit_bytes if soft == resource.RLIM_INFINITY else min(soft, limit_bytes)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    return cap
